#!/usr/bin/env bash
# Stop the test Slurm of tests/cluster/slurm_up.sh DIR: slurmd, slurmctld and
# munged, each by the pid file it wrote under DIR (never by process name).
# Safe to run when some or none of them are running.
set -uo pipefail
DIR=${1:?usage: slurm_down.sh DIR}
stop() {
  local pidfile=$1 pid
  [[ -s $pidfile ]] || return 0
  pid=$(cat "$pidfile")
  kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; return 0; }
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null
  rm -f "$pidfile"
}
stop "$DIR/slurmd.pid"
stop "$DIR/slurmctld.pid"
stop "$DIR/munge/munged.pid"
echo "slurm_down: stopped the test Slurm of $DIR"
