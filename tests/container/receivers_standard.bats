#!/usr/bin/env bats
# NEEDS THE NEW MEMHOOK: the example receivers against a memhook binary that sends the Standard
# Webhooks headers (webhook-id, webhook-timestamp, webhook-signature) and `instance` in the payload
# (issue 9, "Signed the standard way"). With a binary that sends only X-Memhook-Signature every test
# here fails, so this file is not in the Makefile's CONTAINER_BATS (`make test-container`) until that
# binary is merged; then add it there.
#
# What it proves with the real binary: a receiver with no legacy option verifies memhook's
# whsec_-signed webhooks; real requests recorded on their way (tests/bats/lib/listener.py) and
# delivered reordered are applied in seq order, replayed verbatim are deduplicated, tampered are
# refused; a restarted memhook (new instance, seq from 1 again) is news, not a late event.
# Run: MEMHOOK=/abs/path/to/memhook bats tests/container/receivers_standard.bats

bats_require_minimum_version 1.5.0

setup() {
	top=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	: "${MEMHOOK:?set MEMHOOK to the memhook binary}"
	[ -x "$MEMHOOK" ]
	pids=()
	log=$BATS_TEST_TMPDIR/receiver.log
	secret=whsec_$(printf 'a key of 32 bytes for memhook..!' | base64)
	cg=$BATS_TEST_TMPDIR/cg
	mkdir -p "$cg"
	cp -r "$top/tests/fixtures/v2/." "$cg/"
	rm -f "$cg/memory.pressure"            # no PSI trigger written over the fixture
	echo 268435456 >"$cg/memory.max"       # 256 MiB
	echo 104857600 >"$cg/memory.current"   # 100 MiB: 61% free, level 0
}

teardown() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	if [ -n "${BATS_TEST_COMPLETED:-}" ]; then return 0; fi
	for f in "$BATS_TEST_TMPDIR"/*.log "$BATS_TEST_TMPDIR"/*.jsonl; do
		[ -f "$f" ] && { echo "--- $f"; cat "$f"; }
	done
	return 0
}

need_node() {
	[ -d "$top/container/examples/node/node_modules/standardwebhooks" ] || make -s -C "$top" examples-deps >&2 || true
	command -v node >/dev/null && [ -d "$top/container/examples/node/node_modules/standardwebhooks" ] && return 0
	[ "${CI:-}" = true ] && { echo "node or its node_modules are missing (CI=true: failing)" >&2; return 1; }
	skip "node or container/examples/node/node_modules is missing (make examples-deps)"
}

# wait_for FILE EXTENDED-REGEX [SECONDS]
wait_for() {
	local end=$(( $(date +%s) + ${3:-10} ))
	until grep -qE -- "$2" "$1" 2>/dev/null; do
		[ "$(date +%s)" -lt "$end" ] || { echo "no /$2/ in $1 within ${3:-10}s" >&2; return 1; }
		sleep 0.05
	done
}

# wait_lines FILE N [SECONDS]: until FILE has at least N lines.
wait_lines() {
	local end=$(( $(date +%s) + ${3:-10} ))
	until [ "$(wc -l <"$1" 2>/dev/null || echo 0)" -ge "$2" ]; do
		[ "$(date +%s)" -lt "$end" ] || { echo "$1 has fewer than $2 lines after ${3:-10}s" >&2; return 1; }
		sleep 0.05
	done
}

# start_receiver python|node [node flags]: standard headers only (no ACCEPT_LEGACY_SIGNATURE).
start_receiver() {
	local kind=$1; shift
	if [ "$kind" = python ]; then
		MEMHOOK_SECRET=$secret PORT=0 CACHE_MB=4 python3 -u "$top/container/examples/python/receiver.py" >"$log" 2>&1 &
	else
		need_node
		MEMHOOK_SECRET=$secret PORT=0 CACHE_MB=4 node "$@" "$top/container/examples/node/receiver.js" >"$log" 2>&1 &
	fi
	pids+=($!)
	wait_for "$log" '^receiver: listening on 127\.0\.0\.1:[0-9]+'
	port=$(sed -nE 's/^receiver: listening on 127\.0\.0\.1:([0-9]+).*/\1/p' "$log" | head -1)
}

# start_recorder: tests/bats/lib/listener.py answering 204; sets $rec_port and $recording.
start_recorder() {
	recording=$BATS_TEST_TMPDIR/requests.jsonl
	: >"$recording"
	python3 "$top/tests/bats/lib/listener.py" "$recording" "$BATS_TEST_TMPDIR/rec.port" 204 &
	pids+=($!)
	local end=$(( $(date +%s) + 10 ))
	until [ -s "$BATS_TEST_TMPDIR/rec.port" ]; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.05
	done
	rec_port=$(cat "$BATS_TEST_TMPDIR/rec.port")
}

# start_memhook PORT [LOGNAME]: memhook on the tree, webhooks to PORT on entered 1 and on normal.
start_memhook() {
	local mlog=$BATS_TEST_TMPDIR/${2:-memhook}.log
	cat >"$BATS_TEST_TMPDIR/policy.json" <<EOF
{
  "check_interval": "100ms",
  "levels": [{"name": "elevated", "when": {"local_relative": 50}}],
  "handlers": [
    {"on": "entered", "level": 1, "webhook": {"url": "http://127.0.0.1:$1/memhook",
      "secret_env": "MEMHOOK_SECRET", "retries": 0, "timeout": "2s"}},
    {"on": "normal", "webhook": {"url": "http://127.0.0.1:$1/memhook",
      "secret_env": "MEMHOOK_SECRET", "retries": 0, "timeout": "2s"}}
  ]
}
EOF
	MEMHOOK_SECRET=$secret "$MEMHOOK" --cgroup "$cg" --policy "$BATS_TEST_TMPDIR/policy.json" >"$mlog" 2>&1 &
	pids+=($!)
	memhook_pid=$!
	wait_for "$mlog" 'watching cgroup'
}

