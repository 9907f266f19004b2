"""Runs handlers off the request thread: a bounded queue of events, one event at a time, its
handlers in the order they were registered, each within a time limit."""
import collections
import logging
import queue
import threading

log = logging.getLogger("memhook")

MAX_STUCK = 8   # handler threads left running past their limit; beyond, handlers are skipped


class _Worker:
    """One thread that runs one call at a time; abandoned when a call overruns its limit."""

    def __init__(self):
        self._calls = queue.SimpleQueue()
        self.running = threading.Event()   # set while a call is in progress
        self.thread = threading.Thread(target=self._run, name="memhook-handler", daemon=True)
        self.thread.start()

    def _run(self):
        while True:
            item = self._calls.get()
            if item is None:
                return
            fun, done = item
            try:
                fun()
            finally:
                self.running.clear()
                done.set()

    def call(self, fun, timeout_s):
        """True when fun returned (or raised) within timeout_s."""
        done = threading.Event()
        self.running.set()
        self._calls.put((fun, done))
        return done.wait(timeout_s)

    def stop(self):
        self._calls.put(None)


class Dispatcher:
    """Events wait in a queue of queue_size; handlers(ev) gives the registrations to run for one;
    clock() is the time call_no_more_often_than counts in."""

    def __init__(self, handlers, clock, queue_size=64, handler_timeout_s=10.0):
        if queue_size < 1:
            raise ValueError("queue_size must be at least 1")
        self._handlers = handlers
        self._clock = clock
        self.handler_timeout_s = handler_timeout_s
        self._queue = collections.deque()
        self._size = queue_size
        self._cond = threading.Condition()
        self._busy = False         # an event taken from the queue is being handled
        self._closed = False
        self._thread = None
        self._worker = None
        self._stuck = []           # workers abandoned past their limit
        self.dropped = 0           # events not queued because the queue was full

    def full(self):
        with self._cond:
            return len(self._queue) >= self._size

    def wait_room(self, timeout_s=None):
        """True once the queue has room (within timeout_s)."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self._queue) < self._size or self._closed,
                                       timeout_s)

    def submit(self, ev, block=False, timeout_s=None):
        """Queues ev; False (and ev is not queued) when the queue stays full."""
        with self._cond:
            if block:
                self._cond.wait_for(lambda: len(self._queue) < self._size or self._closed,
                                    timeout_s)
            if self._closed or len(self._queue) >= self._size:
                self.dropped += 1
                return False
            self._queue.append(ev)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="memhook-dispatch",
                                                daemon=True)
                self._thread.start()
            self._cond.notify_all()
            return True

    def join(self, timeout_s=None):
        """True once every queued event has been handled (within timeout_s)."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._queue and not self._busy, timeout_s)

    def close(self):
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._worker:
            self._worker.stop()

    def _run(self):
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._queue or self._closed)
                if self._closed and not self._queue:
                    return
                ev = self._queue.popleft()
                self._busy = True
                self._cond.notify_all()       # room in the queue
            try:
                self._handle(ev)
            except Exception:                 # never lose the dispatcher
                log.exception("dispatching %s failed", ev.words())
            with self._cond:
                self._busy = False
                self._cond.notify_all()

    def _handle(self, ev):
        now = self._clock()
        for reg in self._handlers(ev):
            if not reg.due(now):
                continue
            self._stuck = [w for w in self._stuck if w.running.is_set()]
            if len(self._stuck) >= MAX_STUCK:
                log.error("handler %s skipped for %s: %d handlers are still running past their "
                          "limit", reg.name, ev.words(), len(self._stuck))
                continue
            if self._worker is None:
                self._worker = _Worker()
            if not self._worker.call(lambda reg=reg: self._invoke(reg, ev),
                                     self.handler_timeout_s):
                log.error("handler %s on %s still running after %g s: left running, the next "
                          "handlers go on", reg.name, ev.words(), self.handler_timeout_s)
                self._stuck.append(self._worker)
                self._worker.stop()           # it ends once the call returns
                self._worker = None

    @staticmethod
    def _invoke(reg, ev):
        try:
            reg.invoke(ev)
        except BaseException:   # SystemExit too: a handler never ends the receiver
            log.exception("handler %s on %s raised", reg.name, ev.words())
