#!/usr/bin/env bash
# Command lines (CLI11, src/cli/command_line.h) of the latentebm binary and of
# every benchmark, end to end: --help comes from the declarations (usage line,
# options with their defaults), and an unknown option or a malformed value
# exits with status 2 naming the option and the value, before any work.
# usage: bash options.sh <path-to-latentebm> <source-dir>
set -euo pipefail
source "$(dirname "$0")/../support/cli_lib.sh" "$@"
BENCH="$(dirname "$BIN")/bench"

# fails_2 NAME MESSAGE COMMAND...: fails with MESSAGE and exit status 2.
fails_2() {
  fails_with "$@"
  ((FAILED_STATUS == 2)) || { cat "$WORK/$1.out" >&2; fail "$1: exit status $FAILED_STATUS, not 2"; }
}

step "latentebm: --help of every command lists its options with their defaults"
for cmd in prepare train sample reconstruct verify eval score export; do
  ok "help-$cmd" "$BIN" "$cmd" --help
  grep -q "^usage: latentebm $cmd \[options\]" "$WORK/help-$cmd.out" || { cat "$WORK/help-$cmd.out" >&2; fail "$cmd: no usage line"; }
done
grep -qF -- "--samples N=1000" "$WORK/help-eval.out" || fail "eval --help lacks --samples N=1000"
grep -qF -- "--sample-delta,--delta D" "$WORK/help-eval.out" || fail "eval --help lacks the sampler group's --sample-delta,--delta"
grep -qF -- "--sample-delta,--delta D" "$WORK/help-sample.out" || fail "sample --help lacks --sample-delta,--delta"
grep -qx "test-time sampling:" "$WORK/help-score.out" || fail "score --help lacks the test-time sampling group"
grep -qF -- "--batch-size,--batch N=100" "$WORK/help-score.out" || fail "score --help lacks --batch-size N=100"
grep -qF -- "--config FILE=configs/fashion-mnist-quick.yaml" "$WORK/help-train.out" || fail "train --help lacks --config's default"

step "latentebm: bad options exit 2, naming the option and the value"
fails_2 unknown "latentebm sample: unknown option --bogus (given the value '1')" "$BIN" sample --run-dir "$WORK/none" --bogus 1
fails_2 unknown-eq "latentebm train: unknown option --max-iteration (given the value '5')" "$BIN" train --max-iteration=5
fails_2 malformed "latentebm eval: --samples: expects an integer >= 0, got 'ten'" "$BIN" eval --run-dir "$WORK/none" --samples ten
fails_2 malformed-seed "latentebm score: Could not convert: --seed = 1.5" "$BIN" score --run-dir "$WORK/none" --seed 1.5
fails_2 alias-malformed "--sample-delta: expects a finite number, got 'inf'" "$BIN" sample --run-dir "$WORK/none" --delta inf
fails_2 range "--count: expects an integer >= 1, got '0'" "$BIN" reconstruct --run-dir "$WORK/none" --count 0
fails_2 extra "latentebm verify: unexpected argument 'now'" "$BIN" verify --run-dir "$WORK/none" now
fails_2 bad-source "source: xls not in" "$BIN" prepare xls --out "$WORK/x.h5"
[[ ! -e "$WORK/x.h5" ]] || fail "a rejected prepare wrote its output"
# The alias is the same option, not an unknown one: sample --sample-delta and
# eval --delta get past the command line (and stop at the missing run).
fails_with alias-sample "has no checkpoint" "$BIN" sample --run-dir "$WORK/none" --sample-delta 0.2 --steps 3
((FAILED_STATUS == 1)) || fail "sample --sample-delta: exit status $FAILED_STATUS (a command-line error?)"

step "benchmarks: --help from CLI11, bad options exit 2"
for b in bench_iteration bench_mechanism bench_posterior_steering bench_prepare bench_peer_reference; do
  [[ -x "$BENCH/$b" ]] || fail "no $BENCH/$b (build the bench targets)"
  ok "help-$b" "$BENCH/$b" --help
  grep -q "^usage: $b" "$WORK/help-$b.out" || { cat "$WORK/help-$b.out" >&2; fail "$b: no usage line"; }
  fails_2 "unknown-$b" "$b: unknown option --bogus" "$BENCH/$b" --bogus 1
done
grep -qF -- "--prior-langevin-steps,--langevin-steps N=60" "$WORK/help-bench_mechanism.out" ||
  fail "bench_mechanism --help lacks --prior-langevin-steps,--langevin-steps N=60"
grep -qF -- "--workers N,N,...=1,2" "$WORK/help-bench_prepare.out" || fail "bench_prepare --help lacks --workers' default"
fails_2 bench-malformed "--warmup: expects an integer >= 0, got '2x'" "$BENCH/bench_iteration" "$CONFIG" 2 --warmup=2x
fails_2 bench-mechanism-malformed "--seeds: expects an integer >= 1, got 'three'" "$BENCH/bench_mechanism" --seeds three
fails_2 bench-no-config "bench_iteration: config is required" "$BENCH/bench_iteration"
echo "cli options test passed"
