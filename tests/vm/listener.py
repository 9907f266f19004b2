"""Webhook listener for the VM tests: python3 listener.py PORT DIR

Binds 127.0.0.1:PORT and, for every POST to /NAME, appends one JSON line to DIR/NAME.jsonl:
{"t": arrival time (epoch seconds, float), "sig": the X-Memhook-Signature header or null,
 "ctype": the Content-Type header, "body": the raw body as a string}. Answers 200 with no body.
Writes DIR/.ready once it is listening.
"""
import http.server
import json
import os
import sys
import time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_POST(self):
        body = self._body()
        arrived = time.time()
        name = self.path.strip("/").replace("/", "_") or "root"
        rec = {
            "t": arrived,
            "sig": self.headers.get("X-Memhook-Signature"),
            "ctype": self.headers.get("Content-Type"),
            "body": body.decode("utf-8", "replace"),
        }
        with open(os.path.join(DIR, name + ".jsonl"), "a") as f:
            f.write(json.dumps(rec) + "\n")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


PORT = int(sys.argv[1])
DIR = sys.argv[2]
os.makedirs(DIR, exist_ok=True)
server = http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
open(os.path.join(DIR, ".ready"), "w").close()
server.serve_forever()
