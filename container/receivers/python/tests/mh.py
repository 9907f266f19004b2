"""Shared by the tests: signed deliveries of memhook events, a clock to move by hand."""
import json
import threading

from memhook import parse_secrets, sign

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
INSTANCE = "9f2c41d07ab3e615"
NOW = 1764105060
NAMES = {0: "normal", 1: "elevated", 2: "high", 3: "critical"}


class Clock:
    def __init__(self, t=NOW):
        self.t = float(t)

    def __call__(self):
        return self.t


def event(kind, seq, level=0, previous_level=0, instance=INSTANCE, **extra):
    ev = {"event": kind, "level": level, "level_name": NAMES.get(level),
          "previous_level": previous_level, "previous_level_name": NAMES.get(previous_level),
          "seq": seq, "instance": instance, "timestamp": "2026-11-25T21:11:00.123Z",
          "target": {"cgroup": "/sys/fs/cgroup/app", "pid": 1234}, "sample": None,
          "hostname": "web-0", "memhook_version": "0.1.0"}
    ev.update(extra)
    return ev


def climb(n, first_seq=1, instance=INSTANCE):
    """memhook's events from 0 up to n and back: entered 1..n, left n..1, normal."""
    evs, seq = [], first_seq
    for lvl in range(1, n + 1):
        evs.append(event("entered", seq, lvl, lvl - 1, instance))
        seq += 1
    for lvl in range(n, 0, -1):
        evs.append(event("left", seq, lvl - 1, lvl, instance))
        seq += 1
    evs.append(event("normal", seq, 0, 1, instance))
    return evs


def signed(ev, secret=SECRET, ts=NOW, msg_id=None):
    """(headers, body) as memhook sends ev."""
    body = ev if isinstance(ev, bytes) else json.dumps(ev).encode()
    if msg_id is None:
        msg_id = f"msg_{INSTANCE}_{ev['seq'] if isinstance(ev, dict) else 0}_0a1b2c3d"
    key = parse_secrets([secret])[0]
    return ({"webhook-id": msg_id, "webhook-timestamp": str(ts),
             "webhook-signature": sign(key, msg_id, ts, body),
             "content-type": "application/json"}, body)


class Recorder:
    """A handler that records ev.words() and wakes waiters."""

    def __init__(self):
        self.calls = []
        self.cond = threading.Condition()

    def __call__(self, ev):
        with self.cond:
            self.calls.append(ev.words())
            self.cond.notify_all()

    def wait_for(self, n, timeout_s=5):
        with self.cond:
            return self.cond.wait_for(lambda: len(self.calls) >= n, timeout_s)


def record_all(rx):
    rec = Recorder()
    from memhook import KINDS
    for kind in KINDS:
        rx.on(kind)(rec)
    return rec
