#!/usr/bin/env python3
"""The demo's webhook receiver: prints one line per event memhook posts.

usage: receiver.py PORTFILE   (listens on 127.0.0.1, an ephemeral port written to PORTFILE)"""
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


def mib(n):
    return "%.1fMi" % (n / 1048576)


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        b = json.loads(body)
        s = b.get("sample") or {}
        usage = "usage %s of %s (%.1f%% free)" % (mib(s["usage_bytes"]), mib(s["limit_bytes"]),
                                                 s["local_free_percent"]) if s else "no sample"
        print("  webhook #%d: %-12s level %d (%s), was %d; %s" % (
            b["seq"], b["event"], b["level"], b["level_name"], b["previous_level"], usage), flush=True)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


srv = HTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
srv.serve_forever()
