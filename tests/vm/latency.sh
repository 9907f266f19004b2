#!/bin/bash
# A measurement, not a pass/fail test: tests/vm/run.sh BINARY latency runs it in the test VM.
# How much sooner memhook acts on an `events` condition thanks to its memory.events wakeup
# (POLLPRI) than by polling at check_interval. Both runs use check_interval 2s and time the same
# thing: from the moment the hog is told to allocate to the arrival of the webhook at the
# loopback listener, each trial started at a random phase of memhook's 2 s tick.
#   wakeup:  level {"events": "high"}; the hog grows 2 MiB past memory.high, so the kernel counts
#            a "high" event and notifies memory.events: memhook is woken and checks at once.
#   polling: level {"local_absolute": ...}; the hog grows 4 MiB across the threshold. Nothing in
#            memory.events changes: memhook only sees it at its next tick (expected: ~1 s median).
# Prints each trial and the medians. Exit status 1 when a trial got no webhook in time.
set -u
cd "$(dirname "$0")" || exit 1
source ./helpers.bash
BATS_TEST_TMPDIR=$(mktemp -d)
exec {NAP_FD}<> <(:) # random_phase sleeps on it
TRIALS=10
INTERVAL_MS=2000

listener_start || { echo "latency: the webhook listener did not start"; exit 1; }
trap 'mh_stop; cg_cleanup; listener_stop' EXIT

# random_phase: waits 0..INTERVAL_MS ms, so the trigger lands anywhere in memhook's tick.
random_phase() {
	local ms=$((RANDOM % INTERVAL_MS))
	read -r -t "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))" -u "$NAP_FD" _ || true
}

# trial NAME TRIGGER RESET: one measurement into LAT_MS. TRIGGER and RESET are commands; RESET
# must bring the level back to 0, which the "normal" webhook confirms.
trial() {
	local name=$1 t0 before normals
	hook_count "$name-normal"
	normals=$HOOK_N
	random_phase
	hook_count "$name"
	before=$HOOK_N
	t0=$EPOCHREALTIME
	$2
	wait_for 15 hook_newer "$name" "$before" || return 1
	LAT_MS=$(awk -v a="$t0" -v b="${HOOK[_t]}" 'BEGIN { printf "%d", (b - a) * 1000 }')
	$3
	wait_for 15 hook_newer "$name-normal" "$normals"
}

# hook_newer NAME N: more than N webhooks at /NAME; loads the newest into HOOK.
hook_newer() {
	hook_count "$1"
	[ "$HOOK_N" -gt "$2" ] || return 1
	hook_load "$HOOK_DIR/$1/$(printf '%06d' "$HOOK_N").flat"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

# measure NAME CONDITION_JSON TRIGGER RESET: TRIALS trials, one latency (ms) a line in NAME.ms
measure() {
	local name=$1 i
	P=$(policy "$name" '{"check_interval": "2s",
		"levels": [{"name": "hit", "when": '"$2"'}],
		"handlers": [{"on": "entered", "webhook": '"$(webhook "$name")"'},
		             {"on": "normal", "webhook": '"$(webhook "$name-normal")"'}]}')
	MH_STARTED=${EPOCHREALTIME/./}
	mh_start --policy "$P" --cgroup "$CG" --log-level debug
	wait_for 20 mh_logged watching || return 1
	# settle: level 0, a tick or two
	wait_for 10 mh_logged 'checking every'
	: >"$BATS_TEST_TMPDIR/$name.ms"
	for ((i = 1; i <= TRIALS; i++)); do
		if ! trial "$name" "$3" "$4"; then
			echo "latency: $name trial $i: no webhook in time"
			tail -5 "$MH_LOG"
			return 1
		fi
		echo "$name trial $i: ${LAT_MS} ms"
		echo "$LAT_MS" >>"$BATS_TEST_TMPDIR/$name.ms"
	done
	mh_stop
	echo "$name: memhook ran $(((${EPOCHREALTIME/./} - MH_STARTED) / 1000)) ms; $(grep -o 'stopped: [0-9]* checks, [0-9]* events' "$MH_LOG")"
}

# raise_high: memory.high 1 MiB above the current usage: the next 2 MiB cross it, and nothing
# crosses it before (no stray "high" events between trials).
raise_high() {
	echo $(($(cg_current "$CG") + MiB)) >"$CG/memory.high"
}

fail=0
# wakeup: hog at 8 MiB; each trial grows 2 MiB, past memory.high (a "high" event); the reset
# raises memory.high again, and the level drops at the next tick without new events
cg_new lat-events 128M
hog_start lat-events "$CG"
hog_do lat-events "grow 8"
raise_high
events_trigger() { hog_send lat-events "grow 2"; }
measure lat-events '{"events": "high"}' events_trigger raise_high || fail=1
cg_cleanup

# polling: hog at 20 MiB of 64M, threshold usage > 22 MiB; each trial grows 4 MiB, reset shrinks
cg_new lat-poll 64M
echo 0 >"$CG/memory.swap.max"
hog_start lat-poll "$CG"
hog_do lat-poll "grow 20"
poll_trigger() { hog_send lat-poll "grow 4"; }
poll_reset() { hog_do lat-poll "shrink 4"; }
measure lat-poll '{"local_absolute": "42Mi"}' poll_trigger poll_reset || fail=1
cg_cleanup

if [ "$fail" = 0 ]; then
	ev=$(median <"$BATS_TEST_TMPDIR/lat-events.ms")
	po=$(median <"$BATS_TEST_TMPDIR/lat-poll.ms")
	echo "latency: check_interval ${INTERVAL_MS} ms, $TRIALS trials each, trigger -> webhook arrival:"
	echo "latency:   events condition, memory.events wakeup: median $ev ms" \
		"(min $(sort -n "$BATS_TEST_TMPDIR/lat-events.ms" | head -1), max $(sort -n "$BATS_TEST_TMPDIR/lat-events.ms" | tail -1))"
	echo "latency:   local_absolute, polling at the interval: median $po ms" \
		"(min $(sort -n "$BATS_TEST_TMPDIR/lat-poll.ms" | head -1), max $(sort -n "$BATS_TEST_TMPDIR/lat-poll.ms" | tail -1))"
	echo "latency:   the wakeup fires $((po - ev)) ms sooner (median)"
fi
exit $fail
