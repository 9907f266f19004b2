#!/usr/bin/env python3
"""Loopback clients for memhook's --listen port: connections that come and go, a flood of idle
connections held open, and /healthz probes.

usage:
  http_conns.py burst PORT OUTDIR N_PER_ADDR ADDR...
      Opens N_PER_ADDR idle connections from each ADDR, writes OUTDIR/burst_open
      "<connected> <opened>" once every connect has ended (10 s at most), waits for the file
      OUTDIR/burst_go (30 s at most), closes them all and exits.
  http_conns.py flood PORT OUTDIR N_PER_ADDR FIRST_ADDR N_ADDRS
      Opens N_PER_ADDR idle connections from each of N_ADDRS addresses counting up from
      FIRST_ADDR (127.0.0.10, 127.0.0.11, ...), sends nothing, and every 100 ms rewrites
      OUTDIR/flood "<opened> <connected> <still open>". Exits after 60 s or when killed.
  http_conns.py probe PORT N TIMEOUT
      N probes of GET /healthz from 127.0.0.1, one after the other, each a fresh connection with
      TIMEOUT seconds to answer; prints one line per probe ("200 12 ms", "none: timed out") and
      last "answered A of N"."""
import ipaddress
import os
import selectors
import socket
import sys
import time


def write(outdir, name, text):
    tmp = os.path.join(outdir, name + ".tmp")
    with open(tmp, "w") as f:
        f.write(text + "\n")
    os.rename(tmp, os.path.join(outdir, name))


def start_connect(src, port):
    """A non-blocking connect from src to 127.0.0.1:port, under way."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    s.bind((src, 0))
    s.connect_ex(("127.0.0.1", port))
    return s


class Conns:
    """Connections being made and held; what became of each."""

    def __init__(self):
        self.sel = selectors.DefaultSelector()
        self.opened = []
        self.connected = []

    def add(self, s):
        self.opened.append(s)
        self.sel.register(s, selectors.EVENT_WRITE)

    def settle(self, timeout):
        """Collects connects that ended within timeout seconds."""
        for key, _ in self.sel.select(timeout):
            s = key.fileobj
            self.sel.unregister(s)
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                self.connected.append(s)

    def pending(self):
        return len(self.sel.get_map())

    def still_open(self):
        n = 0
        for s in self.connected:
            if s.fileno() < 0:
                continue
            try:
                if s.recv(4096, socket.MSG_PEEK) == b"":
                    s.close()
                    continue
            except BlockingIOError:
                pass
            except OSError:
                s.close()
                continue
            n += 1
        return n


def burst(port, outdir, per_addr, addrs):
    c = Conns()
    for a in addrs:
        for _ in range(per_addr):
            c.add(start_connect(a, port))
    deadline = time.monotonic() + 10
    while c.pending() and time.monotonic() < deadline:
        c.settle(0.1)
    write(outdir, "burst_open", "%d %d" % (len(c.connected), len(c.opened)))
    go = os.path.join(outdir, "burst_go")
    deadline = time.monotonic() + 30
    while not os.path.exists(go) and time.monotonic() < deadline:
        time.sleep(0.05)
    for s in c.opened:
        s.close()


def flood(port, outdir, per_addr, first, n_addrs):
    c = Conns()
    base = ipaddress.IPv4Address(first)
    for i in range(n_addrs):
        for _ in range(per_addr):
            c.add(start_connect(str(base + i), port))
    end = time.monotonic() + 60
    while time.monotonic() < end:
        c.settle(0.1)
        write(outdir, "flood", "%d %d %d" % (len(c.opened), len(c.connected), c.still_open()))


def probe(port, n, timeout):
    answered = 0
    for _ in range(n):
        start = time.monotonic()
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=("127.0.0.1", 0))
            s.settimeout(max(0.01, timeout - (time.monotonic() - start)))
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n")
            status = s.recv(64).split(b"\r\n")[0].decode(errors="replace")
            s.close()
            code = status.split(" ")[1] if status.startswith("HTTP/") else "none: " + repr(status)
        except OSError as e:
            code = "none: %s" % (e.strerror or e)
        ms = (time.monotonic() - start) * 1000
        print("%s %.0f ms" % (code, ms))
        if code == "200":
            answered += 1
        # the next probe goes when this one has ended
    print("answered %d of %d" % (answered, n))


def main():
    cmd, port = sys.argv[1], int(sys.argv[2])
    if cmd == "burst":
        burst(port, sys.argv[3], int(sys.argv[4]), sys.argv[5:])
    elif cmd == "flood":
        flood(port, sys.argv[3], int(sys.argv[4]), sys.argv[5], int(sys.argv[6]))
    elif cmd == "probe":
        probe(port, int(sys.argv[3]), float(sys.argv[4]))
    else:
        sys.exit("unknown command " + cmd)


main()
