#!/usr/bin/env bats
# The target's identity and the way to it: a cgroup made again at the target's path is another
# cgroup (memory.high is restored only on the one memhook wrote), and the target and the files
# memhook writes are opened without following symlinks (the --cgroup path's own symlinks are
# resolved once, at start). Each test failed before its fix.

bats_require_minimum_version 1.5.0
load helpers

MiB=1048576
# 30% of a 512 MiB limit, in whole 4 KiB pages: what memory_high "30%" writes
WANT=$((512 * MiB * 30 / 100 / 4096 * 4096))

setup() {
	common_setup
	fixture_proc "$T/proc" 8000000 4000000
}
teardown() {
	# unmounted before common_teardown removes $T: never a recursive removal into a mount
	if [ -n "${BIND:-}" ] && mountpoint -q "$BIND"; then umount -l "$BIND"; fi
	common_teardown
	if [ -n "${CG1:-}" ] && [ -d "$CG1" ]; then rmdir "$CG1"; fi
	return 0
}

# high_fixture DIR USAGE: a v2 fixture with a 512 MiB limit and memory.high at max.
high_fixture() {
	fixture_v2 "$1" "$2" $((512 * MiB))
	echo max > "$1/memory.high"
}
# high_fixture_at DIR USAGE: high_fixture made aside and renamed to DIR, so that memhook never
# takes it half made.
high_fixture_at() {
	rm -rf "$T/aside"
	high_fixture "$T/aside" "$2"
	mv -T "$T/aside" "$1"
}
# file_is FILE TEXT: FILE holds TEXT (one line).
file_is() { [ "$(cat "$1" 2>/dev/null)" = "$2" ]; }

# two_levels FILE HANDLERS_JSON: free below 50% and 30%, 100 ms checks.
two_levels() {
	cat > "$1" <<JSON
{"check_interval": "100ms",
 "levels": [{"name": "one", "when": {"local_relative": 50}},
            {"name": "two", "when": {"local_relative": 30}}],
 "handlers": $2}
JSON
}

@test "memory_high: a cgroup made again at the target's path is not restored; its owner's value stays" {
	high_fixture "$T/cg" $((10 * MiB))
	two_levels "$T/p.json" '[{"on": "entered", "memory_high": "30%"}]'
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	wait_for 5 log_has 'checking every'
	set_usage "$T/cg" $((300 * MiB)) # 41% free: level one
	wait_for 5 file_is "$T/cg/memory.high" "$WANT"

	rm -rf "$T/cg"
	wait_for 5 log_has "target lost: cgroup $T/cg"
	high_fixture_at "$T/cg" $((300 * MiB))
	echo $((100 * MiB)) > "$T/cg/memory.high" # the new cgroup's own
	wait_for 5 log_has "target found: cgroup $T/cg"

	set_usage "$T/cg" $((10 * MiB))
	wait_for 5 log_has "normal: memory.high of $T/cg not restored: that cgroup was removed"
	file_is "$T/cg/memory.high" $((100 * MiB))
	memhook_stop
	[ "$MH_RC" -eq 0 ]
	file_is "$T/cg/memory.high" $((100 * MiB))
	run log_has 'Operation not supported|stopping: memory.high'
	[ "$status" -ne 0 ]
}

@test "memory_high: the new cgroup at the target's path, throttled in its turn, gets its own value back" {
	high_fixture "$T/cg" $((10 * MiB))
	two_levels "$T/p.json" '[{"on": "entered", "memory_high": "30%"}]'
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	wait_for 5 log_has 'checking every'
	set_usage "$T/cg" $((300 * MiB)) # level one
	wait_for 5 file_is "$T/cg/memory.high" "$WANT"

	rm -rf "$T/cg"
	wait_for 5 log_has "target lost: cgroup $T/cg"
	high_fixture_at "$T/cg" $((300 * MiB))
	wait_for 5 log_has "target found: cgroup $T/cg"
	set_usage "$T/cg" $((450 * MiB)) # 12% free: level two writes the new cgroup
	wait_for 5 file_is "$T/cg/memory.high" "$WANT"
	wait_for 5 log_has "handlers\[0\]: the target $T/cg is another cgroup than the one memhook set memory.high of \($T/cg, since removed\)"

	set_usage "$T/cg" $((10 * MiB))
	wait_for 5 file_is "$T/cg/memory.high" max
	log_has 'normal: memory.high restored to max'
	memhook_stop
	file_is "$T/cg/memory.high" max
	run log_has 'Operation not supported'
	[ "$status" -ne 0 ]
}

# other_cgroup DIR: a fixture cgroup memhook must never write, already past both levels.
other_cgroup() { high_fixture "$1" $((450 * MiB)); }
# untouched DIR: its memory.reclaim is empty and its memory.high still max.
untouched() { [ ! -s "$1/memory.reclaim" ] && file_is "$1/memory.high" max; }

