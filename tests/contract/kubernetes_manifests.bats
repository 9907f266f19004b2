#!/usr/bin/env bats
# The Kubernetes manifests of container/kubernetes/, offline: each shape (sidecar/, node/) rendered
# by `kubectl kustomize` (Debian's kubectl, $KUBECTL: `make contract` passes build/tools/kubectl),
# every object of the files and of the rendering validated against the official schemas
# (k8s_validate.js, npm kubernetes-models), and what memhook needs of them (validate_manifests.py):
# RBAC, the Downward API, hostPID and the writable cgroup mount of the DaemonSet. The checker is
# also shown each broken DaemonSet it must refuse. The node's policies pass `memhook check`.

bats_require_minimum_version 1.5.0

setup() {
	top=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	k8s=$top/container/kubernetes
	: "${MEMHOOK:?set MEMHOOK to the memhook binary}"
	export KUBECTL=${KUBECTL:-$top/build/tools/kubectl}
	[ -x "$KUBECTL" ] || { echo "no kubectl at $KUBECTL (make kubectl)" >&2; return 1; }
	[ -d "$BATS_TEST_DIRNAME/node_modules/kubernetes-models" ] ||
		{ echo "npm ci in tests/contract first (make contract-deps)" >&2; return 1; }
}

@test "sidecar/: the files and its kustomization validate against the Kubernetes schemas (Role, Downward API)" {
	run python3 "$BATS_TEST_DIRNAME/validate_manifests.py" "$k8s/sidecar"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"rendered sidecar with $KUBECTL kustomize: 5 objects"* ]]
	[[ "$output" == *"ok sidecar (kustomize)#4 (v1 Pod)"* ]]
	[[ "$output" == *"rbac.authorization.k8s.io/v1 Role"* ]]
	[[ "$output" != *INVALID* ]]
}

@test "node/: the DaemonSet, its RBAC and policies render and validate (hostPID, cgroup mount, NODE_NAME, verbs)" {
	run python3 "$BATS_TEST_DIRNAME/validate_manifests.py" "$k8s/node"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"rendered node with $KUBECTL kustomize: 6 objects"* ]]
	for k in "v1 Namespace" "v1 ServiceAccount" "rbac.authorization.k8s.io/v1 ClusterRole" \
		"rbac.authorization.k8s.io/v1 ClusterRoleBinding" "v1 ConfigMap" "apps/v1 DaemonSet"; do
		[[ "$output" == *"(kustomize)#"?" ($k)"* ]] || { echo "not rendered and valid: $k"; false; }
	done
	[[ "$output" == *"ok node/example-pod.yaml#0 (v1 Pod)"* ]]
	[[ "$output" != *INVALID* ]]
}

# break FILE PYTHON: a copy of node/ whose FILE (YAML, one or more documents, as the list d) is
# changed by PYTHON; then the checker must refuse it and say WHY ($3).
break_node() {
	rm -rf "$BATS_TEST_TMPDIR/node" && cp -r "$k8s/node" "$BATS_TEST_TMPDIR/node"
	python3 - "$BATS_TEST_TMPDIR/node/$1" "$2" <<'PY'
import sys, yaml
path, code = sys.argv[1], sys.argv[2]
d = [x for x in yaml.safe_load_all(open(path)) if x is not None]
exec(code)
yaml.safe_dump_all(d, open(path, "w"))
PY
	run python3 "$BATS_TEST_DIRNAME/validate_manifests.py" "$BATS_TEST_TMPDIR/node"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$3"* ]]
}

@test "node/: the checker refuses a DaemonSet without what memhook node needs" {
	local pod='d[0]["spec"]["template"]["spec"]'
	local c="$pod[\"containers\"][0]"
	break_node daemonset.yaml "del $pod['hostPID']" "no hostPID: true"
	break_node daemonset.yaml "[m for m in $c['volumeMounts'] if m['mountPath'] == '/sys/fs/cgroup'][0]['readOnly'] = True" \
		"/sys/fs/cgroup is mounted read-only"
	break_node daemonset.yaml "[e for e in $c['env'] if e['name'] == 'MEMHOOK_STATUS_FILE'][0]['value'] = '/tmp/s'" \
		"MEMHOOK_STATUS_FILE (preset by the image for the sidecar) is not emptied"
	break_node daemonset.yaml "[e for e in $c['env'] if e['name'] == 'NODE_NAME'][0]['valueFrom']['fieldRef']['fieldPath'] = 'status.hostIP'" \
		"NODE_NAME is not the Downward API's spec.nodeName"
	break_node daemonset.yaml "$c['securityContext']['privileged'] = True" "privileged"
	break_node daemonset.yaml "$c['securityContext']['capabilities']['add'] = ['KILL', 'SYS_ADMIN']" \
		"capabilities are not drop [ALL], add [KILL]"
	break_node daemonset.yaml "$pod['tolerations'] = []" "do not tolerate every taint"
	break_node daemonset.yaml "$c['args'][4] = '/etc/memhook/policy.d/none.json'" "is not a file of the ConfigMap"
	break_node rbac.yaml "d[1]['rules'][0]['verbs'].remove('watch')" "not one ClusterRole with exactly"
	break_node rbac.yaml "d[1]['rules'][1]['verbs'].append('delete')" "not one ClusterRole with exactly"
	break_node rbac.yaml "d[2]['subjects'][0]['namespace'] = 'default'" "no ClusterRoleBinding"
	break_node example-pod.yaml "d[0]['metadata']['annotations']['memhook.io/policy'] = 'nosuch'" \
		"memhook.io/policy 'nosuch' is not in the policies ConfigMap"
	break_node example-pod.yaml "d[0]['metadata']['annotations']['memhook.io/containers'] = 'app,db'" \
		"are not containers of the pod"
}

@test "node/: every policy of the ConfigMap passes memhook check" {
	"$KUBECTL" kustomize "$k8s/node" >"$BATS_TEST_TMPDIR/node.yaml"
	python3 - "$BATS_TEST_TMPDIR/node.yaml" "$BATS_TEST_TMPDIR/policies" <<'PY'
import os, sys, yaml
os.makedirs(sys.argv[2])
cm = [x for x in yaml.safe_load_all(open(sys.argv[1])) if x and x["kind"] == "ConfigMap"]
assert len(cm) == 1, cm
for k, v in cm[0]["data"].items():
    open(os.path.join(sys.argv[2], k), "w").write(v)
PY
	local n=0 f
	for f in "$BATS_TEST_TMPDIR"/policies/*; do
		run "$MEMHOOK" check --policy "$f"
		echo "$f: $output"
		[ "$status" -eq 0 ]
		[[ "$output" == *"valid"* ]]
		n=$((n + 1))
	done
	[ "$n" -eq 3 ]
}
