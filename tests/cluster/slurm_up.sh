#!/usr/bin/env bash
# A real single-machine Slurm for the cluster tests: munged, slurmctld and
# slurmd (Debian's slurm-wlm packages), all on loopback, one node with 2 CPUs,
# every file (config, keys, sockets, state, logs) under one directory.
#
#   bash tests/cluster/slurm_up.sh DIR     installs what is missing, starts the
#                                          daemons, waits until the node is idle
#   export SLURM_CONF=DIR/slurm.conf       then sbatch/squeue/scancel/sacct use it
#   bash tests/cluster/slurm_down.sh DIR   stops the daemons (by their pid files)
#
# Exit status 0: Slurm is up. 3: Slurm cannot be started here (packages not
# installable, a daemon does not come up); the reason is printed and whatever
# was started is stopped again. Ports: SLURM_TEST_PORT (default 16817) for
# slurmctld, the next one for slurmd. Nothing is written outside DIR except
# the packages installed; the system's /etc/slurm and /etc/munge are untouched.
set -uo pipefail
DIR=${1:?usage: slurm_up.sh DIR}
mkdir -p "$DIR" && DIR=$(cd "$DIR" && pwd)
PORT=${SLURM_TEST_PORT:-16817}
HERE=$(cd "$(dirname "$0")" && pwd)
say() { echo "slurm_up: $*"; }
cannot() {
  say "cannot start Slurm here: $*"
  bash "$HERE/slurm_down.sh" "$DIR" >/dev/null 2>&1
  exit 3
}

# ---- packages (Debian 12: slurm-wlm 22.05, munge 0.5)
PACKAGES=(slurmctld slurmd slurm-client munge hdf5-tools)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  say "installing ${missing[*]}"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      "${missing[@]}"; } >"$DIR/apt.log" 2>&1 || cannot "apt-get install ${missing[*]} failed (see $DIR/apt.log)"
fi
for b in munged mungekey slurmctld slurmd sbatch sinfo; do
  command -v "$b" >/dev/null || [[ -x /usr/sbin/$b ]] || cannot "$b not found after installing"
done
export PATH=/usr/sbin:$PATH

# ---- munge: own key, socket and pid file
mkdir -p "$DIR/munge" "$DIR/state" "$DIR/spool" "$DIR/log"
chmod 700 "$DIR/munge"
[[ -s $DIR/munge/munge.key ]] || mungekey --create --keyfile="$DIR/munge/munge.key" >/dev/null 2>&1 ||
  cannot "mungekey could not create a key"
chmod 600 "$DIR/munge/munge.key"
SOCKET=$DIR/munge/munge.socket
# munged checks that the key and its directories are not writable by others:
# DIR may sit under /tmp (sticky, world-writable), which --force accepts.
munged --force --key-file="$DIR/munge/munge.key" --socket="$SOCKET" --pid-file="$DIR/munge/munged.pid" \
  --log-file="$DIR/log/munged.log" --seed-file="$DIR/munge/munged.seed" >>"$DIR/log/munged.out" 2>&1 ||
  cannot "munged did not start ($(tail -2 "$DIR/log/munged.log" "$DIR/log/munged.out" 2>/dev/null | tr '\n' ' '))"

# ---- slurm.conf: this host as controller and only node, on 127.0.0.1
NODE=$(hostname -s)
USER_NAME=$(id -un)
cat >"$DIR/slurm.conf" <<CONF
# Written by tests/cluster/slurm_up.sh: a one-node test cluster on loopback.
ClusterName=latentebm-test
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=$USER_NAME
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCKET
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool/slurmd-%n
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
SlurmdParameters=config_overrides
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=600
KillWait=10
NodeName=$NODE NodeAddr=127.0.0.1 NodeHostname=$NODE CPUs=2 State=UNKNOWN
PartitionName=test Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$DIR/slurm.conf

slurmctld -f "$SLURM_CONF" -i >>"$DIR/log/slurmctld.out" 2>&1 ||
  cannot "slurmctld did not start ($(tail -3 "$DIR/log/slurmctld.log" 2>/dev/null | tr '\n' ' '))"
slurmd -f "$SLURM_CONF" -N "$NODE" >>"$DIR/log/slurmd.out" 2>&1 ||
  cannot "slurmd did not start ($(tail -3 "$DIR/log/slurmd.log" 2>/dev/null | tr '\n' ' '))"

# ---- wait for the node to register
for _ in $(seq 1 60); do
  state=$(sinfo -h -N -o '%t' 2>/dev/null | head -1)
  [[ $state == idle ]] && { say "up: node $NODE idle, 2 CPUs, SLURM_CONF=$SLURM_CONF"; exit 0; }
  sleep 1
done
cannot "node $NODE not idle after 60 s (state '${state:-?}'; $(tail -3 "$DIR/log/slurmctld.log" "$DIR/log/slurmd.log" 2>/dev/null | tr '\n' ' '))"
