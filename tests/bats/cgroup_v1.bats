#!/usr/bin/env bats
# The real binary against a real cgroup v1 memory controller on this host: a limited cgroup, a
# process whose memory grows and shrinks in it, a loopback listener, real signals and commands.

load helpers

MiB=1048576

setup() {
	common_setup
	needs_cg1 || return 1
	cg1_create "memhook-test-$$-$BATS_TEST_NUMBER" $((64 * MiB))
	listener_start
}
teardown() { common_teardown; }

# policy: elevated below 60% free (> 25.6 MiB used), high below 35% free (> 41.6 MiB used).
write_policy() {
	cat > "$T/p.json" <<JSON
{"check_interval": "100ms", "log_transitions": true,
 "levels": [{"name": "elevated", "when": {"local_relative": 60}},
            {"name": "high", "when": {"local_relative": 35}}],
 "handlers": [
   {"on": "entered", "webhook": {"url": "$URL"}},
   {"on": "left", "webhook": {"url": "$URL"}},
   {"on": "normal", "webhook": {"url": "$URL"}},
   {"on": "target_lost", "webhook": {"url": "$URL"}},
   {"on": "entered", "level": 2, "signal": "SIGUSR1"},
   {"on": "entered", "level": 2, "exec": ["$T/hook.sh"]}
 ]}
JSON
	cat > "$T/hook.sh" <<EOF
#!/bin/bash
echo "\$MEMHOOK_EVENT \$MEMHOOK_LEVEL \$MEMHOOK_LEVEL_NAME \$MEMHOOK_USAGE_BYTES \$MEMHOOK_CGROUP" >> "$T/exec.out"
EOF
	chmod +x "$T/hook.sh"
}

usage() { cat "$CG/memory.usage_in_bytes"; }

@test "v1: growing memory walks the levels up; webhook, signal and exec reach the real process" {
	write_policy
	hog_start "$CG"
	memhook_start --policy "$T/p.json" --cgroup "$CG"
	wait_for 10 log_has "watching cgroup $CG \(v1\)"
	hog grow 24
	wait_for 10 has_event entered 1
	run event_field entered 1 'b["target"]["cgroup"], b["sample"]["limit_bytes"]'
	[ "$output" = "$CG $((64 * MiB))" ]
	run event_field entered 1 'b["sample"]["usage_bytes"] > 25 * 2**20 and b["sample"]["local_free_percent"] < 60'
	[ "$output" = True ]
	hog grow 16
	wait_for 10 has_event entered 2
	wait_for 10 grep -q SIGUSR1 "$T/hog.trap"
	wait_for 10 test -s "$T/exec.out"
	read -r ev lvl name used cg < "$T/exec.out"
	[ "$ev $lvl $name $cg" = "entered 2 high $CG" ]
	[ "$used" -gt $((41 * MiB)) ]
	kill -0 "$HOG_PID"      # the trapped signal did not kill it
}

@test "v1: freeing memory returns to normal through left 2, left 1" {
	write_policy
	hog_start "$CG"
	memhook_start --policy "$T/p.json" --cgroup "$CG"
	hog grow 40
	wait_for 10 has_event entered 2
	hog free
	wait_for 10 has_event normal
	run events_in_order
	[ "$output" = "entered:1 entered:2 left:1 left:0 normal:0" ]
	log_has 'memory is back to normal'
}

@test "v1: removing the cgroup sends target_lost and memhook keeps running" {
	write_policy
	hog_start "$CG"
	memhook_start --policy "$T/p.json" --cgroup "$CG"
	wait_for 10 log_has watching
	kill -9 "$HOG_PID"
	wait "$HOG_PID" || true
	cg_remove "$CG"
	wait_for 10 has_event target_lost
	log_has "target lost: cgroup $CG"
	kill -0 "$MH_PID"
}

@test "v1: --pid and --process resolve the process's cgroup through /proc" {
	write_policy
	hog_start "$CG"
	hog grow 30
	run "$MEMHOOK" run --once --pid "$HOG_PID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"\"cgroup\":	\"$CG\""* ]]
	[[ "$output" == *"\"pid\":	$HOG_PID"* ]]
	[[ "$output" == *"\"limit_bytes\":	$((64 * MiB))"* ]]
	# a process with a name of our own in the same cgroup (exec -a: argv[0] is the name)
	bash -c 'echo $$ > "$1/cgroup.procs" && exec -a memhook-test-sleeper /bin/sleep 600' x "$CG" &
	SLEEPER=$!
	PIDS+=("$SLEEPER")
	wait_for 5 grep -qx "$SLEEPER" "$CG/cgroup.procs"
	wait_for 5 grep -q memhook-test-sleeper "/proc/$SLEEPER/cmdline"
	run "$MEMHOOK" run --once --process memhook-test-sleeper
	[ "$status" -eq 0 ]
	[[ "$output" == *"\"cgroup\":	\"$CG\""* ]]
	memhook_start --policy "$T/p.json" --process memhook-test-sleeper
	wait_for 10 has_event entered 1
	run event_field entered 1 'b["target"]["pid"], b["target"]["cgroup"]'
	[ "$output" = "$SLEEPER $CG" ]
	# the process exits: target lost; memhook keeps running and waits for a new one
	kill "$SLEEPER"
	wait_for 10 has_event target_lost
	wait_for 10 log_has 'no process named memhook-test-sleeper'
	kill -0 "$MH_PID"
}

@test "v1: memory.stat breakdown and processes by RSS with dump" {
	hog_start "$CG"
	hog grow 20
	run "$MEMHOOK" dump --cgroup "$CG"
	[ "$status" -eq 0 ]
	echo "$output"
	[[ "$output" == *rss* ]]
	[[ "$output" == *"$HOG_PID"* ]]
}

@test "v1: a directory without the memory controller is named as such, with where it really is" {
	run "$MEMHOOK" run --once --cgroup "$CG1_ROOT/../unified"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not a memory cgroup"*"memory controller is at $CG1_ROOT, cgroup v1"* ]]
	run "$MEMHOOK" run --once --cgroup "$CG"
	[[ "$output" == *"\"memory_controller\":	\"$CG1_ROOT\""* ]]
}
