#!/usr/bin/env bats
# Faults found by hostile testing: each test failed before its fix.

bats_require_minimum_version 1.5.0
load helpers

MiB=1048576

setup() {
	common_setup
	fixture_v2 "$T/cg" $((10 * MiB)) $((100 * MiB))
	fixture_proc "$T/proc" 8000000 4000000
}
teardown() { common_teardown; }

# summaries_at_least N: the log has N or more "repeated" summary lines.
summaries_at_least() { [ "$(grep -c 'repeated [0-9]* more times' "$T/memhook.log")" -ge "$1" ]; }

@test "a fault at every 10 ms check is logged about once a second, with how often it repeated" {
	cat > "$T/p.json" <<JSON
{"check_interval":"10ms","levels":[{"name":"tight","when":{"local_relative":10}}]}
JSON
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	wait_for 5 log_has watching
	echo garbage > "$T/cg/memory.current"
	wait_for 10 summaries_at_least 2
	# two windows of about a second each at 100 checks a second: a handful of lines, not hundreds
	run grep -c "reading $T/cg: unexpected content; check skipped" "$T/memhook.log"
	[ "$output" -le 5 ]
	# the summary quotes the message and counts the checks left out
	run grep -Eo '"reading [^"]*check skipped" repeated [0-9]+ more times in [0-9.]+s' "$T/memhook.log"
	[ "$status" -eq 0 ]
	n=$(head -n1 <<<"$output" | sed -E 's/.* repeated ([0-9]+) more.*/\1/')
	[ "$n" -ge 20 ]
	# the checks went on: back to a good value, memhook is still at work
	set_usage "$T/cg" $((95 * MiB))
	wait_for 5 log_has 'entered'
	memhook_stop
	[ "$MH_RC" -eq 0 ]
}

@test "the status file's temporary never follows a planted symlink; none is left behind" {
	mkdir -m 1777 "$T/shared"
	echo "precious" > "$T/victim"
	ln -s "$T/victim" "$T/shared/status.json.tmp"     # the name memhook once used
	cat > "$T/p.json" <<JSON
{"check_interval":"50ms","levels":[{"name":"tight","when":{"local_relative":10}}]}
JSON
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc" --status-file "$T/shared/status.json"
	wait_for 5 test -s "$T/shared/status.json"
	set_usage "$T/cg" $((95 * MiB))
	wait_for 5 grep -q '"level":1' "$T/shared/status.json"
	memhook_stop
	[ "$MH_RC" -eq 0 ]
	[ "$(cat "$T/victim")" = "precious" ]
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["level"] == 1, d' "$T/shared/status.json"
	[ "$(stat -c %a "$T/shared/status.json")" = 644 ]
	run ! compgen -G "$T/shared/.status.json.*"
}
