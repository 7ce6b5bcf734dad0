"""The statistics every study's summary and docs/RESULTS.md's claims table use.

Pure Python standard library (no numpy or scipy at run time), so a summary
script runs wherever python3 does. One place for each formula:

  summary          mean, sample sd and n of the finite values of a list
  welch            Welch's t-test (unequal variances, Welch-Satterthwaite df)
  paired           paired t-test (runs that pair by seed, e.g. two evaluations
                   of one run); one_sample_t for a list of differences
  permutation      exact permutation test (every split or sign flip where
                   that is at most max_exact of them, else Monte Carlo with a
                   fixed seed), two-sample or paired
  holm             Holm's step-down adjustment over a family of p-values
  mdd_welch        the smallest true difference a Welch comparison of these
  mdd_paired       sds and n detects at level alpha with power 0.8
  verdict          (direction the claim expects, estimate, Holm-adjusted p,
                   mdd) -> supported / contradicted / no difference found / open
  num, num_sig,    numbers as text, never "-0"
  fmt_summary, fmt_p

Every test returns its estimate (mean of the first group minus the second,
or the mean difference), so a verdict reads direction and size from the same
result as its p-value. Conventions where scipy returns nan (zero variance on
both sides): equal means give t = 0 and p = 1, different means t = +-inf and
p = 0 (the runs leave no doubt). tests/studies/test_stats.py checks every
function against scipy's answers on fixed inputs.

With 3 seeds on each side, note what the designs can give at best: the exact
two-sample permutation test has 20 splits, so its smallest two-sided p is
0.1; the paired permutation test has 2^3 = 8 sign flips, smallest p 0.25.
Neither can reach 0.05 at n = 3: use the t-tests there (or more seeds)."""
import itertools
import math
import random
from typing import NamedTuple, Optional, Sequence

SUPPORTED = "supported"
CONTRADICTED = "contradicted"
NO_DIFFERENCE = "no difference found"
OPEN = "open"


class Summary(NamedTuple):
    """mean, sample sd (n - 1 in the denominator; 0.0 when n = 1, which every
    test refuses) and the count of finite values."""
    mean: float
    sd: float
    n: int


class TTest(NamedTuple):
    """estimate: mean of a minus mean of b (or the mean difference); t; its
    degrees of freedom (nan where both variances are 0); two-sided p."""
    estimate: float
    t: float
    df: float
    p: float


class Permutation(NamedTuple):
    """estimate: the observed difference of means (or mean difference);
    two-sided p (twice the smaller tail, at most 1, scipy's convention);
    exact: every rearrangement was enumerated; resamples: how many
    rearrangements the null distribution holds."""
    estimate: float
    p: float
    exact: bool
    resamples: int


# ---------------------------------------------------------------------------
# summaries

def finite(xs):
    """The values of xs that are numbers and finite (None, nan, inf dropped):
    a run that is missing or diverged is left out, not counted as zero."""
    return [float(x) for x in xs if x is not None and math.isfinite(x)]


def mean(xs):
    """Arithmetic mean; xs must hold at least one value."""
    xs = list(xs)
    if not xs:
        raise ValueError("mean of no values: pass at least one")
    return math.fsum(xs) / len(xs)


def sd(xs):
    """Sample standard deviation (n - 1 in the denominator); needs 2 values."""
    xs = list(xs)
    if len(xs) < 2:
        raise ValueError(f"a sample sd needs at least 2 values, got {len(xs)}")
    m = mean(xs)
    return math.sqrt(math.fsum((x - m) ** 2 for x in xs) / (len(xs) - 1))


def summary(xs) -> Optional[Summary]:
    """Summary of the finite values of xs, or None when there are none."""
    xs = finite(xs)
    if not xs:
        return None
    return Summary(mean(xs), sd(xs) if len(xs) > 1 else 0.0, len(xs))


def _values(xs, what):
    """xs as floats; a missing or non-finite value is an error, not a zero."""
    xs = list(xs)
    bad = [x for x in xs if x is None or not math.isfinite(x)]
    if bad:
        raise ValueError(f"{what} holds {bad[0]!r}: drop missing or diverged runs first (stats.finite)")
    return [float(x) for x in xs]


# ---------------------------------------------------------------------------
# the Student t distribution

_TINY = 1e-300


