"""The Satella bridge: the callbacks an app registered on Satella's MemoryPressureManager fire on
memhook's events, unchanged, in the order Satella fires them.

Satella's manager (satella.instrumentation.memory, a singleton thread) keeps, per severity level,
CallableGroups of CancellableCallbacks: callbacks_on_entered[level], callbacks_on_left[level],
callbacks_on_remains[level] (each wrapped in CallNoOftenThan), callbacks_on_memory_normal, and
objects_to_cleanup_on_entered[level] ((weakref, collector) pairs); advance_to_severity_level()
steps one level at a time: entered(l) then l's cleanups going up, left(l) going down and
memory_normal on reaching 0. The bridge steps the same way from memhook's events, so Satella's own
psutil polling is stopped (manager.stop(), Satella's switch; its thread then does nothing).

Differences from calling Satella's groups directly, on purpose: a callback that raises is logged
and the next ones still run (a CallableGroup that raises loses the callbacks after the raising one
for good, and the exception would end Satella's thread); levels above the manager's top are its
top level (memhook's policy may have more levels than the app's list)."""
import logging

log = logging.getLogger("memhook")


class Bridge:
    def __init__(self, rx, manager, stop_polling=True):
        self.manager = manager
        if stop_polling:
            manager.stop()
        self.top = len(manager.severity_levels) - 1
        self._warned_top = False
        self.registrations = [rx.on(kind)(self._handler(kind)) for kind in
                              ("entered", "left", "remaining", "normal")]

    def _handler(self, kind):
        def handle(ev):
            self.apply(ev)
        handle.__qualname__ = f"satella bridge ({kind})"
        return handle

    def cancel(self):
        for reg in self.registrations:
            reg.cancel()

    def _clamp(self, level):
        if level > self.top:
            if not self._warned_top:
                log.warning("satella: memhook level %d is above the manager's top level %d: "
                            "taken as %d", level, self.top, self.top)
                self._warned_top = True
            return self.top
        return level

    def apply(self, ev):
        """Fires Satella's callbacks for one memhook event."""
        m = self.manager
        kind = ev.kind
        if kind == "normal":
            target = 0
        elif kind in ("entered", "left", "remaining") and isinstance(ev.level, int):
            target = self._clamp(ev.level)
        else:
            return
        if kind == "remaining" and m.severity_level == target:
            # Satella: remaining fires only on a check without a transition
            self._fire(m.callbacks_on_remains[target], f"remaining {target}")
            return
        self.advance(target)

    def advance(self, target):
        """Satella's advance_to_severity_level(target), each callback guarded."""
        m = self.manager
        while m.severity_level != target:
            if target > m.severity_level:
                m.severity_level += 1
                lvl = m.severity_level
                self._fire(m.callbacks_on_entered[lvl], f"entered {lvl}")
                kept = []
                for ref, collector in m.objects_to_cleanup_on_entered[lvl]:
                    obj = ref()
                    if obj is not None:
                        self._call(lambda: collector(obj), f"cleanup on entered {lvl}")
                        kept.append((ref, collector))
                m.objects_to_cleanup_on_entered[lvl] = kept
                if m.log_transitions:
                    log.info("satella: entered severity level %d", lvl)
            else:
                lvl = m.severity_level
                self._fire(m.callbacks_on_left[lvl], f"left {lvl}")
                if m.log_transitions:
                    log.info("satella: left severity level %d", lvl)
                m.severity_level -= 1
                if m.severity_level == 0:
                    self._fire(m.callbacks_on_memory_normal, "memory normal")

    def _fire(self, group, what):
        """Calls a CallableGroup's callbacks in their order, as the group would (cancelled ones
        are removed, one-shot ones removed once called), each guarded."""
        for cb, one_shot in list(group.callables.items()):
            if not cb:    # a cancelled CancellableCallback
                group.callables.pop(cb, None)
                continue
            self._call(cb, what)
            if one_shot:
                group.callables.pop(cb, None)

    @staticmethod
    def _call(fun, what):
        try:
            fun()
        except Exception:
            log.exception("satella callback %r on %s raised", fun, what)


def bridge(rx, manager=None, stop_polling=True):
    """Fires the callbacks registered on Satella's MemoryPressureManager (manager, or the
    singleton MemoryPressureManager() when None) on rx's events; returns the Bridge (cancel()
    undoes it). Stops Satella's own polling unless stop_polling is False."""
    if manager is None:
        from satella.instrumentation.memory import MemoryPressureManager
        manager = MemoryPressureManager()
    return Bridge(rx, manager, stop_polling)
