#!/usr/bin/env bash
# bench/runs.sh's run names that studies/paper-protocol adds: the arguments
# each name gives, and a malformed LEBM rate refused. Putting the lebm-elr
# pattern before the -cosine2x suffix (the rate would read "1e-4-cosine2x")
# or dropping the rate's check fails it.
# usage: runs_names.sh SOURCE_DIR
set -euo pipefail
cd "$1"
source bench/runs.sh
fail() { echo "FAIL: $*" >&2; exit 1; }
# has NAME ARG...: run_args NAME 1600 gives every ARG
has() {
  local name=$1 a; shift
  run_args "$name" 1600 || fail "run_args $name refused"
  for a in "$@"; do
    [[ " ${RUN_ARGS[*]} " == *" $a "* ]] || fail "$name: no '$a' in: ${RUN_ARGS[*]}"
  done
}
has non-adaptive-persistent-cosine2x train.method=non-adaptive train.prior_samples=persistent train.g_lr_schedule=cosine train.g_lr=0.001
has lebm-elr1e-4-cosine2x train.method=lebm train.e_lr=1e-4 train.g_lr_schedule=cosine train.g_lr=0.001
has lebm-elr0.0005 train.method=lebm train.e_lr=0.0005
run_args lebm-elr1e-4 1600
[[ " ${RUN_ARGS[*]} " != *"cosine"* ]] || fail "lebm-elr1e-4 got a cosine schedule"
for bad in lebm-elr lebm-elrx-cosine2x lebm-elr1e-4x; do
  if msg=$(run_args "$bad" 1600 2>&1); then fail "$bad accepted"; fi
  [[ $msg == *"lebm-elrRATE needs a number"* ]] || fail "$bad: unexpected message: $msg"
done
echo "runs_names: ok"
