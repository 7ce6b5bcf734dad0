#!/usr/bin/env python3
"""Markdown tables of bench/reproduce.sh's results (eval.json, anomaly.json).
usage: results_tables.py OUT FM_ITERS FM_LIMIT AD_ITERS AD_LIMIT RANKS SECONDS [TAG [LR_SCALE]]"""
import json
import os
import platform
import subprocess
import sys

out, fm_iters, fm_limit, ad_iters, ad_limit, ranks, seconds = sys.argv[1:8]
tag = sys.argv[8] if len(sys.argv) > 8 else ""
lr_scale = sys.argv[9] if len(sys.argv) > 9 else "1"
lrs = "paper learning rates" if lr_scale in ("1", "") else f"learning rates x {lr_scale}"


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def val(e, key, fmt="{:.4f}"):
    if e is None or key not in e or "value" not in e[key]:
        return "n/a"
    return fmt.format(e[key]["value"])


cpu = "unknown CPU"
try:
    for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
        if line.startswith("Model name:"):
            cpu = line.split(":", 1)[1].strip()
except OSError:
    pass
print(f"Machine: {os.cpu_count()} x {cpu}, {platform.system()} {platform.release()}; {ranks} MPI ranks, 1 thread each; "
      f"all runs took {int(seconds) // 60} min {int(seconds) % 60} s; {lrs}.\n")

methods = ["adaptive-ce", "gaussian", "single-stage", "non-adaptive", "lebm"]
print(f"### Fashion-MNIST: every method ({fm_iters} iterations, {fm_limit} training images, batch 64, seed 1, {lrs})\n")
print("| method | FD (classifier features, 1000 samples) | test MSE (500 images) | prior parameters | generator parameters |")
print("|---|---|---|---|---|")
acc = None
for m in methods:
    e = load(f"{out}/fmnist{tag}-{m}/eval.json")
    prior = gen = "n/a"
    if e and "parameters" in e:
        prior, gen = e["parameters"]["prior"], e["parameters"]["generator"]
    if e and "fd_classifier" in e and "classifier_test_accuracy" in e["fd_classifier"]:
        acc = e["fd_classifier"]["classifier_test_accuracy"]
    print(f"| {m} | {val(e, 'fd_classifier', '{:.3f}')} | {val(e, 'reconstruction_mse', '{:.5f}')} | {prior} | {gen} |")
if acc is not None:
    print(f"\nFeature classifier test accuracy: {acc:.4f}.\n")

print("### Fashion-MNIST: stages used, adaptive vs non-adaptive (paper Table 3)\n")
print("| stages | adaptive FD | adaptive MSE | non-adaptive FD | non-adaptive MSE |")
print("|---|---|---|---|---|")
for k in [0, 1, 2, 4]:
    a = load(f"{out}/fmnist{tag}-adaptive-ce/eval-stages-{k}.json")
    n = load(f"{out}/fmnist{tag}-non-adaptive/eval-stages-{k}.json")
    print(f"| {k} | {val(a, 'fd_classifier', '{:.3f}')} | {val(a, 'reconstruction_mse', '{:.5f}')} | "
          f"{val(n, 'fd_classifier', '{:.3f}')} | {val(n, 'reconstruction_mse', '{:.5f}')} |")

print(f"\n### MNIST subset: anomaly detection (paper Table 2; {ad_iters} iterations, {ad_limit} training images, "
      "1000 test images, mean +- std over the last evaluations)\n")
print("| held-out digit | adaptive-ce AUPRC | lebm AUPRC | gaussian AUPRC | adaptive-ce AUROC | lebm AUROC | gaussian AUROC |")
print("|---|---|---|---|---|---|---|")
for d in [1, 4, 5, 7, 9]:
    cells_p, cells_r = [], []
    for m in ["adaptive-ce", "lebm", "gaussian"]:
        a = load(f"{out}/mnist{tag}-holdout-{d}-{m}/anomaly.json")
        if a is None:
            cells_p.append("n/a")
            cells_r.append("n/a")
        else:
            cells_p.append(f"{a['auprc_mean']:.3f} +- {a['auprc_std']:.3f} (n={a['window']})")
            cells_r.append(f"{a['auroc_mean']:.3f} +- {a['auroc_std']:.3f}")
    print(f"| {d} | " + " | ".join(cells_p + cells_r) + " |")
