#!/usr/bin/env python3
"""Subscribers of memhook's GET /events (Server-Sent Events), for the bats suites.

usage:
  sse_client.py one PORT OUT [LAST_EVENT_ID]
      one subscriber; each event as a JSON line {"id", "event", "data", "t"} appended to OUT as it
      comes (t: CLOCK_MONOTONIC seconds) (comments as {"comment": text}); "open" into OUT.open once the headers came.
  sse_client.py crowd PORT N OUT
      N subscribers on one selector; each event as a line "CONN ID EVENT LEVEL CLOCK_MONOTONIC"
      in OUT; "N open" into
      OUT.open once every one had its headers.
  sse_client.py stuck PORT OUT
      one subscriber with a tiny receive buffer that never reads a byte; "open" into OUT once
      connected, "closed" once memhook closed it (seen by POLLRDHUP, without reading).
Only loopback.
"""
import json
import select
import socket
import sys
import time


def connect(port, last_id=None, rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", port))
    req = "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
    if last_id is not None:
        req += "Last-Event-ID: %s\r\n" % last_id
    s.sendall((req + "\r\n").encode())
    return s


class Stream:
    """An HTTP/1.1 answer, chunked, parsed into SSE events as bytes come."""

    def __init__(self):
        self.raw = b""
        self.headers = None
        self.body = b""
        self.text = ""

    def feed(self, data):
        self.raw += data
        out = []
        if self.headers is None:
            end = self.raw.find(b"\r\n\r\n")
            if end < 0:
                return out
            self.headers = self.raw[:end].decode()
            self.raw = self.raw[end + 4:]
            if not self.headers.startswith("HTTP/1.1 200"):
                raise SystemExit("not 200: " + self.headers.splitlines()[0])
        while True:  # chunked transfer coding
            nl = self.raw.find(b"\r\n")
            if nl < 0:
                break
            size = int(self.raw[:nl].split(b";")[0], 16)
            if len(self.raw) < nl + 2 + size + 2:
                break
            self.text += self.raw[nl + 2:nl + 2 + size].decode()
            self.raw = self.raw[nl + 2 + size + 2:]
        while "\n\n" in self.text:
            block, self.text = self.text.split("\n\n", 1)
            ev = {}
            for line in block.split("\n"):
                if line.startswith(":"):
                    ev.setdefault("comment", line[1:].strip())
                    continue
                k, _, v = line.partition(":")
                ev[k] = v[1:] if v.startswith(" ") else v
            out.append(ev)
        return out


def one(port, out, last_id):
    s = connect(port, last_id)
    st = Stream()
    with open(out, "a") as f:
        while True:
            data = s.recv(65536)
            if not data:
                f.write(json.dumps({"end": True}) + "\n")
                return
            was_open = st.headers is not None
            for ev in st.feed(data):
                ev["t"] = time.monotonic()
                f.write(json.dumps(ev) + "\n")
            f.flush()
            if not was_open and st.headers is not None:
                open(out + ".open", "w").write("open\n")


def crowd(port, n, out):
    socks = {}
    for i in range(n):
        s = connect(port)
        s.setblocking(False)
        socks[s.fileno()] = (i, s, Stream())
    sel = select.epoll()
    for fd in socks:
        sel.register(fd, select.EPOLLIN)
    opened = 0
    with open(out, "a") as f:
        while socks:
            for fd, _ in sel.poll():
                i, s, st = socks[fd]
                data = s.recv(65536)
                if not data:
                    sel.unregister(fd)
                    del socks[fd]
                    f.write("%d end -\n" % i)
                    continue
                was_open = st.headers is not None
                for ev in st.feed(data):
                    if "id" in ev:
                        level = json.loads(ev["data"]).get("level")
                        f.write("%d %s %s %s %.6f\n" % (i, ev["id"], ev.get("event"), level, time.monotonic()))
                f.flush()
                if not was_open and st.headers is not None:
                    opened += 1
                    if opened == n:
                        open(out + ".open", "w").write("%d open\n" % n)


def stuck(port, out):
    s = connect(port, None, rcvbuf=1024)
    open(out, "w").write("open\n")
    p = select.poll()
    p.register(s.fileno(), select.POLLRDHUP)
    while True:
        for _, ev in p.poll():
            if ev & (select.POLLRDHUP | select.POLLHUP | select.POLLERR):
                open(out, "a").write("closed\n")
                return


if __name__ == "__main__":
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "one":
        one(port, sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None)
    elif mode == "crowd":
        crowd(port, int(sys.argv[3]), sys.argv[4])
    elif mode == "stuck":
        stuck(port, sys.argv[3])
