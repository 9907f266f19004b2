#!/usr/bin/env bats
# Children (exec actions and custom probes) against the real binary: whatever a child writes, the
# checks, the timeouts and the signals keep their pace and the log stays small; children get a clean
# environment, never a webhook secret.

bats_require_minimum_version 1.5.0
load helpers

MiB=1048576

setup() {
	common_setup
	fixture_v2 "$T/cg" $((75 * MiB)) $((100 * MiB)) # 25% free: the level below is entered at once
	fixture_proc "$T/proc" 8000000 4000000
}
teardown() {
	# A failing run against a loop that cannot keep up leaves a log of hundreds of MiB: stop
	# memhook first and keep only its head, so the report stays readable.
	if [ -n "${MH_PID:-}" ]; then kill -9 "$MH_PID" 2>/dev/null || true; fi
	if [ -f "$T/memhook.log" ] && [ "$(stat -c %s "$T/memhook.log")" -gt $((1 * MiB)) ]; then
		head -n 20 "$T/memhook.log" > "$T/memhook.log.head"
		echo "[log of $(stat -c %s "$T/memhook.log") bytes cut]" >> "$T/memhook.log.head"
		mv "$T/memhook.log.head" "$T/memhook.log"
	fi
	common_teardown
}

# policy FILE HANDLERS_JSON: one level at 30% free, 100 ms checks, transitions logged.
policy() {
	cat > "$1" <<JSON
{"check_interval": "100ms", "log_transitions": true,
 "levels": [{"name": "elevated", "when": {"local_relative": 30}}],
 "handlers": $2}
JSON
}

# status_checks_at_least N: the status file says at least N checks.
status_checks_at_least() {
	[ -s "$T/status" ] || return 1
	local n
	n=$(sed -n 's/.*"checks":\([0-9]*\).*/\1/p' "$T/status")
	[ -n "$n" ] && [ "$n" -ge "$1" ]
}

