#!/usr/bin/env bats
# pressure_watch on a real cgroup v1: clients written to systemd's memory-pressure protocol
# (docs/MEMORY_PRESSURE.md; Debian 12's libsystemd 252 predates sd_event_add_memory_pressure, so
# tests/bats/lib/pressure_client.py follows the text instead) see the socket turn readable when the
# handler fires, not before, two at once; one that never reads holds nothing.

bats_require_minimum_version 1.5.0
load helpers

MiB=1048576
CLIENT="$HERE_LIB/pressure_client.py"

setup() {
	common_setup
	needs_cg1 || return 1
	cg1_create "memhook-pw-$$-$BATS_TEST_NUMBER" $((64 * MiB))
}
teardown() { common_teardown; }

# client OUT [--never-read]: a protocol client on $SOCK with systemd's default trigger line as
# MEMORY_PRESSURE_WRITE; waits until it waits.
client() {
	MEMORY_PRESSURE_WATCH="$SOCK" MEMORY_PRESSURE_WRITE="$(printf 'some 200000 2000000\0' | base64)" \
		python3 "$CLIENT" "$@" &
	PIDS+=($!)
	wait_for 10 grep -q ready "$1"
}
notified() { grep -c '^pressure ' "$1" 2>/dev/null || true; }
notified_at_least() { [ "$(notified "$1")" -ge "$2" ]; }

scrape_until() {
	curl -sf --max-time 5 -o "$T/metrics.txt" "$HTTP/metrics" &&
		awk -v s="$1" -v n="$2" '$1 == s && $2 >= n { f = 1 } END { exit !f }' "$T/metrics.txt"
}

@test "two clients: readable once the handler fires and not before; the socket removed at the stop" {
	SOCK="$T/run/pressure.sock"
	mkdir -p "$T/run"
	cat > "$T/p.json" <<JSON
{"check_interval": "100ms", "log_transitions": true,
 "levels": [{"name": "elevated", "when": {"local_relative": 60}},
            {"name": "high", "when": {"local_relative": 35}}],
 "handlers": [{"on": "entered", "level": 2, "pressure_watch": {"path": "$SOCK"}}]}
JSON
	hog_start "$CG"
	memhook_start --listen 127.0.0.1:0 --policy "$T/p.json" --cgroup "$CG"
	wait_for 10 log_has 'listening on http://127\.0\.0\.1:[0-9]+ '
	HTTP="$(grep -Eo 'http://127\.0\.0\.1:[0-9]+' "$T/memhook.log" | head -n 1)"
	wait_for 10 log_has "serving a socket at $SOCK"
	[ -S "$SOCK" ]
	[ "$(stat -c %a "$SOCK")" = 666 ]
	client "$T/a"
	client "$T/b"
	# level 1: no handler fires; the clients' trigger lines were read and ignored
	hog grow 30
	wait_for 10 log_has 'level 0 -> 1'
	# five more checks at level 1: a spell in which nothing may notify them
	wait_for 10 scrape_until memhook_checks_total 1
	checks="$(awk '$1 == "memhook_checks_total" { print $2 }' "$T/metrics.txt")"
	wait_for 10 scrape_until memhook_checks_total $((checks + 5))
	[ "$(notified "$T/a")" = 0 ]
	[ "$(notified "$T/b")" = 0 ]
	grep -q '^memhook_pressure_notifications_total 0$' "$T/metrics.txt"
	hog grow 15
	wait_for 10 log_has 'level 1 -> 2'
	wait_for 5 notified_at_least "$T/a" 1
	wait_for 5 notified_at_least "$T/b" 1
	# what they read and discarded: one line, "entered 2 high\n"
	grep -q '^pressure [0-9.]* 15$' "$T/a"
	grep -q '^pressure [0-9.]* 15$' "$T/b"
	wait_for 5 scrape_until memhook_pressure_notifications_total 2
	memhook_stop
	[ "$MH_RC" = 0 ]
	[ ! -e "$SOCK" ]
}

@test "a client that never reads does not hold memhook: the others are notified and the level changes on time" {
	SOCK="$T/pressure.sock"
	# remaining at level 1 every check (20 ms), no rate bound: the stuck client's buffer fills
	cat > "$T/p.json" <<JSON
{"check_interval": "20ms", "log_transitions": true,
 "levels": [{"name": "elevated", "when": {"local_relative": 60}},
            {"name": "high", "when": {"local_relative": 35}}],
 "handlers": [{"on": "remaining", "level": 1, "pressure_watch": {"path": "$SOCK", "min_interval": "0s"}},
              {"on": "entered", "level": 2, "pressure_watch": {"path": "$SOCK", "min_interval": "0s"}}]}
JSON
	hog_start "$CG"
	memhook_start --listen 127.0.0.1:0 --policy "$T/p.json" --cgroup "$CG"
	wait_for 10 log_has 'listening on http://127\.0\.0\.1:[0-9]+ '
	HTTP="$(grep -Eo 'http://127\.0\.0\.1:[0-9]+' "$T/memhook.log" | head -n 1)"
	wait_for 10 log_has "serving a socket at $SOCK"
	client "$T/stuck" --never-read
	client "$T/a"
	hog grow 30
	wait_for 10 log_has 'level 0 -> 1'
	# far more lines than the stuck client's socket holds (a unix stream socket takes a few
	# hundred small sends before it is full): 1500 notifications, half of them to it
	wait_for 60 scrape_until memhook_pressure_notifications_total 1500
	checks="$(awk '$1 == "memhook_checks_total" { print $2 }' "$T/metrics.txt")"
	wait_for 5 scrape_until memhook_checks_total $((checks + 10))
	before="$(notified "$T/a")"
	[ "$before" -gt 100 ]
	hog grow 15
	wait_for 2 log_has 'level 1 -> 2'
	wait_for 5 notified_at_least "$T/a" $((before + 1))
	grep -q 'action="pressure_watch",result="failed"} 0' "$T/metrics.txt"
	kill -0 "$MH_PID"
}
