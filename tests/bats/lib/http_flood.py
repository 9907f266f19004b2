#!/usr/bin/env python3
"""Idle connections and a slowloris client against memhook's --listen port.

usage: http_flood.py PORT N_IDLE IDLE_SRC SLOW_SRC OUTDIR
  Opens N_IDLE TCP connections from IDLE_SRC that send nothing, and one from SLOW_SRC that sends
  a request's headers one byte a second and never ends them. Every 100 ms it rewrites
    OUTDIR/idle_open   "<connected> <still open>" of the idle connections
  and, once the server has closed the slow one,
    OUTDIR/slow_closed "<seconds from its connect to the close> <bytes it had sent>".
  Runs until killed."""
import os
import socket
import sys
import time

port, n_idle, idle_src, slow_src, outdir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]


def write(name, text):
    tmp = os.path.join(outdir, name + ".tmp")
    with open(tmp, "w") as f:
        f.write(text + "\n")
    os.rename(tmp, os.path.join(outdir, name))


def connect(src):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    s.setblocking(False)
    return s


def closed(s):
    """Whether the peer closed s (EOF or reset); what it sent, if anything, is discarded."""
    try:
        return s.recv(4096) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


idle = [connect(idle_src) for _ in range(n_idle)]
open_idle = list(idle)
slow = connect(slow_src)
slow_start = time.monotonic()
slow_text = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 10000
slow_sent = 0
slow_done = False
next_byte = slow_start
while True:
    now = time.monotonic()
    open_idle = [s for s in open_idle if not closed(s)]
    write("idle_open", "%d %d" % (len(idle), len(open_idle)))
    if not slow_done:
        if closed(slow):
            slow_done = True
            write("slow_closed", "%.1f %d" % (now - slow_start, slow_sent))
        elif now >= next_byte:
            try:
                slow.send(slow_text[slow_sent:slow_sent + 1])
                slow_sent += 1
            except OSError:
                slow_done = True
                write("slow_closed", "%.1f %d" % (now - slow_start, slow_sent))
            next_byte += 1.0
    time.sleep(0.1)
