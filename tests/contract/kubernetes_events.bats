#!/usr/bin/env bats
# --kubernetes-events against fake_apiserver.py: a loopback HTTPS server with its own CA (made
# here with openssl) that checks the bearer token, path, method, content type and each body the
# way the API server validates Events, and answers 201/200, 409, 403, 429 like it. Every body and
# stored object is then validated against the official events.k8s.io/v1 schema
# (k8s_validate.js, npm kubernetes-models). No real API server runs here: see container/README.md, Kubernetes Events.

bats_require_minimum_version 1.5.0
load ../bats/helpers
load k8s_helpers

MiB=1048576
POD_UID_VALUE=0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0

setup() {
	common_setup
	[ -d "$BATS_TEST_DIRNAME/node_modules/kubernetes-models" ] ||
		{ echo "npm ci in tests/contract first (make contract-deps)" >&2; return 1; }
	fixture_v2 "$T/cg" $((10 * MiB)) $((100 * MiB))
	fixture_proc "$T/proc" 8000000 4000000
	mkdir -p "$T/api"
	certs
	printf 'token-one\n' > "$T/token"
	cat > "$T/p.json" <<'JSON'
{"check_interval": "50ms",
 "levels": [{"name": "elevated", "when": {"local_relative": 30}},
            {"name": "high", "when": {"local_relative": 5}}]}
JSON
}
teardown() { common_teardown; }

# apiserver_start [fake_apiserver.py options]: sets API.
apiserver_start() {
	python3 "$BATS_TEST_DIRNAME/fake_apiserver.py" "$T/api" "$T/server.crt" "$T/server.key" "$T/token" "$@" \
		2> "$T/apiserver.log" &
	PIDS+=($!)
	wait_for 10 test -s "$T/api/port"
	API="https://127.0.0.1:$(cat "$T/api/port")"
	touch "$T/api/requests.jsonl"
}

# memhook_k8s [memhook options]: memhook with --kubernetes-events on the fixture, the pod web-0 in shop.
memhook_k8s() {
	POD_NAME=web-0 POD_NAMESPACE=shop POD_UID=$POD_UID_VALUE MEMHOOK_KUBERNETES_API=$API \
		MEMHOOK_KUBERNETES_TOKEN_FILE="$T/token" MEMHOOK_KUBERNETES_CA_FILE="${CA:-$T/ca.crt}" \
		memhook_start --kubernetes-events --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc" "$@"
	wait_for 5 log_has watching
}

# q EXPR: a Python expression over R, the requests the fake API server got (each with "b", its
# parsed body, and "status"), printed.
q() {
	python3 - "$T/api/requests.jsonl" "$1" <<'PY'
import json, sys
R = [json.loads(l) for l in open(sys.argv[1])]
for r in R:
    try:
        r["b"] = json.loads(r["body"])
    except ValueError:
        r["b"] = None
v = eval(sys.argv[2])
print(" ".join(map(str, v)) if isinstance(v, (list, tuple)) else v)
PY
}
posts_of() { q "len([r for r in R if r['method'] == 'POST' and r['b']['reason'] == '$1' and r['status'] == 201])"; }
has_posts() { [ "$(posts_of "$1")" -ge "${2:-1}" ]; }
requests_at_least() { [ "$(q 'len(R)')" -ge "$1" ]; }
set_oom_kills() { printf 'low 0\nhigh 3\nmax 2\noom 1\noom_kill %s\noom_group_kill 0\n' "$2" > "$1/memory.events"; }

# contract_ok: no request broke a rule, and every body and stored object fits the official schema.
contract_ok() {
	run q "[p for r in R for p in r['problems']]"
	echo "problems: $output"
	[ -z "$output" ]
	if [ -s "$T/api/objects.jsonl" ]; then
		run node "$BATS_TEST_DIRNAME/k8s_validate.js" "$T/api/objects.jsonl"
		echo "$output"
		[ "$status" -eq 0 ]
	fi
}

