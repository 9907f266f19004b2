#!/usr/bin/env bats
# The pictures: simulate --html/--svg, plot, record --html. What was drawn is counted against what
# simulate printed (one marker per event line, per policy), the files hold nothing fetched, bad
# options are exit 2 and an unwritable picture exit 1, and the committed pictures of the shipped
# traces are what this binary draws.

load helpers

MiB=1048576
REPO="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"

setup() { common_setup; }
teardown() { common_teardown; }

# markers FILE POLICY: the event markers of run POLICY (0: --policy, 1: --compare) in FILE.
markers() { grep -o "class=\"ev\" data-policy=\"$2\"" "$1" | wc -l; }
# event_lines FILE: the events simulate printed (the summary not counted).
event_lines() { grep -c '^{"event"' "$1" || true; }

@test "simulate --html/--svg: one marker per printed event, the printed lines unchanged" {
	local f=$REPO/policies/traces/leak.jsonl p=$REPO/policies/traces/tuned.json
	"$MEMHOOK" simulate --policy "$p" --trace "$f" > "$T/plain.jsonl"
	"$MEMHOOK" simulate --policy "$p" --trace "$f" --html "$T/a.html" --svg "$T/a.svg" > "$T/drawn.jsonl"
	cmp "$T/plain.jsonl" "$T/drawn.jsonl"
	local n; n=$(event_lines "$T/plain.jsonl")
	[ "$n" -ge 2 ]
	[ "$(markers "$T/a.html" 0)" -eq "$n" ]
	[ "$(markers "$T/a.svg" 0)" -eq "$n" ]
	# --all: remaining printed, and drawn
	"$MEMHOOK" simulate --policy "$p" --trace "$f" --all --svg "$T/all.svg" > "$T/all.jsonl"
	n=$(event_lines "$T/all.jsonl")
	[ "$n" -gt 100 ]
	[ "$(markers "$T/all.svg" 0)" -eq "$n" ]
	# self-contained: no reference out, the namespace the only URL; the script only in HTML
	! grep -Eq 'src=|href=|@import|url\((https?:)?//' "$T/a.html" "$T/a.svg"
	[ "$(grep -o 'http' "$T/a.svg" | wc -l)" -eq 1 ]
	grep -q '<script>' "$T/a.html"
	! grep -q '<script' "$T/a.svg"
	grep -q "default-src 'none'" "$T/a.html"
}

@test "simulate --compare: the second policy's markers are the events it prints alone" {
	local f=$REPO/policies/traces/cache-reader.csv
	"$MEMHOOK" simulate --trace "$f" > "$T/default.jsonl"
	"$MEMHOOK" simulate --policy "$REPO/policies/traces/tuned.json" --trace "$f" > "$T/tuned.jsonl"
	"$MEMHOOK" simulate --policy "$REPO/policies/traces/tuned.json" --trace "$f" \
		--compare "$REPO/policies/default.json" --svg "$T/c.svg" > "$T/out.jsonl"
	cmp "$T/tuned.jsonl" "$T/out.jsonl"
	[ "$(markers "$T/c.svg" 0)" -eq "$(event_lines "$T/tuned.jsonl")" ]
	[ "$(markers "$T/c.svg" 1)" -eq "$(event_lines "$T/default.jsonl")" ]
	[ "$(event_lines "$T/default.jsonl")" -eq 3 ] # elevated, high, critical within 14 s
	grep -q 'cache-reader.csv: tuned.json against default.json (121 samples)' "$T/c.svg"
}

@test "plot: the picture alone, nothing printed; bad options are exit 2, an unwritable file exit 1" {
	local f=$REPO/policies/traces/leak.jsonl
	run "$MEMHOOK" plot --trace "$f" --html "$T/p.html"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(markers "$T/p.html" 0)" -eq 2 ]
	run "$MEMHOOK" plot --trace "$f"
	[ "$status" -eq 2 ]
	[[ "$output" == *"plot needs --html FILE or --svg FILE"* ]]
	run "$MEMHOOK" simulate --trace "$f" --compare "$REPO/policies/default.json"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--compare needs --html FILE or --svg FILE"* ]]
	run "$MEMHOOK" plot --trace - --compare "$REPO/policies/default.json" --svg "$T/x.svg" < "$f"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--compare reads the trace twice"* ]]
	run "$MEMHOOK" run --compare "$REPO/policies/default.json" --cgroup /tmp
	[ "$status" -eq 2 ]
	[[ "$output" == *"--compare goes with simulate and plot"* ]]
	run "$MEMHOOK" check --html "$T/x.html"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--html and --svg go with simulate, plot and record"* ]]
	run "$MEMHOOK" plot --trace "$f" --svg "$T/no/such/dir/x.svg"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/no/such/dir/x.svg: No such file or directory"* ]]
	run "$MEMHOOK" plot --trace "$T/missing.csv" --svg "$T/x.svg"
	[ "$status" -eq 2 ]
	[[ "$output" == *"$T/missing.csv"* ]]
	# from stdin, as simulate reads it
	run "$MEMHOOK" plot --trace - --svg "$T/stdin.svg" < "$f"
	[ "$status" -eq 0 ]
	grep -q '(121 samples)' "$T/stdin.svg"
}

@test "record --html: what it recorded, drawn when it ends; it needs --output" {
	fixture_v2 "$T/cg" $((92 * MiB)) $((100 * MiB)) # 8% free: elevated and high on the default policy
	fixture_proc "$T/proc" 8000000 4000000
	run "$MEMHOOK" record --cgroup "$T/cg" --proc-root "$T/proc" --interval 100ms --duration 1s \
		--output "$T/r.csv" --format csv --html "$T/r.html"
	[ "$status" -eq 0 ]
	local lines; lines=$(grep -c '^20' "$T/r.csv")
	[ "$lines" -ge 10 ]
	grep -q "r.csv: default policy ($lines samples)" "$T/r.html"
	"$MEMHOOK" simulate --trace "$T/r.csv" > "$T/sim.jsonl"
	[ "$(markers "$T/r.html" 0)" -eq "$(event_lines "$T/sim.jsonl")" ]
	[ "$(event_lines "$T/sim.jsonl")" -eq 2 ]
	run "$MEMHOOK" record --cgroup "$T/cg" --duration 1s --svg "$T/r.svg"
	[ "$status" -eq 2 ]
	[[ "$output" == *"give --output FILE"* ]]
	[ ! -e "$T/r.svg" ]
}

@test "the committed pictures of the shipped traces are what this memhook draws (make plots)" {
	bash "$REPO/policies/traces/plots.sh" "$MEMHOOK" "$T"
	local n=0 svg
	for svg in "$REPO"/policies/traces/*.svg; do
		n=$((n + 1))
		cmp "$svg" "$T/$(basename "$svg")"
	done
	[ "$n" -eq 2 ]
}
