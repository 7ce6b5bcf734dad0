#!/usr/bin/env python3
"""FD under the reference test-time sampler (reproduce.sh's eval.json and
eval-stages-K.json) next to FD under the samplers bench/fd_sampler.sh used,
mean +- std over seeds, with Welch's t for the pairs each table compares.
usage: fd_sampler_tables.py RUNS OUT"""
import glob
import os
import re
import sys

from seed_stats import fmt, load, num, stats, value, welch_t

runs, out = sys.argv[1], sys.argv[2]
SEEDS = ("1", "2", "3")


def fd(path):
    return value(load(path), "fd_classifier")


# sampler tokens as fd_sampler.sh names them: langevin-1000, langevin-60-d0.4, sir-1000
samplers = sorted({re.sub(r"^.*-s\d-((?:langevin|sir)-\d+(?:-d[0-9.]+)?)-k\w*\.json$", r"\1", p)
                   for p in glob.glob(os.path.join(out, "*-s?-*-*-k*.json"))},
                  key=lambda s: (s.split("-")[0], int(s.split("-")[1]), s))


def column(s):
    parts = s.split("-")
    words = f"{parts[0]}, {parts[1]} {'steps' if parts[0] == 'langevin' else 'proposals'}"
    return words + (f", delta {parts[2][1:]}" if len(parts) > 2 else "")


def reference(name, k):
    f = "eval.json" if k == "all" else f"eval-stages-{k}.json"
    return stats([fd(os.path.join(runs, f"{name}-s{s}", f)) for s in SEEDS])


def other(name, k, sampler):
    return stats([fd(os.path.join(out, f"{name}-s{s}-{sampler}-k{k}.json")) for s in SEEDS])


def table(title, rows, pairs):
    """rows: (label, run name, stages); pairs: (label a, label b) to compare."""
    print(f"### {title}\n")
    print("| run | FD, reference sampler (langevin, 100 steps) | " + " | ".join(f"FD, {column(s)}" for s in samplers) + " |")
    print("|---|---|" + "---|" * len(samplers))
    got = {}
    for label, name, k in rows:
        got[label] = [reference(name, k)] + [other(name, k, s) for s in samplers]
        print(f"| {label} | " + " | ".join(fmt(c, 2) for c in got[label]) + " |")
    print()
    for a, b in pairs:
        for i, s in enumerate(["reference sampler"] + samplers):
            t = welch_t(got[a][i], got[b][i])
            if t is not None:
                word = ("lower" if t < 0 else "higher") + " by more than the spread" if abs(t) > 2 else "within the spread"
                print(f"- {a} vs {b}, {s}: {word} (Welch t = {num(t, 1)})")
    print()


print(f"FD-classifier on 1,000 prior samples per run (seeds {', '.join(SEEDS)}; runs of {runs}).\n")
ACE, NA = "adaptive-ce (main-job settings: langevin noise, fixed schedule)", "non-adaptive (same noise)"
table("Every method", [
    (ACE, "adaptive-ce", "4"),
    (NA, "non-adaptive", "4"),
    ("gaussian (= non-adaptive with 0 stages: the same generator)", "non-adaptive", "0"),
    ("single-stage", "single-stage", "all"),
    ("lebm, reference settings", "lebm", "all"),
    ("lebm, our e_lr", "lebm-our-elr", "all"),
], [(ACE, NA), (ACE, "single-stage"), (ACE, "lebm, reference settings"), (ACE, "lebm, our e_lr"),
    (NA, "single-stage")])
table("Noise source and schedule of adaptive-ce", [
    ("langevin, fixed (main job)", "adaptive-ce", "4"),
    ("persistent, fixed", "noise-persistent", "all"),
    ("persistent-langevin, fixed", "noise-persistent-langevin", "all"),
    ("langevin, adaptive schedule", "schedule-adaptive", "all"),
    ("langevin, adaptive schedule (stages at most T/K)", "schedule-adaptive-langevin", "all"),
], [("persistent, fixed", "langevin, fixed (main job)"),
    ("persistent-langevin, fixed", "langevin, fixed (main job)"),
    ("langevin, adaptive schedule", "langevin, fixed (main job)"),
    ("langevin, adaptive schedule (stages at most T/K)", "langevin, fixed (main job)")])
# Table 3 for the adaptive / non-adaptive pair. "4": the stages token of the
# runs' own 4 stages in fd_sampler.sh's default jobs
pair = ("adaptive-ce", "non-adaptive")
table("Stages used (paper Table 3)", [(f"{m}, {k} stage(s)", m, k) for m in pair for k in ("0", "1", "2", "4")],
      [(f"{m}, {b} stage(s)", f"{m}, {a} stage(s)") for m in pair for a, b in (("0", "1"), ("1", "2"), ("2", "4"))]
      + [(f"{pair[0]}, 4 stage(s)", f"{pair[1]}, 4 stage(s)")])
