#!/usr/bin/env bats
# Limits that move and throttling on the host's real cgroup v1: limit_changed when
# memory.limit_in_bytes changes under a running memhook (webhook and exec), and memory_high
# refused at start on v1. (memory_high itself runs in the v2 VM: tests/vm/cgroup-v2.bats.)

load helpers

MiB=1048576

setup() {
	common_setup
	needs_cg1 || return 1
	cg1_create "memhook-limits-$$-$BATS_TEST_NUMBER" $((64 * MiB))
	listener_start
}
teardown() { common_teardown; }

count_limit_changed() {
	python3 - "$REQS" <<'PY'
import json, sys
print(sum(json.loads(json.loads(l)["body"])["event"] == "limit_changed" for l in open(sys.argv[1])))
PY
}
limit_changed_at_least() { [ "$(count_limit_changed)" -ge "$1" ]; }
exec_lines_at_least() { [ -f "$T/exec.out" ] && [ "$(wc -l < "$T/exec.out")" -ge "$1" ]; }
checks_logged() { grep -c "memhook debug: check [0-9]* at" "$T/memhook.log" || true; }
checks_at_least() { [ "$(checks_logged)" -ge "$1" ]; }

@test "v1: changing memory.limit_in_bytes under memhook sends limit_changed with both limits, to a webhook and an exec" {
	printf '#!/bin/bash\necho "$MEMHOOK_EVENT $MEMHOOK_OLD_LIMIT_BYTES $MEMHOOK_NEW_LIMIT_BYTES $MEMHOOK_LIMIT_BYTES $MEMHOOK_LEVEL" >> "%s"\n' \
		"$T/exec.out" > "$T/hook.sh"
	chmod +x "$T/hook.sh"
	cat > "$T/p.json" <<JSON
{"check_interval": "100ms",
 "levels": [{"name": "tight", "when": {"local_relative": 50}}],
 "handlers": [{"on": "limit_changed", "webhook": {"url": "$URL"}},
              {"on": "limit_changed", "exec": ["$T/hook.sh"]}]}
JSON
	run "$MEMHOOK" check --policy "$T/p.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *"on limit_changed -> webhook"* ]]
	hog_start "$CG"
	hog grow 8
	memhook_start --policy "$T/p.json" --cgroup "$CG" --log-level debug
	wait_for 10 log_has "watching cgroup $CG \(v1\)"
	# checks at the first limit: no event (a target's first limit is no change)
	wait_for 10 checks_at_least 5
	[ "$(count_limit_changed)" -eq 0 ]

	echo $((128 * MiB)) > "$CG/memory.limit_in_bytes"
	wait_for 10 limit_changed_at_least 1
	run event_field limit_changed '*' 'b["old_limit_bytes"], b["new_limit_bytes"], b["sample"]["limit_bytes"], b["level"], b["previous_level"]'
	[ "$output" = "$((64 * MiB)) $((128 * MiB)) $((128 * MiB)) 0 0" ]
	wait_for 10 exec_lines_at_least 1
	[ "$(sed -n 1p "$T/exec.out")" = "limit_changed $((64 * MiB)) $((128 * MiB)) $((128 * MiB)) 0" ]
	log_has "limit changed: 64Mi -> 128Mi \($((64 * MiB)) -> $((128 * MiB)) bytes\); usage [0-9.]+Mi"

	# down, below twice the usage: limit_changed, then the level decided on the new limit
	echo $((24 * MiB)) > "$CG/memory.limit_in_bytes"
	wait_for 10 limit_changed_at_least 2
	wait_for 10 exec_lines_at_least 2
	[ "$(sed -n 2p "$T/exec.out")" = "limit_changed $((128 * MiB)) $((24 * MiB)) $((24 * MiB)) 0" ]
	wait_for 10 log_has "level 0 -> 1 \(tight\): entered; usage [0-9.]+Mi of 24Mi"
	# one event per change, not one per check
	local n
	n=$(checks_logged)
	wait_for 10 checks_at_least $((n + 5))
	[ "$(count_limit_changed)" -eq 2 ]
	memhook_stop
}

@test "v1: a memory_high policy is refused at start, naming the handler, with exit code 2" {
	cat > "$T/p.json" <<'JSON'
{"levels": [{"name": "a", "when": {"local_relative": 30}}],
 "handlers": [{"on": "entered", "level": 1, "webhook": {"url": "http://127.0.0.1:9/x"}},
              {"on": "entered", "level": 1, "memory_high": "80%"}]}
JSON
	run "$MEMHOOK" check --policy "$T/p.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *"handler 1: on entered level 1 -> memory_high 80% of the limit (restored on normal)"* ]]
	run "$MEMHOOK" check --policy "$T/p.json" --cgroup "$CG"
	[ "$status" -eq 2 ]
	[[ "$output" == *"handlers[1].memory_high: needs cgroup v2 memory.high; the target is cgroup v1"* ]]
	run timeout 10 "$MEMHOOK" --policy "$T/p.json" --cgroup "$CG"
	[ "$status" -eq 2 ]
	[[ "$output" == *"handlers[1].memory_high: needs cgroup v2 memory.high; the target is cgroup v1"* ]]
	[ "$(cat "$CG/memory.limit_in_bytes")" -eq $((64 * MiB)) ]
}
