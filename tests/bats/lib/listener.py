#!/usr/bin/env python3
"""A webhook receiver for the tests: appends one JSON line per request to OUT.

usage: listener.py OUT PORTFILE [ANSWER...]
Listens on 127.0.0.1 on an ephemeral port (written to PORTFILE once listening). Answers each
request with the next ANSWER from the list (the last one repeats; default 200), after
LISTENER_DELAY seconds (default 0). An ANSWER is a status with optional comma-separated
modifiers: "503,delay=0.5,Retry-After=1" answers 503 after 0.5 s with a Retry-After: 1 header
(delay=S: this answer's delay; any other NAME=VALUE: a response header).
Requests are served concurrently (a thread each), so a sender that overlaps requests is seen to.
Each line, written when the request has been read (before the delay), has the request (method,
path, headers with lower-case names, body), the status and delay of its answer, and t_recv: the
CLOCK_MONOTONIC seconds when it was read (it is answered at t_recv + delay).
With LISTENER_TLS_CERT and LISTENER_TLS_KEY it speaks HTTPS."""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

out_path, port_path = sys.argv[1], sys.argv[2]


def parse_answer(spec):
    parts = spec.split(",")
    answer = {"status": int(parts[0]), "delay": None, "headers": []}
    for p in parts[1:]:
        name, _, value = p.partition("=")
        if name == "delay":
            answer["delay"] = float(value)
        else:
            answer["headers"].append((name, value))
    return answer


answers = [parse_answer(s) for s in sys.argv[3:]] or [parse_answer("200")]
count = 0
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        global count
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode("utf-8", "replace")
        with lock:
            t_recv = time.monotonic()
            answer = answers[min(count, len(answers) - 1)]
            count += 1
        delay = answer["delay"]
        if delay is None:
            delay = float(os.environ.get("LISTENER_DELAY", "0"))
        rec = {"method": "POST", "path": self.path, "status": answer["status"],
               "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body,
               "t_recv": t_recv, "delay": delay}
        with lock:  # one whole line per request, in the order they were read
            with open(out_path, "a") as f:
                f.write(json.dumps(rec) + "\n")
        time.sleep(delay)
        self.send_response(answer["status"])
        for name, value in answer["headers"]:
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def log_message(self, *args):
        pass


srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
srv.daemon_threads = True
if os.environ.get("LISTENER_TLS_CERT"):  # HTTPS with this certificate and key (PEM)
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.environ["LISTENER_TLS_CERT"], os.environ["LISTENER_TLS_KEY"])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(port_path + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(port_path + ".tmp", port_path)
srv.serve_forever()
