import asyncio
import http.client
import io
import socket
import time
import unittest

from memhook import Receiver
from mh import SECRET, event, record_all, signed


def wsgi_call(app, method, path, headers=None, body=b""):
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "SCRIPT_NAME": "",
               "CONTENT_LENGTH": str(len(body)) if method == "POST" else "",
               "wsgi.input": io.BytesIO(body)}
    for k, v in (headers or {}).items():
        key = k.upper().replace("-", "_")
        environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + key] = v
    got = {}

    def start_response(status, hdrs):
        got["status"], got["headers"] = int(status.split()[0]), dict(hdrs)
    out = b"".join(app(environ, start_response))
    return got["status"], got["headers"], out


def asgi_call(app, method, path, headers=None, body=b"", chunk=7):
    sent = []
    parts = [body[i:i + chunk] for i in range(0, len(body), chunk)] or [b""]
    msgs = [{"type": "http.request", "body": p, "more_body": i < len(parts) - 1}
            for i, p in enumerate(parts)]

    async def receive():
        return msgs.pop(0)

    async def send(msg):
        sent.append(msg)
    scope = {"type": "http", "method": method, "path": path, "root_path": "",
             "headers": [(k.encode(), v.encode()) for k, v in (headers or {}).items()]}
    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], dict(sent[0]["headers"]), sent[1]["body"]


class AppsTest(unittest.TestCase):
    def setUp(self):
        self.rx = Receiver([SECRET])
        self.rec = record_all(self.rx)
        self.now = int(time.time())

    def tearDown(self):
        self.rx.close()

    def check_app(self, call):
        app = self.rx.wsgi_app if call is wsgi_call else self.rx.asgi_app
        headers, body = signed(event("entered", 1, 1), ts=self.now)
        self.assertEqual(call(app, "POST", "/memhook", headers, body)[0], 204)
        self.assertEqual(call(app, "POST", "/memhook", headers, body)[0], 204)   # duplicate
        bad = dict(headers, **{"webhook-signature": "v1,AAAA"})
        status, _, text = call(app, "POST", "/memhook", bad, body)
        self.assertEqual((status, text), (401, b"No matching signature found\n"))
        h2, b2 = signed(b'{"no": "event"}', ts=self.now, msg_id="msg_x")
        self.assertEqual(call(app, "POST", "/", h2, b2)[0], 400)
        self.assertEqual(call(app, "POST", "/", {}, b"x" * (64 * 1024 + 1))[0], 413)
        self.assertEqual(call(app, "GET", "/healthz")[:3:2], (200, b"ok\n"))
        self.assertEqual(call(app, "GET", "/other")[0], 404)
        self.assertEqual(call(app, "PUT", "/memhook")[0], 405)
        self.assertTrue(self.rx.join(5))
        self.assertEqual(self.rec.calls, ["entered 1"])

    def test_wsgi_app(self):
        self.check_app(wsgi_call)

    def test_asgi_app(self):
        self.check_app(asgi_call)

    def test_asgi_lifespan(self):
        msgs = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
        sent = []

        async def receive():
            return msgs.pop(0)

        async def send(m):
            sent.append(m["type"])
        asyncio.run(self.rx.asgi_app({"type": "lifespan"}, receive, send))
        self.assertEqual(sent, ["lifespan.startup.complete", "lifespan.shutdown.complete"])


class ServeTest(unittest.TestCase):
    def test_serve_over_loopback_then_shutdown(self):
        rx = Receiver([SECRET])
        rec = record_all(rx)
        server = rx.serve("127.0.0.1", 0)
        try:
            port = server.port
            self.assertGreater(port, 0)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            now = int(time.time())
            for ev in (event("entered", 1, 1), event("entered", 2, 2, 1)):
                headers, body = signed(ev, ts=now)
                conn.request("POST", "/", body=body, headers=headers)   # one keep-alive connection
                resp = conn.getresponse()
                resp.read()
                self.assertEqual(resp.status, 204)
            headers, body = signed(event("entered", 3, 3, 2), ts=now - 301)
            conn.request("POST", "/", body=body, headers=headers)
            resp = conn.getresponse()
            self.assertEqual((resp.status, resp.read()), (401, b"Message timestamp too old\n"))
            conn.request("GET", "/healthz")
            resp = conn.getresponse()
            self.assertEqual((resp.status, resp.read()), (200, b"ok\n"))
            conn.close()
            self.assertTrue(rec.wait_for(2))
            self.assertEqual(rec.calls, ["entered 1", "entered 2"])
        finally:
            server.shutdown()
            rx.close()
        # the port is free again: nothing listens there
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5)


if __name__ == "__main__":
    unittest.main()
