#!/usr/bin/env python3
"""The core pair with the cosine decay of the generator's rate from twice the
preset's peak (train.g_lr=1e-3, train.g_lr_schedule=cosine) at 7,200
iterations (RESULTS.md A.18): adaptive-ce and non-adaptive, `langevin`
noise, bench/runs.sh's runs `adaptive-ce-cosine2x` and
`non-adaptive-cosine2x`. Seed 1 of adaptive-ce is A.17's pilot (the same
settings, trained from its config file; it has no eval.json, so no FD under
100 steps). Mean +- std over the seeds found, and Welch t against the same
pair at the constant rate (A.10) and with the decay from the preset's rate
(A.16, read from the copies in docs/results).

RESULTS.md A.19 adds the pair (and single-stage NCE with the same decay)
on one FD classifier: the pilot's FD came
from another machine's classifier, so the pair is compared over the runs
under `root` (every seed of both trained on the AMD guest and scored by
the pinned classifier, assets/fashion-mnist.classifier.h5), every quantity
with the stage ablation and the 1,000-step FD; A.18's rows above keep the
pilot as seed 1.

RESULTS.md A.20 adds LEBM at its reference settings with the same decay
(`lebm-cosine2x`), the Gaussian prior (non-adaptive's generator with 0
stages), and FD under 60 steps of 0.4 at 80 and 90 % of training.

RESULTS.md A.21 adds adaptive-ce with `importance` noise, A.22 its fair
pair, non-adaptive with the same noise, A.23 the paper's `persistent` noise,
A.24 `persistent-langevin` noise and the adaptive stage schedule.

usage: python3 docs/results/cosine2x-7200-2026-12-02.py runs/reproduce-7200 [docs/results]
       python3 docs/results/cosine2x-7200-2026-12-02.py docs/results   (the copies kept in git)
"""
import json, os, sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from runs7200 import (collect, fd, find, last_stages_t, load_json, pair_t, stage_ends, stats, table, tenths,  # noqa: E402
                      value, welch_t)

root = sys.argv[1] if len(sys.argv) > 1 else "runs/reproduce-7200"
pilot_root = sys.argv[2] if len(sys.argv) > 2 else here


def quantities(run_dir):
    """{quantity: value} of one finished run (eval-fd60.json and every tenth's MSE)"""
    e60, t = load_json(os.path.join(run_dir, "eval-fd60.json")), tenths(run_dir)
    if not (e60 and t): return None
    q = {"test MSE": t[9],
         "MSE change over the last fifth, %": 100 * (t[9] / t[7] - 1),
         "MSE change over the last tenth, %": 100 * (t[9] / t[8] - 1),
         "FD, 60 steps of 0.4": value(e60, "fd_classifier"),
         "FD of the test reconstructions": value(e60, "fd_classifier_reconstructions")}
    e = load_json(os.path.join(run_dir, "eval.json"))
    if e: q["FD, 100 steps of 0.1"] = value(e, "fd_classifier")
    for s, row in sorted(stage_ends(run_dir).items()): q[f"stage {s} end: nce_loss"] = row["nce_loss"]
    return q, t


def gather(dirs):
    cols, runs, curves = {}, [], {}
    for d in dirs:
        got = quantities(d)
        if not got: continue
        runs.append(os.path.basename(d)); curves[os.path.basename(d)] = got[1]
        for k, v in got[0].items(): cols.setdefault(k, []).append(v)
    return cols, runs, curves


# A.18's rows: seed 1 is the pilot (trained on the Xeon guest); a seed 1 of
# adaptive-ce-cosine2x trained later (A.19, on the AMD guest) is left to A.19's part.
pilot = [os.path.join(pilot_root, "pilot-cosine-glr1e-3-s1")]
ad, ad_runs, ad_curves = gather(pilot + [os.path.join(root, r) for r in find(root, "adaptive-ce-cosine2x")
                                         if not r.endswith("-s1")])
na, na_runs, na_curves = gather([os.path.join(root, r) for r in find(root, "non-adaptive-cosine2x")])
table("adaptive-ce, `langevin` noise, cosine decay from g_lr 1e-3", ad_runs, ad)
table("non-adaptive, `langevin` noise, cosine decay from g_lr 1e-3", na_runs, na)
print("Test MSE at every tenth of training (10 % ... 100 %):")
for r, c in {**ad_curves, **na_curves}.items():
    print(f"  {r}: " + " ".join(f"{x:.5f}" for x in c))
print()


def t_rows(label, ours, rows):
    print(f"Welch t ({label} minus the other row; |t| > 2 counted as beyond the spread):")
    for k, others in rows.items():
        a = stats(ours.get(k, []))
        for name, b in others.items():
            t = welch_t(a, b)
            if t is not None:
                print(f"  {k}: {label} {a[0]:.5g} +- {a[1]:.2g} (n={a[2]}) vs {name} {b[0]:.5g} +- {b[1]:.2g} (n={b[2]}): t = {t:.1f}")
    print()


