import json
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from memhook import Gap, Receiver
from mh import INSTANCE, event, record_all


def sse(ev_id, kind, data):
    return f"id: {ev_id}\nevent: {kind}\ndata: {json.dumps(data)}\n\n".encode()


class FakeMemhook(ThreadingHTTPServer):
    """/events as memhook serves it: the first connection gets seq 1 and 2, then is cut; a
    reconnection with Last-Event-ID 2 gets `event: lost` (3 events gone from the ring), then seq
    6, and stays open."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests = []          # (path, Last-Event-ID) per connection
        self.done = threading.Event()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"     # chunked, as memhook (libmicrohttpd) streams

    def log_message(self, *args):
        pass

    def chunks(self, data, size=23):
        """data as HTTP chunks of size bytes: events and lines split across chunks."""
        for i in range(0, len(data), size):
            part = data[i:i + size]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
        self.wfile.flush()

    def do_GET(self):
        srv = self.server
        last = self.headers.get("Last-Event-ID")
        srv.requests.append((self.path, last, self.headers.get("Accept")))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.chunks(f": memhook events, instance {INSTANCE}\n\n".encode())
        if last is None:
            self.chunks(sse(1, "entered", event("entered", 1, 1)) + b": ping\n\n")
            # data over two lines and a CRLF line end are still one event
            data = json.dumps(event("entered", 2, 2, 1)).replace(", ", ",\r\ndata: ", 1)
            self.chunks(f"id: 2\r\nevent: entered\r\ndata: {data}\r\n\r\n".encode())
            self.close_connection = True
            return                   # cut mid-stream: memhook restarted, a proxy cut it
        self.chunks(b'event: lost\ndata: {"lost":3,"instance":"' + INSTANCE.encode() +
                    b'"}\n\n' + sse(6, "left", event("left", 6, 1, 2)))
        srv.done.wait(10)


class SubscribeTest(unittest.TestCase):
    def test_reconnects_with_last_event_id_and_reports_lost(self):
        srv = FakeMemhook()
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        rx = Receiver()                      # a stream needs no secret
        rec = record_all(rx)
        gaps = []
        rx.on_gap(gaps.append)
        url = f"http://127.0.0.1:{srv.server_address[1]}/events"
        try:
            with self.assertLogs("memhook", "INFO") as logs:
                sub = rx.subscribe(url, retry_s=0.05)
                self.assertTrue(sub.wait_connected(5))
                self.assertTrue(rec.wait_for(3, 5), rec.calls)
            sub.close()
            self.assertFalse(sub._thread.is_alive())
        finally:
            srv.done.set()
            srv.shutdown()
            srv.server_close()
            rx.close()
        out = "\n".join(logs.output)
        self.assertEqual(rec.calls, ["entered 1", "entered 2", "left 2"])
        self.assertEqual(srv.requests, [("/events", None, "text/event-stream"),
                                        ("/events", "2", "text/event-stream")])
        self.assertEqual(sub.last_event_id, "6")
        self.assertEqual(gaps, [Gap(INSTANCE, 6, 3)])
        self.assertIn(f"memhook lost 3 event(s) for this subscriber (instance {INSTANCE})", out)
        self.assertIn("reconnecting (Last-Event-ID: 2)", out)

    def test_a_refused_connection_is_retried(self):
        srv = FakeMemhook()
        port = srv.server_address[1]
        srv.server_close()                   # nobody listens at first
        rx = Receiver()
        try:
            with self.assertLogs("memhook", "WARNING"):
                sub = rx.subscribe(f"http://127.0.0.1:{port}/events", retry_s=0.05)
                self.assertFalse(sub.wait_connected(0.3))
            sub.close()
        finally:
            rx.close()
        with self.assertRaises(ValueError):
            rx.subscribe("ftp://example/events")


if __name__ == "__main__":
    unittest.main()
