#!/usr/bin/env python3
"""studies/lib/summary.py: reading a run's output into summary columns, and
the summary CSV written and read back, on files laid out as latentebm writes
them (eval JSONs, metrics.jsonl) with answers worked out by hand.

The test fails when the module is broken (tried once in a scratch copy):
stage_end_losses averaging every logged loss instead of the last 5 fails
test_stage_end_losses; write_csv writing floats with "%g" instead of repr
fails test_csv_round_trip_is_exact.

usage: test_summary.py [SOURCE_DIR]"""
import json
import os
import sys
import tempfile
import unittest

SOURCE = sys.argv.pop(1) if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
sys.path.insert(0, os.path.join(SOURCE, "studies", "lib"))
import summary  # noqa: E402


def eval_json(sampler, fd, fd_recon, mse):
    """The parts of an eval JSON the summary reads (latentebm eval --out)."""
    return {"fd_classifier": {"sampler": sampler, "samples": 1000, "value": fd},
            "fd_classifier_reconstructions": {"images": 1000, "value": fd_recon},
            "fid": {"skipped": "FID needs Inception weights"}, "iteration": 7200,
            "reconstruction_mse": {"images": 1000, "value": mse}}


class Runs(unittest.TestCase):
    def test_fd_column_names_the_sampler(self):
        self.assertEqual(summary.fd_column(eval_json("langevin (100 steps, delta 0.1)", 83.4, 17.8, 0.037)),
                         "fd_langevin100x0.1")
        self.assertEqual(summary.fd_column(eval_json("langevin (60 steps, delta 0.4)", 28.7, 17.8, 0.037)),
                         "fd_langevin60x0.4")
        self.assertEqual(summary.fd_column(eval_json("sir (1000 proposals)", 40.0, 17.8, 0.037)), "fd_sir1000")
        # an MSE-only evaluation (eval --samples 0) has no FD
        self.assertIsNone(summary.fd_column({"fd_classifier": {"skipped": "needs --samples >= 2"},
                                             "reconstruction_mse": {"value": 0.04}}))
        with self.assertRaisesRegex(ValueError, "unknown sampler"):
            summary.fd_column(eval_json("hmc (10 leapfrog steps)", 1.0, 1.0, 1.0))

    def test_eval_metrics(self):
        e = eval_json("langevin (60 steps, delta 0.4)", 86.35, 17.93, 0.03723)
        self.assertEqual(summary.eval_metrics(e), {"fd_langevin60x0.4": 86.35, "fd_recon": 17.93, "mse": 0.03723})
        self.assertEqual(summary.eval_metrics(e, "_k1"),
                         {"fd_langevin60x0.4_k1": 86.35, "fd_recon_k1": 17.93, "mse_k1": 0.03723})
        self.assertEqual(summary.eval_metrics({"reconstruction_mse": {"value": 0.0372}}, "_at80"), {"mse_at80": 0.0372})
        self.assertEqual(summary.eval_metrics(None), {})

    def test_stage_end_losses(self):
        with tempfile.TemporaryDirectory() as run:
            with open(f"{run}/metrics.jsonl", "w") as f:
                # stage 0 logs 1..7 (its last 5: 3..7, mean 5), stage 1 logs 10 and 20 (mean 15);
                # rows without a loss (the final summary line) are passed over
                for i, (stage, loss) in enumerate([(0, v) for v in range(1, 8)] + [(1, 10), (1, 20)]):
                    f.write(json.dumps({"iteration": 20 * (i + 1), "stage": stage, "nce_loss": float(loss)}) + "\n")
                f.write("\n" + json.dumps({"final": True, "recon_mse": 0.03}) + "\n")
            self.assertEqual(summary.stage_end_losses(run), {0: 5.0, 1: 15.0})
            self.assertEqual(summary.stage_end_losses(run, last=1), {0: 7.0, 1: 20.0})
            self.assertIsNone(summary.stage_end_losses(f"{run}/missing"))

    def test_stage_end_values_of_another_key(self):
        with tempfile.TemporaryDirectory() as run:
            with open(f"{run}/metrics.jsonl", "w") as f:
                # noise_mmd2 logged in stage 1 only (stage 0's rows lack it); its last 5 of 6: 2..6, mean 4
                for i in range(4):
                    f.write(json.dumps({"iteration": 20 * (i + 1), "stage": 0, "nce_loss": 1.0}) + "\n")
                for i, v in enumerate([100.0, 2.0, 3.0, 4.0, 5.0, 6.0]):
                    f.write(json.dumps({"iteration": 100 + 20 * i, "stage": 1, "nce_loss": 0.5, "noise_mmd2": v}) + "\n")
            self.assertEqual(summary.stage_end_losses(run, key="noise_mmd2"), {1: 4.0})
            self.assertEqual(summary.stage_end_losses(run), {0: 1.0, 1: 0.5})


