"""Make a checkpoint directory evaluation-only, in place: model.h5 keeps the
generator, the prior and the root attributes, drops the optimizer state (about
two thirds of its bytes), and memory.h5 (the memory matrix, which only a
resume reads; shard-*.h5 in format-2 checkpoints) is removed. manifest.json
gets model.h5's new size and CRC-32 and "evaluation_only": true. `latentebm
eval` (and sample, reconstruct, score, export) checks model.h5 against the
manifest and reads just its /generator and /prior, so a stripped checkpoint
evaluates as the original; `latentebm verify` and resume refuse it as
evaluation-only, which is intended. Used by studies/fashion-7200-methods/train_on_gpu.sh to bring
every tenth of a GPU run back within the device tool's 16 MiB per file.

    python3 scripts/strip_checkpoint_for_eval.py CKPT_DIR [CKPT_DIR ...]
"""
import json
import os
import sys
import zlib

import h5py


def crc32_of(path):
    crc = 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            crc = zlib.crc32(block, crc)
    return "%08x" % (crc & 0xFFFFFFFF)


def write_atomically(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


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
    # The manifest now describes the new model.h5 and marks the checkpoint
    # evaluation-only; the memory files go last.
    manifest_path = os.path.join(ckpt, "manifest.json")
    with open(manifest_path) as f:
        manifest = json.load(f)
    for entry in manifest["files"]:
        if entry["name"] == "model.h5":
            entry["bytes"] = os.path.getsize(src_path)
            entry["crc32"] = crc32_of(src_path)
    manifest["evaluation_only"] = True
    write_atomically(manifest_path, json.dumps(manifest, indent=2) + "\n")
    for name in os.listdir(ckpt):
        if name == "memory.h5" or (name.startswith("shard-") and name.endswith(".h5")):
            os.remove(os.path.join(ckpt, name))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for d in sys.argv[1:]:
        strip(d)
