#!/usr/bin/env bash
# memhook benchmark (make bench): bash tests/bench/run.sh path/to/memhook [results.md]
# Idle footprint against a real cgroup when root (v2 if the host's memory controller is on v2,
# else v1), a fixture directory otherwise; then latency and per-check cost on fixtures.
# Prints the figures and writes them as Markdown (default build/bench/results.md).
# Environment: BENCH_IDLE_SECONDS (60), BENCH_CROSSINGS (200), BENCH_CHECK_SECONDS (10),
# BENCH_FLOOR_SECONDS (10), BENCH_SCRAPES (1000), BENCH_PERCHECK_SECONDS (3).
# Fails only when it cannot measure; a missed target is reported, not a failure.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MEMHOOK="${1:?usage: run.sh MEMHOOK [RESULTS_MD]}"
OUT="${2:-build/bench/results.md}"
[ -x "$MEMHOOK" ] || { echo "bench: $MEMHOOK is not an executable" >&2; exit 1; }
MEMHOOK="$(cd "$(dirname "$MEMHOOK")" && pwd)/$(basename "$MEMHOOK")"
command -v python3 >/dev/null || { echo "bench: python3 is needed" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/memhook-bench.XXXXXX")"
CG=""
IDLE_PID=""

cleanup() {
	local i p
	if [ -n "$IDLE_PID" ]; then kill -9 "$IDLE_PID" 2>/dev/null || true; wait "$IDLE_PID" 2>/dev/null || true; fi
	if [ -n "$CG" ] && [ -d "$CG" ]; then
		for i in $(seq 100); do
			for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
			rmdir "$CG" 2>/dev/null && break
			sleep 0.05
		done
		[ -d "$CG" ] && echo "bench: could not remove $CG" >&2
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A real cgroup with a limit and an idle process in it, when we may make one.
if [ "$(id -u)" = 0 ]; then
	if grep -qw memory /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null; then
		CG="/sys/fs/cgroup/memhook-bench-$$"
		mkdir "$CG" && echo $((64 * 1024 * 1024)) > "$CG/memory.max"
	elif [ -w /sys/fs/cgroup/memory ] && [ -f /sys/fs/cgroup/memory/memory.usage_in_bytes ]; then
		CG="/sys/fs/cgroup/memory/memhook-bench-$$"
		mkdir "$CG" && echo $((64 * 1024 * 1024)) > "$CG/memory.limit_in_bytes"
	fi
fi
if [ -n "$CG" ]; then
	# The subshell moves itself into the cgroup, then becomes sleep.
	bash -c 'echo $$ > "$1/cgroup.procs" && exec sleep 100000' idle "$CG" &
	IDLE_PID=$!
	for i in $(seq 200); do grep -qx "$IDLE_PID" "$CG/cgroup.procs" 2>/dev/null && break; sleep 0.05; done
	grep -qx "$IDLE_PID" "$CG/cgroup.procs" || { echo "bench: could not move the idle process into $CG" >&2; exit 1; }
else
	echo "bench: not root or no writable memory cgroup: the idle run watches a fixture directory"
fi

# The platform floor (informative): built with the libraries memhook links.
BENCH_FLOOR=""
if ${CC:-cc} -O2 -Wl,--no-as-needed -o "$WORK/floor" "$HERE/floor.c" \
	$(pkg-config --cflags --libs libcurl libcjson libcgroup libcrypto 2>/dev/null) 2> "$WORK/floor.err"; then
	BENCH_FLOOR="$WORK/floor"
else
	echo "bench: the floor program did not build (its rows are left out):" >&2
	cat "$WORK/floor.err" >&2
fi
export BENCH_FLOOR

python3 "$HERE/bench.py" "$MEMHOOK" "$WORK" "$OUT" "$CG"
# Instructions per check (callgrind), appended to the same results.
python3 "$HERE/percheck.py" "$MEMHOOK" "$WORK" "$OUT" "$CG"
