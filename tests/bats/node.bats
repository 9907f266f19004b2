#!/usr/bin/env bats
# memhook node --no-kubernetes-api on this host's real cgroup v1 memory controller: container
# cgroups laid out as the kubelet makes them (systemd and cgroupfs drivers, every QoS level,
# containerd, CRI-O and docker scopes) under a private root, found at start and while running
# (inotify), each with its own monitor, its /metrics series and its webhooks.

load helpers
: "${PROMTOOL:?PROMTOOL must name promtool (make promtool fetches it)}"

MiB=1048576
UID1=11111111-2222-3333-4444-555555555555
UID2=66666666-7777-8888-9999-000000000000
UID3=aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee
CID1=$(printf 'c1%062x' 1)
CID2=$(printf 'c2%062x' 2)
CID3=$(printf 'c3%062x' 3)
CID4=$(printf 'c4%062x' 4)
CID5=$(printf 'c5%062x' 5)

setup() {
	common_setup
	needs_cg1 || return 1
	ROOT="$CG1_ROOT/memhook-node-test-$$-$BATS_TEST_NUMBER"
	mkdir "$ROOT"
	CGROUPS+=("$ROOT")
	listener_start
}
teardown() { common_teardown; }

# uid_ UID: systemd's escape of a pod UID in a slice name.
uid_() { echo "${1//-/_}"; }
# mkcg REL [LIMIT]: a cgroup under the test's root, made with its parents; prints its path.
mkcg() {
	mkdir -p "$ROOT/$1"
	[ -z "${2:-}" ] || echo "$2" > "$ROOT/$1/memory.limit_in_bytes"
	echo "$ROOT/$1"
}
S=kubepods.slice
spod() { echo "$S/kubepods-$1.slice/kubepods-$1-pod$(uid_ "$2").slice"; }   # QOS UID
sgpod() { echo "$S/kubepods-pod$(uid_ "$1").slice"; }                        # UID (guaranteed)

metrics() { curl -sf "http://$(grep -o '127.0.0.1:[0-9]*' "$T/memhook.log" | head -1)/metrics"; }
metrics_has() { metrics | grep -Fq -- "$1"; }
metrics_lacks() { ! metrics | grep -Fq -- "$1"; }
series() { echo "memhook_target_up{namespace=\"\",pod=\"$1\",container=\"${2:0:12}\"} 1"; }
node_start() {
	memhook_start node --no-kubernetes-api --cgroup-root "$ROOT" --listen 127.0.0.1:0 "$@"
	wait_for 10 log_has 'watching [0-9]+ container\(s\)'
}

@test "node: containers of the systemd driver's tree are found at start, every QoS and runtime" {
	mkcg "$(spod burstable $UID1)/cri-containerd-$CID1.scope" > /dev/null
	mkcg "$(spod besteffort $UID2)/crio-$CID2.scope" > /dev/null
	mkcg "$(sgpod $UID3)/docker-$CID3.scope" > /dev/null
	# not containers: CRI-O's monitor, a system slice, a cgroupfs name under systemd
	mkcg "$(sgpod $UID3)/crio-conmon-$CID4.scope" > /dev/null
	mkcg "system.slice/cri-containerd-$CID5.scope" > /dev/null
	mkcg "$(sgpod $UID3)/$CID5" > /dev/null
	node_start
	log_has "watching 3 container\(s\) under $ROOT"
	log_has "container found: pod $UID1 \(burstable\), container $CID1 \(containerd,"
	log_has "container found: pod $UID2 \(besteffort\), container $CID2 \(cri-o,"
	log_has "container found: pod $UID3 \(guaranteed\), container $CID3 \(docker,"
	wait_for 10 metrics_has "$(series $UID1 $CID1)"
	metrics_has "$(series $UID2 $CID2)"
	metrics_has "$(series $UID3 $CID3)"
	run metrics
	[ "$(grep -c '^memhook_target_up{' <<< "$output")" = 3 ]
	grep -q '^memhook_node_containers 3$' <<< "$output"
	# one HELP and TYPE per family, every series well-formed
	[ "$(grep -c '^# HELP memhook_level ' <<< "$output")" = 1 ]
	run "$PROMTOOL" check metrics <<< "$output"
	echo "$output"
	[ "$status" -eq 0 ]
	! log_has "$CID4|$CID5"
	memhook_stop
	[ "$MH_RC" = 0 ]
}

@test "node: containers of the cgroupfs driver's tree, found at start and while running" {
	mkcg "kubepods/burstable/pod$UID1/$CID1" > /dev/null
	mkcg "kubepods/pod$UID3/$CID3" > /dev/null
	node_start
	log_has "watching 2 container\(s\)"
	log_has "container found: pod $UID1 \(burstable\), container $CID1 \(cgroupfs,"
	log_has "container found: pod $UID3 \(guaranteed\), container $CID3 \(cgroupfs,"
	# a new pod while running: its QoS directory, the pod, its container (inotify, no walk)
	mkcg "kubepods/besteffort/pod$UID2/$CID2" > /dev/null
	wait_for 10 log_has "container found: pod $UID2 \(besteffort\), container $CID2 \(cgroupfs,"
	wait_for 10 metrics_has "$(series $UID2 $CID2)"
	# a second container in a running pod, CRI-O's name on cgroupfs
	mkcg "kubepods/besteffort/pod$UID2/crio-$CID4" > /dev/null
	wait_for 10 log_has "container found: pod $UID2 \(besteffort\), container $CID4 \(cri-o,"
	wait_for 10 metrics_has "$(series $UID2 $CID4)"
	# the container goes: its series goes, the others stay
	rmdir "$ROOT/kubepods/besteffort/pod$UID2/$CID2"
	wait_for 10 log_has "container gone: pod $UID2, container $CID2"
	wait_for 10 metrics_lacks "container=\"${CID2:0:12}\""
	metrics_has "$(series $UID2 $CID4)"
	metrics_has "$(series $UID1 $CID1)"
	# the whole pod goes
	rmdir "$ROOT/kubepods/besteffort/pod$UID2/crio-$CID4" "$ROOT/kubepods/besteffort/pod$UID2"
	wait_for 10 metrics_lacks "pod=\"$UID2\""
	run metrics
	grep -q '^memhook_node_containers 2$' <<< "$output"
	memhook_stop
	[ "$MH_RC" = 0 ]
}

