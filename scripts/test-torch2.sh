#!/usr/bin/env bash
# The LibTorch 2.x flavour (scripts/setup-torch2.sh) into build-torch2/:
#   bash scripts/test-torch2.sh          the flavour's suite (what .ci/run runs):
#                                        builds the target flavour_tests only and
#                                        runs the tests labelled "flavour", those
#                                        whose code differs between the flavours
#                                        (tests/CMakeLists.txt says which and why)
#   bash scripts/test-torch2.sh all      builds everything, runs the whole suite
# Without a GPU the CUDA tests report Skipped; every CPU test runs as in build/.
set -euo pipefail
cd "$(dirname "$0")/.."
SUITE=${1:-flavour}
case $SUITE in
  flavour) export TORCH2_TARGETS=${TORCH2_TARGETS:-flavour_tests}; LABEL=(-L flavour) ;;
  all) LABEL=() ;;
  *) echo "usage: scripts/test-torch2.sh [flavour | all]" >&2; exit 2 ;;
esac
bash scripts/setup-torch2.sh
export OMP_NUM_THREADS=1 HDF5_USE_FILE_LOCKING=FALSE
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cd "${TORCH2_BUILD_DIR:-build-torch2}" && ctest --output-on-failure -j "${JOBS:-2}" --timeout 900 "${LABEL[@]}"
