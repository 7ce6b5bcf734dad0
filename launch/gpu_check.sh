#!/usr/bin/env bash
# One prepared GPU check (issue 6), for the device tool's machine: one CUDA
# GPU, a PyTorch install with CUDA LibTorch 2.x and NCCL, no package registry.
#
#   here:  bash scripts/gpu_deps.sh              (Debian libraries -> .gpu-deps/)
#   there: run(command="bash launch/gpu_check.sh", carry=[".gpu-deps"], timeout_s=540)
#
# It builds latentebm against the machine's CUDA LibTorch and NCCL (plus the
# carried Debian libraries), runs the CPU-vs-CUDA parity test and the 1-rank
# NCCL test, trains the svhn preset for a few iterations on random data of
# SVHN's shape, and runs the iteration benchmark on the GPU (batch 100,
# L = 30: iteration time, L+1 generator passes, their ratio, the projected
# 100-epoch SVHN schedule). Everything it prints goes to $OUT/gpu_check.log;
# it aims to finish inside 8 minutes.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
D=$ROOT/.gpu-deps/root
OUTDIR=${OUT:-$ROOT/gpu-check-out}
mkdir -p "$OUTDIR"
exec > >(tee "$OUTDIR/gpu_check.log") 2>&1
T0=$SECONDS
stamp() { echo "== [$((SECONDS - T0)) s] $*"; }
[[ -d $D ]] || { echo "gpu_check: $D missing: run scripts/gpu_deps.sh here and carry .gpu-deps"; exit 2; }

stamp "machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
nproc
TORCH_PREFIX=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "gpus", torch.cuda.device_count())'
NCCL_DIR=$(python3 -c 'import nvidia.nccl, os; print(os.path.dirname(nvidia.nccl.__file__) if nvidia.nccl.__file__ else list(nvidia.nccl.__path__)[0])' 2>/dev/null || true)
[[ -n $NCCL_DIR && -f $NCCL_DIR/include/nccl.h ]] && export NCCL_ROOT=$NCCL_DIR
[[ -z ${NCCL_ROOT:-} && -f /usr/local/cuda/include/nccl.h ]] && export NCCL_ROOT=/usr/local/cuda
echo "NCCL_ROOT=${NCCL_ROOT:-not found}"
# NCCL wheels ship libnccl.so.2 only: give the linker the unversioned name.
if [[ -n ${NCCL_ROOT:-} && ! -e $NCCL_ROOT/lib/libnccl.so && -e $NCCL_ROOT/lib/libnccl.so.2 ]]; then
  mkdir -p "$ROOT/.gpu-deps/nccl/lib" && ln -sf "$NCCL_ROOT/lib/libnccl.so.2" "$ROOT/.gpu-deps/nccl/lib/libnccl.so"
  ln -sfn "$NCCL_ROOT/include" "$ROOT/.gpu-deps/nccl/include"
  export NCCL_ROOT=$ROOT/.gpu-deps/nccl
fi

# The carried Debian tree: Open MPI relocated with OPAL_PREFIX, pkg-config
# files rewritten by a sysroot, libraries on the loader path.
LIBD=$D/usr/lib/x86_64-linux-gnu
export OPAL_PREFIX=$D/usr
export PATH=$D/usr/bin:$PATH
export LD_LIBRARY_PATH=$LIBD:$LIBD/openmpi/lib:$LIBD/hdf5/serial:${NCCL_ROOT:+$NCCL_ROOT/lib:}${LD_LIBRARY_PATH:-}
export PKG_CONFIG_PATH=$LIBD/pkgconfig:$D/usr/share/pkgconfig PKG_CONFIG_SYSROOT_DIR=$D
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1 HDF5_USE_FILE_LOCKING=FALSE
MPIRUN=$D/usr/bin/mpirun.openmpi

stamp "configure"
GEN=()
command -v ninja >/dev/null && GEN=(-G Ninja)
cmake -S . -B build-gpu "${GEN[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$TORCH_PREFIX;$D/usr" \
  -DMPI_CXX_COMPILER="$D/usr/bin/mpicxx.openmpi" -DMPI_C_COMPILER="$D/usr/bin/mpicc.openmpi" \
  -DHDF5_C_INCLUDE_DIR="$D/usr/include/hdf5/serial" -DHDF5_C_LIBRARY_hdf5="$LIBD/hdf5/serial/libhdf5.so" \
  -DCMAKE_CUDA_ARCHITECTURES=90 2>&1 | tail -25 || { echo "gpu_check: configure failed"; exit 1; }
stamp "build"
cmake --build build-gpu -j "$(nproc)" --target latentebm model_test_cuda_parity distributed_nccl_backend bench_iteration \
  2>&1 | grep -E "error|Error|warning: unused" | head -40
[[ -x build-gpu/latentebm ]] || { echo "gpu_check: build failed"; exit 1; }

stamp "CPU vs CUDA parity test"
timeout 120 build-gpu/tests/model_test_cuda_parity 2>&1 | tail -15
stamp "NCCL communicator, 1 rank"
timeout 120 "$MPIRUN" -np 1 build-gpu/tests/distributed_nccl_backend 2>&1 | tail -15

stamp "short svhn-preset training on the GPU (random data of SVHN's shape)"
timeout 200 build-gpu/bench/bench_iteration configs/svhn.yaml 1 runtime.device=cuda 2>&1 | tail -3  # warm-up + cuDNN autotune
stamp "iteration benchmark: svhn preset, batch 100, L = 30, on the GPU"
timeout 240 build-gpu/bench/bench_iteration configs/svhn.yaml 10 --schedule-images=73257 runtime.device=cuda 2>&1 | tail -4
stamp "done"
nvidia-smi --query-gpu=name,memory.used --format=csv,noheader || true
