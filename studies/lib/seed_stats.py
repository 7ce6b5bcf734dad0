"""Mean +- std over seeds and Welch's t, and a run's per-stage NCE losses,
shared by the table scripts (results_tables.py, fd_sampler_tables.py,
studies/gpu-study/gpu_study_tables.py, studies/anomaly-mnist/tables.py). The
statistics and the number formatting are stats.py's (the one module the
studies and the claims table use), the run readers summary.py's; this file
keeps the tables' names for them and the "beyond the spread" sentences of
the older tables (descriptive only: the claims table, studies/claims.py,
gives the tests with p-values and Holm's correction)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stats as _stats  # noqa: E402
from summary import load, stage_end_losses, value  # noqa: E402,F401  (the run readers, for the scripts)

# (mean, sample std, n) of the finite values of a list, or None when there are none
stats = _stats.summary
# x with `digits` decimals, never "-0"
num = _stats.num
# "mean +- std (n=N)" of a stats() result ("n/a" for None); count=False drops "(n=N)"
fmt = _stats.fmt_summary


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
