#!/usr/bin/env bats
# The example webhook receivers (container/examples/{python,node}), each test for both:
# - against the real memhook binary: memhook watches a cgroup v2 file tree in a temp dir, the test
#   raises memory.current across the level, and the receiver must log the verified event and drop
#   its cache. These start the receiver with ACCEPT_LEGACY_SIGNATURE=1, so they pass whether the
#   binary sends only X-Memhook-Signature or the Standard Webhooks headers too (then those are
#   verified); receivers_standard.bats needs the Standard Webhooks headers from the binary.
# - against sign_and_post.py, which signs exactly as Standard Webhooks v1 says: verification,
#   replays and retries (deduplicated), stale timestamps, tampering, key rotation, seq order,
#   dropped_before, a new memhook instance.
# Run: MEMHOOK=/abs/path/to/memhook bats tests/container/receivers.bats

bats_require_minimum_version 1.5.0

setup() {
	top=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	: "${MEMHOOK:?set MEMHOOK to the memhook binary}"
	[ -x "$MEMHOOK" ]
	pids=()
	log=$BATS_TEST_TMPDIR/receiver.log
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

# need_node: node, npm and the example's node_modules (make examples-deps installs what is missing).
need_node() {
	if ! command -v node >/dev/null || ! command -v npm >/dev/null ||
		[ ! -d "$top/container/examples/node/node_modules/standardwebhooks" ]; then
		make -s -C "$top" examples-deps >&2 || true
	fi
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

# start_receiver python|node [extra node flags]: sets $port from the receiver's own log line.
# The secret is $SECRET (default good-secret); more environment in the array $recv_env.
start_receiver() {
	local kind=$1; shift
	local -a envs=(MEMHOOK_SECRET="${SECRET:-good-secret}" PORT=0 CACHE_MB=4 "${recv_env[@]}")
	if [ "$kind" = python ]; then
		env "${envs[@]}" python3 -u "$top/container/examples/python/receiver.py" >"$log" 2>&1 &
	else
		need_node
		env "${envs[@]}" node "$@" "$top/container/examples/node/receiver.js" >"$log" 2>&1 &
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

# send STATUS [sign_and_post.py options]: one request to the receiver; asserts the HTTP status.
send() {
	local want=$1; shift
	run python3 "$top/tests/container/sign_and_post.py" --port "$port" "$@"
	[ "$status" -eq 0 ] || { echo "sign_and_post.py failed: $output" >&2; return 1; }
	[ "$output" = "$want" ] || { echo "HTTP $output, not $want, for: $*" >&2; return 1; }
}

# ev SEQ EVENT LEVEL [EXTRA-JSON-MEMBERS]: a payload from memhook instance $INST (default inst-A).
ev() {
	local name=normal
	[ "$3" -gt 0 ] && name=level$3
	printf '{"event":"%s","level":%d,"level_name":"%s","seq":%d,"instance":"%s"%s}' \
		"$2" "$3" "$name" "$1" "${INST:-inst-A}" "${4:+,$4}"
}

# applied: the seq of every event the receiver applied, in the order it applied them.
applied() {
	sed -nE 's/^receiver: verified event=[a-z_]+ level=[0-9]+ \([^)]*\) seq=([0-9]+) .*/\1/p' "$log" |
		tr '\n' ' ' | sed 's/ $//'
}

# ---- against the real binary ----------------------------------------------------------------

receives_and_drops() {
	recv_env=(ACCEPT_LEGACY_SIGNATURE=1)
	start_receiver "$@"
	start_memhook good-secret
	raise_usage
	wait_for "$BATS_TEST_TMPDIR/memhook.log" 'level 0 -> 1 \(elevated\): entered'
	wait_for "$log" \
		'^receiver: verified event=entered level=1 \(elevated\) seq=[0-9]+ usage=241172480 limit=268435456: dropped cache, freed 4194304 bytes'
	run ! grep -q 'rejected' "$log"
}

rejects_wrong_secret() {
	recv_env=(ACCEPT_LEGACY_SIGNATURE=1)
	start_receiver "$@"
	start_memhook wrong-secret
	raise_usage
	# "bad or missing X-Memhook-Signature" from a binary without the standard headers,
	# "No matching signature found" from one with them.
	wait_for "$log" '^receiver: rejected: (bad or missing X-Memhook-Signature|No matching signature found) \(401\)'
	wait_for "$BATS_TEST_TMPDIR/memhook.log" '401'
	run ! grep -q 'dropped cache' "$log"
}

# ---- Standard Webhooks, from sign_and_post.py -----------------------------------------------

hostile_requests() {
	start_receiver "$@"
	local body ts good
	body=$(ev 1 entered 1)
	ts=$(date +%s)
	# The spec's signature for id msg_1 at ts, computed here and not by sign_and_post.py.
	good=$(python3 -c 'import base64,hashlib,hmac,sys; print("v1," + base64.b64encode(hmac.new(b"good-secret", ("msg_1.%s.%s" % (sys.argv[1], sys.argv[2])).encode(), hashlib.sha256).digest()).decode())' "$ts" "$body")
	send 401 --no-standard --body "$body"                                   # no headers at all
	send 401 --no-standard --legacy good-secret --body "$body"              # only the legacy one
	send 401 --signature '' --body "$body"                                  # empty signature
	send 401 --signature 'v1,' --body "$body"                               # empty v1
	send 401 --signature "v1,$(head -c 32 /dev/zero | base64)" --body "$body"   # wrong, right length
	send 401 --secret other --body "$body"                                  # another secret
	send 401 --secret good-secret --signed-body "$body" --body "${body/level1/level2}"  # tampered body
	send 401 --id msg_1 --timestamp "$ts" --signature "${good}x" --body "$body"        # trailing garbage
	send 401 --id msg_1 --timestamp "$ts" --signature "v2,${good#v1,}" --body "$body"  # unknown version
	send 401 --id msg_2 --timestamp "$ts" --signature "$good" --body "$body"           # another id
	send 401 --id msg_1 --timestamp "$((ts - 1))" --signature "$good" --body "$body"   # another time
	send 400 --secret good-secret --body 'not json'                         # signed garbage
	send 400 --secret good-secret --body '[]'                               # JSON, not an event
	send 413 --secret good-secret --body "$(head -c 70000 /dev/zero | tr '\0' x)"   # over 64 KiB
	run ! grep -q 'dropped cache' "$log"
	grep -q '^receiver: rejected: Missing required headers (401)' "$log"
	grep -q '^receiver: rejected: No matching signature found (401)' "$log"
	send 204 --id msg_1 --timestamp "$ts" --signature "v1,bm90IGl0 $good" --body "$body"  # 2nd of 2
	wait_for "$log" '^receiver: verified event=entered level=1 \(level1\) seq=1 .*dropped cache, freed 4194304 bytes'
}

replay_is_deduplicated() {
	start_receiver "$@"
	local ts
	ts=$(date +%s)
	send 204 --secret good-secret --id msg_replayed --timestamp "$ts" --body "$(ev 1 entered 1)"
	wait_for "$log" '^receiver: verified event=entered .* seq=1 '
	# The same request again (a replay within the 5 minutes), then as memhook retries: same id,
	# a new timestamp. Both are answered 2xx (nothing to retry) and neither is applied again.
	send 204 --secret good-secret --id msg_replayed --timestamp "$ts" --body "$(ev 1 entered 1)"
	send 204 --secret good-secret --id msg_replayed --age -2 --body "$(ev 1 entered 1)"
	wait_for "$log" '^receiver: duplicate webhook-id msg_replayed \(seq=1\): already handled'
	[ "$(grep -c '^receiver: duplicate webhook-id msg_replayed' "$log")" -eq 2 ]
	[ "$(applied)" = "1" ]
	# Another id is news.
	send 204 --secret good-secret --id msg_next --body "$(ev 2 normal 0)"
	wait_for "$log" '^receiver: verified event=normal .* seq=2 .*: cache may fill again'
	[ "$(applied)" = "1 2" ]
}

stale_timestamp_is_rejected() {
	start_receiver "$@"
	send 401 --secret good-secret --age 360 --body "$(ev 1 entered 1)"     # 6 min old, well signed
	wait_for "$log" '^receiver: rejected: Message timestamp too old \(401\)'
	send 401 --secret good-secret --age -360 --body "$(ev 1 entered 1)"    # 6 min ahead
	wait_for "$log" '^receiver: rejected: Message timestamp too new \(401\)'
	run ! grep -q 'verified event' "$log"
	send 204 --secret good-secret --age 240 --body "$(ev 1 entered 1)"     # 4 min: within
	wait_for "$log" '^receiver: verified event=entered .* seq=1 '
}

key_rotation() {
	local old new
	old=whsec_$(printf 'old key of 24 bytes.....' | base64)
	new=whsec_$(printf 'new key of 24 bytes.....' | base64)
	SECRET=$new start_receiver "$@"
	# memhook holds both keys during the rotation: two signatures, the new one second.
	send 204 --secret "$old" --secret "$new" --body "$(ev 1 entered 1)"
	send 401 --secret "$old" --body "$(ev 2 normal 0)"
	# The key of a whsec_ secret is its decoded part, not its text.
	send 401 --secret "raw:$new" --body "$(ev 2 normal 0)"
	send 204 --secret "raw:new key of 24 bytes....." --body "$(ev 2 normal 0)"
	wait_for "$log" '^receiver: verified event=normal .* seq=2 '
	[ "$(applied)" = "1 2" ]
}

receiver_holds_two_secrets() {
	SECRET="plain-old whsec_$(printf 'fresh key' | base64)" start_receiver "$@"
	send 204 --secret plain-old --body "$(ev 1 entered 1)"
	send 204 --secret "whsec_$(printf 'fresh key' | base64)" --body "$(ev 2 normal 0)"
	send 401 --secret "raw:whsec_$(printf 'fresh key' | base64)" --body "$(ev 3 entered 1)"
	send 401 --secret third --body "$(ev 3 entered 1)"
	wait_for "$log" '^receiver: verified event=normal .* seq=2 '
	[ "$(applied)" = "1 2" ]
}

legacy_when_enabled() {
	recv_env=(ACCEPT_LEGACY_SIGNATURE=1)
	start_receiver "$@"
	wait_for "$log" 'ACCEPT_LEGACY_SIGNATURE=1: requests with only X-Memhook-Signature are accepted'
	send 401 --no-standard --legacy other --body "$(ev 1 entered 1)"
	grep -q '^receiver: rejected: bad or missing X-Memhook-Signature (401)' "$log"
	# With the standard headers present they decide: a good legacy signature cannot rescue them.
	send 401 --secret other --legacy good-secret --body "$(ev 1 entered 1)"
	send 204 --no-standard --legacy good-secret --body "$(ev 1 entered 1)"
	wait_for "$log" '^receiver: verified event=entered .* seq=1 '
	send 204 --secret good-secret --legacy good-secret --body "$(ev 2 normal 0)"
	wait_for "$log" '^receiver: verified event=normal .* seq=2 '
	[ "$(applied)" = "1 2" ]
}

out_of_order_is_applied_in_order() {
	start_receiver "$@"
	send 204 --secret good-secret --body "$(ev 1 entered 1)"
	wait_for "$log" 'seq=1 .*dropped cache'
	# seq 3 (normal) overtakes seq 2 (entered critical): it must wait, and 2 must come first.
	send 204 --secret good-secret --body "$(ev 3 normal 0)"
	wait_for "$log" '^receiver: held seq=3: waiting up to 1000 ms for seq 2'
	send 204 --secret good-secret --body "$(ev 2 entered 2)"
	wait_for "$log" '^receiver: verified event=normal level=0 \(normal\) seq=3 .*: cache may fill again'
	[ "$(applied)" = "1 2 3" ]
	grep -qE '^receiver: verified event=entered level=2 \(level2\) seq=2 .*: dropped cache' "$log"
	run ! grep -q 'not received' "$log"
	# seq 2 again under a new id (a copy held back somewhere): older than what was applied.
	send 204 --secret good-secret --body "$(ev 2 entered 2)"
	wait_for "$log" '^receiver: late event seq=2 \(entered\) after seq 3 was applied: not applied'
	[ "$(applied)" = "1 2 3" ]
}

gap_is_waited_for_then_accepted() {
	recv_env=(ORDER_HOLD_MS=300)
	start_receiver "$@"
	send 204 --secret good-secret --body "$(ev 1 entered 1)"
	send 204 --secret good-secret --body "$(ev 3 normal 0)"
	wait_for "$log" '^receiver: held seq=3: waiting up to 300 ms for seq 2'
	wait_for "$log" '^receiver: seq 2\.\.2 not received: applying seq=3'
	[ "$(applied)" = "1 3" ]
}

dropped_before_is_logged() {
	recv_env=(ORDER_HOLD_MS=60000)   # a gap without dropped_before would wait a minute
	start_receiver "$@"
	send 204 --secret good-secret --body "$(ev 1 entered 1)"
	send 204 --secret good-secret --body "$(ev 4 normal 0 '"dropped_before":2')"
	wait_for "$log" '^receiver: memhook dropped 2 event\(s\) for this endpoint before seq=4: gap accepted' 5
	wait_for "$log" '^receiver: verified event=normal .* seq=4 ' 5
	[ "$(applied)" = "1 4" ]
	run ! grep -q 'held seq' "$log"
}

new_instance_restarts_order() {
	start_receiver "$@"
	send 204 --secret good-secret --body "$(INST=first ev 1 entered 1)"
	send 204 --secret good-secret --body "$(INST=first ev 2 normal 0)"
	wait_for "$log" 'seq=2 .*cache may fill again'
	# memhook restarted: seq 1 again, from another instance. News, not a late event.
	send 204 --secret good-secret --body "$(INST=second ev 1 entered 1)"
	wait_for "$log" '^receiver: new memhook instance second \(was first\): seq order starts again at seq=1'
	wait_for "$log" '^receiver: verified event=entered .* seq=1 .*dropped cache'
	[ "$(applied)" = "1 2 1" ]
	run ! grep -q 'late event' "$log"
}

first_event_starts_order() {
	recv_env=(ORDER_HOLD_MS=60000)   # held events would wait a minute
	start_receiver "$@"
	# A receiver started beside a memhook that has been running: its first event is seq 41.
	send 204 --secret good-secret --body "$(INST=running ev 41 entered 1)"
	wait_for "$log" '^receiver: memhook instance running: seq order starts at seq=41' 5
	wait_for "$log" '^receiver: verified event=entered .* seq=41 ' 5
	send 204 --secret good-secret --body "$(INST=running ev 43 normal 0)"
	wait_for "$log" '^receiver: held seq=43: waiting up to 60000 ms for seq 42'
	send 204 --secret good-secret --body "$(INST=running ev 42 entered 2)"
	wait_for "$log" '^receiver: verified event=normal .* seq=43 ' 5
	[ "$(applied)" = "41 42 43" ]
}

no_hold() {
	recv_env=(ORDER_HOLD_MS=0)
	start_receiver "$@"
	send 204 --secret good-secret --body "$(ev 1 entered 1)"
	send 204 --secret good-secret --body "$(ev 3 entered 2)"
	wait_for "$log" '^receiver: seq 2\.\.2 not received: applying seq=3' 5
	send 204 --secret good-secret --body "$(ev 2 normal 0)"
	wait_for "$log" '^receiver: late event seq=2 \(normal\) after seq 3 was applied: not applied'
	[ "$(applied)" = "1 3" ]
	run ! grep -q 'held seq' "$log"
}

refuses_bad_secrets() {
	local -a cmd=(python3 "$top/container/examples/python/receiver.py")
	[ "$1" = node ] && cmd=(node "$top/container/examples/node/receiver.js")
	run env -u MEMHOOK_SECRET "${cmd[@]}"
	[ "$status" -eq 2 ]
	[[ "$output" == *"MEMHOOK_SECRET is not set"* ]]
	run env MEMHOOK_SECRET=' ' "${cmd[@]}"
	[ "$status" -eq 2 ]
	[[ "$output" == *"MEMHOOK_SECRET is not set"* ]]
	run env MEMHOOK_SECRET='whsec_not*base64' "${cmd[@]}"
	[ "$status" -eq 2 ]
	[[ "$output" == *"a whsec_ secret is not valid base64"* ]]
	run env MEMHOOK_SECRET='whsec_' "${cmd[@]}"
	[ "$status" -eq 2 ]
}

sigusr1_drops() {
	start_receiver "$@"
	kill -USR1 "${pids[0]}"
	wait_for "$log" '^receiver: signal SIGUSR1: dropped cache, freed 4194304 bytes'
}

# ---- the tests, for each receiver -----------------------------------------------------------

@test "python receiver: memhook's signed webhook is verified and the cache dropped with a gc" {
	receives_and_drops python
	grep -qE 'freed 4194304 bytes; gc collected [0-9]+ objects' "$log"
}
@test "python receiver: memhook signing with another secret gets 401, nothing dropped" { rejects_wrong_secret python; }
@test "python receiver: unsigned, missigned, tampered, garbage and oversized requests are refused" { hostile_requests python; }
@test "python receiver: a replayed or retried webhook-id is answered 204 and applied once" { replay_is_deduplicated python; }
@test "python receiver: a well-signed timestamp 6 minutes away is refused" { stale_timestamp_is_rejected python; }
@test "python receiver: the second of two signatures (key rotation) is accepted; whsec_ keys are decoded" { key_rotation python; }
@test "python receiver: MEMHOOK_SECRET may hold two secrets; either verifies" { receiver_holds_two_secrets python; }
@test "python receiver: the legacy X-Memhook-Signature only with ACCEPT_LEGACY_SIGNATURE=1" { legacy_when_enabled python; }
@test "python receiver: seq 3 before seq 2 is applied as 2 then 3; a late copy is not applied" { out_of_order_is_applied_in_order python; }
@test "python receiver: a missing seq is waited for ORDER_HOLD_MS, then skipped and logged" { gap_is_waited_for_then_accepted python; }
@test "python receiver: dropped_before is logged and its gap accepted at once" { dropped_before_is_logged python; }
@test "python receiver: a new memhook instance starts the seq order again" { new_instance_restarts_order python; }
@test "python receiver: the first event of an instance starts its order, not held" { first_event_starts_order python; }
@test "python receiver: ORDER_HOLD_MS=0 applies newer events at once and skips late ones" { no_hold python; }
@test "python receiver: SIGUSR1 drops the cache" { sigusr1_drops python; }
@test "python receiver: refuses to start without MEMHOOK_SECRET or with a bad whsec_ one" { refuses_bad_secrets python; }

@test "node receiver: memhook's signed webhook is verified, the cache dropped, a gc forced" {
	receives_and_drops node --expose-gc
	grep -q 'freed 4194304 bytes; forced a gc' "$log"
}
@test "node receiver: without --expose-gc it says it cannot force a gc" {
	receives_and_drops node
	grep -q 'cannot force a gc (start node with --expose-gc)' "$log"
}
@test "node receiver: memhook signing with another secret gets 401, nothing dropped" { rejects_wrong_secret node; }
@test "node receiver: unsigned, missigned, tampered, garbage and oversized requests are refused" { hostile_requests node; }
@test "node receiver: a replayed or retried webhook-id is answered 204 and applied once" { replay_is_deduplicated node; }
@test "node receiver: a well-signed timestamp 6 minutes away is refused" { stale_timestamp_is_rejected node; }
@test "node receiver: the second of two signatures (key rotation) is accepted; whsec_ keys are decoded" { key_rotation node; }
@test "node receiver: MEMHOOK_SECRET may hold two secrets; either verifies" { receiver_holds_two_secrets node; }
@test "node receiver: the legacy X-Memhook-Signature only with ACCEPT_LEGACY_SIGNATURE=1" { legacy_when_enabled node; }
@test "node receiver: seq 3 before seq 2 is applied as 2 then 3; a late copy is not applied" { out_of_order_is_applied_in_order node; }
@test "node receiver: a missing seq is waited for ORDER_HOLD_MS, then skipped and logged" { gap_is_waited_for_then_accepted node; }
@test "node receiver: dropped_before is logged and its gap accepted at once" { dropped_before_is_logged node; }
@test "node receiver: a new memhook instance starts the seq order again" { new_instance_restarts_order node; }
@test "node receiver: the first event of an instance starts its order, not held" { first_event_starts_order node; }
@test "node receiver: ORDER_HOLD_MS=0 applies newer events at once and skips late ones" { no_hold node; }
@test "node receiver: SIGUSR1 drops the cache" { sigusr1_drops node; }
@test "node receiver: refuses to start without MEMHOOK_SECRET or with a bad whsec_ one" {
	need_node
	refuses_bad_secrets node
}
