#!/usr/bin/env bats
# Policy and trace input found wrong by hostile testing (issue 16): each test failed before its fix.

bats_require_minimum_version 1.5.0
load helpers

MiB=1048576
REPO="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"

setup() { common_setup; }
teardown() { common_teardown; }

# webhook_policy URL HEADERS_JSON [EXTRA]: one level at 30% free; a webhook on entered.
webhook_policy() {
	cat <<JSON
{"check_interval": "50ms",
 "levels": [{"name": "tight", "when": {"local_relative": 30}}],
 "handlers": [{"on": "entered", "webhook": {"url": "$1", "headers": $2${3:-}}}]}
JSON
}

@test "check refuses the headers libcurl and memhook set, in any case, naming the header" {
	local name why
	while IFS='|' read -r name why; do
		webhook_policy "http://127.0.0.1:9/x" "{\"X-Ok\": \"1\", \"$name\": \"0\"}" > "$T/p.json"
		run "$MEMHOOK" check --policy "$T/p.json"
		[ "$status" -eq 2 ]
		[ "$output" = "memhook: $T/p.json:3:101: handlers[0].webhook.headers.$name: $why" ]
	done <<'LIST'
Content-Length|Content-Length is set by libcurl for each request; a policy may not set it
content-length|Content-Length is set by libcurl for each request; a policy may not set it
TRANSFER-ENCODING|Transfer-Encoding is set by libcurl for each request; a policy may not set it
Host|Host is set by libcurl for each request; a policy may not set it
connection|Connection is set by libcurl for each request; a policy may not set it
Expect|Expect is set by libcurl for each request; a policy may not set it
Upgrade|Upgrade is set by libcurl for each request; a policy may not set it
Content-Type|Content-Type is set by memhook (application/json); a policy may not set it
Webhook-Id|webhook-id is set by memhook (signature "standard"); a policy may not set it
webhook-timestamp|webhook-timestamp is set by memhook (signature "standard"); a policy may not set it
WEBHOOK-SIGNATURE|webhook-signature is set by memhook (signature "standard"); a policy may not set it
LIST
	# the handler's signature header, default or its own, and a reserved name as signature_header
	webhook_policy "http://127.0.0.1:9/x" '{"x-memhook-signature": "sha256=0"}' > "$T/p.json"
	run "$MEMHOOK" check --policy "$T/p.json"
	[ "$status" -eq 2 ]
	[ "$output" = "memhook: $T/p.json:3:88: handlers[0].webhook.headers.x-memhook-signature: is the signature_header (X-Memhook-Signature): set by memhook; a policy may not set it" ]
	webhook_policy "http://127.0.0.1:9/x" '{"X-Sig": "1"}' ', "signature_header": "x-sig"' > "$T/p.json"
	run "$MEMHOOK" check --policy "$T/p.json"
	[ "$status" -eq 2 ]
	[ "$output" = "memhook: $T/p.json:3:88: handlers[0].webhook.headers.X-Sig: is the signature_header (x-sig): set by memhook; a policy may not set it" ]
	webhook_policy "http://127.0.0.1:9/x" '{}' ', "signature_header": "Content-Length"' > "$T/p.json"
	run "$MEMHOOK" check --policy "$T/p.json"
	[ "$status" -eq 2 ]
	[ "$output" = "memhook: $T/p.json:3:91: handlers[0].webhook.signature_header: Content-Length is set by libcurl for each request; a policy may not set it" ]
	# what stays allowed
	webhook_policy "http://127.0.0.1:9/x" '{"User-Agent": "app/1", "Authorization": "Bearer t", "X-Memhook-Signature-Alt": "1"}' > "$T/p.json"
	run "$MEMHOOK" check --policy "$T/p.json"
	[ "$status" -eq 0 ]
}

