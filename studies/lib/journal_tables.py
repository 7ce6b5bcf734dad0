"""What the 7,200-iteration tables of the journal (docs/journal, A.13-A.24)
print for a run, from its row of a study's runs.csv: per seed its FD under
each test-time sampler, the FD of its test reconstructions, test MSE and its
change over the last fifth and tenth of training, the stage ablation, and
each stage's diagnostics at the stage's end; and the printers the tables
share (a quantity's mean +- sd with every seed's value, Welch t lines).

Once these read run directories (docs/results/runs7200.py); the quantity
names and the printed text are the same, so a table regenerated from
runs.csv reads as the one the journal quotes. The t lines are Welch's t, as
the journal printed them; the claims table (studies/claims.py) gives the
tests with p-values and Holm's correction."""
import stats as _stats

stats = _stats.summary


def welch_t(a, b):
    """Welch's t of summaries a against b (mean, sd, n); None without 2 values on each side."""
    if a is None or b is None or a[2] < 2 or b[2] < 2:
        return None
    return _stats.welch_summary(a, b).t


def runs_of(rows, run):
    """The rows of run name `run`, by seed."""
    return sorted((r for r in rows if r["run"] == run), key=lambda r: r["seed"])


def label(row):
    """A row's run directory name, <run>-s<seed>."""
    return f"{row['run']}-s{row['seed']}"


def tenths(row):
    """Test MSE at every tenth of training, or None unless all ten were measured."""
    t = [row.get(f"mse_at{10 * i}") for i in range(1, 10)] + [row.get("mse")]
    return t if all(v is not None for v in t) else None


def change(row, at):
    """Test MSE change (%) from the checkpoint at `at` % of training to the end, or None."""
    a, b = row.get(f"mse_at{at}"), row.get("mse")
    return None if a is None or b is None else 100 * (b / a - 1)


DIAGNOSTICS = (("nce_loss", "nce_last"), ("noise_mmd2", "noise_mmd2_end"), ("noise_logp", "noise_logp_end"),
               ("reference_logp", "reference_logp_end"), ("importance_ess", "importance_ess_end"))


def stage_count(row):
    return 1 + max((int(k[len("nce_last_stage"):]) for k in row if k.startswith("nce_last_stage")
                    and row[k] is not None), default=-1)


def quantities(row):
    """{quantity: value} of one finished run (FD under the 100-step and the
    60-step samplers measured), in the journal's order; None otherwise."""
    fd100, fd60 = row.get("fd_langevin100x0.1"), row.get("fd_langevin60x0.4")
    if fd100 is None or fd60 is None:
        return None
    q = {"FD, 100 steps of 0.1": fd100, "FD, 60 steps of 0.4": fd60,
         "FD, 1,000 steps of 0.1": row.get("fd_langevin1000x0.1"),
         "FD of the test reconstructions": row.get("fd_recon")}
    if q["FD of the test reconstructions"] is not None:
        q["samples (60 of 0.4) minus reconstructions"] = fd60 - row["fd_recon"]
    q["test MSE"] = row.get("mse")
    q["MSE change over the last fifth, %"] = change(row, 80)
    q["MSE change over the last tenth, %"] = change(row, 90)
    for k in (0, 1, 2):
        q[f"FD with {k} stage(s), 100 steps"] = row.get(f"fd_langevin100x0.1_k{k}")
    for k in (1, 2):
        q[f"FD with {k} stage(s), 60 steps of 0.4"] = row.get(f"fd_langevin60x0.4_k{k}")
    for s in range(stage_count(row)):
        for key, col in DIAGNOSTICS:
            q[f"stage {s} end: {key}"] = row.get(f"{col}_stage{s}")
    return {k: v for k, v in q.items() if v is not None}


def collect(rows):
    """{quantity: [value per seed]} over the finished runs among rows, and their names."""
    cols, done = {}, []
    for row in rows:
        q = quantities(row)
        if q is None:
            continue
        done.append(label(row))
        for k, v in q.items():
            cols.setdefault(k, []).append(v)
    return cols, done


def table(title, runs, cols, skip=()):
    """cols as a markdown table: mean +- std and the value of each seed"""
    print(f"{title}\nruns: {', '.join(runs)}\n")
    print("| quantity | mean +- std | per seed |\n|---|---|---|")
    for k, v in cols.items():
        if k in skip: continue
        m, s, n = stats(v)
        print(f"| {k} | {m:.5g} +- {s:.2g} (n={n}) | {', '.join(f'{x:.5g}' for x in v)} |")
    print()


def t_line(label, a_values, b_values):
    """one line "label: mean a vs mean b: t = Welch t of a minus b", where t exists"""
    a, b = stats(a_values), stats(b_values)
    t = welch_t(a, b)
    if t is not None:
        print(f"  {label}: {a[0]:.5g} vs {b[0]:.5g}: t = {t:.1f}")


def pair_t(title, a_cols, b_cols, keys):
    """Welch t of a minus b for each of keys found in both"""
    print(title)
    for k in keys:
        t_line(k, a_cols.get(k, []), b_cols.get(k, []))
    print()


def last_stages_t(labelled):
    """Welch t of 4 stages minus 2 stages, FD under 60 steps of 0.4, for each
    (label, cols) given: the last two stages' effect"""
    print("Welch t, 4 stages minus 2 stages, FD under 60 steps of 0.4 (the last two stages' effect):")
    for label, c in labelled:
        t_line(label, c.get("FD, 60 steps of 0.4", []), c.get("FD with 2 stage(s), 60 steps of 0.4", []))
    print()


def against(label, cols, ref):
    """Welch t of cols against earlier rows given as {quantity: {row: (mean, std)}} (3 seeds each)"""
    if not cols: return
    print(f"Welch t ({label} minus the other row; |t| > 2 counted as beyond the spread):")
    for k, others in ref.items():
        ours = stats(cols.get(k, []))
        for name, (m2, s2) in others.items():
            t = welch_t(ours, (m2, s2, 3))
            if t is not None:
                print(f"  {k}: {label} {ours[0]:.5g} vs {name} {m2:.5g}: t = {t:.1f}")
    print()
