# Sourced by the device machine's scripts (bench/gpu/check.sh,
# studies/gpu-study/run.sh) from the repository root, with D set to the carried
# Debian tree (.gpu-deps/root, from scripts/gpu_deps.sh): finds the machine's
# PyTorch, NCCL and CUDA runtime, and points the loader, pkg-config and a
# relocated Open MPI at the carried libraries. Sets TORCH_SITE, NCCL_ROOT (if
# found), LIBD and MPIRUN.
TORCH_SITE=$(python3 -c 'import torch, os; print(os.path.dirname(os.path.dirname(torch.__file__)))')
NCCL_DIR=$(python3 -c 'import nvidia.nccl, os; print(os.path.dirname(nvidia.nccl.__file__) if nvidia.nccl.__file__ else list(nvidia.nccl.__path__)[0])' 2>/dev/null || true)
[[ -n $NCCL_DIR && -f $NCCL_DIR/include/nccl.h ]] && export NCCL_ROOT=$NCCL_DIR
[[ -z ${NCCL_ROOT:-} && -f /usr/local/cuda/include/nccl.h ]] && export NCCL_ROOT=/usr/local/cuda
if [[ -z ${NCCL_ROOT:-} ]]; then  # CUDA 13 wheels may nest it (nvidia/cu13/...): search the nvidia packages
  H=$(find "$TORCH_SITE/nvidia" -name nccl.h -path '*include*' 2>/dev/null | head -1)
  [[ -n $H ]] && export NCCL_ROOT=$(dirname "$(dirname "$H")")
fi
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
export LD_LIBRARY_PATH=$LIBD:$D/lib/x86_64-linux-gnu:$LIBD/openmpi/lib:$LIBD/hdf5/serial:${NCCL_ROOT:+$NCCL_ROOT/lib:}${LD_LIBRARY_PATH:-}
export PKG_CONFIG_PATH=$LIBD/pkgconfig:$D/usr/share/pkgconfig PKG_CONFIG_SYSROOT_DIR=$D
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1 HDF5_USE_FILE_LOCKING=FALSE
MPIRUN=$D/usr/bin/mpirun.openmpi
# Binaries built here (scripts/gpu_deps.sh --prebuilt, scripts/gpu_study_data.sh)
# load this machine's LibTorch (same version and ABI) and CUDA runtime.
CUDART_DIRS=$(find "$TORCH_SITE/nvidia" /usr/local/cuda/lib64 -name 'libcudart.so.13*' -printf '%h:' 2>/dev/null)
export LD_LIBRARY_PATH=$TORCH_SITE/torch/lib:${CUDART_DIRS}$LD_LIBRARY_PATH
