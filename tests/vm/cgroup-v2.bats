#!/usr/bin/env bats
# memhook against a real cgroup v2 memory controller, inside the test VM (tests/vm/run.sh): real
# cgroups, a real hog growing on command, a webhook listener on loopback, zram swap. As root.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	listener_start
}

teardown_file() {
	listener_stop
}

teardown() {
	[ -n "${BATS_TEST_COMPLETED:-}" ] || dump_state
	mh_stop
	cg_cleanup
	swap_restore
}

# jq assertion on the first body at /NAME matching COND: hook_is NAME COND FILTER EXPECTED
hook_is() {
	local got
	got=$(hook_get "$1" "$2" "$3")
	[ "$got" = "$4" ] || { echo "webhook /$1 [$2] $3: expected '$4', got '$got'" >&2; return 1; }
}

@test "local_absolute: levels follow memory.current against memory.max" {
	cg_new abs 64M
	echo 0 >"$CG/memory.swap.max"
	hog_start abs "$CG"
	hog_do abs "grow 8"
	P=$(policy abs '{"check_interval": "250ms",
		"levels": [{"name": "low", "when": {"local_absolute": "32Mi"}}],
		"handlers": [{"on": "entered", "webhook": '"$(webhook abs)"'},
		             {"on": "left", "webhook": '"$(webhook abs)"'}]}')

	# run --once reads the real files: 8 MiB used of 64 MiB is level 0
	run --separate-stderr "$MEMHOOK" run --once --policy "$P" --cgroup "$CG"
	[ "$status" -eq 0 ]
	[ "$(jq -r .level <<<"$output")" = 0 ]
	[ "$(jq -r .sample.limit_bytes <<<"$output")" = $((64 * MiB)) ]
	usage=$(jq -r .sample.usage_bytes <<<"$output")
	[ "$usage" -ge $((8 * MiB)) ] && [ "$usage" -lt $((12 * MiB)) ]

	mh_start --policy "$P" --cgroup "$CG"
	wait_for 20 mh_logged "watching"
	hog_do abs "grow 32" # 40 MiB: less than 32 MiB free
	wait_for 20 hook_has abs '.event == "entered"'
	hook_is abs '.event == "entered"' .level 1
	hook_is abs '.event == "entered"' .level_name low
	hook_is abs '.event == "entered"' .previous_level 0
	hook_is abs '.event == "entered"' .target.cgroup "$CG"
	hook_is abs '.event == "entered"' .sample.limit_bytes $((64 * MiB))
	# the first check past the threshold: usage somewhere between 32 MiB and the hog's 40 MiB (+ slack)
	hook_has abs '.event == "entered" and .sample.usage_bytes > 32 * 1048576 and .sample.usage_bytes < 44 * 1048576'
	hook_has abs '.event == "entered" and .sample.local_free_bytes == .sample.limit_bytes - .sample.usage_bytes'
	mh_logged 'level 0 -> 1 \(low\): entered; usage [34][0-9.]*Mi of 64(\.0)?Mi, [0-9.]+% free'

	hog_do abs "shrink 32"
	wait_for 20 hook_has abs '.event == "left"'
	hook_is abs '.event == "left"' .previous_level 1
	hook_is abs '.event == "left"' .level 0
	mh_running
}

@test "local_relative: elevated then high, then back to normal, as the hog grows and shrinks" {
	cg_new rel 64M
	echo 0 >"$CG/memory.swap.max"
	hog_start rel "$CG"
	hog_do rel "grow 8"
	P=$(policy rel '{"check_interval": "250ms",
		"levels": [{"name": "elevated", "when": {"local_relative": 50}},
		           {"name": "high", "when": {"local_relative": 25}}],
		"handlers": [{"on": "entered", "webhook": '"$(webhook rel)"'},
		             {"on": "normal", "webhook": '"$(webhook rel)"'}]}')
	mh_start --policy "$P" --cgroup "$CG"
	wait_for 20 mh_logged "watching"

	hog_do rel "grow 32" # 40 MiB of 64: 37.5% free
	wait_for 20 hook_has rel '.event == "entered" and .level == 1'
	hook_is rel '.event == "entered" and .level == 1' .level_name elevated
	refute hook_has rel '.level == 2'

	hog_do rel "grow 12" # 52 MiB of 64: 18.75% free
	wait_for 20 hook_has rel '.event == "entered" and .level == 2'
	hook_is rel '.event == "entered" and .level == 2' .previous_level 1
	hook_is rel '.event == "entered" and .level == 2' .level_name high
	hook_has rel '.level == 2 and .sample.local_free_percent < 25 and .sample.local_free_percent > 12'
	mh_logged 'level 1 -> 2 \(high\): entered'

	hog_do rel "shrink 44"
	wait_for 20 hook_has rel '.event == "normal"'
	hook_is rel '.event == "normal"' .level 0
	# seq only grows
	[ "$(hook_bodies rel | jq -s 'map(.seq) | . == sort and (unique | length) == length')" = true ]
}

