#!/usr/bin/env python3
"""The core pair with train.g_lr_schedule=cosine at 7,200 iterations
(RESULTS.md A.16): adaptive-ce and non-adaptive, both with `langevin` noise
(the main job's), the generator's learning rate decayed from g_lr to 0 by
half a cosine. Mean +- std over the seeds found, Welch t of the pair, of the
stages (4 against 2), and of each against its constant-rate row (A.10) and
the other baselines (A.11, A.15).

usage: python3 docs/results/cosine-7200-2026-12-02.py runs/reproduce-7200
       python3 docs/results/cosine-7200-2026-12-02.py docs/results   (the copies kept in git)
"""
import os, sys

sys.path.insert(0, os.path.dirname(__file__))
from runs7200 import against, collect, find, last_stages_t, pair_t, table, tenths  # noqa: E402

root = sys.argv[1] if len(sys.argv) > 1 else "runs/reproduce-7200"

ad, ad_runs = collect(root, find(root, "adaptive-ce-cosine"))
na, na_runs = collect(root, find(root, "non-adaptive-cosine"))
table("adaptive-ce, `langevin` noise, cosine decay of g_lr", ad_runs, ad)
table("non-adaptive, `langevin` noise, cosine decay of g_lr", na_runs, na)
# Test MSE at every tenth of training (eval-tenth-<iteration>.json: `eval
# --checkpoint ... --samples 0`), where measured; A.15's non-adaptive runs
# (constant rate) stand for the constant-rate curve of non-adaptive.
print("Test MSE at every tenth of training (10 % ... 100 %):")
for r in ad_runs + na_runs + find(root, "non-adaptive-importance"):
    row = tenths(os.path.join(root, r))
    if row:
        print(f"  {r}: " + " ".join(f"{x:.5f}" for x in row))
print()

pair_t("Welch t, adaptive-ce minus non-adaptive, both with the cosine decay (|t| > 2 counted as beyond the spread):",
       ad, na, [k for k in ad if k.startswith("FD") or k.startswith("MSE") or k == "test MSE"])

last_stages_t((("adaptive-ce", ad), ("non-adaptive", na)))

# Earlier rows at 7,200 iterations, constant g_lr (3 seeds each): A.10 (the
# same pair), A.11 (single-stage, LEBM at its reference settings), A.15
# (non-adaptive with `importance` noise). The MSE changes are A.10's per-seed
# -0.67 / -1.75 / -2.30 % and -0.35 / -1.36 / -2.63 %.
same = {
    "adaptive-ce": {
        "FD, 100 steps of 0.1": {"constant g_lr (A.10)": (82.37, 2.47)},
        "FD, 60 steps of 0.4": {"constant g_lr (A.10)": (28.75, 1.91)},
        "test MSE": {"constant g_lr (A.10)": (0.03801, 0.00044)},
        "MSE change over the last fifth, %": {"constant g_lr (A.10)": (-1.5733, 0.8292)},
        "FD with 0 stage(s), 100 steps": {"constant g_lr (A.10)": (137.58, 5.01)},
    },
    "non-adaptive": {
        "FD, 100 steps of 0.1": {"constant g_lr (A.10)": (75.17, 3.77)},
        "FD, 60 steps of 0.4": {"constant g_lr (A.10)": (29.33, 0.63)},
        "test MSE": {"constant g_lr (A.10)": (0.03990, 0.00081)},
        "MSE change over the last fifth, %": {"constant g_lr (A.10)": (-1.4467, 1.1425)},
        "FD with 0 stage(s), 100 steps": {"constant g_lr (A.10), the Gaussian prior": (120.30, 5.42)},
    },
}
others = {
    "FD, 100 steps of 0.1": {"single-stage (A.11)": (69.95, 6.31), "LEBM (A.11)": (110.07, 6.36),
                              "non-adaptive importance (A.15)": (38.68, 3.91)},
    "FD, 60 steps of 0.4": {"single-stage (A.11)": (40.57, 10.20), "LEBM (A.11)": (47.82, 4.29)},
    "test MSE": {"single-stage (A.11)": (0.03965, 0.00079), "LEBM (A.11)": (0.03872, 0.00023)},
}
for label, c in (("adaptive-ce", ad), ("non-adaptive", na)):
    against(f"{label} cosine", c, same[label])
    against(f"{label} cosine", c, others)
