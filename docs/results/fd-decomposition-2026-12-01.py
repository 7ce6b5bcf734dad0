#!/usr/bin/env python3
"""Where the FD of the 7,200-iteration runs comes from (docs/RESULTS.md A.13).

Each finished run of runs/reproduce-7200 was evaluated again, with the same
seed and sample count, by a latentebm that also reports the FD of the 1,000
test reconstructions and of the 1,000 test images themselves:

  mpirun -np 2 build/latentebm eval --run-dir RUN --samples 1000 --test-limit 1000 --seed S --out RUN/eval-recon.json

This prints, per run and as mean +- std over seeds, the FD of the
reconstructions, of the test images, of prior samples under the 100-step
sampler (eval-recon.json, checked against the earlier eval.json) and under
LEBM's chains (eval-fd60.json), and the test MSE.
usage: python3 docs/results/fd-decomposition-2026-12-01.py [runs/reproduce-7200]"""
import glob
import json
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench"))
from seed_stats import fmt, stats  # noqa: E402

root = sys.argv[1] if len(sys.argv) > 1 else "runs/reproduce-7200"
keys = ["fd_classifier_reconstructions", "fd_classifier_test_images", "fd_classifier", "fd60", "reconstruction_mse"]
groups = {}
for path in sorted(glob.glob(f"{root}/*/eval-recon.json")):
    run = os.path.dirname(path)
    new, old = json.load(open(path)), json.load(open(f"{run}/eval.json"))
    fd60 = f"{run}/eval-fd60.json"
    new["fd60"] = json.load(open(fd60))["fd_classifier"] if os.path.exists(fd60) else {"value": math.nan}
    agree = all(math.isclose(new[k]["value"], old[k]["value"], rel_tol=1e-7) for k in ("fd_classifier", "reconstruction_mse"))
    v = [new[k]["value"] for k in keys]
    print(f"{os.path.basename(run):32s} FD recon {v[0]:6.2f} | test images {v[1]:5.2f} | samples 100 steps {v[2]:6.2f}"
          f" | 60 steps of 0.4 {v[3]:6.2f} | MSE {v[4]:.5f} | FD100 and MSE as eval.json (rel 1e-7): {agree}")
    groups.setdefault(os.path.basename(run).rsplit("-s", 1)[0], []).append(v)
print()
for name, vs in groups.items():
    cells = [fmt(stats([v[i] for v in vs]), 5 if keys[i] == "reconstruction_mse" else 2) for i in range(len(keys))]
    share = fmt(stats([v[3] - v[0] for v in vs]), 2)
    print(f"{name}: " + " | ".join(f"{k} {c}" for k, c in zip(keys, cells)) + f" | fd60 - recon {share}")
