"""overview.md, the table every study's summary starts with: per run (its
name, dataset, budget and variant), the number of seeds and mean +- sd over
them of the headline metrics the study measured, and each stage's NCE loss
at its end. Generated from runs.csv, like every committed table."""
import stats

# (column, header, decimals); "mse_change" is derived: test MSE change from 80 % of training to the end, %
METRICS = (("fd_langevin100x0.1", "FD, 100 steps of 0.1", 2), ("fd_langevin60x0.4", "FD, 60 steps of 0.4", 2),
           ("fd_langevin1000x0.1", "FD, 1,000 steps of 0.1", 2), ("fd_recon", "FD of the test reconstructions", 2),
           ("mse", "test MSE", 5), ("mse_change", "MSE change, last fifth, %", 2), ("auprc", "AUPRC", 3),
           ("auroc", "AUROC", 3))


def value(row, column):
    if column == "mse_change":
        a, b = row.get("mse_at80"), row.get("mse")
        return None if a is None or b is None else 100 * (b / a - 1)
    return row.get(column)


def groups(rows):
    """{(dataset, iterations, run, variant): [rows]} in the order the runs first appear."""
    out = {}
    for r in rows:
        out.setdefault((r["dataset"], r["iterations"], r["run"], r["variant"]), []).append(r)
    return out


def markdown(rows):
    g = groups(rows)
    shown = [m for m in METRICS if any(value(r, m[0]) is not None for r in rows)]
    lines = [f"# {rows[0]['study']}: every run, mean +- sd over seeds (n)", "",
             "Generated from runs.csv by summarize.py; the claims table (docs/RESULTS.md) tests the comparisons.", "",
             "| dataset | iterations | run | variant | seeds | " + " | ".join(h for _, h, _ in shown) + " |",
             "|---|---|---|---|---|" + "---|" * len(shown)]
    for (dataset, iters, run, variant), rs in g.items():
        cells = [stats.fmt_summary(stats.summary([value(r, c) for r in rs]), d) for c, _, d in shown]
        lines.append(f"| {dataset} | {iters} | {run} | {variant} | {' '.join(str(r['seed']) for r in rs)} | "
                     + " | ".join(cells) + " |")
    stages = sorted({int(k[len("nce_end_stage"):]) for r in rows for k in r
                     if k.startswith("nce_end_stage") and r[k] is not None})
    if stages:
        lines += ["", "Each stage's NCE loss at its end (mean of its last 5 logged values; chance log 4 = 1.386 per "
                  "stage of the multi-stage methods, log 2 = 0.693 for single-stage):", "",
                  "| dataset | iterations | run | variant | " + " | ".join(f"stage {k}" for k in stages) + " |",
                  "|---|---|---|---|" + "---|" * len(stages)]
        for (dataset, iters, run, variant), rs in g.items():
            cells = [stats.summary([r.get(f"nce_end_stage{k}") for r in rs]) for k in stages]
            if any(cells):
                lines.append(f"| {dataset} | {iters} | {run} | {variant} | "
                             + " | ".join(stats.fmt_summary(c, 3) for c in cells) + " |")
    return "\n".join(lines) + "\n"
