"""Reads a run's TensorBoard files with the tensorboard package's own reader
and checks them against metrics.jsonl.
usage: tensorboard_check.py RUN_DIR EVENT_FILES IMAGE_STEPS(comma-separated)"""
import json
import os
import shutil
import sys
import tempfile

import numpy as np
from tensorboard.backend.event_processing import event_accumulator as ea

run, n_files, image_steps = sys.argv[1], int(sys.argv[2]), [int(s) for s in sys.argv[3].split(",")]
tb = os.path.join(run, "tensorboard")
files = sorted(f for f in os.listdir(tb) if f.startswith("events.out.tfevents."))
assert len(files) == n_files, f"expected {n_files} events files (one per invocation), found {files}"

# metrics.jsonl as it stands (a restart row drops the rows beyond it), then
# the scalars src/app/tensorboard_log.h says each row gives.
rows = []
with open(os.path.join(run, "metrics.jsonl")) as f:
    for line in f:
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if "restart" in row:
            rows = [r for r in rows if r.get("iteration", -1) <= row["iteration"]]
        elif isinstance(row, dict):
            rows.append(row)
SKIP = {"iteration", "anomaly_label", "test_images", "recon_images", "stage_start"}
expected = {}
for row in rows:
    group = ("final" if "final" in row else "anomaly" if "auprc" in row else "stage" if "stage_start" in row
             else "train")
    for key, value in row.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or key in SKIP:
            continue
        if key == "stage" and group != "train":
            continue
        if group == "train" and key in ("nce_loss", "nce_acc"):
            tag = f"nce/stage_{row['stage']}/" + ("loss" if key == "nce_loss" else "accuracy")
        else:
            tag = f"{group}/{key}"
        expected.setdefault(tag, {})[row["iteration"]] = value
for tag in ("train/gen_loss", "nce/stage_0/loss", "nce/stage_1/accuracy", "stage/bank_refreshed_fraction", "final/recon_mse"):
    assert tag in expected, (tag, sorted(expected))


def load(folder):
    acc = ea.EventAccumulator(folder, size_guidance={ea.SCALARS: 0, ea.IMAGES: 0, ea.TENSORS: 0})
    acc.Reload()
    return acc


acc = load(tb)
tags = acc.Tags()
assert set(tags["scalars"]) == set(expected), (sorted(set(tags["scalars"]) ^ set(expected)))
checked = 0
for tag, by_step in expected.items():
    events = acc.Scalars(tag)
    steps = [e.step for e in events]
    assert steps == sorted(by_step), f"{tag}: steps {steps} != metrics.jsonl {sorted(by_step)}"
    for e in events:
        want = np.float32(by_step[e.step])  # simple_value is a float32
        assert np.float32(e.value) == want, f"{tag} at {e.step}: {e.value} != {want}"
        checked += 1

for tag in ("samples/prior", "samples/reconstructions", "samples/langevin_strip"):
    assert tag in tags["images"], (tag, tags["images"])
    images = acc.Images(tag)
    assert [i.step for i in images] == image_steps, (tag, [i.step for i in images])
    for i in images:
        assert i.encoded_image_string[:8] == b"\x89PNG\r\n\x1a\n" and i.width > 0 and i.height > 0, tag
assert "config" in tags["tensors"], tags["tensors"]
assert acc.SummaryMetadata("config").plugin_data.plugin_name == "text"
text = acc.Tensors("config")[0].tensor_proto.string_val[0].decode()
assert "train:" in text and "stages: 2" in text, text[:200]

# A writer killed mid-record: the last file cut short still reads, up to its last whole record.
with tempfile.TemporaryDirectory() as tmp:
    for f in files:
        shutil.copy(os.path.join(tb, f), tmp)
    last = os.path.join(tmp, files[-1])
    os.truncate(last, os.path.getsize(last) - 5)
    cut = load(tmp)
    assert "train/gen_loss" in cut.Tags()["scalars"], cut.Tags()
    assert [e.step for e in cut.Scalars("train/gen_loss")] == sorted(expected["train/gen_loss"])

print(f"ok: {len(files)} events files, {len(expected)} scalar tags, {checked} values equal to metrics.jsonl "
      f"(as float32), images at {image_steps}, config text")
