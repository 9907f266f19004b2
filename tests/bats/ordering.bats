#!/usr/bin/env bats
# Order of exec, signal and reclaim against the real binary: they run one at a time in event order,
# under CPU load too; a detached exec holds nothing back; --dry-run does nothing and says what it
# would have done.

bats_require_minimum_version 1.5.0
load helpers

MiB=1048576

setup() {
	common_setup
	fixture_v2 "$T/cg" $((10 * MiB)) $((100 * MiB)) # 90% free: normal
	fixture_proc "$T/proc" 8000000 4000000
}
teardown() { common_teardown; }

# levels FILE HANDLERS_JSON: three levels (free below 50%, 30%, 10%), 100 ms checks.
levels() {
	cat > "$1" <<JSON
{"check_interval": "100ms",
 "levels": [{"name": "one", "when": {"local_relative": 50}},
            {"name": "two", "when": {"local_relative": 30}},
            {"name": "three", "when": {"local_relative": 10}}],
 "handlers": $2}
JSON
}

# appender NAME SECONDS: an exec action that waits SECONDS, then appends NAME to $T/order.
appender() {
	printf '{"command": ["/bin/sh", "-c", "sleep %s; echo %s >> %s/order"], "timeout": "5s"}' "$2" "$1" "$T"
}

# busy_cores: a busy loop on every core (killed in teardown).
busy_cores() {
	local i
	for i in $(seq "$(nproc)"); do
		bash -c 'while :; do :; done' &
		PIDS+=($!)
	done
}

order_lines_at_least() { [ -f "$T/order" ] && [ "$(wc -l < "$T/order")" -ge "$1" ]; }
order() { tr '\n' ' ' < "$T/order" | sed 's/ $//'; }

