#!/bin/bash
# A measurement, not a pass/fail test: the loop's pace while the kernel reclaims.
#   MEMHOOK_VM_MEM=2048 MEMHOOK_VM_SWAP_MB=1024 tests/vm/run.sh BINARY script tests/vm/reclaim_gap.sh
# A hog holds 640 MiB of anonymous memory in a cgroup (memory.max 1G); memhook checks every 100 ms
# and, on entering its level, writes 560Mi to memory.reclaim (the kernel compresses the pages into
# zram in the writer's context: seconds under emulation). memhook runs with --log-level debug,
# which logs one line per check with its CLOCK_MONOTONIC time; the script prints the largest and
# the median gap between two checks from the reclaim's start to its report, and what the reclaim
# took and freed. Exit status 1 when the reclaim did not happen.
set -u
cd "$(dirname "$0")" || exit 1
source ./helpers.bash
BATS_TEST_TMPDIR=$(mktemp -d)
HOLD_MIB=640
RECLAIM=560Mi

trap 'mh_stop; cg_cleanup' EXIT

cg_new gap 1G
hog_start gap "$CG"
hog_do gap "grow $HOLD_MIB" 120 || { echo "reclaim-gap: the hog did not grow"; exit 1; }
echo "reclaim-gap: cgroup memory.current $(($(cg_current "$CG") / MiB)) MiB"

# The level holds while less than 500 MiB of the 1 GiB is free (the hog's 640 MiB), and not after
# the reclaim.
P=$(policy gap '{"check_interval": "100ms",
	"levels": [{"name": "full", "when": {"local_absolute": "500Mi"}}],
	"handlers": [{"on": "entered", "level": 1, "reclaim": "'"$RECLAIM"'"}]}')
mh_start --policy "$P" --cgroup "$CG" --log-level debug
if ! wait_for 300 mh_logged 'handlers\[0\]: (reclaimed|reclaim of .* was partial|reclaim failed)'; then
	echo "reclaim-gap: no reclaim reported"
	tail -20 "$MH_LOG"
	exit 1
fi
# a second of checks after the report
wait_for 5 mh_logged 'level 1 -> 0|memory is back to normal' || true
for _ in 1 2 3 4 5 6 7 8 9 10; do nap; done # a second more of checks
mh_stop
grep -E 'reclaim|level|stopped' "$MH_LOG" | grep -v ' debug: check ' | sed 's/^/reclaim-gap: log: /'

# Gaps between consecutive checks, from the check that entered the level (and started the reclaim)
# to the first check after the reclaim's report; times from the checks' monotonic stamps.
awk '
	/ debug: check [0-9]+ at [0-9]+ us/ {
		for (i = 1; i <= NF; i++) if ($i == "at") t = $(i + 1)
		n++; ts[n] = t
		if (reported && !reported_n) reported_n = n
		next
	}
	/level 0 -> 1/ && !start_n { start_n = n }
	/handlers\[0\]: (reclaimed|reclaim of .* was partial)/ { reported = 1; line = $0 }
	END {
		if (!reported) { print "none"; exit 1 }
		sub(/.*handlers\[0\]: /, "", line)
		print "report " line
		for (i = start_n + 1; i <= reported_n; i++) print "gap " (ts[i] - ts[i - 1]) / 1000
		for (i = 2; i <= n; i++) print "all " (ts[i] - ts[i - 1]) / 1000
	}' "$MH_LOG" >"$BATS_TEST_TMPDIR/gaps" || { echo "reclaim-gap: no reclaim report"; exit 1; }
grep '^report ' "$BATS_TEST_TMPDIR/gaps" | sed 's/^report /reclaim-gap: /'
grep '^gap ' "$BATS_TEST_TMPDIR/gaps" | cut -d' ' -f2 | sort -n >"$BATS_TEST_TMPDIR/window"
grep '^all ' "$BATS_TEST_TMPDIR/gaps" | cut -d' ' -f2 | sort -n >"$BATS_TEST_TMPDIR/all"
awk '{ v[NR] = $1 } END {
	med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
	printf "reclaim-gap: %d gaps between checks from the reclaim'"'"'s start to its report (check_interval 100 ms): largest %.1f ms, median %.1f ms\n", NR, v[NR], med
}' "$BATS_TEST_TMPDIR/window"
awk '{ v[NR] = $1 } END { printf "reclaim-gap: over the whole run (%d gaps): largest %.1f ms\n", NR, v[NR] }' "$BATS_TEST_TMPDIR/all"
