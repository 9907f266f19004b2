#!/usr/bin/env python3
"""The OOM race and the idle cost (make bench; tests/bench/README.md, "The OOM race").

usage: oom_race.py MEMHOOK TOOLS_DIR OUT_MD [--no-idle] [--title TEXT] [--floor FLOOR_BIN]

MEMHOOK    the memhook binary
TOOLS_DIR  the directory with hog_rate, race_run and stamp (the Makefile's build/bench)
OUT_MD     where the Markdown summary is written (also printed at the end)

Race: in a fresh memory cgroup (v2 when the memory controller is on v2, else v1) with a limit of
RACE_LIMIT_MIB and no swap, a hog touches memory at each rate until the OOM killer kills it, RACE_RUNS
times per rate. Meanwhile one memhook per interval of RACE_INTERVALS ("default" = the policy without
check_interval) watches the cgroup with levels at 25% and 10% free, each with an exec handler that
stamps CLOCK_MONOTONIC into a file; race_run registers the kernel's own notifications in the same runs
and times the kill. A stamp before the kill is "in time"; the lead is kill - stamp.

Idle: side by side for RACE_IDLE_SECONDS (after 2 s of start-up): memhook on its default policy on
the cgroup holding an idle process, earlyoom --dryrun (binary defaults, and Debian's service
arguments), and a bare timerfd loop (floor.c) at 1 s and 100 ms.

Environment: RACE_RUNS (20), RACE_RATES ("50,200,1000,max": MB/s, max = as fast as it can),
RACE_INTERVALS ("default,100ms,default+1Gi/s"; "+RATE" adds assume_growth, "-notripwire" sets
"tripwire": false), RACE_IDLE_SECONDS (30), RACE_LIMIT_MIB (256), RACE_SEED, RACE_DEBUG (1: memhook
logs each check, and the lag cells add when the check that entered the level came).
Prints progress to stderr; exits 1 only when it cannot measure."""
import argparse
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

MIB = 1024 * 1024
LEVELS = ((1, 25), (2, 10))  # (level, percent free)
KERNEL_PERCENTS = (75, 90)  # usage thresholds matching the levels' free percents
SETTLE_AFTER_DEATH_S = 0.2  # a check that read usage before the kill may still act: wait it out
GOAL_V1_IN_TIME = 0.99
GOAL_V1_LAG_MS = 5.0
GOAL_V2_IN_TIME = 0.95
GOAL_V2_MAX_RATE = 1000
GOAL_V2_TRIPWIRE_IN_TIME = 0.99  # issue 18: with the tripwire, every rate, the default interval
GOAL_V2_TRIPWIRE_LAG_MS = 5.0
GOAL_RSS_KIB = 8 * 1024


class RaceError(Exception):
    pass


def log(msg):
    print("oom-race: " + msg, file=sys.stderr, flush=True)


def env_int(name, default):
    v = os.environ.get(name, "")
    try:
        return int(v) if v else default
    except ValueError:
        raise RaceError("%s=%r is not a number" % (name, v))


def now_ns():
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def wait_until(cond, seconds, what):
    deadline = time.monotonic() + seconds
    while not cond():
        if time.monotonic() > deadline:
            raise RaceError("gave up after %g s waiting for %s" % (seconds, what))
        time.sleep(0.01)


def read(path):
    with open(path) as f:
        return f.read()


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


# ---------------------------------------------------------------- the cgroup

