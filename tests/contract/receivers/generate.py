#!/usr/bin/env python3
"""Regenerates vectors.json, the receiver libraries' conformance suite, from the real memhook.

usage: generate.py MEMHOOK [OUTPUT]   (`make receiver-vectors`; OUTPUT defaults to vectors.json here)

memhook runs against a fixture cgroup v2 directory whose files this script rewrites (usage,
memory.max, memory.events; the directory removed and made again) and a fixture /proc, with a
3-level policy whose webhooks sign with known secrets and post to a recording listener on
loopback. Every request is kept as it arrived (headers, raw body) and the listener's answer is
steered per path: a 500 once makes memhook retry (same webhook-id), a 500 on every attempt makes
it drop the event (the next body carries dropped_before). A second memhook run is the restarted
one (new instance). Cases that need a request memhook would not send are made from recorded ones
by changing one thing, and say so in their `about`. Standard library only."""
import base64
import fcntl
import hashlib
import hmac
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
MiB = 1 << 20
HOLD_MS = 300
# Test keys, published with the vectors: never use them anywhere else.
SECRET_OLD = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SECRET_NEW = "whsec_" + base64.b64encode(b"memhook receiver vectors: key 2.").decode()
SECRET_PLAIN = "memhook-vectors-plain-secret"
# A fixed place (not a random temporary name): the cgroup path is in every body, and a
# regeneration should change only ids, timestamps and signatures. A lock keeps two runs apart.
WORK = os.path.join(tempfile.gettempdir(), "memhook-receiver-vectors")
DEADLINE_S = 10


def key_of(secret):
    """The HMAC key of a secret: a whsec_ secret's decoded base64, else its UTF-8 bytes."""
    if secret.startswith("whsec_"):
        return base64.b64decode(secret[len("whsec_"):], validate=True)
    return secret.encode()


