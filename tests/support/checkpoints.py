"""Compares checkpoints by what they hold, not by how it is split into files
(the shell tests' one place for that: a new checkpoint layout changes this
file only). A checkpoint is a folder of HDF5 files; every dataset in them is
read, wherever it is:
  - /memory, /snapshot and /written_at (the memory matrix M, the active
    stage's copy of it, each row's last write): row blocks, each at the
    global rows [begin, end) of its file's /memory attributes (a file without
    them holds rows [0, n)), gathered into one matrix each that must cover
    every row exactly once;
  - every other dataset (/generator/..., /prior/..., /optimizer/...): by its
    path, which no two files of one checkpoint may share.
Attributes (the config, with its run directory) are not compared.

usage (Debian's python3 with python3-h5py):
  checkpoints.py same A B          exit 0 when A and B hold the same datasets,
                                   bit for bit (else 1, naming the first difference)
  checkpoints.py rows-changed A B  print "CHANGED TOTAL": how many rows of /memory differ
"""
import os
import sys

import h5py
import numpy as np

GATHERED = ("memory", "snapshot", "written_at")


def read(ckpt):
    """({path: array} of the non-gathered datasets, {name: matrix} of the gathered ones)."""
    files = sorted(f for f in os.listdir(ckpt) if f.endswith(".h5"))
    if not files:
        sys.exit(f"checkpoints.py: no .h5 file in {ckpt}")
    plain, blocks = {}, {name: [] for name in GATHERED}

    for f in files:
        path = os.path.join(ckpt, f)
        with h5py.File(path, "r") as h:
            attrs = h["memory"].attrs if "memory" in h else {}
            begin = int(attrs.get("begin", 0))

            def visit(name, obj):
                if not isinstance(obj, h5py.Dataset):
                    return
                if name in GATHERED:
                    rows = obj[...]
                    end = int(attrs.get("end", begin + rows.shape[0]))
                    if end - begin != rows.shape[0]:
                        sys.exit(f"checkpoints.py: {path}/{name} holds {rows.shape[0]} rows for [{begin}, {end})")
                    blocks[name].append((begin, rows, path))
                else:
                    if name in plain:
                        sys.exit(f"checkpoints.py: /{name} is in two files of {ckpt}")
                    plain[name] = obj[...]

            h.visititems(visit)
    gathered = {}
    for name, parts in blocks.items():
        if not parts:
            continue
        n = max(b + r.shape[0] for b, r, _ in parts)
        whole = np.zeros((n,) + parts[0][1].shape[1:], parts[0][1].dtype)
        seen = np.zeros(n, np.int64)
        for b, r, _ in parts:
            whole[b:b + r.shape[0]] = r
            seen[b:b + r.shape[0]] += 1
        if not (seen == 1).all():
            sys.exit(f"checkpoints.py: the /{name} blocks of {ckpt} do not cover rows [0, {n}) exactly once")
        gathered[name] = whole
    return plain, gathered


def same(a, b):
    (pa, ga), (pb, gb) = read(a), read(b)
    for kind, x, y in (("dataset", pa, pb), ("gathered dataset", ga, gb)):
        if set(x) != set(y):
            return f"{kind}s differ: only in {a}: {sorted(set(x) - set(y))}; only in {b}: {sorted(set(y) - set(x))}"
        for k in sorted(x):
            if x[k].shape != y[k].shape or x[k].dtype != y[k].dtype or not np.array_equal(x[k], y[k]):
                return f"/{k} differs between {a} and {b}"
    if not pa and not ga:
        return f"nothing to compare in {a}"
    return ""


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("same", "rows-changed"):
        sys.exit(__doc__)
    cmd, a, b = sys.argv[1:]
    if cmd == "same":
        why = same(a, b)
        if why:
            print(why, file=sys.stderr)
            sys.exit(1)
        return
    ma, mb = read(a)[1].get("memory"), read(b)[1].get("memory")
    if ma is None or mb is None or ma.shape != mb.shape:
        sys.exit(f"checkpoints.py: no /memory of the same shape in {a} and {b}")
    changed = int((ma != mb).reshape(ma.shape[0], -1).any(1).sum())
    print(changed, ma.shape[0])


if __name__ == "__main__":
    main()
