#!/usr/bin/env bats
# The command line: help, version, exit codes, `check`, the environment, `status`.

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

@test "--help documents commands, options, signals and exit codes" {
	run "$MEMHOOK" --help
	[ "$status" -eq 0 ]
	for word in --cgroup --pid --process --proc-root --policy --log-format --once check dump \
		MEMHOOK_POLICY MEMHOOK_CGROUP SIGHUP SIGUSR1 SIGUSR2 "Exit codes"; do
		[[ "$output" == *"$word"* ]] || { echo "missing: $word"; return 1; }
	done
}

@test "--version prints the version" {
	run "$MEMHOOK" --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^memhook\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "usage errors exit 2 with the reason" {
	run "$MEMHOOK" --no-such-flag
	[ "$status" -eq 2 ]
	run "$MEMHOOK" frobnicate
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown command 'frobnicate'"* ]]
	run "$MEMHOOK" run
	[ "$status" -eq 2 ]
	[[ "$output" == *"no target"* ]]
	run "$MEMHOOK" run --pid abc
	[ "$status" -eq 2 ]
	[[ "$output" == *"--pid: 'abc' is not a process id"* ]]
	run "$MEMHOOK" run --cgroup /x --pid 1
	[ "$status" -eq 2 ]
	[[ "$output" == *"name one target"* ]]
	run "$MEMHOOK" --log-format xml --cgroup /x
	[ "$status" -eq 2 ]
}

@test "check: the default policy is valid and described" {
	run "$MEMHOOK" check
	[ "$status" -eq 0 ]
	[[ "$output" == *"level 1"* ]]
	[[ "$output" == *"level 3"* ]]
}

@test "check: every shipped policy is valid" {
	for f in "$BATS_TEST_DIRNAME"/../../policies/default.json "$BATS_TEST_DIRNAME"/../../policies/examples/*.json; do
		run "$MEMHOOK" check --policy "$f"
		[ "$status" -eq 0 ] || { echo "$f: $output"; return 1; }
		[[ "$output" == *"handler"* || "$f" == *default.json ]]
	done
}

@test "check: the issue's example prints one line per level and handler" {
	cat > "$T/p.json" <<'JSON'
{
  "check_interval": "1s", "maximum_available": "auto", "log_transitions": true,
  "levels": [
    {"name": "elevated", "when": {"local_relative": 30}},
    {"name": "high",     "when": {"any": [{"local_relative": 15}, {"global_absolute": "256Mi"}]}},
    {"name": "critical", "when": {"all": [{"local_absolute": "32Mi"},
                                           {"not": {"custom": {"command": ["/usr/bin/test", "-e", "/tmp/busy"], "timeout": "200ms"}}}]}}
  ],
  "handlers": [
    {"on": "entered",   "level": 1, "webhook": {"url": "http://127.0.0.1:8080/memory"}},
    {"on": "entered",   "level": 2, "signal": "SIGUSR1"},
    {"on": "remaining", "level": 3, "every": "10s", "reclaim": "5%"},
    {"on": "left",      "level": 2, "webhook": {"url": "http://127.0.0.1:8080/memory"}},
    {"on": "normal",    "exec": ["/usr/local/bin/notify", "normal"]}
  ]
}
JSON
	run "$MEMHOOK" check --policy "$T/p.json"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^level ' <<<"$output")" -eq 3 ]
	[ "$(grep -c '^handler ' <<<"$output")" -eq 5 ]
}

@test "check: errors name the place and the reason, exit 2" {
	bad() { # JSON, expected message fragment
		printf '%s' "$1" > "$T/bad.json"
		run "$MEMHOOK" check --policy "$T/bad.json"
		[ "$status" -eq 2 ] || { echo "exit $status for $1"; return 1; }
		[[ "$output" == *"$2"* ]] || { echo "for $1: got: $output"; return 1; }
	}
	bad '{"levels":[{"name":"a","when":{"local_relative":30}},{"name":"b","when":{"local_relative":20}},{"name":"c","when":{"any":[{"local_relative":101}]}}]}' \
		'levels[2].when.any[0].local_relative: must be between 0 and 100'
	bad '{"levels":[{"name":"a","when":{"local_relativ":30}}]}' 'levels[0].when'
	bad '{"levels":[]}' 'levels'
	bad '{"levels":[{"name":"a","when":{"local_relative":30}}],"handlers":[{"on":"entered","level":2,"signal":"SIGUSR1"}]}' 'handlers[0]'
	bad '{"levels":[{"name":"a","when":{"local_relative":30}}],"handlers":[{"on":"entered","level":1,"signal":"SIGFOO"}]}' 'handlers[0].signal'
	bad '{"levels":[{"name":"a","when":{"local_absolute":"12Qi"}}]}' 'levels[0].when.local_absolute'
	bad '{"check_interval":"fast","levels":[{"name":"a","when":{"local_relative":30}}]}' 'check_interval'
	bad '{"levels":[{"name":"a","when":{"local_relative":30}}],"handlers":[{"on":"normal","exec":["notify"]}]}' 'handlers[0].exec'
	bad '{"levels":[{"name":"a","when":{"local_relative":30}}],"handlerz":[]}' 'handlerz'
	bad '{"levels": [' 'JSON'
}

@test "check: reclaim against a v1 target is an error once the target is known" {
	mkdir -p "$T/v1"
	echo 1000 > "$T/v1/memory.usage_in_bytes"
	echo 100000 > "$T/v1/memory.limit_in_bytes"
	cat > "$T/p.json" <<'JSON'
{"levels":[{"name":"a","when":{"local_relative":30}}],
 "handlers":[{"on":"remaining","level":1,"reclaim":"5%"}]}
JSON
	run "$MEMHOOK" check --policy "$T/p.json"
	[ "$status" -eq 0 ]
	run "$MEMHOOK" check --policy "$T/p.json" --cgroup "$T/v1"
	[ "$status" -eq 2 ]
	[[ "$output" == *"handlers[0].reclaim"* ]]
	mkdir -p "$T/proc" && printf 'MemTotal: 1000 kB\nMemAvailable: 500 kB\n' > "$T/proc/meminfo"
	run timeout 10 "$MEMHOOK" run --policy "$T/p.json" --cgroup "$T/v1" --proc-root "$T/proc"
	[ "$status" -eq 2 ]
	[[ "$output" == *"handlers[0].reclaim: needs cgroup v2"* ]]
}

@test "a missing policy file is a usage error naming the file" {
	run "$MEMHOOK" check --policy "$T/nope.json"
	[ "$status" -eq 2 ]
	[[ "$output" == *"$T/nope.json"* ]]
}

@test "options come from the environment; flags win" {
	fixture_v2 "$T/a" 10 100
	fixture_v2 "$T/b" 90 100
	MEMHOOK_CGROUP="$T/a" run "$MEMHOOK" run --once
	[ "$status" -eq 0 ]
	[[ "$output" == *"\"cgroup\":	\"$T/a\""* ]]
	MEMHOOK_CGROUP="$T/a" run "$MEMHOOK" run --once --cgroup "$T/b"
	[ "$status" -eq 0 ]
	[[ "$output" == *"\"cgroup\":	\"$T/b\""* ]]
	printf '{"levels":[{"name":"x","when":{"local_relative":50}}]}' > "$T/p.json"
	MEMHOOK_POLICY="$T/p.json" run "$MEMHOOK" run --once --cgroup "$T/b"
	[[ "$output" == *'"level_name":	"x"'* ]]
	MEMHOOK_LOG_FORMAT=xml run "$MEMHOOK" run --once --cgroup "$T/b"
	[ "$status" -eq 2 ]
}

@test "status: fresh file exits 0, stale or missing exits 1" {
	run "$MEMHOOK" status --status-file "$T/status"
	[ "$status" -eq 1 ]
	echo '{}' > "$T/status"
	run "$MEMHOOK" status --status-file "$T/status" --max-age 30s
	[ "$status" -eq 0 ]
	touch -d '-2 minutes' "$T/status"
	run "$MEMHOOK" status --status-file "$T/status" --max-age 30s
	[ "$status" -eq 1 ]
	[[ "$output" == *"old"* ]]
}

@test "check: at most 32 levels" {
	python3 -c 'import json; print(json.dumps({"levels": [{"name": "l%d" % i, "when": {"local_relative": 50}} for i in range(33)]}))' > "$T/many.json"
	run "$MEMHOOK" check --policy "$T/many.json"
	[ "$status" -eq 2 ]
	[[ "$output" == *"levels: has 33 levels; at most 32"* ]]
}
