#!/usr/bin/env bats
# The node's pod watch (lib/daemon/pod_watch.c on lib/delivery/kube_watch.c) against fake_pods.py:
# a loopback HTTPS API server with its own CA that serves one node's pods as a list and a watch,
# checks the bearer token and the field selector of every request, and is scripted through a
# control port: pods added, modified and deleted, bookmarks, 410 Gone as a status and as an
# ERROR event, failures, a stall, garbage and an endless line. `memhook debug-pod-watch` (hidden)
# runs the watch alone and prints each callback as a JSON line. Every PodList, Pod, Status and
# WatchEvent served is validated against the official schemas (k8s_validate.js, kubernetes-models).

bats_require_minimum_version 1.5.0
load ../bats/helpers
load k8s_helpers

UID_WEB=0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0
UID_API=11111111-2222-3333-4444-555555555555
UID_DB=66666666-7777-8888-9999-000000000000
ID1=$(printf 'a%.0s' {1..64})
ID2=$(printf 'b%.0s' {1..64})
ID3=$(printf 'c%.0s' {1..64})

setup() {
	common_setup
	[ -d "$BATS_TEST_DIRNAME/node_modules/kubernetes-models" ] ||
		{ echo "npm ci in tests/contract first (make contract-deps)" >&2; return 1; }
	mkdir -p "$T/api" "$T/events"
	certs
	printf 'token-one\n' > "$T/token"
}
teardown() { common_teardown; }

# pods_start [fake_pods.py options]: sets API and CTL.
pods_start() {
	python3 "$BATS_TEST_DIRNAME/fake_pods.py" "$T/api" "$T/server.crt" "$T/server.key" "$T/token" node-1 "$@" \
		2> "$T/apiserver.log" &
	PIDS+=($!)
	wait_for 10 test -s "$T/api/port"
	API="https://127.0.0.1:$(cat "$T/api/port")"
	CTL="http://127.0.0.1:$(cat "$T/api/ctl_port")/ctl"
	touch "$T/api/requests.jsonl"
}

# ctl JSON: one operation of the fake server's control port.
# pod NAME UID IP CONTAINERS_JSON [ANNOTATIONS_JSON]: the "pod" of an add or modify.
pod() { printf '{"name":"%s","uid":"%s","namespace":"shop","ip":"%s","containers":%s,"annotations":%s}' \
	"$1" "$2" "$3" "$4" "${5:-{\}}"; }

# watch_start [debug-pod-watch options]: the watch with short timeouts; its lines in $T/out.
watch_start() {
	NODE_NAME=node-1 MEMHOOK_KUBERNETES_API=$API MEMHOOK_KUBERNETES_TOKEN_FILE="$T/token" \
		MEMHOOK_KUBERNETES_CA_FILE="$T/ca.crt" POD_NAME=memhook-node-1 POD_NAMESPACE=memhook \
		"$MEMHOOK" debug-pod-watch --watch-timeout 2 --stall-margin 1 --backoff 100 "$@" \
		> "$T/out" 2> "$T/memhook.log" &
	MH_PID=$!
	PIDS+=("$MH_PID")
}

# watch_stop: SIGTERM; the watch frees everything and exits 0 (a sanitizer build: no leak).
watch_stop() {
	kill -TERM "$MH_PID"
	local rc=0
	wait "$MH_PID" || rc=$?
	[ "$rc" -eq 0 ]
	! grep -E 'LeakSanitizer|AddressSanitizer|runtime error' "$T/memhook.log"
}

# o EXPR: a Python expression over O (the watch's lines, parsed) and R (the requests), printed.
o() {
	python3 - "$T/out" "$T/api/requests.jsonl" "$1" <<'PY'
import json, sys
O = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
R = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
W = [r for r in R if r["query"].get("watch") == "1"]
L = [r for r in R if "watch" not in r["query"]]
v = eval(sys.argv[3])
print(" ".join(map(str, v)) if isinstance(v, (list, tuple)) else v)
PY
}
count() { o "len([x for x in O if x['event'] == '$1'])"; }
at_least() { [ "$(count "$1")" -ge "$2" ]; }
o_true() { [ "$(o "$1")" = True ]; }

