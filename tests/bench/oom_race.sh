#!/usr/bin/env bash
# The OOM race and the idle cost (make bench, make bench-race):
#   bash tests/bench/oom_race.sh path/to/memhook [OUT_MD]
# 1. on this machine's memory cgroup (v1 here): the idle cost side by side with earlyoom and a bare
#    timer loop, then the race (tests/bench/oom_race.py);
# 2. in the cgroup v2 VM (tests/vm/run.sh ... script): the race again, lighter (RACE_VM_RUNS).
# Writes both summaries to OUT_MD (default build/bench/oom_race.md) and prints them at the end.
# Environment: RACE_RUNS (20), RACE_RATES ("50,200,1000,max"), RACE_INTERVALS ("default,100ms,default+1Gi/s"),
# RACE_IDLE_SECONDS (30), RACE_LIMIT_MIB (256), RACE_SEED; RACE_HOST (1; 0 = the VM only),
# RACE_VM (1; 0 = host only),
# RACE_VM_RUNS (10), RACE_VM_RATES (RACE_RATES), RACE_VM_TIMEOUT (1200 s), RACE_DEBUG (1: when each
# memhook's check came, too).
# The hog, the driver and the stamp come from build/bench (the Makefile builds them).
# Needs root. Fails only when something cannot be measured; goals are reported, not asserted.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
MEMHOOK="${1:?usage: oom_race.sh MEMHOOK [OUT_MD]}"
OUT="${2:-build/bench/oom_race.md}"
TOOLS="$(cd "$(dirname "$MEMHOOK")" && pwd)/bench"
MEMHOOK="$(cd "$(dirname "$MEMHOOK")" && pwd)/$(basename "$MEMHOOK")"
[ -x "$MEMHOOK" ] || { echo "oom-race: $MEMHOOK is not an executable" >&2; exit 1; }
for t in hog_rate race_run stamp; do
	[ -x "$TOOLS/$t" ] || { echo "oom-race: $TOOLS/$t is missing: run make bench-race" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "oom-race: needs root (it makes memory cgroups)" >&2; exit 1; }
mkdir -p "$(dirname "$OUT")"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/memhook-race.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# What was measured: the commit (and whether the tree differed from it) and the binary's hash.
commit="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
[ -z "$(git -C "$ROOT" status --porcelain -- lib cmd 2>/dev/null)" ] || commit="$commit+changes"
binsum="$(sha256sum "$MEMHOOK" | cut -c1-12)"
WHAT="memhook $commit (binary sha256 $binsum)"

# The bare timer loop of the idle rows, built with the libraries memhook links (as run.sh does).
FLOOR=""
if ${CC:-cc} -O2 -o "$WORK/floor" "$HERE/floor.c" \
	$(pkg-config --cflags --libs libcurl 2>/dev/null) 2>"$WORK/floor.err"; then
	FLOOR="$WORK/floor"
else
	echo "oom-race: floor.c did not build (its rows are left out):" >&2
	cat "$WORK/floor.err" >&2
fi

: >"$WORK/host.md"
if [ "${RACE_HOST:-1}" != 0 ]; then
	T0=$SECONDS
	python3 "$HERE/oom_race.py" "$MEMHOOK" "$TOOLS" "$OUT" --floor "$FLOOR" \
		--title "The OOM race on this machine: $WHAT" >"$WORK/host.md"
	echo "oom-race: host part took $((SECONDS - T0)) s" >&2
fi

if [ "${RACE_VM:-1}" != 0 ]; then
	# The guest sees the host's / read-only (and a tmpfs /tmp): the tools and the script run from
	# their host paths; the summary comes back on the console between two markers.
	cat >"$WORK/guest.sh" <<-EOF
		#!/bin/bash
		export RACE_RUNS=${RACE_VM_RUNS:-10} RACE_RATES=${RACE_VM_RATES:-${RACE_RATES:-50,200,1000,max}}
		export RACE_INTERVALS=${RACE_INTERVALS:-default,100ms,default+1Gi/s} RACE_LIMIT_MIB=${RACE_LIMIT_MIB:-256}
		${RACE_SEED:+export RACE_SEED=$RACE_SEED} ${RACE_DEBUG:+export RACE_DEBUG=$RACE_DEBUG}
		/usr/bin/python3 "$HERE/oom_race.py" "\$MEMHOOK_WORK/bin/memhook" "$TOOLS" /tmp/race.md --no-idle \\
			--title "The OOM race in the cgroup v2 VM (qemu TCG): $WHAT" >/dev/null || exit 1
		echo "=== oom-race summary begin ==="
		cat /tmp/race.md
		echo "=== oom-race summary end ==="
	EOF
	T0=$SECONDS
	rc=0
	MEMHOOK_VM_SWAP_MB=0 MEMHOOK_VM_TIMEOUT="${RACE_VM_TIMEOUT:-1200}" \
		bash "$ROOT/tests/vm/run.sh" "$MEMHOOK" script "$WORK/guest.sh" | tee "$WORK/vm.log" >&2 || rc=$?
	echo "oom-race: VM part took $((SECONDS - T0)) s (exit $rc)" >&2
	sed -n '/^=== oom-race summary begin ===$/,/^=== oom-race summary end ===$/p' "$WORK/vm.log" |
		sed '1d;$d' >"$WORK/vm.md"
	if [ ! -s "$WORK/vm.md" ]; then
		echo "oom-race: the VM run gave no summary" >&2
		printf '## The OOM race in the cgroup v2 VM\n\nNot measured: the VM run failed (exit %s).\n' "$rc" >"$WORK/vm.md"
	fi
	{ [ ! -s "$WORK/host.md" ] || { cat "$WORK/host.md"; echo; }; cat "$WORK/vm.md"; } >"$OUT"
else
	cp "$WORK/host.md" "$OUT"
fi
echo
cat "$OUT"
echo "oom-race: written to $OUT"
