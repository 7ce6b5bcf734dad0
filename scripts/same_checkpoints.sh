#!/usr/bin/env bash
# Does a change leave training bit-identical? Trains the same small fixed-seed
# runs with two latentebm binaries (BEFORE, AFTER) on 2 MPI ranks and compares
# every checkpoint they write: the parameters, both optimizers' state and step
# counts, and the memory matrix (model.h5, memory.h5: every dataset and every
# attribute but the config text, with h5diff), and the manifest's iteration,
# stage, stage starts and T. Exits 0 when every pair is identical.
#
#   scripts/same_checkpoints.sh BEFORE_BIN AFTER_BIN [WORK_DIR] [DATA]
#
# The runs (each a few minutes on 2 CPU cores at most):
#   fixed     4 stages, T = 40, a checkpoint every 5 iterations;
#   adaptive  the plateau rule decides the stages (windows of 3 iterations);
#   rollback  20 iterations, then resumed with train.langevin_delta=1e4 and
#             train.rollback_delta_factor=1e-5: the guard rolls back to the
#             checkpoint at 20 and goes on with delta 0.1 to 40; then resumed
#             once more (no overrides) to 50, with the lowered step.
# A binary's runs stay in WORK_DIR/<label>/ (default /tmp/same-checkpoints);
# runs already complete there are reused (delete the folder to redo them);
# AFTER_BIN "-" trains BEFORE's runs only (e.g. while AFTER still builds).
set -euo pipefail
before=${1:?usage: same_checkpoints.sh BEFORE_BIN AFTER_BIN [WORK_DIR] [DATA]}
after=${2:?usage: same_checkpoints.sh BEFORE_BIN AFTER_BIN [WORK_DIR] [DATA]}
work=${3:-/tmp/same-checkpoints}
data=${4:-data/fashion-mnist.h5}
export OMP_NUM_THREADS=1 HDF5_USE_FILE_LOCKING=FALSE OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpi=(mpirun --oversubscribe --allow-run-as-root --bind-to none -np 2)
common=(data.path="$data" data.train_limit=512 model.nz=8 model.ngf=8 model.ratio_hidden=32 train.batch_size=32
        train.langevin_steps=5 train.prior_langevin_steps=10 train.seed=7 log.log_every=5 log.checkpoint_every=5
        log.keep_checkpoints=100 log.noise_reference_samples=32 log.noise_reference_steps=20 log.tensorboard=off
        sample.count=4)

train() {  # BIN RUN_DIR OVERRIDES...
  local bin=$1 dir=$2
  shift 2
  "${mpi[@]}" "$bin" train --run-dir "$dir" --no-pictures "${common[@]}" "$@" >>"$dir.log" 2>&1
}

runs() {  # BIN LABEL
  local bin=$1 out=$work/$2
  [[ -f $out/complete ]] && return 0
  rm -rf "$out" && mkdir -p "$out"
  train "$bin" "$out/fixed" train.iterations=40
  train "$bin" "$out/adaptive" train.iterations=40 train.stage_schedule=adaptive train.plateau_window=3 \
    train.plateau_patience=1 train.min_stage_iterations=6
  train "$bin" "$out/rollback" train.iterations=50 --max-iterations 20
  train "$bin" "$out/rollback" --max-iterations 20 train.langevin_delta=1e4 train.rollback_delta_factor=1e-5
  grep -q "rolled back" "$out/rollback.log" || { echo "no rollback in $out/rollback.log" >&2; exit 1; }
  train "$bin" "$out/rollback"
  touch "$out/complete"
}

runs "$before" before
[[ $after == - ]] && exit 0  # AFTER_BIN "-": only train BEFORE's runs now
runs "$after" after

status=0 compared=0
for run in fixed adaptive rollback; do
  a=$work/before/$run/checkpoints b=$work/after/$run/checkpoints
  names_a=$(cd "$a" && ls -d ckpt-*) names_b=$(cd "$b" && ls -d ckpt-*)
  if [[ $names_a != "$names_b" ]]; then
    echo "$run: different checkpoints: [$names_a] vs [$names_b]"
    status=1
    continue
  fi
  for c in $names_a; do
    for f in model.h5 memory.h5; do
      if ! h5diff --exclude-attribute / "$a/$c/$f" "$b/$c/$f" >/dev/null; then
        echo "$run/$c/$f differs:"
        h5diff --exclude-attribute / "$a/$c/$f" "$b/$c/$f" | head -5
        status=1
      fi
      compared=$((compared + 1))
    done
    python3 - "$a/$c/manifest.json" "$b/$c/manifest.json" "$run/$c" <<'EOF' || status=1
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
pick = lambda m: (m["iteration"], m["stage"], m["total_iterations"], m["schedule"].get("stage_starts"))
if pick(a) != pick(b):
    sys.exit(f"{sys.argv[3]}: manifests differ: {pick(a)} vs {pick(b)}")
EOF
  done
done
if ((status == 0)); then
  echo "identical: $compared checkpoint files (model.h5, memory.h5) of the fixed, adaptive and rollback runs"
fi
exit $status
