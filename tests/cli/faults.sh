#!/usr/bin/env bash
# Fault tolerance through the real CLI on 2 MPI ranks (issue 5):
#   - SIGKILL in the middle of a checkpoint write, at every step of the save
#     protocol: `latest` still names a complete checkpoint that verifies, and
#     the next run resumes from it and finishes;
#   - a rank killed, a rank throwing, a rank hanging (collective watchdog):
#     mpirun exits non-zero well within 60 s, naming the rank;
#   - SIGTERM to one rank, SIGUSR1 to mpirun: every rank checkpoints and the
#     job exits 0; the next run resumes from that checkpoint;
#   - a flipped byte / truncated shard is caught by checksum on resume;
#   - rank 0 drawing the final pictures for longer than the collective
#     watchdog's limit does not turn the finished run into a failure;
#   - a resume with a different structure or different data is refused;
#   - a sampler forced to diverge stops every rank at the same iteration;
#   - a checkpoint written by 2 ranks resumes on 1.
# usage: bash faults.sh <path-to-latentebm> <source-dir>
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 <path-to-latentebm> <source-dir>" >&2
  exit 2
fi
BIN=$(readlink -f "$1")
SRC=$(readlink -f "$2")
CONFIG="$SRC/configs/fashion-mnist-quick.yaml"
source "$SRC/tests/support/cli_lib.sh"
LIMIT=120

step "tiny datasets"
DATA="$WORK/tiny.h5"
make_tiny_data "$WORK/idx" "$DATA" 64 16
OTHER="$WORK/other.h5"
make_tiny_data "$WORK/idx-other" "$OTHER" 64 16  # same shape, other pixels

TRAIN=(train --config "$CONFIG" "data.path=$DATA" data.train_limit=0 train.iterations=12 train.batch_size=8 model.ngf=4
  model.nz=8 train.langevin_steps=2 log.log_every=2 log.checkpoint_every=4 log.keep_checkpoints=5 sample.count=8
  sample.steps=5 runtime.collective_timeout_s=20)
latest_of() { cat "$1/checkpoints/latest"; }

# Runs "$@" expecting a non-zero exit within 60 s and a message containing $2.
dies_within_60s() {
  local name=$1 message=$2
  shift 2
  local t0=$SECONDS
  fails_with "$name" "$message" timeout 90 "$@"
  local took=$((SECONDS - t0))
  ((took <= 60)) || fail "$name: took ${took}s to bring the job down (limit 60 s)"
  echo "   $name: job down after ${took}s"
}

