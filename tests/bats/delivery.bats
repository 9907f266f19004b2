#!/usr/bin/env bats
# Webhook delivery (issue 9): per-endpoint order, Standard Webhooks headers and signatures,
# Retry-After, 410 Gone, redirects, max_age and dropped_before, the payload's instance.

bats_require_minimum_version 1.5.0
load helpers

MiB=1048576
SCHEMA="$BATS_TEST_DIRNAME/../../policies/payload.schema.json"

setup() {
	common_setup
	fixture_v2 "$T/cg" $((10 * MiB)) $((100 * MiB))
	fixture_proc "$T/proc" 8000000 4000000
}
teardown() { common_teardown; }

# policy FILE HANDLERS_JSON: three levels at 30% / 15% / 5% free, 50 ms checks.
policy() {
	cat > "$1" <<JSON
{"check_interval": "50ms",
 "levels": [{"name": "elevated", "when": {"local_relative": 30}},
            {"name": "high", "when": {"local_relative": 15}},
            {"name": "critical", "when": {"local_relative": 5}}],
 "handlers": $2}
JSON
}

# recv NAME [ANSWER...]: a listener of its own; sets URL_NAME, its requests in $T/NAME.jsonl.
recv() {
	local name=$1
	shift
	: > "$T/$name.jsonl"
	rm -f "$T/$name.port"
	python3 "$HERE_LIB/listener.py" "$T/$name.jsonl" "$T/$name.port" "$@" &
	PIDS+=($!)
	wait_for 10 test -s "$T/$name.port"
	printf -v "URL_$name" 'http://127.0.0.1:%s/memory' "$(cat "$T/$name.port")"
}
# count NAME: requests NAME received.
count() { wc -l < "$T/$1.jsonl"; }
at_least() { [ "$(count "$1")" -ge "$2" ]; }

# check NAME PYTHON: runs PYTHON with `reqs` (the requests, in the order read, bodies parsed into
# r["b"]) and the helpers below; fails (printing why) when an assert fails.
check() {
	python3 - "$T/$1.jsonl" "$SCHEMA" "$2" <<'PY'
import base64, hashlib, hmac, json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
reqs.sort(key=lambda r: r["t_recv"])
for r in reqs:
    r["b"] = json.loads(r["body"])
schema = json.load(open(sys.argv[2]))

def key_of(secret):
    # Standard Webhooks: whsec_<base64 key>; memhook takes a plain secret as its bytes
    return base64.b64decode(secret[6:]) if secret.startswith("whsec_") else secret.encode()

def std_valid(r, secret):
    h = r["headers"]
    signed = ("%s.%s.%s" % (h["webhook-id"], h["webhook-timestamp"], r["body"])).encode()
    want = base64.b64encode(hmac.new(key_of(secret), signed, hashlib.sha256).digest()).decode()
    return ("v1," + want) in h["webhook-signature"].split(" ")

def memhook_valid(r, secret, header="x-memhook-signature"):
    want = "sha256=" + hmac.new(key_of(secret), r["body"].encode(), hashlib.sha256).hexdigest()
    return r["headers"].get(header) == want

def valid_payload(b):
    import jsonschema
    jsonschema.validate(b, schema)
    return True

try:
    exec(sys.argv[3])
except AssertionError as e:
    print("check failed:", e, file=sys.stderr)
    for r in reqs:
        print(json.dumps({k: r[k] for k in ("path", "status", "headers", "body", "t_recv", "delay")}), file=sys.stderr)
    sys.exit(1)
PY
}