@test "memory.max = max: the parent's limit is the effective maximum" {
	cg_new anc 64M
	echo +memory >"$CG/cgroup.subtree_control"
	cg_new anc/leaf
	LEAF=$CG
	[ "$(cat "$LEAF/memory.max")" = max ]
	echo 0 >"$LEAF/memory.swap.max"
	hog_start anc "$LEAF"
	hog_do anc "grow 8"
	P=$(policy anc '{"check_interval": "250ms",
		"levels": [{"name": "low", "when": {"local_absolute": "32Mi"}}],
		"handlers": [{"on": "entered", "webhook": '"$(webhook anc)"'}]}')

	run --separate-stderr "$MEMHOOK" run --once --policy "$P" --cgroup "$LEAF"
	[ "$status" -eq 0 ]
	[ "$(jq -r .sample.limit_bytes <<<"$output")" = $((64 * MiB)) ]
	[ "$(jq -r .level <<<"$output")" = 0 ]

	mh_start --policy "$P" --cgroup "$LEAF"
	wait_for 20 mh_logged "watching"
	hog_do anc "grow 32"
	wait_for 20 hook_has anc '.event == "entered"'
	hook_is anc '.event == "entered"' .sample.limit_bytes $((64 * MiB))
	hook_is anc '.event == "entered"' .target.cgroup "$LEAF"
	hook_has anc '.event == "entered" and .sample.usage_bytes > 32 * 1048576'
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
	wait_for 10 test -e "$got.ready"
	hog_start sig "$CG"
	[ "$(sort -n "$CG/cgroup.procs" | head -1)" = "$MAIN" ]
	P=$(policy sig '{"check_interval": "250ms",
		"levels": [{"name": "low", "when": {"local_absolute": "32Mi"}}],
		"handlers": [{"on": "entered", "level": 1, "signal": "SIGUSR1"}]}')
	mh_start --policy "$P" --cgroup "$CG"
	wait_for 20 mh_logged "watching"
	[ ! -e "$got" ]

	hog_do sig "grow 40"
	wait_for 20 test -s "$got"
	[ "$(cat "$got")" = usr1 ]
	mh_logged 'handlers\[0\]: sent SIGUSR1 to 1 process'
	kill -0 "$HOG_PID" # the hog, not the main process, was left alone
}

@test "exec action: the command runs with MEMHOOK_EVENT and the sample in its environment" {
	cg_new exec 64M
	echo 0 >"$CG/memory.swap.max"
	hog_start exec "$CG"
	out=$BATS_TEST_TMPDIR/exec.out
	P=$(policy exec '{"check_interval": "250ms",
		"levels": [{"name": "low", "when": {"local_absolute": "32Mi"}}],
		"handlers": [{"on": "entered", "level": 1, "exec": ["/bin/sh", "-c",
			"echo \"$MEMHOOK_EVENT $MEMHOOK_LEVEL $MEMHOOK_LEVEL_NAME $MEMHOOK_CGROUP $MEMHOOK_LIMIT_BYTES\" >>'"$out"'"]}]}')
	mh_start --policy "$P" --cgroup "$CG"
	wait_for 20 mh_logged "watching"
	hog_do exec "grow 40"
	wait_for 20 test -s "$out"
	[ "$(cat "$out")" = "entered 1 low $CG $((64 * MiB))" ]
	wait_for 10 mh_logged 'exec exited 0'
}

