"""The tables of the converged recipe on Fashion-MNIST (journal A.17-A.24),
from this study's runs.csv: converged-recipe.txt, once
docs/results/cosine2x-7200-2026-12-02.py over the run directories; the
same text, now from the summary (the "runs:" lines name <run>-s<seed>, and
each run's FD classifier by its test accuracy).

A.18: adaptive-ce with the cosine decay of the generator's rate from twice
the preset's peak (train.g_lr=1e-3, train.g_lr_schedule=cosine), with A.17's
pilot as its seed 1 (trained on an Intel Xeon guest, FD on that guest's
classifier; it has no FD under 100 steps); Welch t against the same pair at
the constant rate (A.10, whose runs were lost: their means as the journal
gives them) and with the decay from the preset's rate (A.16, from
studies/fashion-preset-rate/runs.csv).
A.19: the pair and single-stage on one classifier (every seed on the AMD
guests, the pinned classifier); A.20: LEBM at its reference settings and
the Gaussian prior (non-adaptive's generator with 0 stages), FD under 60
steps of 0.4 at 80 and 90 % of training; A.21: adaptive-ce with `importance`
noise; A.22 its fair pair; A.23 `persistent` noise; A.24
`persistent-langevin` noise and the adaptive stage schedule.

usage: python3 studies/fashion-7200-methods/summarize.py   (writes converged-recipe.txt)"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import summary  # noqa: E402
from journal_tables import (collect, label, last_stages_t, pair_t, runs_of, stats, table, tenths,  # noqa: E402
                            welch_t)

PRESET_RATE = os.path.join(HERE, "..", "fashion-preset-rate", "runs.csv")
diagnostics = ("noise_mmd2", "noise_logp", "reference_logp", "importance_ess")


def quantities(row):
    """{quantity: value} of one finished run of A.18's rows (FD under 60 steps and every tenth's MSE)"""
    t = tenths(row)
    if row.get("fd_langevin60x0.4") is None or not t:
        return None
    q = {"test MSE": t[9],
         "MSE change over the last fifth, %": 100 * (t[9] / t[7] - 1),
         "MSE change over the last tenth, %": 100 * (t[9] / t[8] - 1),
         "FD, 60 steps of 0.4": row["fd_langevin60x0.4"],
         "FD of the test reconstructions": row["fd_recon"]}
    if row.get("fd_langevin100x0.1") is not None:
        q["FD, 100 steps of 0.1"] = row["fd_langevin100x0.1"]
    for s in range(4):
        if row.get(f"nce_last_stage{s}") is not None:
            q[f"stage {s} end: nce_loss"] = row[f"nce_last_stage{s}"]
    return q, t


def gather(rows):
    cols, runs, curves = {}, [], {}
    for row in rows:
        got = quantities(row)
        if not got: continue
        runs.append(label(row)); curves[label(row)] = got[1]
        for k, v in got[0].items(): cols.setdefault(k, []).append(v)
    return cols, runs, curves


def t_rows(label, ours, rows):
    print(f"Welch t ({label} minus the other row; |t| > 2 counted as beyond the spread):")
    for k, others in rows.items():
        a = stats(ours.get(k, []))
        for name, b in others.items():
            t = welch_t(a, b)
            if t is not None:
                print(f"  {k}: {label} {a[0]:.5g} +- {a[1]:.2g} (n={a[2]}) vs {name} {b[0]:.5g} +- {b[1]:.2g} (n={b[2]}): t = {t:.1f}")
    print()


def classifier(row):
    """the classifier behind a run's FD, by its test accuracy"""
    return f"test accuracy {row.get('fd_classifier_accuracy')}"


def compared(a_cols, b_cols):
    """the keys of b_cols that a_cols has too, without the noise diagnostics and the per-stage rows"""
    return [k for k in b_cols if k in a_cols and not k.endswith(diagnostics) and "stage" not in k]


