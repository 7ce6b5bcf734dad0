#!/usr/bin/env python3
"""Markdown tables of bench/reproduce.sh's results, mean +- std over seeds.
usage: results_tables.py OUT ITERS RANKS "SEEDS" [DATASET]
(DATASET: reproduce.sh's, fashion-mnist or mnist; it names the tables)

For each comparison with the row marked as ours, one sentence says whether the
difference of the means exceeds the spread over seeds: Welch's t statistic
|t| > 2 (at least 2 seeds on each side); otherwise "within the spread"."""
import os
import platform
import subprocess
import sys

import anomaly_tables
from seed_stats import fmt, load, stats, value, verdict

out, iters, ranks, seeds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split()
dataset = sys.argv[5] if len(sys.argv) > 5 else "fashion-mnist"
DATA = {"fashion-mnist": "Fashion-MNIST", "mnist": "MNIST subset (all ten digits)"}[dataset]


def per_seed(name, fn):
    return [fn(load(f"{out}/{name}-s{s}/eval.json"), s) for s in seeds]


cpu = "unknown CPU"
try:
    for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
        if line.startswith("Model name:"):
            cpu = line.split(":", 1)[1].strip()
except OSError:
    pass
print(f"Machine: {os.cpu_count()} x {cpu}, {platform.system()} {platform.release()}; {ranks} MPI ranks, 1 thread each; "
      f"{iters} iterations per {DATA} run; seeds {' '.join(seeds)}.\n")

fd = lambda e, s: value(e, "fd_classifier")
mse = lambda e, s: value(e, "reconstruction_mse")
# FD of the test reconstructions: what the samples would score if the prior
# matched the aggregate posterior (eval.json of latentebm builds since 2026-12-01).
fd_recon = lambda e, s: value(e, "fd_classifier_reconstructions")


def convergence(name):
    """Test MSE at 80 %, 90 % and 100 % of training, over seeds."""
    return [stats([value(load(f"{out}/{name}-s{s}/{f}"), "reconstruction_mse") for s in seeds])
            for f in ("eval-80.json", "eval-90.json", "eval.json")]


def same_as(name):
    """The run name that every seed of NAME links to (reproduce.sh links a run
    whose settings make it the same run as another), or None."""
    paths = [f"{out}/{name}-s{s}" for s in seeds]
    if not all(os.path.islink(p) for p in paths):
        return None
    targets = {os.path.basename(os.readlink(p)).rsplit("-s", 1)[0] for p in paths}
    return targets.pop() if len(targets) == 1 and name not in targets else None


def table(title, rows, ours):
    """One row per run name with results (none: no table), and the verdict of
    ours against each other row."""
    skipped = [label for name, label in rows if stats(per_seed(name, mse)) is None]
    rows = [(name, label) for name, label in rows if label not in skipped]
    if not rows:
        return
    print(f"### {title}\n")
    print("| run | FD (classifier features, 1000 samples) | FD of 1000 test reconstructions (a prior matching the "
          "aggregate posterior) | test MSE (1000 images) | MSE at 80 % / 90 % of training |")
    print("|---|---|---|---|---|")
    results = {}
    for name, label in rows:
        f, m = stats(per_seed(name, fd)), stats(per_seed(name, mse))
        c80, c90, _ = convergence(name)
        results[name] = (f, m)
        same = same_as(name)
        shown = f"{label} (the same runs as `{same}`)" if same else label
        print(f"| {shown} | {fmt(f, 2)} | {fmt(stats(per_seed(name, fd_recon)), 2)} | {fmt(m, 5)} | "
              f"{fmt(c80, 5)} / {fmt(c90, 5)} |")
    print()
    if skipped:
        print("Not run in this reproduction: " + "; ".join(skipped) + ".\n")
    if ours in results:
        for name, label in rows:
            if name == ours:
                continue
            print(f"- FD, {dict(rows)[ours]} vs {label}: {verdict(results[ours][0], results[name][0])}.")
        print()


table(f"{DATA}: every method (paper Table 1)",
      [("adaptive-ce", "adaptive-ce (main-job settings: langevin noise, fixed schedule)"), ("gaussian", "gaussian"),
       ("single-stage", "single-stage"), ("non-adaptive", "non-adaptive, same noise as adaptive-ce"),
       ("non-adaptive-importance", "non-adaptive, importance noise"),
       ("lebm", "lebm, reference settings"), ("lebm-our-elr", "lebm, our e_lr")],
      "adaptive-ce")