# A.16: the decay from the preset's rate, 3 seeds each (the copies in docs/results)
a16 = {}
for label in ("adaptive-ce", "non-adaptive"):
    cols, _ = collect(here, find(here, f"{label}-cosine"))
    a16[label] = {k: stats(v) for k, v in cols.items()}
# A.10: the constant rate, 3 seeds each (its runs were lost; the numbers as RESULTS.md A.10 gives them)
a10 = {"adaptive-ce": {"test MSE": (0.03801, 0.00044, 3), "MSE change over the last fifth, %": (-1.5733, 0.8292, 3),
                       "FD, 60 steps of 0.4": (28.75, 1.91, 3), "FD, 100 steps of 0.1": (82.37, 2.47, 3)},
       "non-adaptive": {"test MSE": (0.03990, 0.00081, 3), "MSE change over the last fifth, %": (-1.4467, 1.1425, 3),
                        "FD, 60 steps of 0.4": (29.33, 0.63, 3), "FD, 100 steps of 0.1": (75.17, 3.77, 3)}}
keys = ("test MSE", "MSE change over the last fifth, %", "MSE change over the last tenth, %",
        "FD, 60 steps of 0.4", "FD, 100 steps of 0.1", "FD of the test reconstructions")
for label, ours in (("adaptive-ce", ad), ("non-adaptive", na)):
    if not ours: continue
    t_rows(f"{label} cosine from 1e-3", ours,
           {k: {"constant 5e-4 (A.10)": a10[label][k]} for k in keys if k in a10[label]})
    t_rows(f"{label} cosine from 1e-3", ours,
           {k: {"cosine from 5e-4 (A.16)": a16[label][k]} for k in keys if k in a16[label]})
if ad and na:
    t_rows("adaptive-ce", ad, {k: {"non-adaptive": stats(na[k])} for k in keys if k in na})

# A.19: FD on one classifier. The pilot (seed 1 of adaptive-ce) was scored on
# another machine's classifier; its other seeds and every non-adaptive seed
# on the one cached in data/ (docs/results' copies carry the same JSONs).
ad1, ad1_runs = collect(root, find(root, "adaptive-ce-cosine2x"))
na1, na1_runs = collect(root, find(root, "non-adaptive-cosine2x"))
def classifier(run_dir):
    """the classifier behind a run's FD: its CRC where eval.json records one, else its test accuracy"""
    f = (load_json(os.path.join(run_dir, "eval-fd60.json")) or {}).get("fd_classifier", {})
    return f.get("classifier_crc32") or f"test accuracy {f.get('classifier_test_accuracy')}"


diagnostics = ("noise_mmd2", "noise_logp", "reference_logp", "importance_ess")
def compared(a_cols, b_cols):
    """the keys of b_cols that a_cols has too, without the noise diagnostics and the per-stage rows"""
    return [k for k in b_cols if k in a_cols and not k.endswith(diagnostics) and "stage" not in k]


def against_each(label, cols, others):
    """Welch t of cols minus each (name, other cols) with data, on the quantities both have"""
    for name, other in others:
        if other: pair_t(f"Welch t, {label} minus {name}, one classifier:", cols, other, compared(cols, other))


if ad1 and na1:
    print("FD classifier per run: " + ", ".join(f"{r} {classifier(os.path.join(root, r))}" for r in ad1_runs + na1_runs))
    print()
    table("adaptive-ce, one machine kind, one classifier", ad1_runs, ad1)
    table("non-adaptive, one machine kind, one classifier", na1_runs, na1)
    pair_t("Welch t, adaptive-ce minus non-adaptive, one classifier:", ad1, na1,
           [k for k in ad1 if not k.endswith(diagnostics)])
    last_stages_t([("adaptive-ce", ad1), ("non-adaptive", na1)])

# A.19: single-stage NCE with the same decay (the closest baseline under
# LEBM's chains at the constant rate, A.11), on the same classifier.
ss1, ss1_runs = collect(root, find(root, "single-stage-cosine2x"))
if ss1 and ad1:
    table("single-stage, one classifier", ss1_runs, ss1)
    pair_t("Welch t, adaptive-ce minus single-stage, one classifier:", ad1, ss1, compared(ad1, ss1))
    if na1:
        pair_t("Welch t, non-adaptive minus single-stage, one classifier:", na1, ss1, compared(na1, ss1))

