#!/usr/bin/env python3
"""The numbers of docs/SCALING.md: what each preset all-reduces per iteration,
its compute per iteration, and an alpha-beta model of the gradient
all-reduce on 8 to 512 GPUs (projected parallel efficiency); the memory
matrix's checkpoint bytes at 512 ranks.

    python3 bench/scaling_model.py            # the Markdown tables
    python3 bench/scaling_model.py --json     # the same figures as JSON

Pure arithmetic (no torch): the layer lists below are src/generator_kind.cpp's
and src/model/prior.cpp's, the presets configs/*.yaml's. tests/bench/
test_scaling_model.py checks the counts against hand-computed values and
the model against its closed forms.
"""
import argparse
import json
import math

# configs/*.yaml (model.*, train.batch_size, train.langevin_steps) and the
# data each preset trains on (its training split's size).
PRESETS = {
    "quick": dict(arch="mnist28", nz=32, ngf=16, channels=1, batch=64, L=20, train_images=12800, noise="langevin"),
    "svhn": dict(arch="svhn32", nz=100, ngf=64, channels=3, batch=100, L=30, train_images=73257, noise="persistent"),
    "cifar10": dict(arch="cifar32", nz=128, ngf=128, channels=3, batch=100, L=40, train_images=50000, noise="persistent"),
    "celeba64": dict(arch="celeba64", nz=100, ngf=128, channels=3, batch=100, L=30, train_images=40000,
                     noise="persistent"),
    "celebahq128": dict(arch="celebahq128", nz=100, ngf=64, channels=3, batch=64, L=30, train_images=27000,
                        noise="persistent"),
}
RATIO_HIDDEN = 200
TERMS = 15  # loss terms, guard flags, diagnostics, stop and vote, all-reduced with the gradients (trainer.cpp)


def generator_layers(arch, nz, ngf, c):
    """(in, out, kernel, stride, pad, input side) of each ConvTranspose2d, as src/generator_kind.cpp lists them."""
    if arch == "mnist28":
        spec = [(nz, ngf * 4, 7, 1, 0), (ngf * 4, ngf * 2, 4, 2, 1), (ngf * 2, c, 4, 2, 1)]
    elif arch == "svhn32":
        spec = [(nz, ngf * 8, 4, 1, 0), (ngf * 8, ngf * 4, 4, 2, 1), (ngf * 4, ngf * 2, 4, 2, 1), (ngf * 2, c, 4, 2, 1)]
    elif arch == "cifar32":
        spec = [(nz, ngf * 8, 8, 1, 0), (ngf * 8, ngf * 4, 4, 2, 1), (ngf * 4, ngf * 2, 4, 2, 1), (ngf * 2, c, 3, 1, 1)]
    elif arch == "celeba64":
        spec = [(nz, ngf * 8, 4, 1, 0), (ngf * 8, ngf * 4, 4, 2, 1), (ngf * 4, ngf * 2, 4, 2, 1),
                (ngf * 2, ngf, 4, 2, 1), (ngf, c, 4, 2, 1)]
    elif arch == "celebahq128":
        spec = [(nz, ngf * 16, 4, 1, 0)] + [(ngf * a, ngf * b, 4, 2, 1) for a, b in [(16, 8), (8, 4), (4, 2), (2, 1)]]
        spec += [(ngf, c, 4, 2, 1)]
    else:
        raise ValueError(arch)
    side, layers = 1, []
    for cin, cout, k, s, p in spec:
        layers.append((cin, cout, k, s, p, side))
        side = (side - 1) * s - 2 * p + k
    return layers, side


def generator_params(arch, nz, ngf, c):
    layers, _ = generator_layers(arch, nz, ngf, c)
    return sum(cin * cout * k * k + cout for cin, cout, k, _, _, _ in layers)


def generator_forward_flop(arch, nz, ngf, c):
    """FLOP (2 per multiply-add) of one forward pass per image: a transposed
    convolution does in * out * k^2 multiply-adds per input pixel."""
    layers, _ = generator_layers(arch, nz, ngf, c)
    return sum(2 * cin * cout * k * k * side * side for cin, cout, k, _, _, side in layers)


def ratio_params(nz, h=RATIO_HIDDEN):
    return (nz * h + h) + (h * h + h) + (h + 1)


def allreduce_bytes(p):
    """One flat fp32 buffer: the generator's gradients, the active ratio network's, the terms."""
    return 4 * (generator_params(p["arch"], p["nz"], p["ngf"], p["channels"]) + ratio_params(p["nz"]) + TERMS)


