"""The Satella bridge against the real Satella (test.sh unpacks it onto PYTHONPATH): callbacks
registered the Satella way fire on memhook's events, in Satella's order."""
import threading
import unittest

import memhook.satella
from memhook import Receiver
from mh import SECRET, Clock, climb, event, signed

# Not found is a failure, never a skip: test.sh puts Satella on PYTHONPATH.
from satella.instrumentation.memory import (CustomCondition, MemoryPressureManager,
                                            install_force_gc_collect)

LEVELS = 3
over = threading.Event()      # what Satella's own conditions say: set = every level holds
mpm = None


def setUpModule():
    global mpm
    # The singleton the app made at its start; its thread polls these conditions every 50 ms.
    mpm = MemoryPressureManager(severity_levels=[CustomCondition(over.is_set)] * LEVELS,
                                check_interval=0.05)


class SatellaBridgeTest(unittest.TestCase):
    def setUp(self):
        over.clear()
        for groups in (mpm.callbacks_on_entered, mpm.callbacks_on_left,
                       mpm.callbacks_on_remains):
            for g in groups:
                g.callables.clear()
        mpm.callbacks_on_memory_normal.callables.clear()
        mpm.objects_to_cleanup_on_entered = [[] for _ in range(LEVELS + 1)]
        mpm.severity_level = 0
        self.clock = Clock()
        self.rx = Receiver([SECRET], clock=self.clock)
        self.got = []

    def tearDown(self):
        self.rx.close()

    def send(self, *evs):
        for ev in evs:
            self.assertEqual(self.rx.deliver(*signed(ev, ts=int(self.clock.t))).status, 204)
        self.assertTrue(self.rx.join(5))

    def register_the_satella_way(self):
        got = self.got
        for lvl in range(1, LEVELS + 1):
            MemoryPressureManager.register_on_entered_severity(lvl)(
                lambda lvl=lvl: got.append(f"entered {lvl}"))
            MemoryPressureManager.register_on_left_severity(lvl)(
                lambda lvl=lvl: got.append(f"left {lvl}"))

        @MemoryPressureManager.register_on_entered_severity(2)
        def second_on_2():
            got.append("entered 2 (second)")

        MemoryPressureManager.register_on_memory_normal(lambda: got.append("normal"))
        MemoryPressureManager.register_on_remaining_in_severity(3, 30)(
            lambda: got.append("remaining 3"))

        class Cache:
            def cleanup(self):
                got.append("cleanup 2")
        self.cache = Cache()
        MemoryPressureManager.cleanup_on_entered(2, self.cache)
        return second_on_2

    def test_callbacks_fire_in_satellas_order_on_memhook_events(self):
        self.register_the_satella_way()
        memhook.satella.bridge(self.rx, mpm)
        self.assertTrue(mpm.stopped)
        over.set()     # Satella's polling, were it running, would now climb to 3 by itself
        mpm.loop()     # what its thread does every 50 ms: nothing, it is stopped
        self.assertEqual((self.got, mpm.severity_level), ([], 0))

        evs = climb(3)
        self.send(*evs[:3])
        self.assertEqual(mpm.severity_level, 3)
        self.send(event("remaining", 4, 3, 3), event("remaining", 5, 3, 3))   # 30 s: once
        self.send(*[dict(e, seq=e["seq"] + 2) for e in evs[3:]])
        self.assertEqual(self.got, ["entered 1", "entered 2", "entered 2 (second)", "cleanup 2",
                                    "entered 3", "remaining 3", "left 3", "left 2", "left 1",
                                    "normal"])
        self.assertEqual(mpm.severity_level, 0)

    def test_the_same_order_as_satellas_own_transitions(self):
        self.register_the_satella_way()
        mpm.advance_to_severity_level(LEVELS)     # Satella's own code, as its thread runs it
        mpm.advance_to_severity_level(0)
        satellas = list(self.got)
        self.got.clear()
        self.rx.bridge_satella(mpm)
        self.send(*climb(LEVELS))
        self.assertEqual(self.got, satellas)

    def test_missed_steps_are_walked_one_level_at_a_time(self):
        self.register_the_satella_way()
        self.rx.bridge_satella(mpm)
        self.send(event("entered", 1, 3, 2))       # a receiver that saw only the last step
        self.send(event("normal", 2, 0, 3))        # and only normal on the way back
        self.assertEqual(self.got, ["entered 1", "entered 2", "entered 2 (second)", "cleanup 2",
                                    "entered 3", "left 3", "left 2", "left 1", "normal"])

    def test_a_raising_callback_is_logged_and_the_others_still_fire(self):
        @MemoryPressureManager.register_on_entered_severity(1)
        def boom():
            raise RuntimeError("app bug")
        MemoryPressureManager.register_on_entered_severity(1)(lambda: self.got.append("after"))
        self.rx.bridge_satella(mpm)
        with self.assertLogs("memhook", "ERROR") as logs:
            self.send(event("entered", 1, 1), event("left", 2, 0, 1), event("entered", 3, 1))
        self.assertIn("RuntimeError: app bug", logs.output[0])
        self.assertEqual(self.got, ["after", "after"])     # still registered the second time

    def test_cancelled_callbacks_and_install_force_gc_collect(self):
        cc = MemoryPressureManager.register_on_entered_severity(1)(
            lambda: self.got.append("cancelled"))
        cc.cancel()
        install_force_gc_collect(1)     # Satella's helper: gc.collect on entering 1
        MemoryPressureManager.register_on_entered_severity(1)(lambda: self.got.append("kept"))
        self.rx.bridge_satella(mpm)
        self.send(event("entered", 1, 1))
        self.assertEqual(self.got, ["kept"])

    def test_levels_above_the_managers_top_are_its_top(self):
        self.register_the_satella_way()
        self.rx.bridge_satella(mpm)
        with self.assertLogs("memhook", "WARNING") as logs:
            self.send(*climb(4)[:4])
        self.assertIn("memhook level 4 is above the manager's top level 3", logs.output[0])
        self.assertEqual(mpm.severity_level, 3)
        self.assertEqual(self.got[-1], "entered 3")

    def test_cancel_undoes_the_bridge(self):
        self.register_the_satella_way()
        b = self.rx.bridge_satella(mpm)
        b.cancel()
        self.send(event("entered", 1, 1))
        self.assertEqual(self.got, [])


if __name__ == "__main__":
    unittest.main()