@test "node: a container appearing while running under the systemd driver, the top made last" {
	node_start
	log_has "watching 0 container\(s\)"
	# the kubelet starts after memhook: kubepods.slice does not exist yet
	mkcg "$(spod burstable $UID1)/cri-containerd-$CID1.scope" > /dev/null
	wait_for 10 log_has "container found: pod $UID1 \(burstable\), container $CID1 \(containerd,"
	mkcg "$(sgpod $UID3)/cri-containerd-$CID3.scope" > /dev/null
	wait_for 10 metrics_has "$(series $UID3 $CID3)"
	rmdir "$ROOT/$(sgpod $UID3)/cri-containerd-$CID3.scope"
	wait_for 10 metrics_lacks "pod=\"$UID3\""
	metrics_has "$(series $UID1 $CID1)"
	memhook_stop
	[ "$MH_RC" = 0 ]
}

@test "node: a hog in one container reaches a level; its webhook names its pod and container only" {
	cat > "$T/p.json" <<JSON
{"check_interval": "100ms",
 "levels": [{"name": "elevated", "when": {"local_relative": 60}},
            {"name": "high", "when": {"local_relative": 35}}],
 "handlers": [{"on": "entered", "webhook": {"url": "$URL"}},
              {"on": "entered", "level": 2, "signal": "SIGUSR1"}]}
JSON
	HOGCG=$(mkcg "$(spod burstable $UID1)/cri-containerd-$CID1.scope" $((64 * MiB)))
	mkcg "$(spod burstable $UID2)/cri-containerd-$CID2.scope" $((64 * MiB)) > /dev/null
	mkcg "kubepods/pod$UID3/$CID3" $((64 * MiB)) > /dev/null
	hog_start "$HOGCG"
	node_start --policy "$T/p.json"
	log_has "watching 3 container\(s\)"
	hog grow 40
	wait_for 10 has_event entered 2
	run event_field entered 2 'b["pod"]["uid"], b["pod"]["container"], b["pod"]["container_id"], b["target"]["cgroup"]'
	[ "$output" = "$UID1 ${CID1:0:12} $CID1 $HOGCG" ]
	run event_field entered 1 'b["pod"]["uid"], b["pod"]["name"], b["pod"]["namespace"]'
	[ "$output" = "$UID1 None None" ]
	# the signal reached the hog, the process of that container
	wait_for 10 grep -q SIGUSR1 "$T/hog.trap"
	# nothing from the idle containers
	run python3 - "$REQS" <<'PY'
import json, sys
print(sorted({json.loads(json.loads(l)["body"])["pod"]["uid"] for l in open(sys.argv[1])}))
PY
	[ "$output" = "['$UID1']" ]
	metrics | grep -q "^memhook_level{namespace=\"\",pod=\"$UID1\",container=\"${CID1:0:12}\"} 2$"
	metrics | grep -q "^memhook_level{namespace=\"\",pod=\"$UID2\",container=\"${CID2:0:12}\"} 0$"
	log_has "pod $UID1 container ${CID1:0:12}: level 1 -> 2 \(high\)|pod $UID1 container ${CID1:0:12}: .*high"
}

@test "node: SIGTERM stops it cleanly; the cgroups it watched can be removed" {
	mkcg "kubepods/burstable/pod$UID1/$CID1" $((64 * MiB)) > /dev/null
	mkcg "$(spod besteffort $UID2)/crio-$CID2.scope" $((64 * MiB)) > /dev/null
	node_start
	log_has "watching 2 container\(s\)"
	memhook_stop
	[ "$MH_RC" = 0 ]
	log_has 'SIGTERM: stopping'
	log_has 'stopped: 2 container\(s\) were watched'
	rmdir "$ROOT/kubepods/burstable/pod$UID1/$CID1" "$ROOT/$(spod besteffort $UID2)/crio-$CID2.scope"
}

@test "node: usage errors" {
	run env -u NODE_NAME "$MEMHOOK" node --cgroup-root "$ROOT"
	[ "$status" -eq 2 ]
	[[ "$output" == *"give --no-kubernetes-api"* ]]
	run "$MEMHOOK" node --no-kubernetes-api --cgroup-root "$ROOT" --cgroup /x
	[ "$status" -eq 2 ]
	run "$MEMHOOK" run --cgroup-root "$ROOT"
	[ "$status" -eq 2 ]
	[[ "$output" == *"go with node"* ]]
	run "$MEMHOOK" node --no-kubernetes-api --cgroup-root "$ROOT/missing"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$ROOT/missing"* ]]
}
