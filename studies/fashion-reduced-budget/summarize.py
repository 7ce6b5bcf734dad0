#!/usr/bin/env python3
"""fashion-reduced-budget: runs -> runs.csv, then overview.md (studies/README.md).

RUNS holds 600/ and 2400/ (bench/reproduce.sh's OUT at each budget) and
2400/sampler-check/ (bench/fd_sampler.sh's JSONs, <run>-s<seed>-<sampler>-k<K>.json).
The journal's runs of this study were not kept, so no runs.csv is committed
until run.sh has run; the tables the journal quotes are committed as
bench/reproduce.sh and bench/fd_sampler.sh wrote them.

usage: summarize.py [RUNS | --check]   (RUNS: what run.sh wrote, runs/studies/fashion-reduced-budget)"""
import glob
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import overview  # noqa: E402
import run_reader  # noqa: E402
import study  # noqa: E402

STUDY = "fashion-reduced-budget"


def extract(runs):
    rows = []
    for budget in sorted(os.listdir(runs)):
        for d in run_reader.run_dirs(os.path.join(runs, budget)):
            extra = sorted(glob.glob(os.path.join(runs, budget, "sampler-check", os.path.basename(d) + "-*-k*.json")))
            rows.append(run_reader.row(d, STUDY, extra_evals=extra))
    return rows


if __name__ == "__main__":
    study.main(HERE, extract, [("overview.md", overview.markdown)])
