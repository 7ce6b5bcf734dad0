#!/usr/bin/env bash
# The second build flavour: latentebm against LibTorch 2.x with CUDA (PyPI's
# `torch` wheel, the same minor version as the GPU machine's PyTorch) and the
# local CUDA 13 toolkit's cuBLAS, cuDNN and NCCL, into build-torch2/.
# LATENTEBM_WITH_CUDA and LATENTEBM_WITH_NCCL are on; without a GPU the CUDA
# tests skip and every CPU test runs as in build/.
#
#   bash scripts/setup-torch2.sh          # install what is missing, configure, build
#   TORCH2_VERSION=2.11.0 JOBS=2 bash scripts/setup-torch2.sh
#
# Needs: the Debian packages of scripts/setup.sh (installed here if missing),
# python3 + pip (only to download wheels; nothing is pip-installed), the CUDA
# 13 toolkit under $CUDA_HOME (default /usr/local/cuda) with cuDNN and NCCL.
# Downloads, once, into .deps/torch2/wheels (git-ignored; reused on re-runs):
#   torch (530 MB; LibTorch headers, libraries and CMake files) and the three
#   libraries the wheel links that the toolkit here lacks: cuSPARSELt,
#   NVSHMEM's host library and cuFile (~230 MB together).
# The wheels are unpacked into .deps/torch2/site in site-packages layout, so
# LibTorch's own RPATH ($ORIGIN/../../nvidia/<lib>/lib) finds them; cuBLAS,
# cuDNN, NCCL and the rest come from the toolkit (via the loader path or
# the build's RPATH).
#
# The GPU machine (bench/gpu/check.sh) runs the same configure and build
# against its installed PyTorch instead of a download:
#   TORCH2_SITE=<dir holding torch/>  use that LibTorch (no download, no unpack)
#   TORCH2_NO_APT=1                   install nothing (no package registry there)
#   TORCH2_CMAKE_ARGS="..."           extra CMake arguments (carried libraries)
#   TORCH2_PREFIX_PATH="a;b"          more CMake prefixes, searched after LibTorch's
#   TORCH2_TARGETS="a b"              build only these targets
#   TORCH2_BUILD_DIR=dir              build directory (default build-torch2)
#   NCCL_ROOT=dir                     NCCL's include/ and lib/ (default: $CUDA_HOME)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VERSION=${TORCH2_VERSION:-2.11.0}
CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
DEPS=$ROOT/.deps/torch2
WHEELS=$DEPS/wheels
SITE=$DEPS/site
BUILD=${TORCH2_BUILD_DIR:-build-torch2}
# Exactly the versions torch $VERSION's metadata pins for these three (checked
# against the downloaded wheel below).
EXTRA_WHEELS=(nvidia-cusparselt-cu13==0.8.0 nvidia-nvshmem-cu13==3.4.5 nvidia-cufile==1.15.1.6)

# ---- Debian packages (same list as the default flavour) and pip
[[ -n ${TORCH2_NO_APT:-} ]] || bash scripts/setup.sh --packages-only
if [[ -z ${TORCH2_SITE:-} ]] && ! python3 -m pip --version >/dev/null 2>&1; then
  echo "setup-torch2: installing python3-pip"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-pip unzip >/dev/null
fi
[[ -n ${TORCH2_SITE:-} ]] || command -v unzip >/dev/null || { echo "setup-torch2: unzip missing (apt-get install unzip)" >&2; exit 1; }

# ---- the CUDA toolkit (with an installed PyTorch, cuDNN and NCCL may come
# from its nvidia-* wheels instead)
TOOLKIT_FILES=(bin/nvcc include/cuda_runtime.h)
[[ -n ${TORCH2_SITE:-} ]] || TOOLKIT_FILES+=(include/cudnn.h include/nccl.h include/cublas_v2.h)
for f in "${TOOLKIT_FILES[@]}"; do
  [[ -e $CUDA_HOME/$f ]] || { echo "setup-torch2: $CUDA_HOME/$f missing: this flavour needs the CUDA 13 toolkit with cuDNN and NCCL (set CUDA_HOME)" >&2; exit 1; }
done
CUDA_LIB=$CUDA_HOME/lib64
[[ -d $CUDA_LIB ]] || CUDA_LIB=$CUDA_HOME/lib

if [[ -n ${TORCH2_SITE:-} ]]; then
  SITE=$TORCH2_SITE
  [[ -f $SITE/torch/share/cmake/Torch/TorchConfig.cmake ]] || { echo "setup-torch2: no LibTorch under $SITE/torch" >&2; exit 1; }
