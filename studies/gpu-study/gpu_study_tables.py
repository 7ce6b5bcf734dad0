#!/usr/bin/env python3
"""Markdown tables of studies/gpu-study/run.sh's runs, mean +- std over seeds.
usage: gpu_study_tables.py RUNS ITERS

RUNS holds NAME-sSEED run directories with eval.json (FD under the run's
sampler, test MSE), eval-60.json (FD under 60 steps of delta 0.4),
eval-P.json (test MSE at P % of training) and eval-stages-K.json (the
ablation). Verdicts as in results_tables.py: |Welch t| > 2 exceeds the spread."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from seed_stats import fmt, load, stage_end_losses, stats, value, verdict  # noqa: E402

runs, iters = sys.argv[1], int(sys.argv[2])
ORDER = ["adaptive-ce-langevin", "non-adaptive-langevin", "lebm", "lebm-our-elr"]
LABEL = {
    "adaptive-ce-langevin": "adaptive-ce, langevin noise, fixed schedule",
    "non-adaptive-langevin": "non-adaptive, langevin noise",
    "lebm": "LEBM, reference settings",
    "lebm-our-elr": "LEBM, our e_lr",
}
OURS = "adaptive-ce-langevin"

seeds = {}
for d in sorted(os.listdir(runs)):
    m = re.fullmatch(r"(.+)-s(\d+)", d)
    if m and os.path.isdir(os.path.join(runs, d)):
        seeds.setdefault(m.group(1), []).append(m.group(2))
names = [n for n in ORDER if n in seeds] + sorted(n for n in seeds if n not in ORDER)


def over_seeds(name, file, key):
    return stats([value(load(f"{runs}/{name}-s{s}/{file}"), key) for s in seeds[name]])


def last_fifth(name):
    """Relative change of the test MSE from 80 % to 100 % of training, over seeds."""
    rel = []
    for s in seeds[name]:
        a = value(load(f"{runs}/{name}-s{s}/eval-80.json"), "reconstruction_mse")
        b = value(load(f"{runs}/{name}-s{s}/eval.json"), "reconstruction_mse")
        rel.append(None if a is None or b is None else 100.0 * (b - a) / a)
    return stats(rel)


def stage_nce(name):
    """Per stage, the mean of its last 5 logged NCE losses, averaged over seeds."""
    per_stage = {}
    for s in seeds[name]:
        for k, loss in (stage_end_losses(f"{runs}/{name}-s{s}") or {}).items():
            per_stage.setdefault(k, []).append(loss)
    return {k: stats(v) for k, v in sorted(per_stage.items())}


gpu = "unknown GPU"
try:
    gpu = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True,
                         text=True).stdout.splitlines()[0]
except (OSError, IndexError):
    pass
print(f"{gpu}, {os.cpu_count()} cores; every run one rank on the GPU, all side by side; {iters} iterations per run "
      f"(global batch 64, the full training split); seeds {' '.join(sorted({s for v in seeds.values() for s in v}))}.\n")

print("| run | FD, 100-step sampler | FD, 60 steps of 0.4 | test MSE | MSE at 50 / 80 / 90 % | MSE change, last fifth |")
print("|---|---|---|---|---|---|")
fd, fd60 = {}, {}
for n in names:
    fd[n] = over_seeds(n, "eval.json", "fd_classifier")
    fd60[n] = over_seeds(n, "eval-60.json", "fd_classifier")
    mse = over_seeds(n, "eval.json", "reconstruction_mse")
    steps = " / ".join(fmt(over_seeds(n, f"eval-{p}.json", "reconstruction_mse"), 5, count=False) for p in (50, 80, 90))
    print(f"| {LABEL.get(n, n)} | {fmt(fd[n], 2)} | {fmt(fd60[n], 2)} | {fmt(mse, 5)} | {steps} | {fmt(last_fifth(n), 2)} % |")
print()
if OURS in names:
    for n in names:
        if n != OURS:
            print(f"- {LABEL[OURS]} vs {LABEL.get(n, n)}: FD (100 steps) {verdict(fd[OURS], fd[n])}; "
                  f"FD (60 steps of 0.4) {verdict(fd60[OURS], fd60[n])}.")
    print()

print("Final prior loss per stage (mean of the stage's last 5 logged values; for the NCE methods chance is log 4 = 1.386, "
      "for LEBM it is its maximum-likelihood loss):\n")
for n in names:
    per = stage_nce(n)
    if per:
        print(f"- {LABEL.get(n, n)}: " + "; ".join(f"stage {k} {fmt(v, 3)}" for k, v in per.items()))
print()

abl = [n for n in names if os.path.exists(f"{runs}/{n}-s{seeds[n][0]}/eval-stages-0.json")]
if abl:
    print("FD (100-step sampler) with K of the run's stages (paper Table 3):\n")
    print("| run | K = 0 | K = 1 | K = 2 | K = 4 |")
    print("|---|---|---|---|---|")
    for n in abl:
        cells = [fmt(over_seeds(n, f"eval-stages-{k}.json", "fd_classifier"), 2) for k in (0, 1, 2)]
        print(f"| {LABEL.get(n, n)} | " + " | ".join(cells) + f" | {fmt(fd[n], 2)} |")
    print()
