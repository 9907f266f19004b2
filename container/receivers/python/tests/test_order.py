import unittest

from memhook import Gap, Receiver
from mh import INSTANCE, SECRET, Clock, climb, event, record_all, signed


class OrderTest(unittest.TestCase):
    """Deduplication and seq order, on an injected clock (hold 1000 ms)."""

    def setUp(self):
        self.clock = Clock()
        self.rx = Receiver([SECRET], clock=self.clock)
        self.rec = record_all(self.rx)
        self.gaps = []
        self.rx.on_gap(self.gaps.append)

    def tearDown(self):
        self.rx.close()

    def send(self, ev, **kw):
        return self.rx.deliver(*signed(ev, ts=int(self.clock.t), **kw)).outcome

    def calls(self):
        self.assertTrue(self.rx.join(5))
        return self.rec.calls

    def test_a_retry_with_the_same_id_is_a_duplicate(self):
        ev = event("entered", 1, 1)
        self.assertEqual(self.send(ev), "accept")
        with self.assertLogs("memhook", "INFO") as logs:
            res = self.rx.deliver(*signed(ev))
        self.assertEqual((res.status, res.outcome), (204, "duplicate"))
        self.assertIn("duplicate webhook-id", logs.output[0])
        self.assertEqual(self.calls(), ["entered 1"])

    def test_in_order_events_are_applied_at_once_in_satellas_order(self):
        for ev in climb(3):
            self.assertEqual(self.send(ev), "accept")
        self.assertEqual(self.calls(), ["entered 1", "entered 2", "entered 3", "left 3",
                                        "left 2", "left 1", "normal"])

    def test_an_early_event_waits_for_the_missing_one(self):
        self.send(event("entered", 1, 1))
        with self.assertLogs("memhook", "INFO") as logs:
            self.assertEqual(self.send(event("entered", 3, 3, 2)), "accept")
        self.assertIn("held seq=3: waiting up to 1000 ms for seq 2", logs.output[-1])
        self.clock.t += 0.5
        self.rx.tick()
        self.assertEqual(self.calls(), ["entered 1"])
        self.send(event("entered", 2, 2, 1))
        self.assertEqual(self.calls(), ["entered 1", "entered 2", "entered 3"])

    def test_an_early_event_waits_at_most_the_hold_then_the_gap_is_logged(self):
        self.send(event("entered", 1, 1))
        self.send(event("entered", 3, 3, 2))
        self.clock.t += 0.999
        self.rx.tick()
        self.assertEqual(self.calls(), ["entered 1"])
        self.clock.t += 0.001
        with self.assertLogs("memhook", "WARNING") as logs:
            self.rx.tick()
        self.assertIn("seq 2..2 not received: applying seq=3", logs.output[0])
        self.assertEqual(self.calls(), ["entered 1", "entered 3"])
        # seq 2 now is late: answered 2xx, not applied
        res = self.rx.deliver(*signed(event("entered", 2, 2, 1), ts=int(self.clock.t)))
        self.assertEqual((res.status, res.outcome), (204, "late"))
        self.assertEqual(self.calls(), ["entered 1", "entered 3"])

    def test_the_background_ticker_applies_a_held_event_in_real_time(self):
        rx = Receiver([SECRET], hold_ms=100)
        try:
            rec = record_all(rx)
            import time
            now = int(time.time())
            rx.deliver(*signed(event("entered", 1, 1), ts=now))
            rx.deliver(*signed(event("entered", 3, 3, 2), ts=now))
            self.assertTrue(rec.wait_for(2, 5))
            self.assertEqual(rec.calls, ["entered 1", "entered 3"])
        finally:
            rx.close()

    def test_dropped_before_is_applied_at_once_and_reported(self):
        self.send(event("entered", 1, 1))
        with self.assertLogs("memhook", "WARNING") as logs:
            self.send(event("entered", 3, 2, 1, dropped_before=1))
        self.assertIn("memhook dropped 1 event(s) for this endpoint before seq=3", logs.output[0])
        self.assertEqual(self.calls(), ["entered 1", "entered 2"])
        self.assertEqual(self.gaps, [Gap(INSTANCE, 3, 1)])

    def test_a_new_instance_starts_the_order_again(self):
        for ev in climb(3)[:3]:
            self.send(ev)                         # seq 1..3
        self.send(event("left", 7, 2, 3))        # held: 4..6 missing
        with self.assertLogs("memhook", "INFO") as logs:
            self.send(event("entered", 1, 1, 0, instance="0123456789abcdef"),
                      msg_id="msg_new_1")
        self.assertIn("new memhook instance 0123456789abcdef", "\n".join(logs.output))
        self.assertEqual(self.calls(), ["entered 1", "entered 2", "entered 3", "left 3",
                                        "entered 1"])

    def test_the_first_event_of_an_instance_is_not_held(self):
        self.send(event("entered", 41, 2, 1))
        self.assertEqual(self.calls(), ["entered 2"])

    def test_an_event_without_instance_is_applied_as_it_arrives(self):
        ev = event("entered", 1, 1)
        del ev["instance"], ev["seq"]
        self.assertEqual(self.send(ev, msg_id="msg_old"), "accept")
        self.assertEqual(self.calls(), ["entered 1"])


if __name__ == "__main__":
    unittest.main()