# contract_ok: no request broke a rule, and everything served fits the official schemas.
contract_ok() {
	run o "[p for r in R for p in r['problems']]"
	echo "problems: $output"
	[ -z "$output" ]
	run node "$BATS_TEST_DIRNAME/k8s_validate.js" "$T/api/objects.jsonl"
	echo "$output" | tail -3
	[ "$status" -eq 0 ]
}

@test "list (in pages) then watch: the node's pods with their containers' IDs, IP and annotations; synced after the list" {
	pods_start --page-size 1
	ctl "{\"op\":\"add\",\"pod\":$(pod web-0 $UID_WEB 10.1.0.7 "[[\"web\",\"containerd://$ID1\"],[\"istio-proxy\",\"cri-o://$ID2\"]]" \
		'{"memhook.io/policy":"java","memhook.io/webhook":"http://$(POD_IP):8080/memhook","memhook.io/containers":"web"}')}"
	ctl "{\"op\":\"add\",\"pod\":$(pod api-0 $UID_API "" "[[\"api\",\"\"]]")}"
	watch_start
	wait_for 10 at_least synced 1
	run o "[(x['event'], x.get('name')) for x in O]"
	[ "$output" = "('changed', 'web-0') ('changed', 'api-0') ('synced', None)" ]
	run o "[x for x in O if x.get('name') == 'web-0'][0]"
	[[ "$output" == *"'uid': '$UID_WEB', 'namespace': 'shop', 'name': 'web-0', 'ip': '10.1.0.7'"* ]]
	[[ "$output" == *"'containers': [{'name': 'web', 'id': '$ID1'}, {'name': 'istio-proxy', 'id': '$ID2'}]"* ]]
	[[ "$output" == *"'settings': {'opted_in': True, 'policy': 'java', 'policy_json': False, 'webhook': 'http://10.1.0.7:8080/memhook', 'containers': ['web'], 'error': ''}"* ]]
	run o "[x for x in O if x.get('name') == 'api-0'][0]['containers'], [x for x in O if x.get('name') == 'api-0'][0]['settings']['opted_in']"
	[ "$output" = "[{'name': 'api', 'id': ''}] False" ]
	# two pages (the second with the first's continue token), then the watch from the list's RV
	wait_for 5 o_true "len(W) >= 1"
	run o "[(r['query'].get('limit'), r['query'].get('continue')) for r in L]"
	[ "$output" = "('100', None) ('100', '1-102')" ]
	run o "(W[0]['query']['resourceVersion'], W[0]['query']['allowWatchBookmarks'], W[0]['query']['timeoutSeconds'], W[0]['query']['fieldSelector'])"
	[ "$output" = "102 true 2 spec.nodeName=node-1" ]
	# a pod added live
	ctl "{\"op\":\"add\",\"pod\":$(pod db-0 $UID_DB 10.1.0.9 "[[\"db\",\"docker://$ID3\"]]")}"
	wait_for 5 o_true "any(x.get('name') == 'db-0' and x['containers'][0]['id'] == '$ID3' for x in O)"
	contract_ok
}

