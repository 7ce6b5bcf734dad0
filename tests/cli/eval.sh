#!/usr/bin/env bash
# CLI evaluation test: prepare a tiny dataset -> train a few iterations on 2
# ranks -> eval on 2 ranks and on 1 rank (same numbers) -> score -> sample
# --format npz and --strip, plus the errors a user is most likely to hit.
# usage: bash eval.sh <path-to-latentebm> <source-dir>
set -euo pipefail
source "$(dirname "$0")/../support/cli_lib.sh" "$@"

# JSON number at a key path like .reconstruction_mse.value (flat grep: our own
# eval.json is pretty-printed with one key per line).
json_number() {
  local file=$1 section=$2 key=$3
  awk -v s="\"$section\": {" -v k="\"$key\":" '
    index($0, s) { inside = 1; next }
    inside && /^  }/ { inside = 0 }
    inside && index($0, k) { v = $0; sub(/.*: */, "", v); sub(/,$/, "", v); print v; exit }' "$file"
}

step "prepare a tiny dataset"
DATA="$WORK/data/tiny.h5"
make_tiny_data "$WORK/idx" "$DATA" 64 20
# the settings every training run of this test shares: a tiny model, a few steps
TINY=("data.path=$DATA" data.train_limit=0 train.batch_size=8 model.ngf=4 train.langevin_steps=2 sample.count=4
      sample.steps=5 --no-pictures)

step "train 4 iterations on 2 ranks"
RUN="$WORK/run"
ok train "${MPIRUN_BASE[@]}" -np 2 "$BIN" train --config "$CONFIG" --run-dir "$RUN" train.iterations=4 log.checkpoint_every=4 \
  sample.delta=0.1 "${TINY[@]}"

# ---------------------------------------------------------------- eval
EVAL=(eval --run-dir "$RUN" --samples 24 --batch-size 8 --classifier-epochs 1)
step "eval on 2 ranks"
ok eval2 "${MPIRUN_BASE[@]}" -np 2 "$BIN" "${EVAL[@]}" --out "$WORK/eval2.json"
need_file "$WORK/eval2.json"
need_file "$DATA.classifier.h5"
grep -qF "fid skipped: FID needs Inception weights" "$WORK/eval2.out" || { cat "$WORK/eval2.out" >&2; fail "eval does not say FID needs a model"; }
grep -q "^reconstruction_mse [0-9.e-]* images 20$" "$WORK/eval2.out" || { cat "$WORK/eval2.out" >&2; fail "no reconstruction_mse summary over 20 test images"; }
grep -q "^fd_classifier [0-9.e+-]* samples 24 classifier_test_accuracy" "$WORK/eval2.out" || { cat "$WORK/eval2.out" >&2; fail "no fd_classifier summary with 24 samples"; }
grep -q "^parameters generator [0-9]* prior [0-9]*" "$WORK/eval2.out" || fail "no parameter counts"
[[ "$(json_number "$WORK/eval2.json" fd_classifier classifier_trained_now)" == "true" ]] || fail "first eval did not train the classifier"

