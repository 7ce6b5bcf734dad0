#!/usr/bin/env bash
# bench_posterior_steering end to end on tiny trained runs: an adaptive-ce run
# whose ratios steer the chain (every part of the drift measured), and the
# Gaussian prior, whose chain under p_K is the chain under N(0, I) (known
# answer: no ratio drift, no shift, the same MSE), plus its usage errors.
# The adaptive-ce run's chain under p_K must end elsewhere than the chain
# under N(0, I) (another MSE), and the same run with --stages 0 is that chain
# under N(0, I) (the same base MSE, no ratio drift). Checked by breaking:
# the bench reporting the base chain's MSE as mse_prior, and the bench
# ignoring --stages, each fail the new asserts (both passed the old ones);
# the ratio part left out of the p_K chain's step (src/eval/steering.cpp)
# fails (shift_base 0).
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
# the ratios moved the end point, so the images differ: another MSE
assert j["mse_prior"] != j["mse_base"], ("the chain under p_K ends where the chain under N(0, I) does", j)
PY

step "adaptive-ce with --stages 0: its chain under p_0 = N(0, I) is the base chain"
ok steer-ace0 "$STEER" --run-dir "$WORK/ace" --images 12 --batch 5 --seed 2 --stages 0 --out "$WORK/ace0.json"
python3 - "$WORK/ace.json" "$WORK/ace0.json" <<'PY' || fail "adaptive-ce on 0 stages"
import json, sys
k, z = (json.load(open(f)) for f in sys.argv[1:3])
assert z["stages"] == 0 and z["drift_ratios"] == 0 and z["shift_base"] == 0, z
assert z["mse_prior"] == z["mse_base"], z
# same images, start and noise: the base chain does not depend on the stages
assert z["mse_base"] == k["mse_base"] and z["drift_likelihood"] != k["drift_likelihood"], (k, z)
assert z["mse_prior"] != k["mse_prior"], (k, z)
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
fails_with no-run "bench_posterior_steering: --run-dir is required" "$STEER" --images 3 --seed 1
fails_with unknown "unknown option --samples (given the value '3')" "$STEER" --run-dir "$WORK/ace" --samples 3
((FAILED_STATUS == 2)) || fail "an unknown option exits $FAILED_STATUS, not 2"
fails_with bad-images "--images: expects an integer >= 1, got '0'" "$STEER" --run-dir "$WORK/ace" --images 0
fails_with bad-number "--batch-size: expects an integer >= 1, got '5x'" "$STEER" --run-dir "$WORK/ace" --batch 5x
((FAILED_STATUS == 2)) || fail "a malformed --batch exits $FAILED_STATUS, not 2"
echo "PASS"
