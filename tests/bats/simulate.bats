#!/usr/bin/env bats
# memhook record (a real cgroup v1 on this host) and memhook simulate (handcrafted traces, the
# shipped ones, and a recording replayed): exact event sequences, summaries, exit codes.

load helpers

MiB=1048576
REPO="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"

setup() { common_setup; }
teardown() { common_teardown; }

# Two levels on a 1000-byte limit: elevated below 50% free, high below 20% free.
write_policy() {
	cat > "$T/p.json" <<'JSON'
{"levels": [{"name": "elevated", "when": {"local_relative": 50}},
            {"name": "high", "when": {"local_relative": 20}}],
 "handlers": [{"on": "entered", "level": 2, "exec": ["/bin/true"]},
              {"on": "normal", "exec": ["/bin/true"]}]}
JSON
}

# Up to high, a flap between elevated and high, a 3 s gap, back to normal, elevated again.
write_trace_csv() {
	cat > "$T/t.csv" <<'CSV'
# usage of a 1000-byte limit, one sample a second (a gap at 7 -> 10)
time,elapsed_sec,usage_bytes,limit_bytes,host_available_bytes,host_total_bytes
2026-01-01T00:00:00Z,0,100,1000,4000,8000
2026-01-01T00:00:01Z,1,600,1000,4000,8000
2026-01-01T00:00:02Z,2,900,1000,4000,8000
2026-01-01T00:00:03Z,3,700,1000,4000,8000
2026-01-01T00:00:04Z,4,850,1000,4000,8000
2026-01-01T00:00:05Z,5,850,1000,4000,8000
2026-01-01T00:00:06Z,6,300,1000,4000,8000
2026-01-01T00:00:07Z,7,300,1000,4000,8000
2026-01-01T00:00:10Z,10,550,1000,4000,8000
CSV
}

# The same trace as JSON lines.
csv_to_jsonl() {
	python3 - "$1" > "$2" <<'PY'
import csv, json, sys
rows = csv.DictReader(l for l in open(sys.argv[1]) if not l.startswith("#"))
for r in rows:
    print(json.dumps({k: (v if k == "time" else float(v) if k == "elapsed_sec" else int(v))
                      for k, v in r.items()}))
PY
}

# lines_at_least FILE N (for wait_for: counted at each try)
lines_at_least() { [ -f "$1" ] && [ "$(wc -l < "$1")" -ge "$2" ]; }

# events_seq FILE: "event:level" of each event line, space separated.
events_seq() {
	python3 - "$1" <<'PY'
import json, sys
out = []
for l in open(sys.argv[1]):
    o = json.loads(l)
    if "event" in o:
        out.append("%s:%d" % (o["event"], o["level"]))
print(" ".join(out))
PY
}
# summary FILE EXPR: a Python expression over the summary object `s`.
summary() {
	python3 - "$1" "$2" <<'PY'
import json, sys
s = [json.loads(l) for l in open(sys.argv[1])][-1]["summary"]
print(eval(sys.argv[2]))
PY
}

@test "simulate: a handcrafted trace gives the exact events, the handlers and the summary" {
	write_policy
	write_trace_csv
	run "$MEMHOOK" simulate --policy "$T/p.json" --trace "$T/t.csv"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" > "$T/out.jsonl"
	run events_seq "$T/out.jsonl"
	[ "$output" = "entered:1 entered:2 left:1 entered:2 left:1 left:0 normal:0 entered:1" ]
	# each event carries the sample that caused it, in the payload's shape, and its handlers
	run python3 -c 'import json,sys; e=[json.loads(l) for l in open(sys.argv[1])][3]; print(e["time"], e["elapsed_sec"], e["sample"]["usage_bytes"], e["sample"]["local_free_percent"], e["handlers"])' "$T/out.jsonl"
	[ "$output" = "2026-01-01T00:00:04.000Z 4 850 15 ['handlers[0]']" ]
	run summary "$T/out.jsonl" 's["samples"], s["span_sec"], s["events"], s["final_level_name"]'
	[ "$output" = "(9, 10, {'entered': 4, 'left': 3, 'normal': 1, 'remaining': 3, 'oom_kill': 0, 'limit_changed': 0}, 'elevated')" ]
	run summary "$T/out.jsonl" '[(l["name"], l["seconds"]) for l in s["levels"]]'
	[ "$output" = "[('normal', 5), ('elevated', 2), ('high', 3)]" ]
	run summary "$T/out.jsonl" '[l.get("entered", l.get("normal")) for l in s["levels"]], [l.get("left") for l in s["levels"]]'
	[ "$output" = "([1, 2, 2], [None, 1, 2])" ]
}

