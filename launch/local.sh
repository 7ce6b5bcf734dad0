#!/usr/bin/env bash
# One machine, N ranks:   launch/local.sh N [latentebm train options...]
# e.g. launch/local.sh 2 --config configs/fashion-mnist-quick.yaml
set -euo pipefail
N=${1:?usage: launch/local.sh N [train options...]}
shift
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN=${LATENTEBM_BIN:-$ROOT/build/latentebm}
[[ -x $BIN ]] || { echo "launch: $BIN not built; run scripts/setup.sh" >&2; exit 1; }

FLAGS=(--bind-to none)
[[ $(id -u) -eq 0 ]] && FLAGS+=(--allow-run-as-root)   # Open MPI refuses root otherwise
(( N > $(nproc) )) && FLAGS+=(--oversubscribe)
# One intra-op thread per rank on CPU; no HDF5 file locks (shared file systems);
# NCCL debug output, if any, to one file per host and process.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
export HDF5_USE_FILE_LOCKING=FALSE
export NCCL_DEBUG=${NCCL_DEBUG:-WARN} NCCL_DEBUG_FILE=${NCCL_DEBUG_FILE:-/tmp/latentebm-nccl.%h.%p.log}
source "$ROOT/launch/common.sh"
forward_env
run_mpirun "${FLAGS[@]}" -np "$N" "${FORWARD_ENV[@]}" "$BIN" train "$@"
