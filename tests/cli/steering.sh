#!/usr/bin/env bash
# bench_posterior_steering end to end on tiny trained runs: an adaptive-ce run
# whose ratios steer the chain (every part of the drift measured), and the
# Gaussian prior, whose chain under p_K is the chain under N(0, I) (known
# answer: no ratio drift, no shift, the same MSE), plus its usage errors.
# usage: bash steering.sh <path-to-latentebm> <source-dir>
set -euo pipefail
source "$(dirname "$0")/../support/cli_lib.sh" "$@"
STEER="$(dirname "$BIN")/bench/bench_posterior_steering"
[[ -x $STEER ]] || fail "no $STEER (build the bench targets)"

# JSON number of a top-level key of the bench's one-key-per-line output.
key() { sed -n "s/^ \"$2\": \(.*\),\?$/\1/p" "$1" | sed 's/,$//'; }

step "prepare a tiny dataset and train two tiny runs"
DATA="$WORK/data/tiny.h5"
make_tiny_data "$WORK/idx" "$DATA" 64 20
TINY=("data.path=$DATA" data.train_limit=0 train.batch_size=8 model.ngf=4 train.langevin_steps=3 sample.count=4
      sample.steps=5 train.iterations=8 log.checkpoint_every=8 --no-pictures)
ok train-ace "$BIN" train --config "$CONFIG" --run-dir "$WORK/ace" train.stages=2 "${TINY[@]}"
ok train-gauss "$BIN" train --config "$CONFIG" --run-dir "$WORK/gauss" train.method=gaussian "${TINY[@]}"

step "adaptive-ce: every part of the drift, on a uniform 12 of the 20 test images"
ok steer-ace "$STEER" --run-dir "$WORK/ace" --images 12 --batch 5 --seed 2 --out "$WORK/ace.json"
need_file "$WORK/ace.json"
[[ $(key "$WORK/ace.json" images) == 12 && $(key "$WORK/ace.json" stages) == 2 ]] || { cat "$WORK/ace.json" >&2; fail "images / stages"; }
[[ $(key "$WORK/ace.json" method) == '"adaptive-ce"' && $(key "$WORK/ace.json" langevin_steps) == 3 ]] ||
  { cat "$WORK/ace.json" >&2; fail "method / langevin_steps"; }
python3 - "$WORK/ace.json" <<'PY' || fail "adaptive-ce parts"
import json, sys
j = json.load(open(sys.argv[1]))
for k in ("drift_likelihood", "drift_ratios", "drift_base", "shift_base", "shift_noise"):
    assert j[k] > 0, (k, j[k])
assert all(0 < j[k] < 4 for k in ("mse_prior", "mse_base", "mse_prior_other_noise")), j
PY

step "Gaussian prior: the chain under p_K is the chain under N(0, I)"
ok steer-gauss "$STEER" --run-dir "$WORK/gauss" --images 20 --batch 7 --out "$WORK/gauss.json"
python3 - "$WORK/gauss.json" <<'PY' || fail "gaussian known answer"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["stages"] == 0 and j["drift_ratios"] == 0 and j["shift_base"] == 0, j
assert j["mse_prior"] == j["mse_base"] and j["drift_likelihood"] > 0 and j["shift_noise"] > 0, j
PY

step "usage errors"
fails_with no-run "usage: bench_posterior_steering" "$STEER" --images 3 --seed 1
fails_with unknown "unknown option --samples" "$STEER" --run-dir "$WORK/ace" --samples 3
fails_with bad-images "--images and --batch must be >= 1" "$STEER" --run-dir "$WORK/ace" --images 0
fails_with bad-number "--batch expects an integer, got '5x'" "$STEER" --run-dir "$WORK/ace" --batch 5x
echo "PASS"