# log_time REGEX: the time (seconds since the epoch) of the first log line matching REGEX.
log_time() {
	python3 - "$T/memhook.log" "$1" <<'PY'
import re, sys
from datetime import datetime, timezone
for line in open(sys.argv[1], errors="replace"):
    if re.search(sys.argv[2], line):
        ts = datetime.strptime(line.split()[0], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
        print(ts.timestamp()); sys.exit(0)
sys.exit(1)
PY
}

# seconds_between REGEX1 REGEX2 MAX: the first line matching REGEX2 comes at most MAX seconds after
# the first matching REGEX1.
seconds_between() {
	local a b
	a=$(log_time "$1") && b=$(log_time "$2") || return 1
	python3 -c 'import sys; d = float(sys.argv[2]) - float(sys.argv[1]); print("%.3f s" % d); sys.exit(0 if 0 <= d <= float(sys.argv[3]) else 1)' "$a" "$b" "$3"
}

# stop_within SECONDS: SIGTERM, then memhook must have exited within SECONDS (else SIGKILL and
# fail). Sets MH_RC.
stop_within() {
	kill -TERM "$MH_PID"
	local deadline=$((SECONDS + $1))
	while kill -0 "$MH_PID" 2>/dev/null; do
		if ((SECONDS >= deadline)); then
			echo "memhook still running $1 s after SIGTERM" >&2
			kill -9 "$MH_PID"
			wait "$MH_PID" || true
			return 1
		fi
		sleep 0.05
	done
	MH_RC=0
	wait "$MH_PID" || MH_RC=$?
}

# log_small: memhook's log stayed under 1 MiB.
log_small() {
	local size
	size=$(stat -c %s "$T/memhook.log")
	echo "memhook.log: $size bytes"
	[ "$size" -lt $((1 * MiB)) ]
}

@test "an exec writing without end (yes): timeout, checks and SIGTERM keep their pace, the log stays small" {
	policy "$T/p.json" '[{"on":"entered","exec":{"command":["/usr/bin/yes"],"timeout":"1s"}}]'
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc" --status-file "$T/status"
	wait_for 5 log_has 'exec killed at its timeout'
	# the 1 s timeout fires on time: killed within about a second of its deadline
	seconds_between 'level 0 -> 1 .*entered' 'exec killed at its timeout' 2.0
	log_has 'handlers\[0\]: y$'
	log_has 'handlers\[0\]: … [0-9]+ more lines, [0-9]+ bytes not logged'
	[ "$(grep -c 'handlers\[0\]: y$' "$T/memhook.log")" -eq 100 ]
	# 100 ms checks: the status file (rewritten every 5 s) shows them going on
	wait_for 10 status_checks_at_least 25
	stop_within 3
	[ "$MH_RC" -eq 0 ]
	log_small
}

@test "a 20 MB burst from an exec is read without holding up the loop; what was not logged is counted" {
	policy "$T/p.json" '[{"on":"entered","exec":{"command":["/bin/sh","-c","/usr/bin/yes | /usr/bin/head -c 20000000"],"timeout":"30s"}}]'
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc" --status-file "$T/status"
	wait_for 10 log_has 'handlers\[0\]: exec exited 0'
	seconds_between 'level 0 -> 1 .*entered' 'exec exited 0' 3.0
	# 10,000,000 lines "y": 100 logged, the rest counted
	log_has 'handlers\[0\]: … 9999900 more lines, 19999800 bytes not logged$'
	wait_for 10 status_checks_at_least 25
	stop_within 3
	[ "$MH_RC" -eq 0 ]
	log_small
}

@test "a probe running yes is killed at its timeout; checks, SIGTERM and the log keep their pace" {
	cat > "$T/p.json" <<JSON
{"check_interval": "100ms",
 "levels": [{"name": "chatty", "when": {"custom": {"command": ["/usr/bin/yes"], "timeout": "1s"}}}]}
JSON
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc" --status-file "$T/status" \
		--log-level debug
	wait_for 5 log_has 'probe .* timed out'
	seconds_between 'checking every' 'probe .* timed out' 2.0
	wait_for 5 log_has ': … [0-9]+ more lines, [0-9]+ bytes not logged'
	# each check waits for its probe (1 s): the checks go on at that pace
	wait_for 10 status_checks_at_least 3
	stop_within 3
	[ "$MH_RC" -eq 0 ]
	log_small
}

@test "an exec leaving a writer behind (yes &) completes at its exit; the pipe is closed under the writer" {
	# the writer runs 300 ms before the leader exits: what it left in the pipe is read with a bound
	local name="memhook-test-yes-$$-$RANDOM"
	policy "$T/p.json" "[{\"on\":\"entered\",\"exec\":{\"command\":[\"/bin/bash\",\"-c\",\"(exec -a $name /usr/bin/yes) & /bin/sleep 0.3\"],\"timeout\":\"5s\"}}]"
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc" --status-file "$T/status"
	wait_for 5 log_has 'handlers\[0\]: exec exited 0'
	seconds_between 'level 0 -> 1 .*entered' 'exec exited 0' 1.5
	# the writer left behind gets EPIPE (or SIGPIPE) once memhook stops listening
	wait_for 5 bash -c "! pgrep -f '^$name' >/dev/null"
	wait_for 10 status_checks_at_least 25
	stop_within 3
	[ "$MH_RC" -eq 0 ]
	log_small
}

@test "children get the event and an allow-list of memhook's environment, never a webhook secret" {
	listener_start
	cat > "$T/p.json" <<JSON
{"check_interval": "200ms",
 "levels": [{"name": "probed", "when": {"custom": {"command": ["/usr/bin/env"], "timeout": "2s"}}}],
 "handlers": [{"on": "entered", "webhook": {"url": "$URL", "secret_env": "MEMHOOK_SECRET"}},
              {"on": "entered", "webhook": {"url": "$URL", "secret_env": "POD_TOKEN"}},
              {"on": "entered", "exec": ["/usr/bin/env"]}]}
JSON
	# PATH unset: children get a safe default
	env -i MEMHOOK_SECRET=hunter2-webhook POD_TOKEN=hunter2-pod POD_NAME=web-0 TZ=Europe/Paris \
		LC_TIME=C.UTF-8 HOME=/home/memhook FOO_UNLISTED=not-for-children \
		"$MEMHOOK" --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc" 2> "$T/memhook.log" &
	MH_PID=$!
	PIDS+=("$MH_PID")
	wait_for 5 log_has 'handlers\[2\]: exec exited 0'
	wait_for 5 requests_at_least 2
	# the exec: the event, the allow-list, a default PATH
	log_has 'handlers\[2\]: MEMHOOK_EVENT=entered$'
	log_has 'handlers\[2\]: POD_NAME=web-0$'
	log_has 'handlers\[2\]: TZ=Europe/Paris$'
	log_has 'handlers\[2\]: LC_TIME=C.UTF-8$'
	log_has 'handlers\[2\]: HOME=/home/memhook$'
	log_has 'handlers\[2\]: PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin$'
	# the probe: the same without the event
	log_has 'levels\[0\].*: POD_NAME=web-0$'
	log_has 'levels\[0\].*: PATH=/usr/local/sbin:'
	run ! log_has 'levels\[0\].*: MEMHOOK_'
	# never a secret (even one matching the allow-list), nor what is not listed
	run ! grep -q hunter2 "$T/memhook.log"
	run ! log_has 'POD_TOKEN='
	run ! log_has 'FOO_UNLISTED'
	stop_within 3
	[ "$MH_RC" -eq 0 ]
}

@test "a reload updates which variables are secrets" {
	listener_start
	# hooks FILE SECRET_VAR: a signed webhook and an exec of env on entered
	hooks() {
		policy "$1" "[{\"on\":\"entered\",\"webhook\":{\"url\":\"$URL\",\"secret_env\":\"$2\"}},
		              {\"on\":\"entered\",\"exec\":[\"/usr/bin/env\"]}]"
	}
	exec_runs_at_least() { [ "$(grep -c 'handlers\[1\]: exec exited 0' "$T/memhook.log")" -ge "$1" ]; }
	hooks "$T/p.json" POD_ALPHA
	POD_ALPHA=alpha-secret POD_BRAVO=bravo-secret \
		memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	wait_for 5 log_has 'handlers\[1\]: exec exited 0'
	log_has 'handlers\[1\]: POD_BRAVO=bravo-secret$'
	run ! grep -q alpha-secret "$T/memhook.log"
	hooks "$T/p.json" POD_BRAVO
	kill -HUP "$MH_PID"
	wait_for 5 log_has 'SIGHUP: policy .* reloaded'
	set_usage "$T/cg" $((10 * MiB))
	wait_for 5 log_has 'back to normal'
	set_usage "$T/cg" $((75 * MiB))
	wait_for 5 exec_runs_at_least 2
	# the second run: POD_ALPHA is no longer a secret, POD_BRAVO is
	log_has 'handlers\[1\]: POD_ALPHA=alpha-secret$'
	[ "$(grep -c bravo-secret "$T/memhook.log")" -eq 1 ]
	stop_within 3
	[ "$MH_RC" -eq 0 ]
}
