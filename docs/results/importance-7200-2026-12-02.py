#!/usr/bin/env python3
"""`importance` noise at 7,200 iterations (RESULTS.md A.14): adaptive-ce
(noise-importance runs) and, where its runs exist, non-adaptive
(non-adaptive-importance runs, the fair pair); mean +- std over the seeds
found, per-stage diagnostics at each stage's end, Welch t of the pair, and
Welch t of each of the two against rows of earlier sections (their means
and stds, 3 seeds).

usage: python3 docs/results/importance-7200-2026-12-02.py runs/reproduce-7200
       python3 docs/results/importance-7200-2026-12-02.py docs/results   (the copies kept in git)
"""
import os, sys

sys.path.insert(0, os.path.dirname(__file__))
from runs7200 import against, collect, find, last_stages_t, pair_t, table  # noqa: E402

root = sys.argv[1] if len(sys.argv) > 1 else "runs/reproduce-7200"
SKIP = ("MSE change over the last tenth, %",)  # (not in A.14's tables)

cols, runs = collect(root, find(root, "noise-importance"))
table("adaptive-ce, `importance` noise", runs, cols, skip=SKIP)
pair, pair_runs = collect(root, find(root, "non-adaptive-importance"))
if pair:
    table("non-adaptive, `importance` noise (the fair pair)", pair_runs, pair, skip=SKIP)
    pair_t("Welch t, adaptive-ce minus non-adaptive, both with `importance` noise"
           " (|t| > 2 counted as beyond the spread):", cols, pair,
           [k for k in cols if k.startswith("FD") or k in ("test MSE", "MSE change over the last fifth, %")])

last_stages_t((("adaptive-ce", cols), ("non-adaptive", pair)))

# Earlier rows (3 seeds each): RESULTS.md A.10-A.13. The Gaussian prior is
# non-adaptive's generator (`langevin` noise) with 0 stages.
ref = {
    "FD, 100 steps of 0.1": {"langevin (A.10)": (82.37, 2.47), "persistent (A.12)": (77.46, 5.72),
                              "single-stage (A.11)": (69.95, 6.31), "non-adaptive (A.10)": (75.17, 3.77)},
    "FD, 60 steps of 0.4": {"langevin (A.10)": (28.75, 1.91), "persistent (A.12)": (118.80, 9.69),
                             "persistent-langevin (A.12)": (47.11, 6.88), "single-stage (A.11)": (40.57, 10.20)},
    "test MSE": {"langevin (A.10)": (0.03801, 0.00044), "persistent (A.12)": (0.03817, 0.00062),
                 "non-adaptive (A.10)": (0.03990, 0.00081)},
    "FD with 0 stage(s), 100 steps": {"Gaussian prior (A.11)": (120.30, 5.42)},
    "FD of the test reconstructions": {"adaptive schedule (A.13)": (17.64, 0.41),
                                       "persistent (A.13)": (18.15, 0.25)},
}
for label, c in (("adaptive-ce importance", cols), ("non-adaptive importance", pair)):
    against(label, c, ref)