table(f"{DATA}: noise source and stage schedule of adaptive-ce",
      [("noise-persistent", "persistent, fixed schedule"),
       ("noise-persistent-langevin", "persistent-langevin, fixed schedule"),
       ("noise-importance", "importance, fixed schedule"),
       ("schedule-adaptive", "langevin, adaptive schedule"),
       ("schedule-adaptive-langevin", "langevin, adaptive schedule (stages at most ITERS/4)"),
       ("adaptive-ce", "langevin, fixed schedule (main-job settings)")],
      "adaptive-ce")

def stages_table(title, adaptive, non_adaptive):
    """Table 3: FD and MSE with 0, 1, 2, 4 of the runs' stages (eval-stages-K.json)."""
    got = {(m, k): [load(f"{out}/{m}-s{s}/eval-stages-{k}.json") for s in seeds]
           for m in (adaptive, non_adaptive) for k in (0, 1, 2, 4)}
    if not any(any(v) for v in got.values()):
        return
    print(f"### {title}\n")
    print("| stages | adaptive FD | non-adaptive FD | adaptive MSE | non-adaptive MSE |")
    print("|---|---|---|---|---|")
    for k in [0, 1, 2, 4]:
        cells = [fmt(stats([value(e, key) for e in got[(m, k)]]), 2 if key == "fd_classifier" else 5)
                 for key in ("fd_classifier", "reconstruction_mse") for m in (adaptive, non_adaptive)]
        print(f"| {k} | " + " | ".join(cells) + " |")
    print()


# the converged recipe (RESULTS.md A.18-A.20): every run's generator rate
# decayed to 0 by half a cosine from twice the preset's (bench/runs.sh -cosine2x)
table(f"{DATA}: every method, generator rate decayed by a cosine from twice the preset's (-cosine2x runs)",
      [("adaptive-ce-cosine2x", "adaptive-ce (main-job settings)"),
       ("non-adaptive-cosine2x", "non-adaptive, same noise as adaptive-ce"),
       ("single-stage-cosine2x", "single-stage"), ("lebm-cosine2x", "lebm, reference settings"),
       ("gaussian-cosine2x", "gaussian")],
      "adaptive-ce-cosine2x")

stages_table(f"{DATA}: stages used, adaptive vs non-adaptive (paper Table 3)", "adaptive-ce", "non-adaptive")
stages_table(f"{DATA}: stages used, adaptive vs non-adaptive, generator rate decayed by a cosine from twice the "
             "preset's (paper Table 3)", "adaptive-ce-cosine2x", "non-adaptive-cosine2x")

def anomaly_run(d, m, recipe, s):
    """The run directory of digit d held out, method m, AD_RECIPE suffix recipe, seed s."""
    return f"{out}/anomaly-{d}-{m}{recipe}-s{s}"


def score_auprc(path):
    """AUPRC from a `score --anomaly-label` log (its line "auprc A auroc B ..."), or None."""
    try:
        for line in open(path):
            if line.startswith("auprc "):
                return float(line.split()[1])
    except OSError:
        pass
    return None


def anomaly_value(recipe):
    """anomaly_tables' get(digit, method, seed, column) over the run folders anomaly-D-M<recipe>-sS."""
    def get(d, m, s, column):
        run = anomaly_run(d, m, recipe, s)
        if column == "auprc":
            x = load(f"{run}/anomaly.json")
            return x["auprc_mean"] if x else None
        if column in ("mse_at80", "mse"):
            return value(load(f"{run}/eval-{80 if column == 'mse_at80' else 100}.json"), "reconstruction_mse")
        return score_auprc(f"{run}/score-prior-{'all' if column == 'auprc_score' else '0'}.log")
    return get


def anomaly_table(recipe, title):
    anomaly_tables.anomaly_table(title, anomaly_value(recipe), seeds)


anomaly_table("", "MNIST subset: anomaly detection, AUPRC (paper Table 2; per seed the mean of the last 5 evaluations)")
anomaly_table("-cosine2x", "MNIST subset: anomaly detection, AUPRC, generator rate decayed by a cosine from twice the "
              "preset's (AD_RECIPE=cosine2x; per seed the mean of the last 5 evaluations)")

mech = f"{out}/mechanism.md"
if os.path.exists(mech):
    print("### Mechanism study without a generator\n")
    print(open(mech).read())
