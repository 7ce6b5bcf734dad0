#!/usr/bin/env bash
# launch/multinode.sh with an Open MPI hostfile of two "nodes" on this machine:
# two network namespaces joined by a veth pair (tests/cluster/netns_up.sh),
# mpirun in the first, its daemon started in the second through
# tests/cluster/netns_rsh.sh (Open MPI's rsh agent, in place of ssh), the ranks
# talking over TCP on the pair, as on two hosts without shared memory.
#   1. a 2-node training (1 rank per node) ends like the same run on one
#      machine, bit for bit;
#   2. SIGTERM to multinode.sh's process group (as Ctrl-C or a scheduler's
#      notice sends it): both ranks checkpoint at the same iteration and the
#      job exits 0;
#   3. the rank on the second node, started by an agent that clears the
#      environment as ssh does (tests/cluster/netns_rsh.sh), sees the
#      variables launch/multinode.sh must forward (-x) with their values, and
#      not a variable of the launching shell that it does not forward;
#   4. a rank killed (SIGKILL) on the second node ends the job within 60 s,
#      with a non-zero status and the rank named.
# Where namespaces cannot be made (not root, a sandbox without veth), or with
# LATENTEBM_TEST_NETNS=0, it runs checks 1, 2 and 4 with a hostfile of
# localhost slots (a failure there still fails) and then exits 77: ctest
# reports it Skipped, since nothing crossed a second node.
# usage: bash test_hostfile.sh <path-to-latentebm> <source-dir>
set -euo pipefail
source "$(dirname "$0")/../support/cli_lib.sh" "$@"
source "$SRC/tests/cluster/cluster_lib.sh"
NODES_NAME="lebm$$"
SUBNET="10.77.$(($$ % 250 + 1))"
trap 'bash "$SRC/tests/cluster/netns_down.sh" "$NODES_NAME"; rm -rf "$WORK"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

step "two test nodes"
HOSTS="$WORK/hostfile"
rc=0
if [[ ${LATENTEBM_TEST_NETNS:-1} == 0 ]]; then
  echo "netns_up: not tried (LATENTEBM_TEST_NETNS=0)"
  rc=3
else
  bash "$SRC/tests/cluster/netns_up.sh" "$NODES_NAME" "$SUBNET" || rc=$?
fi
if ((rc == 0)); then
  MODE=netns
  printf '# two namespaces of this machine\n%s.2 slots=1\n%s.3 slots=1\n' "$SUBNET" "$SUBNET" >"$HOSTS"
  PER_NODE=1
  # Only commands on the nodes get the nodes' transport settings: in this
  # machine's own namespace the subnet does not exist, Open MPI warns about
  # it, and Open MPI 4.1's mpirun can crash relaying that warning (seen in CI:
  # SIGSEGV in pmix_server_log_fn during the one-machine run).
  ON_NODE_A=(ip netns exec "$NODES_NAME-a" env
    "LATENTEBM_NETNS_MAP=$SUBNET.2=$NODES_NAME-a,$SUBNET.3=$NODES_NAME-b"
    "OMPI_MCA_plm_rsh_agent=$SRC/tests/cluster/netns_rsh.sh"
    "OMPI_MCA_oob_tcp_if_include=$SUBNET.0/24" "OMPI_MCA_btl_tcp_if_include=$SUBNET.0/24"
    OMPI_MCA_btl=self,tcp)  # what ranks on different hosts have
  WHERE="the two nodes" VICTIM="the rank on the second node"
  echo "   hostfile: $SUBNET.2 ($NODES_NAME-a, mpirun) and $SUBNET.3 ($NODES_NAME-b), one rank each, TCP over veth"
elif ((rc == 3)); then
  MODE=localhost
  printf 'localhost slots=2\n' >"$HOSTS"
  PER_NODE=2
  ON_NODE_A=()
  WHERE="localhost slots" VICTIM="rank 1"
  echo "   NOTE: no network namespaces here (reason above): testing launch/multinode.sh with a hostfile of localhost slots, then reporting a skip"
else
  fail "netns_up.sh exited with $rc"
fi

step "tiny dataset; the same training on one machine (mpirun -np 2)"
DATA="$WORK/tiny.h5"
make_tiny_data "$WORK/idx" "$DATA" 64 16
TRAIN=(--config "$CONFIG" "data.path=$DATA" data.train_limit=0 train.iterations=12 train.batch_size=8 model.ngf=4
  model.nz=8 train.langevin_steps=2 log.log_every=2 log.checkpoint_every=100000 sample.count=8 sample.steps=5
  runtime.collective_timeout_s=30)
ok local "${MPIRUN[@]}" "$BIN" train "${TRAIN[@]}" --run-dir "$WORK/local" --no-pictures
FINAL=ckpt-00000012

step "launch/multinode.sh HOSTFILE $PER_NODE: the same training on $WHERE"
RUN="$WORK/multinode"
ok multinode "${ON_NODE_A[@]}" env "LATENTEBM_BIN=$BIN" bash "$SRC/launch/multinode.sh" "$HOSTS" "$PER_NODE" \
  "${TRAIN[@]}" --run-dir "$RUN" --no-pictures
grep -qF "launch: 2 ranks on" "$WORK/multinode.out" || fail "multinode.sh did not announce 2 ranks"
[[ "$(cat "$RUN/checkpoints/latest")" == "$FINAL" ]] || fail "the 2-node run did not end with $FINAL"
for f in model.h5 memory.h5; do
  same_h5_data "$WORK/local/checkpoints/$FINAL/$f" "$RUN/checkpoints/$FINAL/$f" || fail "$f differs from the one-machine run"
