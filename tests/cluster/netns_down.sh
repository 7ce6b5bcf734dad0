#!/usr/bin/env bash
# Remove the test nodes of tests/cluster/netns_up.sh NAME: processes still in
# them are killed by pid (ip netns pids), then the namespaces are deleted,
# which deletes the veth pair too.
set -uo pipefail
NAME=${1:?usage: netns_down.sh NAME}
for ns in "$NAME-a" "$NAME-b"; do
  ip netns list 2>/dev/null | grep -q "^$ns\b" || continue
  for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
  ip netns del "$ns" 2>/dev/null
done
exit 0