class Cgroup:
    """A fresh memory cgroup with the limit and no swap; removed by close()."""

    def __init__(self, limit_bytes):
        if os.geteuid() != 0:
            raise RaceError("needs root: it makes a memory cgroup")
        name = "memhook-race-%d" % os.getpid()
        if "memory" in read("/sys/fs/cgroup/cgroup.controllers").split() if os.path.exists(
                "/sys/fs/cgroup/cgroup.controllers") else False:
            self.version, self.path = 2, "/sys/fs/cgroup/" + name
        elif os.path.exists("/sys/fs/cgroup/memory/cgroup.event_control"):
            self.version, self.path = 1, "/sys/fs/cgroup/memory/" + name
        else:
            raise RaceError("no memory cgroup controller (v2 or v1) found")
        if self.version == 2 and "memory" not in read("/sys/fs/cgroup/cgroup.subtree_control").split():
            write("/sys/fs/cgroup/cgroup.subtree_control", "+memory")
        os.mkdir(self.path)
        self.limit_bytes = limit_bytes
        if self.version == 2:
            write(self.file("memory.max"), str(limit_bytes))
            if os.path.exists(self.file("memory.swap.max")):
                write(self.file("memory.swap.max"), "0")
            self.usage_file = "memory.current"
        else:
            write(self.file("memory.limit_in_bytes"), str(limit_bytes))
            write(self.file("memory.swappiness"), "0")
            if os.path.exists(self.file("memory.memsw.limit_in_bytes")):
                write(self.file("memory.memsw.limit_in_bytes"), str(limit_bytes))
            self.usage_file = "memory.usage_in_bytes"

    def file(self, name):
        return os.path.join(self.path, name)

    def usage(self):
        return int(read(self.file(self.usage_file)))

    def close(self):
        for _ in range(100):
            for p in read(self.file("cgroup.procs")).split() if os.path.isdir(self.path) else []:
                try:
                    os.kill(int(p), signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                os.rmdir(self.path)
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.05)
        log("could not remove " + self.path)


def swap_state():
    lines = read("/proc/swaps").strip().splitlines()[1:]
    return "swap: none on the machine" if not lines else "swap: %d device(s), the cgroup's swap limit 0" % len(lines)


# ---------------------------------------------------------------- /proc

def proc_sample(pid):
    with open("/proc/%d/stat" % pid) as f:
        rest = f.read().rsplit(")", 1)[1].split()
    ticks = int(rest[11]) + int(rest[12])
    try:
        sched_ns = int(read("/proc/%d/schedstat" % pid).split()[0])
    except (OSError, ValueError, IndexError):
        sched_ns = None
    st = {}
    for line in read("/proc/%d/status" % pid).splitlines():
        k, _, v = line.partition(":")
        if v.split() and v.split()[0].isdigit():
            st[k] = int(v.split()[0])
    return {"t_ns": now_ns(), "ticks": ticks, "sched_ns": sched_ns,
            "vol": st.get("voluntary_ctxt_switches", 0), "invol": st.get("nonvoluntary_ctxt_switches", 0),
            "hwm_kib": st.get("VmHWM", 0)}


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ---------------------------------------------------------------- memhook

class Memhook:
    def __init__(self, binary, cgroup_path, work, name, policy=None):
        self.name = name
        self.log_path = os.path.join(work, name + ".log")
        args = [binary, "run", "--cgroup", cgroup_path] + (["--policy", policy] if policy else [])
        if os.environ.get("RACE_DEBUG") == "1":  # each check's line: when memhook's check came
            args += ["--log-level", "debug"]
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        self.pid = self.proc.pid
        try:
            wait_until(lambda: "watching " in read(self.log_path) or self.proc.poll() is not None, 10,
                       "memhook (%s) to start watching" % name)
        except RaceError:
            stop(self.proc)
            raise
        if self.proc.poll() is not None:
            raise RaceError("memhook (%s) exited with %d:\n%s" % (name, self.proc.returncode, read(self.log_path)))

    def stop(self):
        stop(self.proc)
        self.log.close()


def race_policy(path, stamp, stamp_file, interval):
    pol = {"levels": [{"name": "free-below-%d" % pct, "when": {"local_relative": pct}} for _, pct in LEVELS],
           "handlers": [{"on": "entered", "level": lvl,
                         "exec": {"command": [stamp, stamp_file, "L%d" % lvl], "detach": True}}
                        for lvl, _ in LEVELS]
           + [{"on": "normal", "exec": {"command": [stamp, stamp_file, "N"], "detach": True}}]}
    notrip = interval.endswith("-notripwire")  # "default-notripwire": "tripwire": false
    interval = interval[:-len("-notripwire")] if notrip else interval
    interval, _, assume = interval.partition("+")  # "default+1Gi/s": with assume_growth
    if notrip:
        pol = {"tripwire": False, **pol}
    if interval != "default":
        pol = {"check_interval": interval, **pol}
    if assume:
        pol = {"assume_growth": assume, **pol}
    with open(path, "w") as f:
        json.dump(pol, f, indent=1)


def policy_interval(binary, policy):
    """The check_interval `memhook check` reports for the policy (None: the default), e.g. "1s"."""
    out = subprocess.run([binary, "check"] + (["--policy", policy] if policy else []), capture_output=True, text=True)
    if out.returncode != 0:
        raise RaceError("memhook check %s failed:\n%s%s" % (policy, out.stdout, out.stderr))
    m = re.search(r"check_interval (\S+?),?\s", out.stdout)
    return m.group(1) if m else "?"


