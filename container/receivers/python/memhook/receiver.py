"""Receiver: memhook's events, verified, deduplicated and ordered, to handlers named as Satella
names them."""
import json
import logging
import threading
import time
import weakref

from . import helpers
from .dispatch import Dispatcher
from .event import KINDS, Event, Registration
from .order import Orderer, SeenIds
from .verify import parse_secrets, verify

log = logging.getLogger("memhook")

MAX_BODY_BYTES = 64 * 1024   # memhook's payload is well under 2 KiB
TICK_S = 0.05                # a held event is applied at most this long after its wait is over


class Result:
    """What a delivery came to: the HTTP status to answer, and why."""

    __slots__ = ("status", "outcome", "reason")

    def __init__(self, status, outcome, reason=""):
        # outcome: accept, duplicate, late, reject, busy
        self.status, self.outcome, self.reason = status, outcome, reason

    def __repr__(self):
        return f"Result({self.status}, {self.outcome!r}, {self.reason!r})"


def _parse_event(body):
    """The Event in body, or None when it is no memhook event."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("event"), str):
        return None
    for key in ("level", "previous_level", "seq"):
        v = data.get(key)
        if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 0):
            return None
    return Event(data)


class Receiver:
    """secrets: the secrets memhook signs with (several while keys rotate; a string of
    space-separated ones also works); hold_ms: how long an early event waits for a missing seq;
    queue_size: events waiting for their handlers (a webhook beyond is answered 503 and memhook
    retries it); handler_timeout_s: the time limit of one handler call; clock: Unix seconds, for
    tests (it then also measures the hold and call_no_more_often_than)."""

    def __init__(self, secrets=None, *, hold_ms=1000, queue_size=64, handler_timeout_s=10.0,
                 clock=None):
        self._keys = parse_secrets(secrets) if secrets is not None else []
        self._wall = clock or time.time
        self._mono = clock or time.monotonic
        self._hold_s = hold_ms / 1000
        self._regs = []
        self._regs_lock = threading.Lock()
        self._gap_handlers = []
        self._seen = SeenIds()
        self._orderer = Orderer(self._hold_s, self._apply, self._gap)
        self._dispatcher = Dispatcher(self._matching, self._mono, queue_size, handler_timeout_s)
        self._ticker = None
        self._closed = threading.Event()
        self._subscriptions = []

    # ---- registration: Satella's names ----

    def register_on_entered_severity(self, severity, fun=None):
        """Decorator (or give fun): fun runs on entering severity (a number, or a level name)."""
        return self._now_or_decorator("entered", severity, fun)

    def register_on_left_severity(self, severity, fun=None):
        """Decorator (or give fun): fun runs on leaving severity (to the level below)."""
        return self._now_or_decorator("left", severity, fun)

    def register_on_remaining_in_severity(self, severity, call_no_more_often_than=0, fun=None):
        """Decorator (or give fun): fun runs on memhook's remaining events for severity, at most
        once per call_no_more_often_than seconds."""
        if callable(call_no_more_often_than):          # (severity, fun)
            call_no_more_often_than, fun = 0, call_no_more_often_than
        return self._now_or_decorator("remaining", severity, fun, call_no_more_often_than)

    def register_on_memory_normal(self, fun):
        """fun runs when memhook is back at level 0 (its normal event)."""
        return self._register("normal", None, fun)

    def cleanup_on_entered(self, target_level, obj, collector=lambda y: y.cleanup()):
        """On entering target_level, collector(obj) runs while obj lives (a weak reference)."""
        ref = weakref.ref(obj)

        def cleanup():
            o = ref()
            if o is not None:
                collector(o)
        cleanup.__qualname__ = f"cleanup_on_entered({type(obj).__name__})"
        return self._register("entered", target_level, cleanup)

    def install_force_gc_collect(self, severity_level=1):
        """On entering severity_level: gc.collect(), then glibc's malloc_trim(0)."""
        return self._register("entered", severity_level, helpers.collect_and_trim)

    def bridge_satella(self, manager=None, stop_polling=True):
        """The callbacks registered on Satella's MemoryPressureManager fire on this receiver's
        events (see memhook.satella)."""
        from .satella import bridge
        return bridge(self, manager, stop_polling)

    # ---- registration: by kind, level number or name ----

    def on(self, kind, level=None, call_no_more_often_than=0):
        """Decorator for any kind (entered, left, remaining, normal, limit_changed, oom_kill,
        target_lost, target_found); level None is every level."""
        Registration(kind, level, print, call_no_more_often_than)   # raises on a bad kind/level
        return lambda fun: self._register(kind, level, fun, call_no_more_often_than)

    def on_entered(self, level=None):
        return self._decorate("entered", level)

    def on_left(self, level=None):
        return self._decorate("left", level)

    def on_remaining(self, level=None, call_no_more_often_than=0):
        if callable(level):
            return self._register("remaining", None, level, call_no_more_often_than)
        return self.on("remaining", level, call_no_more_often_than)

    def on_limit_changed(self, level=None):
        return self._decorate("limit_changed", level)

    def on_oom_kill(self, level=None):
        return self._decorate("oom_kill", level)

    def on_normal(self, fun=None):
        return self._decorate("normal", fun)

    def on_target_lost(self, fun=None):
        return self._decorate("target_lost", fun)

    def on_target_found(self, fun=None):
        return self._decorate("target_found", fun)

    def on_gap(self, fun):
        """fun(gap) when memhook says it lost events (a Gap: instance, seq, dropped_before). Called
        on the thread that received the event: keep it short."""
        self._gap_handlers.append(fun)
        return fun

    def _now_or_decorator(self, kind, level, fun, call_no_more_often_than=0):
        if fun is not None:
            return self._register(kind, level, fun, call_no_more_often_than)
        return self.on(kind, level, call_no_more_often_than)

    def _decorate(self, kind, level_or_fun):
        # @rx.on_entered, @rx.on_entered(), @rx.on_entered(2), @rx.on_entered("high")
        if callable(level_or_fun):
            return self._register(kind, None, level_or_fun)
        return self.on(kind, level_or_fun)

    def _register(self, kind, level, fun, call_no_more_often_than=0):
        reg = Registration(kind, level, fun, call_no_more_often_than)
        with self._regs_lock:
            self._regs.append(reg)
        return reg

    def _matching(self, ev):
        with self._regs_lock:
            self._regs = [r for r in self._regs if not r.cancelled]
            return [r for r in self._regs if r.matches(ev)]

    # ---- the core: one delivery ----

    def deliver(self, headers, body):
        """Verifies, deduplicates and orders one webhook (headers: a mapping or (name, value)
        pairs, names in any case; body: the raw bytes). Returns a Result whose status to answer."""
        if isinstance(body, str):
            body = body.encode()
        h = {}
        for name, value in (headers.items() if hasattr(headers, "items") else headers):
            if isinstance(name, bytes):
                name, value = name.decode("latin-1"), value.decode("latin-1")
            h[name.lower()] = value
        if not self._keys:
            log.error("rejected: no secret configured (401)")
            return Result(401, "reject", "no secret configured")
        msg_id = h.get("webhook-id")
        why = verify(self._keys, msg_id, h.get("webhook-timestamp"),
                     h.get("webhook-signature"), body, int(self._wall()))
        if why:
            log.warning("rejected: %s (401)", why)
            return Result(401, "reject", why)
        ev = _parse_event(body)
        if ev is None:
            log.warning("rejected: signed but not a memhook event (400)")
            return Result(400, "reject", "not a memhook event")
        if self._dispatcher.full():
            log.warning("busy: %d events wait for their handlers: 503, memhook retries seq=%s",
                        self._dispatcher._size, ev.seq)
            return Result(503, "busy", "handler queue full")
        now = self._mono()
        if not self._seen.add_if_new(msg_id, now):
            log.info("duplicate webhook-id %s (seq=%s): already handled", msg_id, ev.seq)
            return Result(204, "duplicate")
        outcome = self._orderer.offer(ev, now)
        if self._orderer.held():
            self._start_ticker()
        return Result(204, outcome)

    def offer(self, ev):
        """Orders one event that needs no verification (read from memhook's stream)."""
        outcome = self._orderer.offer(ev, self._mono())
        if self._orderer.held():
            self._start_ticker()
        return outcome

    def tick(self):
        """Applies held events whose wait is over (a background thread does it every 50 ms)."""
        return self._orderer.tick(self._mono())

    def join(self, timeout_s=None):
        """True once every applied event's handlers have run (or overrun) (within timeout_s)."""
        return self._dispatcher.join(timeout_s)

    def close(self):
        """Stops the background threads and subscriptions (handlers still running are left to
        finish)."""
        self._closed.set()
        for sub in self._subscriptions:
            sub.close()
        self._dispatcher.close()

    def _apply(self, ev):
        if not self._dispatcher.submit(ev):
            log.error("dropped %s seq=%s: %d events wait for their handlers", ev.words(),
                      ev.seq, self._dispatcher._size)

    def _gap(self, gap):
        for fun in self._gap_handlers:
            try:
                fun(gap)
            except Exception:
                log.exception("gap handler %r raised", fun)

    def _start_ticker(self):
        with self._regs_lock:
            if self._ticker is not None:
                return
            self._ticker = threading.Thread(target=self._tick_loop, name="memhook-order",
                                            daemon=True)
        self._ticker.start()

    def _tick_loop(self):
        while not self._closed.wait(TICK_S):
            self.tick()

    # ---- transports ----

    def wsgi_app(self, environ, start_response):
        """A WSGI application: POST a webhook (any path), GET /healthz."""
        from .transport import wsgi
        return wsgi(self, environ, start_response)

    async def asgi_app(self, scope, receive, send):
        """An ASGI application: POST a webhook (any path), GET /healthz."""
        from .transport import asgi
        await asgi(self, scope, receive, send)

    def serve(self, host="127.0.0.1", port=8080):
        """Serves webhooks on host:port from a thread; returns the server (server.port is the port
        bound, server.shutdown() stops it)."""
        from .transport import serve
        return serve(self, host, port)

    def subscribe(self, url, *, retry_s=1.0, read_timeout_s=45.0, headers=None):
        """Reads memhook's /events stream at url from a thread, reconnecting with Last-Event-ID;
        returns the Subscription (wait_connected(), close())."""
        from .stream import Subscription
        sub = Subscription(self, url, retry_s=retry_s, read_timeout_s=read_timeout_s,
                           headers=headers)
        self._subscriptions.append(sub)
        return sub.start()


__all__ = ["Receiver", "Result", "KINDS"]
