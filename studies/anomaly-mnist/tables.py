"""The tables of the anomaly study (paper Table 2; journal A.12 and A.25),
from this study's runs.csv: tables.md, once written by
bench/results_tables.py over the run directories (its anomaly part), the
same text now from the summary, with the table of the score's terms
ranked alone (A.25) and A.12's 300-iteration runs of adaptive-ce.

Per held-out digit and method: AUPRC (per seed the mean of the run's last
5 in-training evaluations), each learned prior's share of the score
(AUPRC of the final checkpoint scored with the prior kept minus dropped,
paired over seeds), each term of the score ranked alone, and the test
MSE's change over the last fifth (the convergence check)."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import stats  # noqa: E402
import summary  # noqa: E402
import anomaly_tables  # noqa: E402
from seed_stats import fmt, num  # noqa: E402

DIGITS, METHODS = anomaly_tables.DIGITS, anomaly_tables.METHODS
SEEDS = (1, 2, 3)


def runs(rows, recipe):
    """{(digit, method, seed): row} of the runs anomaly-D-METHOD<recipe>."""
    out = {}
    for r in rows:
        for d in DIGITS:
            for m in METHODS:
                if r["run"] == f"anomaly-{d}-{m}{recipe}":
                    out[(d, m, r["seed"])] = r
    return out


def column(got, d, m, c):
    return [got[(d, m, s)].get(c) if (d, m, s) in got else None for s in SEEDS]


def anomaly_table(rows, recipe, title):
    got = runs(rows, recipe)
    anomaly_tables.anomaly_table(title, lambda d, m, s, c: got[(d, m, s)].get(c) if (d, m, s) in got else None, SEEDS)


def score_terms(rows, recipe):
    """A.25: the score's two terms ranked alone (score-terms.log of each final checkpoint)."""
    got = runs(rows, recipe)
    if not any(r.get("auprc_prior_term") is not None for r in got.values()):
        return
    print("### Each term of the score ranked alone (final checkpoints; `score --anomaly-label`)\n")
    print("| digit | anomaly rate | prior | joint score AUPRC | reconstruction term alone | prior term alone | "
          "prior term alone, AUROC |")
    print("|---|---|---|---|---|---|---|")
    for d in DIGITS:
        for m in METHODS:
            rate = stats.summary(column(got, d, m, "anomaly_rate"))
            cells = [fmt(stats.summary(column(got, d, m, c)), 3, False)
                     for c in ("auprc_score", "auprc_recon_term", "auprc_prior_term", "auroc_prior_term")]
            print(f"| {d} | {'n/a' if rate is None else num(rate[0], 3)} | {m} | " + " | ".join(cells) + " |")
    print()


def tables(rows):
    anomaly_table(rows, "", "MNIST subset: anomaly detection, AUPRC (paper Table 2; 300 iterations of the preset at "
                  "its constant rate; per seed the mean of the last 5 evaluations)")
    anomaly_table(rows, "-cosine2x", "MNIST subset: anomaly detection, AUPRC, generator rate decayed by a cosine from "
                  "twice the preset's (AD_RECIPE=cosine2x; per seed the mean of the last 5 evaluations)")
    score_terms(rows, "-cosine2x")


if __name__ == "__main__":
    tables(summary.read_csv(os.path.join(HERE, "runs.csv")))
