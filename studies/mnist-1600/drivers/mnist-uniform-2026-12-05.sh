#!/usr/bin/env bash
# RESULTS.md A.27 driver: re-evaluate every A.26 run's final, 80 % and 90 %
# checkpoints on 1,000 test images chosen by data::test_subset (a uniform
# subset of the digit-sorted test split) instead of its first 1,000 (digits
# 0-4 only), with a copy of the binary built from the change.
set -uo pipefail
BIN=/tmp/ubin/latentebm RUNS=/work/main/runs/mnist-1600 OUT=/work/main/runs/mnist-1600-uniform
MPIRUN=(mpirun -np 2 --oversubscribe --allow-run-as-root)
for m in adaptive-ce non-adaptive single-stage lebm; do
  for s in 1 2 3; do
    run=$RUNS/$m-cosine2x-s$s out=$OUT/$m-cosine2x-s$s
    mkdir -p "$out"
    [[ -f $out/eval.json ]] || "${MPIRUN[@]}" "$BIN" eval --run-dir "$run" --samples 1000 --test-limit 1000 --seed $s \
      --out "$out/eval.json" >"$out/eval.log" 2>&1 || echo "FAILED eval $m $s"
    for pct in 80 90; do
      ckpt=$run/checkpoints/$(printf 'ckpt-%08d' $((1600 * pct / 100)))
      [[ -f $out/eval-$pct.json ]] || "${MPIRUN[@]}" "$BIN" eval --run-dir "$run" --checkpoint "$ckpt" --samples 0 \
        --test-limit 1000 --seed $s --out "$out/eval-$pct.json" >"$out/eval-$pct.log" 2>&1 || echo "FAILED eval-$pct $m $s"
    done
    echo "done $m $s $(date +%H:%M:%S)"
  done
done
echo "uniform: all done $(date +%H:%M:%S)"
