#!/usr/bin/env bash
# The main job: build, prepare Fashion-MNIST, train the quick preset on 2 MPI
# ranks (training about 8-9 minutes on 2 cores, after the build). Leaves runs/fashion-mnist-quick/ with
# config.yaml, logs/, metrics.jsonl, checkpoints/, samples.png and
# reconstructions.png. Re-running resumes (and then just redraws pictures).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/fashion-mnist.sh build/latentebm
bash launch/local.sh 2 --config configs/fashion-mnist-quick.yaml --run-dir runs/fashion-mnist-quick "$@"
echo "main job done: see runs/fashion-mnist-quick/ (samples.png, reconstructions.png, metrics.jsonl)"
