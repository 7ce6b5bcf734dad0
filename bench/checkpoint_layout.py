#!/usr/bin/env python3
"""The memory matrix's checkpoint files at many ranks, two layouts, timed on
one file system (docs/SCALING.md, "Checkpoints at 512 ranks").

    python3 bench/checkpoint_layout.py [--dir DIR] [--ranks 512] [--rows 27000] [--nz 100] [--repeats 3]

per-rank: what latentebm's writer did until issue 50, one HDF5 file per rank
          (shard-RRRRR.h5: /memory and /snapshot float32 [rows, nz],
          /written_at int64 [rows], the attributes), each written, flushed,
          fsynced, then read back whole for its CRC-32, as
          src/train/checkpoint.cpp does;
one file: the layout of issue 50, the whole matrix gathered to rank 0 and
          written as one file the same way.
The rows are the celebahq128 preset's training split by default (27,000
images, nz 100). Both layouts are written by this one process, one file
after the other: on a parallel file system the per-rank files are written by
512 processes at once, so this times the work and the metadata operations,
not their contention there. Prints bytes, file count and the median wall
time of each layout. Needs h5py and numpy (Debian: python3-h5py).
"""
import argparse
import os
import shutil
import statistics
import tempfile
import time
import zlib

import h5py
import numpy as np


def write_file(path, memory, snapshot, written, begin, end, n_total, rank, world):
    with h5py.File(path, "w", libver="earliest") as f:
        d = f.create_dataset("memory", data=memory)
        d.attrs["begin"], d.attrs["end"], d.attrs["n_total"] = begin, end, n_total
        f.create_dataset("snapshot", data=snapshot)
        f.create_dataset("written_at", data=written)
        f.attrs["rank"], f.attrs["world_size"], f.attrs["iteration"] = rank, world, 1000
        f.flush()
        fd = f.id.get_vfd_handle()
        os.fsync(fd)
    with open(path, "rb") as fh:  # the manifest's CRC-32 reads the file back
        zlib.crc32(fh.read())
    return os.path.getsize(path)


def layout(dirpath, memory, snapshot, written, ranks):
    n = memory.shape[0]
    bounds = [(r * n // ranks, (r + 1) * n // ranks) for r in range(ranks)]
    t0 = time.perf_counter()
    total = 0
    for r, (b, e) in enumerate(bounds):
        total += write_file(os.path.join(dirpath, f"shard-{r:05d}.h5"), memory[b:e], snapshot[b:e], written[b:e], b, e, n,
                            r, ranks)
    dfd = os.open(dirpath, os.O_RDONLY)
    os.fsync(dfd)
    os.close(dfd)
    return time.perf_counter() - t0, total


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", default=None, help="where to write (default: the system's temporary directory)")
    ap.add_argument("--ranks", type=int, default=512)
    ap.add_argument("--rows", type=int, default=27000)
    ap.add_argument("--nz", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    if args.ranks < 1 or args.rows < args.ranks or args.repeats < 1:
        raise SystemExit("need --ranks >= 1, --rows >= --ranks, --repeats >= 1")
    rng = np.random.default_rng(1)
    memory = rng.standard_normal((args.rows, args.nz), dtype=np.float32)
    snapshot = rng.standard_normal((args.rows, args.nz), dtype=np.float32)
    written = np.full(args.rows, 999, dtype=np.int64)
    results = {}
    for name, ranks in [("per-rank", args.ranks), ("one file", 1)]:
        times = []
        for _ in range(args.repeats):
            d = tempfile.mkdtemp(prefix="latentebm-ckpt-layout-", dir=args.dir)
            try:
                t, total = layout(d, memory, snapshot, written, ranks)
            finally:
                shutil.rmtree(d)
            times.append(t)
        results[name] = (ranks, total, statistics.median(times), min(times), max(times))
    print(f"memory matrix {args.rows} x {args.nz} (+ snapshot, written_at), {args.repeats} repeats, "
          f"file system of {args.dir or tempfile.gettempdir()}")
    print("| layout | files | bytes | bytes per file | wall time, median (min - max) |")
    print("|---|---|---|---|---|")
    for name, (files, total, med, lo, hi) in results.items():
        print(f"| {name} | {files} | {total / 1e6:.2f} MB | {total / files / 1e3:.1f} kB | "
              f"{med * 1e3:.0f} ms ({lo * 1e3:.0f} - {hi * 1e3:.0f}) |")


if __name__ == "__main__":
    main()
