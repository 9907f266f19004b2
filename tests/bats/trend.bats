#!/usr/bin/env bats
# Trend conditions on a real cgroup v1 memory controller: a steady leak trips time_to_limit long
# before a fixed threshold would, high but flat usage does not, and growth fires on the rate alone.
# What memhook decided comes from the webhooks the listener received (their sample.trend).

load helpers

MiB=1048576

setup() {
	common_setup
	needs_cg1 || return 1
	cg1_create "memhook-trend-$$-$BATS_TEST_NUMBER" $((256 * MiB))
	listener_start
	: > "$T/leak.progress"
}
teardown() { common_teardown; }

# leak_start PHASE...: the leak (lib/leak.py) inside the cgroup.
leak_start() {
	bash -c 'echo $$ > "$1/cgroup.procs" && exec python3 "$2" "$3" "${@:4}"' \
		leak "$CG" "$HERE_LIB/leak.py" "$T/leak.progress" "$@" &
	PIDS+=($!)
}
leak_holds() { grep -q '^hold ' "$T/leak.progress"; }
# last_check: the number of memhook's latest check (its debug line per check).
last_check() { sed -nE 's/.*check ([0-9]+) at [0-9]+ us.*/\1/p' "$T/memhook.log" | tail -n 1; }
checks_reached() { [ "$(last_check)" -ge "$1" ]; }


@test "v1 time_to_limit: a 12 MiB/s leak warns with half the memory still free; flat at 70% it leaves and stays quiet" {
	# leaking: under 15 s to the 256 MiB limit at the slope of the last 3 s; full: 10% free
	cat > "$T/p.json" <<JSON
{"check_interval": "100ms",
 "levels": [{"name": "leaking", "when": {"time_to_limit": {"below": "15s", "window": "3s"}}},
            {"name": "full", "when": {"local_relative": 10}}],
$(hooks)}
JSON
	memhook_start --policy "$T/p.json" --cgroup "$CG" --log-level debug
	wait_for 10 log_has "watching cgroup $CG \(v1\)"
	leak_start 12:15 # to about 190 MiB (74%) in 15 s, then flat
	wait_for 20 has_event entered 1
	used=$(event_field entered 1 'b["sample"]["usage_bytes"]')
	slope=$(event_field entered 1 'b["sample"]["trend"]["slope_bytes_per_second"]')
	ttl=$(event_field entered 1 'b["sample"]["trend"]["time_to_limit_seconds"]')
	echo "entered leaking at $((used / MiB)) MiB, slope $slope B/s, $ttl s to the limit"
	# (256 - used) / 12 MiB/s < 15 s means used > 76 MiB: far below the 90% mark of "full"
	[ "$used" -lt $((128 * MiB)) ]
	[ "$(python3 -c "print(8 * $MiB < $slope < 16 * $MiB and 0 < $ttl < 15)")" = True ]
	wait_for 30 leak_holds
	# flat at ~190 MiB: the slope falls to 0, the level is left, and nothing enters again
	wait_for 15 has_event normal 0
	! has_event entered 2
	n=$(requests_count)
	target=$(($(last_check) + 30)) # 30 more checks of flat usage (3 s)
	wait_for 10 checks_reached "$target"
	[ "$(requests_count)" -eq "$n" ]
	run events_in_order
	[ "$output" = "entered:1 left:0 normal:0" ]
}

@test "v1 growth: 2 MiB/s stays quiet under a 5Mi/s rule; 20 MiB/s enters within the window; flat leaves" {
	cat > "$T/p.json" <<JSON
{"check_interval": "100ms",
 "levels": [{"name": "fast", "when": {"growth": {"above": "5Mi/s", "window": "2s"}}}],
$(hooks)}
JSON
	# idle for 1 s first: the interpreter's own start is not the leak
	leak_start 0:1 2:5 20:3 # then 10 MiB over 5 s, then 60 MiB over 3 s, then flat
	wait_for 10 grep -q '^phase 1 ' "$T/leak.progress"
	memhook_start --policy "$T/p.json" --cgroup "$CG" --log-level debug
	wait_for 10 log_has "watching cgroup $CG \(v1\)"
	wait_for 10 grep -q '^phase 2 ' "$T/leak.progress"
	[ "$(requests_count)" -eq 0 ] # 5 s at 2 MiB/s: never above 5 MiB/s
	t_fast=$(awk '/^phase 2 /{print $4}' "$T/leak.progress")
	wait_for 10 has_event entered 1
	t_in=$(event_field entered 1 'r["t_recv"]')
	slope=$(event_field entered 1 'b["sample"]["trend"]["slope_bytes_per_second"]')
	echo "entered $(python3 -c "print(round($t_in - $t_fast, 3))") s after 20 MiB/s began, slope $slope B/s"
	[ "$(python3 -c "print(0 < $t_in - $t_fast < 2.0 and $slope > 5 * $MiB)")" = True ]
	wait_for 20 has_event normal 0
	run events_in_order
	[ "$output" = "entered:1 left:0 normal:0" ]
}