# ------------------------------------------------------------ kill mid-save
for spec in checkpoint.begin:1 checkpoint.shard-written:1 checkpoint.shard-written:0 checkpoint.model-written:0 \
  checkpoint.manifest-written:0 checkpoint.renamed:0 checkpoint.latest-written:0; do
  point=${spec%:*} rank=${spec#*:}
  step "SIGKILL on rank $rank at $point of the second save (iteration 8)"
  RUN="$WORK/kill-$point-$rank"
  dies_within_60s "kill-$point-$rank" "injected fault 'kill' at $point" \
    env LATENTEBM_INJECT="kill:$point:$rank:2" "${MPIRUN[@]}" -x LATENTEBM_INJECT "$BIN" "${TRAIN[@]}" --run-dir "$RUN"
  [[ "$(latest_of "$RUN")" == "ckpt-00000004" ]] || fail "after a kill at $point, latest is '$(latest_of "$RUN")', not ckpt-00000004"
  ok "verify-$point-$rank" "$BIN" verify --run-dir "$RUN"
  grep -qF "ok $RUN/checkpoints/ckpt-00000004 iteration 4" "$WORK/verify-$point-$rank.out" || fail "verify did not accept ckpt-00000004"
  ok "resume-$point-$rank" "${MPIRUN[@]}" "$BIN" "${TRAIN[@]}" --run-dir "$RUN"
  grep -qF "resumed from $RUN/checkpoints/ckpt-00000004 at iteration 4" "$RUN/logs/rank-00000.log" || fail "did not resume from ckpt-00000004"
  [[ "$(latest_of "$RUN")" == "ckpt-00000012" ]] || fail "resumed run ended with latest '$(latest_of "$RUN")'"
  ok "verify-final-$point-$rank" "$BIN" verify --run-dir "$RUN"
  if ls -d "$RUN"/checkpoints/*.tmp "$RUN/checkpoints/latest.tmp" >/dev/null 2>&1; then fail "leftovers of the interrupted save remain"; fi
done

# ------------------------------------------------------------ dead / failing / hung ranks
step "a rank killed mid-training"
dies_within_60s kill-rank "rank 1" \
  env LATENTEBM_INJECT="kill:train.iteration:1:3" "${MPIRUN[@]}" -x LATENTEBM_INJECT "$BIN" "${TRAIN[@]}" --run-dir "$WORK/dead-rank"
step "a rank throwing mid-training"
dies_within_60s throw-rank "rank 1: injected failure at train.iteration" \
  env LATENTEBM_INJECT="throw:train.iteration:1:3" "${MPIRUN[@]}" -x LATENTEBM_INJECT "$BIN" "${TRAIN[@]}" --run-dir "$WORK/throw-rank"
step "a rank hanging before the gradient all-reduce (watchdog, 5 s)"
dies_within_60s hung-rank "rank 0: MPI all-reduce 'gradients (generator + active ratio network)' has not completed" \
  env LATENTEBM_INJECT="hang:train.before-allreduce:1:3" "${MPIRUN[@]}" -x LATENTEBM_INJECT "$BIN" "${TRAIN[@]}" \
  --run-dir "$WORK/hung-rank" runtime.collective_timeout_s=5

# ------------------------------------------------------------ SIGTERM
# preempt <name> <signal> <target>: start a long run, send <signal> to rank 1
# (target "rank"), to mpirun ("mpirun") or to launch/local.sh ("launch") once
# training runs; every rank must checkpoint and the job exit 0; the next run
# resumes from there.
preempt() {
  local name=$1 sig=$2 target=$3
  local run="$WORK/$name" pid="" rc=0
  local launcher=("${MPIRUN[@]}" "$BIN" train)
  [[ $target == launch ]] && launcher=(env "LATENTEBM_BIN=$BIN" bash "$SRC/launch/local.sh" 2)
  "${launcher[@]}" "${TRAIN[@]:1}" --run-dir "$run" train.iterations=100000 log.checkpoint_every=100000 >"$WORK/$name.out" 2>&1 &
  local mpi_pid=$!
  for _ in $(seq 1 600); do  # up to 60 s for rank 1 to start training
    if [[ -f "$run/logs/rank-00001.log" && -f "$run/metrics.jsonl" ]]; then
      pid=$(sed -n 's/.*rank 1 pid \([0-9]*\).*/\1/p' "$run/logs/rank-00001.log" | head -1)
      [[ -n "$pid" ]] && break
    fi
    sleep 0.1
  done
  [[ -n "$pid" ]] || { kill -9 $mpi_pid 2>/dev/null; cat "$WORK/$name.out" >&2; fail "$name: rank 1 never logged its pid"; }
  [[ $target == mpirun || $target == launch ]] && pid=$mpi_pid
  kill "-$sig" "$pid"
  timeout 60 tail --pid=$mpi_pid -f /dev/null || { kill -9 $mpi_pid; fail "$name: the job did not end within 60 s of SIG$sig"; }
  wait $mpi_pid || rc=$?
  [[ $rc -eq 0 ]] || { cat "$WORK/$name.out" >&2; fail "$name: after SIG$sig the job exited with $rc, not 0"; }
  grep -qF "stop signal: checkpoint" "$run/logs/rank-00000.log" || fail "$name: rank 0 does not log the stop checkpoint"
  grep -qF "stop signal: checkpoint" "$run/logs/rank-00001.log" || fail "$name: rank 1 does not log the stop checkpoint"
  local stopped stop_it
  stopped=$(latest_of "$run")
  stop_it=$((10#${stopped#ckpt-}))
  ((stop_it > 0 && stop_it < 100000)) || fail "$name: stop checkpoint at iteration $stop_it"
  ok "verify-$name" "$BIN" verify --run-dir "$run"
  echo "   $name: SIG$sig to $target -> checkpoint at iteration $stop_it, exit 0"
  ok "resume-$name" "${MPIRUN[@]}" "$BIN" "${TRAIN[@]}" --run-dir "$run" train.iterations=100000 log.checkpoint_every=100000 \
    --max-iterations 2
  grep -qF "resumed from $run/checkpoints/$stopped at iteration $stop_it" "$run/logs/rank-00001.log" ||
    fail "$name: did not resume from $stopped"
  [[ "$(latest_of "$run")" == "$(printf 'ckpt-%08d' $((stop_it + 2)))" ]] || fail "$name: resume did not advance 2 iterations"
}
step "SIGTERM to rank 1 during training"
preempt sigterm-rank TERM rank
step "SIGUSR1 to mpirun during training (Open MPI forwards it to every rank)"
preempt sigusr1-mpirun USR1 mpirun
step "SIGTERM to launch/local.sh (it forwards SIGUSR1 to mpirun)"
preempt sigterm-launch TERM launch

# ------------------------------------------------------------ corruption
step "a finished 2-rank run, then damaged copies of it"
GOOD="$WORK/good"
ok good "${MPIRUN[@]}" "$BIN" "${TRAIN[@]}" --run-dir "$GOOD" --no-pictures
SHARD=checkpoints/ckpt-00000012/shard-00001.h5
cp -r "$GOOD" "$WORK/flipped"
size=$(stat -c %s "$WORK/flipped/$SHARD")
byte=$(dd if="$WORK/flipped/$SHARD" bs=1 skip=$((size / 2)) count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
printf "\\x$(printf %02x $(((byte + 1) % 256)))" | dd of="$WORK/flipped/$SHARD" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
fails_with flipped "shard-00001.h5' fails its checksum" "${MPIRUN[@]}" "$BIN" "${TRAIN[@]}" --run-dir "$WORK/flipped"
fails_with flipped-verify "fails its checksum" "$BIN" verify --run-dir "$WORK/flipped"
cp -r "$GOOD" "$WORK/truncated"
truncate -s $((size - 100)) "$WORK/truncated/$SHARD"
fails_with truncated "(truncated or overwritten)" "${MPIRUN[@]}" "$BIN" "${TRAIN[@]}" --run-dir "$WORK/truncated"
cp -r "$GOOD" "$WORK/no-manifest"
rm "$WORK/no-manifest/checkpoints/ckpt-00000012/manifest.json"
fails_with no-manifest "has no manifest.json" "${MPIRUN[@]}" "$BIN" "${TRAIN[@]}" --run-dir "$WORK/no-manifest"
fails_with older-ckpt-flag "fails its checksum" "${MPIRUN[@]}" "$BIN" "${TRAIN[@]}" --run-dir "$WORK/flipped" \
  --checkpoint "$WORK/flipped/checkpoints/ckpt-00000012"
ok older-ckpt "$BIN" verify --checkpoint "$WORK/flipped/checkpoints/ckpt-00000008"
ok older-ckpt-resume "${MPIRUN[@]}" "$BIN" "${TRAIN[@]}" --run-dir "$WORK/flipped" --no-pictures \
  --checkpoint "$WORK/flipped/checkpoints/ckpt-00000008"
ok flipped-repaired "$BIN" verify --run-dir "$WORK/flipped"  # the damaged ckpt-00000012 was rewritten

step "a resume with another structure or other data is refused"
fails_with changed-nz "model.nz was 8, now 16" "${MPIRUN[@]}" "$BIN" "${TRAIN[@]}" --run-dir "$GOOD" model.nz=16
fails_with changed-data "the training data differ" "${MPIRUN[@]}" "$BIN" "${TRAIN[@]}" --run-dir "$GOOD" "data.path=$OTHER"

# ------------------------------------------------------------ divergence
step "a diverging sampler (langevin_delta 1e4) stops every rank at the same iteration"
RUN="$WORK/diverged"
fails_with diverged "training diverged at iteration 0" \
  "${MPIRUN[@]}" "$BIN" "${TRAIN[@]}" --run-dir "$RUN" train.langevin_delta=1e4 train.on_divergence=stop
for r in 0 1; do
  grep -qF "divergence guard: posterior Langevin state (z) on 2 rank(s), non-finite or beyond |z| = 10000 (train.divergence_z_limit) at iteration 0" "$RUN/logs/rank-0000$r.log" ||
    fail "rank $r's log does not show the guard at iteration 0"
  need_file "$RUN/debug/divergence-it00000000-rank0000$r.h5"
done

# ------------------------------------------------------------ 2 ranks -> 1 rank
step "a 2-rank checkpoint resumes on 1 rank"
RUN="$WORK/two-to-one"
ok two "${MPIRUN[@]}" "$BIN" "${TRAIN[@]}" --run-dir "$RUN" --max-iterations 4
ok one "$BIN" "${TRAIN[@]}" --run-dir "$RUN" --no-pictures
grep -qF "resumed from $RUN/checkpoints/ckpt-00000004 at iteration 4 (stage 1, written by 2 rank(s))" "$RUN/logs/rank-00000.log" ||
  fail "the 1-rank run did not resume from the 2-rank checkpoint"
[[ "$(latest_of "$RUN")" == "ckpt-00000012" ]] || fail "the 1-rank resume did not finish"

# ------------------------------------------------------------ slow final report
step "rank 0's pictures outlast the collective watchdog: the waiting rank does not fail the finished run"
RUN="$WORK/slow-report"
ok slow-report env LATENTEBM_INJECT="sleep25:report.final:0:1" "${MPIRUN[@]}" -x LATENTEBM_INJECT "$BIN" "${TRAIN[@]}" \
  --run-dir "$RUN" runtime.collective_timeout_s=10
grep -qF "injected fault 'sleep25' at report.final" "$WORK/slow-report.out" || fail "the slow report step did not run"
is_png "$RUN/samples.png"
[[ "$(latest_of "$RUN")" == "ckpt-00000012" ]] || fail "the slow-report run did not finish"

echo "fault tolerance cli test passed"
