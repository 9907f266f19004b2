#!/usr/bin/env bats
# The example webhook receivers (container/examples/{python,node}) against the real memhook binary:
# memhook watches a cgroup v2 file tree in a temp dir, the test raises memory.current across the
# level, and the receiver must log the verified event and drop its cache. Wrong signatures get 401.
# Run: MEMHOOK=/abs/path/to/memhook bats tests/container

bats_require_minimum_version 1.5.0

setup() {
	top=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	: "${MEMHOOK:?set MEMHOOK to the memhook binary}"
	[ -x "$MEMHOOK" ]
	pids=()
	cg=$BATS_TEST_TMPDIR/cg
	mkdir -p "$cg"
	cp -r "$top/tests/fixtures/v2/." "$cg/"
	# Without memory.pressure: memhook arms a PSI trigger by writing to it, which on a plain file
	# overwrites the fixture's content. These policies use no pressure condition.
	rm -f "$cg/memory.pressure"
	echo 268435456 >"$cg/memory.max"       # 256 MiB
	echo 104857600 >"$cg/memory.current"   # 100 MiB: 61% free, level 0
}

teardown() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	if [ -n "${BATS_TEST_COMPLETED:-}" ]; then return 0; fi
	for f in "$BATS_TEST_TMPDIR"/*.log; do echo "--- $f"; cat "$f"; done
}

need_node() {
	command -v node >/dev/null && return 0
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs >/dev/null 2>&1 || true
	fi
	command -v node >/dev/null && return 0
	[ "${CI:-}" = true ] && { echo "node is not installed (CI=true: failing)" >&2; return 1; }
	skip "node is not installed"
}

# wait_for FILE EXTENDED-REGEX [SECONDS]
wait_for() {
	local end=$(( $(date +%s) + ${3:-10} ))
	until grep -qE -- "$2" "$1" 2>/dev/null; do
		[ "$(date +%s)" -lt "$end" ] || { echo "no /$2/ in $1 within ${3:-10}s" >&2; return 1; }
		sleep 0.05
	done
}

# start_receiver python|node [extra node flags]: sets $port from the receiver's own log line.
start_receiver() {
	local kind=$1; shift
	local log=$BATS_TEST_TMPDIR/receiver.log
	if [ "$kind" = python ]; then
		MEMHOOK_SECRET=good-secret PORT=0 CACHE_MB=4 python3 -u "$top/container/examples/python/receiver.py" >"$log" 2>&1 &
	else
		MEMHOOK_SECRET=good-secret PORT=0 CACHE_MB=4 node "$@" "$top/container/examples/node/receiver.js" >"$log" 2>&1 &
	fi
	pids+=($!)
	wait_for "$log" '^receiver: listening on 127\.0\.0\.1:[0-9]+'
	port=$(sed -nE 's/^receiver: listening on 127\.0\.0\.1:([0-9]+).*/\1/p' "$log" | head -1)
	[ "$port" -gt 0 ]
}

# start_memhook SECRET: memhook on the tree, webhook to the receiver on entering level 1.
start_memhook() {
	cat >"$BATS_TEST_TMPDIR/policy.json" <<EOF
{
  "check_interval": "100ms",
  "levels": [{"name": "elevated", "when": {"local_relative": 50}}],
  "handlers": [
    {"on": "entered", "level": 1, "webhook": {"url": "http://127.0.0.1:$port/memhook",
      "secret_env": "MEMHOOK_SECRET", "retries": 0, "timeout": "2s"}}
  ]
}
EOF
	MEMHOOK_SECRET=$1 "$MEMHOOK" --cgroup "$cg" --policy "$BATS_TEST_TMPDIR/policy.json" \
		>"$BATS_TEST_TMPDIR/memhook.log" 2>&1 &
	pids+=($!)
	wait_for "$BATS_TEST_TMPDIR/memhook.log" 'watching cgroup'
}

# In place, one write of the same length: memhook keeps memory.current open and preads it.
raise_usage() {
	printf '241172480\n' | dd of="$cg/memory.current" conv=notrunc status=none  # 230 MiB: 10% free
}

# post CODE-EXPECTED HEADER-VALUE BODY: one request to the receiver; asserts the status code.
post() {
	run python3 - "$port" "$2" "$3" <<'EOF'
import sys, urllib.request, urllib.error
port, sig, body = sys.argv[1], sys.argv[2], sys.argv[3].encode()
req = urllib.request.Request(f"http://127.0.0.1:{port}/memhook", data=body, method="POST")
if sig:
    req.add_header("X-Memhook-Signature", sig)
try:
    print(urllib.request.urlopen(req, timeout=5).status)
except urllib.error.HTTPError as e:
    print(e.code)
EOF
	[ "$status" -eq 0 ]
	[ "$output" = "$1" ]
}

