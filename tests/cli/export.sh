#!/usr/bin/env bash
# latentebm export -> python/latentebm.py: train a tiny model, export it, and
# check in PyTorch (Debian's python3-torch) that decoding the z of
# `latentebm sample --format npz` gives the same images (max abs difference
# < 1e-4 on [-1, 1] floats; the 8-bit samples within one level) and the same
# log prior (relative 1e-5), that every stage is in the export, that both
# samplers run, and that the README's three lines work as written.
# usage: bash export.sh <path-to-latentebm> <source-dir>
set -euo pipefail
source "$(dirname "$0")/../support/cli_lib.sh" "$@"

# Debian's Python, which python3-torch installs into (a pyenv or venv python3
# first on PATH would not have it).
PY=/usr/bin/python3
"$PY" -c "import torch, numpy" 2>/dev/null ||
  fail "$PY cannot import torch and numpy: apt-get install python3-torch (bash scripts/setup.sh installs it)"

step "prepare a tiny dataset and train 4 iterations (4 stages)"
DATA="$WORK/data/tiny.h5"
make_tiny_data "$WORK/idx" "$DATA" 64 20
RUN="$WORK/run"
ok train "$BIN" train --config "$CONFIG" --run-dir "$RUN" "data.path=$DATA" data.train_limit=0 train.iterations=4 \
  train.batch_size=8 model.ngf=4 train.langevin_steps=2 log.checkpoint_every=4 sample.count=4 sample.steps=5 \
  log.tensorboard=off --no-pictures

step "export"
EXPORT="$WORK/exported"
fails_with export-no-out "latentebm export: --out is required" "$BIN" export --run-dir "$RUN"
ok export "$BIN" export --run-dir "$RUN" --out "$EXPORT"
for f in generator.pt prior.pt config.json; do need_file "$EXPORT/$f"; done

step "sample --format npz (z, images, log_prior) and compare in PyTorch"
ok sample "$BIN" sample --run-dir "$RUN" --format npz --count 12 --steps 5 --out "$WORK/samples.npz"
ok check "$PY" "$SRC/tests/cli/export_check.py" "$SRC/python" "$EXPORT" "$WORK/samples.npz"
cat "$WORK/check.out"

step "the README's three lines, as written (from the repository root)"
ok readme bash -c "cd '$SRC' && $PY - <<'PY'
import sys; sys.path.insert(0, \"python\")
import latentebm
m = latentebm.load(\"$EXPORT\"); images = m.decode(m.sample(16))
assert tuple(images.shape) == (16, 1, 28, 28) and float(images.abs().max()) <= 1.0, images.shape
PY"
echo "PASS export"