# A.20: LEBM at its reference settings (method traits: e_lr 2e-5, 20
# posterior steps, 60 prior steps at delta 0.4) with the same decay of the
# generator's rate, on the same classifier.
lebm, lebm_runs = collect(root, find(root, "lebm-cosine2x"))
if lebm and ad1:
    print("FD classifier per run: " + ", ".join(f"{r} {classifier(os.path.join(root, r))}" for r in lebm_runs))
    print()
    table("LEBM, reference settings, one classifier", lebm_runs, lebm)
    pair_t("Welch t, adaptive-ce minus LEBM, one classifier:", ad1, lebm, compared(ad1, lebm))
    if na1:
        pair_t("Welch t, non-adaptive minus LEBM, one classifier:", na1, lebm, compared(na1, lebm))
    if ss1:
        pair_t("Welch t, single-stage minus LEBM, one classifier:", ss1, lebm, compared(ss1, lebm))

# A.20: the Gaussian prior. The `gaussian` method trains the generator as
# non-adaptive does (posterior samples under N(0, I)), so its row is
# non-adaptive's generator evaluated with 0 stages under each sampler
# (eval-stages-0, eval-fd60-k0, eval-fd1000-k0); its reconstructions are
# non-adaptive's.
gauss, gauss_runs = {}, []
got = {"FD, 100 steps of 0.1": "eval-stages-0", "FD, 60 steps of 0.4": "eval-fd60-k0",
       "FD, 1,000 steps of 0.1": "eval-fd1000-k0"}
for r in find(root, "non-adaptive-cosine2x"):
    vals = {k: fd(load_json(os.path.join(root, r, f + ".json"))) for k, f in got.items()}
    if any(v is None for v in vals.values()): continue
    gauss_runs.append(r)
    for k, v in vals.items(): gauss.setdefault(k, []).append(v)
if gauss and ad1:
    table("Gaussian prior (non-adaptive's generator, 0 stages), one classifier", gauss_runs, gauss)
    for label, cols in (("adaptive-ce", ad1), ("non-adaptive", na1), ("single-stage", ss1), ("LEBM", lebm)):
        if cols: against_each(label, cols, [("the Gaussian prior", gauss)])

# A.20: is each prior still improving at the end? FD under 60 steps of 0.4
# at 80 / 90 / 100 % of training, where measured (the NCE runs' with all 4
# stages, the 4th still in training before the end).
print("FD under 60 steps of 0.4 at 80 / 90 / 100 % of training:")
for r in lebm_runs + ad1_runs + na1_runs:
    row = [fd(load_json(os.path.join(root, r, f + ".json"))) for f in ("eval-fd60-5760", "eval-fd60-6480", "eval-fd60")]
    if all(v is not None for v in row):
        print(f"  {r}: " + " / ".join(f"{v:.2f}" for v in row) + f" ({100 * (row[2] / row[0] - 1):+.1f} % over the last fifth)")
print()

# A.21: adaptive-ce with `importance` noise (its lowest FD under the 100-step
# sampler at the constant rate, A.14) with the same decay, on the same classifier.
imp, imp_runs = collect(root, find(root, "noise-importance-cosine2x"))
if imp and ad1:
    table("adaptive-ce, `importance` noise, one classifier", imp_runs, imp)
    against_each("adaptive-ce with `importance` noise", imp,
                 [("adaptive-ce with `langevin` noise", ad1), ("non-adaptive", na1), ("single-stage", ss1),
                  ("LEBM", lebm), ("the Gaussian prior", gauss)])
    last_stages_t([("adaptive-ce, `importance` noise", imp)])
    a14 = {"test MSE": (0.03697, 0.00017, 3)}
    t_rows("adaptive-ce `importance` cosine from 1e-3", imp, {k: {"constant 5e-4 (A.14)": v} for k, v in a14.items()})

# A.22: the fair pair of A.21, non-adaptive with `importance` noise with the
# same decay (`non-adaptive-importance-cosine2x`), on the same classifier.
nai, nai_runs = collect(root, find(root, "non-adaptive-importance-cosine2x"))
if nai and imp:
    print("FD classifier per run: " + ", ".join(f"{r} {classifier(os.path.join(root, r))}" for r in nai_runs))
    print()
    table("non-adaptive, `importance` noise, one classifier", nai_runs, nai)
    pair_t("Welch t, adaptive-ce minus non-adaptive, both with `importance` noise, one classifier:", imp, nai,
           [k for k in imp if not k.endswith(diagnostics)])
    against_each("non-adaptive with `importance` noise", nai,
                 [("adaptive-ce with `langevin` noise", ad1), ("non-adaptive with `langevin` noise", na1),
                  ("single-stage", ss1), ("LEBM", lebm), ("the Gaussian prior", gauss)])
    last_stages_t([("non-adaptive, `importance` noise", nai)])
    a15 = {"FD, 100 steps of 0.1": (38.68, 3.91, 3), "FD, 60 steps of 0.4": (73.53, 7.48, 3),
           "FD, 1,000 steps of 0.1": (75.26, 6.74, 3), "test MSE": (0.03971, 0.00072, 3)}
    t_rows("non-adaptive `importance` cosine from 1e-3", nai, {k: {"constant 5e-4 (A.15)": v} for k, v in a15.items()})

