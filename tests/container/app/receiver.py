#!/usr/bin/env python3
"""The app of the Docker test (tests/container/run.sh): a memhook webhook receiver that lives inside
the app (Python standard library only). The receivers to use are the libraries in
container/receivers/; this one stays as the test's app, self-contained in its image.

It keeps an in-memory cache (the thing a real app would shed under pressure) and trusts a webhook
only after three checks, in this order:

1. Verify: the Standard Webhooks v1 signature (headers webhook-id, webhook-timestamp,
   webhook-signature: HMAC-SHA256 over "{id}.{timestamp}.{body}", base64, compared in constant
   time), with the timestamp at most 5 minutes from now (a captured request cannot be replayed
   later). The algorithm is the spec's, in verify_standard() below (no PyPI package is needed).
2. Deduplicate: a webhook-id seen in the last 10 minutes is answered 204 and not applied again
   (memhook retries with the same id, so a retry whose first answer was lost is harmless).
3. Order: events are applied in `seq` order per memhook `instance`. The first event of an
   instance starts its order. An event that comes early (seq 3 before seq 2) is held up to
   ORDER_HOLD_MS for the missing one (0: never held); an event older than one already applied is
   not applied (it is no longer news); `dropped_before` (events memhook dropped for this endpoint)
   is logged and the gap accepted at once; a new `instance` (memhook restarted) starts the order
   again.

Applying an event does something real: on "entered" of level >= 1 it drops the cache and forces a
garbage collection, reporting the bytes freed; on "normal" it lets the cache fill again. SIGUSR1
(memhook's "signal" action) drops the cache too. One log line per event on stdout.

Environment:
  PORT                      listen port (default 8080; 0 picks a free one, logged)
  HOST                      listen address (default 127.0.0.1: memhook shares the pod's network)
  MEMHOOK_SECRET            the secret memhook signs with (required): "whsec_<base64>" (the key is
                            the decoded bytes) or a plain string (the key is its UTF-8 bytes);
                            several separated by spaces while keys rotate (any one may match)
  ACCEPT_LEGACY_SIGNATURE   1: a request without the standard headers may instead carry the
                            legacy "X-Memhook-Signature: sha256=<hex HMAC(key, body)>" (no
                            timestamp, no id: replayable; default 0, refused)
  ORDER_HOLD_MS             how long an early event waits for a missing seq (default 1000)
  CACHE_MB                  cache size filled at start (default 16)
  CACHE_GROW_MB_PER_S       the cache keeps filling at this rate, like a real cache (default 0)
  CACHE_MAX_MB              the cache never grows beyond this (default 64)

Replies: 204 accepted (also a duplicate or a late event: memhook must not retry them), 400 not a
memhook event, 401 bad or missing signature or a timestamp more than 5 minutes away, 404 other
paths, 413 body over 64 KiB. GET /healthz answers 200.
"""
import base64
import binascii
import collections
import gc
import hashlib
import hmac
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY_BYTES = 64 * 1024     # memhook's payload is well under 2 KiB
CHUNK_BYTES = 1024 * 1024      # the cache holds 1 MiB values
TOLERANCE_S = 5 * 60           # Standard Webhooks: reject timestamps further than this from now
SEEN_TTL_S = 10 * 60           # remember ids twice the replay window
SEEN_MAX = 10000               # and at most this many (memhook sends a few per minute)
HELD_MAX = 100                 # early events held at most; beyond, the oldest is applied
SECRET_PREFIX = "whsec_"


def log(msg):
    # One write(2) per line: the HTTP threads and the SIGUSR1 handler log concurrently, and print()
    # writes the text and the newline separately.
    os.write(1, f"receiver: {msg}\n".encode())


def parse_secrets(value):
    """The HMAC keys in MEMHOOK_SECRET (space-separated); raises ValueError on a bad whsec_ one."""
    keys = []
    for s in value.split():
        if s.startswith(SECRET_PREFIX):
            try:
                key = base64.b64decode(s[len(SECRET_PREFIX):], validate=True)
            except (binascii.Error, ValueError):
                raise ValueError(f"a {SECRET_PREFIX} secret is not valid base64") from None
        else:
            key = s.encode()
        if not key:
            raise ValueError("a secret is empty")
        keys.append(key)
    if not keys:
        raise ValueError("MEMHOOK_SECRET is not set")
    return keys


def verify_standard(keys, msg_id, timestamp, signatures, body, now):
    """None when one "v1,<sig>" in signatures is HMAC-SHA256(key, "{id}.{ts}.{body}") for one of the
    keys and timestamp is within 5 minutes of now; otherwise why not (the npm library's words)."""
    if not msg_id or not timestamp or not signatures:
        return "Missing required headers"
    try:
        ts = int(timestamp.strip())
    except ValueError:
        return "Invalid Signature Headers"
    if now - ts > TOLERANCE_S:
        return "Message timestamp too old"
    if ts > now + TOLERANCE_S:
        return "Message timestamp too new"
    signed = f"{msg_id}.{ts}.".encode() + body
    wants = [base64.b64encode(hmac.new(k, signed, hashlib.sha256).digest()) for k in keys]
    for entry in signatures.split(" "):
        version, _, sig = entry.partition(",")
        if version != "v1":
            continue
        for want in wants:
            if hmac.compare_digest(want, sig.encode()):
                return None
    return "No matching signature found"


