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
	run grep -c "reading $T/cg: unexpected content in memory.current; check skipped" "$T/memhook.log"
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

# ---- the target's pid taken over by another process (item 3) ----

# pid_reuse MODE: inside a new pid namespace (so ns_last_pid is ours to set), memhook watches a
# process (--pid, or --process by name) with a policy that sends it SIGUSR1 at every 50 ms check;
# the process is killed and a stranger (another name) is started with the same pid, and listens
# for a second. Leaves $T/usr1 (who got SIGUSR1), $T/target.pid, $T/stranger.pid, memhook's log.
pid_reuse() {
	cat > "$T/p.json" <<JSON
{"check_interval":"50ms","levels":[{"name":"any","when":{"local_relative":100}}],
 "handlers":[{"on":"remaining","signal":"SIGUSR1"}]}
JSON
	cat > "$T/inner.sh" <<'SH'
set -eu
MEMHOOK=$1 T=$2 MODE=$3 HELPERS=$4
source "$HELPERS"
PIDS=()
REC="$HERE_LIB/usr1_recorder.py"
# USR1 ignored until python's handler is in place: a signal before it would kill the recorder
bash -c "trap '' USR1; exec python3 '$REC' target '$T'" &
TGT=$!
wait_for 10 test -s "$T/target.pid"
if [ "$MODE" = pid ]; then target=(--pid "$TGT"); else target=(--process mh-target); fi
memhook_start --policy "$T/p.json" "${target[@]}"
wait_for 10 grep -qs target "$T/usr1"
kill -9 "$TGT"
wait "$TGT" || true
echo $((TGT - 1)) > /proc/sys/kernel/ns_last_pid
bash -c "trap '' USR1; exec python3 '$REC' stranger '$T' 1" &
wait_for 10 test -e "$T/stranger.done"
memhook_stop
echo "$MH_RC" > "$T/rc"
SH
	run unshare --pid --fork --mount-proc bash "$T/inner.sh" "$MEMHOOK" "$T" "$1" \
		"$BATS_TEST_DIRNAME/helpers.bash"
	echo "$output"
	[ "$status" -eq 0 ]
	TGT=$(cat "$T/target.pid")
	# the stranger really has the target's pid (otherwise the test proves nothing)
	[ "$(cat "$T/stranger.pid")" = "$TGT" ]
	grep -q target "$T/usr1"
	[ "$(cat "$T/rc")" = 0 ]
}

@test "--pid: the target exits and a stranger gets its pid: lost at once, never signalled, never taken" {
	pid_reuse pid
	run ! grep -qs stranger "$T/usr1"
	log_has "target lost: cgroup .*, pid $TGT: process $TGT exited"
	log_has "pid $TGT is gone and will not be taken again"
	run ! log_has 'target found'
}

@test "--process: a stranger with the target's pid is not the target: lost, never signalled" {
	pid_reuse process
	run ! grep -qs stranger "$T/usr1"
	log_has "target lost: cgroup .*, pid $TGT: process $TGT exited"
	log_has 'target not found: no process named mh-target'
	run ! log_has 'target found'
}

@test "the target's exit is seen at once through its pidfd, not at the next check" {
	cat > "$T/p.json" <<JSON
{"check_interval":"10m","levels":[{"name":"tight","when":{"local_relative":10}}]}
JSON
	sleep 600 &
	local s=$!
	PIDS+=("$s")
	memhook_start --policy "$T/p.json" --pid "$s"
	wait_for 5 log_has "watching .*pid $s"
	kill "$s"
	wait "$s" || true
	wait_for 3 log_has "target lost: .*pid $s: process $s exited"
	memhook_stop
	[ "$MH_RC" -eq 0 ]
}

# fixture_process DIR PID NAME STARTTIME: a process in a fake /proc (comm, cmdline, stat with its
# start time) whose cgroup is $T/cgroot/app, a cgroup2 fixture mounted (in its mountinfo) at $T/cgroot.
fixture_process() {
	mkdir -p "$1/$2" "$1/self"
	echo "$3" > "$1/$2/comm"
	printf '%s\0' "$3" > "$1/$2/cmdline"
	echo '0::/app' > "$1/$2/cgroup"
	echo "35 30 0:30 / $T/cgroot rw,relatime - cgroup2 cgroup2 rw" > "$1/self/mountinfo"
	set_starttime "$1" "$2" "$3" "$4"
}
# set_starttime DIR PID NAME STARTTIME: its stat, with a comm that has spaces and parentheses.
set_starttime() {
	echo "$2 ($3 (x) y) S 1 $2 $2 0 -1 4194560 100 0 0 0 1 1 0 0 20 0 1 0 $4 1000 10 1844674" > "$1/$2/stat.new"
	mv "$1/$2/stat.new" "$1/$2/stat"
}

