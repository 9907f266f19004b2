#!/usr/bin/env bash
# What the cgroup v2 tripwire costs (tests/bench/README.md, "The tripwire's cost"):
#   bash tests/bench/tripwire_cost.sh path/to/memhook [OUT_MD]
# Runs tests/bench/tripwire_cost.py in the cgroup v2 VM (tests/vm/run.sh ... script; without swap)
# on the race's tools (build/bench: make bench-race builds them). Environment: TRIP_RUNS (10 crossing
# runs per mode), TRIP_IDLE_SECONDS (20), TRIP_CACHE_MIB (0: MiB of page cache read into the cgroup
# before each run, from run.sh's sparse file), TRIP_VM_TIMEOUT (1200 s). Needs root. Writes OUT_MD
# (default build/bench/tripwire_cost.md).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
MEMHOOK="${1:?usage: tripwire_cost.sh MEMHOOK [OUT_MD]}"
OUT="${2:-build/bench/tripwire_cost.md}"
TOOLS="$(cd "$(dirname "$MEMHOOK")" && pwd)/bench"
for t in hog_rate race_run stamp; do
	[ -x "$TOOLS/$t" ] || { echo "tripwire-cost: $TOOLS/$t is missing: run make bench-race" >&2; exit 1; }
done
mkdir -p "$(dirname "$OUT")"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/memhook-trip.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
cat >"$WORK/guest.sh" <<-EOF2
	#!/bin/bash
	export TRIP_RUNS=${TRIP_RUNS:-10} TRIP_IDLE_SECONDS=${TRIP_IDLE_SECONDS:-20} TRIP_CACHE_MIB=${TRIP_CACHE_MIB:-0}
	read -r TRIP_CACHE_FILE <"\$MEMHOOK_WORK/vm/cache_file" && export TRIP_CACHE_FILE
	/usr/bin/python3 "$HERE/tripwire_cost.py" "\$MEMHOOK_WORK/bin/memhook" "$TOOLS" /tmp/trip.md >/dev/null || exit 1
	echo "=== tripwire-cost summary begin ==="
	cat /tmp/trip.md
	echo "=== tripwire-cost summary end ==="
EOF2
rc=0
MEMHOOK_VM_SWAP_MB=0 MEMHOOK_VM_TIMEOUT="${TRIP_VM_TIMEOUT:-1200}" \
	bash "$ROOT/tests/vm/run.sh" "$MEMHOOK" script "$WORK/guest.sh" | tee "$WORK/vm.log" >&2 || rc=$?
sed -n '/^=== tripwire-cost summary begin ===$/,/^=== tripwire-cost summary end ===$/p' "$WORK/vm.log" |
	sed '1d;$d' >"$OUT"
[ -s "$OUT" ] || { echo "tripwire-cost: the VM run gave no summary (exit $rc)" >&2; exit 1; }
cat "$OUT"
