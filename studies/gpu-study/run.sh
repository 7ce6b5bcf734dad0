#!/usr/bin/env bash
# gpu-study (journal A.7; README.md beside this file): issue 12's convergence
# question on the device tool's GPU machine, not here: the Fashion-MNIST
# comparison of docs/RESULTS.md at the largest budget that fits the lease, 3
# seeds per method, every run on the GPU at once.
#
#   here:  bash scripts/gpu_deps.sh --prebuilt && bash scripts/gpu_study_data.sh
#   there: run(command="bash bench/gpu/check.sh", carry=[".gpu-deps"]), then at
#          once, while the machine is warm and still holds .gpu-deps:
#          run(command="BUDGET_S=420 bash studies/gpu-study/run.sh", carry=[".gpu-data"])
#
# Runs (bench/runs.sh, as bench/reproduce.sh's: the quick preset's generator
# and method settings, the full training split, global batch 64, checkpoints
# every tenth):
#   adaptive-ce-langevin    adaptive-ce, prior_samples=langevin, fixed schedule
#                           (the best NCE setting of RESULTS.md A.6)
#   non-adaptive-langevin   the same with posteriors under N(0, I)
#   lebm                    LEBM with its reference settings (method traits)
#   lebm-our-elr            LEBM at our ratio learning rate (same tuning budget)
# Each is one rank on the GPU (global batch 64, as the CPU runs' 2 x 32).
#
# Budget: a 100-iteration calibration of all runs side by side measures the
# slowest run's time per iteration under that sharing; the iteration count T
# is then the largest multiple of 400 that ends EVAL_RESERVE_S before
# BUDGET_S, at most MAX_ITERS (24,000 = 10x RESULTS.md A.6). Then:
#   eval.json        FD (1,000 samples, the run's 100-step sampler) + test MSE
#   eval-60.json     FD under LEBM's 60-step, delta-0.4 chains
#   eval-P.json      test MSE at P = 50, 80, 90 % of training (convergence:
#                    the issue asks for MSE flat over the last fifth)
#   eval-stages-K    adaptive-ce-langevin and non-adaptive-langevin with
#                    K = 0, 1, 2 stages (Table 3), if time is left
# Output under RUNS (default runs/studies/gpu-study; OUT, where set, wins):
# gpu_study.log, gpu_study.md (the tables, studies/gpu-study/gpu_study_tables.py)
# and runs.tar.gz (every run directory without its checkpoints). The run
# directories themselves go to runs/gpu-study, emptied first.
# Testing off the GPU machine: STUDY_LOCAL=1 BIN=build-dev/latentebm
# DEVICE=cpu uses this machine's libraries and data/fashion-mnist.h5.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
D=$ROOT/.gpu-deps/root
G=$ROOT/.gpu-data
OUTDIR=${OUT:-${RUNS:-$ROOT/runs/studies/gpu-study}}
mkdir -p "$OUTDIR"
exec > >(tee "$OUTDIR/gpu_study.log") 2>&1
T0=$SECONDS
BUDGET_S=${BUDGET_S:-420}
EVAL_RESERVE_S=${EVAL_RESERVE_S:-110}
MAX_ITERS=${MAX_ITERS:-24000}
CAL_ITERS=${CAL_ITERS:-100}
ITER_STEP=${ITER_STEP:-400}     # T is a multiple of this
MIN_ITERS=${MIN_ITERS:-800}
SAMPLES=${SAMPLES:-1000}        # FD samples per eval
TEST=${TEST:-1000}              # test images per MSE
SEEDS=${SEEDS:-1 2 3}
DEVICE=${DEVICE:-cuda}
NAMES=${NAMES:-adaptive-ce-langevin non-adaptive-langevin lebm lebm-our-elr}
RUN_DIRS=$ROOT/runs/gpu-study
stamp() { echo "== [$((SECONDS - T0)) s] $*"; }
left() { echo $((BUDGET_S - (SECONDS - T0))); }

# Every run's settings: bench/runs.sh (shared with bench/reproduce.sh).
source bench/runs.sh

if [[ ${STUDY_LOCAL:-0} == 1 ]]; then
  BIN=${BIN:-$ROOT/build-dev/latentebm}
  MPIRUN=mpirun
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1 HDF5_USE_FILE_LOCKING=FALSE
  DATA=$ROOT/data/fashion-mnist.h5
else
  WHO=gpu-study
  source studies/lib/gpu_setup.sh