def duration_s(text):
    m = re.fullmatch(r"(\d+)(us|ms|s|m|h)", text)
    if not m:
        return 1.0
    return int(m.group(1)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}[m.group(2)]


def read_stamps(path):
    out = []
    if os.path.exists(path):
        for line in read(path).splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1].isdigit():
                out.append((parts[0], int(parts[1])))
    return sorted(out, key=lambda s: s[1])


def check_times(log_path, start_ns):
    """(monotonic ns, level) of each check memhook logged (RACE_DEBUG=1) since start_ns."""
    out = []
    for m in re.finditer(r"check \d+ at (\d+) us \(monotonic\): usage \d+ bytes, level (\d+)", read(log_path)):
        t = int(m.group(1)) * 1000
        if t >= start_ns:
            out.append((t, int(m.group(2))))
    return out


# ---------------------------------------------------------------- statistics

def mmm(values):
    """min/median/max in ms of ns values, or "-"."""
    if not values:
        return "-"
    ms = [v / 1e6 for v in values]
    return "%s / %s / %s" % (fmt_ms(min(ms)), fmt_ms(statistics.median(ms)), fmt_ms(max(ms)))


def fmt_ms(v):
    return "%.2f" % v if abs(v) < 10 else "%.0f" % v


def rate_label(rate):
    return "as fast as it can" if rate == "max" else ("%s MB/s" % rate if int(rate) < 1000 else "%g GB/s" % (int(rate) / 1000))


def achieved_mb_s(run, limit_bytes):
    """The hog's rate between 16 MiB and 75% of the limit (its own progress lines), in MB/s."""
    pts = [(m, t) for m, t in run["progress"] if 16 <= m <= limit_bytes * 0.75 / MIB]
    if len(pts) < 2:
        pts = run["progress"][1:] if len(run["progress"]) > 2 else run["progress"]
    if len(pts) < 2 or pts[-1][1] == pts[0][1]:
        return None
    return (pts[-1][0] - pts[0][0]) * MIB / ((pts[-1][1] - pts[0][1]) / 1e9) / 1e6


# ---------------------------------------------------------------- the race

def race(memhook_bin, tools, cg, work, rates, runs, intervals, rng):
    stamp = os.path.join(tools, "stamp")
    hooks = []
    try:
        for iv in intervals:
            name = "memhook-" + iv.replace("/", "_").replace("+", "_")
            pol = os.path.join(work, name + ".json")
            sfile = os.path.join(work, name + ".stamps")
            race_policy(pol, stamp, sfile, iv)
            label = policy_interval(memhook_bin, pol)
            hooks.append({"iv": iv, "label": "memhook %s (%s%s%s)" % (label, "default interval" if iv.startswith("default") else "check_interval",
                                                           ", assume_growth " + iv.partition("+")[2].replace("-notripwire", "") if "+" in iv else "",
                                                           ", tripwire off" if iv.endswith("-notripwire") else ""),
                          "interval_s": duration_s(label), "stamps": sfile,
                          "mh": Memhook(memhook_bin, cg.path, work, name, pol)})
        phase_s = max(h["interval_s"] for h in hooks)
        results = {}
        for rate in rates:
            rows = []
            log("rate %s: %d runs" % (rate_label(rate), runs))
            for i in range(runs):
                time.sleep(rng.uniform(0, phase_s))  # a random phase of every memhook's tick
                wait_until(lambda: cg.usage() < cg.limit_bytes * 0.5, 10, "the cgroup to empty")
                out = subprocess.run([os.path.join(tools, "race_run"), cg.path, os.path.join(tools, "hog_rate"),
                                      "0" if rate == "max" else rate] + [str(p) for p in KERNEL_PERCENTS],
                                     capture_output=True, text=True, timeout=400)
                if out.returncode != 0:
                    raise RaceError("race_run failed (%d): %s" % (out.returncode, out.stderr.strip()))
                run = json.loads(out.stdout)
                if run["signal"] != signal.SIGKILL:
                    raise RaceError("the hog was not killed: %s" % out.stdout.strip())
                kills = [t for t in (run["oom_ns"], run["death_ns"]) if t]
                run["kill_ns"] = min(kills)
                # Settle: every memhook that entered a level has said "normal" again, so no stamp of
                # this run lands in the next one.
                time.sleep(SETTLE_AFTER_DEATH_S)
                for h in hooks:
                    wait_until(lambda: (lambda s: not s or s[-1][0] == "N" or s[-1][1] < run["start_ns"])(
                        read_stamps(h["stamps"])), 10 + 3 * h["interval_s"], "%s to return to normal" % h["label"])
                run["stamps"] = {h["iv"]: [(tag, t) for tag, t in read_stamps(h["stamps"]) if t >= run["start_ns"]]
                                 for h in hooks}
                if os.environ.get("RACE_DEBUG") == "1":
                    run["checks"] = {h["iv"]: check_times(h["mh"].log_path, run["start_ns"]) for h in hooks}
                rows.append(run)
                for h in hooks:
                    if h["mh"].proc.poll() is not None:
                        raise RaceError("memhook (%s) died: %s" % (h["label"], read(h["mh"].log_path)[-2000:]))
            results[rate] = rows
        return hooks, results
    finally:
        for h in hooks:
            h["mh"].stop()


