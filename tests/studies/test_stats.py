#!/usr/bin/env python3
"""studies/lib/stats.py against answers computed independently.

Every reference number below was computed once with scipy 1.17.1 (numpy
2.4.6, Python 3.11) in a virtual environment outside the repository; the call
that produced each is written beside it, so anyone can recompute them. The
module itself uses no scipy. Holm's adjustments are worked out by hand in the
comments. Edge cases: 3 vs 3 runs, equal means, zero variance on one side
and on both, a huge t (p ~ 1e-24), Monte Carlo permutations against the
exact enumeration.

The test fails when the module is broken (each break tried once in a
scratch copy): Welch's df replaced by Student's pooled na + nb - 2 fails
test_welch_against_scipy, the same in mdd_welch fails
test_mdd_welch_against_scipy; Holm's multiplier m - rank replaced by m
fails test_holm_by_hand; the two-sided permutation p taken as one tail fails
the three permutation tests; betainc's complement branch without its "1 -"
fails every test that reaches the t distribution.

usage: test_stats.py [SOURCE_DIR]"""
import math
import os
import sys
import unittest

SOURCE = sys.argv.pop(1) if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
sys.path.insert(0, os.path.join(SOURCE, "studies", "lib"))
import stats  # noqa: E402

# Inputs shared by several tests (FD-like, MSE-like and made-up values).
W1 = ([10.2, 11.5, 12.1], [20.3, 21.0, 22.8])            # 3 vs 3, clearly apart
W2 = ([23.1, 26.9, 28.0], [25.9, 26.0, 26.01])           # 3 vs 3, a tie with very unequal sds
W3 = ([0.0371, 0.0368, 0.0375, 0.0369, 0.0372], [0.0380, 0.0377, 0.0391])  # 5 vs 3, MSE scale
EQUAL = ([1.0, 2.0, 3.0], [0.0, 2.0, 4.0])               # equal means
ZERO_VAR = ([5.0, 5.0, 5.0], [4.0, 4.5, 6.2])            # no spread on one side
HUGE = ([1000.0, 1000.001, 1000.002], [0.0, 0.001, 0.002])  # t ~ 1.2e6
P1 = ([1.2, 2.3, 3.1], [1.0, 2.5, 2.6])                  # 3 pairs
P2 = ([0.52, 0.55, 0.49, 0.61, 0.58], [0.50, 0.51, 0.47, 0.55, 0.57])
P6 = ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [0.5, 1.4, 3.2, 3.1, 4.2, 5.3])
A8 = [1.2, 0.8, 1.9, 1.4, 2.2, 1.1, 1.7, 1.5]
B8 = [0.9, 0.7, 1.3, 0.6, 1.0, 1.2, 0.5, 1.1]


