import base64
import json
import unittest

from memhook import Receiver, parse_secrets
from mh import NOW, SECRET, Clock, event, record_all, signed

OTHER = "whsec_" + base64.b64encode(b"another key, rotated in").decode()


class VerifyTest(unittest.TestCase):
    def setUp(self):
        self.clock = Clock()
        self.rx = Receiver([SECRET], clock=self.clock)
        self.rec = record_all(self.rx)

    def tearDown(self):
        self.rx.close()

    def deliver(self, headers, body):
        with self.assertLogs("memhook", "INFO") as logs:
            res = self.rx.deliver(headers, body)
            self.rx.join(5)
        return res, "\n".join(logs.output)

    def test_a_signed_event_is_accepted_and_applied(self):
        res = self.rx.deliver(*signed(event("entered", 1, 1)))
        self.assertEqual((res.status, res.outcome), (204, "accept"))
        self.assertTrue(self.rx.join(5))
        self.assertEqual(self.rec.calls, ["entered 1"])

    def test_a_tampered_body_is_401(self):
        headers, body = signed(event("entered", 1, 1))
        res, logs = self.deliver(headers, body.replace(b'"level": 1', b'"level": 3'))
        self.assertEqual((res.status, res.outcome), (401, "reject"))
        self.assertIn("No matching signature found (401)", logs)
        self.assertEqual(self.rec.calls, [])

    def test_a_wrong_key_is_401(self):
        res = self.rx.deliver(*signed(event("entered", 1, 1), secret=OTHER))
        self.assertEqual(res.status, 401)

    def test_timestamps_more_than_5_minutes_away_are_401(self):
        for ts, why in ((NOW - 301, "Message timestamp too old"),
                        (NOW + 301, "Message timestamp too new")):
            res, logs = self.deliver(*signed(event("entered", 1, 1), ts=ts))
            self.assertEqual(res.status, 401)
            self.assertIn(why, logs)
        for ts in (NOW - 300, NOW + 300):   # the edges are in
            self.assertEqual(self.rx.deliver(*signed(event("entered", 1, 1), ts=ts,
                                                     msg_id=f"msg_{ts}")).status, 204)

    def test_a_timestamp_that_is_no_number_is_401(self):
        for ts in ("12e3", "-1764105060", "1_764_105_060", "", "１７"):
            headers, body = signed(event("entered", 1, 1))
            headers["webhook-timestamp"] = ts
            res = self.rx.deliver(headers, body)
            self.assertEqual(res.status, 401, ts)

    def test_each_missing_header_is_401(self):
        for name in ("webhook-id", "webhook-timestamp", "webhook-signature"):
            headers, body = signed(event("entered", 1, 1))
            del headers[name]
            res, logs = self.deliver(headers, body)
            self.assertEqual(res.status, 401, name)
            self.assertIn("Missing required headers", logs)
        self.assertEqual(self.rec.calls, [])

    def test_header_names_match_in_any_case(self):
        headers, body = signed(event("entered", 1, 1))
        headers = [(k.upper() if i % 2 else k.title(), v) for i, (k, v) in
                   enumerate(headers.items())]
        self.assertEqual(self.rx.deliver(headers, body).status, 204)

    def test_rotation_any_of_several_secrets_and_signatures(self):
        rx = Receiver([SECRET, OTHER], clock=self.clock)
        try:
            self.assertEqual(rx.deliver(*signed(event("entered", 1, 1), secret=OTHER)).status, 204)
            self.assertEqual(rx.deliver(*signed(event("entered", 2, 2), secret=SECRET)).status,
                             204)
        finally:
            rx.close()
        # memhook may send several signatures: one match is enough
        headers, body = signed(event("entered", 1, 1))
        wrong = signed(event("entered", 1, 1), secret=OTHER)[0]["webhook-signature"]
        headers["webhook-signature"] = f"v1a,xyz {wrong} {headers['webhook-signature']}"
        self.assertEqual(self.rx.deliver(headers, body).status, 204)

    def test_secrets_forms(self):
        self.assertEqual(parse_secrets("plain whsec_" + base64.b64encode(b"k").decode()),
                         [b"plain", b"k"])
        self.assertEqual(parse_secrets([b"raw"]), [b"raw"])
        for bad in (["whsec_not base64!"], ["whsec_"], [], ""):
            with self.assertRaises(ValueError):
                parse_secrets(bad)
        with self.assertRaises(ValueError):
            Receiver(["whsec_%%%"])

    def test_no_secret_rejects_every_webhook(self):
        rx = Receiver(clock=self.clock)
        with self.assertLogs("memhook", "ERROR"):
            self.assertEqual(rx.deliver(*signed(event("entered", 1, 1))).status, 401)

    def test_a_signed_body_that_is_no_event_is_400(self):
        for body in (b'{"hello": "world"}', b"[1,2]", b"not json", b'{"event": 3}',
                     b'{"event": "entered", "level": "high"}',
                     b'{"event": "entered", "level": true}'):
            res, logs = self.deliver(*signed(body, msg_id="msg_x"))
            self.assertEqual((res.status, res.outcome), (400, "reject"), body)
            self.assertIn("not a memhook event", logs)

    def test_an_unknown_kind_is_accepted_and_calls_nothing(self):
        res = self.rx.deliver(*signed(json.dumps(event("future_kind", 1)).encode(),
                                      msg_id="msg_f"))
        self.assertEqual(res.status, 204)
        self.rx.join(5)
        self.assertEqual(self.rec.calls, [])


if __name__ == "__main__":
    unittest.main()
