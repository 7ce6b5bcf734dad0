#!/usr/bin/env bash
# fashion-preset-rate (journal A.9-A.16, A.13, A.28's main job): the full
# Fashion-MNIST training split at the quick preset's generator rate (5e-4,
# constant, or decayed to 0 by half a cosine), 7,200 iterations of batch 64,
# seeds 1-3: every method, every noise source, both stage schedules; the
# adaptive / non-adaptive pair at 14,400 iterations (seed 1); and the
# README's main job measured by bench_posterior_steering. README.md beside
# this file gives the design and the measured run time.
#
#   bash studies/fashion-preset-rate/run.sh     (resumable: run it again after a stop)
# Environment: studies/lib/study.sh (LATENTEBM_BIN, RUNS, SEEDS, RANKS).
STUDY=fashion-preset-rate
source "$(dirname "$0")/../lib/study.sh"
ITERS=${ITERS:-7200}   # the study's budget (a smaller one only for a smoke test of this script)
LONG=$((2 * ITERS))
STAGED="adaptive-ce non-adaptive adaptive-ce-cosine non-adaptive-cosine non-adaptive-importance noise-persistent
        noise-persistent-langevin noise-importance schedule-adaptive-langevin"
ALL="$STAGED single-stage lebm schedule-adaptive"

# 7,200 iterations: every method (LEBM at its reference settings; at the ratio networks' e_lr it ran away,
# journal A.6 and A.9, and is not run; the Gaussian prior is non-adaptive's generator with 0 stages, below),
# the cosine decay of the pair, every noise source and schedule
reproduce "$RUNS/$ITERS" $ITERS PARTS="methods noise ablation" \
  METHODS="adaptive-ce single-stage non-adaptive lebm adaptive-ce-cosine non-adaptive-cosine non-adaptive-importance" \
  NOISES="persistent persistent-langevin importance langevin schedule-adaptive schedule-adaptive-langevin"
for seed in $SEEDS; do
  for name in $ALL; do
    run=$RUNS/$ITERS/$name-s$seed
    [[ -f $run/eval.json && ! -L $run ]] || continue   # unfinished, or a link to the same run under another name
    staged=; [[ " $(echo $STAGED) " == *" $name "* ]] && staged=yes
    evaluate_run "$run" "$seed" $ITERS $staged
  done
  # the Gaussian prior: non-adaptive's generator with 0 stages (a `gaussian` run trains the same generator)
  run=$RUNS/$ITERS/non-adaptive-s$seed
  [[ -f $run/eval.json ]] && samplers "$run" "$seed" 0
done

# 14,400 iterations, seed 1: the pair with the main job's settings (journal A.13)
reproduce "$RUNS/$LONG" $LONG SEEDS=1 PARTS="methods ablation" METHODS="adaptive-ce non-adaptive"
for name in adaptive-ce non-adaptive; do
  run=$RUNS/$LONG/$name-s1
  [[ -f $run/eval.json && ! -L $run ]] || continue
  tenths "$run" 1 $LONG
  samplers "$run" 1 1 2
done

# the README's main job (the quick preset as committed, seed 1) and how far its prior steers its posterior
run=$RUNS/main-job/main-job-s1
mkdir -p "$RUNS/main-job"
if [[ ! -f $run/checkpoints/latest || "$(cat "$run/checkpoints/latest")" != "$(basename "$(ckpt "$run" 1600)")" ]]; then
  log "training the main job"
  "${MPIRUN[@]}" "$BIN" train --config configs/fashion-mnist-quick.yaml --run-dir "$run" >"$run.log" 2>&1 ||
    log "FAILED: the main job (see $run.log)"
fi
[[ -f $run/checkpoints/latest ]] && steering "$run" 1
summarize
