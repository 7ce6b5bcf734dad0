#!/usr/bin/env bash
# The PyTorch peer (bench/peer/latentebm_peer.py) against latentebm's own
# iteration (bench_peer_reference), and the two benchmarks' result lines:
#   1. quick preset (langevin noise) and svhn (persistent noise) at a small
#      batch: from latentebm's initial weights, data, bank and random draws,
#      the peer's posterior and noise samples, losses, gradients and Adam
#      step equal latentebm's within the tolerances it prints;
#   2. a peer preset that is not the config latentebm ran is refused, naming
#      the setting; a reference of another batch is refused;
#   3. both benchmarks time the same loop and end on one machine-readable
#      line (PEER_RESULT / LATENTEBM_RESULT, JSON), and bench_iteration
#      refuses a malformed option.
# Needs a Python with PyTorch 2.x: LATENTEBM_PEER_PYTHON, else python3;
# exits 77 (skipped, the reason printed) where neither imports torch >= 2.
# usage: bash peer.sh <path-to-latentebm> <source-dir>
set -euo pipefail
source "$(dirname "$0")/../support/cli_lib.sh" "$@"
REF="$(dirname "$BIN")/bench/bench_peer_reference"
ITER="$(dirname "$BIN")/bench/bench_iteration"
PEER="$SRC/bench/peer/latentebm_peer.py"
for b in "$REF" "$ITER"; do [[ -x $b ]] || fail "no $b (build the bench targets)"; done
PY=${LATENTEBM_PEER_PYTHON:-python3}
if ! "$PY" -c 'import sys, torch; sys.exit(0 if int(torch.__version__.split(".")[0]) >= 2 else 1)' >/dev/null 2>&1; then
  echo "SKIP: $PY cannot import PyTorch 2.x (set LATENTEBM_PEER_PYTHON to a Python that can, e.g. a venv with pip install torch)"
  exit 77
fi
"$PY" -c 'import torch; print("peer: torch", torch.__version__)'

# JSON value of a result line's key
result() { sed -n "s/^$2 //p" "$1" | "$PY" -c 'import json, sys; print(json.loads(sys.stdin.read())[sys.argv[1]])' "$3"; }

step "1a. quick preset, batch 8: latentebm's iteration, then the peer's from the same state and draws"
ok ref_quick "$REF" "$CONFIG" "$WORK/quick.npz" train.batch_size=8
ok check_quick "$PY" "$PEER" --preset quick --batch 8 --check "$WORK/quick.npz"
cat "$WORK/check_quick.out"
grep -qE "^peer check: all [0-9]+ terms match" "$WORK/check_quick.out" || fail "no match line"
grep -qF "generator forward passes 21, backward passes 21" "$WORK/check_quick.out" || fail "not L + 1 = 21 generator passes"

step "1b. svhn preset (persistent noise), batch 4"
ok ref_svhn "$REF" "$SRC/configs/svhn.yaml" "$WORK/svhn.npz" train.batch_size=4
ok check_svhn "$PY" "$PEER" --preset svhn --batch 4 --check "$WORK/svhn.npz"
grep -qE "^peer check: all [0-9]+ terms match" "$WORK/check_svhn.out" || { cat "$WORK/check_svhn.out"; fail "no match line"; }
grep -qF "generator forward passes 31, backward passes 31" "$WORK/check_svhn.out" || fail "not L + 1 = 31 generator passes"

step "2. mismatches are refused"
fails_with wrong_preset "peer preset celebahq128: nz = 100, latentebm's config has 32" \
  "$PY" "$PEER" --preset celebahq128 --batch 8 --check "$WORK/quick.npz"
ok ref_delta "$REF" "$CONFIG" "$WORK/delta.npz" train.batch_size=8 train.langevin_delta=0.12
fails_with wrong_delta "peer preset quick: delta = 0.1, latentebm's config has 0.12" \
  "$PY" "$PEER" --preset quick --batch 8 --check "$WORK/delta.npz"
fails_with wrong_batch "the reference has batch 8: run the check with --batch 8" \
  "$PY" "$PEER" --preset quick --check "$WORK/quick.npz"

step "3. the benchmarks' result lines, 2 iterations each on the CPU"
ok peer_time "$PY" "$PEER" --preset quick --batch 8 --iterations 2 --warmup 1 --threads 1
ok iter_time "$ITER" "$CONFIG" 2 --loop-only --warmup=1 train.batch_size=8 log.noise_reference_samples=0
for f in peer_time:PEER_RESULT iter_time:LATENTEBM_RESULT; do
  ms=$(result "$WORK/${f%%:*}.out" "${f##*:}" ms_per_iteration)
  "$PY" -c 'import sys; v = float(sys.argv[1]); sys.exit(0 if 0 < v < 1e5 else 1)' "$ms" || fail "${f%%:*}: ms_per_iteration '$ms'"
  echo "   ${f%%:*}: $ms ms per iteration"
done
[[ $(result "$WORK/peer_time.out" PEER_RESULT generator_forwards_per_iteration) == 21.0 ]] || fail "peer: not 21 generator forwards per iteration"
[[ $(result "$WORK/iter_time.out" LATENTEBM_RESULT stage) == 1 && $(result "$WORK/iter_time.out" LATENTEBM_RESULT batch) == 8 ]] ||
  fail "bench_iteration --loop-only: not stage 1 at batch 8"
fails_with bad_warmup "--warmup: expects an integer >= 0, got '2x'" "$ITER" "$CONFIG" 2 --loop-only --warmup=2x
fails_with few_images "--images=4 is less than one batch (8)" "$ITER" "$CONFIG" 2 --loop-only --images=4 train.batch_size=8
echo "PASS"
