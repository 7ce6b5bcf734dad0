#!/usr/bin/env python3
"""fashion-preset-rate: runs -> runs.csv, then its tables (studies/README.md).

RUNS holds 7200/ and 14400/ (bench/reproduce.sh's OUT at each budget) and
main-job/ (the README's main job, measured by bench_posterior_steering).

usage: summarize.py [RUNS | --check]   (RUNS: what run.sh wrote, runs/studies/fashion-preset-rate)"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import overview  # noqa: E402
import run_reader  # noqa: E402
import study  # noqa: E402
import tables  # noqa: E402

STUDY = "fashion-preset-rate"
PRESET = os.path.join(HERE, "..", "..", "configs", "fashion-mnist-quick.yaml")


def extract(runs):
    rows = []
    for budget in ("7200", "14400"):
        rows += [run_reader.row(d, STUDY) for d in run_reader.run_dirs(os.path.join(runs, budget))]
    for d in run_reader.run_dirs(os.path.join(runs, "main-job")):
        keys = None
        if not os.path.exists(os.path.join(d, "config.yaml")):
            # the journal's A.28 measured the main job that README's first command trained (the quick preset as
            # committed) and kept only the steering JSON: its key columns are the preset's
            run, seed = run_reader.name_and_seed(d)
            keys = run_reader.keys_from_config(run_reader.read_config(PRESET), run, seed, STUDY)
        rows.append(run_reader.row(d, STUDY, keys))
    return rows


if __name__ == "__main__":
    study.main(HERE, extract, [("overview.md", overview.markdown),
                               ("fd-decomposition.txt", lambda rows: study.printed(tables.fd_decomposition, rows)),
                               ("importance-noise.txt", lambda rows: study.printed(tables.importance_noise, rows)),
                               ("cosine-decay.txt", lambda rows: study.printed(tables.cosine_decay, rows))])