@test "webhook: JSON body with the documented fields, HMAC-SHA256 signature" {
	cg_new hook 64M
	echo 0 >"$CG/memory.swap.max"
	hog_start hook "$CG"
	hog_do hook "grow 8"
	P=$(policy hook '{"check_interval": "250ms",
		"levels": [{"name": "low", "when": {"local_absolute": "60Mi"}}],
		"handlers": [{"on": "entered", "webhook": {"url": "'"$HOOK_URL"'/hook", "secret_env": "MH_TEST_SECRET",
			"headers": {"X-Test": "1"}}}]}')
	MH_TEST_SECRET=s3cr3t-in-the-vm mh_start --policy "$P" --cgroup "$CG"
	wait_for 20 hook_has hook '.event == "entered"'
	hook_has hook '.seq >= 1 and (.timestamp | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{3}Z$"))'
	hook_has hook '.hostname == "memhook-vm" and (.memhook_version | length > 0)'
	hook_has hook '(.sample.host_total_bytes > 512 * 1048576) and (.sample.host_available_bytes > 0)'
	hook_has hook '(.previous_level_name == null) or (.previous_level_name == "normal")'
	[ "$(jq -r .ctype "$HOOK_DIR/hook.jsonl" | head -1)" = application/json ]
	# the signature is the HMAC of the raw body with the secret
	run /usr/bin/python3 -c '
import hmac, hashlib, json, sys
rec = json.loads(open(sys.argv[1]).readline())
want = "sha256=" + hmac.new(b"s3cr3t-in-the-vm", rec["body"].encode(), hashlib.sha256).hexdigest()
print(rec["sig"], want)
sys.exit(rec["sig"] != want)' "$HOOK_DIR/hook.jsonl"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "reclaim with zram swap: memory.reclaim lowers usage, logged with how far it fell" {
	grep -q zram0 /proc/swaps
	cg_new rec 64M
	hog_start rec "$CG"
	hog_do rec "grow 40"
	before=$(cg_current "$CG")
	P=$(policy rec '{"check_interval": "250ms",
		"levels": [{"name": "full", "when": {"local_absolute": "32Mi"}}],
		"handlers": [{"on": "entered", "level": 1, "reclaim": "16Mi"}]}')
	mh_start --policy "$P" --cgroup "$CG"
	wait_for 30 mh_logged 'handlers\[0\]: reclaim'
	mh_logged 'handlers\[0\]: reclaimed 16(\.0)?Mi; usage 4[0-3][0-9.]*Mi -> [0-9.]+Mi, fell by [0-9.]+Mi'
	after=$(cg_current "$CG")
	echo "memory.current $before -> $after, swap.current $(cat "$CG/memory.swap.current")"
	[ "$after" -le $((before - 12 * MiB)) ]
	[ "$(cat "$CG/memory.swap.current")" -ge $((8 * MiB)) ]
	mh_running
}

@test "reclaim without swap: EAGAIN is reported as a partial reclaim, memhook keeps running" {
	swapoff /dev/zram0
	refute grep -q zram0 /proc/swaps
	cg_new eagain 64M
	hog_start eagain "$CG"
	hog_do eagain "grow 40"
	P=$(policy eagain '{"check_interval": "250ms",
		"levels": [{"name": "full", "when": {"local_absolute": "32Mi"}}],
		"handlers": [{"on": "entered", "level": 1, "reclaim": "16Mi"},
		             {"on": "left", "webhook": '"$(webhook eagain)"'}]}')
	mh_start --policy "$P" --cgroup "$CG"
	wait_for 30 mh_logged 'handlers\[0\]: reclaim'
	mh_logged 'handlers\[0\]: reclaim of 16(\.0)?Mi was partial \(EAGAIN.*usage [0-9.]+Mi -> [0-9.]+Mi, fell by'
	refute mh_logged 'reclaim failed'
	mh_running
	# still watching: the level is left once the hog gives memory back
	hog_do eagain "shrink 32"
	wait_for 20 hook_has eagain '.event == "left"'
	mh_running
}

@test "target_lost when the cgroup is removed, target_found when it is back" {
	cg_new lost 64M
	hog_start lost "$CG"
	hog_do lost "grow 4"
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
	wait_for 20 hook_has lost '.event == "target_lost"'
	hook_is lost '.event == "target_lost"' .target.cgroup "$CG"
	mh_logged 'target lost: '
	mh_running

	mkdir "$CG"
	wait_for 20 hook_has lost '.event == "target_found"'
	mh_logged 'target found: '
	mh_running
}