class Distribution(unittest.TestCase):
    def test_betainc_against_scipy(self):
        # scipy.special.betainc(a, b, x)
        for a, b, x, want in [(2.5, 0.5, 0.3, 0.018927124071945658), (0.5, 0.5, 0.9, 0.7951672353008665),
                              (10.0, 3.0, 0.7, 0.25281534785499993), (500.0, 0.5, 0.999, 0.31731044730971725)]:
            self.assertAlmostEqual(stats.betainc(a, b, x), want, delta=1e-12 * max(1.0, want), msg=(a, b, x))
        self.assertEqual(stats.betainc(2.0, 3.0, 0.0), 0.0)
        self.assertEqual(stats.betainc(2.0, 3.0, 1.0), 1.0)
        with self.assertRaises(ValueError):
            stats.betainc(0.0, 1.0, 0.5)

    def test_t_cdf_and_two_sided_tail_against_scipy(self):
        # scipy.stats.t.cdf(t, df) and 2 * scipy.stats.t.sf(abs(t), df)
        for t, df, cdf, tail in [(2.0, 3.0, 0.9303370157205785, 0.13932596855884305),
                                 (-1.5, 4.7, 0.0987707504313989, 0.1975415008627978),
                                 (0.3, 100.0, 0.6176000598498482, 0.7647998803003035),
                                 (50.0, 2.5, 0.9999593475245752, 8.130495084958722e-05),
                                 (-3.0, 1e6, 0.0013499312707109, 0.0026998625414218),
                                 (1.0, 1.0, 0.75, 0.5000000000000001)]:
            self.assertAlmostEqual(stats.t_cdf(t, df), cdf, delta=1e-10, msg=(t, df))
            # relative 1e-8: at df = 1e6, lgamma(a + 1/2) - lgamma(a) loses ~1e-9 to cancellation
            self.assertAlmostEqual(stats.t_sf2(t, df), tail, delta=1e-8 * tail, msg=(t, df))
        self.assertEqual(stats.t_sf2(math.inf, 3.0), 0.0)
        self.assertEqual(stats.t_sf2(0.0, 3.0), 1.0)
        # df = inf: the normal distribution, 2 * scipy.stats.norm.sf(1.96) = 0.04999579029644087
        self.assertAlmostEqual(stats.t_sf2(1.96, math.inf), 0.04999579029644087, delta=1e-14)

    def test_t_ppf_against_scipy(self):
        # scipy.stats.t.ppf(q, df)
        for q, df, want in [(0.975, 4.0, 2.7764451051977934), (0.8, 4.0, 0.9409645772351816),
                            (0.975, 3.4482758620689653, 2.9607304803172347), (0.995, 1.0, 63.656741162871526),
                            (0.1, 7.5, -1.405211846415953), (0.975, 1e6, 1.959966356814107)]:
            self.assertAlmostEqual(stats.t_ppf(q, df), want, delta=1e-9 * abs(want), msg=(q, df))
        self.assertEqual(stats.t_ppf(0.5, 3.0), 0.0)
        with self.assertRaises(ValueError):
            stats.t_ppf(1.0, 3.0)


class TTests(unittest.TestCase):
    def check(self, got, t, p, df):
        self.assertAlmostEqual(got.t, t, delta=1e-9 * max(1.0, abs(t)))
        self.assertAlmostEqual(got.p, p, delta=1e-9 * p if p > 0 else 0.0)
        self.assertAlmostEqual(got.df, df, delta=1e-9 * df)

    def test_welch_against_scipy(self):
        # r = scipy.stats.ttest_ind(a, b, equal_var=False): r.statistic, r.pvalue, r.df
        self.check(stats.welch(*W1), -10.835257878760093, 0.0006035573542136416, 3.7164544653438267)
        self.check(stats.welch(*W2), 0.020205036366320768, 0.9857125224277761, 2.0022390310684925)
        self.check(stats.welch(*W3), -2.6344847532324187, 0.10126277399092323, 2.336992043360632)
        self.check(stats.welch(*EQUAL), 0.0, 1.0, 2.9411764705882346)
        # zero variance on one side: df falls to the other side's n - 1
        self.check(stats.welch(*ZERO_VAR), 0.15018785229652842, 0.894394998428685, 2.0)
        # a huge t: the tail is computed directly, not as 1 - cdf (scipy: 2.6666666665286976e-24)
        got = stats.welch(*HUGE)
        self.assertAlmostEqual(got.t, 1224744.8714060697, delta=1e-6 * 1224744.8714060697)
        self.assertAlmostEqual(got.p, 2.6666666665286976e-24, delta=1e-6 * 2.6666666665286976e-24)
        self.assertEqual(got.df, 4.0)
        self.assertAlmostEqual(stats.welch(*W1).estimate, 33.8 / 3 - 64.1 / 3, delta=1e-12)

    def test_welch_from_summaries_matches(self):
        a, b = stats.summary(W3[0]), stats.summary(W3[1])
        self.assertEqual(stats.welch_summary(a, b), stats.welch(*W3))

    def test_welch_without_any_spread(self):
        # scipy returns nan for these; the module's convention: the runs leave no doubt.
        same = stats.welch([2.0, 2.0, 2.0], [2.0, 2.0])
        self.assertEqual((same.t, same.p), (0.0, 1.0))
        apart = stats.welch([1.0, 1.0, 1.0], [3.0, 3.0, 3.0])
        self.assertEqual((apart.t, apart.p, apart.estimate), (-math.inf, 0.0, -2.0))
        self.assertTrue(math.isnan(apart.df))

    def test_paired_against_scipy(self):
        # r = scipy.stats.ttest_rel(x, y): r.statistic, r.pvalue, r.df
        self.check(stats.paired(*P1), 0.8219949365267859, 0.4974810923703941, 2.0)
        self.check(stats.paired(*P2), 3.3541019662496896, 0.028460203254338217, 4.0)
        # every difference 1: scipy gives statistic inf, pvalue 0.0
        same = stats.paired([3.0, 4.0, 5.0], [2.0, 3.0, 4.0])
        self.assertEqual((same.t, same.p, same.estimate), (math.inf, 0.0, 1.0))
        # the paired test is the one-sample test of the differences
        self.assertEqual(stats.paired(*P2), stats.one_sample_t([x - y for x, y in zip(*P2)]))

    def test_bad_input_is_refused_with_a_reason(self):
        with self.assertRaisesRegex(ValueError, "at least 2 values per group"):
            stats.welch([1.0], [2.0, 3.0])
        with self.assertRaisesRegex(ValueError, "drop missing or diverged runs"):
            stats.welch([1.0, None, 2.0], [2.0, 3.0])
        with self.assertRaisesRegex(ValueError, "drop missing or diverged runs"):
            stats.paired([1.0, math.nan], [2.0, 3.0])
        with self.assertRaisesRegex(ValueError, "as many values on each side"):
            stats.paired([1.0, 2.0, 3.0], [2.0, 3.0])
        with self.assertRaisesRegex(ValueError, "at least 2 values"):
            stats.one_sample_t([1.0])