def _betacf(a, b, x):
    """The continued fraction of the incomplete beta function (modified
    Lentz), converging fast for x < (a + 1) / (a + b + 2)."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, 100000):
        m2 = 2 * m
        for aa in (m * (b - m) * x / ((qam + m2) * (a + m2)),
                   -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1.0 + aa * d
            d = 1.0 / (d if abs(d) > _TINY else _TINY)
            c = 1.0 + aa / c
            c = c if abs(c) > _TINY else _TINY
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            return h
    raise ArithmeticError(f"incomplete beta: no convergence for a={a}, b={b}, x={x}")


def betainc(a, b, x):
    """The regularized incomplete beta function I_x(a, b), a, b > 0, 0 <= x <= 1."""
    if not (a > 0 and b > 0):
        raise ValueError(f"betainc needs a, b > 0, got a={a}, b={b}")
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"betainc needs 0 <= x <= 1, got {x}")
    if x == 0.0 or x == 1.0:
        return x
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_sf2(t, df):
    """Two-sided tail P(|T| >= |t|) of Student's t with df degrees of freedom
    (df may be fractional; df = inf is the normal distribution)."""
    if math.isnan(t) or not df > 0:
        raise ValueError(f"t tail needs a number t and df > 0, got t={t}, df={df}")
    if math.isinf(t):
        return 0.0
    if math.isinf(df):
        return math.erfc(abs(t) / math.sqrt(2.0))
    return min(1.0, betainc(df / 2.0, 0.5, df / (df + t * t)))


def t_cdf(t, df):
    """P(T <= t) for Student's t with df degrees of freedom."""
    half = t_sf2(t, df) / 2.0
    return 1.0 - half if t > 0 else half


def t_ppf(q, df):
    """The q-quantile of Student's t with df degrees of freedom, 0 < q < 1
    (bisection on the tail, to about 1e-12 relative)."""
    if not 0.0 < q < 1.0:
        raise ValueError(f"a t quantile needs 0 < q < 1, got {q}")
    if q == 0.5:
        return 0.0
    tail = 2.0 * min(q, 1.0 - q)  # the two-sided tail at the answer's |t|
    lo, hi = 0.0, 1.0
    while t_sf2(hi, df) > tail:
        lo, hi = hi, 2.0 * hi
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if t_sf2(mid, df) > tail:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-13 * hi:
            break
    x = 0.5 * (lo + hi)
    return x if q > 0.5 else -x


# ---------------------------------------------------------------------------
# t-tests

def _t_result(diff, se, df):
    """TTest for estimate diff with standard error se on df degrees of freedom."""
    if se > 0:
        t = diff / se
        return TTest(diff, t, df, t_sf2(t, df))
    if diff == 0:
        return TTest(diff, 0.0, df, 1.0)
    return TTest(diff, math.copysign(math.inf, diff), df, 0.0)


def welch_summary(a: Summary, b: Summary) -> TTest:
    """Welch's t-test of a against b given as (mean, sd, n) each, n >= 2."""
    (ma, sa, na), (mb, sb, nb) = a, b
    if na < 2 or nb < 2:
        raise ValueError(f"Welch's t needs at least 2 values per group, got n = {na} and {nb}")
    va, vb = sa * sa / na, sb * sb / nb
    se2 = va + vb
    df = se2 * se2 / (va * va / (na - 1) + vb * vb / (nb - 1)) if se2 > 0 else math.nan
    return _t_result(ma - mb, math.sqrt(se2), df)


def welch(xs: Sequence[float], ys: Sequence[float]) -> TTest:
    """Welch's t-test of xs against ys (scipy.stats.ttest_ind(xs, ys, equal_var=False))."""
    xs, ys = _values(xs, "the first group"), _values(ys, "the second group")
    return welch_summary(_summary_of(xs), _summary_of(ys))


def _summary_of(xs):
    return Summary(mean(xs) if xs else math.nan, sd(xs) if len(xs) > 1 else 0.0, len(xs))


def one_sample_t(ds: Sequence[float], mu: float = 0.0) -> TTest:
    """t-test of the mean of ds against mu, n - 1 df (estimate: mean - mu)."""
    ds = _values(ds, "the values")
    if len(ds) < 2:
        raise ValueError(f"a one-sample or paired t needs at least 2 values, got {len(ds)}")
    return _t_result(mean(ds) - mu, sd(ds) / math.sqrt(len(ds)), len(ds) - 1.0)


def paired(xs: Sequence[float], ys: Sequence[float]) -> TTest:
    """Paired t-test of xs against ys, pair i = (xs[i], ys[i]), e.g. two
    methods' runs of the same seed (scipy.stats.ttest_rel(xs, ys))."""
    xs, ys = _values(xs, "the first group"), _values(ys, "the second group")
    if len(xs) != len(ys):
        raise ValueError(f"a paired test needs as many values on each side, got {len(xs)} and {len(ys)}")
    return one_sample_t([x - y for x, y in zip(xs, ys)])