@test "a container restart (new containerID, same name) is a change; a MODIFIED that changes nothing memhook reads is not reported; DELETED is" {
	pods_start
	ctl "{\"op\":\"add\",\"pod\":$(pod web-0 $UID_WEB 10.1.0.7 "[[\"web\",\"containerd://$ID1\"]]")}"
	watch_start
	wait_for 10 at_least synced 1
	wait_for 5 o_true "len(W) >= 1"
	# the same pod again (a status update memhook does not read): nothing reported
	ctl "{\"op\":\"modify\",\"pod\":$(pod web-0 $UID_WEB 10.1.0.7 "[[\"web\",\"containerd://$ID1\"]]")}"
	# the container restarted: its new ID
	ctl "{\"op\":\"modify\",\"pod\":$(pod web-0 $UID_WEB 10.1.0.7 "[[\"web\",\"containerd://$ID2\"]]")}"
	wait_for 5 at_least changed 2
	# deleted (its cgroup may linger on the node: the watch says so first)
	ctl "{\"op\":\"delete\",\"uid\":\"$UID_WEB\"}"
	wait_for 5 at_least deleted 1
	run o "[(x['event'], x['containers'][0]['id'][:1] if 'containers' in x else x.get('uid')) for x in O]"
	[ "$output" = "('changed', 'a') ('synced', None) ('changed', 'b') ('deleted', '$UID_WEB')" ]
	watch_stop
	contract_ok
}

@test "bookmarks move the resourceVersion: the next watch starts from the bookmark's" {
	pods_start
	ctl "{\"op\":\"add\",\"pod\":$(pod web-0 $UID_WEB 10.1.0.7 "[[\"web\",\"containerd://$ID1\"]]")}"
	watch_start
	wait_for 10 at_least synced 1
	wait_for 5 o_true "len(W) >= 1"
	# changes of pods on another node move the RV without an event here; a bookmark says so
	for i in 1 2 3; do ctl "{\"op\":\"add\",\"pod\":{\"name\":\"other-$i\",\"uid\":\"o-$i\",\"node\":\"node-2\"}}"; done
	ctl '{"op":"bookmark"}'
	# the server ends the watch after its 2 s; the next one starts from the bookmark's RV
	wait_for 10 o_true "any(r['query']['resourceVersion'] == '104' for r in W)"
	run o "len(L), [x.get('name') for x in O]"
	[ "$output" = "1 ['web-0', None]" ]
	contract_ok
}

@test "410 as an ERROR event ends the watch: relist; a pod gone meanwhile without its DELETED is reported deleted before synced" {
	pods_start
	ctl "{\"op\":\"add\",\"pod\":$(pod web-0 $UID_WEB 10.1.0.7 "[[\"web\",\"containerd://$ID1\"]]")}"
	ctl "{\"op\":\"add\",\"pod\":$(pod api-0 $UID_API 10.1.0.8 "[[\"api\",\"containerd://$ID2\"]]")}"
	watch_start
	wait_for 10 at_least synced 1
	wait_for 5 o_true "len(W) >= 1"
	ctl "{\"op\":\"delete\",\"uid\":\"$UID_API\",\"silent\":true}"
	ctl '{"op":"expire"}'
	wait_for 10 at_least synced 2
	run o "[x['event'] + ':' + (x.get('name') or x.get('uid') or '') for x in O]"
	[ "$output" = "changed:web-0 changed:api-0 synced: changed:web-0 deleted:$UID_API synced:" ]
	run o "sum(1 for r in W if r.get('expired')), len(L)"
	[ "$output" = "1 2" ]
	grep -q 'pod watch: .*410' "$T/memhook.log"
	contract_ok
}

@test "410 as the HTTP status of a watch from a compacted resourceVersion: relist, then watch from the new one" {
	pods_start
	ctl "{\"op\":\"add\",\"pod\":$(pod web-0 $UID_WEB 10.1.0.7 "[[\"web\",\"containerd://$ID1\"]]")}"
	watch_start
	wait_for 10 at_least synced 1
	ctl "{\"op\":\"modify\",\"pod\":$(pod web-0 $UID_WEB 10.1.0.7 "[[\"web\",\"containerd://$ID2\"]]")}"
	wait_for 5 at_least changed 2
	ctl '{"op":"compact"}'
	# the watch ends after its 2 s; the next from RV 102 < 103 gets 410; a relist follows
	wait_for 15 at_least synced 2
	wait_for 5 o_true "len(W) >= 3"
	run o "[(r['query']['resourceVersion'], r['status']) for r in W[:3]]"
	[ "$output" = "('101', 200) ('102', 410) ('103', 200)" ]
	run o "len(L)"
	[ "$output" = 2 ]
	contract_ok
}

