# Helpers of the cluster tests (tests/cluster/test_*.sh), sourced after
# tests/support/cli_lib.sh.

# Two consecutive free TCP ports on 127.0.0.1 (nothing accepts a connection
# there), picked at random so concurrent test runs do not collide.
free_port_pair() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && ! (exec 3<>"/dev/tcp/127.0.0.1/$((p + 1))") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

# wait_for_training RUN_DIR LOG SECONDS: until both ranks log and the run has
# written a metrics line (training is under way); 1 on timeout.
wait_for_training() {
  local run=$1 log=$2 limit=$3 t0=$SECONDS
  while ((SECONDS - t0 < limit)); do
    [[ -f $run/logs/rank-00001.log && -s $run/metrics.jsonl ]] && return 0
    sleep 0.2
  done
  return 1
}

# One field of `scontrol show job` (JobState, ExitCode, ...).
job_field() {
  scontrol show job -o "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1
}

# wait_job_end JOB SECONDS: until the job has left the queue states; 1 on timeout.
wait_job_end() {
  local job=$1 limit=$2 t0=$SECONDS state
  while ((SECONDS - t0 < limit)); do
    state=$(job_field "$job" JobState)
    case $state in
      PENDING | CONFIGURING | RUNNING | COMPLETING | SUSPENDED | REQUEUED | "") sleep 0.5 ;;
      *) return 0 ;;
    esac
  done
  return 1
}

# same_h5_data A B: the training state in two checkpoint files is identical
# (h5diff, exact): model.h5's /generator, /prior, /optimizer, memory.h5's
# /memory and /snapshot. The root attributes (config with the run directory)
# are not compared.
same_h5_data() {
  local a=$1 b=$2 obj found=0
  command -v h5diff >/dev/null && command -v h5ls >/dev/null ||
    { echo "same_h5_data: needs h5diff and h5ls: apt-get install hdf5-tools (scripts/setup.sh installs it)" >&2; return 1; }
  for obj in /generator /prior /optimizer /memory /snapshot; do
    if h5diff -q "$a" "$b" "$obj" "$obj" >/dev/null 2>&1; then
      found=1
    else
      local rc=$?
      # 2: the object is in neither file (h5diff cannot open it); anything
      # else, or an object in only one file, is a difference.
      if ((rc == 2)) && ! h5ls "$a$obj" >/dev/null 2>&1 && ! h5ls "$b$obj" >/dev/null 2>&1; then continue; fi
      h5diff -r "$a" "$b" "$obj" "$obj" 2>&1 | head -20 >&2
      return 1
    fi
  done
  ((found)) || { echo "same_h5_data: nothing to compare in $a" >&2; return 1; }
}
