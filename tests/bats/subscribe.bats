#!/usr/bin/env bats
# GET /events (--listen) on a real cgroup v1: what subscribers receive, in order, byte for byte as
# Server-Sent Events; a reconnect with Last-Event-ID; 100 subscribers and one that never reads.

bats_require_minimum_version 1.5.0
load helpers

MiB=1048576
SSE="$HERE_LIB/sse_client.py"

setup() {
	common_setup
	needs_cg1 || return 1
	cg1_create "memhook-sse-$$-$BATS_TEST_NUMBER" $((64 * MiB))
}
teardown() { common_teardown; }

# listen_start ARGS...: memhook with --listen 127.0.0.1:0; sets HTTP and PORT.
listen_start() {
	memhook_start --listen 127.0.0.1:0 "$@"
	wait_for 10 log_has 'listening on http://127\.0\.0\.1:[0-9]+ '
	HTTP="$(grep -Eo 'http://127\.0\.0\.1:[0-9]+' "$T/memhook.log" | head -n 1)"
	PORT="${HTTP##*:}"
}
scrape() { curl -sf --max-time 5 -o "$T/metrics.txt" "$HTTP/metrics"; }
metric() { SERIES="$1" awk '$1 == ENVIRON["SERIES"] { print $2; found = 1 } END { exit !found }' "$T/metrics.txt"; }
metric_is() { scrape && [ "$(metric "$1")" = "$2" ]; }

# policy FILE HANDLERS: elevated below 60% free (> 25.6 MiB used), high below 35% (> 41.6 MiB).
policy() {
	cat > "$1" <<JSON
{"check_interval": "20ms", "log_transitions": true,
 "levels": [{"name": "elevated", "when": {"local_relative": 60}},
            {"name": "high", "when": {"local_relative": 35}}],
 "handlers": $2}
JSON
}
# subscribe OUT [LAST_EVENT_ID]: one subscriber in the background; waits for its headers.
subscribe() {
	python3 "$SSE" one "$PORT" "$@" &
	PIDS+=($!)
	SUB_PID=$!
	wait_for 10 test -s "$1.open"
}
# events OUT: "id:event:level" of each event OUT received, space separated ("lost:N" for a loss).
events() {
	python3 - "$1" <<'PY'
import json, sys
out = []
for line in open(sys.argv[1]):
    ev = json.loads(line)
    if ev.get("event") == "lost":
        out.append("lost:%d" % json.loads(ev["data"])["lost"])
    elif "id" in ev:
        d = json.loads(ev["data"])
        assert d["seq"] == int(ev["id"]), ev
        out.append("%s:%s:%d" % (ev["id"], ev["event"], d["level"]))
print(" ".join(out))
PY
}
count_events() { grep -c '"id"' "$1" 2>/dev/null || true; }
has_events_at_least() { [ "$(count_events "$1")" -ge "$2" ]; }

@test "a subscriber gets every transition of a climb and a fall, in seq order, as the webhook body" {
	policy "$T/p.json" '[]'
	hog_start "$CG"
	listen_start --policy "$T/p.json" --cgroup "$CG"
	wait_for 10 log_has "watching cgroup $CG \(v1\)"
	subscribe "$T/a.jsonl"
	hog grow 30
	wait_for 10 log_has 'level 0 -> 1'
	hog grow 15
	wait_for 10 log_has 'level 1 -> 2'
	hog free
	wait_for 10 has_events_at_least "$T/a.jsonl" 5
	got="$(events "$T/a.jsonl")"
	echo "$got"
	# seq numbers the --webhook set (no handler takes anything): consecutive, from the first
	first="${got%%:*}"
	want="$first:entered:1 $((first + 1)):entered:2 $((first + 2)):left:1 $((first + 3)):left:0 $((first + 4)):normal:0"
	[ "$got" = "$want" ]
	# the opening comment names the instance; every event's data carries it, and is the payload
	instance="$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["comment"].split()[-1])' "$T/a.jsonl")"
	[[ "$instance" =~ ^[0-9a-f]{16}$ ]]
	python3 - "$T/a.jsonl" "$instance" "$CG" <<'PY'
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1]) if '"id"' in l]
for ev in evs:
    d = json.loads(ev["data"])
    assert d["instance"] == sys.argv[2], d
    assert d["event"] == ev["event"], d
    assert d["target"]["cgroup"] == sys.argv[3], d
    assert d["sample"]["limit_bytes"] == 64 * 1048576, d
PY
	wait_for 5 metric_is memhook_subscribers 1
	[ "$(metric memhook_subscribers_cut_total)" = 0 ]
	# a stop with a subscriber asleep on the stream: clean (the sanitizer build checks it)
	memhook_stop
	[ "$MH_RC" = 0 ]
	wait_for 5 grep -q '"end": true' "$T/a.jsonl"
	! grep -q Sanitizer "$T/memhook.log"
}

