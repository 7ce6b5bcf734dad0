#!/usr/bin/env python3
"""RESULTS.md A.28: how much each A.26 run's learned prior steers posterior
Langevin (bench/bench_posterior_steering.cpp JSONs, one per run and seed):
the parts of the drift along the chain under p_K, where the ratios move the
chain's end point against the same chain under N(0, I) (shift_base) and
against the chain's own spread (shift_noise), and test MSE at each end
point; mean +- std over seeds 1-3, with paired t over seeds of MSE under
N(0, I) minus under p_K.

usage: python3 docs/results/steering-2026-12-05.py runs/steering
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench"))
from seed_stats import fmt, load, num, paired_t, stats  # noqa: E402

root = sys.argv[1] if len(sys.argv) > 1 else "runs/steering"
SEEDS = (1, 2, 3)
ROWS = [("adaptive-ce", "adaptive-ce"), ("non-adaptive (its prior's ratios, which its training never used)", "non-adaptive"),
        ("single-stage", "single-stage"), ("LEBM, reference settings", "lebm")]
COLS = [("likelihood drift", lambda j: j["drift_likelihood"], 1),
        ("ratio drift", lambda j: j["drift_ratios"], 2),
        ("base drift", lambda j: j["drift_base"], 2),
        ("ratio / likelihood, %", lambda j: 100 * j["drift_ratios"] / j["drift_likelihood"], 2),
        ("shift by the ratios", lambda j: j["shift_base"], 3),
        ("shift by other noise", lambda j: j["shift_noise"], 3),
        ("test MSE, chain under p_K", lambda j: j["mse_prior"], 5),
        ("test MSE, chain under N(0, I)", lambda j: j["mse_base"], 5),
        ("test MSE, p_K, other noise", lambda j: j["mse_prior_other_noise"], 5)]

print("| run | " + " | ".join(c for c, _, _ in COLS) + " |")
print("|---|" + "---|" * len(COLS))
for label, name in ROWS:
    js = [load(f"{root}/{name}-s{s}.json") for s in SEEDS]
    print(f"| {label} | " + " | ".join(fmt(stats([f(j) if j else None for j in js]), d, False) for _, f, d in COLS) + " |")

print("\nPaired over seeds: test MSE under N(0, I) minus under p_K (mean +- std, t), and the same for p_K with "
      "other noise minus p_K:\n")
for label, name in ROWS:
    js = [j for j in (load(f"{root}/{name}-s{s}.json") for s in SEEDS) if j]
    for what, key in (("N(0, I) - p_K", "mse_base"), ("other noise - p_K", "mse_prior_other_noise")):
        d = [j[key] - j["mse_prior"] for j in js]
        st = stats(d)
        t = paired_t(d)
        print(f"- {label}, {what}: {fmt(st, 5, False)} (t = {'nan' if t is None else num(t, 1)})")
