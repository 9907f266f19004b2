#!/usr/bin/env python3
"""The kernel's notice of a usage crossing, for node_bench.py, in a process of its own (so that
the benchmark's threads never delay its stamp).

usage: node_notice.py CGROUP THRESHOLD_BYTES

On cgroup v1 (CGROUP has memory.usage_in_bytes) it registers a usage threshold eventfd at
THRESHOLD_BYTES through cgroup.event_control and blocks on it; on v2, which has no usage
notification, it polls memory.current every 1 ms. Prints "ready" once it waits, then the
CLOCK_MONOTONIC seconds of the crossing, and exits 0. SIGTERM ends it without a line."""
import os
import sys
import time


def main():
    cgroup, threshold = sys.argv[1], int(sys.argv[2])
    usage = os.path.join(cgroup, "memory.usage_in_bytes")
    if os.path.exists(usage):
        efd = os.eventfd(0, os.EFD_CLOEXEC)
        ufd = os.open(usage, os.O_RDONLY | os.O_CLOEXEC)
        with open(os.path.join(cgroup, "cgroup.event_control"), "w") as f:
            f.write(f"{efd} {ufd} {threshold}")
        print("ready", flush=True)
        os.eventfd_read(efd)  # blocks until the usage crosses the threshold
        t = time.clock_gettime(time.CLOCK_MONOTONIC)
    else:
        fd = os.open(os.path.join(cgroup, "memory.current"), os.O_RDONLY | os.O_CLOEXEC)
        print("ready", flush=True)
        while int(os.pread(fd, 32, 0)) < threshold:
            time.sleep(0.001)
        t = time.clock_gettime(time.CLOCK_MONOTONIC)
    print("%.9f" % t, flush=True)


if __name__ == "__main__":
    main()
