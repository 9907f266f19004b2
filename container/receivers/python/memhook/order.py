"""Deduplication by webhook-id and seq order per memhook instance."""
import collections
import logging
import threading

log = logging.getLogger("memhook")

SEEN_TTL_S = 10 * 60   # ids are remembered twice the 5-minute timestamp window
SEEN_MAX = 10000       # and at most this many (memhook sends a few events a minute)
HELD_MAX = 100         # early events held at most; beyond, the oldest is applied


class SeenIds:
    """The webhook-ids accepted in the last SEEN_TTL_S seconds (at most SEEN_MAX)."""

    def __init__(self):
        self._lock = threading.Lock()             # two deliveries of one id may race
        self._ids = collections.OrderedDict()     # id -> time first accepted

    def add_if_new(self, msg_id, now):
        """True when msg_id was not seen (it is remembered from now on)."""
        with self._lock:
            while self._ids:
                oldest, t = next(iter(self._ids.items()))
                if now - t < SEEN_TTL_S and len(self._ids) < SEEN_MAX:
                    break
                del self._ids[oldest]
            if msg_id in self._ids:
                return False
            self._ids[msg_id] = now
            return True

    def forget(self, msg_id):
        """Forgets msg_id (its event was not taken after all: a retry must be applied)."""
        with self._lock:
            self._ids.pop(msg_id, None)


class Gap:
    """Events memhook told it lost before this one: dropped_before on a webhook, or an `event: lost`
    on the stream (seq is None then: the loss comes before the next event read)."""

    __slots__ = ("instance", "seq", "dropped_before")

    def __init__(self, instance, seq, dropped_before):
        self.instance, self.seq, self.dropped_before = instance, seq, dropped_before

    def __repr__(self):
        return (f"Gap(instance={self.instance!r}, seq={self.seq!r}, "
                f"dropped_before={self.dropped_before!r})")

    def __eq__(self, other):
        return isinstance(other, Gap) and (self.instance, self.seq, self.dropped_before) == (
            other.instance, other.seq, other.dropped_before)


class Orderer:
    """Applies events in seq order per memhook instance.

    The first event of an instance starts its order and is applied at once (a receiver restarted
    beside a running memhook cannot know where memhook's count is). The next seq is applied at
    once. An early one waits up to hold_s for the missing ones, then is applied and the gap logged.
    One with dropped_before is applied at once and the loss reported (memhook says it will never
    send the missing ones). One at or below the last applied is late: not applied. A new instance
    (memhook restarted) starts the order again. apply(ev) and on_gap(gap) are called under the
    lock, in order; they must not block."""

    def __init__(self, hold_s, apply, on_gap=None):
        self.hold_s = hold_s
        self._apply = apply
        self._on_gap = on_gap
        self._lock = threading.Lock()
        self.instance = None
        self.last = 0          # the last seq applied for self.instance
        self._held = {}        # seq -> (event, time it arrived)
        self._warned_no_instance = False

    def offer(self, ev, now):
        """"accept" (applied now or held) or "late" (not applied)."""
        with self._lock:
            self._drain(now)   # what a ticker would have released by now goes first
            inst, seq = ev.get("instance"), ev.get("seq")
            if not isinstance(inst, str) or not isinstance(seq, int) or isinstance(seq, bool):
                if not self._warned_no_instance:
                    log.warning("event without instance/seq: applied as it arrives, not ordered")
                    self._warned_no_instance = True
                self._apply(ev)
                return "accept"
            if inst != self.instance:
                if self.instance is not None:
                    self._drain(now, flush=True)
                    log.info("new memhook instance %s (was %s): seq order starts again at seq=%d",
                             inst, self.instance, seq)
                else:
                    log.info("memhook instance %s: seq order starts at seq=%d", inst, seq)
                self.instance, self.last, self._held = inst, seq - 1, {}
            if seq <= self.last or seq in self._held:
                log.info("late event seq=%d (%s) after seq %d was applied: not applied",
                         seq, ev.get("event"), self.last)
                return "late"
            self._held[seq] = (ev, now)
            if seq != self.last + 1 and not ev.get("dropped_before") and self.hold_s > 0:
                log.info("held seq=%d: waiting up to %d ms for seq %d",
                         seq, int(self.hold_s * 1000), self.last + 1)
            self._drain(now)
            return "accept"

    def tick(self, now):
        """Applies the held events whose wait is over; True while some are still held."""
        with self._lock:
            self._drain(now)
            return bool(self._held)

    def held(self):
        with self._lock:
            return len(self._held)

    def _drain(self, now, flush=False):
        while self._held:
            seq = min(self._held)
            ev, arrived = self._held[seq]
            dropped = ev.get("dropped_before") or 0
            if isinstance(dropped, int) and not isinstance(dropped, bool) and dropped > 0:
                log.warning("memhook dropped %d event(s) for this endpoint before seq=%d: "
                            "gap accepted", dropped, seq)
                if self._on_gap:
                    self._on_gap(Gap(self.instance, seq, dropped))
            elif seq != self.last + 1:
                if not (flush or now - arrived >= self.hold_s or len(self._held) > HELD_MAX):
                    return
                log.warning("seq %d..%d not received: applying seq=%d", self.last + 1, seq - 1,
                            seq)
            del self._held[seq]
            self.last = seq
            self._apply(ev)
