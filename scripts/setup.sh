#!/usr/bin/env bash
# Install what is missing (Debian 12 packages), configure and build latentebm
# into build/. Safe to re-run: installed packages and an up-to-date build are
# left alone. --packages-only: install the packages, build nothing (used by
# scripts/setup-torch2.sh, the LibTorch 2.x flavour).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake pkg-config
  libtorch-dev libopenblas0-openmp          # LibTorch 1.13 (CPU) + the fast BLAS it needs
  libopenmpi-dev openmpi-bin                # MPI
  libhdf5-dev libspdlog-dev libyaml-cpp-dev nlohmann-json3-dev
  libcli11-dev                              # command-line options of latentebm and the benchmarks (header-only)
  hdf5-tools                                # h5diff / h5ls: the cluster tests compare checkpoints bit for bit; h5dump to inspect one
  zlib1g-dev libpng-dev libgtest-dev libgmock-dev
  libzip-dev                                # .npz output (sample --format npz)
  gnuplot-nox                               # PNG line plots (report/plot.h)
  libmatio-dev libstb-dev                   # SVHN .mat files; JPEG/PNG decode + resize for image folders
  dataset-fashion-mnist                     # the default training data
  protobuf-compiler libprotobuf-dev         # TensorBoard event files (TensorBoard's protos, compiled at build time)
  python3-venv                              # .deps/py: the tensorboard package (its protos; the event-file test; tensorboard itself)
  python3-torch python3-numpy               # python/latentebm.py over `latentebm export` (tests/cli/export.sh)
  python3-h5py                              # scripts/strip_checkpoint_for_eval.py (tests/cli/gpu_converged_cpu_path.sh)
  clang libclang-rt-14-dev                  # the fuzz pass in CI (tests/cli/fuzz.sh builds fuzz/ with libFuzzer + ASan/UBSan)
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# With Debian's reference BLAS, LibTorch convolutions run ~10x slower.
if ! update-alternatives --query libblas.so.3-x86_64-linux-gnu 2>/dev/null | grep -q "^Value: .*openblas"; then
  echo "setup: warning: libblas.so.3 does not point at OpenBLAS; run" >&2
  echo "  update-alternatives --config libblas.so.3-x86_64-linux-gnu" >&2
fi

# TensorBoard from PyPI (Debian has none) in a venv of its own, .deps/py:
# CMake compiles its event.proto for the writer (LATENTEBM_TENSORBOARD), the
# event-file test reads runs with its reader, and `.deps/py/bin/tensorboard
# --logdir RUN/tensorboard` serves them (README, "Watch a run").
TENSORBOARD_VERSION=2.21.0
if ! .deps/py/bin/python -c "import tensorboard, sys; sys.exit(tensorboard.__version__ != '$TENSORBOARD_VERSION')" 2>/dev/null; then
  echo "setup: installing tensorboard $TENSORBOARD_VERSION (PyPI) into .deps/py"
  python3 -m venv .deps/py
  .deps/py/bin/pip install -q --disable-pip-version-check "tensorboard==$TENSORBOARD_VERSION"
fi

[[ ${1:-} == --packages-only ]] && exit 0

JOBS=${JOBS:-$(nproc)}
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$JOBS"