@test "410 as an ERROR event at the start of a watch (the watch cache's form): relist" {
	pods_start --gone-as-event
	ctl "{\"op\":\"add\",\"pod\":$(pod web-0 $UID_WEB 10.1.0.7 "[[\"web\",\"containerd://$ID1\"]]")}"
	watch_start
	wait_for 10 at_least synced 1
	ctl '{"op":"compact"}'
	wait_for 15 at_least synced 2
	run o "len(L) >= 2 and W[1]['status'] == 200 and W[1]['query']['resourceVersion'] == '101'"
	[ "$output" = True ]
	grep -q 'ERROR event 410' "$T/memhook.log"
	contract_ok
}

@test "a malformed annotation: said in the pod's error and as a BadAnnotation Event regarding that pod, never a stop" {
	pods_start
	python3 "$BATS_TEST_DIRNAME/fake_apiserver.py" "$T/events" "$T/server.crt" "$T/server.key" "$T/token" \
		2> "$T/events.log" &
	PIDS+=($!)
	wait_for 10 test -s "$T/events/port"
	touch "$T/events/requests.jsonl"
	ctl "{\"op\":\"add\",\"pod\":$(pod web-0 $UID_WEB 10.1.0.7 "[[\"web\",\"containerd://$ID1\"]]" \
		'{"memhook.io/policy-json":"{\"levels\": [{\"name\": \"x\", \"when\": {\"local_relative\": 300}}]}","memhook.io/containers":"web"}')}"
	watch_start --events --events-api "https://127.0.0.1:$(cat "$T/events/port")"
	wait_for 10 at_least synced 1
	run o "O[0]['settings']['error'], O[0]['settings']['policy_json'], O[0]['settings']['containers']"
	[ "$output" = "memhook.io/policy-json:1:36: levels[0].when.local_relative: must be between 0 and 100 False ['web']" ]
	wait_for 10 grep -q '"status": 201' "$T/events/requests.jsonl"
	run python3 -c "
import json
r = [json.loads(l) for l in open('$T/events/requests.jsonl')][0]
b = json.loads(r['body'])
print(r['path'], b['reason'], b['type'], b['regarding']['name'], b['regarding']['namespace'], b['regarding']['uid'])
print(b['note'])"
	[ "${lines[0]}" = "/apis/events.k8s.io/v1/namespaces/shop/events BadAnnotation Warning web-0 shop $UID_WEB" ]
	[ "${lines[1]}" = "memhook.io/policy-json:1:36: levels[0].when.local_relative: must be between 0 and 100" ]
	grep -q 'pod shop/web-0: memhook.io/policy-json:1:36' "$T/memhook.log"
	# the watch goes on
	ctl "{\"op\":\"delete\",\"uid\":\"$UID_WEB\"}"
	wait_for 5 at_least deleted 1
	run node "$BATS_TEST_DIRNAME/k8s_validate.js" "$T/events/objects.jsonl"
	[ "$status" -eq 0 ]
	watch_stop
	contract_ok
}

