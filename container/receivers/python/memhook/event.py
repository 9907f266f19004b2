"""A memhook event and the handlers registered for it."""
import inspect

KINDS = ("entered", "left", "remaining", "normal", "limit_changed", "oom_kill",
         "target_lost", "target_found")
LEVELLED = ("entered", "left", "remaining", "limit_changed", "oom_kill")


class Event(dict):
    """The webhook body (or stream data) as a dict, with its fields as attributes too."""

    kind = property(lambda self: self.get("event"))
    level = property(lambda self: self.get("level"))
    level_name = property(lambda self: self.get("level_name"))
    previous_level = property(lambda self: self.get("previous_level"))
    previous_level_name = property(lambda self: self.get("previous_level_name"))
    seq = property(lambda self: self.get("seq"))
    instance = property(lambda self: self.get("instance"))
    dropped_before = property(lambda self: self.get("dropped_before") or 0)
    sample = property(lambda self: self.get("sample"))

    @property
    def severity(self):
        """The level this event is about: the one left for "left", else "level"; None for the
        kinds without one (normal, target_lost, target_found)."""
        if self.kind not in LEVELLED:
            return None
        return self.get("previous_level") if self.kind == "left" else self.get("level")

    @property
    def severity_name(self):
        if self.kind not in LEVELLED:
            return None
        return self.get("previous_level_name") if self.kind == "left" else self.get("level_name")

    def words(self):
        """"entered 2", "left 2", "normal", "target_lost": what the event means for a handler."""
        sev = self.severity
        return self.kind if sev is None else f"{self.kind} {sev}"


def _wants_event(fun):
    """True when fun has a required positional parameter (it gets the event); False when it can
    be called with none, as Satella calls its handlers (gc.collect among them)."""
    try:
        sig = inspect.signature(fun)
    except (TypeError, ValueError):   # some builtins have no signature: call them bare
        return False
    for p in sig.parameters.values():
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty:
            return True
        if p.kind == p.VAR_POSITIONAL:
            return False
    return False


class Registration:
    """A registered handler. Callable like the function it wraps (what the decorators return, like
    Satella's CancellableCallback); cancel() unregisters it."""

    def __init__(self, kind, level, fun, call_no_more_often_than=0):
        if kind not in KINDS:
            raise ValueError(f"unknown event kind {kind!r} (one of {', '.join(KINDS)})")
        if level is not None and (isinstance(level, bool) or not isinstance(level, (int, str))):
            raise TypeError("a level is a number or a name")
        if kind not in LEVELLED and level is not None:
            raise ValueError(f"{kind} events have no level")
        if not callable(fun):
            raise TypeError("a handler must be callable")
        self.kind, self.level, self.fun = kind, level, fun
        self.interval_s = float(call_no_more_often_than or 0)
        self.last_called = None
        self.cancelled = False
        self.wants_event = _wants_event(fun)
        self.name = getattr(fun, "__qualname__", None) or repr(fun)

    def matches(self, ev):
        if self.cancelled or ev.kind != self.kind:
            return False
        if self.level is None:
            return True
        if isinstance(self.level, str):
            return ev.severity_name == self.level
        return ev.severity == self.level

    def due(self, now):
        """True when call_no_more_often_than lets it run at now (then its time is taken)."""
        if self.interval_s > 0 and self.last_called is not None and \
                now - self.last_called < self.interval_s:
            return False
        self.last_called = now
        return True

    def invoke(self, ev):
        return self.fun(ev) if self.wants_event else self.fun()

    def __call__(self, *args, **kwargs):
        return self.fun(*args, **kwargs)

    def __bool__(self):
        return not self.cancelled

    def cancel(self):
        self.cancelled = True

    def __repr__(self):
        lvl = "" if self.level is None else f" {self.level!r}"
        return f"<memhook handler {self.name} on {self.kind}{lvl}>"
