#!/usr/bin/env bash
# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer:
# every target built with -DLATENTEBM_SANITIZE=ON into build-asan/, then the
# same ctest run as scripts/test.sh. Any ASan report or UB aborts the test
# that hit it (-fno-sanitize-recover=undefined; ASan's default).
#   bash scripts/test-sanitize.sh        (JOBS=N for the build and ctest)
# Leak checking is off: Open MPI, HDF5 and LibTorch keep process-lifetime
# allocations that LeakSanitizer reports at exit, which are not ours.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --packages-only
GEN=()
command -v ninja >/dev/null && [[ ! -f build-asan/Makefile ]] && GEN=(-G Ninja)
cmake -S . -B build-asan "${GEN[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLATENTEBM_SANITIZE=ON >/dev/null
cmake --build build-asan -j "${JOBS:-$(nproc)}"
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export OMP_NUM_THREADS=1 HDF5_USE_FILE_LOCKING=FALSE
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cd build-asan && ctest --output-on-failure -j "${JOBS:-2}" --timeout 1800
