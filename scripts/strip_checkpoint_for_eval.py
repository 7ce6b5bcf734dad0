"""Make a checkpoint directory evaluation-only, in place: model.h5 keeps the
generator, the prior and the root attributes, drops the optimizer state (about
two thirds of its bytes), and memory.h5 (the memory matrix, which only a
resume reads; shard-*.h5 in format-2 checkpoints) is removed. `latentebm eval` reads just manifest.json and
model.h5's /generator and /prior, so a stripped checkpoint evaluates as the
original; `latentebm verify` and resume reject it (the manifest's CRCs no
longer match), which is intended. Used by studies/fashion-7200-methods/train_on_gpu.sh to bring
every tenth of a GPU run back within the device tool's 16 MiB per file.

    python3 scripts/strip_checkpoint_for_eval.py CKPT_DIR [CKPT_DIR ...]
"""
import os
import sys

import h5py


def strip(ckpt):
    src_path = os.path.join(ckpt, "model.h5")
    tmp_path = src_path + ".stripped.tmp"
    with h5py.File(src_path, "r") as src, h5py.File(tmp_path, "w") as dst:
        for key, value in src.attrs.items():
            dst.attrs[key] = value
        for group in ("generator", "prior"):
            if group in src:
                src.copy(src[group], dst, name=group)
    os.replace(tmp_path, src_path)
    for name in os.listdir(ckpt):
        if name == "memory.h5" or (name.startswith("shard-") and name.endswith(".h5")):
            os.remove(os.path.join(ckpt, name))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for d in sys.argv[1:]:
        strip(d)
