#!/usr/bin/env bats
# memhook against a real cgroup v2 memory controller, inside the test VM (tests/vm/run.sh): real
# cgroups, a real hog growing on command, a webhook listener on loopback, zram swap. As root.
# Webhooks are read with hook_find/hook_expect (fields into HOOK[...]); see helpers.bash.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	[ -e "$HOOK_DIR/.ready" ] # the listener guest.sh started
}

teardown() {
	# a second memhook (the usage test), stopped like the first
	[ -z "${MH2_PID:-}" ] || { MH_PID=$MH2_PID mh_stop; MH2_PID=; }
	vm_teardown
}

@test "local_absolute: levels follow memory.current against memory.max" {
	cg_with_hog abs 8
	P=$(policy abs '{"check_interval": "250ms",
		"levels": [{"name": "low", "when": {"local_absolute": "32Mi"}}],
		"handlers": [{"on": "entered", "webhook": '"$(webhook abs)"'},
		             {"on": "left", "webhook": '"$(webhook abs)"'}]}')

	# run --once reads the real files: 8 MiB used of 64 MiB is level 0
	run --separate-stderr "$MEMHOOK" run --once --policy "$P" --cgroup "$CG"
	[ "$status" -eq 0 ]
	json_load "$output"
	eq level "${HOOK[level]}" 0
	eq limit "${HOOK[sample.limit_bytes]}" $((64 * MiB))
	[ "${HOOK[sample.usage_bytes]}" -ge $((8 * MiB)) ] && [ "${HOOK[sample.usage_bytes]}" -lt $((12 * MiB)) ]

	mh_start --policy "$P" --cgroup "$CG"
	wait_for 20 mh_logged "watching"
	hog_do abs "grow 32" # 40 MiB: less than 32 MiB free
	wait_for 20 hook_find abs event=entered
	hook_expect abs event=entered level=1 level_name=low previous_level=0 target.cgroup="$CG" \
		sample.limit_bytes=$((64 * MiB)) _json=1
	# the first check past the threshold: usage between 32 MiB and the hog's 40 MiB (+ slack)
	u=${HOOK[sample.usage_bytes]}
	[ "$u" -gt $((32 * MiB)) ] && [ "$u" -lt $((44 * MiB)) ]
	eq local_free_bytes "${HOOK[sample.local_free_bytes]}" $((64 * MiB - u))
	mh_logged 'level 0 -> 1 \(low\): entered; usage [34][0-9.]*Mi of 64(\.0)?Mi, [0-9.]+% free'

	hog_do abs "shrink 32"
	wait_for 20 hook_find abs event=left
	hook_expect abs event=left previous_level=1 level=0
	mh_running
}