@test "check names the line and column of a refused Content-Length header" {
	cat > "$T/p.json" <<'JSON'
{
  "levels": [{"name": "tight", "when": {"local_relative": 30}}],
  "handlers": [
    {"on": "entered",
     "webhook": {
       "url": "http://127.0.0.1:9/x",
       "headers": {
         "X-Ok": "1",
         "Content-Length": "0"
       }}}
  ]
}
JSON
	run "$MEMHOOK" check --policy "$T/p.json"
	[ "$status" -eq 2 ]
	[ "$output" = "memhook: $T/p.json:9:10: handlers[0].webhook.headers.Content-Length: Content-Length is set by libcurl for each request; a policy may not set it" ]
	# the key compared after unescaping, a tab one byte, the second handler's
	printf '{"levels": [{"name": "tight", "when": {"local_relative": 30}}],\n"handlers": [{"on": "normal", "signal": 10},\n\t{"on": "entered", "webhook": {"url": "http://127.0.0.1:9/x", "headers": {"Content\\u002dLength": "0"}}}]}\n' > "$T/p.json"
	run "$MEMHOOK" check --policy "$T/p.json"
	[ "$status" -eq 2 ]
	[ "$output" = "memhook: $T/p.json:3:75: handlers[1].webhook.headers.Content-Length: Content-Length is set by libcurl for each request; a policy may not set it" ]
	# a repeated header key: the repeat, not the first
	printf '{"levels": [{"name": "tight", "when": {"local_relative": 30}}],\n"handlers": [{"on": "entered", "webhook": {"url": "http://127.0.0.1:9/x",\n "headers": {"X-A": "1",\n  "X-A": "2"}}}]}\n' > "$T/p.json"
	run "$MEMHOOK" check --policy "$T/p.json"
	[ "$status" -eq 2 ]
	[ "$output" = "memhook: $T/p.json:4:3: handlers[0].webhook.headers.X-A: duplicate header" ]
	# a missing key has no place: the message as before
	printf '{"levels": [{"name": "tight"}]}' > "$T/p.json"
	run "$MEMHOOK" check --policy "$T/p.json"
	[ "$status" -eq 2 ]
	[ "$output" = "memhook: $T/p.json: levels[0].when: is required" ]
}

@test "a reload with Content-Length: 0 is rejected, and the receiver gets one whole request" {
	fixture_v2 "$T/cg" $((10 * MiB)) $((100 * MiB))
	fixture_proc "$T/proc" 8000000 4000000
	listener_start
	webhook_policy "$URL" '{"X-Ok": "1"}' > "$T/p.json"
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	wait_for 5 log_has watching
	webhook_policy "$URL" '{"Content-Length": "0"}' > "$T/p.json"
	kill -HUP "$MH_PID"
	wait_for 5 log_has 'SIGHUP: new policy rejected, the old one keeps running: .*: handlers\[0\]\.webhook\.headers\.Content-Length: Content-Length is set by libcurl'
	set_usage "$T/cg" $((90 * MiB))
	wait_for 5 has_event entered 1
	memhook_stop
	[ "$MH_RC" -eq 0 ]
	# exactly one request, its body the whole payload, sent with the old policy's header
	[ "$(requests_count)" -eq 1 ]
	run python3 - "$REQS" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).readline())
b = json.loads(r["body"])
assert r["method"] == "POST" and r["headers"].get("x-ok") == "1", r
assert int(r["headers"]["content-length"]) == len(r["body"].encode()), r["headers"]
assert b["event"] == "entered" and b["level"] == 1, b
PY
	[ "$status" -eq 0 ]
}

