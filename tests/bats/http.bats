#!/usr/bin/env bats
# --listen: /metrics linted by promtool and read for exact values (on a real v1 cgroup and on a
# v2 fixture), /healthz and /readyz, bad requests, and floods that must not stall the checks.

bats_require_minimum_version 1.5.0
load helpers

MiB=1048576
: "${PROMTOOL:?PROMTOOL must name promtool (make promtool fetches it)}"

setup() {
	common_setup
	listener_start
}
teardown() { common_teardown; }

# listen_start ARGS...: memhook with --listen 127.0.0.1:0 (a free port); sets HTTP to its base URL.
listen_start() {
	memhook_start --listen 127.0.0.1:0 "$@"
	wait_for 10 log_has 'listening on http://127\.0\.0\.1:[0-9]+ '
	HTTP="$(grep -Eo 'http://127\.0\.0\.1:[0-9]+' "$T/memhook.log" | head -n 1)"
	PORT="${HTTP##*:}"
}
# http_code PATH [CURL ARGS...]: the status code memhook answers (000: no answer within 5 s).
http_code() {
	local p=$1
	shift
	curl -s -o "$T/body" -w '%{http_code}' --max-time 5 "$@" "$HTTP$p" || true
}
# scrape: GET /metrics into $T/metrics.txt.
scrape() { curl -sf --max-time 5 -o "$T/metrics.txt" "$HTTP/metrics"; }
# metric SERIES: the value of one series (its name and labels as written) in the last scrape.
# (through the environment: awk -v would interpret the backslashes of escaped label values)
metric() { SERIES="$1" awk '$1 == ENVIRON["SERIES"] { print $2; found = 1 } END { exit !found }' "$T/metrics.txt"; }
# code_is PATH CODE: memhook answers PATH with CODE now (for wait_for).
code_is() { [ "$(http_code "$1")" = "$2" ]; }
# metric_is SERIES VALUE: scrapes until the series has the value (for wait_for).
metric_is() { scrape && [ "$(metric "$1")" = "$2" ]; }
# metric_above SERIES N: scrapes until the series is above N.
metric_above() { scrape && [ "$(metric "$1")" -gt "$2" ]; }
# lint: promtool accepts the last scrape without a word.
lint() {
	run "$PROMTOOL" check metrics < "$T/metrics.txt"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

# policy FILE INTERVAL HANDLERS [EXTRA LEVEL]: elevated below 60% free, high below 35% free.
policy() {
	cat > "$1" <<JSON
{"check_interval": "$2", "log_transitions": true,
 "levels": [{"name": "elevated", "when": {"local_relative": 60}},
            {"name": "high", "when": {"local_relative": 35}}],
 "handlers": $3}
JSON
}

@test "v1: after a level change /metrics passes promtool and says the level, steps, checks and actions" {
	needs_cg1 || return 1
	cg1_create "memhook-http-$$-$BATS_TEST_NUMBER" $((64 * MiB))
	policy "$T/p.json" 100ms "[{\"on\": \"entered\", \"webhook\": {\"url\": \"$URL\"}}]"
	hog_start "$CG"
	listen_start --policy "$T/p.json" --cgroup "$CG"
	wait_for 10 log_has "watching cgroup $CG \(v1\)"
	hog grow 45
	wait_for 10 has_event entered 2
	wait_for 10 metric_is 'memhook_actions_total{action="webhook",result="ok"}' 2
	lint
	[ "$(metric memhook_level)" = 2 ]
	[ "$(metric memhook_target_up)" = 1 ]
	[ "$(metric memhook_paused)" = 0 ]
	[ "$(metric 'memhook_level_transitions_total{direction="up",level="elevated"}')" = 1 ]
	[ "$(metric 'memhook_level_transitions_total{direction="up",level="high"}')" = 1 ]
	[ "$(metric 'memhook_level_transitions_total{direction="down",level="high"}')" = 0 ]
	[ "$(metric 'memhook_target_memory_limit_bytes')" = $((64 * MiB)) ]
	[ "$(metric 'memhook_target_memory_usage_bytes')" -gt $((45 * MiB)) ]
	# read at the scrape whatever the policy reads (its usage is current): the working set too
	ws=$(metric 'memhook_target_memory_working_set_bytes')
	[ "$ws" -gt 0 ] && [ "$ws" -le "$(metric 'memhook_target_memory_usage_bytes')" ]
	[ "$(metric 'memhook_host_memory_available_bytes')" -gt 0 ]
	[ "$(metric 'memhook_build_info{version="0.1.0"}')" = 1 ]
	# v1: memory.oom_control has oom_kill only; no PSI
	[ "$(metric 'memhook_target_memory_events_total{event="oom_kill"}')" = 0 ]
	! grep -q 'event="high"' "$T/metrics.txt"
	! grep -q memhook_target_pressure "$T/metrics.txt"
	[ "$(metric 'memhook_actions_total{action="webhook",result="failed"}')" = 0 ]
	[ "$(metric memhook_webhook_queue_length)" = 0 ]
	# checks go on between scrapes
	checks=$(metric memhook_checks_total)
	[ "$checks" -gt 0 ]
	wait_for 5 metric_above memhook_checks_total "$checks"
	# and down again: left high, left elevated
	hog free
	wait_for 10 metric_is memhook_level 0
	[ "$(metric 'memhook_level_transitions_total{direction="down",level="high"}')" = 1 ]
	[ "$(metric 'memhook_level_transitions_total{direction="down",level="elevated"}')" = 1 ]
	lint
}

@test "v2 fixture: memory.events and PSI totals as counters, a level name escaped, promtool content" {
	fixture_v2 "$T/cg" $((10 * MiB)) $((100 * MiB))
	fixture_proc "$T/proc" 8000000 4000000
	printf 'low 1\nhigh 7\nmax 2\noom 1\noom_kill 1\noom_group_kill 0\n' > "$T/cg/memory.events"
	printf 'some avg10=1.00 avg60=0.50 avg300=0.10 total=2500000\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=125000\n' \
		> "$T/cg/memory.pressure"
	cat > "$T/p.json" <<'JSON'
{"check_interval": "100ms",
 "levels": [{"name": "a\"b\\c\nd", "when": {"any": [{"local_relative": 30},
                                                        {"pressure": {"above": 99}}]}}]}
JSON
	listen_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	set_usage "$T/cg" $((75 * MiB))
	wait_for 5 metric_is memhook_level 1
	lint
	[ "$(metric 'memhook_level_transitions_total{direction="up",level="a\"b\\c\nd"}')" = 1 ]
	[ "$(metric 'memhook_target_memory_events_total{event="high"}')" = 7 ]
	[ "$(metric 'memhook_target_memory_events_total{event="oom_kill"}')" = 1 ]
	[ "$(metric 'memhook_target_memory_events_total{event="oom_group_kill"}')" = 0 ]
	[ "$(metric memhook_target_pressure_memory_waiting_seconds_total)" = 2.500000 ]
	[ "$(metric memhook_target_pressure_memory_stalled_seconds_total)" = 0.125000 ]
	[ "$(metric memhook_host_memory_available_bytes)" = $((4000000 * 1024)) ]
	run curl -s -D - -o /dev/null --max-time 5 "$HTTP/metrics"
	[[ "$output" == *"Content-Type: text/plain; version=0.0.4; charset=utf-8"* ]]
}

@test "/readyz waits for the target; /healthz fails while no check finishes and not while paused" {
	fixture_proc "$T/proc" 8000000 4000000
	cat > "$T/p.json" <<JSON
{"check_interval": "100ms",
 "levels": [{"name": "slow", "when": {"custom": {"command": ["/bin/sleep", "3"], "timeout": "2s"}}}]}
JSON
	listen_start --policy "$T/p.json" --cgroup "$T/later" --proc-root "$T/proc"
	[ "$(http_code /readyz)" = 503 ]
	[ "$(cat "$T/body")" = "the target is not found" ]
	[ "$(http_code /healthz)" = 200 ]     # no target: each check still ends at once
	[ "$(http_code /metrics)" = 200 ]
	scrape
	[ "$(metric memhook_target_up)" = 0 ]
	! grep -q memhook_target_memory_usage_bytes "$T/metrics.txt"
	fixture_v2 "$T/later" $((10 * MiB)) $((100 * MiB))
	wait_for 5 code_is /readyz 200
	[ "$(cat "$T/body")" = ok ]
	# now every check waits 2 s for its probe: more than 3 intervals without a finished check
	wait_for 5 code_is /healthz 503
	grep -Eq '^no check finished for [0-9]+ ms \(interval 100 ms\)$' "$T/body"
	kill -USR2 "$MH_PID"
	wait_for 5 log_has 'SIGUSR2: evaluation paused'
	[ "$(http_code /healthz)" = 200 ]
}

@test "bad requests get 4xx from the server and the checks go on" {
	fixture_v2 "$T/cg" $((10 * MiB)) $((100 * MiB))
	fixture_proc "$T/proc" 8000000 4000000
	policy "$T/p.json" 50ms "[]"
	listen_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	[ "$(http_code /metrics -X POST -d x=1)" = 405 ]
	run curl -s -D - -o /dev/null --max-time 5 -X DELETE "$HTTP/healthz"
	[[ "$output" == *"Allow: GET, HEAD"* ]]
	[ "$(http_code /nope)" = 404 ]
	[ "$(http_code /metrics/)" = 404 ]
	[ "$(http_code /metrics -I)" = 200 ]
	# garbage, and headers larger than a connection's memory (16 KiB)
	run python3 - "$PORT" <<'PY'
import socket, sys
def ask(data):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
    s.sendall(data)
    answer = s.recv(64).split(b"\r\n")[0].decode()
    s.close()
    return answer
print(ask(b"\x16\x03\x01 this is not http\r\n\r\n"))
print(ask(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n"))
PY
	echo "$output"
	[ "${lines[0]}" = "HTTP/1.1 400 Bad Request" ]
	[[ "${lines[1]}" == "HTTP/1.1 431 "* || "${lines[1]}" == "HTTP/1.1 413 "* ]]
	scrape
	checks=$(metric memhook_checks_total)
	wait_for 5 metric_above memhook_checks_total "$checks"
	[ "$(http_code /healthz)" = 200 ]
}

@test "200 idle connections and a slowloris client: the level still changes on time, /healthz answers" {
	fixture_v2 "$T/cg" $((10 * MiB)) $((100 * MiB))
	fixture_proc "$T/proc" 8000000 4000000
	policy "$T/p.json" 100ms "[{\"on\": \"entered\", \"webhook\": {\"url\": \"$URL\"}}]"
	listen_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc" --log-level debug
	# 200 idle connections from 127.0.0.2, a slowloris from 127.0.0.3; probes come from 127.0.0.1
	python3 "$HERE_LIB/http_flood.py" "$PORT" 200 127.0.0.2 127.0.0.3 "$T" &
	PIDS+=($!)
	# all 200 connected; 16 held (the per-address limit), the rest closed at once
	wait_for 10 grep -qx '200 16' "$T/idle_open"
	# memhook's descriptors stay bounded by the connection limits, not by the flood
	fds=$(ls "/proc/$MH_PID/fd" | wc -l)
	echo "memhook holds $fds fds" >&3
	[ "$fds" -lt 64 ]
	# the level changes on time (100 ms checks: well within 2 s) and the webhook goes out
	set_usage "$T/cg" $((50 * MiB))
	start=$(date +%s%N)
	wait_for 2 has_event entered 1
	echo "entered 1 after $((($(date +%s%N) - start) / 1000000)) ms under the flood" >&3
	[ "$(http_code /healthz --interface 127.0.0.1)" = 200 ]
	scrape
	[ "$(metric memhook_level)" = 1 ]
	# the slowloris is cut at its request deadline (10 s), however it trickles
	wait_for 15 test -s "$T/slow_closed"
	read -r secs sent < "$T/slow_closed"
	echo "slowloris closed after $secs s, $sent bytes sent" >&3
	python3 -c "import sys; assert 9.5 <= float(sys.argv[1]) <= 13, sys.argv[1]" "$secs"
	log_has 'closing the connection from 127\.0\.0\.3:[0-9]+: no whole request within 10 s'
	# the idle ones are closed by the idle timeout (10 s)
	wait_for 5 grep -qx '200 0' "$T/idle_open"
	[ "$(http_code /healthz)" = 200 ]
}

@test "--listen: a bad address is a usage error; a port in use a runtime error" {
	fixture_v2 "$T/cg" $((10 * MiB)) $((100 * MiB))
	run "$MEMHOOK" --cgroup "$T/cg" --listen 9100
	[ "$status" -eq 2 ]
	[[ "$output" == *"--listen: '9100' is not ADDR:PORT"* ]]
	run "$MEMHOOK" --cgroup "$T/cg" --listen localhost:9100
	[ "$status" -eq 2 ]
	MEMHOOK_LISTEN='[::1]:99999' run "$MEMHOOK" --cgroup "$T/cg"
	[ "$status" -eq 2 ]
	[[ "$output" == *"the port must be a number from 0 to 65535"* ]]
	listen_start --cgroup "$T/cg"
	run "$MEMHOOK" --cgroup "$T/cg" --listen "127.0.0.1:$PORT"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--listen: listening on 127.0.0.1:$PORT: Address already in use"* ]]
}
