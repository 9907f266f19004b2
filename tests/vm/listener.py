"""Webhook listener for the VM tests: python3 listener.py PORT DIR

Listens on 127.0.0.1:PORT (a small HTTP/1.1 server on socketserver: http.server's imports alone
take seconds under software emulation). Each POST to /NAME is answered 200 and stored as
DIR/NAME/<6-digit seq>.body (the raw body) and DIR/NAME/<seq>.flat: one "key=value" line per
scalar of the JSON body (nested keys joined with ".", array indices as numbers, strings raw,
null/true/false as such), plus _t (arrival, epoch seconds), _sig (X-Memhook-Signature), _ctype
(Content-Type) and _json (1, or 0 when the body is not JSON). The .flat file appears atomically
(rename), so the bash helpers read records with builtins only. Writes DIR/.ready when listening.
"""
import json
import os
import socketserver
import sys
import threading
import time

LOCK = threading.Lock()
COUNTS = {}


def flatten(value, prefix, out):
    if isinstance(value, dict):
        for k, v in value.items():
            flatten(v, prefix + "." + k if prefix else k, out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            flatten(v, prefix + "." + str(i) if prefix else str(i), out)
    elif value is None:
        out.append(prefix + "=null")
    elif isinstance(value, bool):
        out.append(prefix + "=" + ("true" if value else "false"))
    elif isinstance(value, str):
        out.append(prefix + "=" + value.replace("\\", "\\\\").replace("\n", "\\n"))
    else:
        out.append(prefix + "=" + json.dumps(value))


def store(path, headers, body, arrived):
    name = path.strip("/").replace("/", "_") or "root"
    d = os.path.join(DIR, name)
    lines = ["_t=%.6f" % arrived, "_sig=" + headers.get("x-memhook-signature", ""),
             "_ctype=" + headers.get("content-type", "")]
    try:
        flatten(json.loads(body), "", lines)
        lines.append("_json=1")
    except ValueError:
        lines.append("_json=0")
    with LOCK:
        os.makedirs(d, exist_ok=True)
        COUNTS[name] = COUNTS.get(name, 0) + 1
        base = os.path.join(d, "%06d" % COUNTS[name])
        with open(base + ".body", "wb") as f:
            f.write(body)
        with open(base + ".tmp", "w") as f:
            f.write("\n".join(lines) + "\n")
        os.rename(base + ".tmp", base + ".flat")


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        while True:
            request = self.rfile.readline()
            if not request:
                return
            method, path = request.decode("latin-1").split()[:2]
            headers = {}
            while True:
                line = self.rfile.readline().decode("latin-1").rstrip("\r\n")
                if not line:
                    break
                k, _, v = line.partition(":")
                headers[k.strip().lower()] = v.strip()
            if headers.get("expect", "").lower() == "100-continue":
                self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            body = b""
            if headers.get("transfer-encoding", "").lower() == "chunked":
                while True:
                    size = int(self.rfile.readline().split(b";")[0], 16)
                    chunk = self.rfile.read(size + 2)
                    if size == 0:
                        break
                    body += chunk[:-2]
            else:
                body = self.rfile.read(int(headers.get("content-length", "0")))
            arrived = time.time()
            if method == "POST":
                store(path, headers, body, arrived)
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            self.wfile.flush()


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    allow_reuse_address = True
    daemon_threads = True


PORT = int(sys.argv[1])
DIR = sys.argv[2]
os.makedirs(DIR, exist_ok=True)
server = Server(("127.0.0.1", PORT), Handler)
open(os.path.join(DIR, ".ready"), "w").close()
server.serve_forever()
