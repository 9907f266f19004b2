#!/usr/bin/env bats
# cgroup v1 usage thresholds and the OOM notifier (cgroup.event_control) on the host's real memory
# controller: with a 10 s check interval, so polling cannot explain a quick reaction, a crossing
# wakes a check at once; after a limit change and a reload the thresholds are registered anew (the
# old ones no longer wake); an OOM kill is reported at once. Times: the hog's acknowledgement and
# the listener's t_recv, both CLOCK_MONOTONIC. A fixture tree with the same policy only polls.

load helpers

MiB=1048576
PAGE=$(getconf PAGESIZE)

setup() {
	common_setup
	needs_cg1 || return 1
	listener_start
}
teardown() { common_teardown; }

# mono: CLOCK_MONOTONIC in seconds, as the listener's t_recv and the hog's acknowledgements.
mono() { python3 -c 'import time; print(time.monotonic())'; }
# event_t EVENT LEVEL: when the listener received that event.
event_t() { event_field "$1" "$2" 'r["t_recv"]'; }
# ack_t: when the hog finished its last command.
ack_t() { tail -n 1 "$T/hog.ack" | awk '{ print $3 }'; }
# py EXPR: prints a Python expression (arithmetic and comparisons over the times above).
py() { python3 -c "print($1)"; }
# checks_with_usage LO HI: how many checks memhook logged with a usage in [LO, HI) bytes.
checks_with_usage() {
	sed -nE 's/.*check [0-9]+ at [0-9]+ us \(monotonic\): usage ([0-9]+) bytes.*/\1/p' "$T/memhook.log" |
		awk -v lo="$1" -v hi="$2" '$1 >= lo && $1 < hi { n++ } END { print n + 0 }'
}
# checks_done: how many checks memhook logged.
checks_done() { grep -c 'check [0-9]* at' "$T/memhook.log" || true; }
# armed BYTES: memhook logged thresholds armed from BYTES on (its lowest).
armed() { log_has "usage threshold\(s\) armed for a limit of [0-9]+ bytes, $1 to"; }

# policy FILE PERCENT: one level "high" below PERCENT% free, checked every 10 s, entered and
# limit_changed posted to the listener.
policy() {
	cat > "$1" <<JSON
{"check_interval": "10s",
 "levels": [{"name": "high", "when": {"local_relative": $2}}],
 "handlers": [{"on": "entered", "webhook": {"url": "$URL"}},
              {"on": "limit_changed", "webhook": {"url": "$URL"}}]}
JSON
}

# threshold LIMIT PERCENT: the usage the kernel is told: the page after LIMIT * (1 - PERCENT/100).
threshold() { echo $(($1 - $1 * $2 / 100 + PAGE)); }

@test "v1 thresholds: a 10 s interval, and a crossing of local_relative enters the level within 300 ms" {
	cg1_create "memhook-thr-$$-$BATS_TEST_NUMBER" $((64 * MiB))
	policy "$T/p.json" 50
	hog_start "$CG"
	memhook_start --policy "$T/p.json" --cgroup "$CG" --log-level debug
	thr=$(threshold $((64 * MiB)) 50)
	wait_for 10 armed "$thr"
	[ "$(checks_done)" -eq 1 ]

	hog grow 40
	wait_for 5 has_event entered 1
	lag=$(py "$(event_t entered 1) - $(ack_t)")
	echo "entered received $lag s after the hog's allocation ended"
	[ "$(py "$lag < 0.3")" = True ]
	log_has "woken by a usage threshold \($thr bytes\)"
	[ "$(checks_done)" -eq 2 ] # the first check and the woken one: no poll in between
}

