#!/usr/bin/env bash
# RESULTS.md A.28 driver: bench_posterior_steering on every A.26 run (final
# checkpoint, all stages, 1,000 uniform test images), two runs at a time.
set -uo pipefail
B=/work/main/build/bench/bench_posterior_steering RUNS=/work/main/runs/mnist-1600 OUT=/work/main/runs/steering
mkdir -p $OUT
for m in adaptive-ce non-adaptive single-stage lebm; do
  for s in 1 2 3; do
    echo "$m $s"
  done
done | xargs -P 2 -n 2 sh -c '[ -f '$OUT'/$0-s$1.json ] || '$B' --run-dir '$RUNS'/$0-cosine2x-s$1 --images 1000 --seed $1 --out '$OUT'/$0-s$1.json > '$OUT'/$0-s$1.log 2>&1 || echo "FAILED $0 $1"'
echo "steering: all done $(date +%H:%M:%S)"
