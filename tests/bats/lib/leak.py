#!/usr/bin/env python3
"""A leak at set rates: for each RATE:SECONDS phase, allocate and touch RATE MiB per second (1 MiB
at a time, paced by the monotonic clock), then hold what it has until killed.

usage: leak.py PROGRESS_FILE RATE_MIB_PER_S:SECONDS [...]
Appends "phase N <MiB held> <monotonic s>" as each phase starts and "hold <MiB> <monotonic s>" at
the end to PROGRESS_FILE."""
import sys
import time

progress, phases = sys.argv[1], sys.argv[2:]
chunks = []


def note(text):
    with open(progress, "a") as f:
        f.write("%s %.6f\n" % (text, time.monotonic()))


for n, phase in enumerate(phases):
    rate, seconds = (float(x) for x in phase.split(":"))
    note("phase %d %d" % (n, len(chunks)))
    base, start = len(chunks), time.monotonic()
    while True:
        elapsed = time.monotonic() - start
        due = base + int(min(elapsed, seconds) * rate)
        while len(chunks) < due:
            chunks.append(bytearray(b"\x01" * (1 << 20)))
        if elapsed >= seconds:
            break
        time.sleep(0.01)
note("hold %d" % len(chunks))
while True:
    time.sleep(3600)