class Permutations(unittest.TestCase):
    def test_two_sample_exact_against_scipy(self):
        # r = scipy.stats.permutation_test((a, b), lambda x, y, axis: x.mean(axis) - y.mean(axis),
        #         permutation_type="independent", vectorized=True, n_resamples=np.inf, alternative="two-sided")
        # r.statistic, r.pvalue, len(r.null_distribution)
        for (a, b), est, p, count in [
                (W1, -10.099999999999998, 0.1, 20),      # 3 vs 3: 20 splits, the smallest p there is
                (W2, 0.030000000000001137, 1.0, 20),
                (W3, -0.001166666666666663, 0.03571428571428571, 56),
                (([3.1, 2.2, 4.0, 3.3], [1.0, 2.5, 1.7, 2.9, 0.4]), 1.4500000000000004, 0.06349206349206349, 126)]:
            got = stats.permutation(a, b)
            self.assertAlmostEqual(got.estimate, est, delta=1e-12)
            self.assertAlmostEqual(got.p, p, delta=1e-15)
            self.assertEqual((got.exact, got.resamples), (True, count))

    def test_equal_means_tie_despite_rounding(self):
        # Equal means, in decimals that binary floats round: every split that ties counts, p = 1
        # exactly (scipy.stats.permutation_test as above gives 0.8 and 0.9142857142857143 here: its
        # vectorized means round the observed difference to +-5e-17 and the ties differently).
        self.assertEqual(stats.permutation([0.1, 0.7, 0.3], [0.3, 0.1, 0.7]).p, 1.0)
        self.assertEqual(stats.permutation([0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1]).p, 1.0)
        self.assertEqual(stats.permutation([0.1, 0.7, 0.3], [0.3, 0.1, 0.7], paired=True).p, 1.0)

    def test_paired_exact_against_scipy(self):
        # the same call with permutation_type="samples" (each pair's two values swapped: a sign flip)
        for (x, y), est, p, count in [(P1, 0.16666666666666652, 0.75, 8), (P2, 0.030000000000000027, 0.0625, 32),
                                      (P6, 0.5500000000000003, 0.0625, 64)]:
            got = stats.permutation(x, y, paired=True)
            self.assertAlmostEqual(got.estimate, est, delta=1e-12)
            self.assertAlmostEqual(got.p, p, delta=1e-15)
            self.assertEqual((got.exact, got.resamples), (True, count))

    def test_monte_carlo_approaches_the_exact_answer(self):
        # 8 vs 8 exactly: scipy's p over all 12870 splits is 0.012742812742812743
        exact = stats.permutation(A8, B8)
        self.assertTrue(exact.exact)
        self.assertAlmostEqual(exact.p, 0.012742812742812743, delta=1e-15)
        mc = stats.permutation(A8, B8, max_exact=0, resamples=20000, seed=3)
        self.assertFalse(mc.exact)
        # its standard error is sqrt(p (1 - p) / 20000) = 0.0008 and the +1 adds 0.0001: 5 se of room
        self.assertLess(abs(mc.p - exact.p), 0.004)
        self.assertEqual(mc, stats.permutation(A8, B8, max_exact=0, resamples=20000, seed=3))  # fixed seed
        mcp = stats.permutation(*P6, paired=True, max_exact=0, resamples=20000, seed=3)
        self.assertLess(abs(mcp.p - 0.0625), 0.01)  # se sqrt(0.0625 * 0.9375 / 20000) = 0.0017
        # Monte Carlo never gives p = 0: the observed rearrangement counts ((0 + 1) / (R + 1)).
        # (10 vs 10 far apart: a random split is as extreme once in 92378, so none of 999 is)
        far = stats.permutation([100.0 + i for i in range(10)], [float(i) for i in range(10)], max_exact=0,
                                resamples=999)
        self.assertAlmostEqual(far.p, 2.0 / 1000.0, delta=1e-15)


