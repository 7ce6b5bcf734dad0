# Sourced by the launch scripts: run mpirun so that a job can be preempted
# without losing work. Open MPI's mpirun kills the ranks on SIGTERM/SIGINT but
# forwards SIGUSR1; latentebm treats SIGUSR1 like a stop request (every rank
# checkpoints at the next iteration and exits 0). So the first SIGTERM/SIGINT
# (Ctrl-C, scancel, a scheduler's preemption notice) reaches mpirun as
# SIGUSR1; a second one, a moment later, is passed on as SIGTERM and ends the
# job at once.
# mpirun runs in a session of its own (setsid), so a signal to the launcher's
# whole process group (Ctrl-C in a terminal, `timeout`, a batch system that
# signals the group) reaches only this script and becomes the SIGUSR1 above,
# instead of also reaching mpirun, which would kill the ranks.
# One request often arrives as two signals: timeout(1) sends its signal to the
# launcher and then to the launcher's process group, and batch systems may
# signal a process and its group alike. So a signal within
# LAUNCH_SIGNAL_WINDOW_MS (default 1000) of the first counts as the same stop
# request; only a later one kills.
run_mpirun() {
  local SETSID=()
  command -v setsid >/dev/null && SETSID=(setsid)
  "${SETSID[@]}" mpirun "$@" &
  local pid=$! stopping=0 first_ms=0 rc=0
  on_stop() {
    # bash's own clock (5.0+), not date(1): a signal sent to the whole process
    # group would also hit a command started here
    local now_us=${EPOCHREALTIME:-$SECONDS.000000}
    local now_ms=$((10#${now_us/[.,]/} / 1000))
    if ((!stopping)); then
      stopping=1 first_ms=$now_ms
      echo "launch: stop requested; ranks will checkpoint and exit (signal again to kill)" >&2
      kill -USR1 "$pid" 2>/dev/null || true
    elif ((now_ms - first_ms < ${LAUNCH_SIGNAL_WINDOW_MS:-1000})); then
      echo "launch: the same stop request again ($((now_ms - first_ms)) ms after the first); ranks are checkpointing" >&2
    else
      echo "launch: second stop request; killing the job" >&2
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

# forward_env: sets the array FORWARD_ENV to mpirun's `-x NAME` flags for the
# environment every rank needs, wherever it runs: the fixed variables the
# launchers set (OMP_NUM_THREADS, HDF5_USE_FILE_LOCKING, PATH, LD_LIBRARY_PATH,
# ...) and every variable of the launch shell whose name starts with NCCL_,
# UCX_, CUDA_, TORCH_ or LATENTEBM_ (OMPI_MCA_* needs no -x: mpirun reads
# and passes those itself): a user's NCCL_SOCKET_IFNAME, NCCL_IB_HCA or
# UCX_NET_DEVICES reaches the ranks on every node, not only the launch node's.
forward_env() {
  FORWARD_ENV=()
  local name
  for name in OMP_NUM_THREADS HDF5_USE_FILE_LOCKING PATH LD_LIBRARY_PATH; do
    [[ -n ${!name:-} ]] && FORWARD_ENV+=(-x "$name")
  done
  while IFS= read -r name; do
    FORWARD_ENV+=(-x "$name")
  done < <(compgen -e | grep -E '^(NCCL_|UCX_|CUDA_|TORCH_|LATENTEBM_)' | sort)
}