def against_each(label, cols, others):
    """Welch t of cols minus each (name, other cols) with data, on the quantities both have"""
    for name, other in others:
        if other: pair_t(f"Welch t, {label} minus {name}, one classifier:", cols, other, compared(cols, other))


def stage_starts(row):
    """the adaptive schedule's stage starts as metrics.jsonl last logged them"""
    if row.get("stage_start1") is None:
        return None
    return [0] + [int(row[f"stage_start{k}"]) for k in (1, 2, 3) if row.get(f"stage_start{k}") is not None]


def converged_recipe(rows):
    # A.18's rows: seed 1 is the pilot (trained on the Xeon guest); a seed 1 of
    # adaptive-ce-cosine2x trained later (A.19, on the AMD guest) is left to A.19's part.
    ad, ad_runs, ad_curves = gather(runs_of(rows, "pilot-cosine-glr1e-3")
                                    + [r for r in runs_of(rows, "adaptive-ce-cosine2x") if r["seed"] != 1])
    na, na_runs, na_curves = gather(runs_of(rows, "non-adaptive-cosine2x"))
    table("adaptive-ce, `langevin` noise, cosine decay from g_lr 1e-3", ad_runs, ad)
    table("non-adaptive, `langevin` noise, cosine decay from g_lr 1e-3", na_runs, na)
    print("Test MSE at every tenth of training (10 % ... 100 %):")
    for r, c in {**ad_curves, **na_curves}.items():
        print(f"  {r}: " + " ".join(f"{x:.5f}" for x in c))
    print()

    # A.16: the decay from the preset's rate, 3 seeds each (studies/fashion-preset-rate)
    a16 = {}
    if os.path.exists(PRESET_RATE):
        preset = summary.read_csv(PRESET_RATE)
        for name in ("adaptive-ce", "non-adaptive"):
            cols, _ = collect(runs_of(preset, f"{name}-cosine"))
            a16[name] = {k: stats(v) for k, v in cols.items()}
    # A.10: the constant rate, 3 seeds each (its runs were lost; the numbers as the journal's A.10 gives them)
    a10 = {"adaptive-ce": {"test MSE": (0.03801, 0.00044, 3), "MSE change over the last fifth, %": (-1.5733, 0.8292, 3),
                           "FD, 60 steps of 0.4": (28.75, 1.91, 3), "FD, 100 steps of 0.1": (82.37, 2.47, 3)},
           "non-adaptive": {"test MSE": (0.03990, 0.00081, 3), "MSE change over the last fifth, %": (-1.4467, 1.1425, 3),
                            "FD, 60 steps of 0.4": (29.33, 0.63, 3), "FD, 100 steps of 0.1": (75.17, 3.77, 3)}}
    keys = ("test MSE", "MSE change over the last fifth, %", "MSE change over the last tenth, %",
            "FD, 60 steps of 0.4", "FD, 100 steps of 0.1", "FD of the test reconstructions")
    for name, ours in (("adaptive-ce", ad), ("non-adaptive", na)):
        if not ours: continue
        t_rows(f"{name} cosine from 1e-3", ours,
               {k: {"constant 5e-4 (A.10)": a10[name][k]} for k in keys if k in a10[name]})
        if name in a16:
            t_rows(f"{name} cosine from 1e-3", ours,
                   {k: {"cosine from 5e-4 (A.16)": a16[name][k]} for k in keys if k in a16[name]})
    if ad and na:
        t_rows("adaptive-ce", ad, {k: {"non-adaptive": stats(na[k])} for k in keys if k in na})

    # A.19: FD on one classifier: every seed of the pair on the AMD guests, scored by the pinned classifier
    ad1_rows, na1_rows = runs_of(rows, "adaptive-ce-cosine2x"), runs_of(rows, "non-adaptive-cosine2x")
    ad1, ad1_runs = collect(ad1_rows)
    na1, na1_runs = collect(na1_rows)
    if ad1 and na1:
        print("FD classifier per run: " + ", ".join(f"{label(r)} {classifier(r)}" for r in ad1_rows + na1_rows))
        print()
        table("adaptive-ce, one machine kind, one classifier", ad1_runs, ad1)
        table("non-adaptive, one machine kind, one classifier", na1_runs, na1)
        pair_t("Welch t, adaptive-ce minus non-adaptive, one classifier:", ad1, na1,
               [k for k in ad1 if not k.endswith(diagnostics)])
        last_stages_t([("adaptive-ce", ad1), ("non-adaptive", na1)])

    # A.19: single-stage NCE with the same decay (the closest baseline under
    # LEBM's chains at the constant rate, A.11), on the same classifier.
    ss1, ss1_runs = collect(runs_of(rows, "single-stage-cosine2x"))
    if ss1 and ad1:
        table("single-stage, one classifier", ss1_runs, ss1)
        pair_t("Welch t, adaptive-ce minus single-stage, one classifier:", ad1, ss1, compared(ad1, ss1))
        if na1:
            pair_t("Welch t, non-adaptive minus single-stage, one classifier:", na1, ss1, compared(na1, ss1))

    # A.20: LEBM at its reference settings (method traits: e_lr 2e-5, 20
    # posterior steps, 60 prior steps at delta 0.4) with the same decay.
    lebm_rows = runs_of(rows, "lebm-cosine2x")
    lebm, lebm_runs = collect(lebm_rows)
    if lebm and ad1:
        print("FD classifier per run: " + ", ".join(f"{label(r)} {classifier(r)}" for r in lebm_rows))
        print()
        table("LEBM, reference settings, one classifier", lebm_runs, lebm)
        pair_t("Welch t, adaptive-ce minus LEBM, one classifier:", ad1, lebm, compared(ad1, lebm))
        if na1:
            pair_t("Welch t, non-adaptive minus LEBM, one classifier:", na1, lebm, compared(na1, lebm))
        if ss1:
            pair_t("Welch t, single-stage minus LEBM, one classifier:", ss1, lebm, compared(ss1, lebm))

    # A.20: the Gaussian prior. The `gaussian` method trains the generator as
    # non-adaptive does (posterior samples under N(0, I)), so its row is
    # non-adaptive's generator evaluated with 0 stages under each sampler.
    gauss, gauss_runs = {}, []
    got = {"FD, 100 steps of 0.1": "fd_langevin100x0.1_k0", "FD, 60 steps of 0.4": "fd_langevin60x0.4_k0",
           "FD, 1,000 steps of 0.1": "fd_langevin1000x0.1_k0"}
    for r in na1_rows:
        vals = {k: r.get(c) for k, c in got.items()}
        if any(v is None for v in vals.values()): continue
        gauss_runs.append(label(r))
        for k, v in vals.items(): gauss.setdefault(k, []).append(v)
    if gauss and ad1:
        table("Gaussian prior (non-adaptive's generator, 0 stages), one classifier", gauss_runs, gauss)
        for name, cols in (("adaptive-ce", ad1), ("non-adaptive", na1), ("single-stage", ss1), ("LEBM", lebm)):
            if cols: against_each(name, cols, [("the Gaussian prior", gauss)])

    # A.20: is each prior still improving at the end? FD under 60 steps of 0.4
    # at 80 / 90 / 100 % of training, where measured (the NCE runs' with all 4
    # stages, the 4th still in training before the end).
    print("FD under 60 steps of 0.4 at 80 / 90 / 100 % of training:")
    for r in lebm_rows + ad1_rows + na1_rows:
        mid = ("_at80", "_at90") if r["method"] == "lebm" else ("_at80_k4", "_at90_k4")
        row = [r.get(f"fd_langevin60x0.4{m}") for m in mid] + [r.get("fd_langevin60x0.4")]
        if all(v is not None for v in row):
            print(f"  {label(r)}: " + " / ".join(f"{v:.2f}" for v in row) + f" ({100 * (row[2] / row[0] - 1):+.1f} % over the last fifth)")
    print()

    # A.21: adaptive-ce with `importance` noise with the same decay, on the same classifier.
    imp, imp_runs = collect(runs_of(rows, "noise-importance-cosine2x"))
    if imp and ad1:
        table("adaptive-ce, `importance` noise, one classifier", imp_runs, imp)
        against_each("adaptive-ce with `importance` noise", imp,
                     [("adaptive-ce with `langevin` noise", ad1), ("non-adaptive", na1), ("single-stage", ss1),
                      ("LEBM", lebm), ("the Gaussian prior", gauss)])
        last_stages_t([("adaptive-ce, `importance` noise", imp)])
        a14 = {"test MSE": (0.03697, 0.00017, 3)}
        t_rows("adaptive-ce `importance` cosine from 1e-3", imp, {k: {"constant 5e-4 (A.14)": v} for k, v in a14.items()})

    # A.22: the fair pair of A.21, non-adaptive with `importance` noise with the same decay.
    nai_rows = runs_of(rows, "non-adaptive-importance-cosine2x")
    nai, nai_runs = collect(nai_rows)
    if nai and imp:
        print("FD classifier per run: " + ", ".join(f"{label(r)} {classifier(r)}" for r in nai_rows))
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

    # A.23: the paper's own noise, `persistent` (the bank snapshot, samples of q_{k-1}), with the same decay.
    per, per_runs = collect(runs_of(rows, "noise-persistent-cosine2x"))
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

    # A.24: `persistent-langevin` noise (the bank snapshot moved by M steps of
    # prior Langevin under p_k) and the adaptive stage schedule with `langevin`
    # noise and the fixed schedule's stage length as its cap.
    constant_a12 = {  # the journal's A.12, constant rate 5e-4, 3 seeds each
        "noise-persistent-langevin-cosine2x": {"FD, 100 steps of 0.1": (89.04, 2.44, 3), "FD, 60 steps of 0.4": (47.11, 6.88, 3),
                                               "test MSE": (0.03800, 0.00046, 3)},
        "schedule-adaptive-langevin-cosine2x": {"FD, 100 steps of 0.1": (90.45, 0.65, 3), "FD, 60 steps of 0.4": (31.74, 5.42, 3),
                                                "test MSE": (0.03790, 0.00051, 3)}}
    for run_name, name in (("noise-persistent-langevin-cosine2x", "adaptive-ce, `persistent-langevin` noise"),
                           ("schedule-adaptive-langevin-cosine2x", "adaptive-ce, `langevin` noise, adaptive schedule")):
        got_rows = runs_of(rows, run_name)
        got, got_runs = collect(got_rows)
        if not (got and ad1): continue
        print("FD classifier per run: " + ", ".join(f"{label(r)} {classifier(r)}" for r in got_rows))
        if run_name.startswith("schedule"):
            print("stage starts per run: " + "; ".join(f"{label(r)} {stage_starts(r)}" for r in got_rows))
        print()
        table(f"{name}, one classifier", got_runs, got)
        against_each(name, got,
                     [("adaptive-ce with `langevin` noise, fixed schedule", ad1), ("adaptive-ce with `importance` noise", imp),
                      ("adaptive-ce with `persistent` noise", per), ("non-adaptive", na1),
                      ("non-adaptive with `importance` noise", nai), ("single-stage", ss1), ("LEBM", lebm),
                      ("the Gaussian prior", gauss)])
        pair_t(f"Welch t, {name} minus adaptive-ce with `langevin` noise and the fixed schedule, stage ablation and NCE loss:",
               got, ad1, [k for k in got if "stage" in k and not k.endswith(("noise_logp", "reference_logp", "importance_ess"))])
        last_stages_t([(name, got)])
        t_rows(f"{name} cosine from 1e-3", got, {k: {"constant 5e-4 (A.12)": v} for k, v in constant_a12[run_name].items()})


if __name__ == "__main__":
    converged_recipe(summary.read_csv(os.path.join(HERE, "runs.csv")))