def summarize_race(cg, hooks, results, runs):
    """Markdown lines: one table, rows per rate and source; and the figures the goals need."""
    lines = []
    kernel_ref = ("kernel threshold eventfd, %d%% / %d%% of the limit" % KERNEL_PERCENTS if cg.version == 1
                  else "kernel: memory.events `high` past %d%% / %d%% (memhook's tripwire)" % KERNEL_PERCENTS)
    lines.append("| rate (achieved, median) | who | 25%% free: in time | lead ms min / med / max | lag behind kernel, ms med / max "
                 "| 10%% free: in time | lead ms min / med / max | lag behind kernel, ms med / max |".replace("%%", "%"))
    lines.append("|---|---|---|---|---|---|---|---|")
    goals = []
    for rate, rows in results.items():
        n = len(rows)
        ach = [a for a in (achieved_mb_s(r, cg.limit_bytes) for r in rows) if a]
        ach_txt = "%s (%.0f MB/s)" % (rate_label(rate), statistics.median(ach)) if ach else rate_label(rate)

        def kernel_ns(run, k):
            return run["thresholds"][k]["ns"] if k < len(run["thresholds"]) else None

        kcells = []
        for k in range(len(LEVELS)):
            leads = [r["kill_ns"] - kernel_ns(r, k) for r in rows if kernel_ns(r, k) and kernel_ns(r, k) < r["kill_ns"]]
            kcells += ["%d/%d" % (len(leads), n), mmm(leads), ""]
        lines.append("| %s | %s | %s |" % (ach_txt, kernel_ref, " | ".join(kcells)))
        if cg.version == 2:
            maxl = [r["kill_ns"] - r["v2_max_ns"] for r in rows if r.get("v2_max_ns") and r["v2_max_ns"] < r["kill_ns"]]
            highs = [r.get("v2_high", 0) for r in rows]
            lines.append("| | kernel: memory.events `max` (usage at the limit); `high` counted per run, median (max) %s (%s) | %d/%d | %s | | | | |"
                         % (statistics.median(highs) if highs else "-", max(highs) if highs else "-", len(maxl), n, mmm(maxl)))
        for h in hooks:
            cells = []
            per_level = []
            for k, (lvl, _) in enumerate(LEVELS):
                leads, lags = [], []
                for r in rows:
                    ts = [t for tag, t in r["stamps"][h["iv"]] if tag == "L%d" % lvl]
                    if ts and ts[0] < r["kill_ns"]:
                        leads.append(r["kill_ns"] - ts[0])
                        kn = kernel_ns(r, k)  # the kernel's notice at the level (v2: the tripwire's `high`)
                        if kn and kn < r["kill_ns"]:
                            lags.append(ts[0] - kn)
                lag_txt = "-" if not lags else "%s / %s" % (fmt_ms(statistics.median(lags) / 1e6), fmt_ms(max(lags) / 1e6))
                clags = []  # RACE_DEBUG=1: the check that entered the level, behind the kernel's notice
                for r in rows:
                    kn = kernel_ns(r, k)
                    cs = [t for t, lv in r.get("checks", {}).get(h["iv"], []) if lv >= lvl]
                    if kn and cs and cs[0] < r["kill_ns"]:
                        clags.append(cs[0] - kn)
                if clags:
                    lag_txt += " (check: %s / %s)" % (fmt_ms(statistics.median(clags) / 1e6), fmt_ms(max(clags) / 1e6))
                cells += ["%d/%d" % (len(leads), n), mmm(leads), lag_txt]
                per_level.append((len(leads), n, lags))
            lines.append("| | %s | %s |" % (h["label"], " | ".join(cells)))
            goals.append((rate, h, per_level))
    return lines, goals


