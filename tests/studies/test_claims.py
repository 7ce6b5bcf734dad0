#!/usr/bin/env python3
"""studies/claims.py: the claims table and README's headline from the
studies' runs.csv, on summaries written here with answers worked out by
hand and against stats.py's functions, and the committed tables checked
against the committed summaries (--check).

The test fails when the script is broken (each tried once in a scratch
copy): adjusting each p-value alone instead of over the family fails
test_holm_runs_over_the_whole_table; pairing by position instead of by seed
fails test_paired_pairs_by_seed; taking the smallest detectable difference
at alpha 0.05 instead of 0.05 / m fails test_holm_runs_over_the_whole_table;
a stale table that --check lets pass fails test_check_and_rewrite; and any
hand edit of docs/RESULTS.md's claims table or README's headline fails
test_committed_tables_are_current.

usage: test_claims.py [SOURCE_DIR]"""
import io
import os
import subprocess
import sys
import tempfile
import unittest
from contextlib import redirect_stdout

SOURCE = sys.argv.pop(1) if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
sys.path.insert(0, os.path.join(SOURCE, "studies"))
sys.path.insert(0, os.path.join(SOURCE, "studies", "lib"))
import claims  # noqa: E402
import stats  # noqa: E402
import summary  # noqa: E402

KEYS = dict(dataset="toy", iterations=100, method="adaptive-ce", noise="langevin", schedule="fixed",
            g_lr_schedule="cosine", g_lr=0.001, e_lr=0.0005, variant="", device="cpu")


def rows(study, run, seeds, **metrics):
    """One row per seed; each metric a list of per-seed values."""
    return [dict(KEYS, study=study, run=run, seed=s, **{k: v[i] for k, v in metrics.items()})
            for i, s in enumerate(seeds)]


