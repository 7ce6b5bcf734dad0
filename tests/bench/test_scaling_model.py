#!/usr/bin/env python3
"""bench/scaling_model.py against hand-computed answers (docs/SCALING.md).
usage: python3 test_scaling_model.py <source-dir>"""
import math
import os
import sys

sys.path.insert(0, os.path.join(sys.argv[1], "bench"))
import scaling_model as m  # noqa: E402


def close(a, b, rel=1e-9):
    assert math.isclose(a, b, rel_tol=rel), (a, b)


# Output sides: each layer list ends at the preset's image size.
for arch, side in [("mnist28", 28), ("svhn32", 32), ("cifar32", 32), ("celeba64", 64), ("celebahq128", 128)]:
    assert m.generator_layers(arch, 100, 8, 3)[1] == side, arch

# svhn32 (nz 100, ngf 64, 3 channels), by hand:
#   100*512*16+512 + 512*256*16+256 + 256*128*16+128 + 128*3*16+3
assert m.generator_params("svhn32", 100, 64, 3) == 819712 + 2097408 + 524416 + 6147 == 3447683
# multiply-adds per image: 100*512*16*1 + 512*256*16*4^2 + 256*128*16*8^2 + 128*3*16*16^2
assert m.generator_forward_flop("svhn32", 100, 64, 3) == 2 * (819200 + 33554432 + 33554432 + 1572864)
# mnist28 (nz 32, ngf 16, 1 channel): 32*64*49+64 + 64*32*16+32 + 32*1*16+1
assert m.generator_params("mnist28", 32, 16, 1) == 100416 + 32800 + 513
# the ratio MLP at nz 100: 100*200+200 + 200*200+200 + 200+1
assert m.ratio_params(100) == 20200 + 40200 + 201
# one iteration of svhn: (2*30 + 3) forwards' worth at batch 100 (issue 45's 875 GFLOP)
assert m.iteration_flop(m.PRESETS["svhn"]) == 63 * 100 * 2 * 69500928
assert 870e9 < m.iteration_flop(m.PRESETS["svhn"]) < 880e9
# bytes: 4 per float of both networks' gradients and the 15 terms
assert m.allreduce_bytes(m.PRESETS["svhn"]) == 4 * (3447683 + 60601 + 15)

# The ring: nothing on one GPU; inside a node 8.4 us + 14 NVLink steps + 2*7/8 n / 450 GB/s.
assert m.ring_allreduce_s(1e6, 1, 25e9) == 0.0
close(m.ring_allreduce_s(1e6, 8, 25e9), 8.4e-6 + 14 * 5.7e-6 + 2 * 7 / 8 * 1e6 / 450e9)
# two nodes, one NIC: 30 steps, 2 of them across the network, x 1.9; bandwidth the NIC's
close(m.ring_allreduce_s(1e6, 16, 25e9), 1.9 * (8.4e-6 + 28 * 5.7e-6 + 2 * 6.6e-6) + 2 * 15 / 16 * 1e6 / 25e9)
# hierarchical over 4 nodes: NVLink reduce-scatter + all-gather, then a 4-node ring over the NIC
close(m.hierarchical_allreduce_s(1e6, 32, 25e9),
      2 * (7 * 5.7e-6 + 7 / 8 * 1e6 / 450e9) + 8.4e-6 + 6 * 6.6e-6 + 2 * 3 / 4 * 1e6 / 25e9)
# eight NICs divide the network's bandwidth term by eight
h1 = m.hierarchical_allreduce_s(1e8, 64, 25e9) - m.hierarchical_allreduce_s(0, 64, 25e9)
h8 = m.hierarchical_allreduce_s(1e8, 64, 25e9, 8) - m.hierarchical_allreduce_s(0, 64, 25e9, 8)
close(h1 - 2 * 7 / 8 * 1e8 / 450e9, 8 * (h8 - 2 * 7 / 8 * 1e8 / 450e9))
close(m.efficiency(3.0, 1.0), 0.75)

# The memory matrix of celebahq128: 27,000 x 100 float32, twice, and an int64 per row.
assert m.bank_bytes(m.PRESETS["celebahq128"]) == 27000 * 100 * 8 + 27000 * 8
print("scaling model: all checks passed")