def goal_lines(cg, goals):
    out = []
    for h_iv in dict.fromkeys(g[1]["iv"] for g in goals):
        mine = [g for g in goals if g[1]["iv"] == h_iv]
        label = mine[0][1]["label"]
        if cg.version == 1:
            worst = min(min(a / n for a, n, _ in pl) for _, _, pl in mine)
            ok_time = worst >= GOAL_V1_IN_TIME
            lag_meds = [statistics.median(lags) / 1e6 for _, _, pl in mine for _, _, lags in pl if lags]
            all_lags = all(lags for _, _, pl in mine for _, _, lags in pl)
            ok_lag = all_lags and lag_meds and max(lag_meds) <= GOAL_V1_LAG_MS
            out.append("- %s: both levels in time in >= 99%% of runs at every rate: **%s** (worst %.0f%%); "
                       "median lag behind the kernel's notification <= %g ms at every rate and level: **%s** (worst %s)"
                       % (label, "PASS" if ok_time else "MISS", worst * 100, GOAL_V1_LAG_MS,
                          "PASS" if ok_lag else "MISS",
                          ("%.1f ms" % max(lag_meds)) if lag_meds and all_lags else "a level never in time"))
        elif h_iv == "default":
            worst = min(min(a / n for a, n, _ in pl) for _, _, pl in mine)
            lag_meds = [statistics.median(lags) / 1e6 for _, _, pl in mine for _, _, lags in pl if lags]
            all_lags = all(lags for _, _, pl in mine for _, _, lags in pl)
            ok_lag = all_lags and lag_meds and max(lag_meds) <= GOAL_V2_TRIPWIRE_LAG_MS
            out.append("- %s: both levels in time in >= 99%% of runs at every rate (issue 18, the tripwire): **%s** "
                       "(worst %.0f%%); median lag behind the tripwire's `high` notification <= %g ms: **%s** (worst %s)"
                       % (label, "PASS" if worst >= GOAL_V2_TRIPWIRE_IN_TIME else "MISS", worst * 100,
                          GOAL_V2_TRIPWIRE_LAG_MS, "PASS" if ok_lag else "MISS",
                          ("%.1f ms" % max(lag_meds)) if lag_meds and all_lags else "no tripwire notification"))
        else:
            sel = [g for g in mine if g[0] != "max" and int(g[0]) <= GOAL_V2_MAX_RATE]
            if not sel:
                out.append("- %s: no rate up to 1 GB/s measured (the v2 goal's range)" % label)
                continue
            worst = min(min(a / n for a, n, _ in pl) for _, _, pl in sel)
            out.append("- %s: both levels in time in >= 95%% of runs at rates up to 1 GB/s: **%s** (worst %.0f%%)%s"
                       % (label, "PASS" if worst >= GOAL_V2_IN_TIME else "MISS", worst * 100,
                          "" if h_iv == "default" else " (the goal is for the default interval)"))
    return out


# ---------------------------------------------------------------- idle cost

