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

# Under software emulation every exec of a dynamic binary costs 50-300 ms (jq, grep, cat, sleep):
# the helpers that run in poll loops use bash builtins only.

# nap: sleeps 0.1 s without a process (read -t on a pipe nobody writes to).
nap() {
	[ -n "${NAP_FD:-}" ] || exec {NAP_FD}<> <(:)
	read -r -t 0.1 -u "$NAP_FD" _ || true
}

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
		nap
	done
}

# ---- the webhook listener (one for the whole run, started by guest.sh) ------------------------------
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
	read -r pid </tmp/listener.pid 2>/dev/null || return 0
	kill "$pid" 2>/dev/null || true
	wait_for 10 proc_gone "$pid"
}

# The listener stores each POST to /NAME as $HOOK_DIR/NAME/<seq>.flat ("key=value" lines, see
# listener.py) and <seq>.body (raw). HOOK: the fields of the record last loaded.
declare -gA HOOK=()
hook_load() {
	local line
	HOOK=()
	while IFS= read -r line; do HOOK[${line%%=*}]=${line#*=}; done <"$1"
}

# hook_find NAME KEY=VALUE...: loads (into HOOK, HOOK_FILE) the first webhook received at
# $HOOK_URL/NAME whose fields equal all the given values. Fails when there is none (yet).
hook_find() {
	local name=$1 f c
	shift
	for f in "$HOOK_DIR/$name"/*.flat; do
		[ -e "$f" ] || return 1
		hook_load "$f"
		for c in "$@"; do
			[ "${HOOK[${c%%=*}]-(unset)}" = "${c#*=}" ] || continue 2
		done
		HOOK_FILE=${f%.flat}
		return 0
	done
	return 1
}

# hook_expect NAME KEY=VALUE...: like hook_find, but says what arrived when nothing matches.
hook_expect() {
	hook_find "$@" && return 0
	echo "no webhook at /$1 with: ${*:2}; received:" >&2
	local f
	for f in "$HOOK_DIR/$1"/*.flat; do [ -e "$f" ] && echo "  $(tr '\n' ' ' <"$f")" >&2; done
	return 1
}

# hook_count NAME: how many webhooks /NAME received (into HOOK_N).
hook_count() {
	local f=("$HOOK_DIR/$1"/*.flat)
	HOOK_N=0
	[ ! -e "${f[0]}" ] || HOOK_N=${#f[@]}
}

# json_load JSON: loads a JSON document's scalars into HOOK, keys as in the listener's records.
json_load() {
	local line
	HOOK=()
	while IFS= read -r line; do HOOK[${line%%=*}]=${line#*=}; done < <(jq -r \
		'paths(scalars) as $p | "\($p | map(tostring) | join("."))=\(getpath($p) | if . == null then "null" else tostring end)"' <<<"$1")
	[ ${#HOOK[@]} -gt 0 ]
}

# eq WHAT GOT WANT: equality with a message.
eq() {
	[ "$2" = "$3" ] || { echo "$1: expected '$3', got '$2'" >&2; return 1; }
}

# ---- cgroups --------------------------------------------------------------------------------------
# cg_new NAME [memory.max [memory.high]]: creates $CGROOT/memhook-NAME (a path under it makes
# nested ones, the parents must exist), removed by cg_cleanup. Prints nothing; sets CG.
CG_MADE=()
cg_new() {
	CG=$CGROOT/memhook-$1
	"$HOG" --mkdir "$CG"
	CG_MADE+=("$CG")
	[ -z "${2:-}" ] || echo "$2" >"$CG/memory.max"
	[ -z "${3:-}" ] || echo "$3" >"$CG/memory.high"
}

cg_empty() {
	local pid=
	[ ! -d "$1" ] || { read -r pid <"$1/cgroup.procs"; } 2>/dev/null
	[ -z "$pid" ]
}

# Kills everything in the cgroups this test made (cgroup.kill) and removes them, children first.
cg_cleanup() {
	local i cg
	for ((i = ${#CG_MADE[@]} - 1; i >= 0; i--)); do
		cg=${CG_MADE[i]}
		[ -d "$cg" ] || continue
		echo 1 >"$cg/cgroup.kill" 2>/dev/null || true
		wait_for 10 cg_empty "$cg" || true
		"$HOG" --rmdir "$cg" 2>/dev/null || true
		[ ! -d "$cg" ] || echo "cg_cleanup: could not remove $cg" >&2
	done
	CG_MADE=()
}

# high_is VALUE: memory.high of $CG reads VALUE ("max" or bytes)
high_is() {
	local v
	read -r v <"$CG/memory.high"
	[ "$v" = "$1" ]
}

cg_current() {
	local v
	read -r v <"$1/memory.current"
	echo "$v"
}
# cg_event CGROUP KEY: a memory.events counter.
cg_event() {
	local k v
	while read -r k v; do [ "$k" != "$2" ] || { echo "$v"; return 0; }; done <"$1/memory.events"
	return 1
}

# ---- the hog --------------------------------------------------------------------------------------
# hog_start NAME CGROUP: starts a hog in CGROUP; sets HOG_PID. Commands: hog_do / hog_send.
hog_start() {
	local ctl=/tmp/hog-$1.ctl st=/tmp/hog-$1.st
	"$HOG" "$ctl" "$st" "$2" >>/tmp/hog-$1.log 2>&1 3>&- &
	HOG_PID=$!
	disown "$HOG_PID" # killed in teardown: no "Killed" notice from bash
	echo "$HOG_PID" >"/tmp/hog-$1.pid"
	wait_for 10 test -s "$st"
}

hog_status() {
	local s
	read -r s <"/tmp/hog-$1.st" 2>/dev/null && echo "$s"
}
hog_done_at_least() {
	local mib done
	read -r mib done <"/tmp/hog-$1.st" 2>/dev/null && [ "$done" -ge "$2" ]
}

# hog_send NAME COMMAND: sends a command without waiting for it (it may block or get the hog killed).
hog_send() { echo "$2" >"/tmp/hog-$1.ctl"; }

# hog_do NAME COMMAND [SECONDS]: sends a command and waits until the hog has carried it out.
hog_do() {
	local mib before
	read -r mib before <"/tmp/hog-$1.st"
	hog_send "$1" "$2"
	wait_for "${3:-30}" hog_done_at_least "$1" $((before + 1))
}

# ---- memhook --------------------------------------------------------------------------------------
# proc_gone PID: the process has exited (a zombie nobody reaped yet counts as gone).
proc_gone() {
	local pid comm state
	kill -0 "$1" 2>/dev/null || return 0
	read -r pid comm state _ <"/proc/$1/stat" 2>/dev/null || return 0
	[ "$state" = Z ]
}

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
# mh_logged ERE: some line of memhook's log matches (bash's regex: no grep to exec).
mh_logged() {
	local line re=$1
	while IFS= read -r line; do [[ $line =~ $re ]] && return 0; done <"$MH_LOG"
	return 1
}

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
	local size=0
	read -r size </sys/block/zram0/disksize 2>/dev/null || true
	[ "$size" != 0 ] || return 0
	zram_swap_on || swapon /dev/zram0
}

zram_swap_on() {
	local dev rest
	while read -r dev rest; do [ "$dev" != /dev/zram0 ] || return 0; done </proc/swaps
	return 1
}

# The teardown of every test: what went wrong (on failure), then memhook, cgroups, swap.
vm_teardown() {
	[ -n "${BATS_TEST_COMPLETED:-}" ] || dump_state
	mh_stop
	cg_cleanup
	swap_restore
}

# cg_with_hog NAME MIB [MAX]: a cgroup NAME (memory.max MAX, default 64M; no swap) with a hog in
# it holding MIB MiB, the hog named NAME with / as -. Sets CG, HOG_PID.
cg_with_hog() {
	cg_new "$1" "${3:-64M}"
	echo 0 >"$CG/memory.swap.max"
	hog_start "${1//\//-}" "$CG"
	hog_do "${1//\//-}" "grow $2"
}