@test "simulate: the JSON lines form of a trace replays the same; --all adds remaining" {
	write_policy
	write_trace_csv
	csv_to_jsonl "$T/t.csv" "$T/t.jsonl"
	"$MEMHOOK" simulate --policy "$T/p.json" --trace "$T/t.csv" > "$T/a"
	"$MEMHOOK" simulate --policy "$T/p.json" --trace "$T/t.jsonl" > "$T/b"
	cmp "$T/a" "$T/b"
	"$MEMHOOK" simulate --policy "$T/p.json" --trace - --all < "$T/t.csv" > "$T/c"
	run events_seq "$T/c"
	[ "$output" = "remaining:0 entered:1 entered:2 left:1 entered:2 remaining:2 left:1 left:0 normal:0 remaining:0 entered:1" ]
}

@test "simulate: a bad trace line is exit 2 naming the file and line; so is a custom condition" {
	write_policy
	write_trace_csv
	sed -i '6s/700/7x0/' "$T/t.csv"
	run "$MEMHOOK" simulate --policy "$T/p.json" --trace "$T/t.csv"
	[ "$status" -eq 2 ]
	[[ "$output" == *"memhook: $T/t.csv:6: usage_bytes: '7x0' is not a whole number"* ]]
	# nothing printed for the events before it either way: the error is on stderr
	run "$MEMHOOK" simulate --policy "$T/p.json" --trace "$T/none.csv"
	[ "$status" -eq 2 ]
	[[ "$output" == *"$T/none.csv: No such file or directory"* ]]
	cat > "$T/custom.json" <<'JSON'
{"levels": [{"name": "a", "when": {"all": [{"local_relative": 50}, {"custom": {"command": ["/bin/true"]}}]}}]}
JSON
	write_trace_csv
	run "$MEMHOOK" simulate --policy "$T/custom.json" --trace "$T/t.csv"
	[ "$status" -eq 2 ]
	[[ "$output" == *"levels[0].when.all[1]: a custom condition runs a command at every check"* ]]
	run "$MEMHOOK" simulate --policy "$T/p.json"
	[ "$status" -eq 2 ]
	[[ "$output" == *"simulate needs --trace FILE"* ]]
	run "$MEMHOOK" run --trace "$T/t.csv" --cgroup /tmp
	[ "$status" -eq 2 ]
	[[ "$output" == *"--trace and --all go with simulate"* ]]
}

