#!/usr/bin/env bats
# The node DaemonSet (container/kubernetes/node) against the real binary: `memhook node` with the
# DaemonSet's arguments and environment (its ConfigMap's files for --policy-dir, a free loopback
# port for --listen, and --no-kubernetes-api: no API server here) watches a container cgroup laid
# out as the kubelet does on this host's real cgroup v1, and the kubelet's probes answer 200.
# The schemas, RBAC and shape: tests/contract/kubernetes_manifests.bats.
# Run: MEMHOOK=/abs/path/to/memhook bats tests/container/node_manifests.bats (as root)

setup() {
	top=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	node=$top/container/kubernetes/node
	: "${MEMHOOK:?set MEMHOOK to the memhook binary}"
	[ "$(id -u)" = 0 ] && [ -f /sys/fs/cgroup/memory/memory.usage_in_bytes ] ||
		{ echo "needs root and the cgroup v1 memory controller" >&2; return 1; }
	ROOT=$(mktemp -d /sys/fs/cgroup/memory/memhook-node-manifest.XXXXXX)
}

teardown() {
	[ -z "${pid:-}" ] || kill "$pid" 2>/dev/null || true
	[ -n "${ROOT:-}" ] && find "$ROOT" -depth -type d -exec rmdir {} \; 2>/dev/null || true
}

@test "node/daemonset.yaml: memhook node accepts its arguments and environment, watches a container, and its probes answer 200" {
	python3 - "$node/daemonset.yaml" >"$BATS_TEST_TMPDIR/args" <<'PY'
import sys, yaml
ds = yaml.safe_load(open(sys.argv[1]))
c = [c for c in ds["spec"]["template"]["spec"]["containers"] if c["name"] == "memhook"][0]
print("\n".join(c["args"]))
for e in c["env"]:
    if "value" in e:
        print("ENV %s=%s" % (e["name"], e["value"]))
for k in ("livenessProbe", "readinessProbe"):
    print("PROBE " + c[k]["httpGet"]["path"])
PY
	local args=() envs=() probes=() a
	while IFS= read -r a; do
		case $a in
		"ENV "*) envs+=("${a#ENV }") ;;
		"PROBE "*) probes+=("${a#PROBE }") ;;
		/etc/memhook/policy.d) args+=("$node/policies") ;;
		/etc/memhook/policy.d/*) args+=("$node/policies/${a##*/}") ;;
		0.0.0.0:9100) args+=(127.0.0.1:0) ;;
		*) args+=("$a") ;;
		esac
	done <"$BATS_TEST_TMPDIR/args"
	[ "${args[0]}" = node ]
	[ "${#probes[@]}" = 2 ]
	local cid pod
	cid=$(printf 'ab%062x' 7)
	pod="$ROOT/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod11111111_2222_3333_4444_555555555555.slice"
	mkdir -p "$pod/cri-containerd-$cid.scope"
	echo $((128 << 20)) >"$pod/cri-containerd-$cid.scope/memory.limit_in_bytes"
	env "${envs[@]}" \
		"$MEMHOOK" "${args[@]}" --no-kubernetes-api --cgroup-root "$ROOT" 2>"$BATS_TEST_TMPDIR/memhook.log" &
	pid=$!
	local end=$(($(date +%s) + 10))
	until grep -q "container found: pod 11111111-2222-3333-4444-555555555555 (burstable), container $cid" "$BATS_TEST_TMPDIR/memhook.log" &&
		grep -Eq 'http://127\.0\.0\.1:[0-9]+' "$BATS_TEST_TMPDIR/memhook.log"; do
		kill -0 "$pid" 2>/dev/null && [ "$(date +%s)" -lt "$end" ] || { cat "$BATS_TEST_TMPDIR/memhook.log"; false; }
		sleep 0.05
	done
	local base codes=""
	base=$(grep -Eo 'http://127\.0\.0\.1:[0-9]+' "$BATS_TEST_TMPDIR/memhook.log" | head -n 1)
	for a in "${probes[@]}"; do
		codes="$codes $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$base$a")"
	done
	kill "$pid"
	wait "$pid" || true
	pid=
	echo "probes: ${probes[*]} ->$codes ($base)"
	cat "$BATS_TEST_TMPDIR/memhook.log"
	[ "$codes" = " 200 200" ]
}
