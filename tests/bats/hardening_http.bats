#!/usr/bin/env bats
# --listen under hostile clients (issue 16): connections that come and go at the limit, a flood
# of idle connections from many addresses, and requests that must not be taken for others. Each
# test failed before its fix.

bats_require_minimum_version 1.5.0
load helpers

MiB=1048576

setup() {
	common_setup
	fixture_v2 "$T/cg" $((10 * MiB)) $((100 * MiB))
	fixture_proc "$T/proc" 8000000 4000000
	cat > "$T/p.json" <<'JSON'
{"check_interval": "100ms", "log_transitions": true, "levels": [{"name": "elevated", "when": {"local_relative": 60}}]}
JSON
}
teardown() { common_teardown; }

CONNS() { python3 "$HERE_LIB/http_conns.py" "$@"; }

# listen_start: memhook on a free loopback port, checking every 100 ms; sets PORT.
listen_start() {
	# emptied first: memhook_start truncates it in the background, after which the last run's
	# "listening on" line could still have been matched and then gone
	: > "$T/memhook.log"
	memhook_start --listen 127.0.0.1:0 --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	wait_for 10 log_has 'listening on http://127\.0\.0\.1:[0-9]+ '
	PORT="$(grep -Eo 'http://127\.0\.0\.1:[0-9]+' "$T/memhook.log" | head -n 1)"
	PORT="${PORT##*:}"
}
# sockets: how many sockets memhook holds (its listening socket included).
sockets() { find "/proc/$MH_PID/fd" -lname 'socket:*' | wc -l; }
sockets_at_least() { [ "$(sockets)" -ge "$1" ]; }
# fds: how many file descriptors memhook holds.
fds() { find "/proc/$MH_PID/fd" -mindepth 1 | wc -l; }
fds_at_least() { [ "$(fds)" -ge "$1" ]; }
# healthz_code TIMEOUT: the status of one /healthz probe from 127.0.0.1 ("none: ..." if no answer).
healthz_code() { CONNS probe "$PORT" 1 "$1" | awk 'NR == 1 { print $1 }'; }
# flood_connected N: the flood has N connections made (connected, whatever became of them since).
flood_connected() { [ -s "$T/flood" ] && [ "$(cut -d' ' -f2 "$T/flood")" -ge "$1" ]; }

@test "/healthz answers after 80 connections from 5 addresses come and go, in 5 fresh runs of 5" {
	answered=0
	for run in 1 2 3 4 5; do
		listen_start
		base=$(sockets)
		rm -f "$T/burst_open" "$T/burst_go"
		CONNS burst "$PORT" "$T" 16 127.0.0.1 127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.5 &
		burst_pid=$!
		PIDS+=("$burst_pid")
		wait_for 15 test -s "$T/burst_open"
		# the server is at its limit of 64 before they go
		wait_for 10 sockets_at_least $((base + 64))
		echo "run $run: $(cat "$T/burst_open") connected/opened, memhook holds $(($(sockets) - base)) connections" >&3
		touch "$T/burst_go"
		wait "$burst_pid"
		code=$(healthz_code 5)
		echo "run $run: /healthz after they went: $code" >&3
		[ "$code" = 200 ] && answered=$((answered + 1))
		memhook_stop
		[ "$MH_RC" -eq 0 ]
	done
	echo "/healthz answered in $answered of 5 runs" >&3
	[ "$answered" -eq 5 ]
}

