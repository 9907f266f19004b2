# Shared helpers for the bats suites: temp dirs, waiting with deadlines, the webhook listener,
# the memhook process, fixture trees and real cgroup v1 groups (always removed in teardown).

HERE_LIB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib"
: "${MEMHOOK:?MEMHOOK must name the memhook binary}"

# wait_for SECONDS CMD...: runs CMD every 50 ms until it succeeds; fails after SECONDS.
wait_for() {
	local deadline=$((SECONDS + $1)) ; shift
	until "$@"; do
		if ((SECONDS >= deadline)); then
			echo "wait_for: timed out: $*" >&2
			return 1
		fi
		sleep 0.05
	done
}

common_setup() {
	T="$(mktemp -d "${BATS_TMPDIR:-/tmp}/memhook-test.XXXXXX")"
	PIDS=()
	CGROUPS=()
}

common_teardown() {
	local p cg
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	for cg in "${CGROUPS[@]}"; do cg_remove "$cg"; done
	if [ -n "${T:-}" ] && [ -d "$T" ]; then
		if [ -n "${BATS_TEST_COMPLETED:-}" ]; then rm -rf "$T"; else
			echo "# logs kept in $T" >&3
			[ -f "$T/memhook.log" ] && sed 's/^/# memhook: /' "$T/memhook.log" >&3
		fi
	fi
	return 0
}

# listener_start [STATUS...]: starts the webhook receiver; sets URL and REQS (one JSON line per request).
listener_start() {
	REQS="$T/requests.jsonl"
	: > "$REQS"
	rm -f "$T/port"
	python3 "$HERE_LIB/listener.py" "$REQS" "$T/port" "$@" &
	PIDS+=($!)
	wait_for 10 test -s "$T/port"
	URL="http://127.0.0.1:$(cat "$T/port")/memory"
}

# requests_count: number of requests received.
requests_count() { wc -l < "$REQS"; }
# has_event EVENT [LEVEL]: a request whose body has this event (and level) arrived.
has_event() {
	python3 - "$REQS" "$@" <<'PY'
import json, sys
path, event = sys.argv[1], sys.argv[2]
level = int(sys.argv[3]) if len(sys.argv) > 3 else None
for line in open(path):
    b = json.loads(json.loads(line)["body"])
    if b["event"] == event and (level is None or b["level"] == level):
        sys.exit(0)
sys.exit(1)
PY
}
# event_field EVENT LEVEL EXPR: prints a Python expression over the body `b` of the first match.
event_field() {
	python3 - "$REQS" "$@" <<'PY'
import json, sys
path, event, level, expr = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
for line in open(path):
    r = json.loads(line)
    b = json.loads(r["body"])
    if b["event"] == event and (level == "*" or b["level"] == int(level)):
        v = eval(expr)
        print(" ".join(map(str, v)) if isinstance(v, tuple) else v); sys.exit(0)
sys.exit(1)
PY
}
# events_in_order: the "event:level" sequence of all requests, space separated.
events_in_order() {
	python3 - "$REQS" <<'PY'
import json, sys
print(" ".join("%s:%d" % (b["event"], b["level"]) for b in
               (json.loads(json.loads(l)["body"]) for l in open(sys.argv[1]))))
PY
}

# memhook_start ARGS...: runs memhook in the background, log in $T/memhook.log, pid in MH_PID.
memhook_start() {
	"$MEMHOOK" "$@" 2> "$T/memhook.log" &
	MH_PID=$!
	PIDS+=("$MH_PID")
}
# log_has REGEX: memhook's log matches.
log_has() { grep -Eq -- "$1" "$T/memhook.log"; }
# memhook_stop: SIGTERM, then wait (with a deadline) for a clean exit; sets MH_RC.
memhook_stop() {
	kill -TERM "$MH_PID"
	local i
	for i in $(seq 100); do kill -0 "$MH_PID" 2>/dev/null || break; sleep 0.05; done
	MH_RC=0
	wait "$MH_PID" || MH_RC=$?
}

