#!/usr/bin/env bash
# Several machines: launch/multinode.sh HOSTFILE RANKS_PER_NODE [train options...]
# HOSTFILE is an Open MPI hostfile ("node01 slots=8" per line). The build and
# the data must be reachable at the same paths on every node (shared FS).
# The ranks get the launch shell's NCCL_*, UCX_*, CUDA_*, TORCH_* and
# LATENTEBM_* variables (common.sh: forward_env). LAUNCH_DRY_RUN=1 prints the
# mpirun command instead of running it.
set -euo pipefail
HOSTFILE=${1:?usage: launch/multinode.sh HOSTFILE RANKS_PER_NODE [train options...]}
PER_NODE=${2:?ranks per node}
shift 2
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN=${LATENTEBM_BIN:-$ROOT/build/latentebm}
NODES=$(grep -cv '^\s*\(#\|$\)' "$HOSTFILE")
N=$((NODES * PER_NODE))

FLAGS=(--hostfile "$HOSTFILE" --map-by "ppr:${PER_NODE}:node" --bind-to none)
[[ $(id -u) -eq 0 ]] && FLAGS+=(--allow-run-as-root)
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
export HDF5_USE_FILE_LOCKING=FALSE                     # shared file systems reject HDF5 locks
export NCCL_DEBUG=${NCCL_DEBUG:-WARN}
export NCCL_DEBUG_FILE=${NCCL_DEBUG_FILE:-$ROOT/runs/nccl.%h.%p.log}   # one file per host and rank
echo "launch: $N ranks on $NODES node(s) from $HOSTFILE"
source "$ROOT/launch/common.sh"
forward_env   # every NCCL_*, UCX_*, CUDA_*, TORCH_*, LATENTEBM_* variable, PATH, LD_LIBRARY_PATH, ...
[[ ${LAUNCH_DRY_RUN:-0} == 1 ]] && { printf '%q ' mpirun "${FLAGS[@]}" -np "$N" "${FORWARD_ENV[@]}" "$BIN" train "$@"; echo; exit 0; }
run_mpirun "${FLAGS[@]}" -np "$N" "${FORWARD_ENV[@]}" "$BIN" train "$@"