def verify_legacy(keys, body, header):
    """True when header is "sha256=<hex HMAC-SHA256(key, body)>" for one of the keys."""
    if not header or not header.startswith("sha256="):
        return False
    got = header[len("sha256="):].strip().lower().encode()
    return any(hmac.compare_digest(hmac.new(k, body, hashlib.sha256).hexdigest().encode(), got)
               for k in keys)


class SeenIds:
    """The webhook-ids accepted in the last SEEN_TTL_S seconds (at most SEEN_MAX)."""

    def __init__(self):
        self.lock = threading.Lock()           # two deliveries of one id may race
        self.ids = collections.OrderedDict()   # id -> monotonic time first accepted

    def add_if_new(self, msg_id, now):
        """True when msg_id was not seen (it is remembered from now on)."""
        with self.lock:
            return self._add_if_new(msg_id, now)

    def _add_if_new(self, msg_id, now):
        while self.ids:
            oldest, t = next(iter(self.ids.items()))
            if now - t < SEEN_TTL_S and len(self.ids) < SEEN_MAX:
                break
            del self.ids[oldest]
        if msg_id in self.ids:
            return False
        self.ids[msg_id] = now
        return True


class Orderer:
    """Applies events in seq order per memhook instance; see the module's docstring."""

    def __init__(self, hold_s, apply):
        self.hold_s = hold_s
        self.apply = apply
        self.lock = threading.Lock()
        self.instance = None
        self.last = 0        # the last seq applied for self.instance
        self.held = {}       # seq -> (event, monotonic time it arrived)
        self.warned_no_instance = False

    def offer(self, ev, now):
        with self.lock:
            inst, seq = ev.get("instance"), ev.get("seq")
            if not isinstance(inst, str) or not isinstance(seq, int) or isinstance(seq, bool):
                if not self.warned_no_instance:
                    log("event without instance/seq (memhook before Standard Webhooks): "
                        "applied as it arrives, not ordered")
                    self.warned_no_instance = True
                self.apply(ev)
                return
            if inst != self.instance:
                # The first event of an instance starts its order: a receiver (re)started beside a
                # running memhook must not hold its first event, often the one that matters.
                if self.instance is not None:
                    self._drain(now, flush=True)
                    log(f"new memhook instance {inst} (was {self.instance}): seq order starts "
                        f"again at seq={seq}")
                else:
                    log(f"memhook instance {inst}: seq order starts at seq={seq}")
                self.instance, self.last, self.held = inst, seq - 1, {}
            if seq <= self.last or seq in self.held:
                log(f"late event seq={seq} ({ev.get('event')}) after seq {self.last} was applied: "
                    "not applied")
                return
            self.held[seq] = (ev, now)
            if seq != self.last + 1 and not ev.get("dropped_before") and self.hold_s > 0:
                log(f"held seq={seq}: waiting up to {int(self.hold_s * 1000)} ms for seq "
                    f"{self.last + 1}")
            self._drain(now)

    def tick(self, now):
        with self.lock:
            self._drain(now)

    def _drain(self, now, flush=False):
        while self.held:
            seq = min(self.held)
            ev, arrived = self.held[seq]
            dropped = ev.get("dropped_before") or 0
            if isinstance(dropped, int) and dropped > 0:
                log(f"memhook dropped {dropped} event(s) for this endpoint before seq={seq}: "
                    "gap accepted")
            elif seq != self.last + 1:
                if not (flush or now - arrived >= self.hold_s or len(self.held) > HELD_MAX):
                    return
                log(f"seq {self.last + 1}..{seq - 1} not received: applying seq={seq}")
            del self.held[seq]
            self.last = seq
            self.apply(ev)


class Cache:
    """A dict of byte strings standing for whatever the app caches."""

    def __init__(self, max_bytes):
        self.lock = threading.RLock()  # re-entered by the SIGUSR1 handler
        self.items = {}
        self.next_key = 0
        self.max_bytes = max_bytes
        self.filling = True   # False after a drop, until memhook says "normal" again

    def size(self):
        with self.lock:
            return sum(len(v) for v in self.items.values())

    def add(self, nbytes):
        with self.lock:
            if not self.filling:
                return
            have = sum(len(v) for v in self.items.values())
            while nbytes > 0 and have < self.max_bytes:
                n = min(CHUNK_BYTES, nbytes, self.max_bytes - have)
                # Distinct content so every page is really touched (not a shared zero page).
                self.items[self.next_key] = bytes([self.next_key % 251 + 1]) * n
                self.next_key += 1
                have += n
                nbytes -= n

    def drop(self):
        """Empties the cache and stops refilling; returns the bytes it held."""
        with self.lock:
            freed = sum(len(v) for v in self.items.values())
            self.items.clear()
            self.filling = False
        return freed

    def resume(self):
        with self.lock:
            self.filling = True


