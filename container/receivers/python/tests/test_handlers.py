import gc
import threading
import unittest
from unittest import mock

import memhook
from memhook import Receiver
from mh import SECRET, Clock, Recorder, climb, event, record_all, signed


class HandlersTest(unittest.TestCase):
    def setUp(self):
        self.clock = Clock()
        self.rx = Receiver([SECRET], clock=self.clock)

    def tearDown(self):
        self.rx.close()

    def send(self, *evs):
        for ev in evs:
            res = self.rx.deliver(*signed(ev, ts=int(self.clock.t)))
            self.assertEqual(res.status, 204, res)
        self.assertTrue(self.rx.join(5))

    def test_satella_names_as_decorators_and_zero_or_one_parameter(self):
        got = []

        @self.rx.register_on_entered_severity(2)
        def shed():                       # called as Satella calls it
            got.append("shed")

        @self.rx.register_on_entered_severity(2)
        def shed_with(ev):                # gets the event
            got.append(("shed_with", ev.level, ev.level_name, ev["seq"]))

        @self.rx.register_on_left_severity(2)
        def calm():
            got.append("left 2")

        self.rx.register_on_memory_normal(lambda: got.append("normal"))
        self.rx.register_on_remaining_in_severity(3)(lambda ev: got.append(ev.words()))
        self.send(*climb(3))
        self.send(event("remaining", 8, 3, 3))
        self.assertEqual(got, ["shed", ("shed_with", 2, "high", 2), "left 2", "normal",
                               "remaining 3"])
        # the decorators give back a callable that still is the function, and cancels
        shed()
        self.assertEqual(got[-1], "shed")
        shed.cancel()
        self.send(event("entered", 9, 2, 1))
        self.assertEqual(got[-1], ("shed_with", 2, "high", 9))

    def test_satella_names_with_the_function_as_an_argument(self):
        rec = Recorder()
        self.rx.register_on_entered_severity(1, rec)
        self.rx.register_on_left_severity(1, rec)
        self.rx.register_on_remaining_in_severity(1, rec)
        self.rx.register_on_remaining_in_severity(1, 60, rec)
        self.send(event("entered", 1, 1), event("remaining", 2, 1, 1), event("left", 3, 0, 1))
        self.assertEqual(rec.calls, ["entered 1", "remaining 1", "remaining 1", "left 1"])

    def test_names_and_numbers(self):
        rec = Recorder()
        self.rx.on_entered("critical")(rec)
        self.rx.on_entered(1)(rec)
        self.rx.on_left("high")(rec)        # left: the name of the level left
        self.rx.on_normal(rec)
        self.rx.on_oom_kill()(rec)
        self.rx.on_limit_changed("high")(rec)
        self.rx.on_target_lost(rec)
        self.rx.on_target_found()(rec)
        self.send(*climb(3))
        self.send(event("oom_kill", 8, 0), event("limit_changed", 9, 2),
                  event("limit_changed", 10, 1), event("target_lost", 11),
                  event("target_found", 12))
        self.assertEqual(rec.calls, ["entered 1", "entered 3", "left 2", "normal", "oom_kill 0",
                                     "limit_changed 2", "target_lost", "target_found"])
        with self.assertRaises(ValueError):
            self.rx.on("exploded")
        with self.assertRaises(ValueError):
            self.rx.on("normal", 1)(print)

    def test_call_no_more_often_than(self):
        got = []
        self.rx.register_on_remaining_in_severity(2, call_no_more_often_than=30)(
            lambda: got.append(self.clock.t))
        t0 = self.clock.t
        for i, dt in enumerate((0, 10, 29.9, 30, 45, 61)):
            self.clock.t = t0 + dt
            self.send(event("remaining", i + 1, 2, 2))
        self.assertEqual([t - t0 for t in got], [0, 30, 61])

    def test_a_handler_that_raises_is_logged_and_breaks_nothing(self):
        rec = Recorder()

        @self.rx.on_entered(1)
        def boom():
            raise RuntimeError("handler bug")

        @self.rx.on_entered(2)
        def leave():
            raise SystemExit(3)

        self.rx.on_entered()(rec)
        with self.assertLogs("memhook", "ERROR") as logs:
            self.send(*climb(2)[:2])
        self.assertIn("handler HandlersTest.test_a_handler_that_raises_is_logged_and_breaks_"
                      "nothing.<locals>.boom on entered 1 raised", logs.output[0])
        self.assertIn("RuntimeError: handler bug", logs.output[0])
        self.assertIn("SystemExit: 3", logs.output[1])
        self.assertEqual(rec.calls, ["entered 1", "entered 2"])
        self.send(event("entered", 3, 3, 2))
        self.assertEqual(rec.calls, ["entered 1", "entered 2", "entered 3"])

    def test_a_handler_over_its_time_limit_is_left_and_the_next_ones_run(self):
        rx = Receiver([SECRET], clock=self.clock, handler_timeout_s=0.2)
        release = threading.Event()
        try:
            rec = Recorder()
            rx.on_entered(1)(lambda: release.wait(10))
            rx.on_entered()(rec)
            with self.assertLogs("memhook", "ERROR") as logs:
                rx.deliver(*signed(event("entered", 1, 1)))
                self.assertTrue(rec.wait_for(1, 5))
            self.assertIn("on entered 1 still running after 0.2 s: left running", logs.output[0])
            rx.deliver(*signed(event("entered", 2, 2, 1)))
            self.assertTrue(rec.wait_for(2, 5))
            self.assertEqual(rec.calls, ["entered 1", "entered 2"])
        finally:
            release.set()
            rx.close()

    def test_the_queue_is_bounded_and_a_full_queue_answers_503(self):
        rx = Receiver([SECRET], clock=self.clock, queue_size=2)
        release = threading.Event()
        started = threading.Event()
        try:
            rec = Recorder()

            @rx.on_entered(1)
            def slow():
                started.set()
                release.wait(10)
            rx.on_entered()(rec)
            evs = [event("entered", 1, 1)] + [event("remaining", s, 1, 1) for s in (2, 3, 4)]
            self.assertEqual(rx.deliver(*signed(evs[0])).status, 204)
            self.assertTrue(started.wait(5))      # seq 1 is out of the queue, in its handler
            self.assertEqual(rx.deliver(*signed(evs[1])).status, 204)
            self.assertEqual(rx.deliver(*signed(evs[2])).status, 204)
            with self.assertLogs("memhook", "WARNING") as logs:
                res = rx.deliver(*signed(evs[3]))
            self.assertEqual((res.status, res.outcome), (503, "busy"))
            self.assertIn("busy: 2 events wait for their handlers", logs.output[0])
            release.set()
            self.assertTrue(rx.join(5))
            # memhook retries with the same id: not a duplicate, applied
            self.assertEqual(rx.deliver(*signed(evs[3])).outcome, "accept")
            self.assertTrue(rx.join(5))
        finally:
            release.set()
            rx.close()

    def test_handlers_run_off_the_delivering_thread(self):
        threads = []
        self.rx.on_entered()(lambda: threads.append(threading.current_thread()))
        self.send(event("entered", 1, 1))
        self.assertNotEqual(threads, [])
        self.assertIsNot(threads[0], threading.current_thread())

    def test_install_force_gc_collect_and_malloc_trim(self):
        self.assertIn(memhook.malloc_trim(0), (True, False))    # glibc has it
        with mock.patch.object(gc, "collect", wraps=gc.collect) as collect, \
                mock.patch("memhook.helpers.malloc_trim", return_value=True) as trim:
            self.rx.install_force_gc_collect(2)
            self.send(*climb(2)[:2])
        self.assertEqual(collect.call_count, 1)
        trim.assert_called_once_with(0)

    def test_cleanup_on_entered_holds_a_weak_reference(self):
        class Cache:
            def __init__(self):
                self.items = {1: 2}

            def cleanup(self):
                self.items.clear()
        cache, gone = Cache(), Cache()
        self.rx.cleanup_on_entered(1, cache)
        self.rx.cleanup_on_entered(1, gone)
        del gone
        self.send(event("entered", 1, 1))
        self.assertEqual(cache.items, {})

    def test_the_satella_order_over_every_kind(self):
        rec = record_all(self.rx)
        self.send(*climb(3))
        self.assertEqual(rec.calls, ["entered 1", "entered 2", "entered 3", "left 3", "left 2",
                                     "left 1", "normal"])


if __name__ == "__main__":
    unittest.main()
