# Shared helpers of the CLI tests (tests/cli/*.sh): a scratch directory,
# mpirun with the flags these machines need, commands that must succeed or
# fail with a given message, and writers of tiny MNIST-format idx files.
# Source it with the test's own arguments, <path-to-latentebm> <source-dir>:
#   source "$(dirname "$0")/../support/cli_lib.sh" "$@"
# It checks them and sets BIN, SRC and CONFIG (the quick preset).
if [[ $# -ne 2 ]]; then
  echo "usage: $0 <path-to-latentebm> <source-dir>" >&2
  exit 2
fi
BIN=$(readlink -f "$1")
SRC=$(readlink -f "$2")
CONFIG="$SRC/configs/fashion-mnist-quick.yaml"
[[ -x "$BIN" ]] || { echo "not an executable: $BIN" >&2; exit 2; }
[[ -f "$CONFIG" ]] || { echo "missing preset: $CONFIG" >&2; exit 2; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/latentebm_cli.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export OMP_NUM_THREADS=1 HDF5_USE_FILE_LOCKING=FALSE
MPIRUN_BASE=(mpirun --oversubscribe --allow-run-as-root --bind-to none -x OMP_NUM_THREADS -x HDF5_USE_FILE_LOCKING)
MPIRUN=("${MPIRUN_BASE[@]}" -np 2)
LIMIT=300  # seconds any single command may take (a hang fails the test)

# Each step says when it began (seconds since the test started), and with
# CLI_TIMES=FILE every ok / fails_with command appends "<test> <name> <seconds>"
# there: where a test's time goes (docs/PERFORMANCE.md, "CI").
step() { echo "== [${SECONDS}s] $*"; }
cli_time() { [[ -z ${CLI_TIMES:-} ]] || echo "$(basename "$0" .sh) $1 $2" >>"$CLI_TIMES"; }
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
# Run a command that must succeed; its output goes to $WORK/<name>.out and is
# shown when it fails.
ok() {
  local name=$1
  shift
  local rc=0 t0=$SECONDS
  timeout "$LIMIT" "$@" >"$WORK/$name.out" 2>&1 || rc=$?
  cli_time "$name" $((SECONDS - t0))
  if [[ $rc -ne 0 ]]; then
    cat "$WORK/$name.out" >&2
    fail "$name exited with status $rc: $*"
  fi
}
# Run a command that must fail (non-zero, not a timeout) with a message
# containing the fixed string $2. Its exit status is left in FAILED_STATUS.
FAILED_STATUS=""
fails_with() {
  local name=$1 message=$2
  shift 2
  local rc=0 t0=$SECONDS
  timeout "$LIMIT" "$@" >"$WORK/$name.out" 2>&1 || rc=$?
  cli_time "$name" $((SECONDS - t0))
  FAILED_STATUS=$rc
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

# A tiny idx dataset (random pixels) prepared into $2.h5: make_tiny_data <dir> <out.h5> <n_train> <n_test>
make_tiny_data() {
  local dir=$1 out=$2 n_train=$3 n_test=$4
  mkdir -p "$dir"
  write_images "$dir/train-images-idx3-ubyte" "$n_train"
  write_labels "$dir/train-labels-idx1-ubyte" "$n_train"
  write_images "$dir/t10k-images-idx3-ubyte" "$n_test"
  write_labels "$dir/t10k-labels-idx1-ubyte" "$n_test"
  ok "prepare-$(basename "$out" .h5)" "$BIN" prepare idx --dir "$dir" --out "$out"
}
