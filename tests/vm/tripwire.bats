#!/usr/bin/env bats
# The cgroup v2 tripwire (lib/kernel/tripwire.h) inside the test VM: memory.high set at the next
# usage threshold wakes a check as a hog crosses it, moves up and down with the level, goes back
# to max on SIGTERM and when a reload turns it off, is removed by the next memhook after a
# SIGKILL, and stands down for a memory.high someone else wrote. As root.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	[ -e "$HOOK_DIR/.ready" ] # the listener guest.sh started
}

teardown() {
	vm_teardown
}

# 64 MiB: level 1 below 50% free (from 32 MiB + a page), level 2 below 25% free (48 MiB + a page)
L1=$((32 * MiB + 4096))
L2=$((48 * MiB + 4096))

# trip_policy NAME [EXTRA]: two levels, checks every 10 s at most and at least (no adaptive
# checks): within a second, only a wakeup can see a crossing.
trip_policy() {
	policy "$1" '{"check_interval": "10s", "min_interval": "10s"'"${2:-}"',
		"levels": [{"name": "half", "when": {"local_relative": 50}},
		           {"name": "quarter", "when": {"local_relative": 25}}],
		"handlers": [{"on": "entered", "webhook": '"$(webhook "$1")"'},
		             {"on": "left", "webhook": '"$(webhook "$1")"'}]}'
}

# xattr_is VALUE-ERE: the record on $CG matches; xattr_none: there is none.
xattr_get() { /usr/bin/python3 -c 'import os, sys; print(os.getxattr(sys.argv[1], "user.memhook.tripwire").decode())' "$CG" 2>/dev/null; }
xattr_is() { [[ $(xattr_get) =~ $1 ]]; }
xattr_none() { ! xattr_get >/dev/null; }

@test "tripwire: a crossing wakes a check at once; it moves up and down with the level; SIGTERM restores max" {
	cg_with_hog trip 8
	high_is max
	P=$(trip_policy trip)
	mh_start --policy "$P" --cgroup "$CG" --log-level debug
	wait_for 20 mh_logged "watching"
	wait_for 10 high_is $L1
	xattr_is "^armed $L1 pid $MH_PID start [0-9]+\$"
	local h0
	h0=$(cg_event "$CG" high)

	# 8 -> 36 MiB: past the first tripwire; the level within 2 s of the hog's end (interval 10 s)
	hog_do trip "grow 28"
	wait_for 2 mh_logged "level 0 -> 1 \\(half\\): entered"
	mh_logged "woken by the tripwire \\($L1 bytes"
	wait_for 2 high_is $L2
	[ "$(cg_event "$CG" high)" -gt "$h0" ]
	xattr_is "^armed $L2 "

	# 36 -> 52 MiB: the second; nothing above it: max again, the record gone
	hog_do trip "grow 16"
	wait_for 2 mh_logged "level 1 -> 2 \\(quarter\\): entered"
	mh_logged "woken by the tripwire \\($L2 bytes"
	wait_for 2 high_is max
	xattr_none

	# 52 -> 40 MiB: level 1 at the next check; the tripwire back at level 2's threshold
	hog_do trip "shrink 12"
	wait_for 15 mh_logged "level 2 -> 1 \\([a-z]+\\): left"
	wait_for 2 high_is $L2
	# 40 -> 12 MiB: normal; back at level 1's
	hog_do trip "shrink 28"
	wait_for 15 mh_logged "level 1 -> 0 \\([a-z]+\\): left"
	wait_for 2 high_is $L1

	wait_for 20 hook_find trip event=entered level=2
	mh_stop
	high_is max
	xattr_none
	mh_logged "stopping: tripwire removed: memory.high of $CG back to max \\(it was $L1\\)"
}

