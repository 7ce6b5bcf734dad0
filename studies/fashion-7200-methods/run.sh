#!/usr/bin/env bash
# fashion-7200-methods (journal A.17-A.24): every method and noise source on
# the full Fashion-MNIST training split at the converged recipe, 7,200
# iterations of batch 64 with the generator's rate decayed from 1e-3 to 0 by
# half a cosine (bench/runs.sh's -cosine2x runs), seeds 1-3; then every
# evaluation the study's tables read, and its summary. README.md beside this
# file gives the design and the measured run time.
#
#   bash studies/fashion-7200-methods/run.sh     (resumable: run it again after a stop)
# Environment: studies/lib/study.sh (LATENTEBM_BIN, RUNS, SEEDS, RANKS).
STUDY=fashion-7200-methods
source "$(dirname "$0")/../lib/study.sh"
ITERS=${ITERS:-7200}   # the study's budget (a smaller one only for a smoke test of this script)
PAIR="adaptive-ce-cosine2x non-adaptive-cosine2x"
STAGED="$PAIR noise-importance-cosine2x non-adaptive-importance-cosine2x noise-persistent-cosine2x
        noise-persistent-langevin-cosine2x schedule-adaptive-langevin-cosine2x"
ALL="$STAGED single-stage-cosine2x lebm-cosine2x"

# training, eval.json (FD under the reference sampler, 100 steps of 0.1; test MSE), MSE at 80 / 90 %,
# and the stage ablation of the adaptive / non-adaptive pair
reproduce "$RUNS" $ITERS PARTS="methods ablation" METHODS="$(echo $ALL)"

for seed in $SEEDS; do
  for name in $ALL; do
    run=$RUNS/$name-s$seed
    [[ -f $run/eval.json ]] || continue   # not finished (reproduce.sh logged why)
    staged=; [[ " $(echo $STAGED) " == *" $name "* ]] && staged=yes
    evaluate_run "$run" "$seed" $ITERS $staged
  done
  # the Gaussian prior: non-adaptive's generator with 0 stages under every sampler (its `gaussian` run
  # would train the same generator: posterior samples under N(0, I))
  run=$RUNS/non-adaptive-cosine2x-s$seed
  [[ -f $run/eval.json ]] && samplers "$run" "$seed" 0
  # is each prior still improving? FD under 60 steps of 0.4 at 80 and 90 % of training (the NCE pair with
  # all 4 stages, the 4th still in training)
  for name in $PAIR lebm-cosine2x; do
    run=$RUNS/$name-s$seed
    [[ -f $run/eval.json ]] || continue
    extra=(); [[ $name == lebm-cosine2x ]] || extra=(--stages 4)
    for pct in 80 90; do fd_at "$run" "$seed" $((ITERS * pct / 100)) "${extra[@]}"; done
  done
done
summarize