@test "local_relative: elevated then high, then back to normal, as the hog grows and shrinks" {
	cg_with_hog rel 8
	P=$(policy rel '{"check_interval": "250ms",
		"levels": [{"name": "elevated", "when": {"local_relative": 50}},
		           {"name": "high", "when": {"local_relative": 25}}],
		"handlers": [{"on": "entered", "webhook": '"$(webhook rel)"'},
		             {"on": "normal", "webhook": '"$(webhook rel)"'}]}')
	mh_start --policy "$P" --cgroup "$CG"
	wait_for 20 mh_logged "watching"

	hog_do rel "grow 32" # 40 MiB of 64: 37.5% free
	wait_for 20 hook_find rel event=entered level=1
	hook_expect rel event=entered level=1 level_name=elevated previous_level=0
	refute hook_find rel level=2

	hog_do rel "grow 12" # 52 MiB of 64: 18.75% free
	wait_for 20 hook_find rel event=entered level=2
	hook_expect rel event=entered level=2 level_name=high previous_level=1 previous_level_name=elevated
	p=${HOOK[sample.local_free_percent]}
	[ "${p%%.*}" -lt 25 ] && [ "${p%%.*}" -ge 12 ]
	mh_logged 'level 1 -> 2 \(high\): entered'

	hog_do rel "shrink 44"
	wait_for 20 hook_find rel event=normal
	hook_expect rel event=normal level=0
	# seq only grows: entered 1, entered 2, normal
	hook_count rel
	eq webhooks "$HOOK_N" 3
	local prev=0 f seq
	for f in "$HOOK_DIR"/rel/*.flat; do
		hook_load "$f"
		seq=${HOOK[seq]}
		[ "$seq" -gt "$prev" ]
		prev=$seq
	done
}

@test "memory.max = max: the parent's limit is the effective maximum" {
	cg_new anc 64M
	echo +memory >"$CG/cgroup.subtree_control"
	cg_with_hog anc/leaf 8 max
	[ "$(<"$CG/memory.max")" = max ]
	P=$(policy anc '{"check_interval": "250ms",
		"levels": [{"name": "low", "when": {"local_absolute": "32Mi"}}],
		"handlers": [{"on": "entered", "webhook": '"$(webhook anc)"'}]}')

	run --separate-stderr "$MEMHOOK" run --once --policy "$P" --cgroup "$CG"
	[ "$status" -eq 0 ]
	json_load "$output"
	eq limit "${HOOK[sample.limit_bytes]}" $((64 * MiB))
	eq level "${HOOK[level]}" 0

	mh_start --policy "$P" --cgroup "$CG"
	wait_for 20 mh_logged "watching"
	hog_do anc-leaf "grow 32"
	wait_for 20 hook_find anc event=entered
	hook_expect anc event=entered sample.limit_bytes=$((64 * MiB)) target.cgroup="$CG"
	[ "${HOOK[sample.usage_bytes]}" -gt $((32 * MiB)) ]
}

@test "signal action: SIGUSR1 reaches the target's main process" {
	cg_new sig 64M
	echo 0 >"$CG/memory.swap.max"
	got=$BATS_TEST_TMPDIR/usr1
	mkfifo "$BATS_TEST_TMPDIR/idle"
	# The main process: joins the cgroup first (lowest pid), traps SIGUSR1, forks nothing.
	bash -c 'echo $$ >"$1/cgroup.procs"; trap "echo usr1 >>$2" USR1; echo ready >"$2.ready"
		while :; do read -r -t 1 _ <>"$3"; done' main "$CG" "$got" "$BATS_TEST_TMPDIR/idle" 3>&- &
	MAIN=$!
	disown "$MAIN"
	wait_for 10 test -e "$got.ready"
	hog_start sig "$CG"
	read -r first <"$CG/cgroup.procs"
	eq "first pid in cgroup.procs" "$first" "$MAIN"
	P=$(policy sig '{"check_interval": "250ms",
		"levels": [{"name": "low", "when": {"local_absolute": "32Mi"}}],
		"handlers": [{"on": "entered", "level": 1, "signal": "SIGUSR1"}]}')
	mh_start --policy "$P" --cgroup "$CG"
	wait_for 20 mh_logged "watching"
	[ ! -e "$got" ]

	hog_do sig "grow 40"
	wait_for 20 test -s "$got"
	eq trapped "$(<"$got")" usr1
	mh_logged 'handlers\[0\]: sent SIGUSR1 to 1 process'
	kill -0 "$HOG_PID" # the hog, not the main process, was left alone
}

@test "exec action: the command runs with MEMHOOK_EVENT and the sample in its environment" {
	cg_with_hog exec 0
	out=$BATS_TEST_TMPDIR/exec.out
	P=$(policy exec '{"check_interval": "250ms",
		"levels": [{"name": "low", "when": {"local_absolute": "32Mi"}}],
		"handlers": [{"on": "entered", "level": 1, "exec": ["/bin/sh", "-c",
			"echo \"$MEMHOOK_EVENT $MEMHOOK_LEVEL $MEMHOOK_LEVEL_NAME $MEMHOOK_CGROUP $MEMHOOK_LIMIT_BYTES\" >>'"$out"'"]}]}')
	mh_start --policy "$P" --cgroup "$CG"
	wait_for 20 mh_logged "watching"
	[ ! -e "$out" ]
	hog_do exec "grow 40"
	wait_for 20 test -s "$out"
	eq "exec output" "$(<"$out")" "entered 1 low $CG $((64 * MiB))"
	wait_for 10 mh_logged 'exec exited 0'
}

@test "webhook: JSON body with the documented fields, HMAC-SHA256 signature" {
	cg_with_hog hook 8
	P=$(policy hook '{"check_interval": "250ms",
		"levels": [{"name": "low", "when": {"local_absolute": "60Mi"}}],
		"handlers": [{"on": "entered", "webhook": {"url": "'"$HOOK_URL"'/hook", "secret_env": "MH_TEST_SECRET"}}]}')
	MH_TEST_SECRET=s3cr3t-in-the-vm mh_start --policy "$P" --cgroup "$CG"
	wait_for 20 hook_find hook event=entered
	hook_expect hook event=entered hostname=memhook-vm _json=1 _ctype=application/json
	[ "${HOOK[seq]}" -ge 1 ]
	[[ ${HOOK[timestamp]} =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$ ]]
	[ -n "${HOOK[memhook_version]}" ]
	[ "${HOOK[sample.host_total_bytes]}" -gt $((512 * MiB)) ] && [ "${HOOK[sample.host_available_bytes]}" -gt 0 ]
	# the signature is the HMAC-SHA256 of the raw body with the secret
	want=$(openssl dgst -sha256 -hmac s3cr3t-in-the-vm -r <"$HOOK_FILE.body")
	eq signature "${HOOK[_sig]}" "sha256=${want%% *}"
}

@test "target_lost when the cgroup is removed, target_found when it is back" {
	cg_with_hog lost 4
	P=$(policy lost '{"check_interval": "250ms",
		"levels": [{"name": "low", "when": {"local_absolute": "1Mi"}}],
		"handlers": [{"on": "target_lost", "webhook": '"$(webhook lost)"'},
		             {"on": "target_found", "webhook": '"$(webhook lost)"'}]}')
	mh_start --policy "$P" --cgroup "$CG"
	wait_for 20 mh_logged "watching"
	echo 1 >"$CG/cgroup.kill"
	wait_for 10 proc_gone "$HOG_PID"
	wait_for 10 cg_empty "$CG"
	rmdir "$CG"
	wait_for 20 hook_find lost event=target_lost
	hook_expect lost event=target_lost target.cgroup="$CG"
	mh_logged 'target lost: '
	mh_running

	mkdir "$CG"
	wait_for 20 hook_find lost event=target_found
	hook_expect lost event=target_found target.cgroup="$CG"
	mh_logged 'target found: '
	mh_running
}

@test "--pid: the target is the cgroup named in /proc/PID/cgroup" {
	cg_with_hog pid 8
	eq "/proc/PID/cgroup" "$(<"/proc/$HOG_PID/cgroup")" "0::/memhook-pid"
	P=$(policy pid '{"check_interval": "250ms",
		"levels": [{"name": "low", "when": {"local_absolute": "32Mi"}}],
		"handlers": [{"on": "entered", "webhook": '"$(webhook pid)"'}]}')

	run --separate-stderr "$MEMHOOK" run --once --policy "$P" --pid "$HOG_PID"
	[ "$status" -eq 0 ]
	json_load "$output"
	eq limit "${HOOK[sample.limit_bytes]}" $((64 * MiB))

	mh_start --policy "$P" --pid "$HOG_PID"
	wait_for 20 mh_logged "watching"
	hog_do pid "grow 32"
	wait_for 20 hook_find pid event=entered
	hook_expect pid event=entered target.pid="$HOG_PID" sample.limit_bytes=$((64 * MiB))
	cg=${HOOK[target.cgroup]%/}
	[[ $cg == */memhook-pid ]] || { echo "target.cgroup: $cg" >&2; false; }
}