@test "under 1,000 idle connections from 100 addresses /healthz answers at least 9 of 10 probes" {
	# the flood's 1,000 sockets need descriptors on the client's side
	ulimit -n 4096
	listen_start
	base=$(sockets)
	CONNS flood "$PORT" "$T" 10 127.0.0.10 100 &
	PIDS+=($!)
	wait_for 10 flood_connected 64
	# every connection of the flood is let in; ones that waited longest for a request make room
	wait_for 15 flood_connected 1000 || true
	echo "flood (opened connected open): $(cat "$T/flood"); memhook holds $(($(sockets) - base)) connections" >&3
	run CONNS probe "$PORT" 10 1
	printf '%s\n' "$output" | sed 's/^/probe: /' >&3
	answered=$(tail -n 1 <<<"$output" | cut -d' ' -f2)
	[ "$answered" -ge 9 ]
	read -r opened connected still_open < "$T/flood"
	[ "$connected" -eq 1000 ]
	# the flood still holds what the limit allows: the probes got in beside it, not after it
	[ "$still_open" -ge 32 ]
	# and memhook's descriptors stay bounded by its limit, not by the flood
	[ "$(($(sockets) - base))" -le 64 ]
	[ "$(healthz_code 5)" = 200 ]
}

@test "out of file descriptors the connection that waited longest makes room: /healthz answers" {
	# 32 descriptors: memhook's own files, the listener and about 15 connections
	(ulimit -n 32 && exec "$MEMHOOK" --listen 127.0.0.1:0 --policy "$T/p.json" --cgroup "$T/cg" \
		--proc-root "$T/proc") 2> "$T/memhook.log" &
	MH_PID=$!
	PIDS+=("$MH_PID")
	wait_for 10 log_has 'listening on http://127\.0\.0\.1:[0-9]+ '
	PORT="$(grep -Eo 'http://127\.0\.0\.1:[0-9]+' "$T/memhook.log" | head -n 1)"
	PORT="${PORT##*:}"
	[ "$(awk '$1 == "Max" && $2 == "open" { print $4 }' "/proc/$MH_PID/limits")" = 32 ]
	CONNS flood "$PORT" "$T" 10 127.0.0.10 5 &
	PIDS+=($!)
	wait_for 10 flood_connected 50
	# every descriptor memhook may have is in use
	wait_for 10 fds_at_least 31
	echo "flood (opened connected open): $(cat "$T/flood"); memhook holds $(fds) descriptors" >&3
	run CONNS probe "$PORT" 5 1
	printf '%s\n' "$output" | sed 's/^/probe: /' >&3
	[ "$(tail -n 1 <<<"$output")" = "answered 5 of 5" ]
	# the checks went on
	set_usage "$T/cg" $((50 * MiB))
	wait_for 5 log_has 'level 0 -> 1 \(elevated\): entered'
}

@test "/metrics%00 is not /metrics, and two different Content-Length headers get 400" {
	listen_start
	run python3 - "$PORT" <<'PY'
import socket, sys
def ask(data):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
    s.sendall(data)
    answer = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        answer += chunk
    s.close()
    return answer.split(b"\r\n")[0].decode()
c = b"Connection: close\r\n"
print(ask(b"GET /metrics%00 HTTP/1.1\r\nHost: x\r\n" + c + b"\r\n"))
print(ask(b"GET /healthz%00.txt HTTP/1.1\r\nHost: x\r\n" + c + b"\r\n"))
print(ask(b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 5\r\n" + c + b"\r\nhello"))
print(ask(b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n" + c + b"\r\nabc"))
print(ask(b"GET /healthz?x=%00 HTTP/1.1\r\nHost: x\r\n" + c + b"\r\n"))
# kept alive, the second request framed by one of the lengths: answered once, then closed
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 38\r\n\r\n"
          b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
answer = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    answer += chunk
print("answers: %d" % answer.count(b"HTTP/1.1 "))
PY
	echo "$output"
	[ "${lines[0]}" = "HTTP/1.1 400 Bad Request" ]
	[ "${lines[1]}" = "HTTP/1.1 400 Bad Request" ]
	[ "${lines[2]}" = "HTTP/1.1 400 Bad Request" ]
	# one Content-Length is a request like any other, and a query string is not the path
	[ "${lines[3]}" = "HTTP/1.1 200 OK" ]
	[ "${lines[4]}" = "HTTP/1.1 200 OK" ]
	[ "${lines[5]}" = "answers: 1" ]
}
