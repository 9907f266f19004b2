#!/usr/bin/env bats
# Every receiver library's example (container/receivers/<language>/run-example) against memhook on
# this host's real cgroup v1: a hog climbs to the top of three levels and frees its memory, and the
# example must print its handler calls in Satella's order (entered 1, 2, 3, then left 3, 2, 1 and
# normal), over a signed webhook and over the /events stream. Run by `make test-receivers`, not by
# `make bats`: the examples build themselves first (Go, Java, npm), which takes a while.
#
# LANGUAGES is the list the project ships: a language listed here whose run-example is missing
# fails (it is never skipped), and a directory under container/receivers/ not listed here fails too.
# RECEIVERS_DIR points the test at other examples (default: container/receivers).

bats_require_minimum_version 1.5.0
load helpers

LANGUAGES="python go node java"
MiB=1048576
# The secret the example gets (MEMHOOK_SECRET) and memhook signs with (secret_env).
SECRET=whsec_$(printf 'live receiver test key, 32 bytes' | base64)
# How long an example may take to build and say it is ready (a first Go or Java build on 2 cores).
READY_S=300

setup() {
	common_setup
	TOP="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
	RECEIVERS="${RECEIVERS_DIR:-$TOP/container/receivers}"
	GROUPS_STARTED=()
}
teardown() {
	local g
	for g in "${GROUPS_STARTED[@]}"; do kill -9 -- "-$g" 2>/dev/null || true; done
	if [ -z "${BATS_TEST_COMPLETED:-}" ] && [ -f "$T/example.out" ]; then
		sed 's/^/# example: /' "$T/example.out" >&3
	fi
	common_teardown
}

# example_start LANGUAGE VAR=VALUE...: runs the language's run-example in its own process group
# (whatever it starts is killed in teardown) with the contract's environment; output in
# $T/example.out. Fails at once when run-example is missing or not executable.
example_start() {
	local lang=$1 run="$RECEIVERS/$1/run-example"
	shift
	if [ ! -x "$run" ]; then
		echo "$lang is in LANGUAGES but $run is missing or not executable" >&2
		return 1
	fi
	env MEMHOOK_SECRET="$SECRET" HOST=127.0.0.1 PORT=0 "$@" setsid "$run" > "$T/example.out" 2>&1 &
	PIDS+=($!)
	GROUPS_STARTED+=($!)
}
example_has() { grep -Eq -- "$1" "$T/example.out"; }
example_alive() { kill -0 "${PIDS[-1]}" 2>/dev/null; }
# example_ready REGEX: waits for the example's ready line, failing early if it exits.
example_ready() {
	local deadline=$((SECONDS + READY_S))
	until example_has "$1"; do
		if ! example_alive; then
			echo "the example exited before printing /$1/" >&2
			return 1
		fi
		if ((SECONDS >= deadline)); then
			echo "the example did not print /$1/ within ${READY_S}s" >&2
			return 1
		fi
		sleep 0.1
	done
}
# calls: the example's handler calls as word pairs, one per line ("entered 1", …, "normal").
calls() { awk '$1 == "call" { print ($2 == "normal" || $2 ~ /^target_/) ? $2 : $2 " " $3 }' "$T/example.out"; }
calls_count_at_least() { [ "$(calls | wc -l)" -ge "$1" ]; }

SATELLA_ORDER="entered 1
entered 2
entered 3
left 3
left 2
left 1
normal"

# policy FILE HANDLERS: three levels on the 128 MiB cgroup, 60 / 40 / 20 % free (more than 51.2,
# 76.8 and 102.4 MiB used).
policy() {
	cat > "$1" <<JSON
{"check_interval": "100ms", "log_transitions": true,
 "levels": [{"name": "elevated", "when": {"local_relative": 60}},
            {"name": "high", "when": {"local_relative": 40}},
            {"name": "critical", "when": {"local_relative": 20}}],
 "handlers": $2}
JSON
}

# climb_and_fall: the hog (about 14 MiB before it grows) climbs the three levels one at a time,
# to about 59, 84 and 109 MiB, then frees everything.
climb_and_fall() {
	hog grow 45
	wait_for 10 log_has 'level 0 -> 1 \(elevated\): entered'
	hog grow 25
	wait_for 10 log_has 'level 1 -> 2 \(high\): entered'
	hog grow 25
	wait_for 10 log_has 'level 2 -> 3 \(critical\): entered'
	hog free
	wait_for 10 log_has 'memory is back to normal'
}

