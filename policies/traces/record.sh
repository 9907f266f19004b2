#!/usr/bin/env bash
# Regenerates the shipped traces from real cgroups on this host (as root): two workloads, each in
# its own memory cgroup with a 128 MiB limit, recorded side by side by `memhook record`:
#   cache-reader.csv   a process reading a 512 MiB file at about 8 MiB/s: its page cache grows
#                      to the limit and stays there (the kernel reclaims the oldest pages)
#   leak.jsonl         a process allocating and touching 1 MiB of anonymous memory every 1.1 s
#                      until it holds about 110 MiB, then holding it
# usage: policies/traces/record.sh [MEMHOOK] [OUTDIR]   (defaults: build/memhook, policies/traces)
# DURATION (default 2m) and INTERVAL (default 1s) change the recordings' length and step.
# On cgroup v1 memory.stat's working set and anon columns are filled once `memhook record` reads
# memory.stat; on cgroup v2 the PSI and memory.events columns are filled too.
set -euo pipefail

MEMHOOK=$(realpath "${1:-build/memhook}")
OUT=$(realpath "${2:-$(dirname "$0")}")
DURATION=${DURATION:-2m}
INTERVAL=${INTERVAL:-1s}
LIMIT=$((128 * 1024 * 1024))

[ "$(id -u)" = 0 ] || { echo "record.sh: run as root (it makes memory cgroups)" >&2; exit 1; }
if [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
	ROOT=/sys/fs/cgroup LIMIT_FILE=memory.max
elif [ -f /sys/fs/cgroup/memory/memory.usage_in_bytes ]; then
	ROOT=/sys/fs/cgroup/memory LIMIT_FILE=memory.limit_in_bytes
else
	echo "record.sh: no cgroup memory controller found" >&2
	exit 1
fi

WORK=$(mktemp -d /var/tmp/memhook-traces.XXXXXX) # on disk: /tmp may be tmpfs, whose pages never leave
CGS=()
cleanup() {
	local cg p i
	for cg in "${CGS[@]}"; do
		for i in $(seq 100); do
			for p in $(cat "$cg/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
			rmdir "$cg" 2>/dev/null && break
			sleep 0.05
		done
	done
	{ wait; } 2>/dev/null || true # the workloads' "Killed" notices
	rm -rf "$WORK"
}
trap cleanup EXIT

# make_cg NAME: a memory cgroup with the limit; prints its path.
make_cg() {
	local cg="$ROOT/memhook-trace-$1-$$"
	mkdir "$cg"
	CGS+=("$cg")
	echo "$LIMIT" > "$cg/$LIMIT_FILE"
}

# The file to read, written outside the cgroups and dropped from the page cache, so that the
# reader's cgroup is charged for every page it brings in.
python3 - "$WORK/data" <<'PY'
import os, sys
with open(sys.argv[1], "wb") as f:
    block = os.urandom(1 << 20)
    for _ in range(512):
        f.write(block)
    f.flush()
    os.fsync(f.fileno())
    os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
PY

make_cg cache-reader
make_cg leak
CACHE_CG=${CGS[0]} LEAK_CG=${CGS[1]}

# Each workload moves itself into its cgroup, then execs python.
bash -c 'echo $$ > "$1/cgroup.procs" && exec python3 -c "
import os, sys, time
while True:  # 1 MiB every 1/8 s, the file over and over
    with open(sys.argv[1], \"rb\", buffering=0) as f:
        while f.read(1 << 20):
            time.sleep(0.125)
" "$2"' reader "$CACHE_CG" "$WORK/data" &
bash -c 'echo $$ > "$1/cgroup.procs" && exec python3 -c "
import time
held = []
while True:  # 1 MiB touched every 1.1 s, up to 110 MiB, then held
    if len(held) < 110:
        held.append(bytearray(b\"\\x01\" * (1 << 20)))
    time.sleep(1.1)
"' leak "$LEAK_CG" &

"$MEMHOOK" record --cgroup "$CACHE_CG" --interval "$INTERVAL" --duration "$DURATION" --format csv \
	--output "$OUT/cache-reader.csv" &
REC1=$!
"$MEMHOOK" record --cgroup "$LEAK_CG" --interval "$INTERVAL" --duration "$DURATION" --format jsonl \
	--output "$OUT/leak.jsonl" &
REC2=$!
wait "$REC1" "$REC2"
# the traces name no host path: the cgroups' names are not in them, only their figures
echo "record.sh: wrote $OUT/cache-reader.csv ($(grep -c '^20' "$OUT/cache-reader.csv") samples)" \
	"and $OUT/leak.jsonl ($(wc -l < "$OUT/leak.jsonl") samples)"