ROWS = [
    {"study": "paper-protocol", "dataset": "fashion-mnist", "iterations": 7200, "method": "adaptive-ce",
     "noise": "persistent", "schedule": "fixed", "g_lr_schedule": "cosine", "g_lr": 0.001, "e_lr": 0.0005,
     "run": "adaptive-ce-persistent", "seed": 1, "device": "cpu", "fd_langevin100x0.1": 83.37895762257585,
     "fd_langevin60x0.4": 28.68957930210445, "mse": 0.037046054468024524, "nce_end_stage0": 0.41},
    {"study": "paper-protocol", "dataset": "fashion-mnist", "iterations": 7200, "method": "adaptive-ce",
     "noise": "persistent", "schedule": "fixed", "g_lr_schedule": "cosine", "g_lr": 0.001, "e_lr": 0.0005,
     "run": "adaptive-ce-persistent", "seed": 2, "device": "cpu", "fd_langevin100x0.1": 80.5, "mse": 0.0371},
    {"study": "paper-protocol", "dataset": "fashion-mnist", "iterations": 7200, "method": "lebm",
     "g_lr_schedule": "cosine", "g_lr": 0.001, "e_lr": 2e-05, "variant": "e_lr sweep",
     "run": "lebm-elr2e-5", "seed": 1, "device": "NVIDIA H200", "fd_langevin100x0.1": 129.53, "mse": float("nan")},
]


class Csv(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.tmp.name, "runs.csv")

    def tearDown(self):
        self.tmp.cleanup()

    def test_csv_round_trip_is_exact(self):
        summary.write_csv(self.path, ROWS)
        with open(self.path) as f:
            header = f.readline().strip().split(",")
        # key columns first, then the metrics in the order they first appear
        self.assertEqual(header, list(summary.KEY_COLUMNS) + ["fd_langevin100x0.1", "fd_langevin60x0.4", "mse",
                                                              "nce_end_stage0"])
        back = summary.read_csv(self.path)
        self.assertEqual(back[0]["fd_langevin100x0.1"], 83.37895762257585)  # every digit back
        self.assertEqual(back[0]["mse"], 0.037046054468024524)
        self.assertEqual((back[0]["iterations"], back[0]["seed"], back[0]["e_lr"]), (7200, 1, 0.0005))
        self.assertIsNone(back[1]["fd_langevin60x0.4"])  # not measured: empty, read back as None
        self.assertIsNone(back[2]["mse"])  # nan: not a number the tests could use
        self.assertEqual((back[2]["noise"], back[2]["variant"], back[2]["device"]), ("", "e_lr sweep", "NVIDIA H200"))

    def test_rows_say_which_run_they_are(self):
        with self.assertRaisesRegex(ValueError, "lacks seed"):
            summary.write_csv(self.path, [{k: v for k, v in ROWS[0].items() if k != "seed"}])
        with self.assertRaisesRegex(ValueError, "metric column 'FD 60'"):
            summary.write_csv(self.path, [dict(ROWS[0], **{"FD 60": 1.0})])
        with open(self.path, "w") as f:
            f.write("run,seed,fd\nx,1,2.0\n")
        with self.assertRaisesRegex(ValueError, "not a study summary"):
            summary.read_csv(self.path)

    def test_select_and_by_seed(self):
        summary.write_csv(self.path, ROWS)
        rows = summary.read_csv(self.path)
        ours = summary.select(rows, method="adaptive-ce", noise="persistent")
        self.assertEqual(summary.by_seed(ours, "fd_langevin100x0.1"), {1: 83.37895762257585, 2: 80.5})
        self.assertEqual(summary.by_seed(ours, "fd_langevin60x0.4"), {1: 28.68957930210445})
        self.assertEqual(len(summary.select(rows, method=["adaptive-ce", "lebm"], iterations=7200)), 3)
        with self.assertRaisesRegex(ValueError, "two rows of seed 1"):
            summary.by_seed(summary.select(rows, seed=1), "fd_langevin100x0.1")
        with self.assertRaisesRegex(KeyError, "no column 'optimizer'"):
            summary.select(rows, optimizer="adam")


if __name__ == "__main__":
    unittest.main(verbosity=2)