def iteration_flop(p):
    """Generator FLOP per iteration per GPU at the preset's batch: L Langevin
    steps of a forward and an input-gradient backward (2 F), then the update's
    forward and full backward (3 F). The ratio MLPs are < 0.1 % and left out."""
    F = generator_forward_flop(p["arch"], p["nz"], p["ngf"], p["channels"])
    return (2 * p["L"] + 3) * F * p["batch"]


# ---------------------------------------------------------------- network model
# Alpha-beta, NCCL's ring: an all-reduce of n bytes over r ranks is 2 (r - 1)
# steps, each moving n / r bytes over the ring's slowest link.
#   T = alpha_total + 2 (r - 1) / r * n / B_bus
# alpha per step, from NCCL's own tuning model (src/graph/tuning.cc, ring /
# Simple protocol): 8.4 us once, 5.7 us per NVLink step, 6.6 us per network
# step, and x 1.9 for multi-node ring all-reduces of large buffers ("plateau").
# Bandwidths: NVLink 4 (H100 / H200 SXM), 450 GB/s per direction per GPU
# (nccl-tests reach 460-480 GB/s bus bandwidth on 8 H100 SXM); InfiniBand
# at line rate, 200 Gb/s = 25 GB/s and 400 Gb/s = 50 GB/s per NIC.
ALPHA_BASE = 8.4e-6
ALPHA_NVLINK = 5.7e-6
ALPHA_NET = 6.6e-6
PLATEAU = 1.9
B_NVLINK = 450e9
GPUS_PER_NODE = 8


def ring_allreduce_s(n_bytes, gpus, nic_Bps, nics_per_node=1):
    """Flat ring over all GPUs, nodes of 8: the bus bandwidth is NVLink's inside
    a node and the node's NICs' (shared by the node's rings) across nodes."""
    if gpus <= 1:
        return 0.0
    nodes = max(1, math.ceil(gpus / GPUS_PER_NODE))
    steps, net_steps = 2 * (gpus - 1), 2 * (nodes - 1)
    alpha = ALPHA_BASE + (steps - net_steps) * ALPHA_NVLINK + net_steps * ALPHA_NET
    if nodes > 1:
        alpha *= PLATEAU
    bus = B_NVLINK if nodes == 1 else min(B_NVLINK, nics_per_node * nic_Bps)
    return alpha + 2 * (gpus - 1) / gpus * n_bytes / bus


def hierarchical_allreduce_s(n_bytes, gpus, nic_Bps, nics_per_node=1):
    """Reduce-scatter inside each node (NVLink), a ring all-reduce of each
    GPU's n/8 slice across the nodes (all 8 slices through the node's NICs),
    all-gather inside the node: what NCCL's tree / NVLS / CollNet paths
    approach, and what a two-level ring gives."""
    if gpus <= GPUS_PER_NODE:
        return ring_allreduce_s(n_bytes, gpus, nic_Bps, nics_per_node)
    g, nodes = GPUS_PER_NODE, math.ceil(gpus / GPUS_PER_NODE)
    intra = 2 * ((g - 1) * ALPHA_NVLINK + (g - 1) / g * n_bytes / B_NVLINK)
    inter = ALPHA_BASE + 2 * (nodes - 1) * ALPHA_NET + 2 * (nodes - 1) / nodes * n_bytes / (nics_per_node * nic_Bps)
    return intra + inter


def efficiency(compute_s, comm_s):
    """Weak scaling, no overlap: a GPU computes, then waits for the all-reduce."""
    return compute_s / (compute_s + comm_s)


# Measured compute per iteration, one GPU, the preset's batch: docs/PERFORMANCE.md
# (H200, PyTorch/LibTorch 2.11, bf16 with graphed chains, the training loop back
# to back), where a measurement exists.
MEASURED_S = {
    "quick": (0.07837, "78.4 ms, H200 fp32, graphed chains, loop back to back (2026-12-04)"),
    "svhn": (0.01579, "15.8 ms, H200 bf16, graphed chains, loop back to back (2026-12-04)"),
}
# Where none exists: the FLOP estimate at the rate svhn reached (875 GFLOP in
# 15.8 ms = 55 TFLOP/s on the H200), stated as an estimate.


def compute_s(name, p):
    if name in MEASURED_S:
        return MEASURED_S[name][0], "measured: " + MEASURED_S[name][1]
    rate = iteration_flop(PRESETS["svhn"]) / MEASURED_S["svhn"][0]
    return iteration_flop(p) / rate, f"estimate: FLOP / {rate / 1e12:.0f} TFLOP/s (svhn's measured rate)"