# Same-length writes in place: memhook keeps memory.current open and preads it.
raise_usage() { printf '241172480\n' | dd of="$cg/memory.current" conv=notrunc status=none; }  # 10% free
lower_usage() { printf '104857600\n' | dd of="$cg/memory.current" conv=notrunc status=none; }  # 61% free

# replay STATUS INDEX [--body TAMPERED]: request INDEX of the recording, verbatim, to the receiver.
replay() {
	local want=$1 index=$2; shift 2
	run python3 "$top/tests/container/sign_and_post.py" --port "$port" --replay "$recording" --index "$index" "$@"
	[ "$status" -eq 0 ] || { echo "sign_and_post.py failed: $output" >&2; return 1; }
	[ "$output" = "$want" ] || { echo "HTTP $output, not $want, for request $index $*" >&2; return 1; }
}

# applied: the seq of every event the receiver applied, in order.
applied() {
	sed -nE 's/^receiver: verified event=[a-z_]+ level=[0-9]+ \([^)]*\) seq=([0-9]+) .*/\1/p' "$log" |
		tr '\n' ' ' | sed 's/ $//'
}

verifies_memhooks_standard_signature() {
	start_receiver "$@"
	start_memhook "$port"
	raise_usage
	wait_for "$log" '^receiver: verified event=entered level=1 \(elevated\) seq=1 usage=241172480 limit=268435456: dropped cache, freed 4194304 bytes'
	lower_usage
	wait_for "$log" '^receiver: verified event=normal level=0 \(normal\) seq=2 .*: cache may fill again'
	[ "$(applied)" = "1 2" ]
	run ! grep -qE 'rejected|without instance|held seq|not received' "$log"
}

recorded_requests_reordered_replayed_tampered() {
	start_recorder
	start_memhook "$rec_port"
	raise_usage
	wait_lines "$recording" 1
	lower_usage
	wait_lines "$recording" 2
	raise_usage
	wait_lines "$recording" 3
	python3 - "$recording" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
for r in recs:
    for h in ("webhook-id", "webhook-timestamp", "webhook-signature"):
        assert r["headers"].get(h), f"memhook sent no {h}: {r['headers']}"
    assert json.loads(r["body"]).get("instance"), "no instance in the payload"
assert [json.loads(r["body"])["seq"] for r in recs] == [1, 2, 3], "memhook sent seq 1, 2, 3 in order"
EOF
	start_receiver "$@"
	replay 204 0                       # entered (seq 1)
	wait_for "$log" '^receiver: verified event=entered .* seq=1 '
	replay 204 2                       # entered (seq 3) overtakes normal (seq 2)
	wait_for "$log" '^receiver: held seq=3: waiting up to 1000 ms for seq 2'
	replay 204 1
	wait_for "$log" '^receiver: verified event=entered .* seq=3 '
	[ "$(applied)" = "1 2 3" ]
	run ! grep -q 'not received' "$log"
	replay 204 1                       # the same request again: a replay
	wait_for "$log" '^receiver: duplicate webhook-id .* \(seq=2\): already handled'
	[ "$(applied)" = "1 2 3" ]
	tampered=$(sed -n 2p "$recording" | python3 -c 'import json,sys; b=json.loads(json.loads(sys.stdin.read())["body"]); b["event"]="entered"; b["level"]=1; print(json.dumps(b))')
	replay 401 1 --body "$tampered"
	wait_for "$log" '^receiver: rejected: No matching signature found \(401\)'
	[ "$(applied)" = "1 2 3" ]
}

restarted_memhook_is_news() {
	start_receiver "$@"
	start_memhook "$port"
	raise_usage
	wait_for "$log" '^receiver: verified event=entered .* seq=1 '
	kill "$memhook_pid"
	wait "$memhook_pid" || true
	start_memhook "$port" memhook2
	wait_for "$log" '^receiver: new memhook instance .* seq order starts again'
	wait_for "$log" '^receiver: verified event=entered .* seq=1 '
	[ "$(applied)" = "1 1" ]
	run ! grep -q 'late event' "$log"
}

@test "python receiver (new memhook): memhook's whsec_ Standard Webhooks signature is verified" { verifies_memhooks_standard_signature python; }
@test "python receiver (new memhook): real requests reordered, replayed, tampered" { recorded_requests_reordered_replayed_tampered python; }
@test "python receiver (new memhook): a restarted memhook's seq 1 is applied (new instance)" { restarted_memhook_is_news python; }
@test "node receiver (new memhook): memhook's whsec_ Standard Webhooks signature is verified" { verifies_memhooks_standard_signature node --expose-gc; }
@test "node receiver (new memhook): real requests reordered, replayed, tampered" { recorded_requests_reordered_replayed_tampered node; }
@test "node receiver (new memhook): a restarted memhook's seq 1 is applied (new instance)" { restarted_memhook_is_news node; }