class Holm(unittest.TestCase):
    def test_holm_by_hand(self):
        # sorted 0.01 < 0.03 < 0.04 < 0.2, m = 4: 4 * 0.01 = 0.04, 3 * 0.03 = 0.09,
        # 2 * 0.04 = 0.08 -> 0.09 (never below an earlier one), 1 * 0.2 = 0.2; back in the given order
        for got, want in zip(stats.holm([0.01, 0.04, 0.03, 0.2]), [0.04, 0.09, 0.09, 0.2]):
            self.assertAlmostEqual(got, want, delta=1e-15)
        # 4 * 0.001 = 0.004, 3 * 0.013 = 0.039, 2 * 0.014 = 0.028 -> 0.039, 0.3
        for got, want in zip(stats.holm([0.3, 0.014, 0.001, 0.013]), [0.3, 0.039, 0.004, 0.039]):
            self.assertAlmostEqual(got, want, delta=1e-15)
        # capped at 1; one p is its own family
        self.assertEqual(stats.holm([0.5, 0.6]), [1.0, 1.0])
        self.assertEqual(stats.holm([0.02]), [0.02])
        self.assertEqual(stats.holm([]), [])
        with self.assertRaisesRegex(ValueError, r"in \[0, 1\]"):
            stats.holm([0.1, None])


class Power(unittest.TestCase):
    def test_mdd_welch_against_scipy(self):
        # se = sqrt(sa^2/na + sb^2/nb), df Welch-Satterthwaite's,
        # mdd = (scipy.stats.t.ppf(0.975, df) + scipy.stats.t.ppf(0.8, df)) * se.
        # The exact power of Welch's test at that difference (scipy.stats.nct, noncentrality mdd / se)
        # is 0.791, 0.766, 0.777, 0.776 in these four cases: the approximation's known slight shortfall
        # at a few degrees of freedom.
        for sa, na, sb, nb, want in [(1.0, 3, 1.0, 3, 3.035252295614148), (2.46, 3, 0.08, 3, 7.6083070224615446),
                                     (4.59, 3, 1.58, 3, 12.952182139956335),
                                     (0.0003, 5, 0.0007, 3, 0.0019764073887121518)]:
            self.assertAlmostEqual(stats.mdd_welch(sa, na, sb, nb), want, delta=1e-9 * want)
        self.assertEqual(stats.mdd_welch(0.0, 3, 0.0, 3), 0.0)
        with self.assertRaisesRegex(ValueError, "at least 2 values per group"):
            stats.mdd_welch(1.0, 1, 1.0, 3)

    def test_mdd_paired_against_scipy(self):
        # (scipy.stats.t.ppf(0.975, n - 1) + scipy.stats.t.ppf(0.8, n - 1)) * s / sqrt(n)
        self.assertAlmostEqual(stats.mdd_paired(0.5, 3), 1.5482550737230625, delta=1e-9)
        self.assertAlmostEqual(stats.mdd_paired(0.01, 5), 0.016624761500272076, delta=1e-11)


