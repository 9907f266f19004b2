#!/usr/bin/env bats
# A log or trace reader that stops reading, and record's output file: each test failed before its
# fix.

bats_require_minimum_version 1.5.0
load helpers

MiB=1048576

setup() {
	common_setup
	fixture_v2 "$T/cg" $((10 * MiB)) $((100 * MiB))
	fixture_proc "$T/proc" 8000000 4000000
	# The reader of a pipe: shrinks it to one page (4 KiB: full after a few lines), writes its pid,
	# then copies what it reads to a file. SIGSTOP on it is a log pipe nobody reads.
	cat > "$T/reader.py" <<'PY'
import fcntl, os, sys
try:
    fcntl.fcntl(0, getattr(fcntl, "F_SETPIPE_SZ", 1031), 4096)
except OSError:
    pass
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write("%d\n" % os.getpid())
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
with open(sys.argv[1], "ab", buffering=0) as out:
    while True:
        b = os.read(0, 65536)
        if not b:
            break
        out.write(b)
PY
}
teardown() {
	[ -n "${READER_PID:-}" ] && kill -CONT "$READER_PID" 2>/dev/null
	common_teardown
}

# reader_pipe_start: sets READER_PID once the reader of the pipe (process substitution) is ready.
reader_ready() { [ -s "$T/reader.pid" ]; }
reader_pipe_wait() {
	wait_for 10 reader_ready
	READER_PID=$(cat "$T/reader.pid")
	PIDS+=("$READER_PID")
}
# pipe_full PID FD: the pipe on PID's fd FD has less than a page of room, so a writer that waits
# for a free page (poll) or for room for its line (a blocking write) soon writes no more: FIONREAD
# (the bytes in it, from either end) against F_GETPIPE_SZ (one page when the reader's shrink came
# first, else 64 KiB).
pipe_full() {
	python3 - "$1" "$2" <<'PY'
import array, fcntl, os, sys, termios
fd = os.open("/proc/%s/fd/%s" % (sys.argv[1], sys.argv[2]), os.O_WRONLY | os.O_NONBLOCK)
n = array.array("i", [0])
fcntl.ioctl(fd, termios.FIONREAD, n)
sys.exit(0 if n[0] > fcntl.fcntl(fd, getattr(fcntl, "F_GETPIPE_SZ", 1032)) - 4096 else 1)
PY
}
# metric NAME: its value in a scrape of /metrics.
metric() { curl -sf --max-time 2 "http://$ADDR/metrics" | awk -v n="$1" '$1 == n { print $2 }'; }
metric_above() { local v; v=$(metric "$1") && [ -n "$v" ] && [ "$v" -gt "$2" ]; }
# stop_within MS PID: SIGTERM, then its exit within MS milliseconds (killed at 3 s); sets RC, TOOK_MS.
stop_within() {
	local t0 t1 wd
	t0=$(date +%s%N)
	kill -TERM "$2"
	(sleep 3; kill -9 "$2" 2>/dev/null) &
	wd=$!
	RC=0
	wait "$2" || RC=$?
	t1=$(date +%s%N)
	kill "$wd" 2>/dev/null || true
	TOOK_MS=$(((t1 - t0) / 1000000))
	echo "# exit $RC after ${TOOK_MS} ms" >&3
	[ "$TOOK_MS" -lt "$1" ]
}

start_logging_memhook() {
	cat > "$T/p.json" <<JSON
{"check_interval":"10ms","levels":[{"name":"tight","when":{"local_relative":10}}]}
JSON
	# debug: a line per check, 100 lines a second into the stopped pipe
	"$MEMHOOK" --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc" --log-level debug \
		--listen 127.0.0.1:0 2> >(exec python3 "$T/reader.py" "$T/memhook.log" "$T/reader.pid") &
	MH_PID=$!
	PIDS+=("$MH_PID")
	reader_pipe_wait
	wait_for 10 log_has 'listening on http://'
	ADDR=$(grep -Eo 'listening on http://[0-9.:]+' "$T/memhook.log" | head -n1 | sed 's|.*http://||')
}

