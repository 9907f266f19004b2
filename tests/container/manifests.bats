#!/usr/bin/env bats
# Offline checks of the sidecar manifests in container/kubernetes/sidecar: they parse, the pods have the
# shape the README promises, every memhook argument they pass is accepted by the real binary, the
# ConfigMap's policy passes `memhook check`, and the HTTP probes answer 200 from a running memhook.
# Run: MEMHOOK=/abs/path/to/memhook bats tests/container

setup() {
	top=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	k8s=$top/container/kubernetes/sidecar
	: "${MEMHOOK:?set MEMHOOK to the memhook binary}"
	py=python3
	if ! $py -c 'import yaml' 2>/dev/null; then
		if ! /usr/bin/python3 -c 'import yaml' 2>/dev/null && [ "$(id -u)" = 0 ]; then
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-yaml >/dev/null 2>&1 || true
		fi
		py=/usr/bin/python3
	fi
	if ! $py -c 'import yaml' 2>/dev/null; then
		[ "${CI:-}" = true ] && { echo "python3-yaml missing (CI=true: failing)" >&2; return 1; }
		skip "python3-yaml is not installed"
	fi
	policy=$BATS_TEST_TMPDIR/policy.json
	$py "$BATS_TEST_DIRNAME/manifests.py" policy "$k8s" >"$policy"
}

@test "manifests: every YAML file parses" {
	for f in "$k8s"/*.yaml; do
		run $py -c 'import sys, yaml; list(yaml.safe_load_all(open(sys.argv[1])))' "$f"
		[ "$status" -eq 0 ] || { echo "$f: $output"; false; }
	done
}

@test "manifests: the ConfigMap's policy passes memhook check" {
	run "$MEMHOOK" check --policy "$policy"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"valid"* ]]
}

check_pod() {
	run $py "$BATS_TEST_DIRNAME/manifests.py" check "$k8s" "$1"
	echo "$output"
	[ "$status" -eq 0 ]
	mapfile -t args <<<"$output"
	# The ConfigMap's file stands in for its mount path; env as the manifest sets it.
	local i
	for i in "${!args[@]}"; do
		[ "${args[$i]}" = /etc/memhook/policy/policy.json ] && args[$i]=$policy
		[ "${args[$i]}" = 0.0.0.0:9100 ] && args[$i]=127.0.0.1:0   # a free port here
	done
	run env MEMHOOK_STATUS_FILE="$BATS_TEST_TMPDIR/status" "$MEMHOOK" check "${args[@]}"
	echo "$output"
	[ "$status" -eq 0 ]
	# The same arguments run against a cgroup tree and keep the probe's status file fresh.
	cp -r "$top/tests/fixtures/v2" "$BATS_TEST_TMPDIR/cg"
	rm -f "$BATS_TEST_TMPDIR/cg/memory.pressure"   # memhook would write a PSI trigger into it
	MEMHOOK_SECRET=x MEMHOOK_STATUS_FILE="$BATS_TEST_TMPDIR/status" \
		"$MEMHOOK" "${args[@]}" --cgroup "$BATS_TEST_TMPDIR/cg" 2>"$BATS_TEST_TMPDIR/memhook.log" &
	local pid=$! end=$(( $(date +%s) + 10 ))
	until [ -s "$BATS_TEST_TMPDIR/status" ]; do
		[ "$(date +%s)" -lt "$end" ] || { kill $pid; cat "$BATS_TEST_TMPDIR/memhook.log"; false; }
		sleep 0.05
	done
	# The kubelet's probes: GET each path on the --listen port, 200 expected.
	local base
	base=$(grep -Eo 'http://127\.0\.0\.1:[0-9]+' "$BATS_TEST_TMPDIR/memhook.log" | head -n 1)
	run $py "$BATS_TEST_DIRNAME/manifests.py" probe "$k8s" "$1"
	mapfile -t probe <<<"$output"
	local codes=""
	for i in "${!probe[@]}"; do
		codes="$codes $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$base${probe[$i]}")"
	done
	kill $pid; wait $pid || true
	echo "probes: ${probe[*]} ->$codes ($base)"
	[ "$codes" = " 200 200" ]
}

@test "manifests: pod.yaml (native sidecar) is well-formed and its memhook arguments are accepted" {
	check_pod pod.yaml
}

@test "manifests: pod-classic.yaml (classic sidecar) is well-formed and its memhook arguments are accepted" {
	check_pod pod-classic.yaml
}
