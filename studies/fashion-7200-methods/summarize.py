#!/usr/bin/env python3
"""fashion-7200-methods: runs -> runs.csv, then its tables (studies/README.md).

usage: summarize.py [RUNS | --check]   (RUNS: what run.sh wrote, runs/studies/fashion-7200-methods)"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import run_reader  # noqa: E402
import study  # noqa: E402
import tables  # noqa: E402
import overview  # noqa: E402

STUDY = "fashion-7200-methods"
# Where a run trained when its config.yaml does not say (runtime.device auto): the adaptive schedule's
# runs trained to iteration 5,040 on an NVIDIA H200 (studies/fashion-7200-methods/train_on_gpu.sh), then to the end on the CPU.
DEVICE = {"schedule-adaptive-langevin-cosine2x": "NVIDIA H200 to 5040, then cpu"}


def extract(runs):
    rows = []
    for d in run_reader.run_dirs(runs):
        row = run_reader.row(d, STUDY)
        row["device"] = DEVICE.get(row["run"], row["device"])
        rows.append(row)
    return rows


if __name__ == "__main__":
    study.main(HERE, extract, [("overview.md", overview.markdown),
                               ("converged-recipe.txt", lambda rows: study.printed(tables.converged_recipe, rows))])