def idle(memhook_bin, floor_bin, cg, work, seconds):
    sleeper = subprocess.Popen(["sh", "-c", 'echo $$ > "$1/cgroup.procs" && exec sleep 100000', "idle", cg.path])
    procs = []
    try:
        wait_until(lambda: str(sleeper.pid) in read(cg.file("cgroup.procs")).split(), 5, "the idle process")
        mh = Memhook(memhook_bin, cg.path, work, "memhook-idle")
        procs.append(("memhook, default policy (%s)" % policy_interval(memhook_bin, None), mh.proc, "memhook"))
        eo = shutil.which("earlyoom")
        if eo:
            for label, args in (("earlyoom --dryrun (its defaults: -r 1)", []),
                                ("earlyoom --dryrun -r 3600 (Debian's service arguments)", ["-r", "3600"])):
                p = subprocess.Popen([eo, "--dryrun"] + args, stdin=subprocess.DEVNULL,
                                     stdout=open(os.path.join(work, "earlyoom.out"), "a"), stderr=subprocess.STDOUT)
                procs.append((label, p, "earlyoom" if not args else "earlyoom-debian"))
        else:
            log("earlyoom is not installed: its rows are left out (make bench installs it)")
        if floor_bin:
            for ms in (1000, 100):
                p = subprocess.Popen([floor_bin, "wakeup", str(ms), "100000000"], stdout=subprocess.DEVNULL)
                procs.append(("bare timerfd loop, %d ms (floor.c; its RSS is libcurl's, linked for its other mode)" % ms,
                              p, "floor%d" % ms))
        time.sleep(2)
        for label, p, _ in procs:
            if p.poll() is not None:
                raise RaceError("%s exited at start (%d)" % (label, p.returncode))
        first = {key: proc_sample(p.pid) for _, p, key in procs}
        log("idle: %d processes side by side for %d s" % (len(procs), seconds))
        time.sleep(seconds)
        last = {key: proc_sample(p.pid) for _, p, key in procs}
        rows = {}
        for label, p, key in procs:
            a, b = first[key], last[key]
            secs = (b["t_ns"] - a["t_ns"]) / 1e9
            cpu_ns = (b["sched_ns"] - a["sched_ns"]) if a["sched_ns"] is not None else \
                (b["ticks"] - a["ticks"]) * 1e9 / os.sysconf("SC_CLK_TCK")
            wake = b["vol"] - a["vol"]
            rows[key] = {"label": label, "secs": secs, "cpu_us_s": cpu_ns / 1e3 / secs,
                         "ticks": b["ticks"] - a["ticks"], "wakeups_s": wake / secs,
                         "us_per_wakeup": cpu_ns / 1e3 / wake if wake else None, "hwm_kib": b["hwm_kib"]}
        return rows
    finally:
        for _, p, _ in procs:
            stop(p)
        sleeper.kill()
        sleeper.wait()


def idle_lines(rows):
    hz = os.sysconf("SC_CLK_TCK")
    lines = ["| process | CPU µs/s (schedstat) | utime+stime over the window (1/%d s ticks) | wakeups/s (voluntary) "
             "| CPU µs per wakeup | peak RSS (VmHWM) |" % hz, "|---|---|---|---|---|---|"]
    for r in rows.values():
        lines.append("| %s | %.1f | %d over %.0f s | %.2f | %s | %.2f MiB |" % (
            r["label"], r["cpu_us_s"], r["ticks"], r["secs"], r["wakeups_s"],
            "%.0f" % r["us_per_wakeup"] if r["us_per_wakeup"] else "-", r["hwm_kib"] / 1024))
    mh = rows.get("memhook")
    ratios = []
    for key, name in (("earlyoom", "earlyoom (its defaults)"), ("earlyoom-debian", "earlyoom (Debian's -r 3600)"),
                      ("floor1000", "the bare 1 s loop"), ("floor100", "the bare 100 ms loop")):
        if key.startswith("floor") and mh:
            o = rows.get(key)
            if o and o["cpu_us_s"] and o["us_per_wakeup"] and mh["us_per_wakeup"]:
                ratios.append("memhook / %s: CPU per second %.2f×, CPU per wakeup %.2f×" % (
                    name, mh["cpu_us_s"] / o["cpu_us_s"], mh["us_per_wakeup"] / o["us_per_wakeup"]))
            continue
        o = rows.get(key)
        if not mh or not o or not o["cpu_us_s"]:
            continue
        pw = ("%.2f×" % (mh["us_per_wakeup"] / o["us_per_wakeup"])) if mh["us_per_wakeup"] and o["us_per_wakeup"] else "-"
        ratios.append("memhook / %s: CPU per second %.2f×, wakeups %.2f×, CPU per wakeup %s, peak RSS %.2f×"
                      % (name, mh["cpu_us_s"] / o["cpu_us_s"], mh["wakeups_s"] / o["wakeups_s"] if o["wakeups_s"] else 0,
                         pw, mh["hwm_kib"] / o["hwm_kib"] if o["hwm_kib"] else 0))
    lines += [""] + ["- " + r for r in ratios]
    if mh:
        eo = rows.get("earlyoom")
        if eo:
            lines.append("- Goal: memhook's CPU per second <= earlyoom's (its defaults): **%s** (%.1f vs %.1f µs/s)"
                         % ("PASS" if mh["cpu_us_s"] <= eo["cpu_us_s"] else "MISS", mh["cpu_us_s"], eo["cpu_us_s"]))
        lines.append("- Goal: memhook's peak RSS < 8 MiB: **%s** (%.2f MiB)"
                     % ("PASS" if mh["hwm_kib"] < GOAL_RSS_KIB else "MISS", mh["hwm_kib"] / 1024))
    return lines


