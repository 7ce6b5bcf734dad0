#!/usr/bin/env bash
# TensorBoard event files, read back by the `tensorboard` package's own reader
# (EventAccumulator, in the Python that CMake names: .deps/py from
# scripts/setup.sh): train 6 of 14 iterations, resume to 14 (a second events
# file), then check every scalar tag, step and value against metrics.jsonl,
# the pictures at log.tensorboard_images_every (6) and at the last iteration
# (14, not a multiple of 6: checked by breaking, with the pictures written at
# multiples of the interval only the check fails on steps [6, 12]), the
# config text, and that a file cut short (a killed writer) still reads.
# Skips (77) in a build without TensorBoard support; fails where that build
# lacks the Python package.
# usage: bash tensorboard.sh <path-to-latentebm> <source-dir>
set -euo pipefail
source "$(dirname "$0")/../support/cli_lib.sh" "$@"

if [[ ${LATENTEBM_TENSORBOARD:-ON} != ON ]]; then
  echo "SKIP: this build writes no TensorBoard files (CMake LATENTEBM_TENSORBOARD found no protobuf or tensorboard package)"
  exit 77
fi
PY=${LATENTEBM_TENSORBOARD_PYTHON:-$SRC/.deps/py/bin/python}

"$PY" -c "import tensorboard" 2>/dev/null ||
  fail "$PY cannot import tensorboard, which this TensorBoard-enabled build's test needs: bash scripts/setup.sh creates it"

step "prepare a tiny dataset"
DATA="$WORK/data/tiny.h5"
make_tiny_data "$WORK/idx" "$DATA" 64 20

RUN="$WORK/run"
TRAIN=("$BIN" train --config "$CONFIG" --run-dir "$RUN" "data.path=$DATA" data.train_limit=0 train.iterations=14
  train.batch_size=8 model.ngf=4 train.langevin_steps=2 train.stages=2 log.log_every=4 log.checkpoint_every=6
  log.tensorboard_images_every=6 sample.count=4 sample.steps=5)
step "train 6 of 14 iterations, then resume to the end"
ok train1 "${TRAIN[@]}" --max-iterations 6
ok train2 "${TRAIN[@]}"
grep -q "watch it: tensorboard --logdir $RUN/tensorboard" "$WORK/train2.out" || { cat "$WORK/train2.out" >&2; fail "no summary line naming the TensorBoard folder"; }
grep -q "| stage 1 of 2 (" "$WORK/train2.out" || { cat "$WORK/train2.out" >&2; fail "no stage 1 of 2 on the progress line"; }
grep -q "checkpoint in" "$WORK/train1.out" || { cat "$WORK/train1.out" >&2; fail "no time to the next checkpoint on the progress line"; }

step "read the events with TensorBoard's reader and compare with metrics.jsonl"
ok check "$PY" "$SRC/tests/cli/tensorboard_check.py" "$RUN" 2 6,12,14
cat "$WORK/check.out"

step "an evaluation of the run lands in its TensorBoard log at the checkpoint's iteration"
ok eval "$BIN" eval --run-dir "$RUN" --samples 0 --test-limit 8 --out "$WORK/eval.json"
ok evalcheck "$PY" - "$RUN/tensorboard" "$WORK/eval.json" <<'PYEOF'
import json, sys
import numpy as np
from tensorboard.backend.event_processing import event_accumulator as ea
acc = ea.EventAccumulator(sys.argv[1], size_guidance={ea.SCALARS: 0})
acc.Reload()
want = json.load(open(sys.argv[2]))["reconstruction_mse"]["value"]
got = [(e.step, e.value) for e in acc.Scalars("eval/reconstruction_mse")]
assert got == [(14, float(np.float32(want)))], (got, want)
print(f"ok: eval/reconstruction_mse {got}")
PYEOF
cat "$WORK/evalcheck.out"
echo "PASS tensorboard"
