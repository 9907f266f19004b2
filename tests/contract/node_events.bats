#!/usr/bin/env bats
# memhook node --kubernetes-events against fake_pods.py, which serves one node's pods and, with
# fake_apiserver.py's rules and store, the events.k8s.io/v1 endpoints: one API server for both, as
# memhook node has. A container's level change is an Event regarding its own pod, in that pod's
# namespace, naming the container; a malformed annotation is one BadAnnotation Warning Event on
# its pod, never a stop; every Event body and stored Event fits the official schema (k8s_validate.js).

bats_require_minimum_version 1.5.0
load ../bats/helpers
load k8s_helpers

MiB=1048576
UID_WEB=0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0
UID_PAY=11111111-2222-3333-4444-555555555555
UID_BAD=99999999-8888-7777-6666-555555555555
ID1=$(printf 'a%.0s' {1..64})
ID2=$(printf 'b%.0s' {1..64})
ID3=$(printf 'c%.0s' {1..64})

setup() {
	common_setup
	[ -d "$BATS_TEST_DIRNAME/node_modules/kubernetes-models" ] ||
		{ echo "npm ci in tests/contract first (make contract-deps)" >&2; return 1; }
	mkdir -p "$T/api"
	certs
	printf 'token-one\n' > "$T/token"
	fixture_proc "$T/proc" 8000000 4000000
	python3 "$BATS_TEST_DIRNAME/fake_pods.py" "$T/api" "$T/server.crt" "$T/server.key" "$T/token" node-1 \
		2> "$T/apiserver.log" &
	PIDS+=($!)
	wait_for 10 test -s "$T/api/ctl_port"
	touch "$T/api/requests.jsonl"
	API="https://127.0.0.1:$(cat "$T/api/port")"
	CTL="http://127.0.0.1:$(cat "$T/api/ctl_port")/ctl"
	cat > "$T/p.json" <<'JSON'
{"check_interval": "50ms", "levels": [{"name": "high", "when": {"local_relative": 30}}], "handlers": []}
JSON
}
teardown() { common_teardown; }

# pod NAME NAMESPACE UID CONTAINERS_JSON [ANNOTATIONS_JSON]
pod() { printf '{"name":"%s","uid":"%s","namespace":"%s","ip":"127.0.0.1","containers":%s,"annotations":%s}' \
	"$1" "$3" "$2" "$4" "${5:-{\}}"; }
# cg POD_UID ID: a container's fixture cgroup (10 MiB of 100); prints its path.
cg() {
	local d="$T/root/kubepods/burstable/pod$1/$2"
	fixture_v2 "$d" $((10 * MiB)) $((100 * MiB))
	echo "$d"
}
node_start() {
	NODE_NAME=node-1 MEMHOOK_KUBERNETES_API=$API MEMHOOK_KUBERNETES_TOKEN_FILE="$T/token" \
		MEMHOOK_KUBERNETES_CA_FILE="$T/ca.crt" \
		memhook_start node --kubernetes-events --cgroup-root "$T/root" --proc-root "$T/proc" \
		--policy "$T/p.json" "$@"
	wait_for 10 log_has 'watching [0-9]+ container\(s\)'
}

# q EXPR: a Python expression over E, the Event requests the fake got (each with "b", its parsed
# body, and "status"), printed.
q() {
	python3 - "$T/api/requests.jsonl" "$1" <<'PY'
import json, sys
E = [json.loads(l) for l in open(sys.argv[1])]
E = [r for r in E if r["method"] in ("POST", "PATCH")]
for r in E:
    r["b"] = json.loads(r["body"])
v = eval(sys.argv[2])
print(" ".join(map(str, v)) if isinstance(v, (list, tuple)) else v)
PY
}
posts_of() { q "len([r for r in E if r['method'] == 'POST' and r['b']['reason'] == '$1' and r['status'] == 201])"; }
has_posts() { [ "$(posts_of "$1")" -ge "${2:-1}" ]; }

# contract_ok: no request broke a rule (pods and Events), and every object served, posted or
# stored fits the official schema.
contract_ok() {
	run python3 -c 'import json, sys; print(" ".join(p for l in open(sys.argv[1]) for p in json.loads(l)["problems"]))' \
		"$T/api/requests.jsonl"
	echo "problems: $output"
	[ -z "$output" ]
	run node "$BATS_TEST_DIRNAME/k8s_validate.js" "$T/api/objects.jsonl"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"(events.k8s.io/v1 Event)"* ]]
}