@test "oom_kill: the OOM kill of the target becomes an oom_kill webhook and an events level" {
	cg_with_hog oom 8 32M
	P=$(policy oom '{"check_interval": "250ms",
		"levels": [{"name": "oomed", "when": {"events": "oom_kill"}}],
		"handlers": [{"on": "oom_kill", "webhook": '"$(webhook oom)"'},
		             {"on": "entered", "webhook": '"$(webhook oom)"'}]}')
	mh_start --policy "$P" --cgroup "$CG"
	wait_for 20 mh_logged "watching"
	hog_send oom "grow 64"
	wait_for 30 proc_gone "$HOG_PID"
	[ "$(cg_event "$CG" oom_kill)" -ge 1 ]
	wait_for 20 hook_find oom event=oom_kill
	hook_expect oom event=oom_kill target.cgroup="$CG"
	wait_for 10 hook_find oom event=entered level_name=oomed
	mh_logged 'OOM kill in the target: oom_kill \+1'
	mh_running
}

@test "limit_changed: memory.max changed under a running memhook reaches a webhook and an exec" {
	cg_with_hog lim 8
	local out=$BATS_TEST_TMPDIR/exec.out
	printf '#!/bin/sh\necho "$MEMHOOK_EVENT $MEMHOOK_OLD_LIMIT_BYTES $MEMHOOK_NEW_LIMIT_BYTES" >> %s\n' "$out" \
		>"$BATS_TEST_TMPDIR/hook.sh"
	chmod +x "$BATS_TEST_TMPDIR/hook.sh"
	P=$(policy lim '{"check_interval": "250ms",
		"levels": [{"name": "low", "when": {"local_absolute": "8Mi"}}],
		"handlers": [{"on": "limit_changed", "webhook": '"$(webhook lim)"'},
		             {"on": "limit_changed", "exec": ["'"$BATS_TEST_TMPDIR/hook.sh"'"]}]}')
	mh_start --policy "$P" --cgroup "$CG"
	wait_for 20 mh_logged "watching"
	echo 128M >"$CG/memory.max"
	wait_for 20 hook_find lim event=limit_changed
	hook_expect lim event=limit_changed old_limit_bytes=$((64 * MiB)) new_limit_bytes=$((128 * MiB)) \
		sample.limit_bytes=$((128 * MiB)) level=0 target.cgroup="$CG"
	wait_for 20 test -s "$out"
	local line
	read -r line <"$out"
	eq exec "$line" "limit_changed $((64 * MiB)) $((128 * MiB))"
	mh_logged 'limit changed: 64Mi -> 128Mi'
	hook_count lim
	eq webhooks "$HOOK_N" 1
}


