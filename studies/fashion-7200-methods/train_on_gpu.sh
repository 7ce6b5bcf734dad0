#!/usr/bin/env bash
# Issue 12's converged-budget runs on the device tool's GPU machine: bench/
# runs.sh's runs NAMES x SEEDS at ITERS iterations (default 7,200, the budget
# of docs/RESULTS.md A.19-A.23), side by side, one rank each (global batch 64,
# as the CPU runs' 2 x 32), trained here and evaluated back on the CPU machine
# with RESULTS.md's own evaluation calls (so every FD of a table is computed
# the same way, whichever machine trained the run).
#
#   here:  bash scripts/gpu_deps.sh --prebuilt && bash scripts/gpu_study_data.sh
#   there: run(command="bash bench/gpu/check.sh", carry=[".gpu-deps"]), then at
#          once, in the same lease (it needs .gpu-deps, which stays there):
#          run(command="NAMES=... bash studies/fashion-7200-methods/train_on_gpu.sh", carry=[".gpu-data"], timeout_s=590)
#   back here: bash studies/fashion-7200-methods/unpack_gpu_runs.sh <files_at> runs/reproduce-7200
#
# The device tool's call may last 600 s, so training has a deadline: at
# BUDGET_S - PACK_RESERVE_S every unfinished run's rank gets SIGUSR1
# (latentebm's preemption: it checkpoints and exits 0) and is
# resumed on the CPU machine (bench/reproduce.sh resumes a stopped run, and a
# checkpoint of 1 rank re-shards onto 2); RESULTS.md then names which
# iterations ran where.
# Output, under $OUT (or gpu-converged-out/; the tool brings back at most 8
# files of 16 MiB):
#   gpu_converged.log       everything printed
#   NAME-sS.tar.gz          the run directory without TensorBoard events, its
#                           checkpoints stripped for evaluation
#                           (scripts/strip_checkpoint_for_eval.py: model.h5 without the
#                           optimizer state, no memory matrix), and its
#                           log; for an unfinished run the newest checkpoint
#                           is whole, apart from its memory.h5, which is in
#   NAME-sS.memory.tar.gz   (unfinished runs only; with it a run resumes)
# A dry run on a CPU machine (this machine's build and data/fashion-mnist.h5;
# tests/cli/gpu_converged_cpu_path.sh runs it on a tiny dataset):
#   CONVERGED_LOCAL=1 ITERS=1600 SEEDS=1 BUDGET_S=80 bash studies/fashion-7200-methods/train_on_gpu.sh
# RUNS_DIR (default runs/gpu-converged) is emptied first; TRAIN_EXTRA adds
# `train` arguments; PYTHON (default python3) must import h5py.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
D=$ROOT/.gpu-deps/root
G=$ROOT/.gpu-data
OUTDIR=${OUT:-$ROOT/gpu-converged-out}
mkdir -p "$OUTDIR"
exec > >(tee "$OUTDIR/gpu_converged.log") 2>&1
T0=$SECONDS
BUDGET_S=${BUDGET_S:-560}
PACK_RESERVE_S=${PACK_RESERVE_S:-40}
ITERS=${ITERS:-7200}
SEEDS=${SEEDS:-1 2 3}
NAMES=${NAMES:-schedule-adaptive-langevin-cosine2x}
RUNS=${RUNS_DIR:-$ROOT/runs/gpu-converged}
read -r -a EXTRA <<<"${TRAIN_EXTRA:-}"   # more `train` arguments (tests/cli/gpu_converged_cpu_path.sh: a tiny model)
stamp() { echo "== [$((SECONDS - T0)) s] $*"; }
source bench/runs.sh
if [[ ${CONVERGED_LOCAL:-0} == 1 ]]; then  # a dry run of this script on a CPU machine
  BIN=${BIN:-$ROOT/build/latentebm}
  MPIRUN=mpirun
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 HDF5_USE_FILE_LOCKING=FALSE
else
  source studies/lib/gpu_setup.sh