# ---------------------------------------------------------------- checkpoints
def bank_bytes(p):
    """The memory matrix as checkpointed: /memory and /snapshot (float32
    [n, nz]) and /written_at (int64 [n])."""
    n = p["train_images"]
    return n * p["nz"] * 4 * 2 + n * 8


def model_h5_bytes(p, stages=4):
    """model.h5's arrays: generator + Adam moments, K ratio networks + the active one's moments."""
    g = generator_params(p["arch"], p["nz"], p["ngf"], p["channels"])
    r = ratio_params(p["nz"])
    return 4 * (3 * g + stages * r + 2 * r)


def figures():
    gpus = [8, 16, 32, 64, 128, 256, 512]
    out = {}
    for name, p in PRESETS.items():
        n = allreduce_bytes(p)
        c, source = compute_s(name, p)
        row = dict(generator_params=generator_params(p["arch"], p["nz"], p["ngf"], p["channels"]),
                   ratio_params=ratio_params(p["nz"]), allreduce_bytes=n,
                   forward_gflop_per_image=generator_forward_flop(p["arch"], p["nz"], p["ngf"], p["channels"]) / 1e9,
                   iteration_tflop=iteration_flop(p) / 1e12, compute_s=c, compute_source=source,
                   bank_bytes=bank_bytes(p), model_h5_bytes=model_h5_bytes(p), scaling={})
        for nic_gbit in (200, 400):
            nic = nic_gbit * 1e9 / 8
            for g in gpus:
                ring = ring_allreduce_s(n, g, nic)
                hier = hierarchical_allreduce_s(n, g, nic)
                hier8 = hierarchical_allreduce_s(n, g, nic, nics_per_node=8)
                row["scaling"][f"{nic_gbit}:{g}"] = dict(
                    ring_s=ring, ring_eff=efficiency(c, ring), hier_s=hier, hier_eff=efficiency(c, hier),
                    hier8_s=hier8, hier8_eff=efficiency(c, hier8))
        out[name] = row
    return out


def markdown(fig):
    lines = ["| preset | generator params | active ratio params | bytes all-reduced per iteration | "
             "forward GFLOP per image | TFLOP per iteration (batch) | compute per iteration, one GPU |",
             "|---|---|---|---|---|---|---|"]
    for name, r in fig.items():
        p = PRESETS[name]
        lines.append(f"| {name} | {r['generator_params']:,} | {r['ratio_params']:,} | "
                     f"{r['allreduce_bytes'] / 1e6:.2f} MB | {r['forward_gflop_per_image']:.4f} | "
                     f"{r['iteration_tflop']:.3f} ({p['batch']}) | {r['compute_s'] * 1e3:.1f} ms ({r['compute_source']}) |")
    for nic in (200, 400):
        lines += ["", f"Projected parallel efficiency, weak scaling (each GPU the preset's batch), {nic} Gb/s "
                      "InfiniBand, one NIC per node of 8 GPUs: flat ring / hierarchical (two-level) ring / "
                      "hierarchical with 8 NICs per node; all-reduce time in ms in brackets", ""]
        gpus = [8, 16, 32, 64, 128, 256, 512]
        lines.append("| preset | " + " | ".join(f"{g} GPUs" for g in gpus) + " |")
        lines.append("|---|" + "---|" * len(gpus))
        for name, r in fig.items():
            cells = []
            for g in gpus:
                s = r["scaling"][f"{nic}:{g}"]
                if g == 8:
                    cells.append(f"{100 * s['ring_eff']:.1f} % ({1e3 * s['ring_s']:.2f})")
                else:
                    cells.append(f"{100 * s['ring_eff']:.0f} / {100 * s['hier_eff']:.0f} / {100 * s['hier8_eff']:.0f} % "
                                 f"({1e3 * s['ring_s']:.1f} / {1e3 * s['hier_s']:.1f} / {1e3 * s['hier8_s']:.2f})")
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "| preset | memory matrix (memory + snapshot + written_at) | per rank at 512 ranks | model.h5 |",
              "|---|---|---|---|"]
    for name, r in fig.items():
        lines.append(f"| {name} | {r['bank_bytes'] / 1e6:.2f} MB | {r['bank_bytes'] / 512 / 1e3:.1f} kB | "
                     f"{r['model_h5_bytes'] / 1e6:.1f} MB |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    fig = figures()
    print(json.dumps(fig, indent=1, sort_keys=True) if args.json else markdown(fig))


if __name__ == "__main__":
    main()
