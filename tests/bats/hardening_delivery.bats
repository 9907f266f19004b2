#!/usr/bin/env bats
# Delivery hardening (issue 16): with a proxy in the environment, webhooks to loopback still go
# straight to the receiver (CURLOPT_NOPROXY: loopback, then the user's NO_PROXY).

bats_require_minimum_version 1.5.0
load helpers

MiB=1048576

setup() {
	common_setup
	fixture_v2 "$T/cg" $((10 * MiB)) $((100 * MiB))
	fixture_proc "$T/proc" 8000000 4000000
}
teardown() { common_teardown; }

# proxy_start: a fake HTTP proxy on loopback that answers 502 to anything and notes each
# connection in $T/proxy.log; sets PROXY.
proxy_start() {
	: > "$T/proxy.log"
	python3 - "$T/proxy.log" "$T/proxy.port" <<'PY' &
import socket, sys
log, port_file = sys.argv[1], sys.argv[2]
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
with open(port_file + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
import os
os.rename(port_file + ".tmp", port_file)
while True:
    c, _ = s.accept()
    c.settimeout(2)
    try:
        first = c.recv(4096).split(b"\r\n", 1)[0].decode("latin-1")
    except OSError:
        first = ""
    with open(log, "a") as f:
        f.write(first + "\n")
    try:
        c.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    except OSError:
        pass
    c.close()
PY
	PIDS+=($!)
	wait_for 10 test -s "$T/proxy.port"
	PROXY="http://127.0.0.1:$(cat "$T/proxy.port")"
}

# run_with_proxy URL [ENV...]: memhook posting entered to URL, with http_proxy set (and ENV).
run_with_proxy() {
	local url=$1
	shift
	cat > "$T/p.json" <<JSON
{"check_interval": "50ms",
 "levels": [{"name": "elevated", "when": {"local_relative": 30}}],
 "handlers": [{"on": "entered", "webhook": {"url": "$url", "retries": 0}}]}
JSON
	env http_proxy="$PROXY" HTTP_PROXY="$PROXY" https_proxy="$PROXY" all_proxy="$PROXY" "$@" \
		"$MEMHOOK" --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc" 2> "$T/memhook.log" &
	MH_PID=$!
	PIDS+=("$MH_PID")
	wait_for 5 log_has watching
	set_usage "$T/cg" $((75 * MiB))
}

@test "http_proxy set: a webhook to 127.0.0.1 reaches the receiver, not the proxy" {
	proxy_start
	listener_start
	run_with_proxy "$URL"
	wait_for 5 has_event entered 1
	[ "$(requests_count)" -eq 1 ]
	[ ! -s "$T/proxy.log" ]
	! log_has 'HTTP 502'
}

@test "http_proxy set: a webhook to localhost reaches the receiver, not the proxy" {
	proxy_start
	listener_start
	run_with_proxy "${URL/127.0.0.1/localhost}"
	wait_for 5 has_event entered 1
	[ ! -s "$T/proxy.log" ]
}

@test "http_proxy and a NO_PROXY of other hosts: loopback still goes straight" {
	proxy_start
	listener_start
	run_with_proxy "$URL" NO_PROXY=example.com,.svc no_proxy=example.com,.svc
	wait_for 5 has_event entered 1
	[ ! -s "$T/proxy.log" ]
}

@test "the proxy is used for what is not loopback: the fake proxy sees the request" {
	proxy_start
	# a name that never resolves here: only a proxy could carry it
	run_with_proxy "http://memhook-proxy-test.invalid/memory"
	wait_for 5 test -s "$T/proxy.log"
	grep -q '^POST http://memhook-proxy-test.invalid/memory HTTP/1.1' "$T/proxy.log"
	wait_for 5 log_has 'HTTP 502'
}
