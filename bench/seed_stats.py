"""Mean +- std over seeds and Welch's t, and a run's per-stage NCE losses,
shared by the table scripts (results_tables.py, fd_sampler_tables.py,
gpu_study_tables.py, docs/results/*.py). The statistics and the number
formatting are studies/lib/stats.py's (the one module the studies and the
claims table use); this file keeps the tables' names for them and the
"beyond the spread" sentences of the older tables."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "studies", "lib"))
import stats as _stats  # noqa: E402

# (mean, sample std, n) of the finite values of a list, or None when there are none
stats = _stats.summary
# x with `digits` decimals, never "-0"
num = _stats.num
# "mean +- std (n=N)" of a stats() result ("n/a" for None); count=False drops "(n=N)"
fmt = _stats.fmt_summary


def load(path):
    """A JSON file, or None when it is missing or unreadable."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def stage_end_losses(run_dir, last=5):
    """{stage: mean of its last `last` logged NCE losses} from RUN_DIR/metrics.jsonl,
    or None when the file is missing or unreadable."""
    by_stage = {}
    try:
        with open(f"{run_dir}/metrics.jsonl") as f:
            for line in f:
                if not line.strip():
                    continue
                r = json.loads(line)
                if "nce_loss" in r and "stage" in r and r["nce_loss"] is not None:
                    by_stage.setdefault(int(r["stage"]), []).append(float(r["nce_loss"]))
    except (OSError, ValueError):
        return None
    return {k: sum(v[-last:]) / len(v[-last:]) for k, v in sorted(by_stage.items())}


def value(e, key):
    """e[key]["value"] of an eval.json-like dict, or None."""
    if e is None or key not in e or "value" not in e[key]:
        return None
    return float(e[key]["value"])


def welch_t(a, b):
    """Welch's t of stats a against stats b; None without 2 seeds on each side."""
    if a is None or b is None or a[2] < 2 or b[2] < 2:
        return None
    return _stats.welch_summary(a, b).t


def paired_t(diffs):
    """The paired t over seeds of per-seed differences (mean / (std / sqrt n));
    None without 2 finite differences or without any spread."""
    d = _stats.finite(diffs)
    if len(d) < 2 or _stats.sd(d) == 0:
        return None
    return _stats.one_sample_t(d).t


def verdict(a, b, lower_is_better=True):
    """One sentence comparing a (ours) with b."""
    if a is None or b is None:
        return "not measured"
    t = welch_t(a, b)
    if t is None:
        return "fewer than 2 seeds: no verdict"
    better = (a[0] < b[0]) == lower_is_better
    if abs(t) > 2:
        return f"{'better' if better else 'worse'} by more than the spread over seeds (Welch t = {num(t, 1)})"
    return f"within the spread over seeds (Welch t = {num(t, 1)})"
