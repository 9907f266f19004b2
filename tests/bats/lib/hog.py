#!/usr/bin/env python3
"""A memory hog the tests steer through a fifo, one command per line.

usage: hog.py FIFO TRAPFILE ACKFILE
  grow N   allocate N more MiB and touch every page
  free     drop everything allocated
  exit     leave
Each command is acknowledged by a line "ok <MiB held> <CLOCK_MONOTONIC seconds when done>" appended
to ACKFILE ("ready" first).
On SIGUSR1 it appends "SIGUSR1" to TRAPFILE."""
import os
import signal
import sys
import time

fifo, trap_file, ack_file = sys.argv[1:4]


def ack(text):
    with open(ack_file, "a") as f:
        f.write(text + "\n")


def on_usr1(signo, frame):
    with open(trap_file, "a") as f:
        f.write("SIGUSR1\n")


signal.signal(signal.SIGUSR1, on_usr1)
# O_RDWR: the fifo never reports EOF when a writer closes it.
commands = os.fdopen(os.open(fifo, os.O_RDWR), "r")
chunks = []
ack("ready")
for line in commands:
    cmd = line.split()
    if not cmd:
        continue
    if cmd[0] == "grow":
        for _ in range(int(cmd[1])):
            chunks.append(bytearray(b"\x01" * (1 << 20)))
    elif cmd[0] == "free":
        chunks.clear()
    elif cmd[0] == "exit":
        break
    ack("ok %d %.6f" % (len(chunks), time.monotonic()))
