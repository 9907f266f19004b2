#!/usr/bin/env bats
# What "used" means, on this host's real cgroup v1: a process that reads a large file fills the page
# cache and drives memory.usage_in_bytes to the top level, while a policy on the working set
# (usage - total_inactive_file, kubelet's definition) stays at normal; anonymous memory drives both.

bats_require_minimum_version 1.5.0
load helpers

MiB=1048576

setup() {
	common_setup
	needs_cg1 || return 1
	cg1_create "memhook-usage-$$-$BATS_TEST_NUMBER" $((256 * MiB))
	listener_start
	# "high" below 30% free: more than 179.2 MiB used of 256. Two policies that differ only in usage.
	for u in current working_set; do
		cat > "$T/$u.json" <<JSON
{"check_interval": "100ms", "usage": "$u",
 "levels": [{"name": "high", "when": {"local_relative": 30}}],
 "handlers": [{"on": "entered", "webhook": {"url": "$URL?$u"}},
              {"on": "normal", "webhook": {"url": "$URL?$u"}}]}
JSON
	done
}

teardown() {
	# The file's cached pages go with the cgroup (cg_remove); the file itself with $T.
	common_teardown
}

# once POLICY EXPR: run --once on the cgroup with $T/POLICY.json; prints the Python expression EXPR
# over the document `d`.
once() {
	"$MEMHOOK" run --once --policy "$T/$1.json" --cgroup "$CG" 2>/dev/null |
		python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$2"
}

# hook_count USAGE EVENT: webhooks of the policy on USAGE with that event.
hook_count() {
	python3 - "$REQS" "$1" "$2" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    b = json.loads(r["body"])
    n += r["path"].endswith("?" + sys.argv[2]) and b["event"] == sys.argv[3]
print(n)
PY
}
hook_seen() { [ "$(hook_count "$1" "$2")" -ge 1 ]; }

# status_says EXPR: the working_set memhook's status file holds a sample for which EXPR (Python
# over `s`, the sample, and `d`, the document) is true.
status_says() {
	python3 - "$T/ws.status" "$1" <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    sys.exit(1)
s = d.get("sample")
sys.exit(0 if s and eval(sys.argv[2]) else 1)
PY
}

# Both daemons: the working_set one (status file, log in $T/memhook.log) and the current one (log
# in $T/cur.log).
start_both() {
	memhook_start --policy "$T/working_set.json" --cgroup "$CG" --status-file "$T/ws.status"
	"$MEMHOOK" --policy "$T/current.json" --cgroup "$CG" 2> "$T/cur.log" &
	PIDS+=($!)
	wait_for 10 log_has "watching cgroup $CG"
	wait_for 10 grep -q "watching cgroup $CG" "$T/cur.log"
}

@test "v1 page cache: a reader drives current to high, the working set stays normal" {
	# The file is made outside the cgroup without writing its pages (sparse): nothing of it is
	# cached yet, so the reader inside the cgroup is charged for every page it reads.
	truncate -s $((200 * MiB)) "$T/big.dat"
	start_both
	[ "$(once working_set 'd["sample"]["usage"]')" = working_set ]

	bash -c 'echo $$ > "$1/cgroup.procs" && exec cat "$2" > /dev/null' reader "$CG" "$T/big.dat"
	echo "after the read: $(grep -E '^total_(inactive_file|active_file|cache|rss) ' "$CG/memory.stat" | tr '\n' ' ')"
	[ "$(cat "$CG/memory.usage_in_bytes")" -gt $((180 * MiB)) ]

	# current: high, from the daemon (webhook, log) and from run --once
	wait_for 10 hook_seen current entered
	grep -Eq 'level 0 -> 1 \(high\): entered; usage (1[89]|2[0-5])[0-9](\.[0-9]+)?Mi of 256Mi' "$T/cur.log"
	[ "$(once current 'd["level"], d["sample"]["usage"]')" = "(1, 'current')" ]

	# working_set: normal. run --once shows all three figures and the condition's usage.
	run once working_set 'd["level"], d["sample"]["usage_bytes"] > 180 * 2**20, d["sample"]["working_set_bytes"] < 40 * 2**20, d["sample"]["anon_bytes"] < 8 * 2**20, [c["usage"] for c in d["conditions"]]'
	echo "$output"
	[ "$output" = "(0, True, True, True, ['working_set'])" ]
	# the daemon checked the full cache at normal: its status file's sample says so, and no webhook
	# came from it
	wait_for 10 status_says 's["usage_bytes"] > 180 * 2**20 and s["working_set_bytes"] < 40 * 2**20 and d["level"] == 0'
	status_says 's["usage"] == "working_set" and s["local_free_percent"] > 80'
	[ "$(hook_count working_set entered)" = 0 ]
	run ! log_has 'entered'
}

@test "v1 anonymous memory: a hog drives both current and the working set to high" {
	start_both
	hog_start "$CG"
	hog grow 200
	wait_for 10 hook_seen working_set entered
	wait_for 10 hook_seen current entered
	run python3 - "$REQS" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    b = json.loads(r["body"])
    if r["path"].endswith("?working_set") and b["event"] == "entered":
        s = b["sample"]
        # the kernel's usage threshold wakes the check as usage crosses 179.2 MiB, mid-growth:
        # anon is most of that, not yet the whole 200 MiB
        print(b["level_name"], s["usage"], s["working_set_bytes"] > 179 * 2**20,
              s["anon_bytes"] > 170 * 2**20, s["working_set_bytes"] <= s["usage_bytes"],
              s["local_free_bytes"] == s["limit_bytes"] - s["working_set_bytes"])
        break
PY
	echo "$output"
	[ "$output" = "high working_set True True True True" ]
	# the log says which usage it decided on
	log_has 'level 0 -> 1 \(high\): entered; working set (1[7-9][0-9]|2[0-5][0-9])(\.[0-9]+)?Mi of 256Mi'
	grep -q 'level 0 -> 1 (high): entered; usage' "$T/cur.log"

	hog free
	wait_for 10 hook_seen working_set normal
	wait_for 10 hook_seen current normal
}
