#!/usr/bin/env bash
# Ready for many ranks, at the size CI affords (bench/cluster_io.sh runs the
# same at 2, 8 and 32 ranks): a per-rank batch that survives a change of rank
# count, a checkpoint of three files whatever the rank count, per-rank I/O at
# start-up and resume that does not grow with the rank count, the launchers'
# environment forwarding.
# usage: bash cluster_scale.sh <path-to-latentebm> <source-dir>
set -euo pipefail
source "$(dirname "$0")/../support/cli_lib.sh" "$@"
command -v python3 >/dev/null || fail "python3 is needed (the metrics rows are JSON)"

step "writing a tiny idx dataset (96 train, 16 test images)"
IDX="$WORK/idx"
mkdir -p "$IDX"
write_images "$IDX/train-images-idx3-ubyte" 96
write_labels "$IDX/train-labels-idx1-ubyte" 96
write_images "$IDX/t10k-images-idx3-ubyte" 16
write_labels "$IDX/t10k-labels-idx1-ubyte" 16
DATA="$WORK/tiny.h5"
ok prepare "$BIN" prepare idx --dir "$IDX" --out "$DATA"

# A per-rank batch of 16 on 2 ranks (global 32), 12 iterations, K = 4 (a
# stage every 3), a checkpoint every 4.
TRAIN=(train --config "$CONFIG" "data.path=$DATA" data.train_limit=0 train.iterations=12 train.batch_per_rank=16
  model.ngf=4 model.nz=8 train.langevin_steps=2 train.prior_langevin_steps=2 log.log_every=2 log.checkpoint_every=4
  log.noise_reference_samples=0 log.tensorboard=off)
MPI3=("${MPIRUN_BASE[@]}" -np 3)
MPI4=("${MPIRUN_BASE[@]}" -np 4)
MPI8=("${MPIRUN_BASE[@]}" -np 8)
# io_row RUN WHEN RANKS FIELD: FIELD of the last "io" row of that kind written at RANKS ranks.
io_row() {
  python3 - "$1/metrics.jsonl" "$2" "$3" "$4" <<'EOF'
import json, sys
path, when, ranks, field = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
rows = [json.loads(l) for l in open(path) if '"io"' in l]
rows = [r for r in rows if r["io"] == when and r["ranks"] == ranks]
print(rows[-1][field] if rows else "missing")
EOF
}

step "2 ranks, stopped at iteration 4: the checkpoint is three files"
RUN="$WORK/run"
ok first "${MPIRUN[@]}" "$BIN" "${TRAIN[@]}" --run-dir "$RUN" --max-iterations 4 --no-pictures
grep -qF "schedule: global batch 32 (16 per rank x 2 rank(s)) | T = 12 iterations" "$WORK/first.out" ||
  fail "the start-up log does not state the schedule"
CK="$RUN/checkpoints/ckpt-00000004"
[[ "$(ls "$CK" | sort | tr '\n' ' ')" == "manifest.json memory.h5 model.h5 " ]] || fail "checkpoint files: $(ls "$CK")"

step "resumed on 4 ranks: the per-rank batch is kept, the global batch doubles, T stays"
ok resume4 "${MPI4[@]}" "$BIN" "${TRAIN[@]}" --run-dir "$RUN" --max-iterations 4 --no-pictures
grep -qF "resuming on 4 rank(s), the checkpoint was written by 2: train.batch_per_rank = 16 is kept, so the global batch changes 32 -> 64" \
  "$WORK/resume4.out" || { cat "$WORK/resume4.out" >&2; fail "no message on the batch at a rank-count change"; }
grep -qF "training iterations 4..8 of T = 12" "$WORK/resume4.out" || fail "T changed with the rank count"
[[ "$(ls "$RUN/checkpoints/ckpt-00000008" | sort | tr '\n' ' ')" == "manifest.json memory.h5 model.h5 " ]] ||
  fail "a 4-rank checkpoint is not three files"

step "resumed on 3 ranks keeping the global batch of 64 instead (22 + 21 + 21)"
ok resume3 "${MPI3[@]}" "$BIN" "${TRAIN[@]}" --run-dir "$RUN" train.batch_per_rank=0 --no-pictures
grep -qF "the global batch 64 is kept (21-22 per rank" "$WORK/resume3.out" || fail "no message keeping the global batch"
grep -qF "training finished: 12 iterations" "$WORK/resume3.out" || fail "the run did not finish"
ok verify "$BIN" verify --run-dir "$RUN"

