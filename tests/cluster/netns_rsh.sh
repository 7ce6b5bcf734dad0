#!/usr/bin/env bash
# Open MPI's remote-shell agent for the namespace test nodes (in place of ssh;
# mpirun's plm_rsh_agent): `netns_rsh.sh [options] HOST COMMAND...` runs
# COMMAND through sh inside the network namespace that LATENTEBM_NETNS_MAP
# ("IP=NAMESPACE,IP=NAMESPACE") assigns to HOST, as ssh would run it on HOST:
# with a fresh login environment (PATH, HOME, USER, LOGNAME, SHELL), not this
# machine's, so what the ranks there see of the launching shell's variables is
# only what mpirun forwards (-x), as on a real second host.
set -euo pipefail
while [[ ${1:-} == -* ]]; do shift; done  # ssh-style options mpirun may add
HOST=${1:?usage: netns_rsh.sh HOST COMMAND...}
shift
NS=""
IFS=, read -ra pairs <<<"${LATENTEBM_NETNS_MAP:?LATENTEBM_NETNS_MAP not set}"
for p in "${pairs[@]}"; do [[ ${p%%=*} == "$HOST" ]] && NS=${p#*=}; done
[[ -n $NS ]] || { echo "netns_rsh: no namespace for host '$HOST' in LATENTEBM_NETNS_MAP" >&2; exit 255; }
USER_NAME=$(id -un)
exec ip netns exec "$NS" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  HOME="$(getent passwd "$USER_NAME" | cut -d: -f6)" USER="$USER_NAME" LOGNAME="$USER_NAME" SHELL=/bin/sh \
  /bin/sh -c "$*"
