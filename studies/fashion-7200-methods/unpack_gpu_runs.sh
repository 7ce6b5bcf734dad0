#!/usr/bin/env bash
# Back on the CPU machine: unpack studies/fashion-7200-methods/train_on_gpu.sh's files (the device
# tool's files_at folder) into DEST (default runs/reproduce-7200), one run
# directory per NAME-sS, each with its checkpoints and, where the run
# stopped at the deadline, its newest checkpoint's memory.h5 again, so that
#   OUT=$PWD/DEST ITERS=7200 PARTS=methods METHODS=NAME SEEDS=S bash bench/reproduce.sh
# resumes it (re-sharded onto 2 ranks) or, if it finished, only evaluates it.
#   bash studies/fashion-7200-methods/unpack_gpu_runs.sh FILES_AT [DEST]
set -euo pipefail
cd "$(dirname "$0")/../.."
SRC=${1:?usage: studies/fashion-7200-methods/unpack_gpu_runs.sh FILES_AT [DEST]}
DEST=${2:-runs/reproduce-7200}
mkdir -p "$DEST"
shopt -s nullglob
for t in "$SRC"/*.tar.gz; do
  case $t in *.memory.tar.gz) continue ;; esac
  r=$(basename "$t" .tar.gz)
  [[ -e $DEST/$r ]] && { echo "gpu_converged_unpack: $DEST/$r exists: move it away first" >&2; exit 1; }
  tar -C "$DEST" -xzf "$t"
  [[ -f $SRC/$r.memory.tar.gz ]] && tar -C "$DEST" -xzf "$SRC/$r.memory.tar.gz"
  latest=$(cat "$DEST/$r/checkpoints/latest")
  if [[ -f $DEST/$r/checkpoints/$latest/memory.h5 ]]; then state="resumable"; else state="evaluation only"; fi
  echo "$DEST/$r: newest checkpoint $latest ($state)"
done
