#!/usr/bin/env bats
# The payload contract: the real binary against a fixture cgroup posts every event kind to a
# loopback listener, and every body it received must validate against policies/payload.schema.json.

bats_require_minimum_version 1.5.0
load ../bats/helpers

MiB=1048576
ALL_EVENTS="entered left remaining normal target_lost target_found oom_kill limit_changed"

setup() {
	common_setup
	fixture_v2 "$T/cg" $((10 * MiB)) $((100 * MiB))
	fixture_proc "$T/proc" 8000000 4000000
	listener_start
}
teardown() { common_teardown; }

# policy FILE: two levels (one with a name that needs JSON escaping) and a webhook for every event.
policy() {
	local ev hs=""
	for ev in entered left normal target_lost target_found oom_kill limit_changed; do
		hs="$hs{\"on\":\"$ev\",\"webhook\":{\"url\":\"$URL\",\"timeout\":\"2s\"}},"
	done
	hs="$hs{\"on\":\"remaining\",\"every\":\"200ms\",\"webhook\":{\"url\":\"$URL\",\"timeout\":\"2s\"}}"
	cat > "$1" <<JSON
{"check_interval": "50ms",
 "levels": [{"name": "say \"hi\" \\\\ ü", "when": {"local_relative": 30}},
            {"name": "critical", "when": {"local_relative": 5}}],
 "handlers": [$hs]}
JSON
}

# set_oom_kills DIR N: rewrites memory.events in place with oom_kill N.
set_oom_kills() {
	printf 'low 0\nhigh 3\nmax 2\noom 1\noom_kill %s\noom_group_kill 0\n' "$2" > "$1/memory.events"
}

count_event() {
	python3 - "$REQS" "$1" <<'PY'
import json, sys
print(sum(json.loads(json.loads(l)["body"])["event"] == sys.argv[2] for l in open(sys.argv[1])))
PY
}
at_least() { [ "$(count_event "$1")" -ge "$2" ]; }

@test "every event kind's body validates against payload.schema.json (v2 fixture, with pod)" {
	policy "$T/p.json"
	POD_NAME=web-0 POD_NAMESPACE=shop memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	wait_for 5 log_has watching
	set_usage "$T/cg" $((75 * MiB))          # 25% free: level 1
	wait_for 5 has_event entered 1
	wait_for 5 at_least remaining 2
	set_usage "$T/cg" $((97 * MiB))          # 3% free: level 2
	wait_for 5 has_event entered 2
	set_oom_kills "$T/cg" 1
	wait_for 5 has_event oom_kill
	set_usage "$T/cg" $((10 * MiB))          # back to normal
	wait_for 5 has_event normal
	echo $((200 * MiB)) > "$T/cg/memory.max" # the limit moves
	wait_for 5 has_event limit_changed
	rm -rf "$T/cg"
	wait_for 5 has_event target_lost
	fixture_v2 "$T/cg" $((99 * MiB)) $((100 * MiB))
	wait_for 5 has_event target_found
	wait_for 5 has_event entered 2
	memhook_stop
	run python3 "$BATS_TEST_DIRNAME/validate_payloads.py" "$REQS" $ALL_EVENTS
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *", 0 invalid" ]]
}

@test "bodies without a pod validate too" {
	policy "$T/p.json"
	env -u POD_NAME -u POD_NAMESPACE "$MEMHOOK" --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc" \
		2> "$T/memhook.log" &
	MH_PID=$!
	PIDS+=("$MH_PID")
	wait_for 5 log_has watching
	set_usage "$T/cg" $((97 * MiB))
	wait_for 5 has_event entered 2
	set_usage "$T/cg" $((10 * MiB))
	wait_for 5 has_event normal
	memhook_stop
	run python3 "$BATS_TEST_DIRNAME/validate_payloads.py" "$REQS" entered left normal
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "bodies of a working_set policy (working_set_bytes, anon_bytes, usage) validate too" {
	policy "$T/p.json"
	python3 - "$T/p.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["usage"] = "working_set"
json.dump(p, open(sys.argv[1], "w"))
PY
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	wait_for 5 log_has watching
	set_usage "$T/cg" $((97 * MiB))          # working set 95.5 MiB (inactive_file 1.5 MiB): 4.5% free
	wait_for 5 has_event entered 2
	run event_field entered 2 'b["sample"]["usage"], b["sample"]["working_set_bytes"], b["sample"]["anon_bytes"], b["sample"]["local_free_bytes"]'
	[ "$output" = "working_set $((97 * MiB - 1572864)) 1048576 $((3 * MiB + 1572864))" ]
	set_usage "$T/cg" $((10 * MiB))
	wait_for 5 has_event normal
	memhook_stop
	run python3 "$BATS_TEST_DIRNAME/validate_payloads.py" "$REQS" entered left normal
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "bodies of memhook node (pod uid, container, container_id) validate too" {
	policy "$T/p.json"
	CID=$(printf 'ab%062x' 7)
	fixture_v2 "$T/root/kubepods/besteffort/pod1234-5678/$CID" $((10 * MiB)) $((100 * MiB))
	memhook_start node --no-kubernetes-api --cgroup-root "$T/root" --policy "$T/p.json" --proc-root "$T/proc"
	wait_for 5 log_has 'watching 1 container'
	set_usage "$T/root/kubepods/besteffort/pod1234-5678/$CID" $((97 * MiB))
	wait_for 5 has_event entered 2
	run event_field entered 2 'b["pod"]["uid"], b["pod"]["container"], b["pod"]["container_id"], b["pod"]["name"]'
	[ "$output" = "1234-5678 ${CID:0:12} $CID None" ]
	set_usage "$T/root/kubepods/besteffort/pod1234-5678/$CID" $((10 * MiB))
	wait_for 5 has_event normal
	memhook_stop
	run python3 "$BATS_TEST_DIRNAME/validate_payloads.py" "$REQS" entered left normal
	echo "$output"
	[ "$status" -eq 0 ]
}
