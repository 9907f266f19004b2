#!/usr/bin/env bats
# `make demo` as a new user runs it: it ends by itself within a minute and shows every event.

bats_require_minimum_version 1.5.0
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
	run ! compgen -G "/sys/fs/cgroup/memory/memhook-demo-*"
}
