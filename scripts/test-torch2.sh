#!/usr/bin/env bash
# The LibTorch 2.x flavour (scripts/setup-torch2.sh): build it into
# build-torch2/ and run the whole test suite there. Without a GPU the CUDA
# tests skip; every CPU test runs as in build/ (scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-torch2.sh
export OMP_NUM_THREADS=1 HDF5_USE_FILE_LOCKING=FALSE
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cd "${TORCH2_BUILD_DIR:-build-torch2}" && ctest --output-on-failure -j "${JOBS:-2}" --timeout 900
