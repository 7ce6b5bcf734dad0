#!/usr/bin/env bash
# CLI smoke test: prepare -> train on 2 MPI ranks (stopped, then resumed) ->
# sample -> reconstruct, plus the errors a user is most likely to hit.
# usage: bash smoke.sh <path-to-latentebm> <source-dir>
# Needs only bash, coreutils, gzip and mpirun (no python).
set -euo pipefail
source "$(dirname "$0")/../support/cli_lib.sh" "$@"

step "help texts"
rc=0
"$BIN" >"$WORK/usage.out" 2>&1 || rc=$?
[[ $rc -eq 2 ]] || fail "latentebm without a command exits $rc, not 2"
grep -qF "latentebm <command> --help" "$WORK/usage.out" || fail "no usage text without a command"
for cmd in prepare train sample reconstruct verify eval score; do
  ok "help-$cmd" "$BIN" "$cmd" --help
  grep -q "^usage: .*latentebm $cmd" "$WORK/help-$cmd.out" || { cat "$WORK/help-$cmd.out" >&2; fail "$cmd --help has no usage line"; }
done
grep -qF "  train:" "$WORK/help-train.out" && grep -qF "method: \"adaptive-ce\"" "$WORK/help-train.out" ||
  fail "train --help does not list the config keys with their defaults"
grep -qF "docs/DESIGN.md section 4" "$WORK/help-eval.out" || fail "eval --help does not point at docs/DESIGN.md"
grep -qF -- "--fid-model" "$WORK/help-eval.out" || fail "eval --help lacks the FID export note"
fails_with unknown-command "unknown command 'bogus'" "$BIN" bogus

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
[[ $(grep -c '"gen_loss"' "$RUN/metrics.jsonl") -eq 2 ]] || fail "expected 2 progress rows after 4 iterations (log_every 2)"
[[ $(grep -c '"stage_start"' "$RUN/metrics.jsonl") -eq 1 ]] || fail "expected 1 stage-start row after 4 iterations (stages of 2)"

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

# metrics.jsonl: a progress row per 2 iterations (with the noise diagnostics),
# a row at each of the 3 stage starts, then the final reconstruction row.
need_file "$RUN/metrics.jsonl"
[[ $(grep -c '"gen_loss"' "$RUN/metrics.jsonl") -eq 4 ]] || { cat "$RUN/metrics.jsonl" >&2; fail "expected 4 progress rows"; }
[[ $(grep -c '"noise_mmd2"' "$RUN/metrics.jsonl") -eq 4 ]] || { cat "$RUN/metrics.jsonl" >&2; fail "expected 4 rows of noise diagnostics"; }
[[ $(grep -c '"stage_start"' "$RUN/metrics.jsonl") -eq 3 ]] || { cat "$RUN/metrics.jsonl" >&2; fail "expected 3 stage-start rows"; }
[[ $(grep -c '"final"' "$RUN/metrics.jsonl") -eq 1 ]] || { cat "$RUN/metrics.jsonl" >&2; fail "expected 1 final row"; }
for t in 2 4 6 8; do
  row=$(grep -E "\"iteration\":$t[,}]" "$RUN/metrics.jsonl" | grep -vF '"final"' || true)
  [[ "$row" == *'"gen_loss":'* && "$row" == *'"nce_loss":'* && "$row" == *'"stage":'* ]] || fail "no metrics row for iteration $t"
done
grep -q '"final":true' "$RUN/metrics.jsonl" || fail "no final metrics row"
grep -q '"recon_mse":[0-9]' "$RUN/metrics.jsonl" || fail "final metrics row has no numeric recon_mse"
if grep -v '^{.*}$' "$RUN/metrics.jsonl" >/dev/null; then fail "metrics.jsonl has a line that is not a JSON object"; fi

# Checkpoints: latest names a complete one; keep_checkpoints = 2 of the preset.
[[ "$(cat "$RUN/checkpoints/latest")" == "ckpt-00000008" ]] || fail "latest is '$(cat "$RUN/checkpoints/latest")'"
for f in manifest.json model.h5 memory.h5; do need_file "$RUN/checkpoints/ckpt-00000008/$f"; done
[[ $(ls "$RUN/checkpoints/ckpt-00000008" | wc -l) -eq 3 ]] || fail "a checkpoint holds more than manifest.json, model.h5, memory.h5"
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
fails_with tiny-batch "train.batch_size = 1 is smaller than the 2 ranks" \
  "${MPIRUN[@]}" "$BIN" "${BAD[@]}" --run-dir "$WORK/bad-batch" train.batch_size=1
fails_with missing-config "cannot read config file '$WORK/none.yaml'" \
  "$BIN" train --config "$WORK/none.yaml" --run-dir "$WORK/bad-config"
fails_with unknown-option "latentebm sample: unknown option --bogus (given the value '1')" "$BIN" sample --run-dir "$RUN" --bogus 1
((FAILED_STATUS == 2)) || fail "an unknown option exits $FAILED_STATUS, not 2"
# An unknown command, with or without --help, fails and lists the commands.
for args in "trian" "trian --help" "--config x.yaml"; do
  # shellcheck disable=SC2086
  fails_with "unknown-command-${args// /_}" "unknown command '${args%% *}'" "$BIN" $args
  for c in prepare train sample reconstruct verify eval score; do
    grep -qE "^  $c " "$WORK/unknown-command-${args// /_}.out" || fail "'latentebm $args' does not list the command $c"
  done
done
ok known-help "$BIN" train --help
grep -qF "unknown command" "$WORK/known-help.out" && fail "'latentebm train --help' calls train unknown"
mkdir -p "$WORK/empty-run"
fails_with no-checkpoint "has no checkpoint yet" "$BIN" sample --run-dir "$WORK/empty-run"
[[ ! -e "$WORK/bad-value/checkpoints" ]] || fail "a rejected config still started training"

echo "cli smoke test passed"
