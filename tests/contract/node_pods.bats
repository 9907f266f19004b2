#!/usr/bin/env bats
# memhook node with the API server (fake_pods.py: one node's pods over loopback HTTPS) on a fixture
# tree of container cgroups: a container waits for its pod to name it, memhook.io/containers picks
# which are watched, memhook.io/webhook is where a pod's events go, with its namespace, name and
# container in the body; a pod's sandbox is never watched; a bad annotation is a log line, never a
# stop; a change of the annotations makes the pod's monitors again.

bats_require_minimum_version 1.5.0
load ../bats/helpers
load k8s_helpers

MiB=1048576
UID_WEB=0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0
UID_API=11111111-2222-3333-4444-555555555555
ID1=$(printf 'a%.0s' {1..64})
ID2=$(printf 'b%.0s' {1..64})
ID3=$(printf 'c%.0s' {1..64})
ID4=$(printf 'd%.0s' {1..64})

setup() {
	common_setup
	mkdir -p "$T/api"
	certs
	printf 'token-one\n' > "$T/token"
	fixture_proc "$T/proc" 8000000 4000000
	listener_start
	python3 "$BATS_TEST_DIRNAME/fake_pods.py" "$T/api" "$T/server.crt" "$T/server.key" "$T/token" node-1 \
		2> "$T/apiserver.log" &
	PIDS+=($!)
	wait_for 10 test -s "$T/api/ctl_port"
	API="https://127.0.0.1:$(cat "$T/api/port")"
	CTL="http://127.0.0.1:$(cat "$T/api/ctl_port")/ctl"
	cat > "$T/p.json" <<'JSON'
{"check_interval": "50ms", "levels": [{"name": "high", "when": {"local_relative": 30}}], "handlers": []}
JSON
}
teardown() { common_teardown; }

# pod NAME UID CONTAINERS_JSON [ANNOTATIONS_JSON]
pod() { printf '{"name":"%s","uid":"%s","namespace":"shop","ip":"127.0.0.1","containers":%s,"annotations":%s}' \
	"$1" "$2" "$3" "${4:-{\}}"; }
# cg POD_UID ID: a container's fixture cgroup (10 MiB of 100); prints its path.
cg() {
	local d="$T/root/kubepods/burstable/pod$1/$2"
	fixture_v2 "$d" $((10 * MiB)) $((100 * MiB))
	echo "$d"
}
# pod_entered NAME: an entered webhook about pod NAME arrived.
pod_entered() {
	python3 - "$REQS" "$1" <<'PY'
import json, sys
sys.exit(0 if any(json.loads(json.loads(l)["body"]).get("pod", {}).get("name") == sys.argv[2]
                  for l in open(sys.argv[1])) else 1)
PY
}
node_start() {
	NODE_NAME=node-1 MEMHOOK_KUBERNETES_API=$API MEMHOOK_KUBERNETES_TOKEN_FILE="$T/token" \
		MEMHOOK_KUBERNETES_CA_FILE="$T/ca.crt" \
		memhook_start node --cgroup-root "$T/root" --proc-root "$T/proc" --policy "$T/p.json" "$@"
	wait_for 10 log_has 'watching [0-9]+ container\(s\)'
}