fi
export OMP_NUM_THREADS=1
# data.path stays the preset's relative data/fashion-mnist.h5, which names
# the same file on the CPU machine when run from its repository root, and
# runtime.device=auto is CUDA here and the CPU there (the evaluation and any
# resume read the run's config; `cuda` would make them fail on the CPU).
rm -rf "$RUNS" && mkdir -p "$RUNS"
declare -A PID
stamp "training: $NAMES x seeds $SEEDS, $ITERS iterations each, side by side (deadline $((BUDGET_S - PACK_RESERVE_S)) s)"
for name in $NAMES; do
  for seed in $SEEDS; do
    run_args "$name" "$ITERS" || exit 2
    "$MPIRUN" -np 1 --bind-to none "$BIN" train "${RUN_ARGS[@]}" runtime.device=auto runtime.precision=fp32 \
      train.seed="$seed" ${EXTRA[@]+"${EXTRA[@]}"} --run-dir "$RUNS/$name-s$seed" >"$RUNS/$name-s$seed.log" 2>&1 &
    PID[$name-s$seed]=$!
  done
done
last_iteration() {  # RUN: the last logged iteration
  tail -n 30 "$1/metrics.jsonl" 2>/dev/null | python3 -c 'import json, sys
its = [json.loads(l).get("iteration") for l in sys.stdin if l.strip()]
its = [i for i in its if i is not None]
print(its[-1] if its else 0)'
}
stopped=0
while :; do
  alive=0
  for r in "${!PID[@]}"; do kill -0 "${PID[$r]}" 2>/dev/null && alive=$((alive + 1)); done
  ((alive == 0)) && break
  if ((stopped == 0 && SECONDS - T0 >= BUDGET_S - PACK_RESERVE_S)); then
    stamp "deadline: SIGUSR1 to the $alive unfinished run(s); they checkpoint and exit"
    # To the rank itself (mpirun's child), once: on the GPU machine (its
    # carried Open MPI, 2026-12-04) a SIGUSR1 to mpirun never reached the
    # rank, and a rank given two stop signals exits without a checkpoint.
    for r in "${!PID[@]}"; do pkill -USR1 -P "${PID[$r]}" 2>/dev/null; done
    stopped=1
  fi
  if ((stopped == 1 && SECONDS - T0 >= BUDGET_S - PACK_RESERVE_S / 2)); then
    stamp "runs still alive after SIGUSR1: killed (their newest periodic checkpoint stands)"
    for r in "${!PID[@]}"; do kill -9 "${PID[$r]}" 2>/dev/null; done
    break
  fi
  if (((SECONDS - T0) % 60 < 5)); then
    line=""
    for r in $(printf '%s\n' "${!PID[@]}" | sort); do line+=" $r $(last_iteration "$RUNS/$r")"; done
    stamp "progress:$line"
  fi
  sleep 5
done
# (by PID: a bare `wait` would also wait for the tee behind this script's output)
for r in "${!PID[@]}"; do wait "${PID[$r]}" 2>/dev/null; done

stamp "packing"
for name in $NAMES; do
  for seed in $SEEDS; do
    r=$name-s$seed
    latest=$(cat "$RUNS/$r/checkpoints/latest" 2>/dev/null)
    echo "  $r: newest checkpoint ${latest:-none}, last logged iteration $(last_iteration "$RUNS/$r"); $(grep -E 'done at iteration|error|Error' "$RUNS/$r.log" | tail -2 | tr '\n' ' ')"
    [[ -n $latest ]] || continue
    final=$(printf 'ckpt-%08d' "$ITERS")
    strip=()
    for c in "$RUNS/$r"/checkpoints/ckpt-*; do
      [[ $(basename "$c") == "$latest" && $latest != "$final" ]] && continue  # kept whole: the run resumes from it
      # An unfinished run brings its memory matrix back too (14 MB), so within the
      # tool's 64 MiB only its checkpoints from 80 % on come with it (the
      # last fifth's MSE change needs those).
      if [[ $latest != "$final" ]] && (($(basename "$c" | sed 's/ckpt-0*//') < ITERS * 8 / 10)); then
        rm -rf "$c"
        continue
      fi
      strip+=("$c")
    done
    ((${#strip[@]})) && "${PYTHON:-python3}" scripts/strip_checkpoint_for_eval.py "${strip[@]}"
    tar -C "$RUNS" --exclude=tensorboard --exclude=memory.h5 -czf "$OUTDIR/$r.tar.gz" "$r" "$r.log"
    if [[ $latest != "$final" ]]; then
      (cd "$RUNS" && tar -czf "$OUTDIR/$r.memory.tar.gz" "$r/checkpoints/$latest"/memory.h5)
    fi
  done
done
ls -la "$OUTDIR"
stamp "done"
