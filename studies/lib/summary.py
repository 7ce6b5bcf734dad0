"""A study's run output read, and its summary CSV written and read back.

Every study's summarize.py turns its runs into one CSV row per run
(studies/README.md gives the columns); docs/RESULTS.md's claims script reads
those rows back, picks the runs a claim compares with select() and by_seed(),
and tests them with stats.py. Standard library only.

Reading a run (the files latentebm train / eval / score write):
  load(path)                 a JSON file, or None
  value(e, key)              e[key]["value"] of an eval JSON, or None
  fd_column(e)               the column an eval JSON's FD belongs in, named
                             by its test-time sampler: fd_langevin100x0.1
  eval_metrics(e, suffix)    an eval JSON's FD, FD of reconstructions and
                             test MSE as {column + suffix: value}
  stage_end_losses(run_dir)  per stage, the mean of its last 5 logged NCE losses
                             (or of another logged value: key="noise_mmd2")
The summary CSV:
  write_csv(path, rows), read_csv(path), select(rows, **where),
  by_seed(rows, column)"""
import csv
import json
import math
import re

# The columns that say which run a row is, in this order; every other column
# is a metric (a number, empty where the run did not measure it).
KEY_COLUMNS = ("study", "dataset", "iterations", "method", "noise", "schedule", "g_lr_schedule", "g_lr", "e_lr",
               "variant", "run", "seed", "device")
# Key columns every row must fill.
REQUIRED = ("study", "dataset", "iterations", "method", "run", "seed")
_INT_KEYS = ("iterations", "seed")
_FLOAT_KEYS = ("g_lr", "e_lr")
_METRIC_NAME = re.compile(r"^[a-z][a-z0-9_.]*$")


# ---------------------------------------------------------------------------
# reading a run's output

def load(path):
    """A JSON file, or None when it is missing or unreadable."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def value(e, key):
    """e[key]["value"] of an eval.json-like dict, or None."""
    if e is None or key not in e or not isinstance(e[key], dict) or "value" not in e[key]:
        return None
    return float(e[key]["value"])


def fd_column(e):
    """The metric column of eval JSON e's FD, named by the test-time sampler
    it records: "langevin (60 steps, delta 0.4)" -> fd_langevin60x0.4,
    "sir (100 proposals)" -> fd_sir100; None where e has no FD."""
    if value(e, "fd_classifier") is None:
        return None
    sampler = e["fd_classifier"].get("sampler", "")
    m = re.fullmatch(r"langevin \((\d+) steps, delta ([0-9.e+-]+)\)", sampler)
    if m:
        return f"fd_langevin{m.group(1)}x{m.group(2)}"
    m = re.fullmatch(r"sir \((\d+) proposals\)", sampler)
    if m:
        return f"fd_sir{m.group(1)}"
    raise ValueError(f"eval JSON's fd_classifier names an unknown sampler {sampler!r}: add its column name to "
                     "studies/lib/summary.py's fd_column")


def eval_metrics(e, suffix=""):
    """{column + suffix: value} of eval JSON e: its FD (fd_column), the FD
    of its test reconstructions (fd_recon) and its test MSE (mse), those it
    has. suffix: "" for the run's own evaluation, "_k0" for one with 0
    stages (eval --stages 0), "_at80" for the checkpoint at 80 %."""
    out = {}
    fd = fd_column(e)
    if fd:
        out[fd + suffix] = value(e, "fd_classifier")
    for column, key in (("fd_recon", "fd_classifier_reconstructions"), ("mse", "reconstruction_mse")):
        if value(e, key) is not None:
            out[column + suffix] = value(e, key)
    return out


def stage_end_losses(run_dir, last=5, key="nce_loss"):
    """{stage: mean of its last `last` logged NCE losses} from RUN_DIR/metrics.jsonl,
    or None when the file is missing or unreadable. key: another per-row
    value of metrics.jsonl to average the same way, e.g. the noise
    diagnostics noise_mmd2, noise_logp, reference_logp (stages that never
    logged it are left out)."""
    by_stage = {}
    try:
        with open(f"{run_dir}/metrics.jsonl") as f:
            for line in f:
                if not line.strip():
                    continue
                r = json.loads(line)
                if key in r and "stage" in r and r[key] is not None:
                    by_stage.setdefault(int(r["stage"]), []).append(float(r[key]))
    except (OSError, ValueError):
        return None
    return {k: sum(v[-last:]) / len(v[-last:]) for k, v in sorted(by_stage.items())}


# ---------------------------------------------------------------------------
# the summary CSV

def _cell(x):
    if x is None:
        return ""
    if isinstance(x, float):
        return "" if math.isnan(x) else repr(x)  # repr: the shortest text that reads back exactly
    return str(x)


def write_csv(path, rows):
    """Writes rows (dicts) as a summary CSV: KEY_COLUMNS first, then the
    metric columns in the order they first appear; None and nan as empty."""
    metrics = []
    for i, row in enumerate(rows):
        missing = [k for k in REQUIRED if row.get(k) in (None, "")]
        if missing:
            raise ValueError(f"summary row {i} ({row.get('run')}, seed {row.get('seed')}) lacks {', '.join(missing)}: "
                             "every row says which study, dataset, iterations, method, run and seed it is")
        for k in row:
            if k in KEY_COLUMNS or k in metrics:
                continue
            if not _METRIC_NAME.match(k):
                raise ValueError(f"metric column {k!r}: use lower case letters, digits, '_' and '.' "
                                 "(studies/README.md names the columns)")
            metrics.append(k)
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(KEY_COLUMNS + tuple(metrics))
        for row in rows:
            w.writerow([_cell(row.get(k)) for k in KEY_COLUMNS + tuple(metrics)])


def read_csv(path):
    """A summary CSV's rows as dicts: iterations and seed as int, g_lr, e_lr
    and the metrics as float or None (empty), the other keys as str."""
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        absent = [k for k in KEY_COLUMNS if k not in (reader.fieldnames or [])]
        if absent:
            raise ValueError(f"{path} is not a study summary: it lacks the columns {', '.join(absent)}")
        rows = []
        for r in reader:
            row = {}
            for k, v in r.items():
                if k in _INT_KEYS:
                    row[k] = int(v)
                elif k in KEY_COLUMNS and k not in _FLOAT_KEYS:
                    row[k] = v
                else:
                    row[k] = float(v) if v != "" else None
            rows.append(row)
    return rows


def select(rows, **where):
    """The rows whose columns equal every given value (a list, tuple or set
    of values: any of them), e.g. select(rows, method="adaptive-ce", noise="persistent")."""
    def ok(row, k, want):
        if k not in row:
            raise KeyError(f"no column {k!r} in the summary (columns: {', '.join(row)})")
        return row[k] in want if isinstance(want, (list, tuple, set, frozenset)) else row[k] == want
    return [row for row in rows if all(ok(row, k, v) for k, v in where.items())]


def by_seed(rows, column):
    """{seed: the row's value of column} for rows with a value there; two rows
    of one seed are an error (the selection names more than one run)."""
    out = {}
    for row in rows:
        if row.get(column) is None:
            continue
        if row["seed"] in out:
            raise ValueError(f"two rows of seed {row['seed']} have {column} ({row['run']} and another): "
                             "select on more columns so that one run per seed is left")
        out[row["seed"]] = row[column]
    return out
