#!/bin/bash
# memhook node under pod churn on this host's real cgroup v1: RATE pods a second made (a pod slice and
# its container scope) and each removed a second later, for SECONDS_RUN, with IDLE containers
# standing by; then every container found must have been found once and lost once (none missed,
# none twice), and the standing ones still watched. Root only; everything is removed at the end.
# usage: tests/bench/node_churn.sh MEMHOOK [RATE] [SECONDS_RUN] [IDLE]
set -euo pipefail
MEMHOOK=$1 RATE=${2:-50} RUN=${3:-60} IDLE=${4:-100}
ROOT=/sys/fs/cgroup/memory/memhook-node-churn-$$
LOG=$(mktemp)
cleanup() {
	[ -n "${MH:-}" ] && kill "$MH" 2>/dev/null && wait "$MH" 2>/dev/null || true
	find "$ROOT" -depth -type d -exec rmdir {} \; 2>/dev/null || true
	rm -f "$LOG"
}
trap cleanup EXIT
Q=kubepods.slice/kubepods-besteffort.slice
for ((i = 0; i < IDLE; i++)); do
	mkdir -p "$ROOT/$Q/kubepods-besteffort-pod$(printf 'fffe%04x' "$i").slice/cri-containerd-$(printf 'a%063x' "$i").scope"
done
"$MEMHOOK" node --no-kubernetes-api --cgroup-root "$ROOT" 2> "$LOG" &
MH=$!
until grep -q 'watching [0-9]* container' "$LOG"; do sleep 0.05; done
c0=$(awk '{print $14 + $15}' "/proc/$MH/stat")
made=0
start=$(date +%s%N)
for ((s = 0; s < RUN; s++)); do
	for ((k = 0; k < RATE; k++)); do
		i=$((s * RATE + k))
		pod="$ROOT/$Q/kubepods-besteffort-pod$(printf '%08x' "$i").slice"
		mkdir -p "$pod/cri-containerd-$(printf 'b%063x' "$i").scope"
		made=$((made + 1))
		if ((s > 0)); then
			j=$(((s - 1) * RATE + k))
			old="$ROOT/$Q/kubepods-besteffort-pod$(printf '%08x' "$j").slice"
			rmdir "$old/cri-containerd-$(printf 'b%063x' "$j").scope" "$old"
		fi
	done
	# one second per round
	now=$(date +%s%N); left=$(( (start + (s + 1) * 1000000000 - now) / 1000 ))
	((left > 0)) && sleep "0.$(printf '%06d' "$left")"
done
for ((k = 0; k < RATE; k++)); do
	j=$(((RUN - 1) * RATE + k))
	old="$ROOT/$Q/kubepods-besteffort-pod$(printf '%08x' "$j").slice"
	rmdir "$old/cri-containerd-$(printf 'b%063x' "$j").scope" "$old"
done
sleep 2
c1=$(awk '{print $14 + $15}' "/proc/$MH/stat")
found=$(grep -c 'container found: pod 0' "$LOG" || true)
gone=$(grep -c 'container gone: pod 0' "$LOG" || true)
found_u=$(grep -o 'container found: pod 0[^ ]*' "$LOG" | sort -u | wc -l)
gone_u=$(grep -o 'container gone: pod 0[^ ]*' "$LOG" | sort -u | wc -l)
echo "made $made pods in $RUN s; found $found ($found_u distinct), gone $gone ($gone_u distinct)"
echo "cpu: $((c1 - c0)) ticks of $(getconf CLK_TCK)/s over the run"
kill -USR1 "$MH"; sleep 0.5
grep -o "SIGUSR1: [0-9]* container(s) watched" "$LOG"
[ "$found" = "$made" ] && [ "$gone" = "$made" ] && [ "$found_u" = "$made" ] && [ "$gone_u" = "$made" ]