@test "a target directory replaced by a symlink to another cgroup is not followed" {
	high_fixture "$T/cg" $((10 * MiB))
	other_cgroup "$T/other"
	two_levels "$T/p.json" '[{"on": "entered", "level": 1, "reclaim": "1Mi"},
	                         {"on": "entered", "level": 1, "memory_high": "30%"}]'
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	wait_for 5 log_has 'checking every'

	# the symlink is in place before memhook sees the loss: its first "not found" is about it
	# (repeats of that line within a second are folded, whatever their reason)
	mv "$T/cg" "$T/cg.old"
	ln -s other "$T/cg"
	rm -rf "$T/cg.old"
	wait_for 5 log_has "target lost: cgroup $T/cg"
	wait_for 5 log_has "target not found: $T/cg: a symlink on the way, not followed"
	# a real directory again: memhook acts on it, and never acted on the other cgroup
	rm "$T/cg"
	high_fixture_at "$T/cg" $((300 * MiB))
	wait_for 5 file_is "$T/cg/memory.reclaim" 1048576
	wait_for 5 file_is "$T/cg/memory.high" "$WANT"
	untouched "$T/other"
}

@test "--cgroup through a symlink is resolved at start; a parent swapped for a symlink later is not followed" {
	high_fixture "$T/p/cg" $((10 * MiB))
	other_cgroup "$T/q/cg"
	ln -s p "$T/start"
	two_levels "$T/p.json" '[{"on": "entered", "level": 1, "reclaim": "1Mi"},
	                         {"on": "entered", "level": 1, "memory_high": "30%"}]'
	memhook_start --policy "$T/p.json" --cgroup "$T/start/cg" --proc-root "$T/proc"
	wait_for 5 log_has "watching cgroup $T/(start|p)/cg \(v2\)"

	mv "$T/p" "$T/p.old"
	ln -s q "$T/p"
	rm -rf "$T/p.old"
	wait_for 5 log_has "target lost: cgroup $T/(start|p)/cg"
	wait_for 5 log_has "target not found: $T/p/cg: a symlink on the way, not followed"
	rm "$T/p"
	mkdir "$T/p"
	high_fixture_at "$T/p/cg" $((300 * MiB))
	wait_for 5 file_is "$T/p/cg/memory.reclaim" 1048576
	untouched "$T/q/cg"
	# the name memhook uses is the one resolved at start
	log_has "watching cgroup $T/p/cg \(v2\)"
}

@test "memory.reclaim and memory.high planted as symlinks in the target are not written through" {
	high_fixture "$T/cg" $((10 * MiB))
	echo max > "$T/victim-high"
	: > "$T/victim-reclaim"
	rm "$T/cg/memory.reclaim" "$T/cg/memory.high"
	ln -s "$T/victim-reclaim" "$T/cg/memory.reclaim"
	ln -s "$T/victim-high" "$T/cg/memory.high"
	two_levels "$T/p.json" '[{"on": "entered", "level": 1, "reclaim": "1Mi"},
	                         {"on": "entered", "level": 1, "memory_high": "30%"}]'
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	wait_for 5 log_has 'checking every'
	set_usage "$T/cg" $((300 * MiB))
	wait_for 5 log_has 'handlers\[0\]: reclaim failed: a symlink, not followed'
	wait_for 5 log_has 'handlers\[1\]: memory_high failed: a symlink, not followed'
	[ ! -s "$T/victim-reclaim" ]
	file_is "$T/victim-high" max
}

@test "a write lands only on the target's own filesystem: a file mounted over memory.reclaim is refused" {
	high_fixture "$T/cg" $((10 * MiB))
	BIND=$T/cg/memory.reclaim
	local victim
	victim=$(mktemp /dev/shm/memhook-victim.XXXXXX)
	mount --bind "$victim" "$BIND"
	two_levels "$T/p.json" '[{"on": "entered", "level": 1, "reclaim": "1Mi"}]'
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	wait_for 5 log_has 'checking every'
	set_usage "$T/cg" $((300 * MiB))
	wait_for 5 log_has "handlers\[0\]: reclaim failed: not a file of the cgroup's own filesystem, not written"
	local got
	got=$(cat "$victim")
	rm -f "$victim"
	[ -z "$got" ]
}

@test "a target that was on a cgroup filesystem at start is not taken on another one later" {
	needs_cg1
	# a real v1 cgroup reached through a bind mount of the hierarchy, which is then unmounted and
	# a plain directory tree of the same name put in its place
	mkdir -p "$T/mnt"
	BIND=$T/mnt
	mount --bind "$CG1_ROOT" "$BIND"
	CG1=$CG1_ROOT/memhook-fs-$$
	mkdir "$CG1"
	echo $((64 * MiB)) > "$CG1/memory.limit_in_bytes"
	cat > "$T/p.json" <<JSON
{"check_interval": "100ms", "levels": [{"name": "one", "when": {"local_relative": 50}}]}
JSON
	memhook_start --policy "$T/p.json" --cgroup "$T/mnt/${CG1##*/}" --proc-root "$T/proc"
	wait_for 5 log_has "watching cgroup $T/mnt/${CG1##*/} \(v1\)"
	umount -l "$BIND" # memhook holds fds in it: detached at once
	mkdir -p "$T/mnt/${CG1##*/}"
	echo 0 > "$T/mnt/${CG1##*/}/memory.usage_in_bytes"
	echo $((64 * MiB)) > "$T/mnt/${CG1##*/}/memory.limit_in_bytes"
	rmdir "$CG1"
	wait_for 5 log_has "target lost: cgroup $T/mnt/${CG1##*/}"
	wait_for 5 log_has "target not found: $T/mnt/${CG1##*/}: not on a cgroup filesystem"
	run log_has 'target found'
	[ "$status" -ne 0 ]
}