def sign(secret, msg_id, timestamp, body):
    mac = hmac.new(key_of(secret), f"{msg_id}.{timestamp}.".encode() + body.encode(), hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


class Recorder:
    """A loopback HTTP server keeping every request; answers 500 to the next N of a path."""

    def __init__(self):
        self.requests = []
        self.fail = {}
        self.lock = threading.Lock()
        rec = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with rec.lock:
                    status = 200
                    if rec.fail.get(self.path, 0) > 0:
                        rec.fail[self.path] -= 1
                        status = 500
                    rec.requests.append({
                        "path": self.path, "status": status, "body": body.decode("utf-8"),
                        # host carries the listener's port: it would change at every run
                        "headers": {k.lower(): v for k, v in self.headers.items() if k.lower() != "host"},
                    })
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def at(self, path):
        with self.lock:
            return [r for r in self.requests if r["path"] == path]

    def fail_next(self, path, count):
        with self.lock:
            self.fail[path] = count

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def wait_until(what, predicate, log_path=None):
    deadline = time.monotonic() + DEADLINE_S
    while not predicate():
        if time.monotonic() > deadline:
            log = open(log_path).read() if log_path and os.path.exists(log_path) else ""
            sys.exit("generate.py: timed out waiting for %s\n%s" % (what, log))
        time.sleep(0.02)


def write(path, text):
    """Rewrites a file in place (same inode: memhook keeps its descriptor and preads it)."""
    with open(path, "r+" if os.path.exists(path) else "w") as f:
        f.write(text)
        f.truncate()


def make_cgroup(cg, usage, limit):
    os.makedirs(cg)
    write(cg + "/memory.current", "%d\n" % usage)
    write(cg + "/memory.max", "%d\n" % limit)
    write(cg + "/memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n")
    write(cg + "/memory.stat", "anon 1048576\nfile 2097152\nkernel 524288\ninactive_file 1572864\n"
          "active_file 524288\n")
    write(cg + "/cgroup.procs", "")


def make_proc(proc):
    os.makedirs(proc + "/self")
    write(proc + "/meminfo", "MemTotal:        8000000 kB\nMemFree:         1000000 kB\n"
          "MemAvailable:    4000000 kB\n")


def policy(url):
    """Three levels; every event kind to URL/a; entered also to /late (same secret), and entered
    level 1 to /rotated, /both and /plain, each signed with its own secret."""
    def hook(path, env, retries=1):
        return {"url": url + path, "secret_env": env, "retries": retries, "backoff": "20ms",
                "timeout": "2s", "max_age": "60s"}
    a = hook("/a", "VEC_SECRET_OLD")
    handlers = [{"on": ev, "webhook": a} for ev in
                ("entered", "left", "normal", "limit_changed", "oom_kill", "target_lost", "target_found")]
    handlers.append({"on": "remaining", "level": 2, "every": "1h", "webhook": a})
    handlers.append({"on": "entered", "webhook": hook("/late", "VEC_SECRET_OLD")})
    for path, env in (("/rotated", "VEC_SECRET_NEW"), ("/both", "VEC_SECRET_BOTH"), ("/plain", "VEC_SECRET_PLAIN")):
        handlers.append({"on": "entered", "level": 1, "webhook": hook(path, env)})
    return {"check_interval": "50ms",
            "levels": [{"name": "elevated", "when": {"local_relative": 30}},
                       {"name": "high", "when": {"local_relative": 15}},
                       {"name": "critical", "when": {"local_relative": 5}}],
            "handlers": handlers}


class Memhook:
    def __init__(self, binary, work, name, url):
        self.log = os.path.join(work, name + ".log")
        pol = os.path.join(work, name + ".json")
        with open(pol, "w") as f:
            json.dump(policy(url), f)
        env = dict(os.environ, VEC_SECRET_OLD=SECRET_OLD, VEC_SECRET_NEW=SECRET_NEW,
                   VEC_SECRET_BOTH=SECRET_OLD + " " + SECRET_NEW, VEC_SECRET_PLAIN=SECRET_PLAIN,
                   POD_NAME="web-0", POD_NAMESPACE="shop")
        for var in [v for v in env if v.startswith("MEMHOOK_")]:
            del env[var]
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(
                [binary, "--cgroup", work + "/app", "--proc-root", work + "/proc", "--policy", pol,
                 "--log-level", "debug"], stderr=log, stdout=subprocess.DEVNULL, env=env)
        wait_until("memhook to watch", lambda: "watching cgroup" in open(self.log).read(), self.log)

    def logged(self, text):
        return text in open(self.log).read()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(DEADLINE_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def record(binary):
    """Runs memhook twice and returns (the first run's requests, the second run's)."""
    rec = Recorder()
    cg = WORK + "/app"
    make_cgroup(cg, 10 * MiB, 100 * MiB)
    make_proc(WORK + "/proc")
    usage = lambda mib: write(cg + "/memory.current", "%d\n" % (mib * MiB))
    mh = Memhook(binary, WORK, "run1", rec.url)
    n = lambda: len(rec.at("/a"))
    step = lambda what, count: wait_until(what, lambda: n() >= count, mh.log)
    try:
        usage(97)                           # 3% free: 0 -> 3 in one check
        step("entered 1, 2, 3", 3)
        usage(10)                           # back to normal in one check
        step("left 3, 2, 1, normal", 7)
        usage(88)                           # 12% free: level 2, then remaining 2 (every 1h: once)
        step("entered 1, 2, remaining 2", 10)
        usage(10)
        step("left 2, 1, normal", 13)
        write(cg + "/memory.max", "%d\n" % (200 * MiB))
        step("limit_changed", 14)
        write(cg + "/memory.events", "low 0\nhigh 0\nmax 1\noom 1\noom_kill 1\noom_group_kill 0\n")
        step("oom_kill", 15)
        shutil.rmtree(cg)
        step("target_lost", 16)
        make_cgroup(cg, 10 * MiB, 200 * MiB)
        step("target_found", 17)
        rec.fail_next("/a", 1)              # one 500: memhook retries with the same webhook-id
        usage(160)                          # 20% free of 200 MiB: level 1
        step("entered 1 and its retry", 19)
        usage(10)
        step("left 1, normal", 21)
        rec.fail_next("/a", 2)              # 500 to both attempts (retries 1): dropped
        usage(160)
        step("entered 1, twice refused", 23)
        wait_until("memhook to give seq 21 up", lambda: mh.logged("giving up"), mh.log)
        usage(10)
        step("left 1 with dropped_before, normal", 25)
    finally:
        mh.stop()
    first = list(rec.requests)
    # The restarted memhook: a new instance, seq from 1.
    shutil.rmtree(cg)
    make_cgroup(cg, 10 * MiB, 100 * MiB)
    with rec.lock:
        rec.requests.clear()
    mh = Memhook(binary, WORK, "run2", rec.url)
    try:
        usage(75)                           # 25% free: level 1 only (no remaining handler)
        step("the second run's entered 1", 1)
        usage(10)
        step("the second run's left 1, normal", 3)
    finally:
        mh.stop()
        rec.stop()
    return first, list(rec.requests)


def body_of(req):
    return json.loads(req["body"])


def word(req):
    """The handler call a delivery makes: the contract's word pair."""
    b = body_of(req)
    ev = b["event"]
    if ev in ("entered", "remaining", "limit_changed", "oom_kill"):
        return "%s %d" % (ev, b["level"])
    if ev == "left":
        return "left %d" % b["previous_level"]
    return ev


def delivery(req, expect="accept", now=None, status=None, headers=None, body=None):
    h = dict(req["headers"] if headers is None else headers)
    d = {"headers": h, "body": req["body"] if body is None else body,
         "now": int(req["headers"]["webhook-timestamp"]) if now is None else now, "expect": expect}
    if status is not None:
        d["status"] = status
    return d


def build(first, second):
    ok = lambda path: [r for r in first if r["path"] == path and r["status"] == 200]
    a_all = [r for r in first if r["path"] == "/a"]
    a = ok("/a")
    kinds = [(body_of(r)["event"], body_of(r).get("level")) for r in a]
    expected = [("entered", 1), ("entered", 2), ("entered", 3), ("left", 2), ("left", 1), ("left", 0),
                ("normal", 0), ("entered", 1), ("entered", 2), ("remaining", 2), ("left", 1),
                ("left", 0), ("normal", 0), ("limit_changed", 0), ("oom_kill", 0),
                ("target_lost", 0), ("target_found", 0), ("entered", 1), ("left", 0), ("normal", 0),
                ("left", 0), ("normal", 0)]
    if kinds != expected:
        sys.exit("generate.py: memhook sent another sequence than expected:\n%s" % kinds)
    seqs = [body_of(r)["seq"] for r in a]
    if seqs != list(range(1, 21)) + [22, 23]:
        sys.exit("generate.py: unexpected seqs %s" % seqs)
    instance = body_of(a[0])["instance"]
    cases = []

    def case(name, about, deliveries, calls, secrets=(SECRET_OLD,), gaps=()):
        cases.append({"name": name, "about": about, "secrets": list(secrets), "deliveries": deliveries,
                      "calls": calls, "gaps": list(gaps)})

    climb = a[0:7]
    case("climb_and_fall", "0 -> 3 -> 0 as memhook sent it: each step its own event, seq 1 to 7",
         [delivery(r) for r in climb], [word(r) for r in climb])
    kinds_run = a[7:17]
    case("every_kind", "seq 8 to 17 as memhook sent them: entered, remaining, left, normal, "
         "limit_changed (memory.max raised), oom_kill (memory.events), target_lost (the cgroup "
         "removed), target_found (made again)",
         [delivery(r) for r in kinds_run], [word(r) for r in kinds_run])

    # The real retry: the listener answered 500 to the first attempt; the receiver saw both.
    retried = [r for r in a_all if body_of(r)["seq"] == 18]
    assert len(retried) == 2 and retried[0]["headers"]["webhook-id"] == retried[1]["headers"]["webhook-id"]
    assert retried[0]["headers"]["webhook-timestamp"] <= retried[1]["headers"]["webhook-timestamp"]
    case("retry_same_id", "memhook's retry of seq 18 after a 500: the same webhook-id, its own "
         "timestamp and signature; the receiver applies it once",
         [delivery(retried[0]), delivery(retried[1], "duplicate")], ["entered 1"])

    r1, r2, r3 = a[0:3]
    case("reordered_pair", "recorded seq 1, 2, 3 delivered as 1, 3, 2 (only the order changed): "
         "3 waits for 2 within the hold, then both are applied in order",
         [delivery(r1), delivery(r3), delivery(r2)], [word(r1), word(r2), word(r3)])

    case("gap_waited", "recorded seq 1, then 3 without 2 (left out: only the set changed): 3 is "
         "held, 2 never comes, and 3 is applied once the hold has passed (no dropped_before: "
         "nothing is reported lost)",
         [delivery(r1), delivery(r3)], [word(r1), word(r3)])

    late2, late3 = [r for r in ok("/late") if body_of(r)["seq"] in (2, 3)]
    case("late", "seq 1, 2, 3 to one URL, then the same run's seq 2 and 3 as memhook sent them to a "
         "second URL (their own webhook-ids): 2 is older than what was applied, 3 the same event "
         "again; neither is applied",
         [delivery(r1), delivery(r2), delivery(r3), delivery(late2, "late"), delivery(late3, "late")],
         [word(r1), word(r2), word(r3)])

    r4, r5 = a[3:5]
    case("starts_mid_stream", "a receiver that starts beside a running memhook: recorded seq 5 "
         "first is applied at once (it starts the order, it is not held for 1 to 4), so seq 4 "
         "after it is late (only the order changed)",
         [delivery(r5), delivery(r4, "late")], [word(r5)])

    dropped = [r for r in a_all if body_of(r)["seq"] == 21]
    assert len(dropped) == 2 and all(r["status"] == 500 for r in dropped)
    after = a[20]
    gap_body = body_of(after)
    assert gap_body["seq"] == 22 and gap_body.get("dropped_before") == 1, gap_body
    before = a[19]
    case("gap_dropped_before", "memhook gave seq 21 up (the listener answered 500 to both "
         "attempts, retries 1): seq 22 carries dropped_before 1 and is applied at once, then 23",
         [delivery(before), delivery(after), delivery(a[21])], [word(before), word(after), word(a[21])],
         gaps=[{"instance": instance, "seq": 22, "dropped_before": 1}])

    tampered = r1["body"].replace('"level":1', '"level":3', 1)
    assert tampered != r1["body"]
    case("tampered_body", "recorded seq 1 with one byte of its body changed (level 1 -> 3): "
         "refused; the genuine request after it is still new",
         [delivery(r1, "reject", status=401, body=tampered), delivery(r1)], [word(r1)])

    ts = int(r1["headers"]["webhook-timestamp"])
    case("stale_timestamp", "recorded seq 1 with the receiver's clock 6 minutes after its "
         "timestamp: refused; at its own time it is accepted",
         [delivery(r1, "reject", status=401, now=ts + 360), delivery(r1)], [word(r1)])
    case("future_timestamp", "recorded seq 1 with the receiver's clock 6 minutes before its "
         "timestamp: refused; at its own time it is accepted",
         [delivery(r1, "reject", status=401, now=ts - 360), delivery(r1)], [word(r1)])

    missing = []
    for name in ("webhook-id", "webhook-timestamp", "webhook-signature"):
        h = {k: v for k, v in r1["headers"].items() if k != name}
        missing.append(delivery(r1, "reject", status=401, headers=h))
    case("missing_header", "recorded seq 1 without webhook-id, then without webhook-timestamp, then "
         "without webhook-signature (x-memhook-signature is still there: it must not stand in for "
         "them): each refused; the whole request after them is accepted",
         missing + [delivery(r1)], [word(r1)])

    rot = ok("/rotated")[0]
    case("rotated_secret", "memhook signing with the new secret only (the first entered 1 to the "
         "URL whose secret_env holds the new one); the receiver holds the old and the new",
         [delivery(rot)], [word(rot)], secrets=(SECRET_OLD, SECRET_NEW))
    case("rotated_secret_old_only", "the same request; the receiver holds the old secret only",
         [delivery(rot, "reject", status=401)], [], secrets=(SECRET_OLD,))
    both = ok("/both")[0]
    assert len(both["headers"]["webhook-signature"].split(" ")) == 2
    case("two_signatures", "memhook holding the old and the new secret sends two signatures, "
         "space-separated; a receiver with the new one only matches the second",
         [delivery(both)], [word(both)], secrets=(SECRET_NEW,))
    plain = ok("/plain")[0]
    case("plain_secret", "memhook signing with a plain (not whsec_) secret: the key is its UTF-8 bytes",
         [delivery(plain)], [word(plain)], secrets=(SECRET_PLAIN,))

    bad = []
    for i, text in enumerate(('{"hello":"world"}', '[1,2,3]', 'memory is low')):
        h = dict(r1["headers"])
        h["webhook-signature"] = sign(SECRET_OLD, h["webhook-id"], h["webhook-timestamp"], text)
        bad.append(delivery(r1, "reject", status=400, headers=h, body=text))
    case("not_an_event", "recorded seq 1's headers with its body replaced and signed again with "
         "the secret: a JSON object that is no event, a JSON array, plain text; each refused with "
         "400; the genuine request after them is accepted",
         bad + [delivery(r1)], [word(r1)])

    b = [r for r in second if r["path"] == "/a" and r["status"] == 200]
    assert [body_of(r)["seq"] for r in b] == [1, 2, 3] and body_of(b[0])["instance"] != instance
    last = a[6]
    case("new_instance", "the first run's seq 7 (normal), then a restarted memhook (a new "
         "instance, seq from 1): its seq 1, 2 and 3 are news, not late",
         [delivery(last)] + [delivery(r) for r in b], [word(last)] + [word(r) for r in b])
    return cases


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    binary = os.path.abspath(sys.argv[1])
    out = sys.argv[2] if len(sys.argv) == 3 else os.path.join(HERE, "vectors.json")
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.split()
    lock = open(WORK + ".lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    try:
        first, second = record(binary)
        cases = build(first, second)
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
    doc = {"format": 1,
           "generator": "memhook %s via tests/contract/receivers/generate.py" % (version[-1] if version else "?"),
           "hold_ms": HOLD_MS, "cases": cases}
    with open(out + ".tmp", "w") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")
    os.rename(out + ".tmp", out)
    print("generate.py: %d cases, %d deliveries -> %s" % (
        len(cases), sum(len(c["deliveries"]) for c in cases), out))


if __name__ == "__main__":
    main()
