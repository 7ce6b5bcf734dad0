#!/usr/bin/env bash
# CLI smoke test: prepare -> train on 2 MPI ranks (stopped, then resumed) ->
# sample -> reconstruct, plus the errors a user is most likely to hit.
# usage: bash smoke.sh <path-to-latentebm> <source-dir>
# Needs only bash, coreutils, gzip and mpirun (no python).
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 <path-to-latentebm> <source-dir>" >&2
  exit 2
fi
BIN=$(readlink -f "$1")
SRC=$(readlink -f "$2")
CONFIG="$SRC/configs/fashion-mnist-quick.yaml"
[[ -x "$BIN" ]] || { echo "not an executable: $BIN" >&2; exit 2; }
[[ -f "$CONFIG" ]] || { echo "missing preset: $CONFIG" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/latentebm_smoke.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export OMP_NUM_THREADS=1 HDF5_USE_FILE_LOCKING=FALSE
MPIRUN=(mpirun --oversubscribe --allow-run-as-root --bind-to none -x OMP_NUM_THREADS -x HDF5_USE_FILE_LOCKING -np 2)
LIMIT=300  # seconds any single command may take (a hang fails the test)

step() { echo "== $*"; }
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
# Run a command that must succeed; its output goes to $WORK/<name>.out and is
# shown when it fails.
ok() {
  local name=$1
  shift
  local rc=0
  timeout "$LIMIT" "$@" >"$WORK/$name.out" 2>&1 || rc=$?
  if [[ $rc -ne 0 ]]; then
    cat "$WORK/$name.out" >&2
    fail "$name exited with status $rc: $*"
  fi
}
# Run a command that must fail (non-zero, not a timeout) with a message
# containing the fixed string $2.
fails_with() {
  local name=$1 message=$2
  shift 2
  local rc=0
  timeout "$LIMIT" "$@" >"$WORK/$name.out" 2>&1 || rc=$?
  if [[ $rc -eq 0 ]]; then
    cat "$WORK/$name.out" >&2
    fail "$name: expected a non-zero exit status, got 0"
  fi
  if [[ $rc -eq 124 ]]; then
    cat "$WORK/$name.out" >&2
    fail "$name: hung for ${LIMIT}s instead of failing"
  fi
  if ! grep -qF -- "$message" "$WORK/$name.out"; then
    cat "$WORK/$name.out" >&2
    fail "$name: exit status $rc but no message containing: $message"
  fi
  echo "   $name: exit $rc, says: $(grep -F -m1 -- "$message" "$WORK/$name.out" | sed 's/^.*\] //' | cut -c1-150)"
}
need_file() { [[ -s "$1" ]] || fail "missing or empty: $1"; }
is_png() {
  need_file "$1"
  [[ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" == "89504e470d0a1a0a" ]] || fail "not a PNG file: $1"
}

# ---------------------------------------------------------------- idx files
# Big-endian 32-bit integer as 4 raw bytes.
be32() {
  local v=$1
  printf "\\x$(printf %02x $(((v >> 24) & 255)))\\x$(printf %02x $(((v >> 16) & 255)))"
  printf "\\x$(printf %02x $(((v >> 8) & 255)))\\x$(printf %02x $((v & 255)))"
}
# idx3 images: magic 0x00000803, count, rows, cols, then count*rows*cols bytes.
write_images() {
  local path=$1 n=$2
  { printf '\x00\x00\x08\x03'; be32 "$n"; be32 28; be32 28; head -c $((n * 28 * 28)) /dev/urandom; } >"$path"
}
# idx1 labels: magic 0x00000801, count, then one byte per label (0..9).
write_labels() {
  local path=$1 n=$2 i
  {
    printf '\x00\x00\x08\x01'
    be32 "$n"
    for ((i = 0; i < n; i++)); do printf "\\x$(printf %02x $((i % 10)))"; done
  } >"$path"
}

step "writing tiny idx files"
IDX="$WORK/idx"
mkdir -p "$IDX"
N_TRAIN=64
N_TEST=16
write_images "$IDX/train-images-idx3-ubyte" $N_TRAIN
write_labels "$IDX/train-labels-idx1-ubyte" $N_TRAIN
write_images "$IDX/t10k-images-idx3-ubyte" $N_TEST
write_labels "$IDX/t10k-labels-idx1-ubyte" $N_TEST
# Check our own bytes before blaming the reader.
[[ "$(head -c 16 "$IDX/train-images-idx3-ubyte" | od -An -tx1 | tr -d ' \n')" == "00000803000000400000001c0000001c" ]] ||
  fail "idx image header written wrongly"
[[ "$(head -c 8 "$IDX/t10k-labels-idx1-ubyte" | od -An -tx1 | tr -d ' \n')" == "0000080100000010" ]] ||
  fail "idx label header written wrongly"
[[ $(stat -c %s "$IDX/train-images-idx3-ubyte") -eq $((16 + N_TRAIN * 784)) ]] || fail "idx image file has the wrong size"
[[ $(stat -c %s "$IDX/train-labels-idx1-ubyte") -eq $((8 + N_TRAIN)) ]] || fail "idx label file has the wrong size"
gzip -n "$IDX/train-images-idx3-ubyte"  # one gzip file, three raw ones
[[ -f "$IDX/train-images-idx3-ubyte.gz" ]] || fail "gzip did not produce the .gz file"

step "prepare idx"
DATA="$WORK/data/tiny.h5"
ok prepare "$BIN" prepare idx --dir "$IDX" --out "$DATA"
need_file "$DATA"
grep -qF "$N_TRAIN train + $N_TEST test images of 1x28x28" "$WORK/prepare.out" ||
  { cat "$WORK/prepare.out" >&2; fail "prepare did not report $N_TRAIN train + $N_TEST test images"; }

# ---------------------------------------------------------------- train
RUN="$WORK/run"
TRAIN=(train --config "$CONFIG" --run-dir "$RUN" "data.path=$DATA" data.train_limit=0 train.iterations=8
  train.batch_size=8 model.ngf=4 train.langevin_steps=2 log.log_every=2 log.checkpoint_every=4 sample.count=8
  sample.steps=10)

step "train, stopped after 4 of 8 iterations"
ok train-part "${MPIRUN[@]}" "$BIN" "${TRAIN[@]}" --max-iterations 4
need_file "$RUN/config.yaml"
need_file "$RUN/logs/rank-00000.log"
need_file "$RUN/logs/rank-00001.log"
[[ "$(cat "$RUN/checkpoints/latest")" == "ckpt-00000004" ]] || fail "after 4 iterations latest is '$(cat "$RUN/checkpoints/latest")'"
[[ ! -e "$RUN/samples.png" ]] || fail "samples.png written before training finished"
[[ $(wc -l <"$RUN/metrics.jsonl") -eq 2 ]] || fail "expected 2 metrics rows after 4 iterations (log_every 2)"

step "train again: resumes and finishes"
ok train-rest "${MPIRUN[@]}" "$BIN" "${TRAIN[@]}"
grep -qF "resumed from $RUN/checkpoints/ckpt-00000004 at iteration 4" "$RUN/logs/rank-00000.log" ||
  fail "rank 0's log does not say it resumed from ckpt-00000004"
grep -qF "resumed from $RUN/checkpoints/ckpt-00000004 at iteration 4" "$RUN/logs/rank-00001.log" ||
  fail "rank 1's log does not say it resumed from ckpt-00000004"
grep -qF "[rank 1]" "$RUN/logs/rank-00001.log" || fail "rank 1's log is not tagged with its rank"
grep -qF "training finished" "$RUN/logs/rank-00000.log" || fail "rank 0's log does not say training finished"
grep -qF "stage 3 of 4 begins" "$RUN/logs/rank-00000.log" || fail "no transition into the last stage in the log"

# Resolved config: the preset plus the overrides.
grep -qF "path: \"$DATA\"" "$RUN/config.yaml" || grep -qF "path: $DATA" "$RUN/config.yaml" || fail "config.yaml does not name the dataset $DATA"
for line in "iterations: 8" "batch_size: 8" "ngf: 4" "langevin_steps: 2" "checkpoint_every: 4"; do
  grep -qF "$line" "$RUN/config.yaml" || fail "config.yaml lacks '$line'"
done

# metrics.jsonl: one row per 2 iterations, then the final reconstruction row.
need_file "$RUN/metrics.jsonl"
[[ $(wc -l <"$RUN/metrics.jsonl") -eq 5 ]] || { cat "$RUN/metrics.jsonl" >&2; fail "expected 5 metrics rows"; }
for t in 2 4 6 8; do
  row=$(grep -E "\"iteration\":$t[,}]" "$RUN/metrics.jsonl" | grep -vF '"final"' || true)
  [[ "$row" == *'"gen_loss":'* && "$row" == *'"nce_loss":'* && "$row" == *'"stage":'* ]] || fail "no metrics row for iteration $t"
done
grep -q '"final":true' "$RUN/metrics.jsonl" || fail "no final metrics row"
grep -q '"recon_mse":[0-9]' "$RUN/metrics.jsonl" || fail "final metrics row has no numeric recon_mse"
if grep -v '^{.*}$' "$RUN/metrics.jsonl" >/dev/null; then fail "metrics.jsonl has a line that is not a JSON object"; fi

# Checkpoints: latest names a complete one; keep_checkpoints = 2 of the preset.
[[ "$(cat "$RUN/checkpoints/latest")" == "ckpt-00000008" ]] || fail "latest is '$(cat "$RUN/checkpoints/latest")'"
for f in model.h5 shard-00000.h5 shard-00001.h5; do need_file "$RUN/checkpoints/ckpt-00000008/$f"; done
[[ -d "$RUN/checkpoints/ckpt-00000004" ]] || fail "the previous checkpoint was not kept"
if ls -d "$RUN"/checkpoints/*.tmp >/dev/null 2>&1; then fail "a temporary checkpoint directory was left behind"; fi

is_png "$RUN/samples.png"
is_png "$RUN/reconstructions.png"

# ---------------------------------------------------------------- sample / reconstruct
step "sample --method sir"
ok sample "$BIN" sample --run-dir "$RUN" --count 4 --method sir
is_png "$RUN/samples-sir.png"

step "reconstruct"
ok reconstruct "$BIN" reconstruct --run-dir "$RUN" --count 4
is_png "$RUN/reconstructions-cli.png"
MSE=$(awk '$1 == "reconstruction_mse" { print $2 }' "$WORK/reconstruct.out")
[[ -n "$MSE" ]] || { cat "$WORK/reconstruct.out" >&2; fail "reconstruct printed no 'reconstruction_mse <value>' line"; }
awk -v m="$MSE" 'BEGIN { exit !(m + 0 == m && m >= 0 && m <= 4) }' || fail "reconstruction_mse '$MSE' is not a number in [0, 4]"
echo "   reconstruction_mse $MSE"

# ---------------------------------------------------------------- errors
step "bad input fails clearly"
BAD=(train --config "$CONFIG" "data.path=$DATA" data.train_limit=0 train.iterations=8 train.batch_size=8 model.ngf=4
  train.langevin_steps=2)
fails_with missing-data "$WORK/no-such-file.h5' not found" \
  "${MPIRUN[@]}" "$BIN" train --config "$CONFIG" --run-dir "$WORK/bad-data" "data.path=$WORK/no-such-file.h5" \
  train.iterations=8 train.batch_size=8 model.ngf=4
fails_with bad-value "train.langevin_delta must be > 0" \
  "${MPIRUN[@]}" "$BIN" "${BAD[@]}" --run-dir "$WORK/bad-value" train.langevin_delta=-1
fails_with unknown-key "unknown config key 'train.no_such_key'" \
  "${MPIRUN[@]}" "$BIN" "${BAD[@]}" --run-dir "$WORK/bad-key" train.no_such_key=1
fails_with indivisible-batch "train.batch_size = 7 is not divisible by the 2 ranks" \
  "${MPIRUN[@]}" "$BIN" "${BAD[@]}" --run-dir "$WORK/bad-batch" train.batch_size=7
fails_with missing-config "cannot read config file '$WORK/none.yaml'" \
  "$BIN" train --config "$WORK/none.yaml" --run-dir "$WORK/bad-config"
fails_with unknown-option "unknown option --bogus" "$BIN" sample --run-dir "$RUN" --bogus 1
mkdir -p "$WORK/empty-run"
fails_with no-checkpoint "has no checkpoint yet" "$BIN" sample --run-dir "$WORK/empty-run"
[[ ! -e "$WORK/bad-value/checkpoints" ]] || fail "a rejected config still started training"

echo "cli smoke test passed"