@test "v1 thresholds: after a limit change they are registered at the new bytes; the old one no longer wakes" {
	cg1_create "memhook-thr-$$-$BATS_TEST_NUMBER" $((64 * MiB))
	policy "$T/p.json" 50
	hog_start "$CG"
	memhook_start --policy "$T/p.json" --cgroup "$CG" --log-level debug
	old=$(threshold $((64 * MiB)) 50)
	new=$(threshold $((128 * MiB)) 50)
	wait_for 10 armed "$old"

	echo $((128 * MiB)) > "$CG/memory.limit_in_bytes"
	wait_for 15 has_event limit_changed 0 # seen at the next poll: v1 has no limit notification
	wait_for 5 armed "$new"

	hog grow 30 # across the old threshold only
	hog grow 34 # across the new one
	wait_for 5 has_event entered 1
	lag=$(py "$(event_t entered 1) - $(ack_t)")
	echo "entered received $lag s after the hog's allocation ended"
	[ "$(py "$lag < 0.3")" = True ]
	log_has "woken by a usage threshold \($new bytes\)"
	! log_has "woken by a usage threshold \($old bytes\)"
	[ "$(checks_with_usage "$old" "$new")" -eq 0 ] # nothing checked between the two
}

@test "v1 thresholds: a SIGHUP reload registers the new policy's threshold; the old one no longer wakes" {
	cg1_create "memhook-thr-$$-$BATS_TEST_NUMBER" $((96 * MiB))
	policy "$T/p.json" 50
	hog_start "$CG"
	memhook_start --policy "$T/p.json" --cgroup "$CG" --log-level debug
	old=$(threshold $((96 * MiB)) 50)
	new=$(threshold $((96 * MiB)) 25)
	wait_for 10 armed "$old"

	policy "$T/p.json" 25
	kill -HUP "$MH_PID"
	wait_for 5 log_has "SIGHUP: policy .* reloaded"
	wait_for 5 armed "$new" # at once: a check follows the reload

	hog grow 44 # across the old threshold only
	hog grow 24 # across the new one
	wait_for 5 has_event entered 1
	lag=$(py "$(event_t entered 1) - $(ack_t)")
	echo "entered received $lag s after the hog's allocation ended"
	[ "$(py "$lag < 0.3")" = True ]
	log_has "woken by a usage threshold \($new bytes\)"
	! log_has "woken by a usage threshold \($old bytes\)"
	[ "$(checks_with_usage "$old" "$new")" -eq 0 ]
}

@test "v1 OOM notifier: an OOM kill is reported at once with a 10 s interval" {
	cg1_create "memhook-thr-$$-$BATS_TEST_NUMBER" $((64 * MiB))
	# no local condition, so no usage threshold: only the OOM notifier can wake a check
	cat > "$T/p.json" <<JSON
{"check_interval": "10s",
 "levels": [{"name": "never", "when": {"global_absolute": "1"}}],
 "handlers": [{"on": "oom_kill", "webhook": {"url": "$URL"}}]}
JSON
	hog_start "$CG"
	memhook_start --policy "$T/p.json" --cgroup "$CG" --log-level debug
	wait_for 10 log_has "check 1 at"
	! log_has "usage threshold"

	t0=$(mono)
	echo "grow 200" > "$HOG_FIFO" # past the limit: the kernel kills the hog
	wait_for 5 has_event oom_kill
	lag=$(py "$(event_t oom_kill '*') - $t0")
	echo "oom_kill received $lag s after the hog was told to grow"
	[ "$(py "$lag < 1.0")" = True ]
	log_has "woken by the OOM notifier"
	! kill -0 "$HOG_PID" 2>/dev/null
	[ "$(event_field oom_kill '*' 'b["sample"]["events"]["oom_kill"]')" -eq 1 ]
}

@test "v1 thresholds: a fixture tree with the same policy polls and writes nothing" {
	cp -r "$BATS_TEST_DIRNAME/../fixtures/v1" "$T/cg"
	: > "$T/cg/cgroup.event_control" # a plain file here: registering would write it
	echo $((200 * MiB)) > "$T/cg/memory.usage_in_bytes" # of 256 MiB: below 50% free
	policy "$T/p.json" 50
	# and an oom_kill handler: the OOM notifier is not registered either
	sed -i 's|"handlers": \[|"handlers": [{"on": "oom_kill", "webhook": {"url": "'"$URL"'"}},|' "$T/p.json"
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --log-level debug
	wait_for 10 has_event entered 1
	[ ! -s "$T/cg/cgroup.event_control" ]
	! log_has "threshold|OOM notifier|not armed"
	! log_has " (warn|error): "
	memhook_stop
	[ "$MH_RC" -eq 0 ]
}
