#!/usr/bin/env bash
# Two test "nodes" on this machine for the hostfile test: network namespaces
# NAME-a and NAME-b joined by one veth pair (no bridge, no route to anything
# else, IP forwarding untouched), each with its loopback up.
#
#   bash tests/cluster/netns_up.sh NAME SUBNET    e.g. lebm1234 10.77.34
#     NAME-a holds SUBNET.2/24, NAME-b holds SUBNET.3/24
#   bash tests/cluster/netns_down.sh NAME         deletes both (and the pair)
#
# Traffic between the nodes stays on that pair; nothing else is reachable
# from them. Exit status 3 (reason printed, anything created removed again)
# when namespaces or veth pairs cannot be created here (not root, no `ip`,
# a sandbox without them).
set -uo pipefail
NAME=${1:?usage: netns_up.sh NAME SUBNET}
SUBNET=${2:?usage: netns_up.sh NAME SUBNET}
HERE=$(cd "$(dirname "$0")" && pwd)
cannot() {
  echo "netns_up: cannot create the test nodes: $*"
  bash "$HERE/netns_down.sh" "$NAME" >/dev/null 2>&1
  exit 3
}
command -v ip >/dev/null || cannot "no 'ip' command (iproute2)"
[[ $(id -u) -eq 0 ]] || cannot "network namespaces need root"
A=$NAME-a B=$NAME-b
ip netns add "$A" 2>/dev/null || cannot "ip netns add $A failed"
ip netns add "$B" 2>/dev/null || cannot "ip netns add $B failed"
# Create the pair inside A (no interface ever exists in the host's namespace),
# then move one end to B.
ip -n "$A" link add veth0 type veth peer name veth1 2>/dev/null || cannot "no veth pairs here"
ip -n "$A" link set veth1 netns "$B" || cannot "cannot move a veth end between namespaces"
ip -n "$A" addr add "$SUBNET.2/24" dev veth0 || cannot "cannot address veth0"
ip -n "$B" addr add "$SUBNET.3/24" dev veth1 || cannot "cannot address veth1"
for ns in "$A" "$B"; do
  ip -n "$ns" link set lo up || cannot "cannot bring up lo in $ns"
done
ip -n "$A" link set veth0 up && ip -n "$B" link set veth1 up || cannot "cannot bring the pair up"
# The pair must carry TCP: connect from B to a listener in A.
ip netns exec "$A" bash -c "exec 3<>/dev/tcp/$SUBNET.2/1" 2>/dev/null  # warm-up (ARP); refused is fine
for _ in $(seq 1 20); do
  out=$(ip netns exec "$B" timeout 2 bash -c "exec 3<>/dev/tcp/$SUBNET.2/9" 2>&1)
  [[ $out == *refused* ]] && {
    echo "netns_up: nodes $A ($SUBNET.2) and $B ($SUBNET.3) up"
    exit 0
  }
  sleep 0.5
done
cannot "$B cannot reach $SUBNET.2 over the veth pair"
