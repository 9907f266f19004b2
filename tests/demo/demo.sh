#!/usr/bin/env bash
# make demo: memhook on its default policy watches a workload whose memory grows and shrinks in a
# real cgroup (v2 when the host's memory controller is on v2, else v1; a fixture tree when not
# root), posting every event to a local receiver that prints it. Ends by itself in about 30 s.
set -euo pipefail
MEMHOOK=$(realpath "${1:-build/memhook}")
HERE=$(cd "$(dirname "$0")" && pwd)
HOG="$HERE/../bats/lib/hog.py"
LIMIT_MIB=128
T=$(mktemp -d /tmp/memhook-demo.XXXXXX)
CG=""
PIDS=()

cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	if [ -n "$CG" ] && [ -d "$CG" ] && [ "$MODE" != fixture ]; then
		for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
		for _ in $(seq 50); do rmdir "$CG" 2>/dev/null && break; sleep 0.1; done
	fi
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

wait_for() { local end=$((SECONDS + $1)); shift; until "$@"; do ((SECONDS < end)) || return 1; sleep 0.05; done; }

# Where the memory controller lives, and on which version.
if [ "$(id -u)" = 0 ] && grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
	MODE=v2
	grep -qw memory /sys/fs/cgroup/cgroup.subtree_control || echo +memory > /sys/fs/cgroup/cgroup.subtree_control
	CG=/sys/fs/cgroup/memhook-demo-$$
	mkdir "$CG"
	echo $((LIMIT_MIB << 20)) > "$CG/memory.max"
elif [ "$(id -u)" = 0 ] && [ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then
	MODE=v1
	CG=/sys/fs/cgroup/memory/memhook-demo-$$
	mkdir "$CG"
	echo $((LIMIT_MIB << 20)) > "$CG/memory.limit_in_bytes"
else
	MODE=fixture
	CG=$T/cgroup
	mkdir -p "$CG"
	echo 0 > "$CG/memory.current"
	echo $((LIMIT_MIB << 20)) > "$CG/memory.max"
	: > "$CG/cgroup.procs"
	printf 'anon 6291456\nfile 1572864\nkernel 524288\nshmem 0\n' > "$CG/memory.stat"
fi
echo "== memhook demo: a $LIMIT_MIB MiB $MODE cgroup at $CG"
[ "$MODE" = fixture ] && echo "   (not root: a fixture tree whose memory.current this script rewrites)"

python3 "$HERE/receiver.py" "$T/port" &
PIDS+=($!)
wait_for 10 test -s "$T/port"
URL="http://127.0.0.1:$(cat "$T/port")/memory"

usage_mib() {
	if [ "$MODE" = v2 ] || [ "$MODE" = fixture ]; then echo $(($(cat "$CG/memory.current") >> 20))
	else echo $(($(cat "$CG/memory.usage_in_bytes") >> 20)); fi
}

# The workload: a process in the cgroup that grows and frees memory on command.
if [ "$MODE" != fixture ]; then
	mkfifo "$T/fifo"
	: > "$T/ack"
	bash -c 'echo $$ > "$1/cgroup.procs" && exec python3 "$2" "$3" /dev/null "$4"' x "$CG" "$HOG" "$T/fifo" "$T/ack" &
	PIDS+=($!)
	wait_for 10 grep -q ready "$T/ack"
fi
acked_more_than() { [ "$(wc -l < "$T/ack")" -gt "$1" ]; }
grow_to() { # MiB
	if [ "$MODE" = fixture ]; then echo $(($1 << 20)) > "$CG/memory.current"; return; fi
	local n
	while [ "$(usage_mib)" -lt "$1" ]; do
		n=$(wc -l < "$T/ack"); echo "grow 4" > "$T/fifo"
		wait_for 10 acked_more_than "$n" || { echo "demo: the workload stopped answering" >&2; exit 1; }
	done
}
free_all() {
	if [ "$MODE" = fixture ]; then echo $((8 << 20)) > "$CG/memory.current"; return; fi
	echo free > "$T/fifo"
}

echo "== memhook on the default policy (levels at 25%, 10%, 5% free), every event to $URL"
"$MEMHOOK" check | sed 's/^/   /'
"$MEMHOOK" --cgroup "$CG" --webhook "$URL" &
MH=$!
PIDS+=($MH)
sleep 1.5
for target in 100 118 124; do
	echo "-- workload grows to ${target} MiB"
	grow_to "$target"
	sleep 2.5
done
echo "-- workload frees its memory"
free_all
sleep 2.5
echo "-- memhook -> SIGUSR1: memory breakdown"
kill -USR1 "$MH"
sleep 1
echo "-- stopping"
kill -TERM "$MH"
wait "$MH" || true
echo "== demo done"
