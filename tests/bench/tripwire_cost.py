#!/usr/bin/env python3
"""What the cgroup v2 tripwire costs (tests/bench/README.md, "The tripwire's cost"; cgroup v2, root).

usage: tripwire_cost.py MEMHOOK TOOLS_DIR OUT_MD

In a fresh 256 MiB cgroup without swap (oom_race.py's Cgroup), memhook runs the default policy
(levels at 25 / 10 / 5 % free: tripwires at 75, 90 and 95 % of the limit) with the tripwire on, and
the same policy with "tripwire": false, alternately:

- idle: memhook watching an idle process for TRIP_IDLE_SECONDS (after 2 s of start-up); wakeups =
  voluntary context switches per second, CPU from /proc/PID/schedstat;
- crossing: TRIP_RUNS runs per mode of race_run's hog as fast as it can (hog_rate, pages touched one
  by one) until the OOM killer stops it; the hog's own rate through the window where the tripwires
  sit (from 70% to 97% of the limit, its progress lines) against the same window with the tripwire
  off; memory.events `high` and memory.stat pgscan / pgsteal counted per run (the reclaim the
  tripwire makes the kernel try).
Before each run with the tripwire on, memory.high is back at the first threshold (the previous
run's normal). TRIP_CACHE_MIB with TRIP_CACHE_FILE: that much of the file is read into the cgroup
before each run (an app's page cache: without it, the only file pages the kernel can reclaim above
memory.high are the hog's own text, which it faults back at once). Exits 1 only when it cannot
measure."""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oom_race import (MIB, Cgroup, Memhook, RaceError, log, proc_sample, read, wait_until)  # noqa: E402

WINDOW = (0.70, 0.97)
CACHE_FILE = os.environ.get("TRIP_CACHE_FILE", "")  # a file to read into the cgroup before each run
CACHE_BYTES = int(os.environ.get("TRIP_CACHE_MIB", "0")) * MIB if CACHE_FILE else 0  # of the limit: the default policy's tripwires sit at 75, 90 and 95%


def stat_keys(cg, *keys):
    out = dict.fromkeys(keys, 0)
    for line in read(cg.file("memory.stat")).splitlines():
        k, _, v = line.partition(" ")
        if k in out:
            out[k] = int(v)
    return out


def events(cg, key):
    for line in read(cg.file("memory.events")).splitlines():
        k, _, v = line.partition(" ")
        if k == key:
            return int(v)
    return 0


def window_rate(run, limit_bytes, window=WINDOW, cache_bytes=0):
    """MB/s of the hog between window's fractions of the limit in the cgroup's usage (its progress
    lines count its own MiB: cache_bytes of page cache sit beside them)."""
    lo, hi = (window[0] * limit_bytes - cache_bytes) / MIB, (window[1] * limit_bytes - cache_bytes) / MIB
    pts = [(m, t) for m, t in run["progress"] if lo <= m <= hi]
    if len(pts) < 2 or pts[-1][1] == pts[0][1]:
        return None
    return (pts[-1][0] - pts[0][0]) * MIB / ((pts[-1][1] - pts[0][1]) / 1e9) / 1e6


def policy_file(work, tripwire):
    path = os.path.join(work, "default-%s.json" % ("on" if tripwire else "off"))
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "policies", "default.json")) as f:
        pol = json.load(f)
    pol["tripwire"] = tripwire
    with open(path, "w") as f:
        json.dump(pol, f)
    return path


def idle(memhook_bin, cg, work, seconds, tripwire):
    sleeper = subprocess.Popen(["sh", "-c", 'echo $$ > "$1/cgroup.procs" && exec sleep 100000', "idle", cg.path])
    mh = Memhook(memhook_bin, cg.path, work, "idle-%s" % tripwire, policy_file(work, tripwire))
    try:
        time.sleep(2)
        a = proc_sample(mh.pid)
        high = read(cg.file("memory.high")).strip()
        time.sleep(seconds)
        b = proc_sample(mh.pid)
    finally:
        mh.stop()
        sleeper.kill()
        sleeper.wait()
    dt = (b["t_ns"] - a["t_ns"]) / 1e9
    cpu = (b["sched_ns"] - a["sched_ns"]) / 1e3 / dt if a["sched_ns"] is not None else float("nan")
    return {"wakeups": (b["vol"] - a["vol"]) / dt, "cpu_us_s": cpu, "high": high}


