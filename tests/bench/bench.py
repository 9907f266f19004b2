#!/usr/bin/env python3
"""memhook benchmark: idle footprint, crossing-to-webhook latency, per-check cost.

usage: bench.py MEMHOOK WORKDIR OUT_MD [IDLE_CGROUP]

MEMHOOK      the memhook binary
WORKDIR      an empty scratch directory (fixtures, policies, logs)
OUT_MD       where the Markdown results table is written
IDLE_CGROUP  a real cgroup directory holding an idle process (made by run.sh when root);
             without it the idle figure is measured on a fixture v2 directory

Environment: BENCH_IDLE_SECONDS (60), BENCH_CROSSINGS (200), BENCH_CHECK_SECONDS (10),
BENCH_FLOOR_SECONDS (10), BENCH_FLOOR (the floor program built by run.sh; skipped when empty).
See README.md in this directory for the method. Exits 0 after printing the figures (targets
missed or not); exits 1 only when something could not be measured."""
import json
import math
import os
import queue
import random
import re
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

MIB = 1024 * 1024
INTERVAL_MS = 100
TARGET_RSS_KIB = 8 * 1024
TARGET_IDLE_CPU_PCT = 0.1
TARGET_P99_MS = INTERVAL_MS + 10

# Fixture values: the limit is 100 MiB, "low" leaves 90% free (level 0), "high" leaves 20% free
# (level 1 of the policy: local_relative 25, not level 2 at 10). Same length, so an in-place
# pwrite at offset 0 replaces the value without a truncation window.
LIMIT = 100 * MIB
LOW = 10 * MIB    # 10485760
HIGH = 80 * MIB   # 83886080
assert len(str(LOW)) == len(str(HIGH))


class BenchError(Exception):
    pass


def env_num(name, default, kind=int):
    v = os.environ.get(name, "")
    try:
        return kind(v) if v else default
    except ValueError:
        raise BenchError("%s=%r is not a number" % (name, v))


# ---------------------------------------------------------------- /proc readers

