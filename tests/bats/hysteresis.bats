#!/usr/bin/env bats
# Hysteresis on a real cgroup v1 memory controller: a level with "for" is entered only once its
# condition has held that long, and one with "clear_for" is not left on a quick drop. Times come
# from the webhook listener (CLOCK_MONOTONIC at receipt) and memhook's debug line per check.

load helpers

MiB=1048576

setup() {
	common_setup
	needs_cg1 || return 1
	cg1_create "memhook-hys-$$-$BATS_TEST_NUMBER" $((64 * MiB))
	listener_start
}
teardown() { common_teardown; }

# mono: CLOCK_MONOTONIC in seconds, as the listener's t_recv and memhook's checks.
mono() { python3 -c 'import time; print(time.monotonic())'; }

# event_t EVENT LEVEL: when the listener received that event (CLOCK_MONOTONIC seconds).
event_t() { event_field "$1" "$2" 'r["t_recv"]'; }

# checks AWK_COND: the monotonic seconds of every check whose "usage U level L" meets the awk
# condition over u (bytes) and l (level), one per line, from memhook's debug log.
checks() {
	sed -nE 's/.*check [0-9]+ at ([0-9]+) us \(monotonic\): usage ([0-9]+) bytes, level ([0-9]+).*/\1 \2 \3/p' \
		"$T/memhook.log" | awk "{ t = \$1 / 1e6; u = \$2; l = \$3 } $1 { printf \"%.6f\\n\", t }"
}
# first_check AWK_COND: the first such check's time.
first_check() { checks "$1" | head -n 1; }
has_check() { [ -n "$(first_check "$1")" ]; }

# py EXPR: prints a Python expression (arithmetic and comparisons over the times above).
py() { python3 -c "print($1)"; }


@test "v1 hysteresis: a level with for 2s is entered only after its condition held 2 s; one without at once" {
	# elevated below 60% free (> 25.6 MiB used), at once; high below 35% free (> 41.6 MiB) for 2s
	cat > "$T/p.json" <<JSON
{"check_interval": "100ms",
 "levels": [{"name": "elevated", "when": {"local_relative": 60}},
            {"name": "high", "when": {"local_relative": 35}, "for": "2s"}],
$(hooks)}
JSON
	hog_start "$CG"
	memhook_start --policy "$T/p.json" --cgroup "$CG" --log-level debug
	wait_for 10 log_has "watching cgroup $CG \(v1\)"

	t0=$(mono)
	hog grow 24
	wait_for 10 has_event entered 1
	t1=$(event_t entered 1)
	[ "$(py "$t1 - $t0 < 1.5")" = True ] # no for: within a few checks

	t0=$(mono)
	hog grow 16
	wait_for 10 has_event entered 2
	t2=$(event_t entered 2)
	echo "entered 2 received $(py "round($t2 - $t0, 3)") s after the growth began"
	[ "$(py "$t2 - $t0 >= 2.0")" = True ]
	[ "$(py "$t2 - $t0 < 4.0")" = True ]

	# memhook's own checks: from the first that saw > 41.6 MiB to the one that entered high
	above=$(first_check 'u > 43620761')
	entered=$(first_check 'l == 2')
	echo "first check above at $above, entered at $entered"
	[ -n "$above" ] && [ -n "$entered" ]
	# >= 2 s by the samples' clock; the log's clock is read just after each sample: 10 ms slack
	[ "$(py "$entered - $above >= 1.99")" = True ]
	[ "$(py "$entered - $above < 2.5")" = True ]
	# every check in between saw it above (no interruption) and stayed at elevated
	[ "$(checks "t >= $above && t < $entered && !(u > 43620761 && l == 1)" | wc -l)" -eq 0 ]
	[ "$(checks "t >= $above && t < $entered" | wc -l)" -ge 15 ]
	run events_in_order
	[ "$output" = "entered:1 entered:2" ]
}

@test "v1 hysteresis: with clear_for 3s a quick drop does not leave; a lasting one leaves after 3 s" {
	# high below 60% free (> 25.6 MiB used), left once not so for 3 s
	cat > "$T/p.json" <<JSON
{"check_interval": "100ms",
 "levels": [{"name": "high", "when": {"local_relative": 60}, "clear_for": "3s"}],
$(hooks)}
JSON
	hog_start "$CG"
	memhook_start --policy "$T/p.json" --cgroup "$CG" --log-level debug
	wait_for 10 log_has "watching cgroup $CG \(v1\)"
	hog grow 30
	wait_for 10 has_event entered 1
	in=$(first_check 'l == 1')

	# a quick drop: memhook sees it, then usage is back before 3 s have passed
	hog free
	wait_for 5 has_check "t > $in && u < 26843545"
	low=$(first_check "t > $in && u < 26843545")
	hog grow 30
	wait_for 5 has_check "t > $low && u > 26843545"
	back=$(first_check "t > $low && u > 26843545")
	echo "below from $low, above again at $back"
	[ "$(py "$back - $low < 2.5")" = True ]
	[ "$(checks "t >= $low && l != 1" | wc -l)" -eq 0 ] # level 1 all along
	! log_has 'left|normal'

	# a lasting drop: left 3 s after memhook first saw it
	hog free
	wait_for 5 has_check "t > $back && u < 26843545"
	low2=$(first_check "t > $back && u < 26843545")
	wait_for 10 has_event normal
	left=$(first_check "t > $back && l == 0")
	echo "below again from $low2, left at $left"
	[ "$(py "$left - $low2 >= 2.99")" = True ]
	[ "$(py "$left - $low2 < 3.5")" = True ]
	[ "$(py "$(event_t left 0) - $low2 >= 2.99")" = True ]
	run events_in_order
	[ "$output" = "entered:1 left:0 normal:0" ]
}
