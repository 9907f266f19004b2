#!/usr/bin/env bats
# The daemon against fixture trees: exact transitions, payloads, actions, reload, pause, loss.

bats_require_minimum_version 1.5.0
load helpers

MiB=1048576

setup() {
	common_setup
	fixture_v2 "$T/cg" $((10 * MiB)) $((100 * MiB))
	fixture_proc "$T/proc" 8000000 4000000
	listener_start
}
teardown() { common_teardown; }

# policy FILE HANDLERS_JSON: three levels at 30% / 15% / 5% free, 50 ms checks.
policy() {
	cat > "$1" <<JSON
{"check_interval": "50ms", "log_transitions": true,
 "levels": [{"name": "elevated", "when": {"local_relative": 30}},
            {"name": "high", "when": {"local_relative": 15}},
            {"name": "critical", "when": {"local_relative": 5}}],
 "handlers": $2}
JSON
}

all_events_hook() {
	local ev hs=""
	for ev in entered left normal target_lost target_found; do
		hs="$hs{\"on\":\"$ev\",\"webhook\":{\"url\":\"$URL\",\"timeout\":\"2s\"}},"
	done
	echo "[${hs%,}]"
}

@test "1 -> 3 fires entered 2 then 3; 3 -> 0 fires left 3, 2, 1 then normal" {
	policy "$T/p.json" "$(all_events_hook)"
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	wait_for 5 log_has "watching"
	set_usage "$T/cg" $((75 * MiB))          # 25% free: level 1
	wait_for 5 has_event entered 1
	set_usage "$T/cg" $((97 * MiB))          # 3% free: level 3
	wait_for 5 has_event entered 3
	set_usage "$T/cg" $((10 * MiB))          # back to normal
	wait_for 5 has_event normal
	run events_in_order
	[ "$output" = "entered:1 entered:2 entered:3 left:2 left:1 left:0 normal:0" ]
	# sequence numbers only grow
	run python3 -c 'import json,sys; s=[json.loads(json.loads(l)["body"])["seq"] for l in open(sys.argv[1])]; assert s==sorted(s) and len(set(s))==len(s), s' "$REQS"
	[ "$status" -eq 0 ]
	log_has 'level 1 -> 2 \(high\): entered'
	log_has 'level 3 -> 2 \(high\): left critical'
	log_has 'back to normal'
}

@test "the webhook payload carries event, levels, seq, time, target, sample, hostname, pod" {
	policy "$T/p.json" "[{\"on\":\"entered\",\"level\":2,\"webhook\":{\"url\":\"$URL\"}}]"
	POD_NAME=web-0 POD_NAMESPACE=shop memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	set_usage "$T/cg" $((88 * MiB))
	wait_for 5 has_event entered 2
	run event_field entered 2 'b["level_name"], b["previous_level"], b["previous_level_name"]'
	[ "$output" = "high 1 elevated" ]
	run event_field entered 2 'b["target"]["cgroup"], b["target"]["pid"]'
	[ "$output" = "$T/cg None" ]
	run event_field entered 2 'b["sample"]["usage_bytes"], b["sample"]["limit_bytes"], b["sample"]["local_free_bytes"], b["sample"]["local_free_percent"]'
	[ "$output" = "$((88 * MiB)) $((100 * MiB)) $((12 * MiB)) 12" ]
	run event_field entered 2 'b["sample"]["host_available_bytes"], b["sample"]["host_total_bytes"]'
	[ "$output" = "$((4000000 * 1024)) $((8000000 * 1024))" ]
	run event_field entered 2 'b["pod"]["name"], b["pod"]["namespace"], b["hostname"] == __import__("socket").gethostname()'
	[ "$output" = "web-0 shop True" ]
	run event_field entered 2 '__import__("re").fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", b["timestamp"]) is not None'
	[ "$output" = "True" ]
	run event_field entered 2 'r["headers"]["content-type"]'
	[ "$output" = "application/json" ]
}