def shed(cache, why):
    freed = cache.drop()
    collected = gc.collect()
    log(f"{why}: dropped cache, freed {freed} bytes; gc collected {collected} objects")


def make_handler(keys, accept_legacy, seen, orderer):
    class Handler(BaseHTTPRequestHandler):
        server_version = "memhook-receiver/2"

        def log_message(self, fmt, *args):   # one line per event is ours to write
            pass

        def reply(self, code):
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self):
            self.reply(200 if self.path == "/healthz" else 404)

        def do_POST(self):
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                length = -1
            if length < 0 or length > MAX_BODY_BYTES:
                log(f"rejected: body length {self.headers.get('Content-Length')!r}")
                self.reply(413 if length > MAX_BODY_BYTES else 400)
                return
            body = self.rfile.read(length)
            msg_id = self.headers.get("webhook-id")
            std = [msg_id, self.headers.get("webhook-timestamp"),
                   self.headers.get("webhook-signature")]
            if accept_legacy and not any(std):
                if not verify_legacy(keys, body, self.headers.get("X-Memhook-Signature")):
                    log("rejected: bad or missing X-Memhook-Signature (401)")
                    self.reply(401)
                    return
            else:
                why = verify_standard(keys, *std, body, int(time.time()))
                if why:
                    log(f"rejected: {why} (401)")
                    self.reply(401)
                    return
            try:
                ev = json.loads(body)
                if not isinstance(ev, dict) or not isinstance(ev["event"], str):
                    raise TypeError
                int(ev.get("level", 0))
            except (ValueError, KeyError, TypeError):
                log("rejected: signed but not a memhook event (400)")
                self.reply(400)
                return
            now = time.monotonic()
            if msg_id and not seen.add_if_new(msg_id, now):
                log(f"duplicate webhook-id {msg_id} (seq={ev.get('seq')}): already handled")
                self.reply(204)
                return
            self.reply(204)
            orderer.offer(ev, now)

    return Handler


def handle_event(ev, cache):
    kind = ev["event"]
    level = int(ev.get("level", 0))
    name = ev.get("level_name") or "normal"
    sample = ev.get("sample") or {}
    what = (f"verified event={kind} level={level} ({name}) seq={ev.get('seq')} "
            f"usage={sample.get('usage_bytes')} limit={sample.get('limit_bytes')}")
    if kind == "entered" and level >= 1:
        shed(cache, what)
    elif kind == "normal" or (kind == "left" and level == 0):
        cache.resume()
        log(f"{what}: cache may fill again")
    else:
        log(f"{what}: noted")


def main():
    try:
        keys = parse_secrets(os.environ.get("MEMHOOK_SECRET", ""))
    except ValueError as e:
        log(f"{e}; refusing to accept unsigned webhooks")
        return 2
    accept_legacy = os.environ.get("ACCEPT_LEGACY_SIGNATURE", "0") == "1"
    port = int(os.environ.get("PORT", "8080"))
    host = os.environ.get("HOST", "127.0.0.1")
    mib = 1024 * 1024
    cache = Cache(int(float(os.environ.get("CACHE_MAX_MB", "64")) * mib))
    cache.add(int(float(os.environ.get("CACHE_MB", "16")) * mib))
    grow_bytes_per_s = int(float(os.environ.get("CACHE_GROW_MB_PER_S", "0")) * mib)
    hold_s = float(os.environ.get("ORDER_HOLD_MS", "1000")) / 1000
    orderer = Orderer(hold_s, lambda ev: handle_event(ev, cache))

    # memhook's "signal" action. Python runs the handler on the main thread between bytecodes.
    signal.signal(signal.SIGUSR1, lambda signo, frame: shed(cache, "signal SIGUSR1"))
    signal.signal(signal.SIGTERM, lambda signo, frame: sys.exit(0))

    server = ThreadingHTTPServer((host, port),
                                 make_handler(keys, accept_legacy, SeenIds(), orderer))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    if accept_legacy:
        log("ACCEPT_LEGACY_SIGNATURE=1: requests with only X-Memhook-Signature are accepted "
            "(no replay protection)")
    log(f"listening on {host}:{server.server_address[1]}; cache {cache.size()} bytes, "
        f"growing {grow_bytes_per_s} bytes/s")
    ticks = 0
    while True:
        time.sleep(0.05)    # held events are applied at most 50 ms after their deadline
        orderer.tick(time.monotonic())
        ticks += 1
        if grow_bytes_per_s and ticks % 2 == 0:
            cache.add(grow_bytes_per_s // 10)


if __name__ == "__main__":
    sys.exit(main())
