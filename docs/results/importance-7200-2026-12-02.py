#!/usr/bin/env python3
"""`importance` noise at 7,200 iterations (RESULTS.md A.14): adaptive-ce
(noise-importance runs) and, where its runs exist, non-adaptive
(non-adaptive-importance runs, the fair pair); mean +- std over the seeds
found, per-stage diagnostics at each stage's end, Welch t of the pair, and
Welch t of each of the two against rows of earlier sections (their means
and stds, 3 seeds).

usage: python3 docs/results/importance-7200-2026-12-02.py runs/reproduce-7200
       python3 docs/results/importance-7200-2026-12-02.py docs/results   (the copies kept in git)
"""
import json, os, re, sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench"))
from seed_stats import load as load_json, stats, value, welch_t  # noqa: E402

root = sys.argv[1] if len(sys.argv) > 1 else "runs/reproduce-7200"

def find(name):
    """runs/reproduce-7200/NAME-sS, or their copies docs/results/reproduce-7200-NAME-sS"""
    return sorted(d for d in os.listdir(root)
                  if re.search(rf"(^|-){name}-s\d+$", d) and os.path.isdir(os.path.join(root, d)))

def load(run, name): return load_json(os.path.join(root, run, name + ".json"))
def fd(d): return value(d, "fd_classifier")
def mse(d): return value(d, "reconstruction_mse")

def collect(runs):
    """{quantity: [value per seed]} over the finished runs, and those runs"""
    cols, done = {}, []
    def add(key, v):
        if v is not None: cols.setdefault(key, []).append(v)
    for r in runs:
        e, e60, e80 = load(r, "eval"), load(r, "eval-fd60"), load(r, "eval-80")
        if not (e and e60): continue
        done.append(r)
        add("FD, 100 steps of 0.1", fd(e))
        add("FD, 60 steps of 0.4", fd(e60))
        add("FD, 1,000 steps of 0.1", fd(load(r, "eval-fd1000")))
        rec = value(e, "fd_classifier_reconstructions")
        add("FD of the test reconstructions", rec)
        if rec is not None: add("samples (60 of 0.4) minus reconstructions", fd(e60) - rec)
        add("test MSE", mse(e))
        if e80: add("MSE change over the last fifth, %", 100 * (mse(e) / mse(e80) - 1))
        for k in (0, 1, 2):
            add(f"FD with {k} stage(s), 100 steps", fd(load(r, f"eval-stages-{k}")))
        for k in (1, 2):
            add(f"FD with {k} stage(s), 60 steps of 0.4", fd(load(r, f"eval-fd60-k{k}")))
        rows = [json.loads(l) for l in open(os.path.join(root, r, "metrics.jsonl"))]
        last = {}
        for row in rows:
            if "nce_loss" in row and "noise_mmd2" in row: last[row["stage"]] = row
        for s, row in sorted(last.items()):
            for key in ("nce_loss", "noise_mmd2", "noise_logp", "reference_logp", "importance_ess"):
                if key in row: add(f"stage {s} end: {key}", row[key])
    return cols, done

def table(title, runs, cols):
    print(f"{title}\nruns: {', '.join(runs)}\n")
    print("| quantity | mean +- std | per seed |\n|---|---|---|")
    for k, v in cols.items():
        m, s, n = stats(v)
        print(f"| {k} | {m:.5g} +- {s:.2g} (n={n}) | {', '.join(f'{x:.5g}' for x in v)} |")
    print()

cols, runs = collect(find("noise-importance"))
table("adaptive-ce, `importance` noise", runs, cols)
pair, pair_runs = collect(find("non-adaptive-importance"))
if pair:
    table("non-adaptive, `importance` noise (the fair pair)", pair_runs, pair)
    print("Welch t, adaptive-ce minus non-adaptive, both with `importance` noise"
          " (|t| > 2 counted as beyond the spread):")
    for k in cols:
        if not k.startswith("FD") and k not in ("test MSE", "MSE change over the last fifth, %"):
            continue
        a, b = stats(cols[k]), stats(pair.get(k, []))
        t = welch_t(a, b)
        if t is not None:
            print(f"  {k}: {a[0]:.5g} vs {b[0]:.5g}: t = {t:.1f}")
    print()

print("Welch t, 4 stages minus 2 stages, FD under 60 steps of 0.4 (the last two stages' effect):")
for label, c in (("adaptive-ce", cols), ("non-adaptive", pair)):
    a, b = stats(c.get("FD, 60 steps of 0.4", [])), stats(c.get("FD with 2 stage(s), 60 steps of 0.4", []))
    t = welch_t(a, b)
    if t is not None:
        print(f"  {label}: {a[0]:.5g} vs {b[0]:.5g}: t = {t:.1f}")
print()

# Earlier rows (3 seeds each): RESULTS.md A.10-A.13. The Gaussian prior is
# non-adaptive's generator (`langevin` noise) with 0 stages.
ref = {
    "FD, 100 steps of 0.1": {"langevin (A.10)": (82.37, 2.47), "persistent (A.12)": (77.46, 5.72),
                              "single-stage (A.11)": (69.95, 6.31), "non-adaptive (A.10)": (75.17, 3.77)},
    "FD, 60 steps of 0.4": {"langevin (A.10)": (28.75, 1.91), "persistent (A.12)": (118.80, 9.69),
                             "persistent-langevin (A.12)": (47.11, 6.88), "single-stage (A.11)": (40.57, 10.20)},
    "test MSE": {"langevin (A.10)": (0.03801, 0.00044), "persistent (A.12)": (0.03817, 0.00062),
                 "non-adaptive (A.10)": (0.03990, 0.00081)},
    "FD with 0 stage(s), 100 steps": {"Gaussian prior (A.11)": (120.30, 5.42)},
    "FD of the test reconstructions": {"adaptive schedule (A.13)": (17.64, 0.41),
                                       "persistent (A.13)": (18.15, 0.25)},
}
for label, c in (("adaptive-ce importance", cols), ("non-adaptive importance", pair)):
    if not c: continue
    print(f"Welch t ({label} minus the other row; |t| > 2 counted as beyond the spread):")
    for k, others in ref.items():
        ours = stats(c.get(k, []))
        for name, (m2, s2) in others.items():
            t = welch_t(ours, (m2, s2, 3))
            if t is not None:
                print(f"  {k}: {label} {ours[0]:.5g} vs {name} {m2:.5g}: t = {t:.1f}")
    print()
