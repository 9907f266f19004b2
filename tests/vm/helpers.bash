# Helpers for the VM suite (sourced by the .bats files and latency.sh, inside the guest, as root).
# Every wait is a poll with a deadline; every cgroup and process a test makes is removed in teardown.

WORK=${MEMHOOK_WORK:?MEMHOOK_WORK is not set: run through tests/vm/run.sh}
MEMHOOK=$WORK/bin/memhook
HOG=$WORK/bin/hog
CGROOT=/sys/fs/cgroup
HOOK_PORT=8765
HOOK_DIR=/tmp/hooks
HOOK_URL=http://127.0.0.1:$HOOK_PORT
MiB=$((1024 * 1024))

# wait_for SECONDS COMMAND...: runs COMMAND every 0.1 s until it succeeds; fails after SECONDS.
wait_for() {
	local limit=$1
	shift
	local deadline=$((${EPOCHREALTIME/./} + limit * 1000000))
	until "$@"; do
		if [ "${EPOCHREALTIME/./}" -ge "$deadline" ]; then
			echo "wait_for: gave up after ${limit}s waiting for: $*" >&2
			return 1
		fi
		sleep 0.1
	done
}

# ---- the webhook listener (one per .bats file) ----------------------------------------------------
listener_start() {
	rm -rf "$HOOK_DIR"
	mkdir -p "$HOOK_DIR"
	/usr/bin/python3 "$WORK/vm/listener.py" "$HOOK_PORT" "$HOOK_DIR" >"$HOOK_DIR.log" 2>&1 3>&- &
	echo $! >/tmp/listener.pid
	disown $! # no "Terminated" notice from bash when it is stopped
	wait_for 30 test -e "$HOOK_DIR/.ready"
}

