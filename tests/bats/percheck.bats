#!/usr/bin/env bats
# What a check logs, now that it formats only what is written: the debug line of every check, the
# steps at info, an OOM kill at warn when info is hidden, and nothing for a steady check.

bats_require_minimum_version 1.5.0
load helpers

MiB=1048576

setup() {
	common_setup
	fixture_v2 "$T/cg" $((10 * MiB)) $((100 * MiB))
	fixture_proc "$T/proc" 8000000 4000000
	cat > "$T/p.json" <<JSON
{"check_interval": "50ms", "log_transitions": true,
 "levels": [{"name": "elevated", "when": {"local_relative": 30}},
            {"name": "high", "when": {"local_relative": 15}}],
 "handlers": [{"on": "oom_kill", "exec": {"command": ["/bin/true"]}}]}
JSON
}
teardown() { common_teardown; }

# check_lines: the "check N at T us (monotonic): usage U bytes, level L" lines, as "N U L".
check_lines() {
	sed -nE 's/.* debug: check ([0-9]+) at [0-9]+ us \(monotonic\): usage ([0-9]+) bytes, level ([0-9]+); next in [0-9]+ us$/\1 \2 \3/p' \
		"$T/memhook.log"
}
status_level() { [ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["level"])' "$T/status" 2>/dev/null)" = "$1" ]; }
checks_logged() { [ "$(check_lines | wc -l)" -ge "$1" ]; }
# events_oom_kill N: memory.events with oom_kill (and oom) at N.
events_oom_kill() {
	printf 'low 0\nhigh 0\nmax 0\noom %s\noom_kill %s\noom_group_kill 0\n' "$1" "$1" > "$T/cg/memory.events"
}

@test "with --log-level debug every check logs its line: numbered from 1, its usage and level" {
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc" --log-level debug
	wait_for 5 checks_logged 5
	set_usage "$T/cg" $((75 * MiB))
	wait_for 5 log_has 'level 0 -> 1 \(elevated\): entered; usage 75Mi of 100Mi, 25\.0% free'
	wait_for 5 eval 'check_lines | grep -q " $((75 * MiB)) 1$"'
	memhook_stop
	[ "$MH_RC" = 0 ]
	# one line per check, numbered 1, 2, 3 … without a gap, as many as the daemon counted
	run check_lines
	python3 - "$output" "$(grep -oE 'stopped: [0-9]+ checks' "$T/memhook.log")" <<'PY'
import sys
lines = [l.split() for l in sys.argv[1].splitlines()]
nums = [int(n) for n, _, _ in lines]
assert nums == list(range(1, len(nums) + 1)), nums
assert int(sys.argv[2].split()[1]) == len(nums), (sys.argv[2], len(nums))
before = [(int(u), int(l)) for _, u, l in lines if int(u) == 10 * 1048576]
after = [(int(u), int(l)) for _, u, l in lines if int(u) == 75 * 1048576]
assert before and after and len(before) + len(after) == len(lines), lines
assert all(l == 0 for _, l in before) and all(l == 1 for _, l in after), lines
PY
	# a steady check writes nothing at info: the step lines are the entered one only
	[ "$(grep -c ' info: level ' "$T/memhook.log")" = 1 ]
}

@test "at info: no check lines, every step with its sizes; a limit change with both limits" {
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	wait_for 5 log_has watching
	set_usage "$T/cg" $((88 * MiB))
	wait_for 5 log_has 'level 1 -> 2 \(high\): entered; usage 88Mi of 100Mi, 12\.0% free'
	log_has 'level 0 -> 1 \(elevated\): entered; usage 88Mi of 100Mi, 12\.0% free'
	echo $((200 * MiB)) > "$T/cg/memory.max"
	wait_for 5 log_has "limit changed: 100Mi -> 200Mi \($((100 * MiB)) -> $((200 * MiB)) bytes\); usage 88Mi, 56\.0% free"
	wait_for 5 log_has 'level 0 \(normal\): memory is back to normal; usage 88Mi of 200Mi, 56\.0% free'
	log_has 'level 2 -> 1 \(elevated\): left high; usage 88Mi of 200Mi, 56\.0% free'
	log_has 'level 1 -> 0 \(normal\): left elevated; usage 88Mi of 200Mi, 56\.0% free'
	memhook_stop
	[ "$MH_RC" = 0 ]
	run ! grep -q ' debug: ' "$T/memhook.log"
	[ "$(grep -c ' info: level ' "$T/memhook.log")" = 5 ] # 2 entered, 2 left, 1 normal
}

@test "at --log-level warn no step is written, and an OOM kill still is" {
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc" --log-level warn \
		--status-file "$T/status"
	set_usage "$T/cg" $((88 * MiB))
	# the step to level 2 rewrites the status file: memory.events has its baseline by then
	wait_for 5 status_level 2
	events_oom_kill 1
	wait_for 5 log_has 'warn: OOM kill in the target: oom_kill \+1 \(total 1\)'
	memhook_stop
	[ "$MH_RC" = 0 ]
	run ! grep -qE ' (info|debug): ' "$T/memhook.log"
}
