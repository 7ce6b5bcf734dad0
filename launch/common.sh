# Sourced by the launch scripts: run mpirun so that a job can be preempted
# without losing work. Open MPI's mpirun kills the ranks on SIGTERM/SIGINT but
# forwards SIGUSR1; latentebm treats SIGUSR1 like a stop request (every rank
# checkpoints at the next iteration and exits 0). So the first SIGTERM/SIGINT
# (Ctrl-C, scancel, a scheduler's preemption notice) reaches mpirun as
# SIGUSR1; a second one is passed on as SIGTERM and ends the job at once.
# mpirun runs in a session of its own (setsid), so a signal to the launcher's
# whole process group (Ctrl-C in a terminal, `timeout`, a batch system that
# signals the group) reaches only this script and becomes the SIGUSR1 above,
# instead of also reaching mpirun, which would kill the ranks.
run_mpirun() {
  local SETSID=()
  command -v setsid >/dev/null && SETSID=(setsid)
  "${SETSID[@]}" mpirun "$@" &
  local pid=$! signals=0 rc=0
  on_stop() {
    signals=$((signals + 1))
    if ((signals == 1)); then
      echo "launch: stop requested; ranks will checkpoint and exit (signal again to kill)" >&2
      kill -USR1 "$pid" 2>/dev/null || true
    else
      kill -TERM "$pid" 2>/dev/null || true
    fi
  }
  trap on_stop TERM INT USR1
  # `wait` returns early when a trapped signal arrives: wait until mpirun is gone.
  while kill -0 "$pid" 2>/dev/null; do
    wait "$pid" && rc=0 || rc=$?
  done
  trap - TERM INT USR1
  return "$rc"
}
