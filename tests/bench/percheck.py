#!/usr/bin/env python3
"""Instructions per check: memhook's user-space instructions (callgrind's Ir) per steady check.

usage: percheck.py MEMHOOK WORKDIR OUT_MD [CGROUP]

MEMHOOK  the memhook binary (built as `make` builds it: -O2 -g)
WORKDIR  an empty scratch directory (fixtures, policies, callgrind files)
OUT_MD   Markdown file the table is appended to (bench.py writes it first)
CGROUP   a real cgroup directory with an idle process (run.sh makes one when root): the default
         policy is measured on it too

Each policy runs under `valgrind --tool=callgrind` at a 10 ms interval on a fixture v2 cgroup
(usage 10 MiB of 100 MiB: level 0, nothing fires) for S and for 2S seconds, then SIGTERM. The
daemon logs its exact check count when it stops (`stopped: N checks`), so
    per check = (Ir of the long run - Ir of the short run) / (N long - N short):
start-up, policy parsing and the exit cancel out, and no test-only "stop after N checks" switch
is needed in the product. What a check costs is everything between two checks: the epoll wakeup,
the timerfd read, the preads, parsing, evaluation, the `remaining` step and its handlers.

Environment: BENCH_PERCHECK_SECONDS (S, default 3). Prints the figures and, for the default
policy, where its instructions go (self Ir per function, per check). Exits 0 without valgrind
(the rows say "not measured"); 1 when memhook does not start or stop as it should."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
TARGET_DEFAULT = 1500  # issue 11: the default policy under 1,500 instructions per check
MIB = 1024 * 1024


class BenchError(Exception):
    pass


def write_fixtures(work):
    """A v2 cgroup at 10% of its 100 MiB limit and a /proc with the committed 53-line meminfo."""
    cg = os.path.join(work, "percheck-fixture")
    os.makedirs(cg, exist_ok=True)
    files = {
        "memory.current": "%d\n" % (10 * MIB),
        "memory.max": "%d\n" % (100 * MIB),
        "memory.events": "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n",
        "memory.stat": "anon 1048576\nfile 2097152\nkernel 524288\ninactive_file 1572864\n"
                       "active_file 524288\n",
        "cgroup.procs": "",
    }
    for name, text in files.items():
        with open(os.path.join(cg, name), "w") as f:
            f.write(text)
    proc = os.path.join(work, "percheck-proc")
    os.makedirs(os.path.join(proc, "self"), exist_ok=True)
    shutil.copy(os.path.join(REPO, "tests", "fixtures", "proc", "meminfo"), os.path.join(proc, "meminfo"))
    return cg, proc


def policies(work):
    """name -> policy path: the default at 10 ms, ten levels, and the default deciding on the host too."""
    with open(os.path.join(REPO, "policies", "default.json")) as f:
        default = json.load(f)
    default["check_interval"] = "10ms"
    ten = dict(default, levels=[{"name": "l%d" % (i + 1), "when": {"local_relative": 50 - 5 * i}}
                                for i in range(10)])
    host = dict(default, levels=[dict(l, when={"any": [l["when"], {"global_relative": l["when"]["local_relative"]}]})
                                 for l in default["levels"]])
    out = {}
    for name, doc in (("default", default), ("ten", ten), ("host", host)):
        path = os.path.join(work, "percheck-%s.json" % name)
        with open(path, "w") as f:
            json.dump(doc, f)
        out[name] = path
    return out


def run_once(binary, policy, cgroup, proc, seconds, out_prefix):
    """memhook under callgrind for `seconds`; returns (checks, Ir, callgrind file)."""
    cg_out = out_prefix + ".callgrind"
    log = out_prefix + ".log"
    args = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + cg_out,
            binary, "--cgroup", cgroup, "--policy", policy, "--log-level", "info"]
    if proc:
        args += ["--proc-root", proc]
    with open(log, "w") as lf:
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=lf)
        time.sleep(seconds)
        if p.poll() is not None:
            raise BenchError("memhook under callgrind exited early (%s)" % log)
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            raise BenchError("memhook did not stop on SIGTERM (%s)" % log)
    with open(log) as f:
        m = re.search(r"stopped: (\d+) checks", f.read())
    if not m:
        raise BenchError("no 'stopped: N checks' line in %s" % log)
    ir = None
    with open(cg_out) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                ir = int(line.split()[1])
                break
    if ir is None:
        raise BenchError("no Ir total in %s" % cg_out)
    return int(m.group(1)), ir, cg_out


def per_check(binary, policy, cgroup, proc, seconds, prefix):
    n1, ir1, f1 = run_once(binary, policy, cgroup, proc, seconds, prefix + "-short")
    n2, ir2, f2 = run_once(binary, policy, cgroup, proc, 2 * seconds, prefix + "-long")
    if n2 - n1 < 50:
        raise BenchError("too few checks between the runs (%d and %d): a loaded machine? "
                         "raise BENCH_PERCHECK_SECONDS" % (n1, n2))
    return (ir2 - ir1) / (n2 - n1), n2 - n1, (f1, f2)


def self_ir(cg_file):
    """function -> self Ir, from callgrind_annotate."""
    out = subprocess.run(["callgrind_annotate", "--threshold=100", "--auto=no", cg_file],
                         capture_output=True, text=True).stdout
    d = {}
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+) \([^)]*\)\s+(\S.*)$", line) or re.match(r"\s*([\d,]+)\s+(\S.*)$", line)
        if not m or "PROGRAM TOTALS" in line or ":" not in m.group(2):
            continue
        name = re.sub(r" \[.*\]$", "", m.group(2))
        name = re.sub(r"^.*/(lib|cmd)/", r"\1/", name)  # lib/decide/check.c:check_step
        name = re.sub(r"^\./.*?:", "libc:", name)      # libc:clock_gettime@@GLIBC_2.17
        d[name] = d.get(name, 0) + int(m.group(1).replace(",", ""))
    return d


def breakdown(files, checks, top=10):
    a, b = self_ir(files[0]), self_ir(files[1])
    rows = sorted(((b.get(k, 0) - a.get(k, 0)) / checks, k) for k in set(a) | set(b))
    return [(k, v) for v, k in reversed(rows) if v >= 1][:top]


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    binary, work, out_md = sys.argv[1], sys.argv[2], sys.argv[3]
    real_cg = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] else None
    seconds = float(os.environ.get("BENCH_PERCHECK_SECONDS") or 3)
    print("\n== instructions per check (callgrind Ir, differencing runs of %gs and %gs at 10 ms)" %
          (seconds, 2 * seconds))

    rows = []
    names = {
        "default": "default policy (3 levels), fixture v2",
        "ten": "10 levels, fixture v2",
        "host": "default + global_relative (meminfo every check), fixture v2",
    }
    if not shutil.which("valgrind") or not shutil.which("callgrind_annotate"):
        print("percheck: valgrind is not installed: not measured")
        rows = [(names[k], "not measured (no valgrind)", "", "") for k in names]
        top = []
    else:
        cg, proc = write_fixtures(work)
        pols = policies(work)
        top = []
        for key in ("default", "ten", "host"):
            ir, n, files = per_check(binary, pols[key], cg, proc, seconds, os.path.join(work, "pc-" + key))
            target = "< %d" % TARGET_DEFAULT if key == "default" else ""
            result = ("PASS" if ir < TARGET_DEFAULT else "MISS") if key == "default" else ""
            rows.append((names[key], "%.0f (over %d checks)" % (ir, n), target, result))
            print("  %-62s %7.0f instructions per check (%d checks) %s" % (names[key], ir, n, result))
            if key == "default":
                top = breakdown(files, n)
        if real_cg:
            ir, n, _ = per_check(binary, pols["default"], real_cg, None, seconds, os.path.join(work, "pc-real"))
            label = "default policy, real cgroup (%s)" % ("v1" if "/memory/" in real_cg else "v2")
            rows.append((label, "%.0f (over %d checks)" % (ir, n), "< %d" % TARGET_DEFAULT,
                         "PASS" if ir < TARGET_DEFAULT else "MISS"))
            print("  %-62s %7.0f instructions per check (%d checks)" % (label, ir, n))
        if top:
            print("  where the default policy's instructions go (self, per check):")
            for name, v in top:
                print("    %7.1f  %s" % (v, name))

    md = ["", "### Instructions per check (callgrind)", "",
          "| Policy, target | Instructions per check | Target | Result |", "|---|---|---|---|"]
    md += ["| %s | %s | %s | %s |" % r for r in rows]
    if top:
        md += ["", "Default policy, self instructions per check by function: " +
               ", ".join("%s %.0f" % (name, v) for name, v in top) + "."]
    os.makedirs(os.path.dirname(os.path.abspath(out_md)), exist_ok=True)
    with open(out_md, "a") as f:
        f.write("\n".join(md) + "\n")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print("percheck: cannot measure: %s" % e, file=sys.stderr)
        sys.exit(1)