class Claims(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        os.makedirs(f"{self.dir}/toy")
        summary.write_csv(f"{self.dir}/toy/runs.csv",
                          rows("toy", "ours", [1, 2, 3], fd=[10.0, 11.0, 12.0], fd_k2=[13.0, 15.0, 14.5],
                               mse=[0.04, 0.041, 0.042], mse_at80=[0.0404, 0.0413, 0.0421])
                          + rows("toy", "base", [1, 2, 3], fd=[20.0, 22.0, 21.0], mse=[0.04, 0.0415, 0.0418])
                          + rows("toy", "shuffled", [3, 1, 2], fd=[13.0, 14.0, 15.0]))
        self.studies = claims.load_studies(self.dir)

    def tearDown(self):
        self.tmp.cleanup()

    def claim(self, cid, design, ours, base, expected=-1, level=0.0):
        side = lambda run, metric: None if run is None else claims.Side("toy", {"run": run}, metric, run)  # noqa: E731
        return claims.Claim(cid, "text", "toy", side(*ours) if ours else None, side(*base) if base else None,
                            expected, design, "A.0", level)

    def test_holm_runs_over_the_whole_table(self):
        family = [self.claim("a", "welch", ("ours", "fd"), ("base", "fd")),
                  self.claim("b", "welch", ("ours", "mse"), ("base", "mse")),
                  self.claim("c", "one-sample", ("ours", "fd"), None, expected=1, level=5.0),
                  self.claim("d", "pending", None, None),
                  self.claim("e", "welch", ("ours", "fd"), ("missing", "fd"))]   # no runs: open, not in the family
        res = claims.evaluate(family, self.studies)
        a = stats.welch([10.0, 11.0, 12.0], [20.0, 22.0, 21.0])
        b = stats.welch([0.04, 0.041, 0.042], [0.04, 0.0415, 0.0418])
        c = stats.one_sample_t([10.0, 11.0, 12.0], 5.0)
        holm = stats.holm([a.p, b.p, c.p])
        self.assertEqual([r.p_holm for r in res[:3]], holm)
        self.assertEqual([r.test.t for r in res[:3]], [a.t, b.t, c.t])
        self.assertTrue(all(r.p_holm is None and r.verdict.label == stats.OPEN for r in res[3:]))
        # the smallest detectable difference at alpha = 0.05 / m, m = 3 tests in the family
        self.assertAlmostEqual(res[0].mdd, stats.mdd_welch(1.0, 3, 1.0, 3, alpha=0.05 / 3))
        self.assertAlmostEqual(res[2].mdd, stats.mdd_paired(1.0, 3, alpha=0.05 / 3))
        # 10 vs 21 with sd 1 on each side: t = -13.5, Holm p < 0.05 in the expected direction
        self.assertEqual(res[0].verdict.label, stats.SUPPORTED)
        self.assertEqual(res[1].verdict.label, stats.NO_DIFFERENCE)
        self.assertEqual(res[2].verdict.label, stats.SUPPORTED)
        flipped = claims.evaluate([self.claim("a", "welch", ("ours", "fd"), ("base", "fd"), expected=1)], self.studies)
        self.assertEqual(flipped[0].verdict.label, stats.CONTRADICTED)

    def test_paired_pairs_by_seed(self):
        # "shuffled" lists seeds 3, 1, 2 with 13, 14, 15: by seed, 14 / 15 / 13 against ours' 10 / 11 / 12
        r = claims.evaluate([self.claim("p", "paired", ("ours", "fd"), ("shuffled", "fd"))], self.studies)[0]
        t = stats.paired([10.0, 11.0, 12.0], [14.0, 15.0, 13.0])
        self.assertEqual((r.test.t, r.test.p), (t.t, t.p))
        # the same run's ablation column, and a derived metric (test MSE change over the last fifth, %)
        r = claims.evaluate([self.claim("k", "paired", ("ours", "fd"), ("ours", "fd_k2")),
                             self.claim("m", "one-sample", ("ours", "mse_change"), None, level=-1.0, expected=1)],
                            self.studies)
        self.assertEqual(r[0].test.estimate, stats.mean([-3.0, -4.0, -2.5]))
        changes = [100 * (0.04 / 0.0404 - 1), 100 * (0.041 / 0.0413 - 1), 100 * (0.042 / 0.0421 - 1)]
        self.assertAlmostEqual(r[1].test.estimate, stats.mean(changes) + 1.0)

    def test_check_and_rewrite(self):
        report, readme = f"{self.dir}/RESULTS.md", f"{self.dir}/README.md"
        with open(report, "w") as f:
            f.write(f"intro\n{claims.BEGIN}\nold\n{claims.END}\nafter\n")
        with open(readme, "w") as f:
            f.write(f"{claims.H_BEGIN}\n{claims.H_END}\n")
        family = [self.claim(c, "welch", ("ours", "fd"), ("base", "fd"))
                  for c in ("T1F-gauss-fd60", "T1F-gauss-fd100", "T1F-single-fd60", "T1F-single-fd100",
                            "T1F-nonad-fd60", "T1F-nonad-fd100", "T1F-nonad-mse", "T1F-lebm-fd60", "T1F-lebm-fd100",
                            "T1F-lebm-mse")]
        run = lambda *argv: claims.main(list(argv), studies_dir=self.dir, report=report, readme=readme,  # noqa: E731
                                        claims=family)
        with self.assertRaisesRegex(SystemExit, "differ from what the studies' runs.csv give"):
            run("--check")
        with redirect_stdout(io.StringIO()):
            run()
        run("--check")   # current now: no exit
        text = open(report).read()
        self.assertTrue(text.startswith(f"intro\n{claims.BEGIN}\n"))
        self.assertTrue(text.endswith(f"{claims.END}\nafter\n"))
        self.assertIn("| T1F-gauss-fd60 | text | toy | ours: 11.000 +- 1.000 (3) | base: 21.000 +- 1.000 (3) | Welch t(4.0) = -12 | p = 0.00026 | p = 0.0026 | **supported** | A.0 |", text)
        self.assertIn("| Gaussian prior | 11.000 vs 21.000: supported |", open(readme).read())
        with open(report, "w") as f:
            f.write("no markers\n")
        with self.assertRaisesRegex(ValueError, "lacks the markers"):
            run()

    def test_committed_tables_are_current(self):
        res = subprocess.run([sys.executable, os.path.join(SOURCE, "studies", "claims.py"), "--check"],
                             capture_output=True, text=True)
        self.assertEqual(res.returncode, 0, res.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
