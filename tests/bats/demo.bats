#!/usr/bin/env bats
# `make demo` as a new user runs it: it ends by itself within a minute and shows every event.

load helpers

@test "the demo walks up three levels and back, and its receiver prints every webhook" {
	run timeout 60 bash "$BATS_TEST_DIRNAME/../demo/demo.sh" "$MEMHOOK"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"webhook #1: entered      level 1 (elevated)"* ]]
	[[ "$output" == *"webhook #3: entered      level 3 (critical)"* ]]
	[[ "$output" == *"webhook #7: normal       level 0 (normal)"* ]]
	[[ "$output" == *"memory breakdown"* ]]
	[[ "$output" == *"== demo done"* ]]
	# it removed the cgroup it made
	! ls -d /sys/fs/cgroup/memory/memhook-demo-* 2>/dev/null
}