# assert_satella_order: the example printed the seven calls, in order, and nothing else.
assert_satella_order() {
	wait_for 20 calls_count_at_least 7
	run calls
	if [ "$output" != "$SATELLA_ORDER" ]; then
		printf 'calls, in order:\n%s\nexpected:\n%s\n' "$output" "$SATELLA_ORDER" >&2
		return 1
	fi
	grep -Eq '^call entered 3 critical$' "$T/example.out" || {
		echo "no 'call entered 3 critical' line (the level's name after the pair)" >&2
		return 1
	}
}

live_setup() {
	needs_cg1 || return 1
	cg1_create "memhook-live-$$-$BATS_TEST_NUMBER" $((128 * MiB))
	hog_start "$CG"
}

# over_webhook LANGUAGE: memhook posts entered, left and normal, signed, to the example.
over_webhook() {
	live_setup
	example_start "$1"
	example_ready '^listening on [0-9]+'
	local port
	port=$(sed -nE 's/^listening on ([0-9]+).*/\1/p' "$T/example.out" | head -n 1)
	local url="http://127.0.0.1:$port/"
	local hook="\"webhook\": {\"url\": \"$url\", \"secret_env\": \"MEMHOOK_SECRET\", \"timeout\": \"2s\"}"
	policy "$T/p.json" "[{\"on\": \"entered\", $hook}, {\"on\": \"left\", $hook}, {\"on\": \"normal\", $hook}]"
	MEMHOOK_SECRET="$SECRET" memhook_start --policy "$T/p.json" --cgroup "$CG"
	wait_for 10 log_has "watching cgroup $CG"
	climb_and_fall
	assert_satella_order
	run ! log_has 'failed'
	run ! example_has 'rejected|\(401\)'
}

# over_stream LANGUAGE: the example reads memhook's /events (--listen), no webhook at all.
over_stream() {
	live_setup
	policy "$T/p.json" "[]"
	memhook_start --policy "$T/p.json" --cgroup "$CG" --listen 127.0.0.1:0
	wait_for 10 log_has 'listening on http://127\.0\.0\.1:[0-9]+ '
	local http
	http="$(grep -Eo 'http://127\.0\.0\.1:[0-9]+' "$T/memhook.log" | head -n 1)"
	example_start "$1" SUBSCRIBE_URL="$http/events"
	example_ready '^subscribed to '
	climb_and_fall
	assert_satella_order
}

@test "every language listed has a run-example and a test.sh; every language shipped is listed" {
	local lang dir fail=0
	for lang in $LANGUAGES; do
		for f in run-example test.sh; do
			[ -x "$RECEIVERS/$lang/$f" ] || { echo "missing or not executable: $RECEIVERS/$lang/$f" >&2; fail=1; }
		done
		grep -q "over_webhook $lang;" "$BATS_TEST_FILENAME" || { echo "no webhook test for $lang" >&2; fail=1; }
		grep -q "over_stream $lang;" "$BATS_TEST_FILENAME" || { echo "no stream test for $lang" >&2; fail=1; }
	done
	for dir in "$RECEIVERS"/*/; do
		[ -d "$dir" ] || continue
		lang=$(basename "$dir")
		[[ " $LANGUAGES " == *" $lang "* ]] || { echo "$dir is not in LANGUAGES" >&2; fail=1; }
	done
	[ "$fail" = 0 ]
}

@test "python: webhook calls in Satella's order on a real cgroup v1" { over_webhook python; }
@test "python: /events stream calls in Satella's order on a real cgroup v1" { over_stream python; }
@test "go: webhook calls in Satella's order on a real cgroup v1" { over_webhook go; }
@test "go: /events stream calls in Satella's order on a real cgroup v1" { over_stream go; }
@test "node: webhook calls in Satella's order on a real cgroup v1" { over_webhook node; }
@test "node: /events stream calls in Satella's order on a real cgroup v1" { over_stream node; }
@test "java: webhook calls in Satella's order on a real cgroup v1" { over_webhook java; }
@test "java: /events stream calls in Satella's order on a real cgroup v1" { over_stream java; }
