#!/usr/bin/env python3
"""studies/lib/run_reader.py (one run directory -> one summary row) and
studies/lib/study.py (summarize.py's command line), on run directories laid
out as latentebm, bench/reproduce.sh and the study scripts write them, with
answers worked out by hand.

The test fails when the reader is broken (each tried once in a scratch
copy): dropping the _at80 suffix of an evaluation before the end of
training fails test_eval_columns_by_content;
taking test MSE from an evaluation over fewer test images fails
test_fewer_test_images_give_their_fd_only; dropping the agreement check fails
test_two_files_that_disagree_are_refused; reading score-terms.log's first
line as a term fails test_anomaly_and_score_logs; writing the tables under
--check fails test_check_finds_a_stale_table.

usage: test_run_reader.py [SOURCE_DIR]"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

SOURCE = sys.argv.pop(1) if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
sys.path.insert(0, os.path.join(SOURCE, "studies", "lib"))
import run_reader  # noqa: E402
import summary  # noqa: E402

CONFIG = """# resolved latentebm config (all keys)
data:
  path: "data/fashion-mnist.h5"
  train_limit: 0
model:
  sigma: 0.59999999999999998
train:
  method: "{method}"
  iterations: 100
  g_lr: 0.001
  g_lr_schedule: "cosine"
  e_lr: 0.00050000000000000001
  prior_samples: "persistent"
  stage_schedule: "fixed"
  max_stage_iterations: 0
  seed: {seed}
runtime:
  device: "cpu"