@test "simulate: the shipped traces replay on the default policy and the examples" {
	local n=0 f lines
	for f in "$REPO"/policies/traces/*.csv "$REPO"/policies/traces/*.jsonl; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		run "$MEMHOOK" simulate --trace "$f"
		[ "$status" -eq 0 ]
		printf '%s\n' "$output" > "$T/out.jsonl"
		lines=$(grep -cv -e '^#' -e '^time,' "$f")
		run summary "$T/out.jsonl" 's["samples"]'
		[ "$output" = "$lines" ]
		run "$MEMHOOK" simulate --policy "$REPO/policies/examples/gc-signal.json" --trace "$f"
		[ "$status" -eq 0 ]
	done
	[ "$n" -ge 2 ]
}

@test "record: a real v1 cgroup, --duration 2s at 200ms: 11 lines within the duration, exit 0" {
	needs_cg1 || return 1
	cg1_create "memhook-test-$$-$BATS_TEST_NUMBER" $((64 * MiB))
	hog_start "$CG"
	hog grow 8
	local t0=$(date +%s%N)
	run "$MEMHOOK" record --cgroup "$CG" --interval 200ms --duration 2s --format csv --output "$T/r.csv"
	local took_ms=$((($(date +%s%N) - t0) / 1000000))
	[ "$status" -eq 0 ]
	[[ "$output" == *"recording cgroup $CG (v1) every 200ms to $T/r.csv (csv)"* ]]
	[[ "$output" == *"duration reached: 11 line(s) recorded"* ]]
	[ "$took_ms" -lt 3000 ]
	[ "$(grep -c '^20' "$T/r.csv")" -eq 11 ]
	head -1 "$T/r.csv" | grep -q '^time,elapsed_sec,usage_bytes,'
	run python3 - "$T/r.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
# the 11th sample is due 2 s in: a timer tick, give or take a millisecond, or late on a loaded machine
last = float(rows[-1]["elapsed_sec"])
print(rows[0]["elapsed_sec"], 1.99 <= last < 2.1, rows[-1]["limit_bytes"],
      all(int(r["usage_bytes"]) >= 8 << 20 for r in rows), rows[-1]["events_oom_kill"])
PY
	[ "$output" = "0.000 True $((64 * MiB)) True 0" ]
	# and it replays
	run "$MEMHOOK" simulate --trace "$T/r.csv"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"samples":11,"span_sec":2'* ]]
}

@test "record: SIGTERM stops it cleanly (exit 0, every line whole); the target's exit ends it too" {
	needs_cg1 || return 1
	cg1_create "memhook-test-$$-$BATS_TEST_NUMBER" $((64 * MiB))
	hog_start "$CG"
	memhook_start record --pid "$HOG_PID" --interval 50ms --output "$T/r.jsonl"
	wait_for 10 lines_at_least "$T/r.jsonl" 5
	memhook_stop
	[ "$MH_RC" -eq 0 ]
	log_has 'SIGTERM: stopping; [0-9]+ line\(s\) recorded'
	python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$T/r.jsonl"
	[ "$(tail -c1 "$T/r.jsonl" | od -An -c | tr -d ' ')" = '\n' ]

	# the target's main process exits: the recording ends by itself, exit 0
	memhook_start record --pid "$HOG_PID" --interval 50ms --output "$T/r2.jsonl"
	wait_for 10 test -s "$T/r2.jsonl"
	kill -9 "$HOG_PID"
	wait_for 10 log_has "target gone: .*pid $HOG_PID.*: its main process exited"
	local rc=0
	wait "$MH_PID" || rc=$?
	[ "$rc" -eq 0 ]
}

@test "record: bad options are exit 2, a missing target exit 1" {
	run "$MEMHOOK" record --cgroup /tmp --interval 5ms
	[ "$status" -eq 2 ]
	[[ "$output" == *"--interval: '5ms' is below 10ms"* ]]
	run "$MEMHOOK" record --cgroup /tmp --format xml
	[ "$status" -eq 2 ]
	[[ "$output" == *"--format: 'xml' is not csv or jsonl"* ]]
	run "$MEMHOOK" record --cgroup /tmp --duration 0s
	[ "$status" -eq 2 ]
	run "$MEMHOOK" record
	[ "$status" -eq 2 ]
	[[ "$output" == *"no target"* ]]
	run "$MEMHOOK" run --cgroup /tmp --interval 1s
	[ "$status" -eq 2 ]
	[[ "$output" == *"go with record"* ]]
	run "$MEMHOOK" record --cgroup "$T/none" --duration 1s
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/none"* ]]
}