@test "memory_high: an allocating hog is throttled; memory.high returns to max on normal and on SIGTERM" {
	cg_with_hog high 8
	high_is max
	local flag=$BATS_TEST_TMPDIR/tight want=$((64 * MiB * 30 / 100 / 4096 * 4096))
	# the level follows a flag file, so that leaving it does not depend on the throttled hog
	P=$(policy high '{"check_interval": "250ms",
		"levels": [{"name": "tight", "when": {"custom": {"command": ["/usr/bin/test", "-e", "'"$flag"'"], "timeout": "5s"}}}],
		"handlers": [{"on": "entered", "level": 1, "memory_high": "30%"},
		             {"on": "entered", "webhook": '"$(webhook high)"'},
		             {"on": "normal", "webhook": '"$(webhook high)"'}]}')
	# the pace of 8 MiB unthrottled (8 -> 16 MiB)
	local t0=${EPOCHREALTIME/./}
	hog_do high "grow 8"
	local base_usec=$((${EPOCHREALTIME/./} - t0))

	mh_start --policy "$P" --cgroup "$CG"
	wait_for 20 mh_logged "watching"
	touch "$flag"
	wait_for 20 hook_find high event=entered
	wait_for 20 high_is "$want"
	wait_for 20 mh_logged 'handlers\[0\]: memory.high set to [0-9.]+Mi \(it was max; restored on normal\)'

	# 12 MiB more, past memory.high (16 -> 28 MiB over 19.2 MiB), watched for a fixed 5 s
	local mib done high0 c0 c1 high1
	read -r mib done <"/tmp/hog-high.st"
	high0=$(cg_event "$CG" high)
	c0=$(cg_current "$CG")
	hog_send high "grow 12"
	refute wait_for 5 hog_done_at_least high $((done + 1))
	c1=$(cg_current "$CG")
	high1=$(cg_event "$CG" high)
	echo "unthrottled: 8 MiB in ${base_usec} us; throttled: +$(((c1 - c0) / 1024)) KiB in 5 s; memory.events high $high0 -> $high1" >&3
	[ "$high1" -gt "$high0" ]
	# the allocation rate fell to less than a quarter: (c1 - c0) / 5 s < 8 MiB / base / 4
	[ $(((c1 - c0) * 4 * base_usec)) -lt $((8 * MiB * 5000000)) ]

	# normal: the old value is back, and the hog finishes
	rm -f "$flag"
	wait_for 20 hook_find high event=normal
	wait_for 20 high_is max
	wait_for 20 mh_logged 'normal: memory.high restored to max \(memhook had set [0-9.]+Mi\)'
	wait_for 60 hog_done_at_least high $((done + 1))

	# set again, then SIGTERM: restored on the way out
	touch "$flag"
	wait_for 20 high_is "$want"
	mh_stop
	high_is max
	mh_logged "stopping: memory.high of $CG restored to max"
}

