#!/bin/bash
# A quick look at memhook node's idle cost on this host's real cgroup v1: N container cgroups (250
# pods of 2 containers by default, the systemd driver's layout, QoS levels mixed) under a private
# root, memhook node --no-kubernetes-api at the default policy (1 s interval), then its start
# time, CPU over SECONDS_IDLE, RSS and fds. Root only; everything it makes is removed at the end.
# usage: [LIMIT=256M] tests/bench/node_quick.sh MEMHOOK [N] [SECONDS_IDLE]
set -euo pipefail
MEMHOOK=$1 N=${2:-500} IDLE=${3:-60}
ROOT=/sys/fs/cgroup/memory/memhook-node-bench-$$
LOG=$(mktemp)
cleanup() {
	[ -n "${MH:-}" ] && kill "$MH" 2>/dev/null && wait "$MH" 2>/dev/null || true
	find "$ROOT" -depth -type d -exec rmdir {} \; 2>/dev/null || true
	rm -f "$LOG"
}
trap cleanup EXIT
qos=(burstable besteffort guaranteed)
for ((i = 0; i < N / 2; i++)); do
	q=${qos[i % 3]}
	uid=$(printf '%08x_0000_4000_8000_%012x' "$i" "$i")
	if [ "$q" = guaranteed ]; then pod="kubepods.slice/kubepods-pod$uid.slice"
	else pod="kubepods.slice/kubepods-$q.slice/kubepods-$q-pod$uid.slice"; fi
	for c in 1 2; do
		d="$ROOT/$pod/cri-containerd-$(printf '%02x%062x' "$c" "$i").scope"
		mkdir -p "$d"
		# LIMIT=256M: every container limited, as burstable and guaranteed ones are; without it
		# none is (besteffort), and v1 reads memory.stat at each check for the inherited limit
		[ -z "${LIMIT:-}" ] || echo "$LIMIT" > "$d/memory.limit_in_bytes"
	done
done
t0=$(date +%s%N)
"$MEMHOOK" node ${NODE_ARGS:-} --no-kubernetes-api --cgroup-root "$ROOT" 2> "$LOG" &
MH=$!
until grep -q 'watching [0-9]* container' "$LOG"; do sleep 0.01; done
t1=$(date +%s%N)
echo "start: $(( (t1 - t0) / 1000000 )) ms to the end of the first walk ($(grep -o 'watching [0-9]* container.*' "$LOG"))"
sleep 5
ticks() { awk '{print $14 + $15}' "/proc/$MH/stat"; }
c0=$(ticks); s0=$(date +%s%N)
sleep "$IDLE"
c1=$(ticks); s1=$(date +%s%N)
hz=$(getconf CLK_TCK)
awk -v c=$((c1 - c0)) -v hz="$hz" -v ns=$((s1 - s0)) \
	'BEGIN { printf "cpu: %.2f%% of one core over %.0f s (%d ticks)\n", 100 * c / hz / (ns / 1e9), ns / 1e9, c }'
grep VmRSS "/proc/$MH/status"
fds=$(ls "/proc/$MH/fd" | wc -l)
echo "fds: $fds for $N containers"