@test "an HMAC-SHA256 signature over the body, the secret never logged" {
	echo -n 's3cr3t-value' > "$T/secret"
	policy "$T/p.json" "[{\"on\":\"entered\",\"webhook\":{\"url\":\"$URL\",\"secret_file\":\"$T/secret\"}}]"
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc" --log-level debug
	set_usage "$T/cg" $((75 * MiB))
	wait_for 5 has_event entered 1
	run event_field entered 1 'r["headers"]["x-memhook-signature"] == "sha256=" + __import__("hmac").new(b"s3cr3t-value", r["body"].encode(), "sha256").hexdigest()'
	[ "$output" = "True" ]
	run ! grep -q 's3cr3t-value' "$T/memhook.log"
}

@test "remaining fires only without a transition, for the exact level, rate-limited by every" {
	policy "$T/p.json" "[{\"on\":\"remaining\",\"level\":1,\"every\":\"400ms\",\"webhook\":{\"url\":\"$URL\"}},
	                    {\"on\":\"entered\",\"level\":1,\"webhook\":{\"url\":\"$URL\"}}]"
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	set_usage "$T/cg" $((75 * MiB))
	wait_for 5 has_event entered 1
	wait_for 5 requests_at_least 4   # entered + 3 remaining
	set_usage "$T/cg" $((10 * MiB))
	wait_for 5 log_has 'back to normal'
	memhook_stop
	run python3 - "$REQS" <<'PY'
import json, sys
bodies = [json.loads(json.loads(l)["body"]) for l in open(sys.argv[1])]
assert bodies[0]["event"] == "entered", bodies[0]
rem = [b for b in bodies if b["event"] == "remaining"]
assert all(b["level"] == 1 for b in rem)
# at 50 ms checks, remaining would come 20 times a second; every 400ms limits it
ts = [b["timestamp"] for b in rem]
from datetime import datetime
t = [datetime.strptime(x, "%Y-%m-%dT%H:%M:%S.%fZ") for x in ts]
gaps = [(b - a).total_seconds() for a, b in zip(t, t[1:])]
assert all(g >= 0.39 for g in gaps), gaps
assert bodies[0]["seq"] < rem[0]["seq"]
print(len(rem), "remaining; gaps", gaps)
PY
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "signal and exec actions act on real processes, with the event in the environment" {
	bash -c 'trap "echo got-usr1 >> '"$T"'/trapped" USR1; echo $$ > '"$T"'/child.pid; while :; do sleep 0.05; done' &
	PIDS+=($!)
	wait_for 5 test -s "$T/child.pid"
	echo "$(cat "$T/child.pid")" > "$T/cg/cgroup.procs"
	cat > "$T/hook.sh" <<EOF
#!/bin/bash
env | grep ^MEMHOOK_ | sort > "$T/exec.env.tmp" && mv "$T/exec.env.tmp" "$T/exec.env"
echo "hello from the hook"
EOF
	chmod +x "$T/hook.sh"
	policy "$T/p.json" "[{\"on\":\"entered\",\"level\":2,\"signal\":\"SIGUSR1\"},
	                    {\"on\":\"entered\",\"level\":2,\"exec\":[\"$T/hook.sh\"]}]"
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	set_usage "$T/cg" $((88 * MiB))
	wait_for 5 grep -q got-usr1 "$T/trapped"
	wait_for 5 test -s "$T/exec.env"
	grep -qx 'MEMHOOK_EVENT=entered' "$T/exec.env"
	grep -qx 'MEMHOOK_LEVEL=2' "$T/exec.env"
	grep -qx 'MEMHOOK_LEVEL_NAME=high' "$T/exec.env"
	grep -qx "MEMHOOK_USAGE_BYTES=$((88 * MiB))" "$T/exec.env"
	wait_for 5 log_has 'hello from the hook'
	log_has 'sent SIGUSR1 to 1 process'
}

@test "a failing action is logged and counted; the others and monitoring go on" {
	policy "$T/p.json" "[{\"on\":\"entered\",\"level\":1,\"signal\":\"SIGUSR1\"},
	                    {\"on\":\"entered\",\"level\":1,\"exec\":[\"/nonexistent/hook\"]},
	                    {\"on\":\"entered\",\"level\":1,\"webhook\":{\"url\":\"$URL\"}},
	                    {\"on\":\"entered\",\"level\":2,\"webhook\":{\"url\":\"$URL\"}}]"
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	set_usage "$T/cg" $((75 * MiB))
	wait_for 5 has_event entered 1
	log_has 'handlers\[0\]: signal .*failed: No such process'
	log_has 'handlers\[1\]: exec /nonexistent/hook failed'
	set_usage "$T/cg" $((88 * MiB))
	wait_for 5 has_event entered 2
	memhook_stop
	[ "$MH_RC" -eq 0 ]
	log_has '2 failed actions'
}

@test "a dead webhook receiver gets logged retries and never blocks monitoring" {
	policy "$T/p.json" "[{\"on\":\"entered\",\"webhook\":{\"url\":\"http://127.0.0.1:9/x\",\"retries\":2,\"backoff\":\"50ms\",\"timeout\":\"500ms\"}},
	                    {\"on\":\"entered\",\"level\":3,\"webhook\":{\"url\":\"$URL\"}}]"
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	set_usage "$T/cg" $((97 * MiB))
	wait_for 5 has_event entered 3
	wait_for 10 log_has 'attempt 3/3'
	memhook_stop
	[ "$MH_RC" -eq 0 ]
}

@test "a vanished cgroup is target_lost, its return is target_found, then monitoring resumes" {
	policy "$T/p.json" "$(all_events_hook)"
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	wait_for 5 log_has watching
	rm -rf "$T/cg"
	wait_for 5 has_event target_lost
	log_has 'target lost: cgroup .*removed'
	fixture_v2 "$T/cg" $((75 * MiB)) $((100 * MiB))
	wait_for 5 has_event target_found
	wait_for 5 has_event entered 1
	kill -0 "$MH_PID"
}

@test "a missing target at start is waited for, not a failure" {
	policy "$T/p.json" "$(all_events_hook)"
	memhook_start --policy "$T/p.json" --cgroup "$T/later" --proc-root "$T/proc"
	wait_for 5 log_has "target not found: $T/later: no such cgroup directory"
	fixture_v2 "$T/later" $((75 * MiB)) $((100 * MiB))
	wait_for 5 has_event target_found
	wait_for 5 has_event entered 1
}

@test "a garbage cgroup file is logged and skipped; no crash, no event" {
	policy "$T/p.json" "$(all_events_hook)"
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	wait_for 5 log_has watching
	printf 'lots\n' > "$T/cg/memory.current"
	wait_for 5 log_has "reading $T/cg: unexpected content"
	set_usage "$T/cg" $((75 * MiB))
	wait_for 5 has_event entered 1
	kill -0 "$MH_PID"
}

@test "SIGHUP reloads a valid policy and rejects an invalid one, keeping the old" {
	policy "$T/p.json" "[{\"on\":\"entered\",\"webhook\":{\"url\":\"$URL\"}}]"
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	wait_for 5 log_has watching
	echo '{"levels": [{"name": "x", "when": {"local_relative": 300}}]}' > "$T/p.json"
	kill -HUP "$MH_PID"
	wait_for 5 log_has 'new policy rejected, the old one keeps running: .*levels\[0\]\.when\.local_relative'
	set_usage "$T/cg" $((75 * MiB))
	wait_for 5 has_event entered 1
	cat > "$T/p.json" <<JSON
{"check_interval":"50ms","levels":[{"name":"only","when":{"local_relative":50}}],
 "handlers":[{"on":"remaining","level":1,"every":"10s","webhook":{"url":"$URL"}}]}
JSON
	kill -HUP "$MH_PID"
	wait_for 5 log_has 'policy .* reloaded: 1 level'
	wait_for 5 has_event remaining 1
	run event_field remaining 1 'b["level_name"]'
	[ "$output" = "only" ]
}

@test "SIGUSR2 pauses and resumes evaluation; SIGUSR1 dumps the breakdown" {
	policy "$T/p.json" "[{\"on\":\"entered\",\"webhook\":{\"url\":\"$URL\"}}]"
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	wait_for 5 log_has watching
	kill -USR2 "$MH_PID"
	wait_for 5 log_has 'evaluation paused'
	set_usage "$T/cg" $((75 * MiB))
	sleep 0.3   # six check intervals in which nothing may happen
	[ "$(requests_count)" -eq 0 ]
	kill -USR2 "$MH_PID"
	wait_for 5 log_has 'evaluation resumed'
	wait_for 5 has_event entered 1
	kill -USR1 "$MH_PID"
	wait_for 5 log_has 'memory breakdown'
	wait_for 5 grep -q 'file' "$T/memhook.log"
}

@test "JSON log lines with --log-format json" {
	policy "$T/p.json" "[]"
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc" --log-format json
	set_usage "$T/cg" $((75 * MiB))
	wait_for 5 grep -q 'entered' "$T/memhook.log"
	memhook_stop
	run python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]; print("ok")' "$T/memhook.log"
	[ "$output" = ok ]
	grep -q '"level":"info"' "$T/memhook.log"
}

@test "SIGTERM stops cleanly and delivers queued webhooks within the grace period" {
	LISTENER_DELAY=1 listener_start    # answers after 1 s: the webhook is in flight at SIGTERM
	policy "$T/p.json" "[{\"on\":\"entered\",\"level\":1,\"webhook\":{\"url\":\"$URL\"}}]"
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	wait_for 5 log_has watching
	set_usage "$T/cg" $((97 * MiB))
	wait_for 5 requests_at_least 1
	memhook_stop
	[ "$MH_RC" -eq 0 ]
	log_has 'delivering 1 queued webhook'
	log_has 'webhooks 1 delivered / 0 failed'
}

@test "run --once prints sample, level and each condition's value" {
	set_usage "$T/cg" $((88 * MiB))
	policy "$T/p.json" "[]"
	run "$MEMHOOK" run --once --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	[ "$status" -eq 0 ]
	run python3 -c '
import json, sys
o = json.loads(sys.stdin.read())
assert o["level"] == 2 and o["level_name"] == "high", o
assert o["sample"]["usage_bytes"] == 88 * 1048576
c = {x["path"]: x for x in o["conditions"]}
assert c["levels[1].when"]["holds"] and not c["levels[2].when"]["holds"]
assert abs(c["levels[0].when"]["value"] - 12.0) < 0.01
print("ok")' <<<"$output"
	[ "$output" = ok ]
	run "$MEMHOOK" run --once --cgroup "$T/none" --proc-root "$T/proc"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/none"* ]]
}

@test "the limit comes from an ancestor when memory.max is max, and maximum_available overrides" {
	fixture_v2 "$T/parent" $((40 * MiB)) $((64 * MiB))
	fixture_v2 "$T/parent/child" $((32 * MiB)) max
	run "$MEMHOOK" run --once --cgroup "$T/parent/child" --proc-root "$T/proc"
	[ "$status" -eq 0 ]
	[[ "$output" == *"\"limit_bytes\":	$((64 * MiB))"* ]]
	echo '{"maximum_available":"128Mi","levels":[{"name":"a","when":{"local_relative":10}}]}' > "$T/p.json"
	run "$MEMHOOK" run --once --policy "$T/p.json" --cgroup "$T/parent/child" --proc-root "$T/proc"
	[[ "$output" == *"\"limit_bytes\":	$((128 * MiB))"* ]]
	fixture_v2 "$T/solo" $((32 * MiB)) max
	run "$MEMHOOK" run --once --cgroup "$T/solo" --proc-root "$T/proc"
	[[ "$output" == *"\"limit_bytes\":	$((8000000 * 1024))"* ]]
}

@test "custom probe conditions run commands with a timeout" {
	cat > "$T/p.json" <<JSON
{"check_interval":"50ms","levels":[
  {"name":"busy","when":{"custom":{"command":["/usr/bin/test","-e","$T/busy"],"timeout":"1s"}}},
  {"name":"never","when":{"custom":{"command":["/bin/sleep","5"],"timeout":"100ms"}}}],
 "handlers":[{"on":"entered","webhook":{"url":"$URL"}},{"on":"normal","webhook":{"url":"$URL"}}]}
JSON
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	wait_for 5 log_has watching
	touch "$T/busy"
	wait_for 5 has_event entered 1
	rm "$T/busy"
	wait_for 5 has_event normal
	run ! has_event entered 2
}

@test "dump prints memory.stat by category, largest first" {
	run "$MEMHOOK" dump --cgroup "$T/cg" --proc-root "$T/proc"
	[ "$status" -eq 0 ]
	echo "$output"
	[[ "$output" == *file*anon*kernel* ]]
}

@test "--pid in another cgroup namespace: refused with the reason, or read through /proc/PID/root" {
	mkdir -p "$T/proc/777"
	echo '35 30 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw' > "$T/proc/self/mountinfo"
	echo '0::/../kubepods/pod1/app' > "$T/proc/777/cgroup"
	run "$MEMHOOK" run --once --pid 777 --proc-root "$T/proc"
	[ "$status" -eq 1 ]
	[[ "$output" == *"/../kubepods/pod1/app"*"another cgroup namespace"* ]]
	# the target's own cgroup2 mount, rooted at its cgroup (what a container runtime mounts)
	fixture_v2 "$T/proc/777/root/sys/fs/cgroup" $((50 * MiB)) $((100 * MiB))
	run "$MEMHOOK" run --once --pid 777 --proc-root "$T/proc"
	[ "$status" -eq 0 ]
	[[ "$output" == *"\"cgroup\":	\"$T/proc/777/root/sys/fs/cgroup\""* ]]
	[[ "$output" == *"\"usage_bytes\":	$((50 * MiB))"* ]]
}

@test "the status file stays fresh while the target is lost, and memhook status reads it" {
	policy "$T/p.json" "[]"
	rm -rf "$T/cg"
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc" --status-file "$T/status"
	wait_for 5 log_has 'target not found'
	wait_for 5 test -s "$T/status"
	grep -q '"target_present":false' "$T/status"
	touch -d '-1 minute' "$T/status"
	wait_for 8 "$MEMHOOK" status --status-file "$T/status" --max-age 10s
	fixture_v2 "$T/cg" $((75 * MiB)) $((100 * MiB))
	wait_for 8 grep -q '"level":1' "$T/status"
}

@test "TLS is verified by default: a self-signed receiver is refused, tls_verify false accepts it" {
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
		-keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null
	LISTENER_TLS_CERT="$T/cert.pem" LISTENER_TLS_KEY="$T/key.pem" listener_start
	local https=${URL/http:/https:}
	policy "$T/p.json" "[{\"on\":\"entered\",\"level\":1,\"webhook\":{\"url\":\"$https\",\"retries\":0}},
	                    {\"on\":\"entered\",\"level\":2,\"webhook\":{\"url\":\"$https\",\"tls_verify\":false}}]"
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	set_usage "$T/cg" $((75 * MiB))
	wait_for 10 log_has 'handlers\[0\]: POST https://.*(certificate|SSL)'
	[ "$(requests_count)" -eq 0 ]
	set_usage "$T/cg" $((88 * MiB))
	wait_for 10 has_event entered 2
	run ! has_event entered 1
}

@test "a garbage meminfo is the host's problem, logged; the target is not lost" {
	cat > "$T/p.json" <<JSON
{"check_interval":"50ms","levels":[{"name":"tight","when":{"global_absolute":"1Gi"}}],
 "handlers":[{"on":"target_lost","webhook":{"url":"$URL"}},{"on":"entered","webhook":{"url":"$URL"}}]}
JSON
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	wait_for 5 log_has watching
	printf 'MemTotal: lots\n' > "$T/proc/meminfo"
	wait_for 5 log_has "reading meminfo under $T/proc: .*check skipped"
	run ! log_has 'reading .*/cg: '
	printf 'MemTotal: 8000000 kB\nMemAvailable: 500000 kB\n' > "$T/proc/meminfo"
	wait_for 5 has_event entered 1
	run ! has_event target_lost
}

@test "the status file is valid JSON whatever the level names, and round-trips them" {
	cat > "$T/p.json" <<'JSON'
{"check_interval":"50ms","levels":[
  {"name":"say \"hi\" back\\slash","when":{"local_relative":30}},
  {"name":"ctl \u0001\t\n\u001f end","when":{"local_relative":15}},
  {"name":"naïve 日本 \u2028 🙂","when":{"local_relative":5}}],
 "handlers":[]}
JSON
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc" --status-file "$T/status"
	wait_for 5 log_has watching
	for usage_level in "75 1" "88 2" "97 3"; do
		set -- $usage_level
		set_usage "$T/cg" $(($1 * MiB))
		wait_for 5 python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
p = json.load(open(sys.argv[2]))
level = int(sys.argv[3])
assert s["level"] == level and s["level_name"] == p["levels"][level - 1]["name"], s
assert s["target_present"] is True and s["paused"] is False and s["checks"] >= 1, s
' "$T/status" "$T/p.json" "$2"
	done
	"$MEMHOOK" status --status-file "$T/status" --max-age 10s
}