@test "entered, left, normal, oom_kill and target_lost create Events with their reason, type, regarding and note" {
	apiserver_start
	memhook_k8s
	set_usage "$T/cg" $((75 * MiB))          # 25% free: level 1
	wait_for 5 has_posts MemoryLevelEntered
	set_usage "$T/cg" $((97 * MiB))          # 3% free: level 2
	wait_for 5 has_posts MemoryLevelEntered 2
	set_oom_kills "$T/cg" 1
	wait_for 5 has_posts OOMKillDetected
	set_usage "$T/cg" $((10 * MiB))          # back to normal: left 2, left 1, normal
	wait_for 5 has_posts MemoryNormal
	[ "$(posts_of MemoryLevelLeft)" -eq 2 ]
	rm -rf "$T/cg"
	wait_for 5 has_posts TargetLost

	run q "[r['b']['reason'] + ':' + r['b']['type'] for r in R]"
	[ "$output" = "MemoryLevelEntered:Warning MemoryLevelEntered:Warning OOMKillDetected:Warning MemoryLevelLeft:Normal MemoryLevelLeft:Normal MemoryNormal:Normal TargetLost:Warning" ]
	# every request: the token, the namespace's events collection, a JSON body
	run q "sorted(set((r['method'], r['path'], r['authorization'], r['content_type']) for r in R))"
	[ "$output" = "('POST', '/apis/events.k8s.io/v1/namespaces/shop/events', 'Bearer token-one', 'application/json')" ]
	run q "sorted(set(json.dumps(r['b']['regarding'], sort_keys=True) for r in R))"
	[ "$output" = "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"name\": \"web-0\", \"namespace\": \"shop\", \"uid\": \"$POD_UID_VALUE\"}" ]
	run q "sorted(set((r['b']['reportingController'], r['b']['reportingInstance'], r['b']['action'], r['b']['metadata']['namespace']) for r in R))"
	[ "$output" = "('memhook.io/memhook', 'web-0', 'MemoryPressure', 'shop')" ]
	run q "all(r['b']['metadata']['name'].startswith('web-0.') for r in R) and len(set(r['b']['metadata']['name'] for r in R)) == len(R)"
	[ "$output" = True ]
	run q "R[1]['b']['note']"
	[ "$output" = "Memory level 2 (high) entered from 1 (elevated): usage 97Mi of 100Mi, 3.0% free" ]
	run q "R[2]['b']['note']"
	[[ "$output" == "OOM kill in the watched container (+1, 1 in total) at level 2 (high): usage 97Mi of 100Mi"* ]]
	run q "R[5]['b']['note']"
	[ "$output" = "Memory back to normal from level 1 (elevated): usage 10Mi of 100Mi, 90.0% free" ]
	run q "R[6]['b']['note']"
	[[ "$output" == "memhook lost its target at level 0 (normal)"* ]]
	contract_ok
}

@test "a repeat within the window PATCHes the Event's series: count 2, then 3" {
	apiserver_start
	memhook_k8s
	for i in 1 2 3; do
		set_usage "$T/cg" $((75 * MiB))
		wait_for 5 requests_at_least $((3 * i - 2))
		set_usage "$T/cg" $((10 * MiB))
		wait_for 5 requests_at_least $((3 * i))
	done
	# one Event per reason and level, created once and patched twice
	run q "[(r['method'], r['b'].get('reason') or r['b']['series']['count'], r['status']) for r in R if 'MemoryLevelEntered' in r['body'] or (r['method'] == 'PATCH' and r['path'].endswith(R[0]['b']['metadata']['name']))]"
	[ "$output" = "('POST', 'MemoryLevelEntered', 201) ('PATCH', 2, 200) ('PATCH', 3, 200)" ]
	run q "sorted(set((r['content_type'], r['path']) for r in R if r['method'] == 'PATCH' and r['path'].endswith(R[0]['b']['metadata']['name'])))"
	local name; name=$(q "R[0]['b']['metadata']['name']")
	echo "$output"
	[ "$output" = "('application/merge-patch+json', '/apis/events.k8s.io/v1/namespaces/shop/events/$name')" ]
	run q "sum(r['method'] == 'POST' for r in R), sum(r['method'] == 'PATCH' for r in R)"
	[ "$output" = "3 6" ]
	run q "[r['b']['series']['lastObservedTime'] > R[0]['b']['eventTime'] for r in R if r['method'] == 'PATCH']"
	[ "$output" = "True True True True True True" ]
	contract_ok
}

@test "409 on create (the name is taken): retried once under a new name" {
	apiserver_start --conflict 1
	memhook_k8s
	set_usage "$T/cg" $((75 * MiB))
	wait_for 5 has_posts MemoryLevelEntered
	run q "[r['status'] for r in R]"
	[ "$output" = "409 201" ]
	run q "R[0]['b']['metadata']['name'] != R[1]['b']['metadata']['name'] and R[0]['b']['note'] == R[1]['b']['note']"
	[ "$output" = True ]
	contract_ok
}

@test "403 (no RBAC): said once with the Role needed; memhook keeps checking" {
	apiserver_start --forbid
	memhook_k8s --listen 127.0.0.1:0
	set_usage "$T/cg" $((75 * MiB))
	wait_for 5 requests_at_least 1
	set_usage "$T/cg" $((10 * MiB))
	wait_for 5 requests_at_least 3
	set_usage "$T/cg" $((75 * MiB))
	wait_for 5 requests_at_least 4
	set_usage "$T/cg" $((10 * MiB))
	wait_for 5 log_has "memory is back to normal.*" 
	wait_for 5 requests_at_least 6
	run q "sorted(set(r['status'] for r in R))"
	[ "$output" = "403" ]
	[ "$(grep -c 'HTTP 403 Forbidden' "$T/memhook.log")" -eq 1 ]
	log_has 'memhook needs a Role with verbs \[create, patch\] on resource "events" in apiGroup "events.k8s.io"'
	[ "$(grep -c 'level 0 -> 1 (elevated): entered' "$T/memhook.log")" -eq 2 ]
	# the failures are counted for operators too
	addr=$(sed -nE 's|.*listening on http://([0-9.:]+) .*|\1|p' "$T/memhook.log")
	metrics=$(curl -sf "http://$addr/metrics")
	grep -qx 'memhook_kubernetes_events_total{result="failed"} 6' <<< "$metrics"
	grep -qx 'memhook_kubernetes_events_total{result="ok"} 0' <<< "$metrics"
	memhook_stop
	[ "$MH_RC" -eq 0 ]
	grep -q 'kubernetes events: 0 sent / 6 failed / 0 dropped' "$T/memhook.log"
	contract_ok
}