done
! same_h5_data "$WORK/local/checkpoints/$FINAL/model.h5" "$WORK/local/checkpoints/$FINAL/memory.h5" 2>/dev/null ||
  fail "same_h5_data does not tell a model from a memory matrix"
echo "   run on $WHERE finished; model and memory matrix identical to the one-machine run"

# start_long_job NAME: a long training through multinode.sh in the
# background (JOB_PID), its run in $WORK/NAME, its output in $WORK/NAME.out;
# returns once both ranks are training.
start_long_job() {
  "${ON_NODE_A[@]}" env "LATENTEBM_BIN=$BIN" PROBE_NOT_FORWARDED=1 timeout 300 bash "$SRC/launch/multinode.sh" "$HOSTS" "$PER_NODE" \
    "${TRAIN[@]}" --run-dir "$WORK/$1" train.iterations=100000 >"$WORK/$1.out" 2>&1 &
  JOB_PID=$!
  wait_for_training "$WORK/$1" "$WORK/$1.out" 120 ||
    { kill -9 $JOB_PID; cat "$WORK/$1.out" >&2; fail "the job never started training"; }
}

step "SIGTERM to launch/multinode.sh: every rank, on both nodes, checkpoints and the job exits 0"
STOPPED_RUN="$WORK/stopped"
start_long_job stopped
# $JOB_PID is `timeout`: it passes the SIGTERM to its whole process group
# (multinode.sh and, were it in the group, mpirun), as Ctrl-C in a terminal does.
kill -TERM $JOB_PID
rc=0
wait $JOB_PID || rc=$?
((rc == 0)) || { cat "$WORK/stopped.out" "$STOPPED_RUN"/logs/*.log >&2; fail "after SIGTERM the job exited with $rc, not 0"; }
its=()
for r in 0 1; do
  it=$(sed -n 's/.*stop signal: checkpoint .* written at iteration \([0-9]*\).*/\1/p' "$STOPPED_RUN/logs/rank-0000$r.log" | tail -1)
  [[ -n $it ]] || fail "rank $r does not log a stop checkpoint"
  its+=("$it")
done
[[ ${its[0]} == "${its[1]}" ]] || fail "ranks checkpointed at different iterations: ${its[*]}"
[[ "$(cat "$STOPPED_RUN/checkpoints/latest")" == "$(printf 'ckpt-%08d' "${its[0]}")" ]] || fail "latest is not the stop checkpoint"
ok verify-stopped "$BIN" verify --run-dir "$STOPPED_RUN"
echo "   both ranks checkpointed at iteration ${its[0]}; exit 0"

step "SIGKILL to $VICTIM: the job ends, naming the rank"
KILLED="$WORK/killed"
start_long_job killed
pid=$(sed -n 's/.*rank 1 pid \([0-9]*\).*/\1/p' "$KILLED/logs/rank-00001.log" | head -1)
[[ -n $pid ]] || fail "rank 1 does not log its pid"
if [[ $MODE == netns ]]; then
  where=$(ip netns identify "$pid")
  [[ $where == "$NODES_NAME-b" ]] || fail "rank 1 (pid $pid) runs in '$where', not on the second node $NODES_NAME-b"
  echo "   rank 1 is pid $pid in $where"
  # What multinode.sh must forward to a rank on another host (-x), with the
  # values it sets; LD_LIBRARY_PATH only where the launching shell has one.
  ENV1=$(tr '\0' '\n' <"/proc/$pid/environ")
  want=(OMP_NUM_THREADS=1 HDF5_USE_FILE_LOCKING=FALSE NCCL_DEBUG=WARN "NCCL_DEBUG_FILE=$SRC/runs/nccl.%h.%p.log" "PATH=$PATH")
  [[ -n ${LD_LIBRARY_PATH:-} ]] && want+=("LD_LIBRARY_PATH=$LD_LIBRARY_PATH")
  for kv in "${want[@]}"; do
    grep -qxF -- "$kv" <<<"$ENV1" || fail "rank 1 on the second node lacks $kv (a -x missing in launch/multinode.sh?): $(grep -F "${kv%%=*}=" <<<"$ENV1" || echo unset)"
  done
  ! grep -q '^PROBE_NOT_FORWARDED=' <<<"$ENV1" ||
    fail "rank 1 on the second node sees a variable mpirun does not forward: the remote environment is not cleared"
  echo "   rank 1 on $where sees ${#want[@]} forwarded variables and not the launching shell's others"
fi
T_KILL=$SECONDS
kill -KILL "$pid"
rc=0
wait $JOB_PID || rc=$?
took=$((SECONDS - T_KILL))
((rc != 0)) || fail "the job exited 0 after rank 1 was killed"
((rc != 124)) || fail "the job hung after rank 1 was killed"
((took <= 60)) || fail "the job took ${took}s to end after rank 1 was killed (limit 60 s)"
grep -qiE "rank 1\b.*(killed|signal 9)|process rank 1 " "$WORK/killed.out" ||
  { cat "$WORK/killed.out" >&2; fail "the job's output does not name rank 1"; }
echo "   job ended after ${took}s with status $rc: $(grep -iE -m1 "rank 1\b.*(killed|signal 9)|process rank 1 " "$WORK/killed.out" | cut -c1-160)"
if [[ $MODE == localhost ]]; then
  echo "SKIP: the checks passed on localhost slots, but no rank ran on a second node (no network namespaces here, reason above)"
  exit 77
fi
echo "hostfile test passed ($MODE)"