# ---------------------------------------------------------------------------
# permutation tests

def _two_sided(null, observed, adjustment):
    """scipy.stats.permutation_test's two-sided p: twice the smaller tail,
    values within 100 ulp of the observed one counting as ties. (Where a
    tie's rounding differs by more, scipy misses it: it gives p = 0.8 for
    [0.1, 0.7, 0.3] against [0.3, 0.1, 0.7], equal means, where this gives
    the exact answer 1; the test checks it.)"""
    gamma = abs(observed) * 100 * 2.0 ** -52
    less = sum(1 for v in null if v <= observed + gamma)
    greater = sum(1 for v in null if v >= observed - gamma)
    return min(1.0, 2.0 * (min(less, greater) + adjustment) / (len(null) + adjustment))


def permutation(xs: Sequence[float], ys: Sequence[float], paired: bool = False, max_exact: int = 200000,
                resamples: int = 99999, seed: int = 1) -> Permutation:
    """Permutation test of the difference of means of xs and ys (paired:
    the mean of xs[i] - ys[i], each pair's sign flipped). Exact where there
    are at most max_exact rearrangements (C(nx + ny, nx) splits, or 2^n
    flips), else `resamples` random ones from random.Random(seed), counted
    with the observed one as scipy does ((k + 1) / (resamples + 1))."""
    xs, ys = _values(xs, "the first group"), _values(ys, "the second group")
    if paired:
        if len(xs) != len(ys):
            raise ValueError(f"a paired test needs as many values on each side, got {len(xs)} and {len(ys)}")
        if not xs:
            raise ValueError("a paired permutation test needs at least one pair")
        ds = [x - y for x, y in zip(xs, ys)]
        n = len(ds)
        observed = math.fsum(ds) / n
        if 2 ** n <= max_exact:
            null = [math.fsum(s * d for s, d in zip(signs, ds)) / n
                    for signs in itertools.product((1.0, -1.0), repeat=n)]
            return Permutation(observed, _two_sided(null, observed, 0), True, len(null))
        rng = random.Random(seed)
        null = [math.fsum(d if rng.random() < 0.5 else -d for d in ds) / n for _ in range(resamples)]
        return Permutation(observed, _two_sided(null, observed, 1), False, resamples)
    if not xs or not ys:
        raise ValueError(f"a two-sample permutation test needs values on both sides, got {len(xs)} and {len(ys)}")
    pooled, nx = xs + ys, len(xs)
    total = math.fsum(pooled)

    def diff(first_sum):
        return first_sum / nx - (total - first_sum) / (len(pooled) - nx)

    observed = mean(xs) - mean(ys)
    if math.comb(len(pooled), nx) <= max_exact:
        null = [diff(math.fsum(pooled[i] for i in idx)) for idx in itertools.combinations(range(len(pooled)), nx)]
        return Permutation(observed, _two_sided(null, observed, 0), True, len(null))
    rng = random.Random(seed)
    null = [diff(math.fsum(rng.sample(pooled, nx))) for _ in range(resamples)]
    return Permutation(observed, _two_sided(null, observed, 1), False, resamples)


# ---------------------------------------------------------------------------
# multiple comparisons, power, verdicts

def holm(ps: Sequence[float]):
    """Holm's step-down adjusted p-values, in the order given: the i-th
    smallest p times (m - i + 1), made non-decreasing, at most 1. Pass the
    whole family (every comparison the claims table makes)."""
    ps = list(ps)
    for p in ps:
        if p is None or not 0.0 <= p <= 1.0:
            raise ValueError(f"Holm's correction needs p-values in [0, 1], got {p!r}")
    m, adjusted, running = len(ps), [0.0] * len(ps), 0.0
    for rank, i in enumerate(sorted(range(m), key=lambda i: ps[i])):
        running = max(running, min(1.0, (m - rank) * ps[i]))
        adjusted[i] = running
    return adjusted


def _mdd(se, df, alpha, power):
    if not 0.0 < alpha < 1.0 or not 0.0 < power < 1.0:
        raise ValueError(f"alpha and power must lie in (0, 1), got {alpha} and {power}")
    if se == 0:
        return 0.0
    return (t_ppf(1.0 - alpha / 2.0, df) + t_ppf(power, df)) * se