@test "node --kubernetes-events: a container's level change is an Event regarding its own pod, naming the container" {
	WEB=$(cg $UID_WEB $ID1)
	cg $UID_PAY $ID2 > /dev/null
	ctl "{\"op\":\"add\",\"pod\":$(pod web-0 shop $UID_WEB "[[\"app\",\"containerd://$ID1\"]]")}"
	ctl "{\"op\":\"add\",\"pod\":$(pod pay-0 bank $UID_PAY "[[\"ledger\",\"containerd://$ID2\"]]")}"
	node_start
	wait_for 10 log_has "shop/web-0/app: policy $T/p.json"
	wait_for 10 log_has "bank/pay-0/ledger: policy $T/p.json"
	set_usage "$WEB" $((80 * MiB))
	wait_for 10 has_posts MemoryLevelEntered
	set_usage "$WEB" $((10 * MiB))
	wait_for 10 has_posts MemoryNormal
	memhook_stop
	[ "$MH_RC" = 0 ]

	run q "[r['b']['reason'] + ':' + r['b']['type'] for r in E]"
	[ "$output" = "MemoryLevelEntered:Warning MemoryLevelLeft:Normal MemoryNormal:Normal" ]
	run q "sorted(set((r['method'], r['path'], r['authorization'], r['content_type'], r['status']) for r in E))"
	[ "$output" = "('POST', '/apis/events.k8s.io/v1/namespaces/shop/events', 'Bearer token-one', 'application/json', 201)" ]
	run q "sorted(set(json.dumps(r['b']['regarding'], sort_keys=True) for r in E))"
	[ "$output" = "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"name\": \"web-0\", \"namespace\": \"shop\", \"uid\": \"$UID_WEB\"}" ]
	run q "sorted(set(r['b']['metadata']['namespace'] for r in E))"
	[ "$output" = shop ]
	run q "E[0]['b']['note']"
	[ "$output" = "container app: Memory level 1 (high) entered from 0 (normal): usage 80Mi of 100Mi, 20.0% free" ]
	run q "all(r['b']['note'].startswith('container app: ') for r in E)"
	[ "$output" = True ]
	# nothing about the other pod, in any namespace
	run q "[r['path'] for r in E if 'pay-0' in r['body'] or '/bank/' in r['path']]"
	[ -z "$output" ]
	contract_ok
}

@test "node --kubernetes-events: two containers of one pod: an Event each, each naming its container" {
	APP=$(cg $UID_WEB $ID1)
	SIDE=$(cg $UID_WEB $ID2)
	ctl "{\"op\":\"add\",\"pod\":$(pod web-0 shop $UID_WEB "[[\"app\",\"containerd://$ID1\"],[\"proxy\",\"containerd://$ID2\"]]")}"
	node_start
	wait_for 10 log_has "shop/web-0/proxy: policy $T/p.json"
	set_usage "$APP" $((80 * MiB))
	set_usage "$SIDE" $((80 * MiB))
	wait_for 10 has_posts MemoryLevelEntered 2
	memhook_stop
	[ "$MH_RC" = 0 ]
	# within the series window, yet two Events: one per container, not a repeat of the other's
	run q "sorted(r['b']['note'].split(':')[0] for r in E if r['b']['reason'] == 'MemoryLevelEntered')"
	[ "$output" = "container app container proxy" ]
	run q "len([r for r in E if r['method'] == 'PATCH'])"
	[ "$output" = 0 ]
	contract_ok
}

@test "node --kubernetes-events: a malformed annotation is one BadAnnotation Warning Event on its pod; the other pods go on" {
	WEB=$(cg $UID_WEB $ID1)
	cg $UID_BAD $ID3 > /dev/null
	ctl "{\"op\":\"add\",\"pod\":$(pod web-0 shop $UID_WEB "[[\"app\",\"containerd://$ID1\"]]")}"
	BAD="{\"memhook.io/policy-json\":\"{bad\"}"
	ctl "{\"op\":\"add\",\"pod\":$(pod odd-0 lab $UID_BAD "[[\"calc\",\"containerd://$ID3\"]]" "$BAD")}"
	node_start
	wait_for 10 has_posts BadAnnotation
	log_has "pod lab/odd-0: memhook.io/policy-json"
	# the same bad text again (a status update): not said again
	ctl "{\"op\":\"modify\",\"pod\":$(pod odd-0 lab $UID_BAD "[[\"calc\",\"containerd://$ID3\"]]" "$BAD")}"
	# memhook goes on: the other pod's container is watched, and its level change is an Event
	kill -0 "$MH_PID"
	wait_for 10 log_has "shop/web-0/app: policy $T/p.json"
	set_usage "$WEB" $((80 * MiB))
	wait_for 10 has_posts MemoryLevelEntered
	# a pod added after: watched too
	NEW=$(cg $UID_PAY $ID2)
	ctl "{\"op\":\"add\",\"pod\":$(pod pay-0 bank $UID_PAY "[[\"ledger\",\"containerd://$ID2\"]]")}"
	wait_for 10 log_has "bank/pay-0/ledger: policy $T/p.json"
	set_usage "$NEW" $((80 * MiB))
	wait_for 10 has_posts MemoryLevelEntered 2
	memhook_stop
	[ "$MH_RC" = 0 ]

	run q "[(r['method'], r['path'], r['status'], r['b']['type'], r['b']['regarding']['name'], r['b']['regarding']['namespace'], r['b']['regarding']['uid']) for r in E if r['b'].get('reason') == 'BadAnnotation' or r['method'] == 'PATCH']"
	[ "$output" = "('POST', '/apis/events.k8s.io/v1/namespaces/lab/events', 201, 'Warning', 'odd-0', 'lab', '$UID_BAD')" ]
	run q "[r['b']['note'] for r in E if r['b'].get('reason') == 'BadAnnotation']"
	[ "$output" = "memhook.io/policy-json: policy: invalid JSON near line 1 column 3" ]
	# nothing else about odd-0: its containers run the node's --policy (the bad one left out),
	# at 10% used
	run q "sorted(r['b']['regarding']['name'] + ':' + r['b']['reason'] for r in E)"
	[ "$output" = "odd-0:BadAnnotation pay-0:MemoryLevelEntered web-0:MemoryLevelEntered" ]
	contract_ok
}