# tight_policy NAME FLAG...: one level per flag file (level N while FLAG N exists, so that the
# level does not depend on the cgroup's memory), memory_high 30% on entering any of them.
tight_policy() {
	local name=$1 levels="" f i=0
	shift
	for f in "$@"; do
		i=$((i + 1))
		levels+="${levels:+,}"'{"name": "l'$i'", "when": {"custom": {"command": ["/usr/bin/test", "-e", "'"$f"'"], "timeout": "5s"}}}'
	done
	policy "$name" '{"check_interval": "250ms", "levels": ['"$levels"'],
		"handlers": [{"on": "entered", "memory_high": "30%"}]}'
}

@test "memory_high: a cgroup made again at the target's path is not restored: memhook never wrote it" {
	cg_new again 512M
	local flag=$BATS_TEST_TMPDIR/tight want=$((512 * MiB * 30 / 100 / 4096 * 4096))
	mh_start --policy "$(tight_policy again "$flag")" --cgroup "$CG"
	wait_for 20 mh_logged "watching"
	touch "$flag"
	wait_for 20 high_is "$want"

	# the cgroup memhook throttled goes; another is made at its path, with its owner's memory.high
	rmdir "$CG"
	wait_for 20 mh_logged 'target lost: '
	mkdir "$CG"
	echo $((100 * MiB)) >"$CG/memory.high"
	wait_for 20 mh_logged 'target found: '

	rm -f "$flag"
	wait_for 20 mh_logged "normal: memory.high of $CG not restored: that cgroup was removed"
	high_is $((100 * MiB))
	mh_stop
	high_is $((100 * MiB))
	refute mh_logged 'Operation not supported'
	refute mh_logged 'stopping: memory.high'
}

@test "memory_high: the new cgroup at the target's path, throttled in its turn, gets its own value back" {
	cg_new again2 512M
	local one=$BATS_TEST_TMPDIR/one two=$BATS_TEST_TMPDIR/two want=$((512 * MiB * 30 / 100 / 4096 * 4096))
	mh_start --policy "$(tight_policy again2 "$one" "$two")" --cgroup "$CG"
	wait_for 20 mh_logged "watching"
	touch "$one"
	wait_for 20 high_is "$want"

	rmdir "$CG"
	wait_for 20 mh_logged 'target lost: '
	mkdir "$CG"
	echo 512M >"$CG/memory.max"
	wait_for 20 mh_logged 'target found: '
	high_is max

	# level 2 throttles the new cgroup: its value (max) is the one kept, not the old cgroup's
	touch "$two"
	wait_for 20 high_is "$want"
	wait_for 20 mh_logged "handlers\\[0\\]: the target $CG is another cgroup than the one memhook set memory.high of \\($CG, since removed\\)"
	rm -f "$one" "$two"
	wait_for 20 high_is max
	wait_for 20 mh_logged 'normal: memory.high restored to max'
	mh_stop
	high_is max
	refute mh_logged 'Operation not supported'
}

# usage_status_normal_full: the working_set memhook's status file shows a check of the full page
# cache (more than 180 MiB used) at level 0, its sample on the working set.
usage_status_normal_full() {
	local doc
	doc=$(<"$BATS_TEST_TMPDIR/ws.status") || return 1
	json_load "$doc" || return 1
	[ "${HOOK[level]}" = 0 ] && [ "${HOOK[sample.usage]-}" = working_set ] &&
		[ "${HOOK[sample.usage_bytes]:-0}" -gt $((180 * MiB)) ] &&
		[ "${HOOK[sample.working_set_bytes]:-999999999999}" -lt $((40 * MiB)) ]
}