step "8 ranks (oversubscribed) checkpoint at iteration 4; resumed and finished on 3"
# A per-rank batch of 4 (global 32, as above) at 8 ranks; the resume on 3
# keeps the global batch (11 + 11 + 10), reads the 8-rank checkpoint's one
# memory file by row ranges and finishes the same T.
RUN8="$WORK/run8"
ok fresh8 "${MPI8[@]}" "$BIN" "${TRAIN[@]}" train.batch_per_rank=4 --run-dir "$RUN8" --max-iterations 4 --no-pictures
[[ "$(ls "$RUN8/checkpoints/ckpt-00000004" | sort | tr '\n' ' ')" == "manifest.json memory.h5 model.h5 " ]] ||
  fail "an 8-rank checkpoint is not three files: $(ls "$RUN8/checkpoints/ckpt-00000004")"
[[ $(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["world_size"], len(m["memory"]["writer_row_ranges"]))' \
  "$RUN8/checkpoints/ckpt-00000004/manifest.json") == "8 8" ]] || fail "the 8-rank manifest does not record 8 writers"
ok resume8to3 "${MPI3[@]}" "$BIN" "${TRAIN[@]}" train.batch_per_rank=0 --run-dir "$RUN8" --no-pictures
grep -qF "resuming on 3 rank(s), the checkpoint was written by 8" "$WORK/resume8to3.out" ||
  { cat "$WORK/resume8to3.out" >&2; fail "no message on the rank-count change 8 -> 3"; }
grep -qF "training iterations 4..12 of T = 12" "$WORK/resume8to3.out" || fail "the 8 -> 3 resume did not continue at iteration 4 of 12"
grep -qF "training finished: 12 iterations" "$WORK/resume8to3.out" || fail "the 8 -> 3 resume did not finish"
ok verify8 "$BIN" verify --run-dir "$RUN8"

step "per-rank I/O does not grow with the ranks"
# Start-up of a fresh run at 2 and 4 ranks, and the resumes above at 4 and 3:
# the same number of file opens per rank; bytes per rank no more at 4 ranks
# than at 2 (each rank reads its rows of the data and of the memory matrix).
ok fresh4 "${MPI4[@]}" "$BIN" "${TRAIN[@]}" --run-dir "$WORK/run4" --max-iterations 1 --no-pictures
o2=$(io_row "$RUN" start-up 2 opens_max) o4=$(io_row "$WORK/run4" start-up 4 opens_max)
[[ $o2 == "$o4" && $o2 != missing ]] || fail "start-up file opens per rank: $o2 at 2 ranks, $o4 at 4"
r4=$(io_row "$RUN" resume 4 opens_max) r3=$(io_row "$RUN" resume 3 opens_max)
[[ $r4 == "$r3" && $r4 != missing ]] || fail "resume file opens per rank: $r4 at 4 ranks (from 2), $r3 at 3 (from 4)"
b2=$(io_row "$RUN" start-up 2 bytes_read_max) b4=$(io_row "$WORK/run4" start-up 4 bytes_read_max)
if [[ $b2 -ge 0 && $b4 -ge 0 ]]; then  # -1: no /proc/self/io here
  ((b4 <= b2 + 65536)) || fail "start-up bytes per rank grew: $b2 at 2 ranks, $b4 at 4"
fi
echo "   start-up: $o2 opens per rank at 2 and 4 ranks; $b2 / $b4 bytes; resume: $r4 / $r3 opens"

step "the launchers forward every NCCL_* / UCX_* variable to remote ranks"
HOSTS="$WORK/hosts"
printf 'node01 slots=8\nnode02 slots=8\n' >"$HOSTS"
NCCL_SOCKET_IFNAME=ib0 NCCL_IB_HCA=mlx5_0 UCX_NET_DEVICES=mlx5_0:1 LAUNCH_DRY_RUN=1 LATENTEBM_BIN="$BIN" \
  bash "$SRC/launch/multinode.sh" "$HOSTS" 8 --config x.yaml >"$WORK/dry.out"
for v in NCCL_SOCKET_IFNAME NCCL_IB_HCA UCX_NET_DEVICES NCCL_DEBUG OMP_NUM_THREADS HDF5_USE_FILE_LOCKING PATH; do
  grep -qE -- "-x $v( |$)" "$WORK/dry.out" || { cat "$WORK/dry.out" >&2; fail "multinode.sh does not forward $v"; }
done
grep -qF -- "-np 16" "$WORK/dry.out" || fail "multinode.sh does not start 16 ranks on 2 nodes of 8"
