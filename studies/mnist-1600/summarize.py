#!/usr/bin/env python3
"""mnist-1600: runs -> runs.csv, then its tables (studies/README.md).

RUNS holds the runs at sigma 0.3 (<method>-cosine2x-s<seed>) and at sigma
0.6 (<method>-cosine2x-sigma06-s<seed>), each with its evaluations,
eval-fd60*.json and steering.json, and, for the runs of the journal's A.26,
uniform/<run>-s<seed>/: A.27's re-evaluation on a uniform 1,000 test images.
Those runs had been evaluated on the test split's first 1,000 rows (digits
0-4 only, a fault since fixed): their test-image columns (mse*, fd_recon*,
fd_test*) are the uniform ones, and the first-1,000 values are kept as
<column>_first1000. A regeneration evaluates on the uniform subset from the
start and has no uniform/ folder.

usage: summarize.py [RUNS | --check]   (RUNS: what run.sh wrote, runs/studies/mnist-1600)"""
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import overview  # noqa: E402
import run_reader  # noqa: E402
import study  # noqa: E402
import tables  # noqa: E402

STUDY = "mnist-1600"
TEST_IMAGES = ("mse", "fd_recon", "fd_test")


def extract(runs):
    rows = []
    for d in run_reader.run_dirs(runs):
        row = run_reader.row(d, STUDY)
        again = os.path.join(runs, "uniform", os.path.basename(d))
        if os.path.isdir(again):
            row = {(k + "_first1000" if k.startswith(TEST_IMAGES) else k): v for k, v in row.items()}
            for k, v in run_reader.eval_columns(run_reader.load_evals(again), row["iterations"]).items():
                if k.startswith(TEST_IMAGES):
                    row[k] = v
                elif k in row and not math.isclose(row[k], v, rel_tol=1e-6, abs_tol=1e-6):
                    raise ValueError(f"{again}: {k} {v!r} differs from the run's own {row[k]!r}: it reads no test image")
        rows.append(row)
    return rows


if __name__ == "__main__":
    study.main(HERE, extract, [("overview.md", overview.markdown),
                               ("methods.txt", lambda rows: study.printed(tables.methods, rows)),
                               ("uniform-test-images.txt", lambda rows: study.printed(tables.uniform, rows)),
                               ("steering.txt", lambda rows: study.printed(tables.steering, rows)),
                               ("sigma06.txt", lambda rows: study.printed(tables.sigma06, rows))])