step "eval on 1 rank: same numbers, classifier reused"
ok eval1 "$BIN" "${EVAL[@]}"
need_file "$RUN/eval.json"
[[ "$(json_number "$RUN/eval.json" fd_classifier classifier_trained_now)" == "false" ]] || fail "second eval retrained the classifier"
crc=$(json_number "$RUN/eval.json" fd_classifier classifier_crc32)
[[ $crc =~ ^\"[0-9a-f]{8}\"$ ]] || fail "eval.json lacks the classifier's CRC (got '$crc')"
[[ $crc == "$(json_number "$WORK/eval2.json" fd_classifier classifier_crc32)" ]] || fail "the reused classifier's CRC differs"
for key in "reconstruction_mse value" "fd_classifier value"; do
  set -- $key
  a=$(json_number "$WORK/eval2.json" "$1" "$2")
  b=$(json_number "$RUN/eval.json" "$1" "$2")
  [[ -n "$a" && -n "$b" ]] || fail "$1.$2 missing from eval.json"
  awk -v a="$a" -v b="$b" 'BEGIN { d = a - b; if (d < 0) d = -d; s = (a < 0 ? -a : a) + 1e-12; exit !(d <= 1e-4 * s) }' ||
    fail "$1.$2 differs between 2 ranks ($a) and 1 rank ($b)"
  echo "   $1.$2: $a (2 ranks) vs $b (1 rank)"
done
grep -q '"prior_per_stage": \[' "$RUN/eval.json" || fail "eval.json has no per-stage prior parameter counts"
fails_with bad-fid "not found" "$BIN" "${EVAL[@]}" --fid-model "$WORK/none.pt"

step "eval with another FD sampler than the run's (sample.steps=5): eval.json names the one used"
ok eval-steps "$BIN" "${EVAL[@]}" --sample-steps 40 --out "$WORK/eval-steps.json"
grep -qF '"sampler": "langevin (40 steps, delta 0.1)"' "$WORK/eval-steps.json" ||
  { cat "$WORK/eval-steps.json" >&2; fail "--sample-steps 40 is not the sampler eval.json names"; }
grep -qF '"sampler": "langevin (5 steps, delta 0.1)"' "$RUN/eval.json" || fail "the default sampler is not the run's sample.*"
[[ "$(json_number "$WORK/eval-steps.json" fd_classifier value)" != "$(json_number "$RUN/eval.json" fd_classifier value)" ]] ||
  fail "FD with 40 prior Langevin steps equals FD with the run's 5"
ok eval-sir "$BIN" "${EVAL[@]}" --sample-method sir --sir-proposals 6 --out "$WORK/eval-sir.json"
grep -qF '"sampler": "sir (6 proposals)"' "$WORK/eval-sir.json" || { cat "$WORK/eval-sir.json" >&2; fail "--sample-method sir not used"; }
ok eval-delta "$BIN" "${EVAL[@]}" --sample-steps 40 --sample-delta 0.4 --out "$WORK/eval-delta.json"
grep -qF '"sampler": "langevin (40 steps, delta 0.4)"' "$WORK/eval-delta.json" ||
  { cat "$WORK/eval-delta.json" >&2; fail "--sample-delta 0.4 is not the sampler eval.json names"; }
[[ "$(json_number "$WORK/eval-delta.json" fd_classifier value)" != "$(json_number "$WORK/eval-steps.json" fd_classifier value)" ]] ||
  fail "FD with step size 0.4 equals FD with 0.1"
fails_with bad-delta "the prior Langevin step size must be > 0" "$BIN" "${EVAL[@]}" --sample-delta 0
# A malformed or out-of-range option value: exit status 2, the option and the value named.
fails_with bad-delta-word "--sample-delta: expects a finite number, got 'big'" "$BIN" "${EVAL[@]}" --sample-delta big
((FAILED_STATUS == 2)) || fail "a malformed --sample-delta exits $FAILED_STATUS, not 2"
fails_with bad-sampler "--sample-method: gibbs not in {langevin,sir}" "$BIN" "${EVAL[@]}" --sample-method gibbs
fails_with bad-proposals "--sample-sir-proposals: expects an integer >= 1, got '0'" "$BIN" "${EVAL[@]}" --sample-method sir --sir-proposals 0
# sample's spelling of the sampler options (--steps, --delta) works in eval too: an alias, not an unknown option.
ok eval-alias "$BIN" "${EVAL[@]}" --steps 40 --delta 0.4 --out "$WORK/eval-alias.json"
grep -qF '"sampler": "langevin (40 steps, delta 0.4)"' "$WORK/eval-alias.json" ||
  { cat "$WORK/eval-alias.json" >&2; fail "eval --steps 40 --delta 0.4 is not the sampler eval.json names"; }

# ---------------------------------------------------------------- score
step "score on 2 ranks"
ok score "${MPIRUN_BASE[@]}" -np 2 "$BIN" score --run-dir "$RUN" --data "$DATA" --out "$WORK/scores.csv" --anomaly-label 3 --batch-size 8
need_file "$WORK/scores.csv"
[[ "$(head -1 "$WORK/scores.csv")" == "index,label,score,reconstruction,prior" ]] ||
  fail "scores.csv header is '$(head -1 "$WORK/scores.csv")'"
[[ $(wc -l <"$WORK/scores.csv") -eq 21 ]] || fail "scores.csv should have 20 rows"
# rows in index order, labels as written, score = reconstruction + prior (10 significant digits)
awk -F, 'NR > 1 { d = $3 - ($4 + $5); if (d < 0) d = -d
                  if ($1 != NR - 2 || $2 != (NR - 2) % 10 || $3 + 0 != $3 || $4 <= 0 || d > 1e-6 * ($4 + 1)) exit 1 }' \
  "$WORK/scores.csv" || fail "scores.csv rows are not index,label,score,reconstruction,prior in order with score = sum of terms"
grep -q "^auprc [0-9.e-]* auroc [0-9.e-]* images 20 anomalies 2$" "$WORK/score.out" || { cat "$WORK/score.out" >&2; fail "no AUPRC/AUROC line"; }
grep -q "^reconstruction term alone: auprc [0-9.e-]* auroc [0-9.e-]*$" "$WORK/score.out" &&
  grep -q "^prior term alone: auprc [0-9.e-]* auroc [0-9.e-]*$" "$WORK/score.out" ||
  { cat "$WORK/score.out" >&2; fail "no AUPRC/AUROC lines of the two terms"; }
fails_with score-no-data "latentebm score: --data is required" "$BIN" score --run-dir "$RUN" --out "$WORK/x.csv"
((FAILED_STATUS == 2)) || fail "score without --data exits $FAILED_STATUS, not 2"
step "score --limit: a uniform subset of the test split, each row named by its file index"
ok score-limit "$BIN" score --run-dir "$RUN" --data "$DATA" --out "$WORK/scores8.csv" --limit 8 --batch-size 3
[[ $(wc -l <"$WORK/scores8.csv") -eq 9 ]] || fail "scores8.csv should have 8 rows"
# indexes ascending and distinct in [0, 20), each with its file label (index % 10), not simply rows 0-7
awk -F, 'NR > 1 { if ($1 < 0 || $1 >= 20 || (NR > 2 && $1 <= prev) || $2 != $1 % 10) exit 1; prev = $1; last = $1 }
         END { if (last == 7) exit 1 }' "$WORK/scores8.csv" ||
  fail "scores8.csv rows are not 8 distinct test rows in ascending file order with their labels"
fails_with score-limit0 "--limit must be >= 1" "$BIN" score --run-dir "$RUN" --data "$DATA" --out "$WORK/x.csv" --limit 0

# ---------------------------------------------------------------- sample
step "sample --format npz"
ok npz "$BIN" sample --run-dir "$RUN" --count 5 --format npz --method sir
NPZ="$RUN/samples-sir.npz"
need_file "$NPZ"
[[ "$(head -c 4 "$NPZ" | od -An -tx1 | tr -d ' \n')" == "504b0304" ]] || fail "$NPZ is not a zip file"
grep -qa "samples.npy" "$NPZ" && grep -qa "z.npy" "$NPZ" || fail "$NPZ lacks samples.npy or z.npy"
step "sample --strip"
ok strip "$BIN" sample --run-dir "$RUN" --strip "$WORK/strip.png" --count 3 --strip-steps 10 --strip-every 5
is_png "$WORK/strip.png"
fails_with bad-format "--format: gif not in {png,npz}" "$BIN" sample --run-dir "$RUN" --format gif
((FAILED_STATUS == 2)) || fail "sample --format gif exits $FAILED_STATUS, not 2"

# ------------------------------------------- adaptive schedule, K not reached
step "a finished adaptive-schedule run that trained 3 of 4 stages is evaluated with those 3"
RUN3="$WORK/run-adaptive"
ok train3 "$BIN" train --config "$CONFIG" --run-dir "$RUN3" train.iterations=12 train.stages=4 train.stage_schedule=adaptive \
  train.min_stage_iterations=1 train.max_stage_iterations=4 train.plateau_patience=1000 log.checkpoint_every=12 "${TINY[@]}"
ok eval3 "$BIN" eval --run-dir "$RUN3" --samples 0 --test-limit 8 --out "$WORK/eval3.json"
grep -q '"prior_stages": 3' "$WORK/eval3.json" || { cat "$WORK/eval3.json" "$WORK/eval3.out" >&2; fail "eval used untrained stages"; }
step "sample and reconstruct use the same 3 stages, or the --stages asked for"
ok sample3 "$BIN" sample --run-dir "$RUN3" --count 2 --out "$WORK/sample3.png"
grep -q "2 samples from the 3-stage prior" "$WORK/sample3.out" || { cat "$WORK/sample3.out" >&2; fail "sample used untrained stages"; }
ok sample3k1 "$BIN" sample --run-dir "$RUN3" --count 2 --stages 1 --steps 7 --delta 0.25 --out "$WORK/sample3k1.png"
grep -qF "2 samples from the 1-stage prior by langevin (7 steps, delta 0.25)" "$WORK/sample3k1.out" ||
  { cat "$WORK/sample3k1.out" >&2; fail "sample --stages 1 --steps 7 --delta 0.25 not used"; }
ok recon3 "$BIN" reconstruct --run-dir "$RUN3" --count 4 --out "$WORK/recon3.png"
grep -q "under the 3-stage prior" "$WORK/recon3.out" || { cat "$WORK/recon3.out" >&2; fail "reconstruct used untrained stages"; }
fails_with recon-stages "--stages must be in [0, 4]" "$BIN" reconstruct --run-dir "$RUN3" --stages 5

# ------------------------------------------------ checkpoints of unfinished runs
step "an unfinished NCE run's checkpoint leaves out the active stage; an unfinished lebm run's uses its energy"
RUNA="$WORK/run-unfinished-nce"
ok trainA "$BIN" train --config "$CONFIG" --run-dir "$RUNA" train.iterations=8 train.stages=2 log.checkpoint_every=6 \
  log.keep_checkpoints=2 "${TINY[@]}"
ok evalA "$BIN" eval --run-dir "$RUNA" --checkpoint "$RUNA/checkpoints/ckpt-00000006" --samples 0 --test-limit 8 \
  --out "$WORK/evalA.json"
grep -qF "is from an unfinished run (stage 1 active): using the 1 finished stage(s)" "$WORK/evalA.out" ||
  { cat "$WORK/evalA.out" >&2; fail "no warning that the active stage is left out"; }
grep -q '"prior_stages": 1' "$WORK/evalA.json" || { cat "$WORK/evalA.json" >&2; fail "unfinished NCE run used its active stage"; }
RUNL="$WORK/run-unfinished-lebm"
ok trainL "$BIN" train --config "$CONFIG" --run-dir "$RUNL" train.iterations=8 train.method=lebm train.prior_langevin_steps=3 \
  log.checkpoint_every=4 log.keep_checkpoints=2 "${TINY[@]}"
ok evalL "$BIN" eval --run-dir "$RUNL" --checkpoint "$RUNL/checkpoints/ckpt-00000004" --samples 0 --test-limit 8 \
  --out "$WORK/evalL.json"
grep -q '"prior_stages": 1' "$WORK/evalL.json" && grep -q '"posterior_stages": 1' "$WORK/evalL.json" ||
  { cat "$WORK/evalL.json" "$WORK/evalL.out" >&2; fail "unfinished lebm run not evaluated with its energy"; }

echo "cli eval test passed"
