"""Mean +- std over seeds and Welch's t, and a run's per-stage NCE losses,
shared by the table scripts (results_tables.py, fd_sampler_tables.py,
gpu_study_tables.py, docs/results/*.py)."""
import json
import math


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


def stats(xs):
    """(mean, sample std, n) of the finite values, or None when there are none."""
    xs = [x for x in xs if x is not None and math.isfinite(x)]
    if not xs:
        return None
    m = sum(xs) / len(xs)
    s = math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) if len(xs) > 1 else 0.0
    return m, s, len(xs)


def num(x, digits):
    """x with `digits` decimals; a value that rounds to zero prints as 0, not -0."""
    return f"{0.0 if round(x, digits) == 0 else x:.{digits}f}"


def fmt(st, digits=3, count=True):
    """mean +- std, and "(n=N)" unless count is False."""
    if st is None:
        return "n/a"
    m, s, n = st
    return f"{num(m, digits)} +- {s:.{digits}f}" + (f" (n={n})" if count else "")


def welch_t(a, b):
    """Welch's t of stats a against stats b; None without 2 seeds on each side."""
    if a is None or b is None or a[2] < 2 or b[2] < 2:
        return None
    (ma, sa, na), (mb, sb, nb) = a, b
    se = math.sqrt(sa * sa / na + sb * sb / nb)
    return (ma - mb) / se if se > 0 else (math.inf if ma != mb else 0.0)


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