"""


def ev(it, stages, sampler=None, fd=None, mse=None, images=1000, recon=None, test=None):
    """The parts of an eval JSON the reader uses (latentebm eval --out)."""
    e = {"iteration": it, "prior_stages": stages, "posterior_stages": stages, "seed": 1}
    if mse is not None:
        e["reconstruction_mse"] = {"images": images, "value": mse}
    if fd is not None:
        e["fd_classifier"] = {"sampler": sampler, "value": fd, "classifier_test_accuracy": 0.8809}
    if recon is not None:
        e["fd_classifier_reconstructions"] = {"value": recon}
    if test is not None:
        e["fd_classifier_test_images"] = {"value": test}
    return e


def write(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(obj if isinstance(obj, str) else json.dumps(obj))


L100, L60 = "langevin (100 steps, delta 0.1)", "langevin (60 steps, delta 0.4)"


class Reader(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.run = os.path.join(self.tmp.name, "noise-persistent-s2")

    def tearDown(self):
        self.tmp.cleanup()

    def test_keys_come_from_the_config(self):
        write(f"{self.run}/config.yaml", CONFIG.format(method="adaptive-ce", seed=2))
        keys = run_reader.row(self.run, "a-study")
        self.assertEqual({k: keys[k] for k in summary.KEY_COLUMNS},
                         {"study": "a-study", "dataset": "fashion-mnist", "iterations": 100, "method": "adaptive-ce",
                          "noise": "persistent", "schedule": "fixed", "g_lr_schedule": "cosine", "g_lr": 0.001,
                          "e_lr": 0.0005, "variant": "model.sigma=0.6", "run": "noise-persistent", "seed": 2,
                          "device": "cpu"})
        # LEBM has no noise source and no stage schedule
        write(f"{self.run}/config.yaml", CONFIG.format(method="lebm", seed=2))
        keys = run_reader.row(self.run, "a-study")
        self.assertEqual((keys["noise"], keys["schedule"]), ("", ""))
        write(f"{self.run}/config.yaml", CONFIG.format(method="lebm", seed=3))
        with self.assertRaisesRegex(ValueError, "trains seed 3, not 2"):
            run_reader.row(self.run, "a-study")
        with self.assertRaisesRegex(ValueError, r"named <run>-s<seed>"):
            run_reader.name_and_seed("/x/no-seed")

    def test_eval_columns_by_content(self):
        evals = [("eval.json", ev(100, 4, L100, 80.0, 0.04, recon=18.0, test=1.5)),
                 ("eval-fd60.json", ev(100, 4, L60, 26.0, 0.04, recon=18.0)),
                 ("eval-stages-2.json", ev(100, 2, L100, 78.0, 0.041)),   # an ablation: 2 of its 4 stages
                 ("eval-80.json", ev(80, 3, mse=0.045)),                  # 80 %: the 3 stages finished by then
                 ("eval-fd60-80.json", ev(80, 4, L60, 27.5, 0.046))]      # 80 %, with the 4th (in training)
        got = run_reader.eval_columns(evals, 100)
        self.assertEqual(got, {"fd_langevin100x0.1": 80.0, "mse": 0.04, "fd_recon": 18.0, "fd_test": 1.5,
                               "fd_classifier_accuracy": 0.8809, "fd_langevin60x0.4": 26.0,
                               "fd_langevin100x0.1_k2": 78.0, "mse_k2": 0.041, "mse_at80": 0.045,
                               "fd_langevin60x0.4_at80_k4": 27.5, "mse_at80_k4": 0.046})

    def test_fewer_test_images_give_their_fd_only(self):
        evals = [("eval.json", ev(100, 1, L100, 90.0, 0.040, images=1000, recon=18.0)),
                 ("fd60.json", ev(100, 1, L60, 40.0, 0.052, images=100, recon=30.0))]
        got = run_reader.eval_columns(evals, 100)
        self.assertEqual((got["mse"], got["fd_recon"], got["fd_langevin60x0.4"]), (0.040, 18.0, 40.0))

    def test_two_files_that_disagree_are_refused(self):
        evals = [("eval.json", ev(100, 4, L100, 80.0, 0.040)), ("eval-again.json", ev(100, 4, L100, 80.0, 0.041))]
        with self.assertRaisesRegex(ValueError, "eval-again.json gives mse = 0.041, but eval.json gave 0.04"):
            run_reader.eval_columns(evals, 100)
        # agreement to 1e-6, relative or absolute, is agreement (one value kept: the first file's); an FD of the
        # test images near 0 moves by 1e-8 between a classifier trained in memory and reloaded from its cache
        evals[1] = ("eval-again.json", ev(100, 4, L100, 80.00000001, 0.040, test=3.3579e-4 + 8e-9))
        evals[0] = ("eval.json", ev(100, 4, L100, 80.0, 0.040, test=3.3579e-4))
        got = run_reader.eval_columns(evals, 100)
        self.assertEqual((got["fd_langevin100x0.1"], got["fd_test"]), (80.0, 3.3579e-4))

    def test_metrics_jsonl(self):
        write(f"{self.run}/config.yaml", CONFIG.format(method="adaptive-ce", seed=2))
        rows = [{"iteration": 20 * i, "stage": 0, "nce_loss": float(i)} for i in range(1, 8)]           # last 5: 3..7
        rows += [{"iteration": 200, "stage": 0, "nce_loss": 0.5, "noise_mmd2": 0.01, "noise_logp": -16.0}]  # last row
        rows += [{"iteration": 220, "stage": 1, "nce_loss": 0.9, "noise_mmd2": 0.2},
                 {"iteration": 221, "stage_starts": [0, 210]}, {"iteration": 230, "stage_starts": [0, 221]},
                 {"final": True, "recon_mse": 0.03}]
        write(f"{self.run}/metrics.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n")
        got = run_reader.row(self.run, "s")
        self.assertEqual(got["nce_end_stage0"], 4.5)     # the mean of its last 5 logged losses: 4, 5, 6, 7, 0.5
        self.assertEqual((got["nce_end_stage1"], got["nce_last_stage0"], got["noise_mmd2_end_stage0"]), (0.9, 0.5, 0.01))
        self.assertEqual((got["noise_logp_end_stage0"], got["noise_mmd2_end_stage1"]), (-16.0, 0.2))
        self.assertEqual(got["stage_start1"], 221.0)   # the last logged stage starts
        write(f"{self.run}/config.yaml", CONFIG.format(method="lebm", seed=2))
        got = run_reader.row(self.run, "s")
        self.assertNotIn("nce_end_stage0", got)        # LEBM's loss is a likelihood, not an NCE loss
        self.assertEqual(got["lebm_loss_end"], 0.9)     # its loss at the end (the last stage it logged)

    def test_anomaly_and_score_logs(self):
        write(f"{self.run}/config.yaml", CONFIG.format(method="adaptive-ce", seed=2))
        write(f"{self.run}/anomaly.json", {"auprc_mean": 0.31, "auroc_mean": 0.24, "anomaly_label": 1})
        write(f"{self.run}/score-prior-0.log", "[t] info wrote x\nauprc 0.289048 auroc 0.208416 images 1000 anomalies 409\n")
        write(f"{self.run}/score-prior-all.log", "auprc 0.294382 auroc 0.232522 images 1000 anomalies 409\n")
        write(f"{self.run}/score-terms.log", "auprc 0.294382 auroc 0.232522 images 1000 anomalies 409\n"
              "reconstruction term alone: auprc 0.289181 auroc 0.210066\nprior term alone: auprc 0.541656 auroc 0.690761\n")
        got = run_reader.row(self.run, "s")
        self.assertEqual({k: v for k, v in got.items() if k.startswith(("auprc", "auroc", "anomaly"))},
                         {"auprc": 0.31, "auroc": 0.24, "auprc_prior0": 0.289048, "auroc_prior0": 0.208416,
                          "auprc_score": 0.294382, "auroc_score": 0.232522, "auprc_recon_term": 0.289181,
                          "auroc_recon_term": 0.210066, "auprc_prior_term": 0.541656, "auroc_prior_term": 0.690761,
                          "anomaly_rate": 0.409})
        write(f"{self.run}/score-prior-all.log", "auprc 0.3 auroc 0.232522 images 1000 anomalies 409\n")
        with self.assertRaisesRegex(ValueError, "differ from another score log"):
            run_reader.row(self.run, "s")

    def test_links_and_steering(self):
        write(f"{self.run}/config.yaml", CONFIG.format(method="adaptive-ce", seed=2))
        write(f"{self.run}/steering.json", {"drift_likelihood": 173.3, "drift_ratios": 4.39, "shift_base": 0.23,
                                            "mse_prior": 0.0314, "mse_base": 0.0318})
        os.symlink(self.run, os.path.join(self.tmp.name, "noise-langevin-s2"))   # reproduce.sh: the same run
        self.assertEqual(run_reader.run_dirs(self.tmp.name), [self.run])
        got = run_reader.row(self.run, "s")
        self.assertEqual((got["steer_drift_ratios"], got["steer_shift_ratios"], got["steer_mse_base"]),
                         (4.39, 0.23, 0.0318))


class SummarizeCommand(unittest.TestCase):
    """study.main: RUNS -> runs.csv -> tables; no argument: tables from runs.csv; --check."""
    SCRIPT = """import os, sys