@test "a reconnect with Last-Event-ID gets exactly the missed events; beyond the ring, how many were lost" {
	# remaining at level 1, every check (20 ms), numbered through a handler: many events fast
	policy "$T/p.json" "[{\"on\": \"remaining\", \"level\": 1, \"pressure_watch\": {\"path\": \"$T/p.sock\", \"min_interval\": \"0s\"}}]"
	hog_start "$CG"
	listen_start --policy "$T/p.json" --cgroup "$CG"
	wait_for 10 log_has "watching cgroup $CG \(v1\)"
	subscribe "$T/a.jsonl"
	hog grow 30
	wait_for 10 has_events_at_least "$T/a.jsonl" 3
	kill "$SUB_PID"
	last="$(python3 -c 'import json,sys; print([json.loads(l) for l in open(sys.argv[1]) if "\"id\"" in l][-1]["id"])' "$T/a.jsonl")"
	# away for a while: the events go on (into the ring)
	wait_for 10 metric_is memhook_subscribers 0
	sleep_until_more() { scrape && [ "$(metric 'memhook_actions_total{action="pressure_watch",result="ok"}')" -ge $((last + 20)) ]; }
	wait_for 10 sleep_until_more
	subscribe "$T/b.jsonl" "$last"
	wait_for 10 has_events_at_least "$T/b.jsonl" 25
	got="$(events "$T/b.jsonl")"
	# exactly from last+1, with no gap and no loss
	python3 - "$last" "$got" <<'PY'
import sys
last, got = int(sys.argv[1]), sys.argv[2].split()
assert not any(g.startswith("lost") for g in got), got[:3]
ids = [int(g.split(":")[0]) for g in got]
assert ids == list(range(last + 1, last + 1 + len(ids))), ids[:5]
assert all(g.endswith(":remaining:1") for g in got), got[:3]
PY
	# far beyond the ring (256): the count of the lost, then what the ring still has
	more() { scrape && [ "$(metric 'memhook_actions_total{action="pressure_watch",result="ok"}')" -ge 300 ]; }
	wait_for 20 more
	subscribe "$T/c.jsonl" 1
	wait_for 10 has_events_at_least "$T/c.jsonl" 256
	python3 - "$(events "$T/c.jsonl")" <<'PY'
import sys
got = sys.argv[1].split()
assert got[0].startswith("lost:"), got[:2]
lost = int(got[0].split(":")[1])
first = int(got[1].split(":")[0])
assert lost == first - 2, (lost, first)   # 2 .. first-1 are gone
assert lost > 0
ids = [int(g.split(":")[0]) for g in got[1:]]
assert ids == list(range(first, first + len(ids))), ids[:5]
assert len(ids) >= 256
PY
}

@test "100 subscribers and one that never reads: the level changes on time for all, the stuck one is cut and counted" {
	policy "$T/p.json" "[{\"on\": \"remaining\", \"level\": 1, \"pressure_watch\": {\"path\": \"$T/p.sock\", \"min_interval\": \"0s\"}}]"
	hog_start "$CG"
	listen_start --policy "$T/p.json" --cgroup "$CG"
	wait_for 10 log_has "watching cgroup $CG \(v1\)"
	python3 "$SSE" crowd "$PORT" 100 "$T/crowd.txt" &
	PIDS+=($!)
	wait_for 20 test -s "$T/crowd.txt.open"
	python3 "$SSE" stuck "$PORT" "$T/stuck.txt" &
	PIDS+=($!)
	wait_for 10 metric_is memhook_subscribers 101
	hog grow 30
	# remaining events at every check until the stuck one is far enough behind
	wait_for 30 metric_is memhook_subscribers_cut_total 1
	wait_for 10 metric_is memhook_subscribers 100
	wait_for 10 grep -q closed "$T/stuck.txt"
	# a /metrics scrape and /healthz answered meanwhile
	[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$HTTP/healthz")" = 200 ]
	# from the command to the hog (CLOCK_MONOTONIC, as the subscribers' times) to each receipt
	sent_at="$(python3 -c 'import time; print("%.6f" % time.monotonic())')"
	hog grow 15
	done_at="$(tail -n 1 "$T/hog.ack" | awk '{print $3}')"
	got_all() { [ "$(awk '$3 == "entered" && $4 == 2' "$T/crowd.txt" | wc -l)" -eq 100 ]; }
	wait_for 10 got_all
	# every subscriber got the same event number; the latest of them within 1 s of the hog's step
	[ "$(awk '$3 == "entered" && $4 == 2 { print $2 }' "$T/crowd.txt" | sort -u | wc -l)" -eq 1 ]
	read -r first_ms worst_ms < <(awk -v t0="$sent_at" '$3 == "entered" && $4 == 2 { d = ($5 - t0) * 1000; if (n++ == 0 || d < lo) lo = d; if (d > hi) hi = d } END { printf "%d %d\n", lo, hi }' "$T/crowd.txt")
	echo "# entered level 2: the first of 100 subscribers had it ${first_ms} ms after the hog was told to grow, the last ${worst_ms} ms (the hog's 15 MiB took $(awk -v a="$sent_at" -v b="$done_at" 'BEGIN { printf "%d", (b - a) * 1000 }') ms)" >&3
	[ "$worst_ms" -lt 1000 ]
	# nobody else was cut, and each saw every event in order with no gap
	python3 - "$T/crowd.txt" <<'PY'
import collections, sys
by = collections.defaultdict(list)
for line in open(sys.argv[1]):
    c, i, *_ = line.split()
    assert i != "end", line
    by[c].append(int(i))
assert len(by) == 100
for c, ids in by.items():
    assert ids == list(range(ids[0], ids[0] + len(ids))), (c, ids[:5])
PY
	memhook_stop
	[ "$MH_RC" = 0 ]
	! grep -q Sanitizer "$T/memhook.log"
}