# stat_of CGROUP KEY: a memory.stat value.
stat_of() {
	local k v
	while read -r k v; do [ "$k" != "$2" ] || { echo "$v"; return 0; }; done <"$1/memory.stat"
	return 1
}

@test "usage: a page-cache reader drives current to high, the working set stays normal; anon drives both" {
	read -r data <"$WORK/vm/cache_file" # 200 MiB, sparse, on the 9p root (cache=loose): page cache
	cg_new usage 256M
	echo 0 >"$CG/memory.swap.max"
	# no tripwire: crossing a memory.high reclaims the cache this test wants to see whole (the two
	# memhooks would also share one memory.high); tripwire.bats tests it
	for u in current working_set; do
		policy "$u" '{"check_interval": "250ms", "usage": "'"$u"'", "tripwire": false,
			"levels": [{"name": "high", "when": {"local_relative": 30}}],
			"handlers": [{"on": "entered", "webhook": '"$(webhook "usage-$u")"'},
			             {"on": "normal", "webhook": '"$(webhook "usage-$u")"'}]}' >/dev/null
	done
	P_CUR=$BATS_TEST_TMPDIR/current.json P_WS=$BATS_TEST_TMPDIR/working_set.json
	"$MEMHOOK" run --policy "$P_CUR" --cgroup "$CG" >"$BATS_TEST_TMPDIR/current.log" 2>&1 3>&- &
	MH2_PID=$!
	mh_start --policy "$P_WS" --cgroup "$CG" --status-file "$BATS_TEST_TMPDIR/ws.status"
	wait_for 20 mh_logged "watching"

	# the reader, inside the cgroup: every page it reads is charged to it, as inactive file pages
	bash -c 'echo $$ >"$1/cgroup.procs" && exec dd if="$2" of=/dev/null bs=1M status=none' reader "$CG" "$data"
	echo "after the read: current $(cg_current "$CG") inactive_file $(stat_of "$CG" inactive_file) anon $(stat_of "$CG" anon)"
	[ "$(cg_current "$CG")" -gt $((180 * MiB)) ]
	[ "$(stat_of "$CG" inactive_file)" -gt $((150 * MiB)) ]

	# current: high
	wait_for 20 hook_find usage-current event=entered
	hook_expect usage-current event=entered level_name=high sample.usage=current
	[ "${HOOK[sample.usage_bytes]}" -gt $((179 * MiB)) ]
	[ "${HOOK[sample.working_set_bytes]-unset}" = unset ] # a current policy does not read memory.stat
	run --separate-stderr "$MEMHOOK" run --once --policy "$P_CUR" --cgroup "$CG"
	json_load "$output"
	eq level "${HOOK[level]}" 1

	# working_set: normal, with all three figures in run --once
	run --separate-stderr "$MEMHOOK" run --once --policy "$P_WS" --cgroup "$CG"
	[ "$status" -eq 0 ]
	json_load "$output"
	eq level "${HOOK[level]}" 0
	eq usage "${HOOK[sample.usage]}" working_set
	eq condition_usage "${HOOK[conditions.0.usage]}" working_set
	[ "${HOOK[sample.usage_bytes]}" -gt $((180 * MiB)) ]
	[ "${HOOK[sample.working_set_bytes]}" -lt $((40 * MiB)) ]
	[ "${HOOK[sample.anon_bytes]}" -lt $((8 * MiB)) ]
	# the daemon checked the full cache and stayed at normal: its status file, and no webhook
	wait_for 20 usage_status_normal_full
	refute hook_find usage-working_set event=entered

	# an anonymous hog (no swap): the cache makes room, and both usages say high
	hog_start usage "$CG"
	hog_do usage "grow 200" 60
	wait_for 30 hook_find usage-working_set event=entered
	hook_expect usage-working_set event=entered level_name=high sample.usage=working_set
	[ "${HOOK[sample.working_set_bytes]}" -gt $((179 * MiB)) ]
	# the first check past 30% free, while the hog still grows: most of the working set is anon
	[ "${HOOK[sample.anon_bytes]}" -gt $((160 * MiB)) ]
	[ "${HOOK[sample.anon_bytes]}" -le "${HOOK[sample.working_set_bytes]}" ]
	eq local_free_bytes "${HOOK[sample.local_free_bytes]}" $((256 * MiB - HOOK[sample.working_set_bytes]))
	mh_logged 'level 0 -> 1 \(high\): entered; working set [0-9.]+Mi of 256Mi'
	run --separate-stderr "$MEMHOOK" run --once --policy "$P_CUR" --cgroup "$CG"
	json_load "$output"
	eq level "${HOOK[level]}" 1

	hog_do usage "shrink 200" 60
	wait_for 30 hook_find usage-working_set event=normal
	mh_running
}