else
  # ---- download (once): wheels for Linux x86-64, CPython 3.11, whatever python runs pip
  mkdir -p "$WHEELS"
  # Every manylinux tag glibc 2.28 accepts, spelled out: pip does not widen
  # --platform by itself, and the three NVIDIA wheels carry only the older
  # manylinux2014 / manylinux_2_17 tags (with the torch wheel's tag alone,
  # pip reports "from versions: 0.0.0a0" for cuSPARSELt).
  pip_download() {
    python3 -m pip download --no-deps --only-binary=:all: \
      --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
      --python-version 3.11 --implementation cp -d "$WHEELS" "$@"
  }
  if ! compgen -G "$WHEELS/torch-$VERSION-*.whl" >/dev/null; then
    echo "setup-torch2: downloading torch $VERSION (about 530 MB)"
    pip_download "torch==$VERSION"
  fi
  TORCH_WHEEL=$(compgen -G "$WHEELS/torch-$VERSION-*.whl" | head -1)
  for spec in "${EXTRA_WHEELS[@]}"; do
    name=${spec%%==*} ver=${spec##*==}
    compgen -G "$WHEELS/${name//-/_}-$ver-*.whl" >/dev/null || pip_download "$spec"
  done

  # ---- unpack (once per wheel set)
  STAMP=$SITE/.unpacked-$VERSION
  if [[ ! -f $STAMP ]]; then
    echo "setup-torch2: unpacking into $SITE"
    rm -rf "$SITE" && mkdir -p "$SITE"
    # LibTorch only: headers, libraries, CMake files (not the Python modules).
    unzip -q -o "$TORCH_WHEEL" 'torch/lib/*' 'torch/include/*' 'torch/share/*' 'torch/version.py' \
      "torch-$VERSION.dist-info/METADATA" -d "$SITE"
    for spec in "${EXTRA_WHEELS[@]}"; do
      name=${spec%%==*} ver=${spec##*==}
      unzip -q -o "$(compgen -G "$WHEELS/${name//-/_}-$ver-*.whl" | head -1)" 'nvidia/*' -d "$SITE"
    done
    touch "$STAMP"
  fi
  for spec in "${EXTRA_WHEELS[@]:0:2}"; do  # (cuFile comes through the cuda-toolkit pin)
    grep -q "^Requires-Dist: $spec" "$SITE/torch-$VERSION.dist-info/METADATA" ||
      echo "setup-torch2: warning: torch $VERSION does not pin $spec; update EXTRA_WHEELS" >&2
  done

  # ---- every library LibTorch needs must resolve (toolkit + unpacked wheels)
  export LD_LIBRARY_PATH=$CUDA_LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  missing=$(ldd "$SITE/torch/lib/libtorch_cuda.so" | grep "not found" || true)
  [[ -z $missing ]] || { echo "setup-torch2: libraries LibTorch needs are missing:" >&2; echo "$missing" >&2; exit 1; }
fi

# ---- configure and build
mkdir -p "$DEPS"
VERSION=$(sed -n "s/^__version__ = '\(.*\)'$/\1/p" "$SITE/torch/version.py" 2>/dev/null || echo "$VERSION")
GEN=()
command -v ninja >/dev/null && [[ ! -f $BUILD/Makefile ]] && GEN=(-G Ninja)
export NCCL_ROOT=${NCCL_ROOT:-$CUDA_HOME}
EXTRA=()
[[ -n ${TORCH2_CMAKE_ARGS:-} ]] && read -r -a EXTRA <<<"$TORCH2_CMAKE_ARGS"
cmake -S . -B "$BUILD" "${GEN[@]}" -DCMAKE_BUILD_TYPE=Release "${EXTRA[@]}" \
  -DCMAKE_PREFIX_PATH="$SITE/torch;$SITE/torch/share/cmake${TORCH2_PREFIX_PATH:+;$TORCH2_PREFIX_PATH}" \
  -DCUDAToolkit_ROOT="$CUDA_HOME" -DCMAKE_CUDA_COMPILER="$CUDA_HOME/bin/nvcc" \
  -DTORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}" \
  -DCMAKE_BUILD_RPATH="$CUDA_LIB" >"$DEPS/configure.log" 2>&1 || { cat "$DEPS/configure.log" >&2; exit 1; }
# ($SITE/torch first: TorchConfig's find_library would otherwise take Debian's
# /usr/lib/x86_64-linux-gnu/libtorch.so of the default flavour.)
grep -q "^TORCH_LIBRARY:FILEPATH=$SITE/torch/lib/libtorch.so$" "$BUILD/CMakeCache.txt" ||
  { grep "^TORCH_LIBRARY:" "$BUILD/CMakeCache.txt" >&2; echo "setup-torch2: configured against the wrong LibTorch" >&2; exit 1; }
grep -q "latentebm: CUDA LibTorch ON, NCCL ON" "$DEPS/configure.log" ||
  { grep "latentebm:" "$DEPS/configure.log" >&2; echo "setup-torch2: expected CUDA LibTorch and NCCL on" >&2; exit 1; }
TARGETS=()
[[ -n ${TORCH2_TARGETS:-} ]] && read -r -a TARGETS <<<"$TORCH2_TARGETS"
cmake --build "$BUILD" -j "${JOBS:-$(nproc)}" ${TARGETS[@]:+--target "${TARGETS[@]}"}
echo "setup-torch2: built $BUILD against LibTorch $VERSION (CUDA $("$CUDA_HOME/bin/nvcc" --version | sed -n 's/.*release \([0-9.]*\).*/\1/p'))"