@test "check refuses invalid UTF-8 in any policy string, with line and column" {
	printf '{"levels": [\n  {"name": "ti\xffght", "when": {"local_relative": 30}}]}\n' > "$T/p.json"
	run "$MEMHOOK" check --policy "$T/p.json"
	[ "$status" -eq 2 ]
	[ "$output" = "memhook: $T/p.json: policy: invalid UTF-8 at line 2 column 15 (byte 0xff); a policy is UTF-8 text" ]
	# a header value, an exec argument: the same, at the byte that is wrong
	printf '{"levels": [{"name": "t", "when": {"local_relative": 30}}],\n "handlers": [{"on": "entered", "webhook": {"url": "http://h/", "headers": {"X-A": "\xc3("}}}]}\n' > "$T/p.json"
	run "$MEMHOOK" check --policy "$T/p.json"
	[ "$status" -eq 2 ]
	[ "$output" = "memhook: $T/p.json: policy: invalid UTF-8 at line 2 column 85 (byte 0xc3); a policy is UTF-8 text" ]
	# overlong (C0 AF is "/"), a surrogate (ED A0 80), above U+10FFFF (F4 90 80 80), cut short (E2 82)
	local bad
	for bad in '\xc0\xaf' '\xed\xa0\x80' '\xf4\x90\x80\x80' '\xe2\x82'; do
		printf '{"levels": [{"name": "t", "when": {"local_relative": 30}}],\n "handlers": [{"on": "normal", "exec": ["/bin/true", "'"$bad"'"]}]}\n' > "$T/p.json"
		run "$MEMHOOK" check --policy "$T/p.json"
		[ "$status" -eq 2 ]
		[[ "$output" == "memhook: $T/p.json: policy: invalid UTF-8 at line 2 column 55 "* ]]
	done
	# well-formed UTF-8 of 2, 3 and 4 bytes stays a good name
	printf '{"levels": [{"name": "\xc3\xa9\xe2\x82\xac\xf0\x9f\x94\xa5", "when": {"local_relative": 30}}]}\n' > "$T/p.json"
	run "$MEMHOOK" check --policy "$T/p.json"
	[ "$status" -eq 0 ]
}

@test "run refuses a level name that would make the status file invalid JSON" {
	fixture_v2 "$T/cg" $((10 * MiB)) $((100 * MiB))
	fixture_proc "$T/proc" 8000000 4000000
	printf '{"levels": [{"name": "\xff", "when": {"local_relative": 99}}]}\n' > "$T/p.json"
	run "$MEMHOOK" run --once --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc" --status-file "$T/status.json"
	[ "$status" -eq 2 ]
	[[ "$output" == *"policy: invalid UTF-8 at line 1 column 23 (byte 0xff)"* ]]
	[ ! -e "$T/status.json" ]
}

HEADER=time,elapsed_sec,usage_bytes,limit_bytes,host_available_bytes,host_total_bytes

@test "simulate names a NUL byte by line and column, also at the end of a last line" {
	printf '%s\n2026-01-01T00:00:00Z,0,1,2,3,4\n2026-01-01T00:00:01Z,1,1\0002,2,3,4\n' "$HEADER" > "$T/t.csv"
	run "$MEMHOOK" simulate --trace "$T/t.csv"
	[ "$status" -eq 2 ]
	[ "$output" = "memhook: $T/t.csv:3: NUL byte at column 25" ]
	# a last line without a newline: the text after its NUL is read, not dropped
	printf '%s\n2026-01-01T00:00:00Z,0,1,2,3,4\n2026-01-01T00:00:01Z,1,1,2,3,4\000garbage' "$HEADER" > "$T/t.csv"
	run "$MEMHOOK" simulate --trace "$T/t.csv"
	[ "$status" -eq 2 ]
	[ "$output" = "memhook: $T/t.csv:3: NUL byte at column 31" ]
	# in a comment too: the file is not text
	printf '# a\000b\n%s\n' "$HEADER" > "$T/t.csv"
	run "$MEMHOOK" simulate --trace "$T/t.csv"
	[ "$status" -eq 2 ]
	[ "$output" = "memhook: $T/t.csv:1: NUL byte at column 4" ]
}

@test "simulate says a trace is a directory, or that standard input is closed" {
	mkdir "$T/dir"
	run "$MEMHOOK" simulate --trace "$T/dir"
	[ "$status" -eq 2 ]
	[ "$output" = "memhook: $T/dir: is a directory" ]
	run "$MEMHOOK" simulate --trace - < "$T/dir"
	[ "$status" -eq 2 ]
	[ "$output" = "memhook: (stdin): is a directory" ]
	# (closed inside the child: bats' own run does not return with its stdin closed)
	run sh -c 'exec "$0" simulate --trace - <&-' "$MEMHOOK"
	[ "$status" -eq 2 ]
	[ "$output" = "memhook: (stdin): standard input is closed" ]
}