@test "node with the API server: a pod's annotations pick its containers, its webhook and its names" {
	APP=$(cg $UID_WEB $ID1)
	cg $UID_WEB $ID2 > /dev/null # the pod's sidecar, left out by memhook.io/containers
	cg $UID_WEB $ID3 > /dev/null # the pod's sandbox: no container of the pod has its ID
	ctl "{\"op\":\"add\",\"pod\":$(pod web-0 $UID_WEB "[[\"app\",\"containerd://$ID1\"],[\"proxy\",\"containerd://$ID2\"]]" \
		"{\"memhook.io/webhook\":\"$URL\",\"memhook.io/containers\":\"app\"}")}"
	node_start
	wait_for 10 log_has "shop/web-0/app: policy $T/p.json"
	wait_for 10 log_has "shop/web-0/proxy: not watched \(memhook.io/containers does not name it\)"
	wait_for 10 log_has "pods listed: 1 on this node; 1 container cgroup\(s\) not named by a pod"
	set_usage "$APP" $((80 * MiB))
	wait_for 10 has_event entered 1
	run event_field entered 1 'b["pod"]["namespace"], b["pod"]["name"], b["pod"]["container"], b["pod"]["uid"], b["pod"]["container_id"]'
	[ "$output" = "shop web-0 app $UID_WEB $ID1" ]
	log_has "shop/web-0/app: level 0 -> 1 \(high\)"

	# a container whose cgroup comes before its pod: it waits, then is watched
	API_CG=$(cg $UID_API $ID4)
	sleep 0.3
	! log_has "shop/api-0/"
	ctl "{\"op\":\"add\",\"pod\":$(pod api-0 $UID_API "[[\"api\",\"containerd://$ID4\"]]" "{\"memhook.io/webhook\":\"$URL\"}")}"
	wait_for 10 log_has "shop/api-0/api: policy $T/p.json"
	set_usage "$API_CG" $((80 * MiB))
	wait_for 10 pod_entered api-0

	# a bad annotation: said, and the rest of the pod goes on
	ctl "{\"op\":\"modify\",\"pod\":$(pod api-0 $UID_API "[[\"api\",\"containerd://$ID4\"]]" \
		"{\"memhook.io/webhook\":\"$URL\",\"memhook.io/policy-json\":\"{bad\"}")}"
	wait_for 10 log_has "pod shop/api-0: memhook.io/policy-json"
	kill -0 "$MH_PID"
	! log_has "shop/api-0/api: the pod's memhook.io/ annotations changed" # a bad one is as if absent
	# the annotations changed (no webhook any more): the pod's monitor is made again
	ctl "{\"op\":\"modify\",\"pod\":$(pod api-0 $UID_API "[[\"api\",\"containerd://$ID4\"]]" \
		"{\"memhook.io/containers\":\"api\"}")}"
	wait_for 10 log_has "shop/api-0/api: the pod's memhook.io/ annotations changed; watched again"
	[ "$(grep -c "shop/api-0/api: policy $T/p.json" "$T/memhook.log")" = 2 ]
	memhook_stop
	[ "$MH_RC" = 0 ]
}

@test "node with the API server: a pod without annotations is watched with --policy, not without" {
	cg $UID_WEB $ID1 > /dev/null
	ctl "{\"op\":\"add\",\"pod\":$(pod web-0 $UID_WEB "[[\"app\",\"containerd://$ID1\"]]")}"
	node_start --webhook "$URL"
	wait_for 10 log_has "shop/web-0/app: policy $T/p.json"
	memhook_stop
	[ "$MH_RC" = 0 ]
	# without --policy: nothing to run for a pod that did not opt in
	NODE_NAME=node-1 MEMHOOK_KUBERNETES_API=$API MEMHOOK_KUBERNETES_TOKEN_FILE="$T/token" \
		MEMHOOK_KUBERNETES_CA_FILE="$T/ca.crt" \
		memhook_start node --cgroup-root "$T/root" --proc-root "$T/proc" --log-level debug
	wait_for 10 log_has "shop/web-0/app: not watched \(the pod has no memhook.io/ annotation"
	memhook_stop
	[ "$MH_RC" = 0 ]
}

@test "node with the API server: a container restarted (a new ID, the same name) keeps its monitor: target_lost, then target_found" {
	APP=$(cg $UID_WEB $ID1)
	ctl "{\"op\":\"add\",\"pod\":$(pod web-0 $UID_WEB "[[\"app\",\"containerd://$ID1\"]]" "{\"memhook.io/webhook\":\"$URL\"}")}"
	node_start
	wait_for 10 log_has "shop/web-0/app: policy $T/p.json"
	set_usage "$APP" $((80 * MiB))
	wait_for 10 has_event entered 1
	# the container exits: its cgroup goes
	rm -rf "$APP"
	wait_for 10 has_event target_lost
	# it starts again: a new ID and cgroup, which its pod's status names
	NEW=$(cg $UID_WEB $ID2)
	set_usage "$NEW" $((80 * MiB))
	ctl "{\"op\":\"modify\",\"pod\":$(pod web-0 $UID_WEB "[[\"app\",\"containerd://$ID2\"]]" "{\"memhook.io/webhook\":\"$URL\"}")}"
	wait_for 10 log_has "shop/web-0/app: restarted as container $ID2; its monitor follows"
	wait_for 10 has_event target_found
	run event_field target_found '*' 'b["pod"]["container"], b["pod"]["container_id"], b["target"]["cgroup"], b["seq"] > 1'
	[ "$output" = "app $ID2 $NEW True" ]
	# one monitor for the container: one series
	memhook_stop
	[ "$MH_RC" = 0 ]
	[ "$(grep -c 'shop/web-0/app: policy' "$T/memhook.log")" = 1 ]
}