@test "one endpoint gets its events in seq order, one at a time, while the first is answered after 500 ms" {
	recv A '200,delay=0.5' 200
	policy "$T/p.json" "[{\"on\":\"entered\",\"webhook\":{\"url\":\"$URL_A\"}}]"
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	wait_for 5 log_has watching
	set_usage "$T/cg" $((97 * MiB))      # entered 1, 2 and 3 at one check: queued together
	wait_for 10 at_least A 3
	check A '
seqs = [r["b"]["seq"] for r in reqs]
assert seqs == sorted(seqs) and len(set(seqs)) == 3, seqs
assert [r["b"]["level"] for r in reqs] == [1, 2, 3]
# none overlapped the one before: each came after the previous was answered
for a, b in zip(reqs, reqs[1:]):
    assert b["t_recv"] >= a["t_recv"] + a["delay"] - 0.005, (a["t_recv"], a["delay"], b["t_recv"])
'
}

@test "a stuck endpoint does not hold another" {
	recv A '200,delay=3' 200
	recv B 200
	policy "$T/p.json" "[{\"on\":\"entered\",\"webhook\":{\"url\":\"$URL_A\"}},
	                    {\"on\":\"entered\",\"webhook\":{\"url\":\"$URL_B\"}}]"
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	wait_for 5 log_has watching
	set_usage "$T/cg" $((97 * MiB))
	wait_for 2 at_least B 3              # all of B's, well before A answers its first
	[ "$(count A)" -eq 1 ]
	check B 'assert [r["b"]["level"] for r in reqs] == [1, 2, 3]'
	wait_for 10 at_least A 3
	check A 'assert [r["b"]["level"] for r in reqs] == [1, 2, 3]'
}

@test "a retried event keeps its webhook-id, gets a new timestamp and a valid signature, and holds the next" {
	recv A '503,Retry-After=1' 200
	echo "whsec_$(printf 'sixteen byte key' | base64)" > "$T/secret"
	policy "$T/p.json" "[{\"on\":\"entered\",\"webhook\":{\"url\":\"$URL_A\",\"secret_file\":\"$T/secret\"}}]"
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	wait_for 5 log_has watching
	set_usage "$T/cg" $((88 * MiB))      # entered 1 and 2
	wait_for 10 at_least A 3
	check A "
secret = open('$T/secret').read().strip()
first, retry, second = reqs
assert first['b']['seq'] == retry['b']['seq'] < second['b']['seq']
assert first['headers']['webhook-id'] == retry['headers']['webhook-id'] != second['headers']['webhook-id']
assert int(retry['headers']['webhook-timestamp']) > int(first['headers']['webhook-timestamp'])
assert first['headers']['webhook-signature'] != retry['headers']['webhook-signature']
for r in reqs:
    assert std_valid(r, secret) and memhook_valid(r, secret), r['headers']
    assert r['headers']['webhook-id'].startswith('msg_' + r['b']['instance'] + '_%d_' % r['b']['seq'])
"
	! log_has 'sixteen byte key'
}

@test "Retry-After on 429 is waited for, not the backoff" {
	recv A '429,Retry-After=1' 200
	policy "$T/p.json" "[{\"on\":\"entered\",\"level\":1,\"webhook\":{\"url\":\"$URL_A\",\"backoff\":\"10ms\"}}]"
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	wait_for 5 log_has watching
	set_usage "$T/cg" $((75 * MiB))
	wait_for 10 at_least A 2
	check A '
assert reqs[1]["t_recv"] - reqs[0]["t_recv"] >= 1.0, reqs[1]["t_recv"] - reqs[0]["t_recv"]
assert reqs[0]["headers"]["webhook-id"] == reqs[1]["headers"]["webhook-id"]
'
	log_has 'HTTP 429 \(attempt 1/4\), retrying in 1000 ms \(Retry-After\)'
}

@test "410 Gone disables the handler's endpoint until SIGHUP, logged once" {
	recv A 410 200
	policy "$T/p.json" "[{\"on\":\"entered\",\"webhook\":{\"url\":\"$URL_A\"}}]"
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc" --log-level debug
	wait_for 5 log_has watching
	set_usage "$T/cg" $((75 * MiB))      # entered 1: 410
	wait_for 5 log_has '410 Gone: this handler.s webhook is disabled until the policy is reloaded'
	set_usage "$T/cg" $((97 * MiB))      # entered 2 and 3: dropped, never sent
	wait_for 5 eval '[ "$(grep -c "dropped: the endpoint answered 410 Gone" "$T/memhook.log")" -eq 2 ]'
	[ "$(count A)" -eq 1 ]
	[ "$(grep -c '410 Gone: this handler' "$T/memhook.log")" -eq 1 ]
	kill -HUP "$MH_PID"
	wait_for 5 log_has 'reloaded'
	set_usage "$T/cg" $((10 * MiB))
	wait_for 5 log_has 'back to normal'
	set_usage "$T/cg" $((75 * MiB))      # entered 1 again: sent, and says what it missed
	wait_for 5 at_least A 2
	check A '
assert reqs[1]["status"] == 200 and reqs[1]["b"]["level"] == 1
assert reqs[1]["b"]["dropped_before"] == 3, reqs[1]["b"]   # the 410 one and the two after it
assert valid_payload(reqs[1]["b"])
'
	memhook_stop
	log_has 'webhooks 1 delivered / 1 failed / 2 dropped'
}

@test "a redirect is not followed: the target gets nothing, the log says so, no retry" {
	recv T 200
	recv A "307,Location=${URL_T/http:\/\//http://user:pw@}"
	policy "$T/p.json" "[{\"on\":\"entered\",\"level\":1,\"webhook\":{\"url\":\"$URL_A\",\"retries\":3}}]"
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	wait_for 5 log_has watching
	set_usage "$T/cg" $((75 * MiB))
	wait_for 5 log_has "HTTP 307: redirect to http://\*\*\*@127.0.0.1:[0-9]+/memory not followed .*giving up"
	memhook_stop
	[ "$(count T)" -eq 0 ]
	[ "$(count A)" -eq 1 ]
	log_has 'webhooks 0 delivered / 1 failed'
	! log_has 'pw@'
}

@test "max_age drops events not delivered in time; the next delivered one carries dropped_before" {
	recv A '200,delay=2' 200
	policy "$T/p.json" "[{\"on\":\"entered\",\"webhook\":{\"url\":\"$URL_A\",\"max_age\":\"500ms\"}}]"
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc" --log-level debug
	wait_for 5 log_has watching
	set_usage "$T/cg" $((97 * MiB))      # entered 1 (held 2 s), 2 and 3 (waiting: too old at 500 ms)
	wait_for 5 log_has 'event seq [0-9]+ to .* dropped: waited past its max_age \(500ms\)'
	[ "$(count A)" -eq 1 ]
	wait_for 5 log_has 'HTTP 200 \(seq 1,'  # the first, sent in time, is delivered late but whole
	set_usage "$T/cg" $((10 * MiB))
	wait_for 5 log_has 'back to normal'
	set_usage "$T/cg" $((75 * MiB))
	wait_for 10 at_least A 2
	check A '
assert [r["b"]["level"] for r in reqs] == [1, 1]
assert "dropped_before" not in reqs[0]["b"]
assert reqs[1]["b"]["dropped_before"] == 2, reqs[1]["b"]
assert reqs[1]["b"]["seq"] == reqs[0]["b"]["seq"] + 3
assert valid_payload(reqs[1]["b"])
'
	memhook_stop
	log_has 'webhooks 2 delivered / 0 failed / 2 dropped'
}

@test "whsec_ secrets, two at once give two signatures; the signature option picks the headers" {
	recv A 200
	local k1 k2
	k1="whsec_$(printf 'the old key, 24 bytes...' | base64)"
	k2="whsec_$(printf 'the new key, 24 bytes!!!' | base64)"
	printf '%s %s\n' "$k1" "$k2" > "$T/secret"
	policy "$T/p.json" "[{\"on\":\"entered\",\"level\":1,\"webhook\":{\"url\":\"$URL_A?all\",\"secret_file\":\"$T/secret\"}},
	                    {\"on\":\"entered\",\"level\":1,\"webhook\":{\"url\":\"$URL_A?std\",\"secret_file\":\"$T/secret\",\"signature\":[\"standard\"]}},
	                    {\"on\":\"entered\",\"level\":1,\"webhook\":{\"url\":\"$URL_A?mh\",\"secret_file\":\"$T/secret\",\"signature\":[\"memhook\"],\"signature_header\":\"X-Sig\"}},
	                    {\"on\":\"entered\",\"level\":1,\"webhook\":{\"url\":\"$URL_A?none\"}}]"
	run "$MEMHOOK" check --policy "$T/p.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *"signature standard)"* ]]
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	wait_for 5 log_has watching
	set_usage "$T/cg" $((75 * MiB))
	wait_for 5 at_least A 4
	check A "
k1, k2 = '$k1', '$k2'
by = {r['path'].split('?')[1]: r for r in reqs}
a = by['all']
assert len(a['headers']['webhook-signature'].split(' ')) == 2
assert std_valid(a, k1) and std_valid(a, k2) and not std_valid(a, 'whsec_' + base64.b64encode(b'other').decode())
assert memhook_valid(a, k1)
s = by['std']
assert std_valid(s, k1) and std_valid(s, k2) and 'x-memhook-signature' not in s['headers']
m = by['mh']
assert 'webhook-id' not in m['headers'] and 'webhook-signature' not in m['headers']
assert memhook_valid(m, k1, 'x-sig')
n = by['none']
assert 'webhook-id' in n['headers'] and 'webhook-timestamp' in n['headers']
assert 'webhook-signature' not in n['headers'] and 'x-memhook-signature' not in n['headers']
# the same event to four URLs: four ids, one seq
assert len({r['headers'].get('webhook-id') for r in (a, s, n)}) == 3
assert len({r['b']['seq'] for r in reqs}) == 1
"
}

@test "a whsec_ secret that is not base64 is refused and logged; nothing is sent" {
	recv A 200
	echo 'whsec_not*base64' > "$T/secret"
	policy "$T/p.json" "[{\"on\":\"entered\",\"level\":1,\"webhook\":{\"url\":\"$URL_A\",\"secret_file\":\"$T/secret\"}}]"
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	wait_for 5 log_has watching
	set_usage "$T/cg" $((75 * MiB))
	wait_for 5 log_has "secret_file $T/secret: no secret, or a whsec_ secret that is not base64"
	wait_for 5 log_has 'webhook failed'
	[ "$(count A)" -eq 0 ]
}

@test "the payload's instance is the same within a run, another after a restart, and in exec's environment" {
	recv A 200
	policy "$T/p.json" "[{\"on\":\"entered\",\"webhook\":{\"url\":\"$URL_A\"}},
	                    {\"on\":\"entered\",\"level\":1,\"exec\":[\"/bin/sh\",\"-c\",\"echo \$MEMHOOK_INSTANCE >> $T/env\"]}]"
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	wait_for 5 log_has watching
	set_usage "$T/cg" $((88 * MiB))      # entered 1 and 2
	wait_for 5 at_least A 2
	wait_for 5 test -s "$T/env"
	memhook_stop
	set_usage "$T/cg" $((10 * MiB))
	memhook_start --policy "$T/p.json" --cgroup "$T/cg" --proc-root "$T/proc"
	wait_for 5 log_has watching
	set_usage "$T/cg" $((75 * MiB))
	wait_for 5 at_least A 3
	check A "
import re
first, second, third = reqs
assert re.fullmatch('[0-9a-f]{16}', first['b']['instance'])
assert first['b']['instance'] == second['b']['instance'] != third['b']['instance']
assert third['b']['seq'] <= first['b']['seq']          # seq starts again: the instance tells why
assert open('$T/env').read().split()[0] == first['b']['instance']
for r in reqs:
    assert valid_payload(r['b'])
"
}
