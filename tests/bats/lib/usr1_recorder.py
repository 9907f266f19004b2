#!/usr/bin/env python3
"""A process that records the SIGUSR1s it gets, for the pid-reuse tests.

usage: usr1_recorder.py TAG DIR [SECONDS]
Names itself mh-TAG (its comm), appends TAG to DIR/usr1 at each SIGUSR1, writes its pid to
DIR/TAG.pid once the handler and the name are in place, and with SECONDS writes DIR/TAG.done and exits that long after (it listened that long)."""
import os
import signal
import sys
import time

tag, out = sys.argv[1], sys.argv[2]


def on_usr1(signo, frame):
    with open(os.path.join(out, "usr1"), "a") as f:
        f.write(tag + "\n")


signal.signal(signal.SIGUSR1, on_usr1)
with open("/proc/self/comm", "w") as f:  # what --process matches (python3 may be a wrapper)
    f.write("mh-" + tag)
with open(os.path.join(out, tag + ".pid.tmp"), "w") as f:
    f.write(str(os.getpid()))
os.rename(os.path.join(out, tag + ".pid.tmp"), os.path.join(out, tag + ".pid"))
if len(sys.argv) > 3:
    deadline = time.monotonic() + float(sys.argv[3])
    while time.monotonic() < deadline:
        time.sleep(0.05)
    open(os.path.join(out, tag + ".done"), "w").close()
    sys.exit(0)
while True:
    time.sleep(1)