class Verdicts(unittest.TestCase):
    def test_each_verdict(self):
        # a claim that ours has the lower FD: estimate = ours - baseline, expected -1
        self.assertEqual(stats.verdict(-1, -10.1, 0.003, 3.0).label, stats.SUPPORTED)
        self.assertEqual(stats.verdict(-1, 10.1, 0.003, 3.0).label, stats.CONTRADICTED)
        self.assertEqual(stats.verdict(+1, 10.1, 0.003, 3.0).label, stats.SUPPORTED)
        nd = stats.verdict(-1, -0.5, 0.4, 7.6083070224615446)
        self.assertEqual((nd.label, str(nd)), (stats.NO_DIFFERENCE, "no difference found (smallest detectable: 7.6)"))
        self.assertEqual(str(stats.verdict(-1, 0.0001, 0.9, 0.0019764)),
                         "no difference found (smallest detectable: 0.0020)")
        # the boundary: p equal to alpha is not below it
        self.assertEqual(stats.verdict(-1, -3.0, 0.05, 3.0).label, stats.NO_DIFFERENCE)
        for args in [(-1, None, 0.01, 1.0), (-1, -1.0, None, 1.0), (-1, -1.0, math.nan, 1.0),
                     (-1, -1.0, 0.3, None), (-1, -1.0, 0.3, math.inf)]:
            self.assertEqual(str(stats.verdict(*args)), stats.OPEN, args)
        with self.assertRaisesRegex(ValueError, r"\+1"):
            stats.verdict(0, 1.0, 0.01, 1.0)


class Text(unittest.TestCase):
    def test_never_minus_zero(self):
        self.assertEqual(stats.num(-1e-9, 4), "0.0000")
        self.assertEqual(stats.num(-0.04, 1), "0.0")
        self.assertEqual(stats.num(-0.06, 1), "-0.1")
        self.assertEqual(stats.num_sig(-0.0, 2), "0.0")
        self.assertEqual(stats.num_sig(0.00051234), "0.00051")
        self.assertEqual(stats.num_sig(-5.349), "-5.3")
        self.assertEqual(stats.num_sig(123.4), "123")
        self.assertEqual(stats.num_sig(9.96), "10.0")

    def test_summary_and_its_text(self):
        self.assertEqual(stats.summary([1.0, 2.0, 3.0]), (2.0, 1.0, 3))
        self.assertEqual(stats.summary([None, 4.0, math.nan, 6.0]), (5.0, math.sqrt(2.0), 2))
        self.assertIsNone(stats.summary([None, math.inf]))
        self.assertEqual(stats.fmt_summary((-1e-9, 0.01, 3), 4), "0.0000 +- 0.0100 (n=3)")
        self.assertEqual(stats.fmt_summary(None), "n/a")
        self.assertEqual(stats.fmt_p(0.0006035573542136416), "p = 0.00060")
        self.assertEqual(stats.fmt_p(0.9857), "p = 0.99")
        self.assertEqual(stats.fmt_p(2.7e-24), "p < 0.0001")
        with self.assertRaisesRegex(ValueError, "at least 2 values"):
            stats.sd([1.0])


if __name__ == "__main__":
    unittest.main(verbosity=2)