def proc_status(pid):
    """The kB and counter fields of /proc/PID/status as ints."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            parts = v.split()
            if parts and parts[0].isdigit():
                out[k] = int(parts[0])
    return out


def proc_cpu_ticks(pid):
    """utime + stime of /proc/PID/stat, in clock ticks."""
    with open("/proc/%d/stat" % pid) as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return int(rest[11]) + int(rest[12])  # fields 14 and 15; rest[0] is field 3


def proc_cpu_ns(pid):
    """sum_exec_runtime from /proc/PID/schedstat (ns), or None without schedstat."""
    try:
        with open("/proc/%d/schedstat" % pid) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


class CpuSample:
    def __init__(self, pid):
        self.t_ns = time.monotonic_ns()
        self.ticks = proc_cpu_ticks(pid)
        self.ns = proc_cpu_ns(pid)
        st = proc_status(pid)
        self.wakeups = st.get("voluntary_ctxt_switches", 0) + st.get("nonvoluntary_ctxt_switches", 0)

    def cpu_ns_since(self, other, hz):
        """CPU time between two samples: schedstat (ns) when available, else ticks."""
        if self.ns is not None and other.ns is not None:
            return self.ns - other.ns
        return (self.ticks - other.ticks) * 1_000_000_000 // hz


# ---------------------------------------------------------------- fixtures and memhook

def write_fixture_v2(d, usage):
    os.makedirs(d, exist_ok=True)
    for name, text in (("memory.current", "%d\n" % usage), ("memory.max", "%d\n" % LIMIT),
                       ("memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n"),
                       ("memory.stat", "anon 1048576\nfile 2097152\nkernel 524288\n"),
                       ("cgroup.procs", ""), ("memory.reclaim", "")):
        with open(os.path.join(d, name), "w") as f:
            f.write(text)


def write_policy(path, interval, url):
    """The three default levels; webhooks on entering level 1 and on returning to normal."""
    pol = {
        "check_interval": interval,
        "maximum_available": "auto",
        "log_transitions": True,
        "levels": [
            {"name": "elevated", "when": {"local_relative": 25}},
            {"name": "high", "when": {"local_relative": 10}},
            {"name": "critical", "when": {"local_relative": 5}},
        ],
        "handlers": [
            {"on": "entered", "level": 1, "webhook": {"url": url, "timeout": "2s", "retries": 0}},
            {"on": "normal", "webhook": {"url": url, "timeout": "2s", "retries": 0}},
        ],
    }
    with open(path, "w") as f:
        json.dump(pol, f, indent=1)


class Memhook:
    def __init__(self, binary, policy, cgroup, log_path, extra=()):
        self.log_path = log_path
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen([binary, "run", "--policy", policy, "--cgroup", cgroup] + list(extra),
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.log)
        self.pid = self.proc.pid
        deadline = time.monotonic() + 10
        while not re.search(r"watching ", self.read_log()):
            if self.proc.poll() is not None:
                raise BenchError("memhook exited with %d at start:\n%s" % (self.proc.returncode, self.read_log()))
            if time.monotonic() > deadline:
                raise BenchError("memhook did not start watching within 10 s:\n%s" % self.read_log())
            time.sleep(0.02)

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        """SIGTERM, wait (deadline 15 s); returns the number of checks from the "stopped:" line."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise BenchError("memhook did not stop within 15 s of SIGTERM")
        finally:
            self.log.close()
        if rc != 0:
            raise BenchError("memhook exited with %d:\n%s" % (rc, self.read_log()))
        m = re.search(r"stopped: (\d+) checks", self.read_log())
        if not m:
            raise BenchError("no 'stopped: N checks' line in memhook's log:\n%s" % self.read_log())
        return int(m.group(1))

    def kill(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait()


# ---------------------------------------------------------------- webhook receiver (127.0.0.1)

class Receiver:
    """HTTP server in a thread; every POST is queued as (arrival monotonic ns, parsed body)."""

    def __init__(self):
        self.q = queue.Queue()
        self.count = 0
        q, outer = self.q, self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                t = time.monotonic_ns()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                outer.count += 1
                try:
                    q.put((t, json.loads(body)))
                except ValueError:
                    q.put((t, {"event": "unparsable", "raw": body[:200].decode("utf-8", "replace")}))

            def log_message(self, *args):
                pass

        self.srv = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/memory" % self.srv.server_address[1]
        self.thread = threading.Thread(target=self.srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def expect(self, event, level, timeout_s):
        try:
            t, body = self.q.get(timeout=timeout_s)
        except queue.Empty:
            raise BenchError("no %s webhook within %.0f s" % (event, timeout_s))
        if body.get("event") != event or body.get("level") != level:
            raise BenchError("expected %s level %d, got %r" % (event, level, body))
        return t

    def drain(self):
        while not self.q.empty():
            self.q.get_nowait()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


# ---------------------------------------------------------------- the three measurements

def bench_idle(binary, work, rx, idle_cgroup, seconds, hz, extra=()):
    if idle_cgroup:
        target, kind = idle_cgroup, "real cgroup"
    else:
        target, kind = os.path.join(work, "idle-fixture"), "fixture v2 directory"
        write_fixture_v2(target, LOW)
    pol = os.path.join(work, "idle-policy.json")
    write_policy(pol, "%dms" % INTERVAL_MS, rx.url)
    warmup_s = min(2.0, seconds / 10)
    print("idle: memhook %swatching a %s (%s) for %g s at %d ms ..."
          % (" ".join(extra) + " " if extra else "", kind, target, seconds, INTERVAL_MS), flush=True)
    mh = Memhook(binary, pol, target, os.path.join(work, "idle%s.log" % ("-listen" if extra else "")), extra)
    try:
        start = CpuSample(mh.pid)
        time.sleep(warmup_s)
        warm = CpuSample(mh.pid)
        time.sleep(max(0.0, seconds - warmup_s))
        if not mh.alive():
            raise BenchError("memhook died during the idle run:\n%s" % mh.read_log())
        end = CpuSample(mh.pid)
        st = proc_status(mh.pid)
        with open("/proc/%d/smaps_rollup" % mh.pid) as f:
            pss_kib = int(re.search(r"^Pss:\s+(\d+)", f.read(), re.M).group(1))
    finally:
        checks = mh.stop() if mh.alive() else None
    if rx.count:
        raise BenchError("the idle run sent %d webhook(s); the target was not idle" % rx.count)
    total_s = (end.t_ns - start.t_ns) / 1e9
    steady_s = (end.t_ns - warm.t_ns) / 1e9
    steady_cpu_ns = end.cpu_ns_since(warm, hz)
    return {
        "kind": kind,
        "seconds": total_s,
        "checks": checks,
        "hwm_kib": st["VmHWM"], "rss_kib": st["VmRSS"],
        "anon_kib": st.get("RssAnon"), "file_kib": st.get("RssFile"), "pss_kib": pss_kib,
        # CPU from memhook's exec to the end (ticks, /proc/PID/stat), and over the steady window.
        "total_cpu_ms": end.ticks * 1000 / hz,
        "total_cpu_ns_precise": end.ns,
        "steady_seconds": steady_s,
        "steady_cpu_ms": steady_cpu_ns / 1e6,
        "steady_cpu_pct": 100.0 * steady_cpu_ns / 1e9 / steady_s,
        "steady_ticks": end.ticks - warm.ticks,
        "wakeups_per_s": (end.wakeups - warm.wakeups) / steady_s,
    }


def bench_scrapes(binary, work, rx, n, hz):
    """n GETs of /metrics over one keep-alive connection: the client's round trip of each, and
    memhook's own CPU per scrape (beside its checks, measured without scrapes for as long)."""
    import http.client
    cg = os.path.join(work, "scrape-fixture")
    write_fixture_v2(cg, LOW)
    pol = os.path.join(work, "scrape-policy.json")
    write_policy(pol, "%dms" % INTERVAL_MS, rx.url)
    print("scrapes: %d GET /metrics on one connection ..." % n, flush=True)
    mh = Memhook(binary, pol, cg, os.path.join(work, "scrape.log"), ["--listen", "127.0.0.1:0"])
    try:
        port = int(re.search(r"listening on http://127\.0\.0\.1:(\d+)", mh.read_log()).group(1))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        lat, size = [], 0
        before = CpuSample(mh.pid)
        for _ in range(n):
            t0 = time.perf_counter_ns()
            conn.request("GET", "/metrics")
            r = conn.getresponse()
            body = r.read()
            lat.append(time.perf_counter_ns() - t0)
            if r.status != 200:
                raise BenchError("GET /metrics: %d" % r.status)
            size = len(body)
        after = CpuSample(mh.pid)
        conn.close()
        elapsed_s = (after.t_ns - before.t_ns) / 1e9
        cpu_ns = after.cpu_ns_since(before, hz)
        # the checks' share of that CPU, measured just after on the same memhook without scrapes
        quiet0 = CpuSample(mh.pid)
        time.sleep(max(elapsed_s, 1.0))
        quiet1 = CpuSample(mh.pid)
        checks_ns = quiet1.cpu_ns_since(quiet0, hz) * elapsed_s / ((quiet1.t_ns - quiet0.t_ns) / 1e9)
    finally:
        mh.stop() if mh.alive() else None
    return {"n": n, "bytes": size, "lat": stats_ms(lat),
            "server_us": max(0.0, cpu_ns - checks_ns) / n / 1e3}


def percentile(sorted_vals, p):
    """Nearest-rank percentile."""
    k = max(1, math.ceil(p / 100.0 * len(sorted_vals)))
    return sorted_vals[k - 1]


def stats_ms(lat_ns):
    v = sorted(x / 1e6 for x in lat_ns)
    return {"n": len(v), "min": v[0], "median": percentile(v, 50), "p90": percentile(v, 90),
            "p99": percentile(v, 99), "max": v[-1], "mean": sum(v) / len(v)}


def bench_latency(binary, work, rx, crossings):
    cg = os.path.join(work, "latency-fixture")
    write_fixture_v2(cg, LOW)
    pol = os.path.join(work, "latency-policy.json")
    write_policy(pol, "%dms" % INTERVAL_MS, rx.url)
    print("latency: %d crossings up and down on a fixture v2 directory at %d ms ..." % (crossings, INTERVAL_MS),
          flush=True)
    fd = os.open(os.path.join(cg, "memory.current"), os.O_WRONLY)
    high, low = ("%d\n" % HIGH).encode(), ("%d\n" % LOW).encode()
    rng = random.Random(int(os.environ.get("BENCH_SEED", "0")) or None)
    mh = Memhook(binary, pol, cg, os.path.join(work, "latency.log"))
    up, down = [], []
    try:
        time.sleep(0.3)  # a few checks at level 0; nothing is sent for them
        rx.drain()
        for i in range(crossings):
            for value, event, level, out in ((high, "entered", 1, up), (low, "normal", 0, down)):
                time.sleep(rng.uniform(0, INTERVAL_MS / 1000.0))  # a random phase of the interval
                t0 = time.monotonic_ns()
                os.pwrite(fd, value, 0)
                t1 = rx.expect(event, level, 5.0)
                out.append(t1 - t0)
            if not mh.alive():
                raise BenchError("memhook died during the latency run:\n%s" % mh.read_log())
            if (i + 1) % 50 == 0:
                print("  %d/%d" % (i + 1, crossings), flush=True)
    finally:
        os.close(fd)
        if mh.alive():
            mh.stop()
    return {"up": stats_ms(up), "down": stats_ms(down)}


def bench_check_cost(binary, work, rx, seconds, hz):
    cg = os.path.join(work, "check-fixture")
    write_fixture_v2(cg, LOW)
    pol = os.path.join(work, "check-policy.json")
    write_policy(pol, "10ms", rx.url)
    print("per-check cost: %g s at a 10 ms interval on a fixture v2 directory ..." % seconds, flush=True)
    mh = Memhook(binary, pol, cg, os.path.join(work, "check.log"))
    try:
        t_start = time.monotonic_ns()
        time.sleep(min(1.0, seconds / 5))
        warm = CpuSample(mh.pid)
        time.sleep(max(0.0, seconds - min(1.0, seconds / 5)))
        end = CpuSample(mh.pid)
    finally:
        checks = mh.stop() if mh.alive() else None
    t_stop = time.monotonic_ns()
    if not checks:
        raise BenchError("memhook reported no checks in the per-check run")
    # Checks in the steady window, from the rate over the whole run (timerfd-driven, so uniform).
    window_checks = checks * (end.t_ns - warm.t_ns) / (t_stop - t_start)
    steady_cpu_ns = end.cpu_ns_since(warm, hz)
    return {
        "seconds": (t_stop - t_start) / 1e9,
        "checks": checks,
        "checks_per_s": checks / ((t_stop - t_start) / 1e9),
        "us_per_check_total": end.ticks * 1e6 / hz / checks,
        "us_per_check_steady": steady_cpu_ns / 1e3 / window_checks,
        "cpu_pct": 100.0 * steady_cpu_ns / (end.t_ns - warm.t_ns),
    }


def bench_floor(floor_bin, idle_target, seconds):
    """The same wakeups with nothing else (and with the reads a check does), and the resident size
    of libcurl loaded and initialised: what any daemon built this way costs on this machine."""
    if not floor_bin:
        return None
    iterations = max(10, int(seconds * 1000 / INTERVAL_MS))
    if os.path.exists(os.path.join(idle_target, "memory.current")):
        names = ("memory.current", "memory.max", "memory.events")
    else:
        names = ("memory.usage_in_bytes", "memory.limit_in_bytes", "memory.oom_control")
    files = [os.path.join(idle_target, n) for n in names] + ["/proc/meminfo"]
    print("floor: bare timer wakeups, then wakeups reading %s, %d x %d ms each ..."
          % (" ".join(names + ("/proc/meminfo",)), iterations, INTERVAL_MS), flush=True)

    def run(args, timeout):
        out = subprocess.run([floor_bin] + args, capture_output=True, text=True, timeout=timeout)
        if out.returncode != 0:
            raise BenchError("floor %s: exit %d: %s" % (args[0], out.returncode, out.stderr.strip()))
        return dict((k, float(v)) for k, v in (line.split() for line in out.stdout.splitlines()))

    t = seconds + 30
    bare = run(["wakeup", str(INTERVAL_MS), str(iterations)], t)["us_per_wakeup"]
    reads = run(["wakeup", str(INTERVAL_MS), str(iterations)] + files, t)["us_per_wakeup"]
    libs = run(["libs"], 30)
    return {"bare_us": bare, "reads_us": reads, "files": names, "libs_hwm_kib": libs["hwm_kib"],
            "libs_before_kib": libs["rss_kib_before"]}


# ---------------------------------------------------------------- report

def verdict(ok):
    return "PASS" if ok else "MISS"


def pct_of_core(us_per_wakeup):
    return us_per_wakeup / (INTERVAL_MS * 10.0)


def report(idle, lat, chk, floor, out_md, precise, idle_listen=None, scrapes=None):
    up, down = lat["up"], lat["down"]
    cpu_src = "schedstat" if precise else "utime+stime"
    rows = [
        ("Peak RSS, idle %ds (VmHWM)" % round(idle["seconds"]), "%.2f MiB" % (idle["hwm_kib"] / 1024),
         "< 8 MiB", verdict(idle["hwm_kib"] < TARGET_RSS_KIB)),
        ("  RSS at the end: anon / file-backed / PSS", "%.2f / %.2f / %.2f MiB" % (
            (idle["anon_kib"] or 0) / 1024, (idle["file_kib"] or 0) / 1024, idle["pss_kib"] / 1024), "", ""),
        ("Idle CPU, steady %ds (%s)" % (round(idle["steady_seconds"]), cpu_src),
         "%.4f%% of one core (%.1f ms)" % (idle["steady_cpu_pct"], idle["steady_cpu_ms"]),
         "< 0.1%", verdict(idle["steady_cpu_pct"] < TARGET_IDLE_CPU_PCT)),
        ("  CPU from exec to the end (utime+stime)", "%.0f ms over %.0f s (%.4f%%)" % (
            idle["total_cpu_ms"], idle["seconds"], idle["total_cpu_ms"] / 10 / idle["seconds"]), "", ""),
        ("  Wakeups (context switches) per second", "%.1f" % idle["wakeups_per_s"], "", ""),
        ("Latency crossing -> webhook, up (entered), n=%d" % up["n"],
         "median %.1f / p90 %.1f / p99 %.1f / max %.1f ms" % (up["median"], up["p90"], up["p99"], up["max"]),
         "p99 < %d ms" % TARGET_P99_MS, verdict(up["p99"] < TARGET_P99_MS)),
        ("  Latency, down (normal), n=%d" % down["n"],
         "median %.1f / p90 %.1f / p99 %.1f / max %.1f ms" % (down["median"], down["p90"], down["p99"], down["max"]),
         "p99 < %d ms" % TARGET_P99_MS, verdict(down["p99"] < TARGET_P99_MS)),
        ("CPU per check (10 ms interval, %d checks)" % chk["checks"],
         "%.1f µs (%.1f µs incl. start-up)" % (chk["us_per_check_steady"], chk["us_per_check_total"]), "", ""),
    ]
    if idle_listen:
        rows += [
            ("Idle with --listen, no scrapes: peak RSS (VmHWM)", "%.2f MiB" % (idle_listen["hwm_kib"] / 1024),
             "< 8 MiB", verdict(idle_listen["hwm_kib"] < TARGET_RSS_KIB)),
            ("  with --listen: idle CPU, steady %ds" % round(idle_listen["steady_seconds"]),
             "%.4f%% of one core (%.1f ms); without: %.4f%%" % (
                 idle_listen["steady_cpu_pct"], idle_listen["steady_cpu_ms"], idle["steady_cpu_pct"]),
             "unchanged", ""),
            ("  with --listen: wakeups per second", "%.1f; without: %.1f" % (
                idle_listen["wakeups_per_s"], idle["wakeups_per_s"]), "unchanged",
             verdict(abs(idle_listen["wakeups_per_s"] - idle["wakeups_per_s"]) < 0.1 * max(idle["wakeups_per_s"], 1))),
        ]
    if scrapes:
        sl = scrapes["lat"]
        rows += [
            ("One scrape of /metrics, round trip (n=%d, %d bytes)" % (scrapes["n"], scrapes["bytes"]),
             "median %.3f / p99 %.3f / max %.3f ms" % (sl["median"], sl["p99"], sl["max"]),
             "< 1 ms", verdict(sl["median"] < 1.0)),
            ("  memhook's CPU per scrape", "%.1f µs" % scrapes["server_us"], "", ""),
        ]
    if idle["checks"]:
        per_check = idle["steady_cpu_ms"] * 1e3 / (idle["checks"] * idle["steady_seconds"] / idle["seconds"])
        rows.insert(3, ("  CPU per check at %d ms, idle target" % INTERVAL_MS, "%.1f µs" % per_check, "", ""))
    if floor:
        rows += [
            ("Floor: bare timerfd wakeup every %d ms" % INTERVAL_MS,
             "%.1f µs (%.4f%% of one core)" % (floor["bare_us"], pct_of_core(floor["bare_us"])), "", ""),
            ("Floor: wakeup + the check's %d preads" % (len(floor["files"]) + 1),
             "%.1f µs (%.4f%% of one core)" % (floor["reads_us"], pct_of_core(floor["reads_us"])), "", ""),
            ("Floor: RSS of libcurl & co. loaded, then initialised",
             "%.2f MiB, then %.2f MiB" % (floor["libs_before_kib"] / 1024, floor["libs_hwm_kib"] / 1024), "", ""),
        ]
    # Plain table on stdout.
    w = [max(len(r[i]) for r in rows) for i in range(4)]
    print()
    print("memhook benchmark (interval %d ms, target for idle: %s)" % (INTERVAL_MS, idle["kind"]))
    for r in [("Figure", "Value", "Target", "Result")] + rows:
        print("  ".join(r[i].ljust(w[i]) for i in range(4)).rstrip())
    # Markdown for tests/README.md, Benchmarks.
    uname = os.uname()
    md = ["| Figure | Value | Target | Result |", "|---|---|---|---|"]
    md += ["| %s | %s | %s | %s |" % (r[0].strip(), r[1], r[2], r[3]) for r in rows]
    md.append("")
    md.append("Measured by `make bench` on %s %s (%d CPUs); idle target: %s; latency: %d crossings each way at "
              "random phases of the %d ms interval, to a receiver on 127.0.0.1."
              % (uname.sysname, uname.release, os.cpu_count() or 0, idle["kind"], up["n"], INTERVAL_MS))
    os.makedirs(os.path.dirname(os.path.abspath(out_md)), exist_ok=True)
    with open(out_md, "w") as f:
        f.write("\n".join(md) + "\n")
    print("\nMarkdown written to %s" % out_md)


def main():
    if len(sys.argv) not in (4, 5):
        print(__doc__, file=sys.stderr)
        return 2
    binary, work, out_md = sys.argv[1], sys.argv[2], sys.argv[3]
    idle_cgroup = sys.argv[4] if len(sys.argv) == 5 and sys.argv[4] else None
    try:
        idle_s = env_num("BENCH_IDLE_SECONDS", 60.0, float)
        crossings = env_num("BENCH_CROSSINGS", 200)
        check_s = env_num("BENCH_CHECK_SECONDS", 10.0, float)
        floor_s = env_num("BENCH_FLOOR_SECONDS", 10.0, float)
        if idle_s <= 0 or crossings < 1 or check_s <= 0:
            raise BenchError("BENCH_IDLE_SECONDS, BENCH_CROSSINGS and BENCH_CHECK_SECONDS must be positive")
        hz = os.sysconf("SC_CLK_TCK")
        rx = Receiver()
        try:
            idle = bench_idle(binary, work, rx, idle_cgroup, idle_s, hz)
            idle_target_dir = idle_cgroup or os.path.join(work, "idle-fixture")
            idle_listen = bench_idle(binary, work, rx, idle_cgroup, idle_s, hz, ["--listen", "127.0.0.1:0"])
            scrapes = bench_scrapes(binary, work, rx, env_num("BENCH_SCRAPES", 1000), hz)
            lat = bench_latency(binary, work, rx, crossings)
            rx.drain()
            chk = bench_check_cost(binary, work, rx, check_s, hz)
        finally:
            rx.close()
        floor = None
        try:
            floor = bench_floor(os.environ.get("BENCH_FLOOR", ""), idle_target_dir, floor_s)
        except (BenchError, OSError, subprocess.TimeoutExpired, ValueError) as e:
            print("bench: floor not measured: %s" % e, file=sys.stderr)
        report(idle, lat, chk, floor, out_md, proc_cpu_ns(os.getpid()) is not None, idle_listen, scrapes)
    except (BenchError, OSError) as e:
        print("bench: cannot measure: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
