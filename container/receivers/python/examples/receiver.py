#!/usr/bin/env python3
"""The memhook receiver library's quickstart: one handler per event kind, each printing what it was
called for (`call entered 1 high`).

Environment: MEMHOOK_SECRET (secrets, space-separated), PORT (8080; 0: a free one), HOST
(127.0.0.1), or SUBSCRIBE_URL to read memhook's /events stream instead of serving; ORDER_HOLD_MS
(1000)."""
import logging
import os
import signal
import sys
import threading

from memhook import KINDS, Receiver


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main():
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="receiver: %(levelname)s %(message)s")
    secrets = os.environ.get("MEMHOOK_SECRET") or None
    url = os.environ.get("SUBSCRIBE_URL")
    if not secrets and not url:
        print("receiver: MEMHOOK_SECRET is not set; refusing to accept unsigned webhooks",
              file=sys.stderr)
        return 2
    try:
        rx = Receiver(secrets, hold_ms=int(os.environ.get("ORDER_HOLD_MS", "1000")))
    except ValueError as e:
        print(f"receiver: {e}", file=sys.stderr)
        return 2

    def report(ev):
        name = ev.severity_name
        say(f"call {ev.words()}" + (f" {name}" if name else ""))

    for kind in KINDS:
        rx.on(kind)(report)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if url:
        sub = rx.subscribe(url)
        while not sub.wait_connected(0.1):
            if stop.is_set():
                return 0
        say(f"subscribed to {url}")
        stop.wait()
        sub.close()
    else:
        server = rx.serve(os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "8080")))
        say(f"listening on {server.port}")
        stop.wait()
        server.shutdown()
    rx.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