def mdd_welch(sd_a: float, n_a: int, sd_b: float, n_b: int, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest true difference of means that a two-sided Welch test at
    level alpha detects with the given power, for groups of these sds and
    sizes: (t_{1-alpha/2, df} + t_{power, df}) * se, df Welch-Satterthwaite's
    (the usual approximation of the noncentral t; at 2-4 df the exact power
    there is 0.77-0.79). It is what "no difference found" means: a true
    difference this large would likely have been seen. In a Holm-corrected
    family of m comparisons pass alpha = 0.05 / m, the strictest level
    Holm's procedure tests at, for a bound that does not flatter the runs."""
    if n_a < 2 or n_b < 2:
        raise ValueError(f"a minimum detectable difference needs at least 2 values per group, got {n_a} and {n_b}")
    va, vb = sd_a * sd_a / n_a, sd_b * sd_b / n_b
    if va + vb == 0:
        return 0.0
    df = (va + vb) ** 2 / (va * va / (n_a - 1) + vb * vb / (n_b - 1))
    return _mdd(math.sqrt(va + vb), df, alpha, power)


def mdd_paired(sd_diff: float, n: int, alpha: float = 0.05, power: float = 0.8) -> float:
    """mdd_welch's counterpart for a paired t-test of n pairs whose
    differences have sample sd sd_diff (n - 1 df)."""
    if n < 2:
        raise ValueError(f"a minimum detectable difference needs at least 2 pairs, got {n}")
    return _mdd(sd_diff / math.sqrt(n), n - 1.0, alpha, power)


class Verdict(NamedTuple):
    """label: SUPPORTED, CONTRADICTED, NO_DIFFERENCE or OPEN; mdd: the
    smallest detectable difference (shown with NO_DIFFERENCE)."""
    label: str
    mdd: Optional[float] = None

    def __str__(self):
        if self.label == NO_DIFFERENCE:
            return f"{NO_DIFFERENCE} (smallest detectable: {num_sig(self.mdd)})"
        return self.label


def verdict(expected: int, estimate: Optional[float], p_adjusted: Optional[float], mdd: Optional[float],
            alpha: float = 0.05) -> Verdict:
    """A claim's verdict. expected: +1 if the claim says the estimate (first
    minus second) is positive, -1 if negative (lower FD of ours than the
    baseline's: -1). p_adjusted: the comparison's Holm-adjusted p.
      supported            p_adjusted < alpha, estimate in the expected direction
      contradicted         p_adjusted < alpha, estimate the other way
      no difference found  p_adjusted >= alpha, and the runs could have seen a
                           difference of mdd (finite)
      open                 not measured (any input None or nan), or no power
                           to see any difference (mdd infinite)"""
    if expected not in (1, -1):
        raise ValueError(f"expected must be +1 (the claim says first > second) or -1 (first < second), got {expected!r}")
    if estimate is None or p_adjusted is None or math.isnan(estimate) or math.isnan(p_adjusted):
        return Verdict(OPEN)
    if p_adjusted < alpha:
        if estimate == 0:
            return Verdict(OPEN)
        return Verdict(SUPPORTED if (estimate > 0) == (expected > 0) else CONTRADICTED)
    if mdd is None or not math.isfinite(mdd):
        return Verdict(OPEN)
    return Verdict(NO_DIFFERENCE, mdd)


# ---------------------------------------------------------------------------
# numbers as text

def num(x, digits):
    """x with `digits` decimals; a value that rounds to zero prints as 0, not -0."""
    return f"{0.0 if round(x, digits) == 0 else x:.{digits}f}"


def num_sig(x, sig=2):
    """x to `sig` significant digits in fixed notation (0.00051, 5.3, 120), never -0."""
    if x is None or not math.isfinite(x):
        return str(x)
    if x == 0:
        return num(0.0, sig - 1)
    digits = max(0, sig - 1 - math.floor(math.log10(abs(x))))
    return num(round(x, digits), digits)


def fmt_summary(st, digits=3, count=True):
    """'mean +- sd', and ' (n=N)' unless count is False; 'n/a' for None."""
    if st is None:
        return "n/a"
    m, s, n = st
    return f"{num(m, digits)} +- {s:.{digits}f}" + (f" (n={n})" if count else "")


def fmt_p(p):
    """'p = 0.043' to 2 significant digits; 'p < 0.0001' below that."""
    if p is None or math.isnan(p):
        return "p n/a"
    return "p < 0.0001" if p < 1e-4 else f"p = {num_sig(p)}"
