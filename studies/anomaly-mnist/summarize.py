#!/usr/bin/env python3
"""anomaly-mnist: runs -> runs.csv, then its tables (studies/README.md).

usage: summarize.py [RUNS | --check]   (RUNS: what run.sh wrote, runs/studies/anomaly-mnist)"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import overview  # noqa: E402
import run_reader  # noqa: E402
import study  # noqa: E402
import summary  # noqa: E402
import tables  # noqa: E402

STUDY = "anomaly-mnist"
# The journal's A.12 kept only anomaly.json of its 300-iteration adaptive-ce runs (and one resolved config,
# digit 1 seed 1): the preset of the time at its constant rate, `langevin` noise, the fixed schedule.
A12 = {"train.method": "adaptive-ce", "train.prior_samples": "langevin", "train.stage_schedule": "fixed",
       "train.g_lr_schedule": "constant", "train.g_lr": 5e-4, "train.e_lr": 5e-4, "runtime.device": "cpu"}


def extract(runs):
    rows = []
    for d in run_reader.run_dirs(runs):
        keys = None
        if not os.path.exists(os.path.join(d, "config.yaml")):
            run, seed = run_reader.name_and_seed(d)
            a = summary.load(os.path.join(d, "anomaly.json"))
            if a is None or run != f"anomaly-{a['anomaly_label']}-adaptive-ce":
                raise ValueError(f"{d}: no config.yaml, and not one of A.12's adaptive-ce runs")
            cfg = dict(A12, **{"data.path": f"data/mnist-holdout-{a['anomaly_label']}.h5",
                               "train.iterations": max(a["iterations"]), "train.seed": seed})
            keys = run_reader.keys_from_config(cfg, run, seed, STUDY)
        rows.append(run_reader.row(d, STUDY, keys))
    return rows


if __name__ == "__main__":
    study.main(HERE, extract, [("overview.md", overview.markdown),
                               ("tables.md", lambda rows: study.printed(tables.tables, rows))])
