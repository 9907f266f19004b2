#!/usr/bin/env python3
"""A webhook receiver for the tests: appends one JSON line per request to OUT.

usage: listener.py OUT PORTFILE [STATUS...]
Listens on 127.0.0.1 on an ephemeral port (written to PORTFILE once listening). Answers each
request with the next STATUS from the list (the last one repeats; default 200), after
LISTENER_DELAY seconds (default 0). With LISTENER_TLS_CERT and LISTENER_TLS_KEY it speaks HTTPS."""
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

out_path, port_path = sys.argv[1], sys.argv[2]
statuses = [int(s) for s in sys.argv[3:]] or [200]
count = 0


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        global count
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode("utf-8", "replace")
        status = statuses[min(count, len(statuses) - 1)]
        count += 1
        rec = {"method": "POST", "path": self.path, "status": status,
               "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
        with open(out_path, "a") as f:
            f.write(json.dumps(rec) + "\n")
        time.sleep(float(os.environ.get("LISTENER_DELAY", "0")))
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


srv = HTTPServer(("127.0.0.1", 0), Handler)
if os.environ.get("LISTENER_TLS_CERT"):  # HTTPS with this certificate and key (PEM)
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.environ["LISTENER_TLS_CERT"], os.environ["LISTENER_TLS_KEY"])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(port_path + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(port_path + ".tmp", port_path)
srv.serve_forever()
