#!/usr/bin/env bats
# The Go receiver library's GoMemLimit on the host's real cgroup v1: a Go program serving the
# receiver runs in a limited cgroup, the real memhook watches that cgroup with a signed webhook to
# it, memory.limit_in_bytes changes under both, and the program's debug.SetMemoryLimit(-1) follows:
# 0.9 × the new limit, unchanged with GOMEMLIMIT set or AUTOMEMLIMIT=off (automemlimit's rules).

load helpers

MiB=1048576
SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
GO_DIR="$(cd "$(dirname "$BATS_TEST_FILENAME")/../../container/receivers/go" && pwd)"
NO_LIMIT=9223372036854775807

setup() {
	common_setup
	needs_cg1 || return 1
	cg1_create "memhook-gomemlimit-$$-$BATS_TEST_NUMBER" $((64 * MiB))
	# the Go build cache outside the source tree, shared with the library's test.sh
	local build="${TMPDIR:-/tmp}/memhook-receiver-go.$(id -u)"
	mkdir -p "$build"
	(cd "$GO_DIR" && GOPATH="$build/gopath" GOCACHE="$build/gocache" GOPROXY=off GOTOOLCHAIN=local \
		go build -o "$T/probe" ./cmd/gomemlimit-probe)
}
teardown() { common_teardown; }

# probe_start [VAR=VALUE...]: the probe inside the cgroup, with these variables; sets PROBE_URL.
probe_start() {
	env -u GOMEMLIMIT -u AUTOMEMLIMIT MEMHOOK_SECRET="$SECRET" PORT=0 "$@" \
		bash -c 'echo $$ > "$1/cgroup.procs" && exec "$2"' probe "$CG" "$T/probe" \
		> "$T/probe.out" 2> "$T/probe.log" &
	PROBE_PID=$!
	PIDS+=("$PROBE_PID")
	wait_for 10 grep -q '^listening on ' "$T/probe.out"
	grep -qx "$PROBE_PID" "$CG/cgroup.procs"
	PROBE_URL="http://127.0.0.1:$(sed -n 's/^listening on //p' "$T/probe.out")/"
	cat > "$T/p.json" <<JSON
{"check_interval": "100ms",
 "levels": [{"name": "tight", "when": {"local_relative": 5}}],
 "handlers": [{"on": "limit_changed", "webhook": {"url": "$PROBE_URL", "secret_env": "MEMHOOK_TEST_SECRET"}}]}
JSON
	MEMHOOK_TEST_SECRET="$SECRET" memhook_start --policy "$T/p.json" --cgroup "$CG"
	wait_for 10 log_has "watching cgroup $CG \(v1\)"
}

# set_limit BYTES: changes the cgroup's limit and waits for the probe to report the event.
set_limit() {
	local old
	old=$(cat "$CG/memory.limit_in_bytes")
	echo "$1" > "$CG/memory.limit_in_bytes"
	wait_for 10 grep -q "^limit_changed $old $1 memlimit " "$T/probe.out"
}
# memlimit_after OLD NEW: the probe's memory limit reported after the change OLD -> NEW.
memlimit_after() { sed -n "s/^limit_changed $1 $2 memlimit //p" "$T/probe.out"; }
# ratio_of BYTES: int(0.9 × BYTES), as Go computes it (both IEEE doubles).
ratio_of() { python3 -c 'import sys; print(int(0.9 * int(sys.argv[1])))' "$1"; }

@test "GoMemLimit: a limit changed under a running Go program sets its memory limit to 0.9 x the new limit" {
	probe_start
	grep -qx "memlimit start $NO_LIMIT" "$T/probe.out"
	set_limit $((128 * MiB))
	[ "$(memlimit_after $((64 * MiB)) $((128 * MiB)))" = "$(ratio_of $((128 * MiB)))" ]
	set_limit $((48 * MiB))
	[ "$(memlimit_after $((128 * MiB)) $((48 * MiB)))" = "$(ratio_of $((48 * MiB)))" ]
	kill -0 "$PROBE_PID"
}

@test "GoMemLimit: an explicit GOMEMLIMIT wins: the memory limit is unchanged" {
	probe_start GOMEMLIMIT=100MiB
	grep -qx "memlimit start $((100 * MiB))" "$T/probe.out"
	set_limit $((128 * MiB))
	[ "$(memlimit_after $((64 * MiB)) $((128 * MiB)))" = $((100 * MiB)) ]
}

@test "GoMemLimit: AUTOMEMLIMIT=off turns it off: the memory limit is unchanged" {
	probe_start AUTOMEMLIMIT=off
	set_limit $((128 * MiB))
	[ "$(memlimit_after $((64 * MiB)) $((128 * MiB)))" = "$NO_LIMIT" ]
}