@test "429 with Retry-After: the retry waits as asked" {
	apiserver_start --throttle 1 --retry-after 2
	memhook_k8s
	set_usage "$T/cg" $((75 * MiB))
	wait_for 10 has_posts MemoryLevelEntered
	run q "[r['status'] for r in R]"
	[ "$output" = "429 201" ]
	run q "1.9 <= R[1]['time'] - R[0]['time'] < 4"
	[ "$output" = True ]
	log_has 'HTTP 429.*retrying in 2000 ms \(Retry-After\)'
	contract_ok
}

@test "a 1 GiB answer is cut past its bound, not read to the end: the retry comes at its backoff" {
	apiserver_start --huge 1
	memhook_k8s
	set_usage "$T/cg" $((75 * MiB))
	wait_for 10 has_posts MemoryLevelEntered
	run q "[r['status'] for r in R]"
	[ "$output" = "503 201" ]
	# memhook hung up after its bound (64 KiB; socket buffers let the server write a few MiB more)
	run q "R[0]['sent_bytes'] < 32 * 1048576"
	echo "sent: $(q "R[0]['sent_bytes']")"
	[ "$output" = True ]
	# the 1 s backoff, not 5 s of a timeout or 12 s of reading 1 GiB
	run q "R[1]['time'] - R[0]['time'] < 3"
	[ "$output" = True ]
	log_has 'HTTP 503.*retrying in 1000 ms'
	contract_ok
}

@test "token rotation: the next request carries the new token, never a 401" {
	apiserver_start
	memhook_k8s
	set_usage "$T/cg" $((75 * MiB))
	wait_for 5 has_posts MemoryLevelEntered
	# as kubelet does: a new file swapped in
	printf 'token-two\n' > "$T/token.new"
	mv "$T/token.new" "$T/token"
	set_usage "$T/cg" $((97 * MiB))
	wait_for 5 has_posts MemoryLevelEntered 2
	run q "[(r['authorization'], r['status']) for r in R]"
	[ "$output" = "('Bearer token-one', 201) ('Bearer token-two', 201)" ]
	# rewritten in place (same inode) it is seen too
	printf 'token-3\n' > "$T/token"
	set_usage "$T/cg" $((10 * MiB))
	wait_for 5 has_posts MemoryNormal
	run q "sorted(set(r['authorization'] for r in R[2:])) + sorted(set(r['status'] for r in R))"
	[ "$output" = "Bearer token-3 201" ]
	contract_ok
}

@test "TLS with a CA that did not sign the server: refused, logged, and the loop keeps checking" {
	apiserver_start
	CA=$T/other.crt memhook_k8s
	set_usage "$T/cg" $((75 * MiB))
	wait_for 5 log_has 'kubernetes events: POST MemoryLevelEntered to https://127.0.0.1:[0-9]+ failed: TLS: .*not retried'
	set_usage "$T/cg" $((10 * MiB))
	wait_for 5 log_has 'memory is back to normal'
	set_usage "$T/cg" $((97 * MiB))
	wait_for 5 log_has 'level 1 -> 2 \(high\): entered'
	[ "$(q 'len(R)')" -eq 0 ]   # no request got through the handshake
	memhook_stop
	[ "$MH_RC" -eq 0 ]
	grep -Eq 'kubernetes events: 0 sent / [1-9][0-9]* failed' "$T/memhook.log"
}

@test "--kubernetes-events without POD_NAME or an API server is a usage error" {
	run env -u POD_NAME -u KUBERNETES_SERVICE_HOST -u MEMHOOK_KUBERNETES_API "$MEMHOOK" --kubernetes-events --cgroup "$T/cg"
	[ "$status" -eq 2 ]
	[[ "$output" == *"KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set"* ]]
	run env POD_NAMESPACE=shop KUBERNETES_SERVICE_HOST=fd00::1 KUBERNETES_SERVICE_PORT=443 "$MEMHOOK" --kubernetes-events --cgroup "$T/cg"
	[ "$status" -eq 2 ]
	[[ "$output" == *"POD_NAME is not set"* ]]
}