# ---------------------------------------------------------------- main

def main(argv):
    ap = argparse.ArgumentParser(description="the OOM race and the idle cost")
    ap.add_argument("memhook")
    ap.add_argument("tools")
    ap.add_argument("out_md")
    ap.add_argument("--no-idle", action="store_true", help="the race only")
    ap.add_argument("--title", default="The OOM race")
    ap.add_argument("--floor", default="", help="floor.c built (the bare timer loop of the idle rows)")
    a = ap.parse_args(argv[1:])
    memhook_bin, tools, out_md, title, floor_bin = (os.path.abspath(a.memhook), os.path.abspath(a.tools),
                                                    a.out_md, a.title, a.floor)
    runs = env_int("RACE_RUNS", 20)
    rates = [r.strip() for r in os.environ.get("RACE_RATES", "50,200,1000,max").split(",") if r.strip()]
    intervals = [r.strip() for r in os.environ.get("RACE_INTERVALS", "default,100ms,default+1Gi/s").split(",") if r.strip()]
    idle_s = env_int("RACE_IDLE_SECONDS", 30)
    limit_bytes = env_int("RACE_LIMIT_MIB", 256) * MIB
    seed = env_int("RACE_SEED", random.randrange(1 << 30))
    for r in rates:
        if r != "max" and not r.isdigit():
            raise RaceError("RACE_RATES: %r is neither MB/s nor max" % r)
    for t in ("hog_rate", "race_run", "stamp"):
        if not os.access(os.path.join(tools, t), os.X_OK):
            raise RaceError("%s/%s is missing (make bench builds it)" % (tools, t))
    work = tempfile.mkdtemp(prefix="memhook-race.", dir="/var/tmp" if os.access("/var/tmp", os.W_OK) else None)
    cg = Cgroup(limit_bytes)
    t0 = time.monotonic()
    try:
        lines = ["## %s" % title, ""]
        uname = os.uname()
        lines.append("Measured on Linux %s, %d CPUs, cgroup v%d, limit %d MiB, %s; %d runs per rate; seed %d."
                     % (uname.release, os.cpu_count(), cg.version, limit_bytes // MIB, swap_state(), runs, seed))
        if not a.no_idle:
            rows = idle(memhook_bin, floor_bin, cg, work, idle_s)
            lines += ["", "### Idle cost, side by side (%d s, after 2 s of start-up)" % idle_s, ""] + idle_lines(rows)
        hooks, results = race(memhook_bin, tools, cg, work, rates, runs, intervals, random.Random(seed))
        table, goals = summarize_race(cg, hooks, results, runs)
        lines += ["", "### The race: the action before the kill (lead = kill - action, ms)", ""] + table
        lines += ["", "Goals (reported, not asserted):", ""] + goal_lines(cg, goals)
        lines += ["", "Kill = the earlier of the kernel's OOM notification (%s) and the hog's death seen by its "
                  "parent (pidfd). An action is memhook's exec handler (a static program stamping CLOCK_MONOTONIC), "
                  "detached; all memhooks watch the same runs. Took %.0f s."
                  % ("memory.oom_control eventfd" if cg.version == 1 else "memory.events oom_kill", time.monotonic() - t0)]
        if cg.version == 2:
            lines.append("On v2 the kernel's first row is memory.events `high` (POLLPRI) seen with usage past 75% / 90% "
                         "of the limit: the notification memhook's tripwire (memory.high at the level's threshold) wakes "
                         "it with, so lag = stamp - that notification; the second, `max`, is counted when usage hits "
                         "memory.max, the last notice before the OOM killer. The first memhook started owns the "
                         "tripwire; the others see a running memhook's and stand down, but are woken by the same "
                         "`high` notifications. Rates above the hog's achieved maximum run as fast as it can.")
        text = "\n".join(lines) + "\n"
        os.makedirs(os.path.dirname(os.path.abspath(out_md)), exist_ok=True)
        write(out_md, text)
        print(text)
        return 0
    finally:
        cg.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except RaceError as e:
        log("cannot measure: %s" % e)
        sys.exit(1)