# fixture_v2 DIR USAGE MAX: a fake cgroup v2 directory (files rewritten in place by set_usage).
fixture_v2() {
	mkdir -p "$1"
	echo "$2" > "$1/memory.current"
	echo "$3" > "$1/memory.max"
	printf 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n' > "$1/memory.events"
	printf 'anon 1048576\nfile 2097152\nkernel 524288\ninactive_file 1572864\nactive_file 524288\n' > "$1/memory.stat"
	: > "$1/cgroup.procs"
	: > "$1/memory.reclaim"
}
# set_usage DIR BYTES: rewrites memory.current in place (same inode: memhook keeps its fd).
set_usage() { printf '%s\n' "$2" > "$1/memory.current"; }

# fixture_proc DIR TOTAL_KB AVAIL_KB: a fake /proc with meminfo.
fixture_proc() {
	mkdir -p "$1/self"
	printf 'MemTotal:       %s kB\nMemFree:         1000 kB\nMemAvailable:   %s kB\n' "$2" "$3" > "$1/meminfo"
}

# ---- real cgroup v1 (this host's memory controller) ----
CG1_ROOT=/sys/fs/cgroup/memory

cg1_available() { [ "$(id -u)" = 0 ] && [ -w "$CG1_ROOT" ] && [ -f "$CG1_ROOT/memory.usage_in_bytes" ]; }
# needs_cg1: a writable v1 memory hierarchy, or the test fails under CI=true (a skipped test fails
# CI: say so loudly) and is skipped elsewhere. In setup: `needs_cg1 || return 1`.
needs_cg1() {
	cg1_available && return 0
	if [ "${CI:-}" = true ]; then
		echo "no writable cgroup v1 memory hierarchy at $CG1_ROOT (root needed)" >&2
		return 1
	fi
	skip "no writable cgroup v1 memory hierarchy at $CG1_ROOT (run as root)"
}

# cg1_create NAME LIMIT: makes a v1 memory cgroup with a limit; removed in teardown. Sets CG.
cg1_create() {
	CG="$CG1_ROOT/$1"
	mkdir "$CG"
	CGROUPS+=("$CG")
	echo "$2" > "$CG/memory.limit_in_bytes"
}

# cg_remove DIR: kills what is inside and removes the cgroup (and children), with a deadline.
cg_remove() {
	local dir=$1 p i
	[ -d "$dir" ] || return 0
	for i in $(seq 100); do
		for p in $(cat "$dir/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
		find "$dir" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null || true
		rmdir "$dir" 2>/dev/null && return 0
		[ -d "$dir" ] || return 0
		sleep 0.05
	done
	echo "cg_remove: could not remove $dir" >&2
	return 1
}

# hog_start CGROUP_DIR: starts the steerable hog inside the cgroup. Sets HOG_PID, HOG_FIFO.
hog_start() {
	HOG_FIFO="$T/hog.fifo"
	mkfifo "$HOG_FIFO"
	: > "$T/hog.ack"
	bash -c 'echo $$ > "$1/cgroup.procs" && exec -a memhook-test-hog python3 "$2" "$3" "$4" "$5"' \
		hog "$1" "$HERE_LIB/hog.py" "$HOG_FIFO" "$T/hog.trap" "$T/hog.ack" &
	HOG_PID=$!
	PIDS+=("$HOG_PID")
	wait_for 10 grep -q ready "$T/hog.ack"
}
# hog CMD: sends a command and waits for its acknowledgement.
hog() {
	local before
	before=$(wc -l < "$T/hog.ack")
	echo "$*" > "$HOG_FIFO"
	wait_for 20 hog_acked_more_than "$before"
}
# requests_at_least N: at least N requests arrived (for wait_for: evaluated at each try).
requests_at_least() { [ "$(requests_count)" -ge "$1" ]; }
hog_acked_more_than() { [ "$(wc -l < "$T/hog.ack")" -gt "$1" ]; }

# hooks: the "handlers" member of a policy posting entered, left and normal to the listener ($URL).
hooks() {
	cat <<JSON
 "handlers": [
   {"on": "entered", "webhook": {"url": "$URL"}},
   {"on": "left", "webhook": {"url": "$URL"}},
   {"on": "normal", "webhook": {"url": "$URL"}}
 ]
JSON
}