@test "token rotation mid-watch: the next request carries the new token, never a 401" {
	pods_start
	watch_start
	wait_for 10 at_least synced 1
	wait_for 5 o_true "len(W) >= 1"
	printf 'token-two\n' > "$T/token.new"
	mv "$T/token.new" "$T/token"
	wait_for 10 o_true "any(r['authorization'] == 'Bearer token-two' for r in R)"
	# every request answered 200; the old token until the swap, the new one after it
	run o "sorted(set(r['status'] for r in R)), [r['authorization'][7:] for r in sorted(R, key=lambda r: r['time'])]"
	[[ "$output" =~ ^\[200\]\ \[(\'token-one\',\ )+(\'token-two\'(,\ )?)+\]$ ]]
	contract_ok
}

@test "failures back off with jitter; a stalled watch is given up past its timeout; garbage and an endless line are cut and relisted, memory bounded" {
	pods_start
	ctl '{"op":"fail","n":3}'
	ctl '{"op":"stall","n":1}'
	ctl "{\"op\":\"add\",\"pod\":$(pod web-0 $UID_WEB 10.1.0.7 "[[\"web\",\"containerd://$ID1\"]]")}"
	watch_start --line-max 1048576
	wait_for 10 at_least synced 1
	# three 500s, each after a longer backoff: [50, 100], [100, 200], [200, 400] ms (and a TLS
	# handshake: the bounds above are loose, the ones below are the backoff's)
	run o "[r['status'] for r in R[:4]] + [round(R[i + 1]['time'] - R[i]['end'], 2) for i in range(3)]"
	echo "$output"
	read -r s1 s2 s3 s4 g1 g2 g3 <<< "$output"
	[ "$s1 $s2 $s3 $s4" = "500 500 500 200" ]
	python3 -c "import sys; g = [float(x) for x in sys.argv[1:]]; sys.exit(not (0.05 <= g[0] <= 0.6 and 0.1 <= g[1] <= 0.7 and 0.2 <= g[2] <= 0.9))" "$g1" "$g2" "$g3"
	# the first watch stalls: given up after its 2 s and the 1 s margin, then watched again
	wait_for 10 o_true "len(W) >= 2"
	run o "W[0].get('stalled'), 2.9 <= W[0]['end'] - W[0]['time'] <= 4.5"
	[ "$output" = "True True" ]
	grep -q 'pod watch: the server stalled' "$T/memhook.log"
	# garbage on the watch: cut, and a relist
	ctl '{"op":"garbage"}'
	wait_for 10 at_least synced 2
	grep -q 'pod watch: a line that is not a WatchEvent; listing again' "$T/memhook.log"
	wait_for 10 o_true "len(W) >= 3"
	# a line without end: cut at its 1 MiB bound, and a relist
	ctl '{"op":"endless"}'
	wait_for 10 at_least synced 3
	grep -q 'pod watch: a line past its bound; listing again' "$T/memhook.log"
	wait_for 10 o_true "any('endless_bytes' in r for r in W)"
	run o "[r['endless_bytes'] for r in W if 'endless_bytes' in r][0]"
	echo "served $output bytes of the endless line"
	[ "$output" -lt $((16 * 1048576)) ]
	# memhook's peak memory stayed small (the line's bound plus libcurl and TLS)
	hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$MH_PID/status")
	echo "VmHWM ${hwm} kB"
	[ "$hwm" -lt 32768 ]
	# and it still follows the pods
	ctl "{\"op\":\"delete\",\"uid\":\"$UID_WEB\"}"
	wait_for 5 at_least deleted 1
	watch_stop
	contract_ok
}

@test "debug-pod-watch without NODE_NAME or an https API server is a usage error" {
	run -2 env -u NODE_NAME MEMHOOK_KUBERNETES_API=https://127.0.0.1:1 "$MEMHOOK" debug-pod-watch
	[[ "$output" == *"NODE_NAME is not set"* ]]
	run -2 env NODE_NAME=n MEMHOOK_KUBERNETES_API=http://127.0.0.1:1 "$MEMHOOK" debug-pod-watch
	[[ "$output" == *"the API server URL must be https://"* ]]
}

@test "k8s_validate.js refuses a WatchEvent and a Pod that break the schema" {
	printf '%s\n' '{"what": "no type", "schema": "WatchEvent", "object": {"object": {}}}' \
		'{"what": "pod", "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": 7}}}' > "$T/bad.jsonl"
	run node "$BATS_TEST_DIRNAME/k8s_validate.js" "$T/bad.jsonl"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(grep -c '^INVALID' <<< "$output")" -eq 2 ]
}
