"""studies/paper-protocol/summarize.py on hand-made run folders: which
column each evaluation lands in (test MSE of an evaluation that names no test
selection is kept apart as mse_first1000), the Gaussian prior's row (a
non-adaptive run with 0 stages), LEBM's best rate of the sweep, and a
verdict row's Welch test against scipy's answer
(ttest_ind([10, 11, 12], [13, 14, 15], equal_var=False): t = -3.6742,
df = 4, p = 0.021312). Renaming mse without checking the selection, or
taking the Gaussian prior's FD from the run's own evaluation, fails it.

usage: test_paper_protocol.py [SOURCE_DIR]"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

SOURCE = sys.argv.pop(1) if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
SCRIPT = os.path.join(SOURCE, "studies", "paper-protocol", "summarize.py")
sys.path.insert(0, os.path.join(SOURCE, "studies", "lib"))
import summary  # noqa: E402

CONFIG = """# resolved latentebm config (all keys)
data:
  path: "data/fashion-mnist.h5"
train:
  method: "{method}"
  iterations: 7200
  g_lr: 0.001
  g_lr_schedule: "cosine"
  e_lr: {e_lr}
  prior_samples: "{noise}"
  stage_schedule: "fixed"
  seed: {seed}
runtime:
  device: "cpu"
"""


def eval_json(sampler, fd, mse=None, uniform=True):
    e = {"fd_classifier": {"value": fd, "sampler": sampler}}
    if mse is not None:
        e["reconstruction_mse"] = {"value": mse}
        e["fd_classifier_reconstructions"] = {"value": 20.0}
        if uniform:
            e["reconstruction_mse"]["selection"] = "uniform random subset (test_subset, seed testsub1)"
    return e


P100, P60 = "langevin (100 steps, delta 0.1)", "langevin (60 steps, delta 0.4)"


def make_run(runs, name, seed, method, noise="langevin", e_lr=0.0005, files=None, metrics=None):
    d = os.path.join(runs, "fashion-mnist", f"{name}-s{seed}")
    os.makedirs(d)
    with open(os.path.join(d, "config.yaml"), "w") as f:
        f.write(CONFIG.format(method=method, e_lr=e_lr, noise=noise, seed=seed))
    for fname, e in (files or {}).items():
        with open(os.path.join(d, fname), "w") as f:
            json.dump(e, f)
    with open(os.path.join(d, "metrics.jsonl"), "w") as f:
        for r in metrics or []:
            f.write(json.dumps(r) + "\n")


class PaperProtocolSummary(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        runs = cls.runs = os.path.join(cls.tmp.name, "runs")
        for i, seed in enumerate((1, 2, 3)):
            make_run(runs, "adaptive-ce-cosine2x", seed, "adaptive-ce",
                     files={"eval.json": eval_json(P100, 10.0 + i, 0.03 + 0.001 * i),
                            "eval-fd60.json": eval_json(P60, 20.0 + i, 0.03 + 0.001 * i)},
                     metrics=[{"iteration": 20, "stage": 0, "nce_loss": 0.5, "noise_mmd2": 0.01},
                              {"iteration": 40, "stage": 1, "nce_loss": 0.9, "noise_mmd2": 0.02 + i}])
            make_run(runs, "non-adaptive-cosine2x", seed, "non-adaptive",
                     files={"eval.json": eval_json(P100, 13.0 + i, 0.04, uniform=False),
                            "eval-stages-0.json": eval_json(P100, 100.0 + i, 0.05, uniform=False),
                            "eval-fd60-k0.json": eval_json(P60, 90.0 + i)})
        make_run(runs, "lebm-cosine2x", 1, "lebm", e_lr="2.0000000000000002e-05",
                 files={"eval-fd60.json": eval_json(P60, 50.0)})
        make_run(runs, "lebm-elr1e-4-cosine2x", 1, "lebm", e_lr="0.0001", files={"eval-fd60.json": eval_json(P60, 40.0)})
        cls.out = os.path.join(cls.tmp.name, "out")
        os.makedirs(cls.out)
        subprocess.run([sys.executable, SCRIPT, runs, "--out", cls.out], check=True, capture_output=True)
        cls.rows = summary.read_csv(os.path.join(cls.out, "runs.csv"))
        with open(os.path.join(cls.out, "tables.md")) as f:
            cls.tables = f.read()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def pick(self, **where):
        return summary.select(self.rows, **where)

    def test_mse_kept_apart_without_a_test_selection(self):
        a = self.pick(method="adaptive-ce", seed=2)[0]
        self.assertEqual(a["mse"], 0.031)
        self.assertIsNone(a.get("mse_first1000"))
        n = self.pick(method="non-adaptive", seed=2)[0]
        self.assertIsNone(n["mse"])
        self.assertEqual(n["mse_first1000"], 0.04)
        self.assertIsNone(n.get("mse_k0"))  # an ablation's first-1,000 MSE is dropped

    def test_gaussian_row_is_non_adaptive_with_zero_stages(self):
        g = self.pick(method="gaussian", seed=3)
        self.assertEqual(len(g), 1)
        self.assertEqual(g[0]["fd_langevin100x0.1"], 102.0)
        self.assertEqual(g[0]["fd_langevin60x0.4"], 92.0)
        self.assertEqual(g[0]["mse_first1000"], 0.04)
        self.assertEqual((g[0]["variant"], g[0]["run"], g[0]["noise"]), ("eval.stages=0", "non-adaptive-cosine2x", ""))

    def test_key_columns_and_noise_diagnostics(self):
        a = self.pick(method="adaptive-ce", seed=3)[0]
        self.assertEqual((a["noise"], a["schedule"], a["e_lr"], a["iterations"]), ("langevin", "fixed", 0.0005, 7200))
        self.assertEqual((a["nce_end_stage1"], a["noise_mmd2_stage1"]), (0.9, 2.02))
        self.assertEqual(self.pick(method="lebm", run="lebm-cosine2x")[0]["e_lr"], 2e-05)
        self.assertEqual(self.pick(method="lebm", run="lebm-cosine2x")[0]["noise"], "")

    def test_best_lebm_rate(self):
        run = lambda *rates: subprocess.run([sys.executable, SCRIPT, "--best-lebm-elr", self.runs, "fashion-mnist", "1",  # noqa: E731
                                             *rates], capture_output=True, text=True)
        r = run("2e-5", "1e-4")
        self.assertEqual((r.returncode, r.stdout.strip()), (0, "1e-4"))
        r = run("2e-5", "1e-4", "5e-4")
        self.assertEqual(r.returncode, 1)
        self.assertIn("lacks a rate", r.stderr)

    def test_five_seeds_where_two_methods_land_within_2_sd(self):
        def close(runs):
            r = subprocess.run([sys.executable, SCRIPT, "--needs-five-seeds", runs, "fashion-mnist"],
                               capture_output=True, text=True, check=True)
            return r.stdout.split()
        with tempfile.TemporaryDirectory() as tmp:
            # adaptive 10, 11, 12 (sd 1) against non-adaptive 11.9, 12.9, 13.9: 1.9 apart, within 2 sd;
            # single-stage 16, 17, 18 is 5 from adaptive and 4.1 from non-adaptive: not within
            for i, seed in enumerate((1, 2, 3)):
                make_run(tmp, "adaptive-ce-cosine2x", seed, "adaptive-ce", files={"eval.json": eval_json(P100, 10.0 + i)})
                make_run(tmp, "non-adaptive-cosine2x", seed, "non-adaptive", files={"eval.json": eval_json(P100, 11.9 + i)})
                make_run(tmp, "single-stage-cosine2x", seed, "single-stage", files={"eval.json": eval_json(P100, 16.0 + i)})
            self.assertEqual(close(tmp), ["adaptive-ce-cosine2x", "non-adaptive-cosine2x"])
            # 2.1 apart is not within 2 sd
            for i, seed in enumerate((1, 2, 3)):
                with open(os.path.join(tmp, "fashion-mnist", f"non-adaptive-cosine2x-s{seed}", "eval.json"), "w") as f:
                    json.dump(eval_json(P100, 12.1 + i), f)
            self.assertEqual(close(tmp), [])
            # within again, but both sides have 5 seeds: nothing more to run
            for i, seed in enumerate((1, 2, 3)):
                with open(os.path.join(tmp, "fashion-mnist", f"non-adaptive-cosine2x-s{seed}", "eval.json"), "w") as f:
                    json.dump(eval_json(P100, 11.9 + i), f)
            for i, seed in ((0, 4), (2, 5)):
                make_run(tmp, "adaptive-ce-cosine2x", seed, "adaptive-ce", files={"eval.json": eval_json(P100, 10.0 + i)})
                make_run(tmp, "non-adaptive-cosine2x", seed, "non-adaptive", files={"eval.json": eval_json(P100, 11.9 + i)})
            self.assertEqual(close(tmp), [])

    def test_tables_regenerate_from_runs_csv(self):
        # the NCE curves and the LEBM verdict are columns of runs.csv, so --check can
        # recompute the tables from it alone (studies_tables_current)
        a = self.pick(method="adaptive-ce", seed=2)[0]
        self.assertEqual((a["nce_stage1_fifth5"], a["nce_stage1_fifth1"], a["reused"]), (0.9, None, 0.0))
        with open(os.path.join(self.out, "nce_curves.md")) as f:
            self.assertIn("| adaptive-ce-cosine2x | 2 | 1 | n/a | n/a | n/a | n/a | 0.900 |", f.read())
        # the sweep lacks 5e-4: no rate is "best" for the claims table yet
        self.assertEqual({r["lebm_best_elr"] for r in self.pick(method="lebm")}, {0.0})
        check = lambda: subprocess.run([sys.executable, SCRIPT, "--out", self.out, "--check"],  # noqa: E731
                                       capture_output=True, text=True)
        self.assertEqual(check().returncode, 0, check().stderr)
        path = os.path.join(self.out, "nce_curves.md")
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(text.replace("0.900", "0.901"))
        try:
            self.assertEqual(check().returncode, 1)
        finally:
            with open(path, "w") as f:
                f.write(text)

    def test_verdict_row(self):
        row = next(line for line in self.tables.splitlines()
                   if "adaptive beats non-adaptive, Langevin noise" in line and "| fd_langevin100x0.1 |" in line)
        self.assertIn("Welch t -3.67, df 4.0 | p = 0.021 |", row)
        # test MSE: one side uniform, the other first 1,000 only: not compared
        row = next(line for line in self.tables.splitlines()
                   if "adaptive beats non-adaptive, Langevin noise" in line and "| mse |" in line)
        self.assertTrue(row.endswith("| open |"), row)


if __name__ == "__main__":
    unittest.main()
