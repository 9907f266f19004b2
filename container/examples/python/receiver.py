#!/usr/bin/env python3
"""A memhook webhook receiver that lives inside the app (Python standard library only).

It keeps an in-memory cache (the thing a real app would shed under pressure), verifies each
webhook's X-Memhook-Signature (HMAC-SHA256 of the raw body), and on every event does something
real: on "entered" of level >= 1 it drops the cache and forces a garbage collection, reporting the
bytes freed; on "normal" it lets the cache fill again. SIGUSR1 (memhook's "signal" action) drops
the cache too. One log line per event on stdout.

Environment:
  PORT                  listen port (default 8080; 0 picks a free one, logged)
  HOST                  listen address (default 127.0.0.1: memhook shares the pod's network)
  MEMHOOK_SECRET        the HMAC secret memhook signs with (required; requests are refused without)
  CACHE_MB              cache size filled at start (default 16)
  CACHE_GROW_MB_PER_S   the cache keeps filling at this rate, like a real cache (default 0)
  CACHE_MAX_MB          the cache never grows beyond this (default 64)

Replies: 204 handled, 400 bad JSON, 401 bad or missing signature, 404 other paths,
413 body over 64 KiB. GET /healthz answers 200.
"""
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

MAX_BODY_BYTES = 64 * 1024   # memhook's payload is well under 2 KiB
CHUNK_BYTES = 1024 * 1024    # the cache holds 1 MiB values


def log(msg):
    # One write(2) per line: the HTTP threads and the SIGUSR1 handler log concurrently, and print()
    # writes the text and the newline separately.
    os.write(1, f"receiver: {msg}\n".encode())


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


def verify(secret, body, header):
    """True when header is "sha256=<hex HMAC-SHA256(secret, body)>" (compared in constant time)."""
    if not header or not header.startswith("sha256="):
        return False
    want = hmac.new(secret, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(want.encode(), header[len("sha256="):].strip().lower().encode())


def make_handler(secret, cache):
    class Handler(BaseHTTPRequestHandler):
        server_version = "memhook-receiver/1"

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
            if not verify(secret, body, self.headers.get("X-Memhook-Signature")):
                log("rejected: bad or missing X-Memhook-Signature (401)")
                self.reply(401)
                return
            try:
                ev = json.loads(body)
                kind = ev["event"]
                level = int(ev.get("level", 0))
            except (ValueError, KeyError, TypeError):
                log("rejected: signed but not a memhook event (400)")
                self.reply(400)
                return
            self.reply(204)
            handle_event(ev, kind, level, cache)

    return Handler


def handle_event(ev, kind, level, cache):
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
    secret = os.environ.get("MEMHOOK_SECRET", "")
    if not secret:
        log("MEMHOOK_SECRET is not set; refusing to accept unsigned webhooks")
        return 2
    port = int(os.environ.get("PORT", "8080"))
    host = os.environ.get("HOST", "127.0.0.1")
    mib = 1024 * 1024
    cache = Cache(int(float(os.environ.get("CACHE_MAX_MB", "64")) * mib))
    cache.add(int(float(os.environ.get("CACHE_MB", "16")) * mib))
    grow_bytes_per_s = int(float(os.environ.get("CACHE_GROW_MB_PER_S", "0")) * mib)

    # memhook's "signal" action. Python runs the handler on the main thread between bytecodes.
    signal.signal(signal.SIGUSR1, lambda signo, frame: shed(cache, "signal SIGUSR1"))
    signal.signal(signal.SIGTERM, lambda signo, frame: sys.exit(0))

    server = ThreadingHTTPServer((host, port), make_handler(secret.encode(), cache))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    log(f"listening on {host}:{server.server_address[1]}; cache {cache.size()} bytes, "
        f"growing {grow_bytes_per_s} bytes/s")
    while True:
        time.sleep(0.1)
        if grow_bytes_per_s:
            cache.add(grow_bytes_per_s // 10)


if __name__ == "__main__":
    sys.exit(main())
