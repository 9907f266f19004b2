"""HTTP in front of Receiver.deliver: WSGI, ASGI and a threaded standard-library server."""
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .receiver import MAX_BODY_BYTES

log = logging.getLogger("memhook")

_REASONS = {200: "OK", 204: "No Content", 400: "Bad Request", 401: "Unauthorized",
            404: "Not Found", 405: "Method Not Allowed", 413: "Payload Too Large",
            503: "Service Unavailable"}


def _answer(rx, method, path, headers, read_body, length):
    """(status, extra headers, body) for one request; read_body(n) gives the body's bytes."""
    if method in ("GET", "HEAD"):
        return (200, [], b"ok\n") if path.rstrip("/").endswith("/healthz") else (404, [], b"")
    if method != "POST":
        return 405, [("Allow", "POST, GET")], b""
    if length is None or length < 0:
        return 400, [], b"Content-Length required\n"
    if length > MAX_BODY_BYTES:
        log.warning("rejected: body of %d bytes (413)", length)
        return 413, [], b""
    res = rx.deliver(headers, read_body(length))
    extra = [("Retry-After", "1")] if res.status == 503 else []
    return res.status, extra, (res.reason + "\n").encode() if res.status >= 400 else b""


def _length(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def wsgi(rx, environ, start_response):
    headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items()
               if k.startswith("HTTP_")}
    path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    status, extra, body = _answer(rx, environ.get("REQUEST_METHOD", "GET"), path, headers,
                                  environ["wsgi.input"].read,
                                  _length(environ.get("CONTENT_LENGTH")))
    start_response(f"{status} {_REASONS.get(status, '')}",
                   [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))] + extra)
    return [body]


async def asgi(rx, scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif msg["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    headers = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope["headers"]]
    chunks, size, too_big = [], 0, False
    if scope["method"] == "POST":
        while True:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return
            chunk = msg.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                too_big = True
            elif chunk:
                chunks.append(chunk)
            if not msg.get("more_body"):
                break
    length = size if scope["method"] == "POST" else 0
    if too_big:
        length = size
    data = b"".join(chunks)
    status, extra, body = _answer(rx, scope["method"], scope["path"], headers, lambda n: data, length)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain"),
                            (b"content-length", str(len(body)).encode())] +
                [(k.lower().encode(), v.encode()) for k, v in extra]})
    await send({"type": "http.response.body", "body": body})


class Server(ThreadingHTTPServer):
    """ThreadingHTTPServer serving from its own thread; shutdown() stops it and frees the port."""

    daemon_threads = True

    def __init__(self, rx, host, port):
        self.rx = rx
        super().__init__((host, port), _Handler)
        self.host = host
        self.port = self.server_address[1]
        self._thread = threading.Thread(target=self.serve_forever, name="memhook-http",
                                        daemon=True)

    def start(self):
        self._thread.start()
        return self

    def shutdown(self):
        super().shutdown()
        self.server_close()
        self._thread.join()


class _Handler(BaseHTTPRequestHandler):
    server_version = "memhook-receiver-python/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):   # the receiver logs what matters
        pass

    def _do(self):
        length = _length(self.headers.get("Content-Length"))
        if self.command != "POST":
            length = 0
        status, extra, body = _answer(self.server.rx, self.command, self.path,
                                      dict(self.headers.items()), self.rfile.read, length)
        self.send_response(status)
        for k, v in [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))] + extra:
            self.send_header(k, v)
        if status in (400, 413):       # the body may be unread: this connection is done
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = _do


def serve(rx, host, port):
    return Server(rx, host, port).start()