@test "node with the API server: memhook.io/policy names a file of --policy-dir; a change of the file is a reload" {
	APP=$(cg $UID_WEB $ID1)
	mkdir "$T/pols"
	cp "$T/p.json" "$T/pols/java.json"
	ctl "{\"op\":\"add\",\"pod\":$(pod web-0 $UID_WEB "[[\"app\",\"containerd://$ID1\"]]" \
		"{\"memhook.io/webhook\":\"$URL\",\"memhook.io/policy\":\"java\"}")}"
	node_start --policy-dir "$T/pols"
	wait_for 10 log_has "shop/web-0/app: policy $T/pols/java.json"
	sleep 0.3
	! has_event entered 1 # 90% free: normal under the first policy
	cat > "$T/pols/java.json.new" <<'JSON'
{"check_interval": "50ms", "levels": [{"name": "tight", "when": {"local_relative": 95}}], "handlers": []}
JSON
	mv "$T/pols/java.json.new" "$T/pols/java.json"
	wait_for 10 log_has "shop/web-0/app: policy $T/pols/java.json installed: 1 level"
	wait_for 10 has_event entered 1
	run event_field entered 1 'b["level_name"], b["pod"]["container"]'
	[ "$output" = "tight app" ]
	# a file that does not load: the old policy keeps running
	echo '{"levels": 3}' > "$T/pols/java.json"
	wait_for 10 log_has "shop/web-0/app: --policy-dir: java.json changed; the old policy keeps running: "
	kill -0 "$MH_PID"
	# SIGHUP: each container's policy from where its pod names it (not the node's --policy)
	kill -HUP "$MH_PID"
	wait_for 10 log_has "SIGHUP: 1 container\(s\) given their pod's policy again"
	log_has "shop/web-0/app: SIGHUP: its policy does not load; the old policy keeps running: "
	! log_has "shop/web-0/app: SIGHUP: policy $T/p.json reloaded"
	memhook_stop
	[ "$MH_RC" = 0 ]
}

@test "node with the API server: a restart seen before the old cgroup goes: one monitor, one series" {
	OLD=$(cg $UID_WEB $ID1)
	ctl "{\"op\":\"add\",\"pod\":$(pod web-0 $UID_WEB "[[\"app\",\"containerd://$ID1\"]]")}"
	node_start --listen 127.0.0.1:0
	wait_for 10 log_has "shop/web-0/app: policy $T/p.json"
	cg $UID_WEB $ID2 > /dev/null
	ctl "{\"op\":\"modify\",\"pod\":$(pod web-0 $UID_WEB "[[\"app\",\"containerd://$ID2\"]]")}"
	wait_for 10 log_has "container found: pod $UID_WEB \(burstable\), container $ID2"
	wait_for 10 grep -q "shop/web-0/app: watching cgroup .*$ID2" "$T/memhook.log"
	rm -rf "$OLD"
	wait_for 10 log_has "container gone: pod $UID_WEB, container $ID1"
	metrics() { curl -sf "http://$(grep -o '127.0.0.1:[0-9]*' "$T/memhook.log" | head -1)/metrics"; }
	one_series() { [ "$(metrics | grep -c '^memhook_target_up{namespace="shop",pod="web-0",container="app"}')" = 1 ]; }
	wait_for 10 one_series
	memhook_stop
	[ "$MH_RC" = 0 ]
}
