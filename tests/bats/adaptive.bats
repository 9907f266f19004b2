#!/usr/bin/env bats
# Adaptive checks on a real cgroup v1 memory controller: with check_interval 2s and min_interval
# 10ms, a leak growing toward a threshold gets denser and denser checks and is caught within a few
# ms of the crossing, while flat usage is checked every 2 s with one wakeup per check. What memhook
# did comes from its debug line per check (its time, the usage it read, the level, the next delay)
# and from the webhook the listener received.

load helpers

MiB=1048576

setup() {
	common_setup
	needs_cg1 || return 1
	cg1_create "memhook-adapt-$$-$BATS_TEST_NUMBER" $((256 * MiB))
	listener_start
	: > "$T/leak.progress"
	# one level below 50% free: 128 MiB used
	cat > "$T/p.json" <<JSON
{"check_interval": "2s",
 "levels": [{"name": "half", "when": {"local_relative": 50}}],
 "handlers": [{"on": "entered", "webhook": {"url": "$URL"}}]}
JSON
}
teardown() { common_teardown; }

# leak_start PHASE...: the leak (lib/leak.py: RATE_MIB_PER_S:SECONDS phases) inside the cgroup.
leak_start() {
	bash -c 'echo $$ > "$1/cgroup.procs" && exec python3 "$2" "$3" "${@:4}"' \
		leak "$CG" "$HERE_LIB/leak.py" "$T/leak.progress" "$@" &
	PIDS+=($!)
}
# phase_t N: when the leak began its phase N (CLOCK_MONOTONIC seconds).
phase_t() { sed -nE "s/^phase $1 [0-9]+ ([0-9.]+)$/\\1/p" "$T/leak.progress"; }

# checks: "seconds usage_bytes level next_seconds" per check, from memhook's debug log.
checks() {
	sed -nE 's/.*check [0-9]+ at ([0-9]+) us \(monotonic\): usage ([0-9]+) bytes, level ([0-9]+); next in ([0-9]+) us.*/\1 \2 \3 \4/p' \
		"$T/memhook.log" | awk '{ printf "%.6f %s %s %.6f\n", $1 / 1e6, $2, $3, $4 / 1e6 }'
}
n_checks() { checks | wc -l; }
checks_at_least() { [ "$(n_checks)" -ge "$1" ]; }
py() { python3 -c "print($1)"; }

@test "v1 adaptive: a leak toward a threshold gets denser checks and is caught within 300 ms of the crossing" {
	memhook_start --policy "$T/p.json" --cgroup "$CG" --log-level debug
	wait_for 10 log_has "watching cgroup $CG \(v1\)"
	leak_start 0:3 40:5 # flat for 3 s, then 40 MiB/s to 200 MiB (the threshold about 3 s in)
	wait_for 20 has_event entered 1
	wait_for 5 checks_at_least "$(($(checks | awk '$3 == 0' | wc -l) + 2))" # one more after entered
	checks | awk '{ printf "# %s\n", $0 }' >&3
	ramp=$(phase_t 1)
	# the analysis, in Python over the check lines
	checks > "$T/checks"
	run python3 - "$ramp" $((128 * MiB)) "$T/checks" <<'PY'
import sys
ramp, threshold = float(sys.argv[1]), int(sys.argv[2])
rows = [tuple(float(x) for x in l.split()) for l in open(sys.argv[3])]
t = [r[0] for r in rows]; u = [r[1] for r in rows]; lv = [int(r[2]) for r in rows]
e = lv.index(1)                     # the check that entered
b = e - 1                           # the last one before it
assert u[b] <= threshold < u[e], (u[b], u[e])
print("crossing between checks %.1f ms apart" % ((t[e] - t[b]) * 1e3))
assert t[e] - t[b] <= 0.3
# before the leak grew: the longest interval
flat = [t[i + 1] - t[i] for i in range(e) if t[i + 1] < ramp]
print("flat gaps", ["%.3f" % g for g in flat])
assert flat and all(1.9 <= g <= 2.1 for g in flat), flat
# while it grew: every gap up to the crossing at most the one before it (5 ms of timer slack)
first = next(i for i in range(len(t)) if t[i] > ramp)
gaps = [t[i + 1] - t[i] for i in range(first, e)]
print("gaps while growing", ["%.3f" % g for g in gaps])
assert len(gaps) >= 4, gaps
assert all(gaps[i + 1] <= gaps[i] + 0.005 for i in range(len(gaps) - 1)), gaps
assert gaps[-1] < gaps[0] / 4, gaps
# nothing above the top level: back to the longest interval (after at most two more checks: the
# kernel's usage threshold, which may have woken the entering check, may notify again as usage
# wobbles across it, and such a wakeup is folded into one more check)
after = [t[i + 1] - t[i] for i in range(e, len(t) - 1)]
print("gaps after entering", ["%.3f" % g for g in after])
assert all(g <= 0.1 or 1.9 <= g <= 2.1 for g in after), after
assert sum(g <= 0.1 for g in after) <= 2, after
PY
	echo "$output"
	[ "$status" -eq 0 ]
	# and the webhook carried a usage just past the threshold (under 10 MiB over it)
	used=$(event_field entered 1 'b["sample"]["usage_bytes"]')
	echo "entered at $used bytes"
	[ "$used" -ge $((128 * MiB)) ] && [ "$used" -lt $((138 * MiB)) ]
}

@test "v1 adaptive: flat usage is checked every 2 s, one wakeup per check" {
	leak_start 20:1 # 20 MiB, then flat
	wait_for 10 grep -q '^hold ' "$T/leak.progress"
	memhook_start --policy "$T/p.json" --cgroup "$CG" --log-level debug
	wait_for 10 checks_at_least 2
	v0=$(awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$MH_PID/status")
	wait_for 15 checks_at_least 6
	v1=$(awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$MH_PID/status")
	checks | awk '{ printf "# %s\n", $0 }' >&3
	checks > "$T/checks"
	run python3 - "$T/checks" <<'PY'
import sys
t = [float(l.split()[0]) for l in open(sys.argv[1])]
gaps = [t[i + 1] - t[i] for i in range(len(t) - 1)]
print("gaps", ["%.3f" % g for g in gaps])
assert len(gaps) >= 5 and all(1.95 <= g <= 2.05 for g in gaps), gaps
PY
	echo "$output"
	[ "$status" -eq 0 ]
	# 4 checks between the two readings: 4 wakeups (one more when a reading races a tick)
	echo "voluntary context switches over 4 checks: $((v1 - v0))"
	[ $((v1 - v0)) -ge 3 ] && [ $((v1 - v0)) -le 5 ]
	! has_event entered 1
}