@test "simulate skips a UTF-8 byte-order mark at the start of a trace, and names one elsewhere" {
	printf '%s\n2026-01-01T00:00:00Z,0,90,100,3,4\n' "$HEADER" > "$T/t.csv"
	"$MEMHOOK" simulate --trace "$T/t.csv" > "$T/want"
	printf '\xef\xbb\xbf' | cat - "$T/t.csv" > "$T/bom.csv"
	"$MEMHOOK" simulate --trace "$T/bom.csv" > "$T/got"
	cmp "$T/want" "$T/got"
	printf '\xef\xbb\xbf{"time":"2026-01-01T00:00:00Z","elapsed_sec":0,"usage_bytes":90,"limit_bytes":100,"host_available_bytes":3,"host_total_bytes":4}\n' > "$T/bom.jsonl"
	"$MEMHOOK" simulate --trace - < "$T/bom.jsonl" > "$T/got"
	cmp "$T/want" "$T/got"
	printf '%s\n\xef\xbb\xbf2026-01-01T00:00:00Z,0,90,100,3,4\n' "$HEADER" > "$T/t.csv"
	run "$MEMHOOK" simulate --trace "$T/t.csv"
	[ "$status" -eq 2 ]
	[ "$output" = "memhook: $T/t.csv:2: a UTF-8 byte-order mark (U+FEFF) not at the start of the file" ]
}

# fake_systemctl DIR: a systemctl that logs its arguments to DIR/calls, says earlyoom is enabled
# (unless DIR/disabled exists), and fails "disable --now" as on a machine without systemd's bus.
fake_systemctl() {
	mkdir -p "$1"
	cat > "$1/systemctl" <<SH
#!/bin/sh
echo "\$*" >> "$1/calls"
case "\$*" in
"-q is-enabled earlyoom") [ ! -e "$1/disabled" ] ;;
"disable --now earlyoom") [ -d "$T/booted" ] || { echo "Failed to connect to bus: Host is down" >&2; exit 1; } ;;
esac
SH
	chmod +x "$1/systemctl"
}

@test "bench-deps disables earlyoom without --now where systemd does not run, with it where it does" {
	# the rule runs the script
	run make -s -n -C "$REPO" bench-deps
	[ "$status" -eq 0 ]
	[[ "$output" == *"sh tests/bench/disable_unit.sh earlyoom"* ]]
	fake_systemctl "$T/bin"
	# no systemd running (no /run/systemd/system): disable only, and succeed
	SYSTEMCTL="$T/bin/systemctl" SYSTEMD_BOOTED_DIR="$T/booted" run sh "$REPO/tests/bench/disable_unit.sh" earlyoom
	[ "$status" -eq 0 ]
	[ "$(cat "$T/bin/calls")" = $'-q is-enabled earlyoom\ndisable earlyoom' ]
	# systemd running: disable and stop
	rm "$T/bin/calls"
	mkdir "$T/booted"
	SYSTEMCTL="$T/bin/systemctl" SYSTEMD_BOOTED_DIR="$T/booted" run sh "$REPO/tests/bench/disable_unit.sh" earlyoom
	[ "$status" -eq 0 ]
	[ "$(cat "$T/bin/calls")" = $'-q is-enabled earlyoom\ndisable --now earlyoom' ]
	# not enabled: nothing more; no systemctl at all: nothing
	rm "$T/bin/calls"
	touch "$T/bin/disabled"
	SYSTEMCTL="$T/bin/systemctl" run sh "$REPO/tests/bench/disable_unit.sh" earlyoom
	[ "$status" -eq 0 ]
	[ "$(cat "$T/bin/calls")" = "-q is-enabled earlyoom" ]
	SYSTEMCTL="$T/none/systemctl" run sh "$REPO/tests/bench/disable_unit.sh" earlyoom
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}