# A.23: the paper's own noise, `persistent` (the bank snapshot, samples of
# q_{k-1}), with the same decay (`noise-persistent-cosine2x`), on the same classifier.
per, per_runs = collect(root, find(root, "noise-persistent-cosine2x"))
if per and ad1:
    table("adaptive-ce, `persistent` noise, one classifier", per_runs, per)
    against_each("adaptive-ce with `persistent` noise", per,
                 [("adaptive-ce with `langevin` noise", ad1), ("adaptive-ce with `importance` noise", imp),
                  ("non-adaptive", na1), ("single-stage", ss1), ("LEBM", lebm), ("the Gaussian prior", gauss)])
    pair_t("Welch t, `persistent` minus `langevin` noise (adaptive-ce), stage ablation, NCE loss and noise MMD^2:",
           per, ad1, [k for k in per if "stage" in k and not k.endswith(("noise_logp", "reference_logp", "importance_ess"))])
    last_stages_t([("adaptive-ce, `persistent` noise", per)])
    a12 = {"FD, 100 steps of 0.1": (77.46, 5.72, 3), "FD, 60 steps of 0.4": (118.80, 9.69, 3),
           "test MSE": (0.03817, 0.00062, 3)}
    t_rows("adaptive-ce `persistent` cosine from 1e-3", per, {k: {"constant 5e-4 (A.12)": v} for k, v in a12.items()})

# A.24: the last two settings of issue 12 not yet run at the converged
# budget, with the same decay and classifier: `persistent-langevin` noise (the
# bank snapshot moved by M steps of prior Langevin under p_k,
# `noise-persistent-langevin-cosine2x`) and the adaptive stage schedule with
# `langevin` noise and the fixed schedule's stage length as its cap
# (`schedule-adaptive-langevin-cosine2x`; RESULTS.md A.24 says where each
# was trained).
def stage_starts(run_dir):
    """the adaptive schedule's stage starts as metrics.jsonl last logged them"""
    starts = None
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        for line in f:
            if '"stage_starts"' in line:
                starts = json.loads(line)["stage_starts"]
    return starts


constant_a12 = {  # RESULTS.md A.12, constant rate 5e-4, 3 seeds each
    "noise-persistent-langevin-cosine2x": {"FD, 100 steps of 0.1": (89.04, 2.44, 3), "FD, 60 steps of 0.4": (47.11, 6.88, 3),
                                           "test MSE": (0.03800, 0.00046, 3)},
    "schedule-adaptive-langevin-cosine2x": {"FD, 100 steps of 0.1": (90.45, 0.65, 3), "FD, 60 steps of 0.4": (31.74, 5.42, 3),
                                            "test MSE": (0.03790, 0.00051, 3)}}
for run_name, label in (("noise-persistent-langevin-cosine2x", "adaptive-ce, `persistent-langevin` noise"),
                        ("schedule-adaptive-langevin-cosine2x", "adaptive-ce, `langevin` noise, adaptive schedule")):
    got, got_runs = collect(root, find(root, run_name))
    if not (got and ad1): continue
    print("FD classifier per run: " + ", ".join(f"{r} {classifier(os.path.join(root, r))}" for r in got_runs))
    if run_name.startswith("schedule"):
        print("stage starts per run: " + "; ".join(f"{r} {stage_starts(os.path.join(root, r))}" for r in got_runs))
    print()
    table(f"{label}, one classifier", got_runs, got)
    against_each(label, got,
                 [("adaptive-ce with `langevin` noise, fixed schedule", ad1), ("adaptive-ce with `importance` noise", imp),
                  ("adaptive-ce with `persistent` noise", per), ("non-adaptive", na1),
                  ("non-adaptive with `importance` noise", nai), ("single-stage", ss1), ("LEBM", lebm),
                  ("the Gaussian prior", gauss)])
    pair_t(f"Welch t, {label} minus adaptive-ce with `langevin` noise and the fixed schedule, stage ablation and NCE loss:",
           got, ad1, [k for k in got if "stage" in k and not k.endswith(("noise_logp", "reference_logp", "importance_ess"))])
    last_stages_t([(label, got)])
    t_rows(f"{label} cosine from 1e-3", got, {k: {"constant 5e-4 (A.12)": v} for k, v in constant_a12[run_name].items()})
