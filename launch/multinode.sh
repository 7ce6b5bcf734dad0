#!/usr/bin/env bash
# Several machines: launch/multinode.sh HOSTFILE RANKS_PER_NODE [train options...]
# HOSTFILE is an Open MPI hostfile ("node01 slots=8" per line). The build and
# the data must be reachable at the same paths on every node (shared FS).
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
[[ -n ${LD_LIBRARY_PATH:-} ]] && FLAGS+=(-x LD_LIBRARY_PATH)   # (mpirun warns about an unset one)
run_mpirun "${FLAGS[@]}" -np "$N" \
  -x OMP_NUM_THREADS -x HDF5_USE_FILE_LOCKING -x NCCL_DEBUG -x NCCL_DEBUG_FILE -x PATH \
  "$BIN" train "$@"