@test "a stopped log reader: checks and /metrics go on, SIGTERM stops memhook within 1 s" {
	start_logging_memhook
	kill -STOP "$READER_PID"
	wait_for 15 pipe_full "$MH_PID" 2
	c0=$(metric memhook_checks_total)
	[ -n "$c0" ]
	# The stall itself (not a wait for a condition): 3 s of a full pipe, 300 checks at 10 ms.
	sleep 3
	pipe_full "$MH_PID" 2
	c1=$(metric memhook_checks_total)
	[ -n "$c1" ] # /metrics answered with the reader stopped
	echo "# checks during a 3 s stall: $((c1 - c0))" >&3
	[ $((c1 - c0)) -ge 150 ] # half the pace, on a loaded 2-core machine
	# SIGTERM while the reader is still stopped
	stop_within 1000 "$MH_PID"
	[ "$RC" -eq 0 ]
}

@test "lines that did not fit are dropped whole, counted in /metrics and said once the log flows" {
	start_logging_memhook
	kill -STOP "$READER_PID"
	wait_for 15 pipe_full "$MH_PID" 2
	# 4 KiB of pipe and 64 KiB of buffer fill in about 6 s at 100 lines a second
	wait_for 30 metric_above memhook_log_lines_dropped_total 0
	wait_for 5 metric_above memhook_log_lines_dropped_total 10
	kill -CONT "$READER_PID"
	wait_for 10 log_has 'log lines dropped while stderr was blocked'
	# the count said is the count in /metrics: no drop since the log flows again
	said=$(grep -Eo '[0-9]+ log lines dropped while stderr was blocked' "$T/memhook.log" | awk '{print $1}')
	[ "$(grep -c 'log lines dropped while stderr was blocked' "$T/memhook.log")" -eq 1 ]
	[ "$said" -eq "$(metric memhook_log_lines_dropped_total)" ]
	[ "$said" -gt 10 ]
	stop_within 1000 "$MH_PID"
	[ "$RC" -eq 0 ]
	# every line whole: a timestamp, memhook, a level (none torn, none run into another)
	run grep -cvE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z memhook (debug|info|warn|error): ' "$T/memhook.log"
	[ "$output" -eq 0 ]
	# the checks are numbered: the lines after the gap go on where the reader left off
	log_has 'stopped: [0-9]+ checks'
}

@test "record --output replaces a planted symlink, never writes through it" {
	mkdir -m 1777 "$T/shared"
	echo "precious" > "$T/victim"
	chmod 0644 "$T/victim"
	ln -s "$T/victim" "$T/shared/trace.jsonl"
	run "$MEMHOOK" record --cgroup "$T/cg" --proc-root "$T/proc" --interval 10ms --duration 50ms \
		--output "$T/shared/trace.jsonl"
	[ "$status" -eq 0 ]
	[ "$(cat "$T/victim")" = "precious" ]
	[ ! -L "$T/shared/trace.jsonl" ]
	# the trace is there: 6 lines, fewer when a tick was missed on a loaded machine
	python3 -c 'import json,sys; n=[json.loads(l) for l in open(sys.argv[1])]; assert 1 <= len(n) <= 6, n' \
		"$T/shared/trace.jsonl"
	[ "$(stat -c %a "$T/shared/trace.jsonl")" = 644 ]
	run ! compgen -G "$T/shared/.trace.jsonl.*"
}

@test "record stops within 1 s of SIGTERM while its output pipe is stalled" {
	"$MEMHOOK" record --cgroup "$T/cg" --proc-root "$T/proc" --interval 10ms \
		> >(exec python3 "$T/reader.py" "$T/trace.jsonl" "$T/reader.pid") 2> "$T/memhook.log" &
	MH_PID=$!
	PIDS+=("$MH_PID")
	reader_pipe_wait
	kill -STOP "$READER_PID"
	wait_for 15 pipe_full "$MH_PID" 1
	stop_within 1000 "$MH_PID"
	[ "$RC" -eq 0 ]
	log_has 'SIGTERM: stopping; [0-9]+ line\(s\) recorded'
}

@test "record --format csv to a full disk says why: no space left" {
	run "$MEMHOOK" record --cgroup "$T/cg" --proc-root "$T/proc" --interval 10ms --duration 50ms \
		--format csv --output /dev/full
	[ "$status" -eq 1 ]
	[[ "$output" == *"writing to /dev/full: No space left on device"* ]]
	[ -c /dev/full ]
}