def crossing_runs(memhook_bin, tools, cg, work, runs, tripwire):
    mh = Memhook(memhook_bin, cg.path, work, "cross-%s" % tripwire, policy_file(work, tripwire))
    rows = []
    try:
        for _ in range(runs):
            wait_until(lambda: cg.usage() < cg.limit_bytes * 0.5, 10, "the cgroup to empty")
            if tripwire:  # the previous run's normal: the tripwire back at the first threshold
                wait_until(lambda: read(cg.file("memory.high")).strip() != "max", 10, "the tripwire to be armed")
            else:
                assert read(cg.file("memory.high")).strip() == "max"
            if CACHE_BYTES:  # the app's page cache: read into the cgroup (again, as far as reclaimed)
                subprocess.run(["sh", "-c", 'echo $$ > "$1/cgroup.procs" && exec dd if="$2" of=/dev/null bs=1M count="$3" status=none',
                                "cache", cg.path, CACHE_FILE, str(CACHE_BYTES // MIB)], check=True)
            h0, s0 = events(cg, "high"), stat_keys(cg, "pgscan", "pgsteal")
            out = subprocess.run([os.path.join(tools, "race_run"), cg.path, os.path.join(tools, "hog_rate"), "0"],
                                 capture_output=True, text=True, timeout=400)
            if out.returncode != 0:
                raise RaceError("race_run failed (%d): %s" % (out.returncode, out.stderr.strip()))
            run = json.loads(out.stdout)
            time.sleep(0.2)
            s1 = stat_keys(cg, "pgscan", "pgsteal")
            rows.append({"rate": window_rate(run, cg.limit_bytes, cache_bytes=CACHE_BYTES), "high": events(cg, "high") - h0,
                         "total": window_rate(run, cg.limit_bytes, ((16 * MIB + CACHE_BYTES) / cg.limit_bytes, 0.97), CACHE_BYTES),
                         "pgscan": s1["pgscan"] - s0["pgscan"], "pgsteal": s1["pgsteal"] - s0["pgsteal"]})
            log("tripwire %s: %r" % ("on" if tripwire else "off", rows[-1]))
            if mh.proc.poll() is not None:
                raise RaceError("memhook died: %s" % read(mh.log_path)[-2000:])
            time.sleep(1.2)  # a check sees the cgroup empty: level normal, the tripwire re-armed
    finally:
        mh.stop()
    return rows


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else float("nan")


def main(argv):
    memhook_bin, tools, out_md = os.path.abspath(argv[1]), os.path.abspath(argv[2]), argv[3]
    runs = int(os.environ.get("TRIP_RUNS", "10"))
    idle_s = int(os.environ.get("TRIP_IDLE_SECONDS", "20"))
    work = tempfile.mkdtemp(prefix="memhook-trip.")
    cg = Cgroup(256 * MIB)
    t0 = time.monotonic()
    try:
        if cg.version != 2:
            raise RaceError("the tripwire is cgroup v2's: this machine's memory controller is v1")
        idle_rows = {t: idle(memhook_bin, cg, work, idle_s, t) for t in (True, False)}
        log("idle: %r" % idle_rows)
        cross = {True: [], False: []}
        for i in range(2):  # alternate blocks, so a drift of the machine hits both modes alike
            for t in (False, True):
                log("crossing runs, tripwire %s, block %d" % ("on" if t else "off", i + 1))
                cross[t] += crossing_runs(memhook_bin, tools, cg, work, (runs + 1) // 2, t)
        lines = ["## The tripwire's cost (cgroup v2, %s)" % os.uname().release, "",
                 "256 MiB, no swap, the default policy (tripwires at 75 / 90 / 95%% of the limit); %d crossing runs per mode; %s; took %.0f s." % (len(cross[True]), "%d MiB of page cache read into the cgroup before each run" % (CACHE_BYTES // MIB) if CACHE_BYTES else "no page cache but the hog's own text", time.monotonic() - t0), "",
                 "| | tripwire on | tripwire off |", "|---|---|---|"]
        lines.append("| idle: wakeups per second (%d s) | %.2f | %.2f |" % (idle_s, idle_rows[True]["wakeups"], idle_rows[False]["wakeups"]))
        lines.append("| idle: CPU µs per second | %.0f | %.0f |" % (idle_rows[True]["cpu_us_s"], idle_rows[False]["cpu_us_s"]))
        lines.append("| idle: memory.high | %s | %s |" % (idle_rows[True]["high"], idle_rows[False]["high"]))
        on, off = med(r["rate"] for r in cross[True]), med(r["rate"] for r in cross[False])
        lines.append("| hog's rate through %d%%..%d%% of the limit, MB/s, median (min..max) | %.0f (%.0f..%.0f) | %.0f (%.0f..%.0f) |"
                     % (WINDOW[0] * 100, WINDOW[1] * 100, on, min(r["rate"] for r in cross[True]), max(r["rate"] for r in cross[True]),
                        off, min(r["rate"] for r in cross[False]), max(r["rate"] for r in cross[False])))
        lines.append("| the tripwire's cost to the hog (median on vs off) | %+.1f%% | |" % ((on / off - 1) * 100))
        ton, toff = med(r["total"] for r in cross[True]), med(r["total"] for r in cross[False])
        lines.append("| hog's rate from 16 MiB to 97%% of the limit, MB/s, median | %.0f | %.0f (on vs off: %+.1f%%) |" % (ton, toff, (ton / toff - 1) * 100))
        for k in ("high", "pgscan", "pgsteal"):
            lines.append("| %s per run, median (max) | %s (%s) | %s (%s) |" % (
                "memory.events `high`" if k == "high" else "memory.stat " + k,
                med(r[k] for r in cross[True]), max(r[k] for r in cross[True]),
                med(r[k] for r in cross[False]), max(r[k] for r in cross[False])))
        text = "\n".join(lines) + "\n"
        with open(out_md, "w") as f:
            f.write(text)
        print(text)
        return 0
    finally:
        cg.close()


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except RaceError as e:
        log("cannot measure: %s" % e)
        sys.exit(1)