@test "--process: the same pid with another start time is another process: lost, then found anew" {
	listener_start
	fixture_v2 "$T/cgroot/app" $((10 * MiB)) $((100 * MiB))
	fixture_process "$T/proc" 4242 myapp 5000
	cat > "$T/p.json" <<JSON
{"check_interval":"50ms","levels":[{"name":"tight","when":{"local_relative":10}}],
 "handlers":[{"on":"target_lost","webhook":{"url":"$URL"}},{"on":"target_found","webhook":{"url":"$URL"}}]}
JSON
	memhook_start --policy "$T/p.json" --process myapp --proc-root "$T/proc"
	wait_for 5 log_has "watching cgroup $T/cgroot/app \(v2\), pid 4242"
	set_starttime "$T/proc" 4242 myapp 7000
	wait_for 5 has_event target_lost
	log_has 'target lost: .*pid 4242: process 4242 exited'
	wait_for 5 has_event target_found
	log_has "target found: cgroup $T/cgroot/app \(v2\), pid 4242"
}

@test "--pid: the same pid with another start time is never taken, and memhook says why" {
	fixture_v2 "$T/cgroot/app" $((10 * MiB)) $((100 * MiB))
	fixture_process "$T/proc" 4242 myapp 5000
	cat > "$T/p.json" <<JSON
{"check_interval":"50ms","levels":[{"name":"tight","when":{"local_relative":10}}]}
JSON
	memhook_start --policy "$T/p.json" --pid 4242 --proc-root "$T/proc" --status-file "$T/status"
	wait_for 5 log_has "watching cgroup $T/cgroot/app \(v2\), pid 4242"
	set_starttime "$T/proc" 4242 myapp 7000
	wait_for 5 log_has 'target lost: .*pid 4242: process 4242 exited'
	log_has 'pid 4242 is gone and will not be taken again'
	wait_for 5 grep -q '"target_present":false' "$T/status"
	# still running, without a target: a clean stop
	memhook_stop
	[ "$MH_RC" -eq 0 ]
	run ! log_has 'target found'
}

# ---- the smaller ones (item 10) ----

@test "the status file says target_present as soon as the target is found, not 5 s later" {
	cat > "$T/p.json" <<JSON
{"check_interval":"50ms","levels":[{"name":"tight","when":{"local_relative":10}}]}
JSON
	rm -rf "$T/cg"
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc" --status-file "$T/status"
	wait_for 5 grep -qs '"target_present":false' "$T/status"
	fixture_v2 "$T/cg" $((10 * MiB)) $((100 * MiB))
	wait_for 5 log_has 'target found'
	# the periodic rewrite is 5 s after the first: well after this
	wait_for 2 grep -q '"target_present":true' "$T/status"
}

@test "an unreadable memory.current is 'Permission denied', not 'not a memory cgroup'" {
	chmod 755 "$T"
	chmod 000 "$T/cg/memory.current"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups "$MEMHOOK" run --once --cgroup "$T/cg" \
		--proc-root "$T/proc"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/cg: Permission denied"* ]]
	[[ "$output" != *"not a memory cgroup"* ]]
	# the daemon says the same while it waits for the target
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$MEMHOOK" --cgroup "$T/cg" \
		--proc-root "$T/proc" 2> "$T/memhook.log" &
	MH_PID=$!
	PIDS+=("$MH_PID")
	wait_for 5 log_has "target not found: $T/cg: Permission denied; waiting for it"
	memhook_stop
	[ "$MH_RC" -eq 0 ]
}

@test "memory.max 0 is a limit of nothing: 0 bytes and 0% free, not MemTotal" {
	listener_start
	fixture_v2 "$T/cg" 0 0
	run "$MEMHOOK" run --once --cgroup "$T/cg" --proc-root "$T/proc"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"\"limit_bytes\":	0,"* ]]
	[[ "$output" == *"\"local_free_bytes\":	0,"* ]]
	[[ "$output" == *"\"local_free_percent\":	0,"* ]]
	cat > "$T/p.json" <<JSON
{"check_interval":"50ms","levels":[{"name":"tight","when":{"local_relative":10}}],
 "handlers":[{"on":"entered","webhook":{"url":"$URL"}}]}
JSON
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	wait_for 5 has_event entered 1
	run event_field entered 1 'b["sample"]["limit_bytes"], b["sample"]["local_free_bytes"], b["sample"]["local_free_percent"]'
	[ "$output" = "0 0 0" ]
	log_has 'level 0 -> 1 \(tight\): entered; usage 0B? of 0B?, 0.0% free'
}

