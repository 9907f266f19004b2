#!/usr/bin/env bats
# The tests that need zram swap, or turn it off, or run into memory.high: serial (swap is global),
# after cgroup-v2.bats, inside the test VM (tests/vm/run.sh). As root.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	[ -e "$HOOK_DIR/.ready" ] # the listener guest.sh started
	export BATS_NO_PARALLELIZE_WITHIN_FILE=true
}

teardown() {
	vm_teardown
}

@test "reclaim with zram swap: memory.reclaim lowers usage, logged with how far it fell" {
	zram_swap_on
	cg_new rec 64M
	hog_start rec "$CG"
	hog_do rec "grow 40"
	before=$(cg_current "$CG")
	P=$(policy rec '{"check_interval": "250ms",
		"levels": [{"name": "full", "when": {"local_absolute": "32Mi"}}],
		"handlers": [{"on": "entered", "level": 1, "reclaim": "16Mi"}]}')
	mh_start --policy "$P" --cgroup "$CG"
	wait_for 30 mh_logged 'handlers\[0\]: reclaim'
	mh_logged 'handlers\[0\]: reclaimed 16(\.0)?Mi; usage 4[0-3][0-9.]*Mi -> [0-9.]+Mi, fell by [0-9.]+Mi'
	after=$(cg_current "$CG")
	read -r swapped <"$CG/memory.swap.current"
	echo "memory.current $before -> $after, memory.swap.current $swapped"
	[ "$after" -le $((before - 12 * MiB)) ]
	[ "$swapped" -ge $((8 * MiB)) ]
	mh_running
}

@test "reclaim without swap: EAGAIN is reported as a partial reclaim, memhook keeps running" {
	swapoff /dev/zram0
	refute zram_swap_on
	cg_new eagain 64M
	hog_start eagain "$CG"
	hog_do eagain "grow 40"
	P=$(policy eagain '{"check_interval": "250ms",
		"levels": [{"name": "full", "when": {"local_absolute": "32Mi"}}],
		"handlers": [{"on": "entered", "level": 1, "reclaim": "16Mi"},
		             {"on": "left", "webhook": '"$(webhook eagain)"'}]}')
	mh_start --policy "$P" --cgroup "$CG"
	wait_for 30 mh_logged 'handlers\[0\]: reclaim'
	mh_logged 'handlers\[0\]: reclaim of 16(\.0)?Mi was partial \(EAGAIN.*usage [0-9.]+Mi -> [0-9.]+Mi, fell by'
	refute mh_logged 'reclaim failed'
	mh_running
	# still watching: the level is left once the hog gives memory back
	hog_do eagain "shrink 32"
	wait_for 20 hook_find eagain event=left
	mh_running
}

# thrash_until_hook NAME KEY=VALUE...: keeps the hog re-touching its pages (swap-in, reclaim,
# stall) one pass after another until a matching webhook arrives. HOG_SENT: commands sent so far.
thrash_until_hook() {
	local mib done
	read -r mib done <"/tmp/hog-$1.st"
	if [ "$done" -ge "$HOG_SENT" ]; then
		hog_send "$1" touch
		HOG_SENT=$((HOG_SENT + 1))
	fi
	hook_find "$@"
}

@test "pressure condition: PSI some avg10 above 1% under memory.high" {
	cg_new psi 64M 16M
	hog_start psi "$CG"
	hog_do psi "grow 8"
	P=$(policy psi '{"check_interval": "250ms",
		"levels": [{"name": "stalled", "when": {"pressure": {"kind": "some", "window": "avg10", "above": 1}}}],
		"handlers": [{"on": "entered", "webhook": '"$(webhook psi)"'}]}')
	mh_start --policy "$P" --cgroup "$CG"
	wait_for 20 mh_logged "watching"
	refute hook_find psi
	hog_send psi "grow 16" # 24 MiB against memory.high 16M: reclaim into zram, stalls
	HOG_SENT=2
	wait_for 60 thrash_until_hook psi event=entered
	hook_expect psi event=entered level_name=stalled
	mh_logged 'level 0 -> 1 \(stalled\): entered'
}

@test "events condition: a memory.high event since the last check" {
	cg_new ev 64M 16M
	hog_start ev "$CG"
	hog_do ev "grow 8"
	P=$(policy ev '{"check_interval": "250ms",
		"levels": [{"name": "throttled", "when": {"events": "high"}}],
		"handlers": [{"on": "entered", "webhook": '"$(webhook ev)"'}]}')
	mh_start --policy "$P" --cgroup "$CG"
	wait_for 20 mh_logged "watching"
	eq "memory.events high" "$(cg_event "$CG" high)" 0
	refute hook_find ev
	hog_send ev "grow 12" # 20 MiB: past memory.high
	wait_for 30 hook_find ev event=entered
	hook_expect ev event=entered level_name=throttled
	[ "$(cg_event "$CG" high)" -ge 1 ]
}
