"""The tables of the runs at the preset's generator rate (journal A.12-A.16),
from this study's runs.csv; once three scripts over run directories
(docs/results/{fd-decomposition-2026-12-01,importance-7200-2026-12-02,
cosine-7200-2026-12-02}.py), the same text now from the summary:

  fd_decomposition  A.13: where the FD of A.12's 7,200-iteration runs comes
                    from: FD of the test reconstructions (the generator's
                    share), of the test images, of prior samples under the
                    100-step and the 60-step samplers, test MSE
  importance_noise  A.14-A.15: adaptive-ce with `importance` noise and its
                    fair pair, non-adaptive with the same noise; the stage
                    diagnostics; Welch t against rows of earlier sections
  cosine_decay      A.16: the core pair with the generator's rate decayed
                    from the preset's 5e-4 by half a cosine; the tenths of
                    training; Welch t against the constant rate

The constant-rate core pair of A.10-A.11 was lost with its machines: the
tables compare with its means as the journal gives them."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import stats  # noqa: E402
import summary  # noqa: E402
from journal_tables import against, collect, label, last_stages_t, pair_t, runs_of, table, tenths  # noqa: E402

A13_RUNS = ("noise-persistent-langevin", "noise-persistent", "schedule-adaptive-langevin", "single-stage")


def at(rows, iterations):
    return [r for r in rows if r["iterations"] == iterations]


def fd_decomposition(rows):
    """A.13: A.12's runs (and single-stage's seed 3), re-evaluated with the FD of their reconstructions."""
    keys = [("fd_recon", "fd_classifier_reconstructions"), ("fd_test", "fd_classifier_test_images"),
            ("fd_langevin100x0.1", "fd_classifier"), ("fd_langevin60x0.4", "fd60"), ("mse", "reconstruction_mse")]
    groups = {}
    for r in sorted((r for r in at(rows, 7200) if r["run"] in A13_RUNS), key=label):
        v = [r.get(c) for c, _ in keys]
        if any(x is None for x in v):
            continue
        print(f"{label(r):32s} FD recon {v[0]:6.2f} | test images {v[1]:5.2f} | samples 100 steps {v[2]:6.2f}"
              f" | 60 steps of 0.4 {v[3]:6.2f} | MSE {v[4]:.5f}")
        groups.setdefault(r["run"], []).append(v)
    print()
    for name in sorted(groups, key=A13_RUNS.index):
        vs = groups[name]
        cells = [stats.fmt_summary(stats.summary([v[i] for v in vs]), 5 if keys[i][0] == "mse" else 2)
                 for i in range(len(keys))]
        share = stats.fmt_summary(stats.summary([v[3] - v[0] for v in vs]), 2)
        print(f"{name}: " + " | ".join(f"{k} {c}" for (_, k), c in zip(keys, cells)) + f" | fd60 - recon {share}")


def importance_noise(rows):
    """A.14-A.15: `importance` noise, adaptive-ce and its fair pair."""
    rows = at(rows, 7200)
    skip = ("MSE change over the last tenth, %",)  # (not in A.14's tables)
    cols, runs = collect(runs_of(rows, "noise-importance"))
    table("adaptive-ce, `importance` noise", runs, cols, skip=skip)
    pair, pair_runs = collect(runs_of(rows, "non-adaptive-importance"))
    if pair:
        table("non-adaptive, `importance` noise (the fair pair)", pair_runs, pair, skip=skip)
        pair_t("Welch t, adaptive-ce minus non-adaptive, both with `importance` noise"
               " (|t| > 2 counted as beyond the spread):", cols, pair,
               [k for k in cols if k.startswith("FD") or k in ("test MSE", "MSE change over the last fifth, %")])
    last_stages_t((("adaptive-ce", cols), ("non-adaptive", pair)))
    # Earlier rows (3 seeds each): the journal's A.10-A.13. The Gaussian prior is
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
    for name, c in (("adaptive-ce importance", cols), ("non-adaptive importance", pair)):
        against(name, c, ref)


def cosine_decay(rows):
    """A.16: the core pair with the generator's rate decayed by a cosine from the preset's."""
    rows = at(rows, 7200)
    ad, ad_runs = collect(runs_of(rows, "adaptive-ce-cosine"))
    na, na_runs = collect(runs_of(rows, "non-adaptive-cosine"))
    table("adaptive-ce, `langevin` noise, cosine decay of g_lr", ad_runs, ad)
    table("non-adaptive, `langevin` noise, cosine decay of g_lr", na_runs, na)
    # Test MSE at every tenth of training, where measured; A.15's non-adaptive runs
    # (constant rate) stand for the constant-rate curve of non-adaptive.
    print("Test MSE at every tenth of training (10 % ... 100 %):")
    for r in runs_of(rows, "adaptive-ce-cosine") + runs_of(rows, "non-adaptive-cosine") + runs_of(rows, "non-adaptive-importance"):
        t = tenths(r)
        if t:
            print(f"  {label(r)}: " + " ".join(f"{x:.5f}" for x in t))
    print()
    pair_t("Welch t, adaptive-ce minus non-adaptive, both with the cosine decay (|t| > 2 counted as beyond the spread):",
           ad, na, [k for k in ad if k.startswith("FD") or k.startswith("MSE") or k == "test MSE"])
    last_stages_t((("adaptive-ce", ad), ("non-adaptive", na)))
    # Earlier rows at 7,200 iterations, constant g_lr (3 seeds each): A.10 (the
    # same pair), A.11 (single-stage, LEBM at its reference settings), A.15
    # (non-adaptive with `importance` noise). The MSE changes are A.10's per-seed
    # -0.67 / -1.75 / -2.30 % and -0.35 / -1.36 / -2.63 %.
    same = {
        "adaptive-ce": {
            "FD, 100 steps of 0.1": {"constant g_lr (A.10)": (82.37, 2.47)},
            "FD, 60 steps of 0.4": {"constant g_lr (A.10)": (28.75, 1.91)},
            "test MSE": {"constant g_lr (A.10)": (0.03801, 0.00044)},
            "MSE change over the last fifth, %": {"constant g_lr (A.10)": (-1.5733, 0.8292)},
            "FD with 0 stage(s), 100 steps": {"constant g_lr (A.10)": (137.58, 5.01)},
        },
        "non-adaptive": {
            "FD, 100 steps of 0.1": {"constant g_lr (A.10)": (75.17, 3.77)},
            "FD, 60 steps of 0.4": {"constant g_lr (A.10)": (29.33, 0.63)},
            "test MSE": {"constant g_lr (A.10)": (0.03990, 0.00081)},
            "MSE change over the last fifth, %": {"constant g_lr (A.10)": (-1.4467, 1.1425)},
            "FD with 0 stage(s), 100 steps": {"constant g_lr (A.10), the Gaussian prior": (120.30, 5.42)},
        },
    }
    others = {
        "FD, 100 steps of 0.1": {"single-stage (A.11)": (69.95, 6.31), "LEBM (A.11)": (110.07, 6.36),
                                  "non-adaptive importance (A.15)": (38.68, 3.91)},
        "FD, 60 steps of 0.4": {"single-stage (A.11)": (40.57, 10.20), "LEBM (A.11)": (47.82, 4.29)},
        "test MSE": {"single-stage (A.11)": (0.03965, 0.00079), "LEBM (A.11)": (0.03872, 0.00023)},
    }
    for name, c in (("adaptive-ce", ad), ("non-adaptive", na)):
        against(f"{name} cosine", c, same[name])
        against(f"{name} cosine", c, others)


if __name__ == "__main__":
    rows = summary.read_csv(os.path.join(HERE, "runs.csv"))
    for fn in (fd_decomposition, importance_noise, cosine_decay):
        fn(rows)