@test "tripwire: a memhook killed with SIGKILL leaves it; the next one removes it and arms its own" {
	cg_with_hog kill 8
	P=$(trip_policy kill)
	mh_start --policy "$P" --cgroup "$CG"
	wait_for 20 high_is $L1
	local old=$MH_PID
	kill -KILL "$MH_PID"
	wait_for 10 proc_gone "$old"
	MH_PID=
	# left behind: the value and its record
	high_is $L1
	xattr_is "^armed $L1 pid $old "

	# what the app meets meanwhile: 8 MiB below the tripwire (8 -> 16 MiB), then 8 MiB across and
	# past it (24 -> 32 -> 40 MiB: throttled by the kernel above memory.high, nothing to reclaim)
	local t0=${EPOCHREALTIME/./} h0 h1
	hog_do kill "grow 8"
	local below_usec=$((${EPOCHREALTIME/./} - t0))
	hog_do kill "grow 8"
	h0=$(cg_event "$CG" high)
	t0=${EPOCHREALTIME/./}
	hog_do kill "grow 8" 120
	local above_usec=$((${EPOCHREALTIME/./} - t0))
	h1=$(cg_event "$CG" high)
	echo "# left-behind tripwire: 8 MiB below it in $((below_usec / 1000)) ms; 8 MiB across it in $((above_usec / 1000)) ms; memory.events high +$((h1 - h0))" >&3

	# the next memhook: recognises it (pid gone), removes it, arms its own at the next threshold
	mh_start --policy "$P" --cgroup "$CG"
	wait_for 20 mh_logged "removed the tripwire memhook pid $old left on $CG when it ended without cleaning up: memory.high $L1 -> max"
	wait_for 10 high_is $L2
	xattr_is "^armed $L2 pid $MH_PID "
	mh_stop
	high_is max
	xattr_none
}

@test "tripwire: a memory.high written by someone else is left alone, at start and while armed" {
	# at start: 40 MiB set by the owner
	cg_with_hog other 8
	echo $((40 * MiB)) >"$CG/memory.high"
	P=$(trip_policy other)
	mh_start --policy "$P" --cgroup "$CG"
	wait_for 20 mh_logged "no tripwire on $CG: memory.high is $((40 * MiB)), set by someone else \\(left as it is\\)"
	hog_do other "grow 28"
	wait_for 15 hook_find other event=entered level=1
	high_is $((40 * MiB))
	xattr_none
	mh_stop
	high_is $((40 * MiB))

	# while armed: an operator writes 60 MiB; the next move finds it and stands down, once
	echo max >"$CG/memory.high"
	hog_do other "shrink 28"
	P=$(trip_policy other2)
	mh_start --policy "$P" --cgroup "$CG"
	wait_for 20 high_is $L1
	echo $((60 * MiB)) >"$CG/memory.high"
	hog_do other "grow 28"
	wait_for 15 hook_find other2 event=entered level=1
	wait_for 5 mh_logged "memory.high of $CG is $((60 * MiB)), not the tripwire memhook armed \\($L1\\): someone else set it, it stays; the tripwire stands down for this target"
	high_is $((60 * MiB))
	xattr_none
	mh_stop
	high_is $((60 * MiB))
}

@test "tripwire: off in the policy never touches memory.high; a reload turns it on, and off again restores max" {
	cg_with_hog off 8
	P=$(trip_policy off ', "tripwire": false')
	mh_start --policy "$P" --cgroup "$CG"
	wait_for 20 mh_logged "watching"
	run "$MEMHOOK" check --policy "$P"
	[[ $output == *"tripwire off"* ]]
	trip_policy off >/dev/null # the same policy with the tripwire on (the default)
	kill -HUP "$MH_PID"
	wait_for 20 mh_logged "SIGHUP: policy .* reloaded"
	wait_for 20 high_is $L1
	trip_policy off ', "tripwire": false' >/dev/null
	kill -HUP "$MH_PID"
	wait_for 20 mh_logged "the policy turns the tripwire off: tripwire removed: memory.high of $CG back to max"
	high_is max
	xattr_none
}

@test "tripwire: memhook's own memory_high action takes over; it saves max, the value the tripwire replaced" {
	cg_with_hog mha 8
	# level 1's action; the tripwire stands at level 2's threshold then
	P=$(policy mha '{"check_interval": "10s", "min_interval": "10s",
		"levels": [{"name": "half", "when": {"local_relative": 50}},
		           {"name": "quarter", "when": {"local_relative": 25}}],
		"handlers": [{"on": "entered", "level": 1, "memory_high": "90%"}]}')
	mh_start --policy "$P" --cgroup "$CG"
	wait_for 20 high_is $L1
	hog_do mha "grow 28"
	local want=$((64 * MiB * 90 / 100 / 4096 * 4096))
	wait_for 5 high_is $want
	wait_for 5 mh_logged "handlers\\[0\\]: memory.high set to [0-9.]+Mi \\(it was max; restored on normal\\)"
	mh_logged "handlers\\[0\\]: memory_high: tripwire removed: memory.high of $CG back to max \\(it was $L2\\)"
	xattr_none
	mh_stop
	high_is max
}
