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

# ---- the policy file and its bounds ----

# status_checks: the "checks" count in $T/status.
status_checks() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["checks"])' "$T/status"; }
# status_checks_above N: the status file counts more than N checks.
status_checks_above() { [ -s "$T/status" ] && [ "$(status_checks)" -gt "$1" ]; }
# stopped_within SECONDS: SIGTERM, then memhook must be gone within the deadline; sets MH_RC.
stopped_within() {
	kill -TERM "$MH_PID"
	wait_for "$1" eval '! kill -0 "$MH_PID" 2>/dev/null'
	MH_RC=0
	wait "$MH_PID" || MH_RC=$?
}
# headers_policy FILE N: one level, and a webhook with N headers.
headers_policy() {
	python3 - "$1" "$2" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
h = ",".join('"X-%x":""' % i for i in range(n))
open(path, "w").write('{"check_interval":"50ms","levels":[{"name":"tight","when":{"local_relative":10}}],'
                      '"handlers":[{"on":"entered","webhook":{"url":"http://127.0.0.1:9/","headers":{%s}}}]}' % h)
PY
}

@test "check refuses a FIFO as the policy at once (it waited for a writer forever)" {
	mkfifo "$T/policy.json"
	run timeout 5 "$MEMHOOK" check --policy "$T/policy.json"
	[ "$status" -eq 2 ]
	[ "$output" = "memhook: $T/policy.json: not a regular file" ]
	run timeout 5 "$MEMHOOK" check --policy "$T"
	[ "$status" -eq 2 ]
	[ "$output" = "memhook: $T: not a regular file" ]
}

@test "SIGHUP with the policy replaced by a FIFO: rejected, the checks go on, SIGTERM stops at once" {
	cat > "$T/p.json" <<JSON
{"check_interval":"50ms","levels":[{"name":"tight","when":{"local_relative":10}}]}
JSON
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc" --status-file "$T/status"
	wait_for 5 log_has watching
	wait_for 5 test -s "$T/status"
	rm "$T/p.json"
	mkfifo "$T/p.json"
	kill -HUP "$MH_PID"
	wait_for 3 log_has "SIGHUP: new policy rejected, the old one keeps running: $T/p.json: not a regular file"
	local before
	before=$(status_checks)
	# the loop still checks: a level entered is logged and written at once
	set_usage "$T/cg" $((95 * MiB))
	wait_for 3 log_has '-> 1 \(tight\): entered'
	wait_for 3 status_checks_above "$before"
	stopped_within 3
	[ "$MH_RC" -eq 0 ]
}

@test "80,000 webhook headers are refused in well under a second, with where" {
	headers_policy "$T/p.json" 80000
	local start=$(date +%s%N)
	run timeout 20 "$MEMHOOK" check --policy "$T/p.json"
	local took_ms=$((($(date +%s%N) - start) / 1000000))
	[ "$status" -eq 2 ]
	[ "$output" = "memhook: $T/p.json: handlers[0].webhook.headers: at most 64 headers" ]
	echo "took $took_ms ms"
	[ "$took_ms" -lt 1000 ]
}

@test "600 custom conditions are refused at load, with the bound (they ran out of fds silently)" {
	python3 - "$T/p.json" <<'PY'
import json, sys
probe = {"custom": {"command": ["/bin/true"]}}
levels = [{"name": "l%d" % i, "when": {"any": [probe] * 20}} for i in range(30)]
json.dump({"levels": levels}, open(sys.argv[1], "w"))
PY
	run timeout 20 "$MEMHOOK" check --policy "$T/p.json"
	[ "$status" -eq 2 ]
	[ "$output" = "memhook: $T/p.json: levels[0].when.any[16].custom: at most 16 custom conditions (probes) per policy: each runs as a process at every check" ]
	run timeout 20 "$MEMHOOK" run --once --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	[ "$status" -eq 2 ]
	[[ "$output" == *"at most 16 custom conditions"* ]]
}