fi
export OMP_NUM_THREADS=1
MPI1=("$MPIRUN" -np 1 --bind-to none)
# Background jobs are waited for by PID: a bare `wait` would also wait for the
# tee behind this script's output, which never ends.
PIDS=()
wait_all() {
  ((${#PIDS[@]})) && wait "${PIDS[@]}"
  PIDS=()
}

# train DIR ITERS SEED NAME: bench/runs.sh's run NAME in the background (its
# log is DIR.log)
train() {
  local dir=$1 iters=$2 seed=$3 name=$4
  run_args "$name" "$iters" || exit 2
  "${MPI1[@]}" "$BIN" train "${RUN_ARGS[@]}" data.path="$DATA" runtime.device="$DEVICE" train.seed="$seed" \
    --run-dir "$dir" >"$dir.log" 2>&1 &
  PIDS+=($!)
}
# the seconds per iteration of a run from its metrics.jsonl, between its
# second logged iteration and its last (startup and capture excluded)
per_iteration() {
  python3 - "$1" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rows = [r for r in rows if "elapsed_s" in r and "iteration" in r]
a, b = rows[1 if len(rows) > 2 else 0], rows[-1]
print((b["elapsed_s"] - a["elapsed_s"]) / (b["iteration"] - a["iteration"]))
PY
}

rm -rf "$RUN_DIRS" && mkdir -p "$RUN_DIRS/calibration"
stamp "calibration: every run side by side for $CAL_ITERS iterations"
for name in $NAMES; do for seed in $SEEDS; do train "$RUN_DIRS/calibration/$name-s$seed" "$CAL_ITERS" "$seed" "$name"; done; done
wait_all
slowest=0
for name in $NAMES; do
  for seed in $SEEDS; do
    r=$RUN_DIRS/calibration/$name-s$seed
    t=$(per_iteration "$r/metrics.jsonl" 2>/dev/null) || { echo "gpu_study: calibration run $name-s$seed failed:"; tail -20 "$r.log"; exit 1; }
    printf '  %-24s seed %s: %.2f ms per iteration\n' "$name" "$seed" "$(python3 -c "print($t * 1000)")"
    slowest=$(python3 -c "print(max($slowest, $t))")
  done
done
ITERS=$(python3 -c "print(min($MAX_ITERS, int(($(left) - $EVAL_RESERVE_S - 20) / $slowest) // $ITER_STEP * $ITER_STEP))")
stamp "budget: $(left) s left, slowest run $(python3 -c "print(round($slowest * 1000, 2))") ms per iteration -> $ITERS iterations per run"
((ITERS >= MIN_ITERS)) || { echo "gpu_study: too little time for a run of at least $MIN_ITERS iterations"; exit 1; }

stamp "training: $(wc -w <<<"$NAMES") methods x seeds $SEEDS, $ITERS iterations each, side by side"
for name in $NAMES; do for seed in $SEEDS; do train "$RUN_DIRS/$name-s$seed" "$ITERS" "$seed" "$name"; done; done
wait_all
for name in $NAMES; do
  for seed in $SEEDS; do
    r=$RUN_DIRS/$name-s$seed
    [[ -f $r/checkpoints/latest ]] && echo "  $name-s$seed: $(cat "$r/checkpoints/latest"), $(python3 -c 'import json, sys; r = [x for x in map(json.loads, open(sys.argv[1])) if "elapsed_s" in x][-1]; print("elapsed %.0f s, gen_loss %.1f, prior loss %s" % (r["elapsed_s"], r["gen_loss"], r.get("nce_loss")))' "$r/metrics.jsonl")" ||
      { echo "  $name-s$seed FAILED:"; tail -5 "$r.log"; }
  done
done

# evaluate TAG ARGS...: one eval per run in the background, all at once
evaluate() {
  local tag=$1
  shift
  for name in $NAMES; do
    for seed in $SEEDS; do
      local r=$RUN_DIRS/$name-s$seed
      [[ -f $r/checkpoints/latest ]] || continue
      "${MPI1[@]}" "$BIN" eval --run-dir "$r" --test-limit "$TEST" --seed "$seed" --out "$r/$tag.json" "$@" >"$r/$tag.log" 2>&1 &
      PIDS+=($!)
    done
  done
  wait_all
}
ckpt() { printf 'ckpt-%08d' $((ITERS * $1 / 100)); }
stamp "eval: FD (1,000 samples, 100-step sampler) and test MSE"
evaluate eval --samples "$SAMPLES"
stamp "eval: FD under 60 steps of delta 0.4"
evaluate eval-60 --samples "$SAMPLES" --sample-steps 60 --sample-delta 0.4
for pct in 50 80 90; do
  (($(left) > 25)) || break
  stamp "eval: test MSE at $pct % of training"
  for name in $NAMES; do
    for seed in $SEEDS; do
      r=$RUN_DIRS/$name-s$seed
      [[ -d $r/checkpoints/$(ckpt $pct) ]] || continue
      "${MPI1[@]}" "$BIN" eval --run-dir "$r" --checkpoint "$r/checkpoints/$(ckpt $pct)" --samples 0 --test-limit "$TEST" \
        --seed "$seed" --out "$r/eval-$pct.json" >"$r/eval-$pct.log" 2>&1 &
      PIDS+=($!)
    done
  done
  wait_all
done
SAVED_NAMES=$NAMES
NAMES=$(tr ' ' '\n' <<<"$NAMES" | grep -E '^(adaptive-ce-langevin|non-adaptive-langevin)$' | tr '\n' ' ')
for k in 0 1 2; do
  (($(left) > 30)) || break
  stamp "eval: ablation, $k stage(s)"
  evaluate "eval-stages-$k" --samples "$SAMPLES" --stages "$k"
done
NAMES=$SAVED_NAMES

stamp "tables and archive"
python3 studies/gpu-study/gpu_study_tables.py "$RUN_DIRS" "$ITERS" | tee "$OUTDIR/gpu_study.md"
tar -C "$RUN_DIRS" --exclude=checkpoints --exclude=calibration -czf "$OUTDIR/runs.tar.gz" .
du -h "$OUTDIR/runs.tar.gz"
stamp "done"