@test "--pid: the target is the cgroup named in /proc/PID/cgroup" {
	cg_new pid 64M
	echo 0 >"$CG/memory.swap.max"
	hog_start pid "$CG"
	hog_do pid "grow 8"
	grep -qx "0::/memhook-pid" "/proc/$HOG_PID/cgroup"
	P=$(policy pid '{"check_interval": "250ms",
		"levels": [{"name": "low", "when": {"local_absolute": "32Mi"}}],
		"handlers": [{"on": "entered", "webhook": '"$(webhook pid)"'}]}')

	run --separate-stderr "$MEMHOOK" run --once --policy "$P" --pid "$HOG_PID"
	[ "$status" -eq 0 ]
	[ "$(jq -r .sample.limit_bytes <<<"$output")" = $((64 * MiB)) ]

	mh_start --policy "$P" --pid "$HOG_PID"
	wait_for 20 mh_logged "watching"
	hog_do pid "grow 32"
	wait_for 20 hook_has pid '.event == "entered"'
	hook_is pid '.event == "entered"' '.target.cgroup | sub("/+$"; "") | endswith("/memhook-pid")' true
	hook_is pid '.event == "entered"' .target.pid "$HOG_PID"
	hook_is pid '.event == "entered"' .sample.limit_bytes $((64 * MiB))
}

# thrash_until_hook NAME COND: keeps the hog re-touching its pages (swap-in, reclaim, stall) one
# pass after another until a webhook at /NAME matches COND. HOG_SENT: commands sent so far.
thrash_until_hook() {
	local s
	s=$(hog_status "$1")
	if [ "${s#* }" -ge "$HOG_SENT" ]; then
		hog_send "$1" touch
		HOG_SENT=$((HOG_SENT + 1))
	fi
	hook_has "$1" "$2"
}

@test "pressure condition: PSI some avg10 above 1% under memory.high" {
	cg_new psi 64M 16M
	hog_start psi "$CG"
	hog_do psi "grow 8"
	P=$(policy psi '{"check_interval": "250ms",
		"levels": [{"name": "stalled", "when": {"pressure": {"kind": "some", "window": "avg10", "above": 1}}}],
		"handlers": [{"on": "entered", "webhook": '"$(webhook psi)"'}]}')
	mh_start --policy "$P" --cgroup "$CG"
	wait_for 20 mh_logged "watching"
	refute hook_has psi 'true'
	hog_send psi "grow 16" # 24 MiB against memory.high 16M: reclaim into zram, stalls
	HOG_SENT=2
	wait_for 60 thrash_until_hook psi '.event == "entered"'
	hook_is psi '.event == "entered"' .level_name stalled
	mh_logged 'level 0 -> 1 \(stalled\): entered'
}

@test "events condition: a memory.high event since the last check" {
	cg_new ev 64M 16M
	hog_start ev "$CG"
	hog_do ev "grow 8"
	P=$(policy ev '{"check_interval": "250ms",
		"levels": [{"name": "throttled", "when": {"events": "high"}}],
		"handlers": [{"on": "entered", "webhook": '"$(webhook ev)"'}]}')
	mh_start --policy "$P" --cgroup "$CG"
	wait_for 20 mh_logged "watching"
	[ "$(cg_event "$CG" high)" = 0 ]
	refute hook_has ev 'true'
	hog_send ev "grow 12" # 20 MiB: past memory.high
	wait_for 30 hook_has ev '.event == "entered"'
	hook_is ev '.event == "entered"' .level_name throttled
	[ "$(cg_event "$CG" high)" -ge 1 ]
}

@test "oom_kill: the OOM kill of the target becomes an oom_kill webhook and an events level" {
	cg_new oom 32M
	echo 0 >"$CG/memory.swap.max"
	hog_start oom "$CG"
	hog_do oom "grow 8"
	P=$(policy oom '{"check_interval": "250ms",
		"levels": [{"name": "oomed", "when": {"events": "oom_kill"}}],
		"handlers": [{"on": "oom_kill", "webhook": '"$(webhook oom)"'},
		             {"on": "entered", "webhook": '"$(webhook oom)"'}]}')
	mh_start --policy "$P" --cgroup "$CG"
	wait_for 20 mh_logged "watching"
	hog_send oom "grow 64"
	wait_for 30 proc_gone "$HOG_PID"
	[ "$(cg_event "$CG" oom_kill)" -ge 1 ]
	wait_for 20 hook_has oom '.event == "oom_kill"'
	hook_is oom '.event == "oom_kill"' .target.cgroup "$CG"
	wait_for 10 hook_has oom '.event == "entered" and .level_name == "oomed"'
	mh_logged 'OOM kill in the target: oom_kill \+1'
	mh_running
}