@test "a reload of a policy with 80,000 headers is refused without holding the loop" {
	cat > "$T/p.json" <<JSON
{"check_interval":"50ms","levels":[{"name":"tight","when":{"local_relative":10}}]}
JSON
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc" --status-file "$T/status"
	wait_for 5 log_has watching
	wait_for 5 test -s "$T/status"
	headers_policy "$T/p.json" 80000
	kill -HUP "$MH_PID"
	# it held the loop for 21 s: now the rejection is logged at once
	wait_for 3 log_has "SIGHUP: new policy rejected, the old one keeps running: $T/p.json: handlers\[0\]\.webhook\.headers: at most 64 headers"
	local before
	before=$(status_checks)
	set_usage "$T/cg" $((95 * MiB))
	wait_for 3 log_has '-> 1 \(tight\): entered'
	wait_for 3 status_checks_above "$before"
	stopped_within 3
	[ "$MH_RC" -eq 0 ]
}

@test "check never prints a webhook URL's user name and password" {
	cat > "$T/p.json" <<JSON
{"levels":[{"name":"tight","when":{"local_relative":10}}],
 "handlers":[{"on":"entered","webhook":{"url":"http://alice:S3cretPW@127.0.0.1:9/hook?to=a@b"}}]}
JSON
	run "$MEMHOOK" check --policy "$T/p.json" --webhook "https://bob:0therPW@hooks.example/m"
	[ "$status" -eq 0 ]
	[[ "$output" == *"-> webhook http://***@127.0.0.1:9/hook?to=a@b (timeout 5s, retries 3)"* ]]
	[[ "$output" == *"-> webhook https://***@hooks.example/m (timeout 5s, retries 3)"* ]]
	[[ "$output" != *S3cretPW* ]]
	[[ "$output" != *alice* ]]
	[[ "$output" != *0therPW* ]]
}

@test "a mount root with trailing slashes and the root cgroup (\"0::/\"): the right cgroup, no over-read" {
	# a heap over-read (ASan) in lib/resolve.c: the cgroup path was cut at the root's length
	# with its trailing slashes, past the end of "/"
	fixture_v2 "$T/mnt" $((30 * MiB)) $((100 * MiB))
	mkdir -p "$T/proc/778"
	echo "35 30 0:30 // $T/mnt rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw" > "$T/proc/self/mountinfo"
	echo '0::/' > "$T/proc/778/cgroup"
	run "$MEMHOOK" run --once --pid 778 --proc-root "$T/proc"
	[ "$status" -eq 0 ]
	[[ "$output" == *"\"cgroup\":	\"$T/mnt\""* ]]
	[[ "$output" == *"\"usage_bytes\":	$((30 * MiB))"* ]]
	# root "/a//" and the target in "/a" itself
	echo "35 30 0:30 /a// $T/mnt rw,relatime - cgroup2 cgroup2 rw" > "$T/proc/self/mountinfo"
	echo '0::/a' > "$T/proc/778/cgroup"
	run "$MEMHOOK" run --once --pid 778 --proc-root "$T/proc"
	[ "$status" -eq 0 ]
	[[ "$output" == *"\"cgroup\":	\"$T/mnt\""* ]]
	# v1: "4:memory:/" under a v1 memory mount with root "//"
	echo "34 30 0:31 // $T/mnt rw,relatime - cgroup cgroup rw,memory" > "$T/proc/self/mountinfo"
	printf '4:memory:/\n0::/\n' > "$T/proc/778/cgroup"
	run "$MEMHOOK" run --once --pid 778 --proc-root "$T/proc"
	[[ "$output" == *"\"cgroup\":	\"$T/mnt\""* ]]
	# a relative mount point is no mount
	printf '35 30 0:30 / mnt rw - cgroup2 cgroup2 rw\n' > "$T/proc/self/mountinfo"
	echo '0::/' > "$T/proc/778/cgroup"
	run "$MEMHOOK" run --once --pid 778 --proc-root "$T/proc"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no memory cgroup mount"* ]]
}