sys.path.insert(0, {lib!r})
import run_reader, study
HERE = os.path.dirname(os.path.abspath(__file__))
def extract(runs):
    return [run_reader.row(d, "toy") for d in run_reader.run_dirs(runs)]
def table(rows):
    return "".join(f"{{r['run']}} {{r['seed']}} {{r['mse']}}\\n" for r in rows)
study.main(HERE, extract, [("t.txt", table)])
"""

    def test_check_finds_a_stale_table(self):
        with tempfile.TemporaryDirectory() as tmp:
            study_dir, runs = os.path.join(tmp, "toy"), os.path.join(tmp, "runs")
            write(os.path.join(study_dir, "summarize.py"), self.SCRIPT.format(lib=os.path.join(SOURCE, "studies", "lib")))
            run = os.path.join(runs, "adaptive-ce-s1")
            write(f"{run}/config.yaml", CONFIG.format(method="adaptive-ce", seed=1))
            write(f"{run}/eval.json", ev(100, 4, L100, 80.0, 0.0375))

            def summarize(*args):
                return subprocess.run([sys.executable, os.path.join(study_dir, "summarize.py"), *args],
                                      capture_output=True, text=True)
            self.assertEqual(summarize("--check").returncode, 1)            # no runs.csv yet
            self.assertEqual(summarize(runs).returncode, 0)
            with open(os.path.join(study_dir, "t.txt")) as f:
                self.assertEqual(f.read(), "adaptive-ce 1 0.0375\n")
            self.assertEqual(summarize("--check").returncode, 0)
            with open(os.path.join(study_dir, "t.txt"), "a") as f:
                f.write("edited by hand\n")
            res = summarize("--check")
            self.assertEqual(res.returncode, 1)
            self.assertIn("t.txt differ from what runs.csv gives", res.stderr)
            with open(os.path.join(study_dir, "t.txt")) as f:
                self.assertIn("edited by hand", f.read())                 # --check writes nothing
            self.assertEqual(summarize().returncode, 0)                    # regenerated from runs.csv
            self.assertEqual(summarize("--check").returncode, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
