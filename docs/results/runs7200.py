"""What the 7,200-iteration summary scripts of RESULTS.md (A.14-A.16) read
from a run directory: the seeds of a named run, and per seed its FD under
each test-time sampler, the FD of its test reconstructions, test MSE and its
change over the last fifth and tenth of training, the stage ablation, and
each stage's diagnostics at the stage's end.

A root is runs/reproduce-7200 (run directories NAME-sS) or docs/results
(their copies kept in git, reproduce-7200-NAME-sS).
"""
import json, os, re, sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench"))
from seed_stats import load as load_json, stats, value, welch_t  # noqa: E402,F401


def find(root, name):
    """the directories of run NAME's seeds under root"""
    return sorted(d for d in os.listdir(root)
                  if re.search(rf"(^|-){name}-s\d+$", d) and os.path.isdir(os.path.join(root, d)))


def fd(d): return value(d, "fd_classifier")
def mse(d): return value(d, "reconstruction_mse")


def tenths(run_dir):
    """test MSE at every tenth of training (eval-tenth-<iteration>.json: `eval
    --checkpoint ... --samples 0`), or None unless all ten were measured"""
    row = [load_json(os.path.join(run_dir, f"eval-tenth-{720 * i}.json")) for i in range(1, 11)]
    return [mse(e) for e in row] if all(row) else None


def stage_ends(run_dir):
    """{stage: the last diagnostics row of metrics.jsonl in that stage}"""
    last = {}
    for line in open(os.path.join(run_dir, "metrics.jsonl")):
        row = json.loads(line)
        if "nce_loss" in row and "noise_mmd2" in row: last[row["stage"]] = row
    return last


def collect(root, runs):
    """{quantity: [value per seed]} over the finished runs (those with
    eval.json and eval-fd60.json), and those runs"""
    cols, done = {}, []
    def load(r, name): return load_json(os.path.join(root, r, name + ".json"))
    def add(key, v):
        if v is not None: cols.setdefault(key, []).append(v)
    for r in runs:
        e, e60, e80, e90 = load(r, "eval"), load(r, "eval-fd60"), load(r, "eval-80"), load(r, "eval-90")
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
        if e90: add("MSE change over the last tenth, %", 100 * (mse(e) / mse(e90) - 1))
        for k in (0, 1, 2):
            add(f"FD with {k} stage(s), 100 steps", fd(load(r, f"eval-stages-{k}")))
        for k in (1, 2):
            add(f"FD with {k} stage(s), 60 steps of 0.4", fd(load(r, f"eval-fd60-k{k}")))
        for s, row in sorted(stage_ends(os.path.join(root, r)).items()):
            for key in ("nce_loss", "noise_mmd2", "noise_logp", "reference_logp", "importance_ess"):
                if key in row: add(f"stage {s} end: {key}", row[key])
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