listener_stop() {
	local pid
	pid=$(cat /tmp/listener.pid 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null || true
	wait_for 10 proc_gone "$pid"
}

# hook_count NAME: webhooks received at $HOOK_URL/NAME so far.
hook_count() {
	if [ -f "$HOOK_DIR/$1.jsonl" ]; then wc -l <"$HOOK_DIR/$1.jsonl"; else echo 0; fi
}

# hook_bodies NAME: the bodies received at /NAME, one JSON document a line.
hook_bodies() {
	[ -f "$HOOK_DIR/$1.jsonl" ] || return 0
	jq -c '.body | fromjson' "$HOOK_DIR/$1.jsonl"
}

# hook_has NAME JQ_CONDITION: some body at /NAME satisfies the jq condition.
hook_has() {
	[ -f "$HOOK_DIR/$1.jsonl" ] || return 1
	jq -e -s "map(.body | fromjson | select($2)) | length > 0" "$HOOK_DIR/$1.jsonl" >/dev/null
}

# hook_get NAME JQ_CONDITION JQ_FILTER: JQ_FILTER applied to the first body satisfying the condition.
hook_get() {
	jq -r -s "map(.body | fromjson | select($2)) | first | $3" "$HOOK_DIR/$1.jsonl"
}

# ---- cgroups --------------------------------------------------------------------------------------
# cg_new NAME [memory.max [memory.high]]: creates $CGROOT/memhook-NAME (a path under it makes
# nested ones, the parents must exist), removed by cg_cleanup. Prints nothing; sets CG.
CG_MADE=()
cg_new() {
	CG=$CGROOT/memhook-$1
	mkdir "$CG"
	CG_MADE+=("$CG")
	[ -z "${2:-}" ] || echo "$2" >"$CG/memory.max"
	[ -z "${3:-}" ] || echo "$3" >"$CG/memory.high"
}

cg_empty() { [ ! -d "$1" ] || [ -z "$(cat "$1/cgroup.procs" 2>/dev/null)" ]; }

# Kills everything in the cgroups this test made (cgroup.kill) and removes them, children first.
cg_cleanup() {
	local i cg
	for ((i = ${#CG_MADE[@]} - 1; i >= 0; i--)); do
		cg=${CG_MADE[i]}
		[ -d "$cg" ] || continue
		echo 1 >"$cg/cgroup.kill" 2>/dev/null || true
		wait_for 10 cg_empty "$cg" || true
		find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
		[ ! -d "$cg" ] || echo "cg_cleanup: could not remove $cg" >&2
	done
	CG_MADE=()
}

cg_current() { cat "$1/memory.current"; }
cg_event() { awk -v k="$2" '$1 == k { print $2 }' "$1/memory.events"; }

# ---- the hog --------------------------------------------------------------------------------------
# hog_start NAME CGROUP: starts a hog in CGROUP; sets HOG_PID. Commands: hog_do / hog_send.
hog_start() {
	local ctl=/tmp/hog-$1.ctl st=/tmp/hog-$1.st
	rm -f "$ctl" "$st"
	mkfifo "$ctl"
	"$HOG" "$ctl" "$st" "$2" >>/tmp/hog-$1.log 2>&1 3>&- &
	HOG_PID=$!
	disown "$HOG_PID" # killed in teardown: no "Killed" notice from bash
	echo "$HOG_PID" >"/tmp/hog-$1.pid"
	wait_for 10 test -s "$st"
}

hog_status() { cat "/tmp/hog-$1.st" 2>/dev/null; }
hog_done_at_least() { local s; s=$(hog_status "$1") && [ "${s#* }" -ge "$2" ]; }

# hog_send NAME COMMAND: sends a command without waiting for it (it may block or get the hog killed).
hog_send() { echo "$2" >"/tmp/hog-$1.ctl"; }

# hog_do NAME COMMAND [SECONDS]: sends a command and waits until the hog has carried it out.
hog_do() {
	local s before
	s=$(hog_status "$1")
	before=${s#* }
	hog_send "$1" "$2"
	wait_for "${3:-30}" hog_done_at_least "$1" $((before + 1))
}

# ---- memhook --------------------------------------------------------------------------------------
proc_gone() { ! kill -0 "$1" 2>/dev/null; }

# mh_start ARGS...: starts `memhook run ARGS...` in the background, log in $MH_LOG; sets MH_PID.
mh_start() {
	MH_LOG=$BATS_TEST_TMPDIR/memhook.log
	"$MEMHOOK" run "$@" >"$MH_LOG" 2>&1 3>&- &
	MH_PID=$!
}

mh_stop() {
	[ -n "${MH_PID:-}" ] || return 0
	kill -TERM "$MH_PID" 2>/dev/null || true
	wait_for 10 proc_gone "$MH_PID" || kill -KILL "$MH_PID" 2>/dev/null || true
	MH_PID=
}

mh_running() { kill -0 "$MH_PID" 2>/dev/null; }
mh_logged() { grep -Eq -- "$1" "$MH_LOG"; }

# policy NAME JSON: writes a policy file, prints its path.
policy() {
	local f=$BATS_TEST_TMPDIR/$1.json
	printf '%s\n' "$2" >"$f"
	echo "$f"
}

# webhook NAME: the JSON of a webhook action to $HOOK_URL/NAME, no retries, short timeout.
webhook() { printf '{"url": "%s/%s", "timeout": "3s", "retries": 1, "backoff": "100ms"}' "$HOOK_URL" "$1"; }

# Shown on failure: what memhook said, and the cgroups' state.
dump_state() {
	echo "--- memhook log"
	cat "${MH_LOG:-/dev/null}" 2>/dev/null | tail -40
	local cg
	for cg in "${CG_MADE[@]}"; do
		[ -d "$cg" ] || continue
		echo "--- $cg: current=$(cat "$cg/memory.current") max=$(cat "$cg/memory.max") high=$(cat "$cg/memory.high")"
		echo "    events: $(tr '\n' ' ' <"$cg/memory.events")"
		echo "    pressure: $(head -1 "$cg/memory.pressure")"
	done
}

# refute COMMAND...: fails when COMMAND succeeds (a bare `!` does not fail a bats test).
refute() {
	if "$@"; then
		echo "refute: unexpectedly true: $*" >&2
		return 1
	fi
}

# Turns the zram swap back on after a test that ran without it (when the VM has one).
swap_restore() {
	[ "$(cat /sys/block/zram0/disksize 2>/dev/null || echo 0)" != 0 ] || return 0
	grep -q zram0 /proc/swaps || swapon /dev/zram0
}
