"""The anomaly-detection tables (paper Table 2), from any source of values:
bench/reproduce.sh's run folders (results_tables.py) or a study's runs.csv
(studies/anomaly-mnist). get(digit, method, seed, column) gives a run's
value or None, for the columns
  auprc         the mean of the run's last in-training evaluations (anomaly.json)
  mse_at80, mse test MSE at 80 % and 100 % of training (the convergence check)
  auprc_score   the final checkpoint scored with its learned prior (score-prior-all.log)
  auprc_prior0  the same checkpoint scored with its prior dropped (score-prior-0.log)
Per held-out digit: AUPRC of each method, the sentence of adaptive-ce
against each baseline, each learned prior's share of the score (paired over
seeds) and each run's test MSE change over the last fifth."""
from seed_stats import fmt, num, paired_t, stats, verdict

DIGITS = (1, 4, 5, 7, 9)
METHODS = ("adaptive-ce", "lebm", "gaussian")


def mse_change(get, d, m, s):
    """Test MSE change (%) from 80 % to 100 % of training, or None."""
    a, b = get(d, m, s, "mse_at80"), get(d, m, s, "mse")
    return None if a is None or b is None else 100.0 * (b - a) / a


def prior_shares(get, seeds, methods):
    """Per digit: for each method the mean +- std over seeds of AUPRC with the
    prior kept minus dropped and the paired t (mean / (std / sqrt(n))), and
    the verdict of the first method's gain against the second's."""
    out_rows = []
    for d in DIGITS:
        cells, gains = [], []
        for m in methods:
            diffs = []
            for s in seeds:
                a, b = get(d, m, s, "auprc_score"), get(d, m, s, "auprc_prior0")
                if a is not None and b is not None:
                    diffs.append(a - b)
            st, t = stats(diffs), paired_t(diffs)
            cells += [fmt(st, 4), "n/a" if t is None else num(t, 1)]
            gains.append(st)
        if any(g is not None for g in gains):
            out_rows.append((d, cells, verdict(gains[0], gains[1], lower_is_better=False)))
    return out_rows


def anomaly_table(title, get, seeds):
    """AUPRC per held-out digit and method, the verdict of adaptive-ce against
    each baseline, each prior's share of the score and each method's test MSE
    change over the last fifth, where the runs measured them (printed)."""
    methods = list(METHODS)
    rows, verdicts, conv = [], [], {}
    for d in DIGITS:
        got = {}
        for m in methods:
            got[m] = stats([get(d, m, s, "auprc") for s in seeds])
            conv.setdefault(d, {})[m] = [c for c in (mse_change(get, d, m, s) for s in seeds) if c is not None]
        if any(v is not None for v in got.values()):
            rows.append(f"| {d} | " + " | ".join(fmt(got[m], 3) for m in methods) + " |")
            for m in methods[1:]:
                if got["adaptive-ce"] and got[m]:
                    verdicts.append(f"- digit {d}, adaptive-ce against {m}: "
                                    + verdict(got["adaptive-ce"], got[m], lower_is_better=False) + ".")
    if not rows:
        return
    print(f"### {title}\n")
    print("| held-out digit | " + " | ".join(methods) + " |")
    print("|---|---|---|---|")
    print("\n".join(rows))
    print()
    print("\n".join(verdicts))
    shares = prior_shares(get, seeds, methods[:2])
    if shares:
        print("\nEach learned prior's share of the score: AUPRC of the same run with its prior kept minus with it "
              "dropped (posterior and score under N(0, I), `score --stages 0`), mean +- std over seeds and the "
              "paired t (a difference within one generator, so the generator's spread over seeds cancels):\n")
        print("| held-out digit | " + " | ".join(f"{m}: AUPRC gain | paired t" for m in methods[:2]) + " |")
        print("|---|" + "---|---|" * 2)
        for d, cells, _ in shares:
            print(f"| {d} | " + " | ".join(cells) + " |")
        print()
        for d, _, v in shares:
            print(f"- digit {d}, {methods[0]}'s prior gain against {methods[1]}'s: {v}.")
    lines = [f"- digit {d}: " + "; ".join(f"{m} " + " / ".join(f"{c:+.2f} %" for c in cs) for m, cs in by_m.items() if cs)
             for d, by_m in conv.items() if any(by_m.values())]
    if lines:
        print("\nTest MSE change over the last fifth (80 % -> 100 % of training), per seed:\n")
        print("\n".join(lines))
    print()
