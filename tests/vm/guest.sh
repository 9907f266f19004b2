#!/bin/bash
# Runs inside the test VM (host userland, guest kernel), started by init.sh: guest.sh MODE.
# Its exit status becomes run.sh's.
set -u
cd "$MEMHOOK_WORK/vm" || exit 1
echo "guest: $(uname -r), $(nproc) vCPUs, $(awk '/MemTotal/ { print $2 / 1024 "Mi" }' /proc/meminfo) RAM," \
	"swap: $(awk 'NR > 1 { print $1 " " $3 / 1024 "Mi" }' /proc/swaps | tr '\n' ' ')"

case ${1:-suite} in
suite)
	# One webhook listener for the whole run; the tests of a file run in parallel (their waits
	# overlap), the files one after the other (swap.bats turns the swap off).
	source ./helpers.bash
	listener_start || { echo "guest: the webhook listener did not start: $(<"$HOOK_DIR.log")"; exit 1; }
	read -r filter <filter
	read -r jobs <jobs
	bats --tap --timing --jobs "$jobs" --no-parallelize-across-files ${filter:+--filter "$filter"} \
		cgroup-v2.bats tripwire.bats node.bats swap.bats
	rc=$?
	listener_stop
	exit $rc
	;;
latency)
	exec bash ./latency.sh
	;;
script)
	exec bash ./script.sh
	;;
smoke)
	# The harness alone, no memhook: what the suite relies on.
	source ./helpers.bash
	BATS_TEST_TMPDIR=$(mktemp -d)
	fail=0
	check() { if eval "$2"; then echo "ok - $1 (at $(cut -d" " -f1 /proc/uptime)s)"; else echo "not ok - $1"; fail=1; fi; }
	check "cgroup2 mounted with the memory controller" 'grep -qw memory $CGROOT/cgroup.subtree_control'
	check "PSI readable" 'grep -q "^some avg10=" $CGROOT/cpu.pressure 2>/dev/null || test -e /proc/pressure/memory'
	check "zram swap on" 'grep -q zram0 /proc/swaps'
	check "webhook listener on loopback" 'listener_start'
	check "a POST reaches the listener" 'curl -fsS -d "{\"a\":1}" $HOOK_URL/smoke && hook_find smoke a=1'
	cg_new smoke 64M
	echo 0 >"$CG/memory.swap.max"
	check "hog starts in the cgroup" 'hog_start smoke $CG && grep -qx $HOG_PID $CG/cgroup.procs'
	check "hog grows 24 MiB" 'hog_do smoke "grow 24" && [ $(cg_current $CG) -ge $((24 * MiB)) ]'
	echo "   memory.current=$(cg_current "$CG") memory.stat anon=$(awk '$1 == "anon" { print $2 }' "$CG/memory.stat")"
	check "hog shrinks" 'hog_do smoke "shrink 16" && [ $(cg_current $CG) -lt $((16 * MiB)) ]'
	echo 0 >"$CG/memory.swap.max"
	check "OOM kill past memory.max counted" 'hog_send smoke "grow 80"; wait_for 30 proc_gone $HOG_PID && [ "$(cg_event $CG oom_kill)" -ge 1 ]'
	cg_cleanup
	cg_new smoke-swap 64M
	hog_start swap "$CG"
	hog_do swap "grow 24"
	before=$(cg_current "$CG")
	check "memory.reclaim with swap" 'echo 8M > $CG/memory.reclaim'
	echo "   memory.current $before -> $(cg_current "$CG"), swap.current=$(cat "$CG/memory.swap.current")"
	swapoff /dev/zram0
	check "memory.reclaim without swap fails with EAGAIN" '! echo 8M 2>/tmp/rec.err > $CG/memory.reclaim && grep -q "Resource temporarily unavailable" /tmp/rec.err'
	swapon /dev/zram0
	cg_cleanup
	listener_stop
	exit $fail
	;;
esac