@test "exec handlers under CPU load run in event order, up and down, round after round" {
	# The first of each run sleeps longest: started at once, they would finish last first.
	levels "$T/p.json" "[
	  {\"on\": \"entered\", \"level\": 1, \"exec\": $(appender e1 0.3)},
	  {\"on\": \"entered\", \"level\": 2, \"exec\": $(appender e2 0.15)},
	  {\"on\": \"entered\", \"level\": 3, \"exec\": $(appender e3 0)},
	  {\"on\": \"left\", \"level\": 3, \"exec\": $(appender l3 0.3)},
	  {\"on\": \"left\", \"level\": 2, \"exec\": $(appender l2 0.2)},
	  {\"on\": \"left\", \"level\": 1, \"exec\": $(appender l1 0.1)},
	  {\"on\": \"normal\", \"exec\": $(appender n 0)}]"
	busy_cores
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	wait_for 5 log_has 'checking every'
	local round want=""
	for round in 1 2 3; do
		set_usage "$T/cg" $((95 * MiB)) # 5% free: entered 1, 2, 3 in one check
		wait_for 20 order_lines_at_least $((round * 7 - 4))
		set_usage "$T/cg" $((10 * MiB)) # back: left 3, 2, 1, normal
		wait_for 20 order_lines_at_least $((round * 7))
		want="$want${want:+ }e1 e2 e3 l3 l2 l1 n"
		[ "$(order)" = "$want" ] || { echo "round $round: got '$(order)', want '$want'"; false; }
	done
}

@test "a detached slow exec does not delay the next one" {
	levels "$T/p.json" "[
	  {\"on\": \"entered\", \"level\": 1,
	   \"exec\": {\"command\": [\"/bin/sh\", \"-c\", \"sleep 3; echo slow >> $T/order\"], \"detach\": true}},
	  {\"on\": \"entered\", \"level\": 1, \"exec\": $(appender fast 0)}]"
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	wait_for 5 log_has 'checking every'
	set_usage "$T/cg" $((60 * MiB))
	wait_for 2 order_lines_at_least 1 # long before the slow one's 3 s
	[ "$(order)" = "fast" ]
	wait_for 10 order_lines_at_least 2
	[ "$(order)" = "fast slow" ]
	run "$MEMHOOK" check --policy "$T/p.json"
	[[ "$output" == *"(timeout 10s, detached)"* ]]
}

@test "a signal after an exec arrives after that exec finished; a reclaim keeps its place too" {
	bash -c 'trap "echo got-usr1 >> '"$T"'/order" USR1; echo $$ > '"$T"'/child.pid; while :; do sleep 0.05; done' &
	PIDS+=($!)
	wait_for 5 test -s "$T/child.pid"
	cat "$T/child.pid" > "$T/cg/cgroup.procs"
	levels "$T/p.json" "[
	  {\"on\": \"entered\", \"level\": 1, \"exec\": $(appender exec-done 0.5)},
	  {\"on\": \"entered\", \"level\": 1, \"signal\": \"USR1\"},
	  {\"on\": \"entered\", \"level\": 1, \"reclaim\": \"1Mi\"},
	  {\"on\": \"entered\", \"level\": 1, \"exec\": $(appender after-reclaim 0)}]"
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	wait_for 5 log_has 'checking every'
	set_usage "$T/cg" $((60 * MiB))
	wait_for 10 order_lines_at_least 3
	# the signal was sent after the exec ended (the child's trap may land after the next exec)
	[ "$(head -1 "$T/order")" = exec-done ]
	[ "$(sort "$T/order" | tr '\n' ' ')" = "after-reclaim exec-done got-usr1 " ]
	[ "$(cat "$T/cg/memory.reclaim")" = 1048576 ]
	# the log: exec, then the signal, then the reclaim, then the last exec
	run grep -nE 'handlers\[0\]: exec exited 0|handlers\[1\]: sent SIGUSR1|handlers\[2\]: reclaimed|handlers\[3\]: exec exited 0' "$T/memhook.log"
	[ "$(echo "$output" | sed -E 's/^[0-9]+:.*(handlers\[[0-9]\]).*/\1/' | tr '\n' ' ')" = "handlers[0] handlers[1] handlers[2] handlers[3] " ]
}

# dry_run_policy: every action kind on entered 1, the webhook to $URL.
dry_run_policy() {
	levels "$T/p.json" "[
	  {\"on\": \"entered\", \"level\": 1, \"webhook\": {\"url\": \"$URL\"}},
	  {\"on\": \"entered\", \"level\": 1, \"signal\": {\"signal\": \"USR1\", \"to\": \"cgroup\"}},
	  {\"on\": \"entered\", \"level\": 1, \"reclaim\": \"5%\"},
	  {\"on\": \"entered\", \"level\": 1, \"exec\": [\"/usr/bin/touch\", \"$T/marker\"]}]"
}

trapping_child() {
	bash -c 'trap "echo got-usr1 >> '"$T"'/trapped" USR1; echo $$ > '"$T"'/child.pid; while :; do sleep 0.05; done' &
	PIDS+=($!)
	wait_for 5 test -s "$T/child.pid"
	cat "$T/child.pid" > "$T/cg/cgroup.procs"
}

@test "--dry-run sends, signals, reclaims and runs nothing, and logs all of it" {
	listener_start
	trapping_child
	dry_run_policy
	memhook_start --dry-run --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	wait_for 5 log_has 'dry run: every action is logged as what it would do'
	set_usage "$T/cg" $((60 * MiB))
	wait_for 5 log_has 'handlers\[3\]: would run /usr/bin/touch '"$T"'/marker \(timeout 10s\)'
	log_has "handlers\[0\]: would send webhook to http://127.0.0.1:[0-9]+/memory \(seq 1, entered level 1\)"
	log_has "handlers\[1\]: would signal SIGUSR1 to every process of $T/cg"
	log_has "handlers\[2\]: would reclaim 3(\.0)?Mi from $T/cg"
	# a check later: still nothing done
	set_usage "$T/cg" $((10 * MiB))
	wait_for 5 log_has 'memory is back to normal'
	memhook_stop
	[ "$MH_RC" -eq 0 ]
	[ "$(requests_count)" -eq 0 ]
	[ ! -e "$T/trapped" ]
	[ ! -s "$T/cg/memory.reclaim" ]
	[ ! -e "$T/marker" ]
	run log_has 'sent SIG|reclaimed|exec exited|queued'
	[ "$status" -ne 0 ]
}

@test "MEMHOOK_DRY_RUN=1 is --dry-run; MEMHOOK_DRY_RUN=0 acts" {
	listener_start
	dry_run_policy
	MEMHOOK_DRY_RUN=1 memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	wait_for 5 log_has 'dry run: every action'
	set_usage "$T/cg" $((60 * MiB))
	wait_for 5 log_has 'would run /usr/bin/touch'
	memhook_stop
	[ ! -e "$T/marker" ]
	[ "$(requests_count)" -eq 0 ]

	set_usage "$T/cg" $((10 * MiB))
	MEMHOOK_DRY_RUN=0 memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	wait_for 5 log_has 'checking every'
	set_usage "$T/cg" $((60 * MiB))
	wait_for 5 test -e "$T/marker"
	wait_for 5 requests_at_least 1
	run log_has 'dry run'
	[ "$status" -ne 0 ]
}

@test "--help shows --dry-run" {
	run "$MEMHOOK" --help
	[[ "$output" == *"--dry-run"*"MEMHOOK_DRY_RUN"* ]]
}
