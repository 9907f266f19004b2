#!/usr/bin/env bats
# memhook node on a real cgroup v2 memory controller, inside the test VM (tests/vm/run.sh): a
# kubelet-like tree of the systemd driver (QoS slices, a guaranteed pod, containerd and CRI-O scopes)
# under a private root, a hog in one container, memhook node --no-kubernetes-api at a 1 s interval.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	[ -e "$HOOK_DIR/.ready" ] # the listener guest.sh started
}

teardown() {
	vm_teardown
}

UID1=11111111-2222-3333-4444-555555555555
UID2=66666666-7777-8888-9999-000000000000
UID3=aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee
CID1=c100000000000000000000000000000000000000000000000000000000000001
CID2=c200000000000000000000000000000000000000000000000000000000000002
CID3=c300000000000000000000000000000000000000000000000000000000000003
CID4=c400000000000000000000000000000000000000000000000000000000000004

# node_dir REL: a cgroup under the test's root with the memory controller handed down to it.
node_dir() {
	cg_new "node/$1"
	echo +memory >"$CG/cgroup.subtree_control"
}
# node_container REL: a container's cgroup (a leaf, 64M, no swap). Sets CG.
node_container() {
	cg_new "node/$1" 64M
	echo 0 >"$CG/memory.swap.max"
}

@test "node: a systemd tree of containers on cgroup v2; a hog's level change within the interval + 50 ms" {
	cg_new node
	echo +memory >"$CG/cgroup.subtree_control"
	ROOT=$CG
	S=kubepods.slice
	node_dir $S
	node_dir $S/kubepods-burstable.slice
	node_dir $S/kubepods-besteffort.slice
	node_dir $S/kubepods-burstable.slice/kubepods-burstable-pod${UID1//-/_}.slice
	node_dir $S/kubepods-besteffort.slice/kubepods-besteffort-pod${UID2//-/_}.slice
	node_dir $S/kubepods-pod${UID3//-/_}.slice
	node_container $S/kubepods-burstable.slice/kubepods-burstable-pod${UID1//-/_}.slice/cri-containerd-$CID1.scope
	HOGCG=$CG
	node_container $S/kubepods-burstable.slice/kubepods-burstable-pod${UID1//-/_}.slice/cri-containerd-$CID4.scope
	node_container $S/kubepods-besteffort.slice/kubepods-besteffort-pod${UID2//-/_}.slice/crio-$CID2.scope
	node_container $S/kubepods-pod${UID3//-/_}.slice/cri-containerd-$CID3.scope
	hog_start node "$HOGCG"
	hog_do node "grow 8"

	# the default interval (1 s); the level at more than 32 MiB used of 64
	P=$(policy node '{"levels": [{"name": "high", "when": {"local_relative": 50}}],
		"handlers": [{"on": "entered", "webhook": '"$(webhook node)"'}]}')
	MH_LOG=$BATS_TEST_TMPDIR/memhook.log
	"$MEMHOOK" node --no-kubernetes-api --cgroup-root "$ROOT" --policy "$P" >"$MH_LOG" 2>&1 3>&- &
	MH_PID=$!
	wait_for 30 mh_logged "watching 4 container\(s\) under $ROOT"
	mh_logged "container found: pod $UID1 \(burstable\), container $CID1 \(containerd, "
	mh_logged "container found: pod $UID2 \(besteffort\), container $CID2 \(cri-o, "
	mh_logged "container found: pod $UID3 \(guaranteed\), container $CID3 \(containerd, "
	wait_for 30 mh_logged "pod $UID3 container ${CID3:0:12}: watching cgroup .* \(v2\)"
	fds=(/proc/$MH_PID/fd/*)
	echo "# memhook node holds ${#fds[@]} fds for 4 containers on cgroup v2" >&3

	t0=${EPOCHREALTIME}
	hog_do node "grow 32" # 40 MiB of 64: less than 50% free
	wait_for 20 hook_find node event=entered
	hook_expect node event=entered level=1 pod.uid=$UID1 pod.container=${CID1:0:12} pod.container_id=$CID1 \
		target.cgroup="$HOGCG"
	ms=$(awk -v a="$t0" -v b="${HOOK[_t]}" 'BEGIN { printf "%d", (b - a) * 1000 }')
	echo "# the level change arrived $ms ms after the hog was told to grow (interval 1000 ms)" >&3
	[ "$ms" -le 1050 ]
	# only the hog's container spoke
	hook_count node
	[ "$HOOK_N" = 1 ]
	mh_running
	# a container removed while it runs
	"$HOG" --rmdir "$ROOT/$S/kubepods-pod${UID3//-/_}.slice/cri-containerd-$CID3.scope"
	wait_for 20 mh_logged "container gone: pod $UID3, container $CID3"
	kill -TERM "$MH_PID"
	wait_for 10 proc_gone "$MH_PID"
	mh_logged "stopped: 3 container\(s\) were watched"
	MH_PID=
}
