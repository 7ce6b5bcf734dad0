#!/usr/bin/env bash
# Fashion-MNIST for the main job and the reproduction: prepare
# data/fashion-mnist.h5 when it is missing, and, when no FD classifier is
# cached beside it, start from the repository's (assets/, see its README):
# its key names the data by content, so a freshly prepared copy on any
# machine uses it and FD is measured in the same feature space as
# docs/RESULTS.md's tables. Training the classifier again on another CPU can
# give a slightly different one (other kernels round differently).
# Usage: scripts/fashion-mnist.sh [LATENTEBM_BINARY]   (default build/latentebm)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build/latentebm}
mkdir -p data
[[ -f data/fashion-mnist.h5 ]] || "$BIN" prepare fashion-mnist --out data/fashion-mnist.h5
[[ -f data/fashion-mnist.h5.classifier.h5 ]] || cp assets/fashion-mnist.classifier.h5 data/fashion-mnist.h5.classifier.h5