# ---- a second SIGTERM (item 9) ----

@test "a second SIGTERM during the grace period stops at once" {
	LISTENER_DELAY=600 listener_start
	cat > "$T/p.json" <<JSON
{"check_interval":"50ms","levels":[{"name":"tight","when":{"local_relative":30}}],
 "handlers":[{"on":"entered","webhook":{"url":"$URL","timeout":"10m","retries":0}}]}
JSON
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc" --grace 1h
	set_usage "$T/cg" $((80 * MiB))
	wait_for 5 requests_at_least 1   # the receiver has it and does not answer
	kill -TERM "$MH_PID"
	wait_for 5 log_has 'delivering 1 queued webhook'
	kill -0 "$MH_PID"                # waiting out its grace
	kill -TERM "$MH_PID"
	wait_for 5 log_has 'stopped: '
	MH_RC=0
	wait "$MH_PID" || MH_RC=$?
	[ "$MH_RC" -eq 0 ]
	log_has 'SIGTERM again: stopping now'
	log_has 'stopping with 1 webhook\(s\) undelivered \(stopped by a second signal\)'
}

# ---- SIGUSR2 (item 10) ----

# usr2_settled: the number of pause/resume lines is the number of toggles applied; they alternate
# from "paused", and the status file's "paused" is the state the last one logged.
usr2_settled() {
	local n last
	n=$(grep -cE 'SIGUSR2: evaluation (paused|resumed)' "$T/memhook.log")
	[ "$n" -ge 1 ] || return 1
	last=$(grep -oE 'SIGUSR2: evaluation (paused|resumed)' "$T/memhook.log" | tail -n1)
	if [ $((n % 2)) -eq 1 ]; then
		[ "$last" = "SIGUSR2: evaluation paused" ] && grep -q '"paused":true' "$T/status"
	else
		[ "$last" = "SIGUSR2: evaluation resumed" ] && grep -q '"paused":false' "$T/status"
	fi
}

usr2_lines_are() { [ "$(grep -cE 'SIGUSR2: evaluation' "$T/memhook.log")" -eq "$1" ]; }

@test "SIGUSR2 is a toggle: every one applied is logged and in the status file, a burst coalesces" {
	cat > "$T/p.json" <<JSON
{"check_interval":"50ms","levels":[{"name":"tight","when":{"local_relative":10}}]}
JSON
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc" --status-file "$T/status"
	wait_for 5 log_has watching
	for _ in $(seq 500); do kill -USR2 "$MH_PID"; done
	wait_for 5 usr2_settled
	# the lines alternate: paused, resumed, paused...
	run python3 -c 'import re,sys; s=re.findall(r"SIGUSR2: evaluation (paused|resumed)", open(sys.argv[1]).read()); assert all(x == ("paused" if i % 2 == 0 else "resumed") for i, x in enumerate(s)), s; print(len(s))' "$T/memhook.log"
	echo "applied $output of 500"
	[ "$status" -eq 0 ]
	local before=$output
	# one more, alone, is one more toggle
	kill -USR2 "$MH_PID"
	wait_for 5 usr2_lines_are $((before + 1))
	wait_for 5 usr2_settled
}

# ---- the policy file and its bounds ----

# still_checking_then_stops: after a rejected reload the loop still checks (a level entered is
# logged and the status file's checks grow), and SIGTERM stops memhook promptly with exit 0.
still_checking_then_stops() {
	local before
	before=$(status_checks)
	set_usage "$T/cg" $((95 * MiB))
	wait_for 3 log_has '-> 1 \(tight\): entered'
	wait_for 3 status_checks_above "$before"
	stopped_within 3
	[ "$MH_RC" -eq 0 ]
}

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
	still_checking_then_stops
}

@test "80,000 webhook headers are refused in well under a second, with where" {
	headers_policy "$T/p.json" 80000
	local start=$(date +%s%N)
	run timeout 20 "$MEMHOOK" check --policy "$T/p.json"
	local took_ms=$((($(date +%s%N) - start) / 1000000))
	[ "$status" -eq 2 ]
	[ "$output" = "memhook: $T/p.json:1:150: handlers[0].webhook.headers: at most 64 headers" ]
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
	[ "$output" = "memhook: $T/p.json:1:686: levels[0].when.any[16].custom: at most 16 custom conditions (probes) per policy: each runs as a process at every check" ]
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
	wait_for 3 log_has "SIGHUP: new policy rejected, the old one keeps running: $T/p.json:1:150: handlers\[0\]\.webhook\.headers: at most 64 headers"
	still_checking_then_stops
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
	# a heap over-read (ASan) in lib/kernel/resolve.c: the cgroup path was cut at the root's length
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