@test "oom_group_kill: memory.oom.group kills the whole cgroup; an events condition and the payload count it" {
	cg_with_hog ogk 8 32M
	echo 1 >"$CG/memory.oom.group"
	P=$(policy ogk '{"check_interval": "250ms",
		"levels": [{"name": "group-killed", "when": {"events": "oom_group_kill"}}],
		"handlers": [{"on": "entered", "webhook": '"$(webhook ogk)"'}]}')
	mh_start --policy "$P" --cgroup "$CG"
	wait_for 20 mh_logged "watching"
	hog_send ogk "grow 64"
	wait_for 30 proc_gone "$HOG_PID"
	[ "$(cg_event "$CG" oom_group_kill)" -ge 1 ]
	wait_for 20 hook_find ogk event=entered level_name=group-killed
	[ "${HOOK[sample.events.oom_group_kill]}" -ge 1 ]
	mh_running
}

@test "adaptive: a hog growing toward a threshold gets denser checks on v2 and is caught within 300 ms" {
	# 128 MiB, one level below 50% free (64 MiB used); checks at most 2 s, at least 10 ms apart
	cg_with_hog adapt 8 128M
	P=$(policy adapt '{"check_interval": "2s",
		"levels": [{"name": "half", "when": {"local_relative": 50}}],
		"handlers": [{"on": "entered", "webhook": '"$(webhook adapt)"'}]}')
	mh_start --policy "$P" --cgroup "$CG" --log-level debug
	wait_for 20 mh_logged "watching"
	wait_for 20 mh_logged "check 3 at" # flat for two intervals
	# about 1 MiB every 0.1 s up to 72 MiB: the threshold some 6 s in
	for ((i = 0; i < 64; i++)); do
		hog_send adapt "grow 1"
		nap
	done
	wait_for 30 hook_find adapt event=entered level=1
	u=${HOOK[sample.usage_bytes]}
	[ "$u" -gt $((64 * MiB)) ] && [ "$u" -lt $((72 * MiB)) ]
	# memhook's own checks: their times, usages and levels from its debug line per check
	run /usr/bin/python3 - "$MH_LOG" $((64 * MiB)) <<'PY'
import re, sys
rows = [(int(m[1]) / 1e6, int(m[2]), int(m[3])) for m in
        re.finditer(r"check \d+ at (\d+) us \(monotonic\): usage (\d+) bytes, level (\d+)", open(sys.argv[1]).read())]
threshold = int(sys.argv[2])
t = [r[0] for r in rows]; u = [r[1] for r in rows]; lv = [r[2] for r in rows]
e = lv.index(1); b = e - 1
print("checks:", " ".join("%.3f/%.1fMi/%d" % (t[i] - t[0], u[i] / 2**20, lv[i]) for i in range(len(t))))
assert u[b] <= threshold < u[e], (u[b], u[e])
print("crossing between checks %.1f ms apart" % ((t[e] - t[b]) * 1e3))
assert t[e] - t[b] <= 0.3
flat = [t[1] - t[0], t[2] - t[1]]  # the first three checks came before the hog grew
assert all(1.8 <= g <= 2.3 for g in flat), flat
gaps = [t[i + 1] - t[i] for i in range(2, e)]
print("gaps while growing", ["%.3f" % g for g in gaps])
assert len(gaps) >= 4 and gaps[-1] < gaps[0] / 4, gaps
PY
	echo "$output"
	printf '# %s\n' "${lines[@]}" >&3
	[ "$status" -eq 0 ]
}