sign() { printf '%s' "$2" | python3 -c 'import hmac,hashlib,sys; print("sha256="+hmac.new(sys.argv[1].encode(), sys.stdin.buffer.read(), hashlib.sha256).hexdigest())' "$1"; }

receives_and_drops() {
	start_receiver "$@"
	start_memhook good-secret
	raise_usage
	wait_for "$BATS_TEST_TMPDIR/memhook.log" 'level 0 -> 1 \(elevated\): entered'
	wait_for "$BATS_TEST_TMPDIR/receiver.log" \
		'^receiver: verified event=entered level=1 \(elevated\) seq=[0-9]+ usage=241172480 limit=268435456: dropped cache, freed 4194304 bytes'
}

rejects_wrong_secret() {
	start_receiver "$@"
	start_memhook wrong-secret
	raise_usage
	wait_for "$BATS_TEST_TMPDIR/receiver.log" '^receiver: rejected: bad or missing X-Memhook-Signature \(401\)'
	wait_for "$BATS_TEST_TMPDIR/memhook.log" '401'
	run ! grep -q 'dropped cache' "$BATS_TEST_TMPDIR/receiver.log"
}

hostile_requests() {
	start_receiver "$@"
	body='{"event":"entered","level":1,"level_name":"elevated","seq":1}'
	post 401 "" "$body"                                     # no signature
	post 401 "sha256=" "$body"                              # empty
	post 401 "sha256=$(printf '0%.0s' $(seq 64))" "$body"   # wrong, right length
	post 401 "$(sign good-secret "$body")00" "$body"        # trailing garbage
	post 401 "$(sign other "$body")" "$body"                # other secret
	post 401 "$(sign good-secret "$body")" "$body "         # body changed after signing
	post 400 "$(sign good-secret 'not json')" 'not json'    # signed garbage
	post 400 "$(sign good-secret '[]')" '[]'                # JSON, not an event
	post 413 "" "$(head -c 70000 /dev/zero | tr '\0' x)"     # over 64 KiB
	run ! grep -q 'dropped cache' "$BATS_TEST_TMPDIR/receiver.log"
	post 204 "$(sign good-secret "$body")" "$body"
	wait_for "$BATS_TEST_TMPDIR/receiver.log" '^receiver: verified event=entered level=1 \(elevated\) seq=1 .*dropped cache, freed 4194304 bytes'
}

@test "python receiver: memhook's signed webhook is verified and the cache dropped with a gc" {
	receives_and_drops python
	grep -qE 'freed 4194304 bytes; gc collected [0-9]+ objects' "$BATS_TEST_TMPDIR/receiver.log"
}

@test "python receiver: memhook signing with another secret gets 401, nothing dropped" {
	rejects_wrong_secret python
}

@test "python receiver: unsigned, missigned, garbage and oversized requests are refused" {
	hostile_requests python
}

@test "python receiver: SIGUSR1 drops the cache" {
	start_receiver python
	kill -USR1 "${pids[0]}"
	wait_for "$BATS_TEST_TMPDIR/receiver.log" '^receiver: signal SIGUSR1: dropped cache, freed 4194304 bytes'
}

@test "python receiver: refuses to start without MEMHOOK_SECRET" {
	run env -u MEMHOOK_SECRET python3 "$top/container/examples/python/receiver.py"
	[ "$status" -eq 2 ]
	[[ "$output" == *"MEMHOOK_SECRET is not set"* ]]
}

@test "node receiver: memhook's signed webhook is verified, the cache dropped, a gc forced" {
	need_node
	receives_and_drops node --expose-gc
	grep -q 'freed 4194304 bytes; forced a gc' "$BATS_TEST_TMPDIR/receiver.log"
}

@test "node receiver: without --expose-gc it says it cannot force a gc" {
	need_node
	receives_and_drops node
	grep -q 'cannot force a gc (start node with --expose-gc)' "$BATS_TEST_TMPDIR/receiver.log"
}

@test "node receiver: memhook signing with another secret gets 401, nothing dropped" {
	need_node
	rejects_wrong_secret node
}

@test "node receiver: unsigned, missigned, garbage and oversized requests are refused" {
	need_node
	hostile_requests node
}

@test "node receiver: SIGUSR1 drops the cache" {
	need_node
	start_receiver node
	kill -USR1 "${pids[0]}"
	wait_for "$BATS_TEST_TMPDIR/receiver.log" '^receiver: signal SIGUSR1: dropped cache, freed 4194304 bytes'
}

@test "node receiver: refuses to start without MEMHOOK_SECRET" {
	need_node
	run env -u MEMHOOK_SECRET node "$top/container/examples/node/receiver.js"
	[ "$status" -eq 2 ]
	[[ "$output" == *"MEMHOOK_SECRET is not set"* ]]
}
