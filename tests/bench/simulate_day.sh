#!/usr/bin/env bash
# How fast `memhook simulate` replays a day: bash tests/bench/simulate_day.sh path/to/memhook
# Generates a trace of 86,400 samples at 1 s (every column filled: memory.stat, PSI and
# memory.events, so the lines are as long as a cgroup v2 recording's) whose usage rises and falls
# through the default policy's levels every few minutes, in CSV and in JSON lines, and replays
# each through the default policy SIMULATE_RUNS times (default 5). Prints the best and the median
# wall time, the CPU time, and the events it printed. A measurement, not a test.
set -euo pipefail

MEMHOOK="${1:?usage: simulate_day.sh MEMHOOK}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/memhook-simday.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

python3 - "$MEMHOOK" "$WORK" "${SIMULATE_RUNS:-5}" <<'PY'
import json, math, os, resource, statistics, subprocess, sys, time

memhook, work, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
MiB = 1 << 20
limit = 512 * MiB
t0 = 1767225600  # 2026-01-01T00:00:00Z
psi = ["some_avg10", "some_avg60", "some_avg300", "some_total_usec",
       "full_avg10", "full_avg60", "full_avg300", "full_total_usec"]
ev = ["low", "high", "max", "oom", "oom_kill", "oom_group_kill"]
cols = (["time", "elapsed_sec", "usage_bytes", "working_set_bytes", "anon_bytes", "limit_bytes",
         "host_available_bytes", "host_total_bytes"] + ["psi_" + k for k in psi] + ["events_" + k for k in ev])
with open(work + "/day.csv", "w") as c, open(work + "/day.jsonl", "w") as j:
    c.write(",".join(cols) + "\n")
    for i in range(86400):
        # a 7-minute wave from 40% to 98% of the limit, plus noise: every level, many times a day
        frac = 0.69 + 0.29 * math.sin(i * 2 * math.pi / 420) + 0.01 * math.sin(i * 1.7)
        usage = int(limit * frac)
        ws, anon = usage * 3 // 4, usage // 2
        p = [round(max(0.0, frac - 0.9) * 100, 2), 1.25, 0.5, 1000 * i, 0.0, 0.0, 0.0, 10 * i]
        e = [0, i // 60, 0, 0, 0, 0]
        tm = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t0 + i))
        row = [tm, "%d.000" % i, usage, ws, anon, limit, 8 << 30, 16 << 30] + p + e
        c.write(",".join(str(v) for v in row) + "\n")
        o = {"time": tm, "elapsed_sec": i, "usage_bytes": usage, "working_set_bytes": ws,
             "anon_bytes": anon, "limit_bytes": limit, "host_available_bytes": 8 << 30,
             "host_total_bytes": 16 << 30, "psi": dict(zip(psi, p)), "events": dict(zip(ev, e))}
        j.write(json.dumps(o, separators=(",", ":")) + "\n")

print("memhook simulate, a day (86,400 samples at 1 s), default policy, %d runs each:" % runs)
for name in ("day.csv", "day.jsonl"):
    path = work + "/" + name
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.monotonic()
        out = subprocess.run([memhook, "simulate", "--trace", path], check=True,
                             stdout=subprocess.PIPE).stdout
        walls.append(time.monotonic() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    lines = out.decode().splitlines()
    summary = json.loads(lines[-1])["summary"]
    print("  %-9s %5.1f MiB: best %4.0f ms, median %4.0f ms wall; median %4.0f ms CPU; "
          "%d events printed, %d samples, span %.0f s"
          % (name, os.path.getsize(path) / MiB, min(walls) * 1e3, statistics.median(walls) * 1e3,
             statistics.median(cpus) * 1e3, len(lines) - 1, summary["samples"], summary["span_sec"]))
PY
