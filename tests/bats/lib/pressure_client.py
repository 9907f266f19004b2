#!/usr/bin/env python3
"""A memory-pressure client written to systemd's protocol (docs/MEMORY_PRESSURE.md), without
libsystemd: Debian 12's libsystemd (252) predates sd_event_add_memory_pressure (254).

usage: pressure_client.py OUT [--never-read]

Reads $MEMORY_PRESSURE_WATCH: "/dev/null" turns it off ("off" in OUT); a regular file is a PSI
file (POLLPRI, never read); a FIFO is opened, a socket connected with a stream socket. Right after,
the Base64-decoded $MEMORY_PRESSURE_WRITE is written into it when set. Then it waits for POLLIN
(POLLPRI for a PSI file) and, each time, reads and discards what is queued, appending
"pressure <CLOCK_MONOTONIC seconds> <bytes discarded>" to OUT. OUT gets "ready" once it waits.
With --never-read it connects, writes, says "ready" and never reads a byte (a stuck app).
"""
import base64
import os
import select
import socket
import stat
import sys
import time


def log(out, text):
    with open(out, "a") as f:
        f.write(text + "\n")


def main():
    out = sys.argv[1]
    never_read = "--never-read" in sys.argv[2:]
    path = os.environ["MEMORY_PRESSURE_WATCH"]
    if path == "/dev/null":
        log(out, "off")
        return
    data = base64.b64decode(os.environ["MEMORY_PRESSURE_WRITE"]) if os.environ.get("MEMORY_PRESSURE_WRITE") else b""
    mode = os.stat(path).st_mode
    sock = None
    if stat.S_ISSOCK(mode):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(path)
        fd = sock.fileno()
        event = select.POLLIN
    elif stat.S_ISFIFO(mode):
        fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
        event = select.POLLIN
    else:
        fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
        event = select.POLLPRI
    if data:
        os.write(fd, data)
    log(out, "ready")
    if never_read:
        while True:
            time.sleep(3600)
    p = select.poll()
    p.register(fd, event)
    while True:
        for _, ev in p.poll():
            if ev & (select.POLLHUP | select.POLLERR) and not ev & select.POLLIN:
                log(out, "hangup")
                return
            n = 0
            if event == select.POLLIN:
                os.set_blocking(fd, False)
                while True:
                    try:
                        chunk = os.read(fd, 4096)
                    except BlockingIOError:
                        break
                    if not chunk:
                        log(out, "hangup")
                        return
                    n += len(chunk)
            log(out, "pressure %.6f %d" % (time.monotonic(), n))


if __name__ == "__main__":
    main()
