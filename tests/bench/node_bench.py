#!/usr/bin/env python3
"""memhook node with hundreds of containers (make bench-node; tests/README.md, "memhook node: 500
containers"; method in tests/bench/README.md).

usage: node_bench.py MEMHOOK HOG_RATE OUT_MD [--title TEXT]

MEMHOOK   the memhook binary (with the `node` command)
HOG_RATE  tests/bench/hog_rate.c, built (make bench-race builds it into build/bench)
OUT_MD    where the Markdown summary is written (also printed at the end)

As root, under a private root on the host's real memory cgroup (v2 when the memory controller is
on v2, else v1 under /sys/fs/cgroup/memory), it lays out NODE_PODS pods of 2 containers each as the
kubelet does (NODE_LAYOUT systemd: kubepods.slice/kubepods-<qos>.slice/kubepods-<qos>-pod<UID>.slice/
cri-containerd-<ID>.scope, guaranteed pods directly under kubepods.slice; or cgroupfs:
kubepods/<qos>/pod<UID>/<ID>), a third of the pods in each QoS class, every container with a
NODE_LIMIT_MIB limit and no process, and runs `memhook node --no-kubernetes-api --cgroup-root ROOT
--policy P --listen 127.0.0.1:0` on a policy with one level at 25% free (the default 1 s interval)
whose `entered` posts a webhook to a loopback receiver. Then, phase by phase (NODE_PHASES):

  start  exec to "all watched": memhook's "watching N container(s)" line, the first moment its log
         has named every container, /readyz answering 200, /metrics holding a series per container
  idle   NODE_IDLE_SECONDS with nothing changing: CPU (utime+stime of /proc/PID/stat and schedstat)
         as % of one core, VmRSS / VmHWM, fds per watched container (less a baseline memhook node
         watching an empty kubepods tree), wakeups per second
  level  NODE_TRIALS times (plus one warm-up, which loads libcurl), a hog (hog_rate at NODE_HOG_RATE
         MB/s) grows in one container of a different pod while the rest idle: the time from the
         kernel's notice of the crossing (v1: a usage threshold eventfd of our own at the same 75%,
         cgroup.event_control; v2, which has none: the first memory.current past it seen by a 1 ms
         poll; node_notice.py) to the `entered` webhook for that container arriving at the
         receiver; the hog is stopped once past the threshold, holding its memory there
  churn  NODE_CHURN_RATE pods (2 containers each) created a second, each removed NODE_CHURN_LIFETIME
         seconds later, for NODE_CHURN_SECONDS; then every container made must have been found once
         and gone once in memhook's log, the NODE_PODS pods' containers neither, and SIGUSR1's count
         of watched containers back to what it was

Environment: NODE_PODS (250), NODE_LAYOUT (systemd), NODE_PHASES ("start,idle,level,churn"),
NODE_IDLE_SECONDS (60), NODE_TRIALS (10), NODE_HOG_RATE (50), NODE_LIMIT_MIB (128),
NODE_CHURN_RATE (50), NODE_CHURN_SECONDS (60), NODE_CHURN_LIFETIME (2). Prints progress to stderr;
exits 1 only when it cannot measure (memhook does not start or dies, a webhook never comes).
"""
import argparse
import datetime
import http.server
import json
import os
import re
import resource
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from node_tree import QOS, BenchError, Tree, container_id, read, write

MIB = 1024 * 1024
GOAL_CPU_PCT = 1.0
GOAL_RSS_MIB = 32.0
GOAL_START_S = 2.0
GOAL_V1_LAG_MS = 10.0
GOAL_V2_LAG_MS = 1050.0  # the interval (1 s) + 50 ms
CLK_TCK = os.sysconf("SC_CLK_TCK")
HERE = os.path.dirname(os.path.abspath(__file__))


def log(msg):
    print("node-bench: " + msg, file=sys.stderr, flush=True)


def env_int(name, default):
    v = os.environ.get(name, "")
    try:
        return int(v) if v else default
    except ValueError:
        raise BenchError("%s=%r is not a number" % (name, v))


def now():
    return time.monotonic()


def wait_until(cond, seconds, what):
    deadline = now() + seconds
    while True:
        r = cond()
        if r:
            return r
        if now() > deadline:
            raise BenchError("gave up after %g s waiting for %s" % (seconds, what))
        time.sleep(0.005)


# ---- memhook and its log ----------------------------------------------------------------------


FD_LIMIT = 65536


def fd_limit():
    """memhook's RLIMIT_NOFILE as a container gets it from containerd (LimitNOFILE=infinity:
    1048576 on most nodes; 65536 here, or the hard limit when it is lower), not a login shell's
    1024: at about 8 (v1) to 14 (v2) fds per container, 1024 ends at about 70 containers."""
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (FD_LIMIT, FD_LIMIT))
    except (ValueError, OSError):  # no CAP_SYS_RESOURCE: as far as the hard limit goes
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(FD_LIMIT, hard), hard))


class Memhook:
    """memhook node running, its stderr going to a file (a pipe that fills makes memhook drop lines,
    as it must), read back line by line; each line is timed by its own "ts", on our monotonic clock."""

    def __init__(self, binary, root, policy, work, extra=()):
        env = {k: v for k, v in os.environ.items() if not k.startswith("MEMHOOK_")}
        self.logfile = tempfile.mktemp(prefix="memhook.", suffix=".log", dir=work)
        with open(self.logfile, "w") as err:
            self.t_exec, self.t_exec_real = now(), time.time()
            self.proc = subprocess.Popen([binary, "node", "--no-kubernetes-api", "--cgroup-root", root,
                                          "--policy", policy, "--listen", "127.0.0.1:0", "--log-format", "json",
                                          *extra], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=err, env=env, preexec_fn=fd_limit)
        self.pid = self.proc.pid
        self.lines = []  # (monotonic, msg)
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        with open(self.logfile) as f:
            part = ""
            while True:
                chunk = f.readline()
                if not chunk:
                    if self.proc.poll() is not None and not f.read(1):
                        return
                    time.sleep(0.002)
                    continue
                part += chunk
                if not part.endswith("\n"):
                    continue
                raw, part, t = part.rstrip("\n"), "", now()
                try:
                    obj = json.loads(raw)
                    msg = obj.get("msg", raw)
                    ts = datetime.datetime.strptime(obj["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                        tzinfo=datetime.timezone.utc).timestamp()
                    t = self.t_exec + (ts - self.t_exec_real)
                except (ValueError, KeyError, TypeError):
                    msg = raw
                with self.lock:
                    self.lines.append((t, msg))

    def log_since(self, i=0):
        with self.lock:
            return self.lines[i:]

    def find(self, pattern, since=0):
        rx = re.compile(pattern)
        for t, msg in self.log_since(since):
            m = rx.search(msg)
            if m:
                return t, m
        return None

    def alive(self):
        if self.proc.poll() is not None:
            tail = "\n".join(m for _, m in self.log_since()[-20:])
            raise BenchError(f"memhook exited with {self.proc.returncode}:\n{tail}")
        return True

    def base_url(self):
        f = self.find(r"http://(127\.0\.0\.1:\d+)")
        return f and "http://" + f[1].group(1)

    def get(self, path, timeout=2):
        with urllib.request.urlopen(self.base_url() + path, timeout=timeout) as r:
            return r.status, r.read().decode()

    def stat(self):
        """(utime+stime seconds, schedstat run seconds or None)"""
        fields = read(f"/proc/{self.pid}/stat").rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])
        try:
            run = int(read(f"/proc/{self.pid}/schedstat").split()[0]) / 1e9
        except OSError:
            run = None
        return ticks / CLK_TCK, run

    def status(self):
        out = {}
        for line in read(f"/proc/{self.pid}/status").splitlines():
            k, _, v = line.partition(":")
            out[k] = v.strip()
        return out

    def fds(self):
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(timeout=5)

    def watched_count(self):
        """SIGUSR1's "N container(s) watched" line."""
        n = len(self.log_since())
        os.kill(self.pid, signal.SIGUSR1)
        f = wait_until(lambda: self.alive() and self.find(r"SIGUSR1: (\d+) container\(s\) watched", n), 30, "SIGUSR1's count")
        return int(f[1].group(1))


def metrics_containers(text):
    """The containers /metrics has a series for: the distinct container="..." labels."""
    return set(re.findall(r'container="([^"]+)"', text))


# ---- A loopback webhook receiver --------------------------------------------------------------


class Receiver:
    def __init__(self):
        self.got = []  # (monotonic, body text)
        self.cond = threading.Condition()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode(errors="replace")
                t = now()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                with outer.cond:
                    outer.got.append((t, body))
                    outer.cond.notify_all()

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/hook" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, pred, seconds):
        deadline = now() + seconds
        with self.cond:
            while True:
                for t, body in self.got:
                    if pred(body):
                        return t, body
                left = deadline - now()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def close(self):
        self.server.shutdown()


# ---- The kernel's notice of a crossing --------------------------------------------------------


def notice_start(cgroup, threshold):
    """node_notice.py waiting for the crossing (it prints "ready", then the crossing's time)."""
    p = subprocess.Popen([sys.executable, os.path.join(HERE, "node_notice.py"), cgroup, str(threshold)],
                         stdout=subprocess.PIPE, text=True)
    if p.stdout.readline().strip() != "ready":
        p.kill()
        raise BenchError(f"node_notice.py could not wait on {cgroup}")
    return p


def notice_time(p, seconds=2):
    """The crossing's CLOCK_MONOTONIC seconds, None when there was none within `seconds`."""
    r, _, _ = select.select([p.stdout], [], [], seconds)
    line = p.stdout.readline().strip() if r else ""
    p.kill()
    p.wait()
    return float(line) if line else None


# ---- Phases -----------------------------------------------------------------------------------


def pctl(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, -(-len(xs) * p // 100) - 1))]


def fmt_ms(xs):
    return "median %.1f / p90 %.1f / max %.1f ms (n=%d)" % (statistics.median(xs), pctl(xs, 90), max(xs), len(xs))


def write_policy(path, receiver_url):
    write(path, json.dumps({
        "check_interval": "1s",
        "levels": [{"name": "elevated", "when": {"local_relative": 25}}],
        "handlers": [{"on": "entered", "webhook": {"url": receiver_url, "timeout": "2s"}}],
    }))


def phase_baseline(args, work, policy):
    """fds and RSS of memhook node watching an empty kubepods tree."""
    empty = Tree(args.layout, args.limit)
    try:
        mh = Memhook(args.memhook, empty.root, policy, work)
        try:
            wait_until(lambda: mh.alive() and mh.find(r"watching \d+ container"), 20, "memhook node on an empty tree")
            time.sleep(0.5)
            return mh.fds(), mh.status()
        finally:
            mh.stop()
    finally:
        empty.cleanup()


def phase_start(mh, ids, rows):
    n = len(ids)
    want = set(ids)
    short = {c[:12]: c for c in ids}
    seen = set()
    t_log_all = t_ready = t_metrics = None
    i = 0
    deadline = now() + 60
    next_metrics = 0.0
    while now() < deadline and None in (t_log_all, t_ready, t_metrics):
        mh.alive()
        for t, msg in mh.log_since(i):
            i += 1
            for cid in re.findall(r"[0-9a-f]{12,64}", msg):
                if cid[:12] in short and short[cid[:12]].startswith(cid):
                    seen.add(cid[:12])
            if t_log_all is None and len(seen) == n:
                t_log_all = t
        if mh.base_url():
            if t_ready is None:
                try:
                    if mh.get("/readyz", timeout=1)[0] == 200:
                        t_ready = now()
                except OSError:
                    pass
            if t_metrics is None and now() >= next_metrics:
                next_metrics = now() + 0.05
                try:
                    got = metrics_containers(mh.get("/metrics", timeout=2)[1])
                    if len({c[:12] for c in want} & {g[:12] for g in got}) == n:
                        t_metrics = now()
                except OSError:
                    pass
        time.sleep(0.005)
    w = mh.find(r"watching (\d+) container\(s\).*?started in (\d+) ms")
    t_line = w and w[0]
    def cell(t):
        return "%.3f s" % (t - mh.t_exec) if t else "not seen"
    rows.append(("Start with %d containers: exec to memhook's `watching N container(s)` line" % n,
                 cell(t_line) + (" (N = %s, its own figure %s ms)" % (w[1].group(1), w[1].group(2)) if w else ""),
                 "<= %g s" % GOAL_START_S, verdict(t_line and t_line - mh.t_exec <= GOAL_START_S)))
    rows.append(("Start: exec to every container named in the log", cell(t_log_all), "", ""))
    rows.append(("Start: exec to /readyz 200 (polled every 5 ms)", cell(t_ready), "", ""))
    rows.append(("Start: exec to /metrics with a series per container (polled every 50 ms)", cell(t_metrics), "", ""))
    if w and int(w[1].group(1)) != n:
        raise BenchError("memhook watches %s containers, %d made" % (w[1].group(1), n))


def verdict(ok):
    return "PASS" if ok else "MISS"


def phase_idle(mh, n, base_fds, seconds, rows):
    time.sleep(2)  # the start's scrapes and walk behind us
    mh.alive()
    s0, st0, c0 = mh.stat(), now(), int(mh.status().get("voluntary_ctxt_switches", 0))
    time.sleep(seconds)
    mh.alive()
    s1, st1, c1 = mh.stat(), now(), int(mh.status().get("voluntary_ctxt_switches", 0))
    wall = st1 - st0
    cpu = (s1[0] - s0[0]) / wall * 100
    sched = (s1[1] - s0[1]) / wall * 100 if s1[1] is not None else None
    st = mh.status()
    rss = int(st["VmRSS"].split()[0]) / 1024
    hwm = int(st["VmHWM"].split()[0]) / 1024
    fds = mh.fds()
    rows.append(("Idle CPU, %d s, %d containers (utime+stime)" % (seconds, n), "%.3f%% of one core" % cpu,
                 "<= %g%%" % GOAL_CPU_PCT, verdict(cpu <= GOAL_CPU_PCT)))
    if sched is not None:
        rows.append(("Idle CPU (schedstat)", "%.3f%% of one core (%.1f µs per container-second)"
                     % (sched, (s1[1] - s0[1]) / wall / n * 1e6), "", ""))
    rows.append(("Wakeups (voluntary context switches) per second", "%.2f" % ((c1 - c0) / wall), "", ""))
    rows.append(("RSS idle: VmRSS / VmHWM", "%.2f / %.2f MiB (anon %s, file %s)"
                 % (rss, hwm, st.get("RssAnon", "?"), st.get("RssFile", "?")),
                 "<= %g MiB" % GOAL_RSS_MIB, verdict(rss <= GOAL_RSS_MIB and hwm <= GOAL_RSS_MIB)))
    rows.append(("fds per watched container ((fds - %d of an empty tree) / %d)" % (base_fds, n),
                 "%.2f (%d fds in all)" % ((fds - base_fds) / n, fds), "", ""))


def phase_level(args, tree, mh, receiver, containers, rows):
    # The level holds at less than 25% free: above 75% of the limit, so one page past it (the kernel's
    # threshold fires at usage >= it, and v1 charges in 64-page steps that can land on 75% exactly).
    threshold = int(args.limit * 0.75) + 4096
    lags, warm = [], None
    for k in range(args.trials + 1):
        c = containers[(k * 37 + 5) % len(containers)]
        cid = container_id(c)
        mh.alive()
        notice = notice_start(c, threshold)
        procs = os.path.join(c, "cgroup.procs")
        hog = subprocess.Popen([args.hog, str(args.hog_rate), "1024"], stdout=subprocess.DEVNULL,
                               preexec_fn=lambda: write(procs, str(os.getpid())))
        try:
            # Stopped once past the threshold, the hog holds its memory there (growing on, it would
            # reach the limit and be killed, and usage fall back, before a 1 s check saw it).
            t_notice = notice_time(notice, 60)
            hog.send_signal(signal.SIGSTOP)
            got = receiver.wait_for(lambda b: cid[:12] in b and '"entered"' in b.replace(" ", ""), 10)
        finally:
            hog.kill()
            hog.wait()
        if not got:
            said = [m for _, m in mh.log_since() if cid[:12] in m or "level" in m][-20:]
            raise BenchError(f"no entered webhook for container {cid[:12]} within 10 s (usage now {tree.usage(c)}, "
                             f"crossing {'seen' if t_notice else 'never seen'}); memhook said:\n" + "\n".join(said))
        if t_notice is None:
            raise BenchError(f"the crossing in {cid[:12]} was never noticed (usage {tree.usage(c)})")
        lag = (got[0] - t_notice) * 1000
        log("trial %d: container %s, %s -> webhook %.1f ms" % (k, cid[:12], "eventfd" if tree.version == 1 else "poll", lag))
        if k == 0:
            warm = lag
        else:
            lags.append(lag)
        wait_until(lambda: tree.usage(c) < threshold // 2, 10, "the hog's memory to go")
    ref = "the kernel's threshold eventfd" if tree.version == 1 else "memory.current past it (1 ms poll)"
    goal = GOAL_V1_LAG_MS if tree.version == 1 else GOAL_V2_LAG_MS
    rows.append(("Level change in one container (hog at %d MB/s, the rest idle): %s -> webhook received"
                 % (args.hog_rate, ref), fmt_ms(lags), "<= %g ms" % goal, verdict(max(lags) <= goal)))
    rows.append(("  the first one (loads libcurl), not counted above", "%.1f ms" % warm, "", ""))
    st = mh.status()
    rows.append(("RSS after webhooks: VmRSS / VmHWM", "%s / %s" % (st["VmRSS"], st["VmHWM"]),
                 "<= %g MiB" % GOAL_RSS_MIB, ""))


def phase_churn(args, tree, mh, existing_ids, rows):
    n_before = mh.watched_count()
    log_from = len(mh.log_since())
    made = []  # container ids
    pending = []  # (remove at, uid)
    period = 1.0 / args.churn_rate
    t0 = now()
    s0 = mh.stat()
    k = 0
    behind = 0.0
    while now() - t0 < args.churn_seconds or pending:
        mh.alive()
        t = now()
        while pending and pending[0][0] <= t:
            tree.remove_pod(pending.pop(0)[1])
        if t - t0 < args.churn_seconds and t >= t0 + k * period:
            behind = max(behind, t - (t0 + k * period))
            uid, cs = tree.add_pod(QOS[k % 3])
            made += [container_id(c) for c in cs]
            pending.append((t + args.churn_lifetime, uid))
            k += 1
            continue
        nxt = min([t0 + k * period] + [p[0] for p in pending[:1]])
        time.sleep(max(0.0, min(0.01, nxt - now())))
    t1 = now()
    s1 = mh.stat()
    time.sleep(3)  # the last removals seen
    n_after = mh.watched_count()
    # Each container's own line, and the lines memhook's log folding left out (its summary: '…
    # "container found: …" repeated N more times in Ts'), which name no container.
    found, gone, folded = {}, {}, {"found": 0, "gone": 0}
    dropped = 0
    for _, msg in mh.log_since(log_from):
        m = re.search(r"(\d+) log lines? dropped", msg)
        if m:
            dropped += int(m.group(1))
        m = re.search(r'"container (found|gone):[^"]*" repeated (\d+) more time', msg)
        if m:
            folded[m.group(1)] += int(m.group(2))
            continue
        m = re.search(r"container (found|gone)\b.*?container ([0-9a-f]{12,64})", msg)
        if m:
            d = found if m.group(1) == "found" else gone
            d[m.group(2)] = d.get(m.group(2), 0) + 1

    def count(d, cid):
        return sum(v for key, v in d.items() if cid.startswith(key))
    f = [count(found, c) for c in made]
    g = [count(gone, c) for c in made]
    old = sum(count(found, c) + count(gone, c) for c in existing_ids)
    # A container without a line of its own may be in a folded line: the totals must still match.
    ok = max(f + g) <= 1 and sum(f) + folded["found"] == len(made) and sum(g) + folded["gone"] == len(made)
    rows.append(("Churn: %d pods/s (2 containers each, %g s each) for %d s: %d containers made"
                 % (args.churn_rate, args.churn_lifetime, args.churn_seconds, len(made)),
                 "found: %d named once, %d twice or more, + %d in folded lines = %d; gone: %d once, %d twice "
                 "or more, + %d folded = %d" % (f.count(1), sum(x > 1 for x in f), folded["found"],
                                                sum(f) + folded["found"], g.count(1), sum(x > 1 for x in g),
                                                folded["gone"], sum(g) + folded["gone"])
                 + ("; memhook dropped %d log lines (stderr blocked)" % dropped if dropped else ""),
                 "%d found, %d gone, none twice" % (len(made), len(made)), verdict(ok)))
    rows.append(("Churn: the %d standing containers found or gone meanwhile; watched before / after (SIGUSR1)"
                 % len(existing_ids), "%d; %d / %d" % (old, n_before, n_after), "0; equal", verdict(old == 0 and n_after == n_before)))
    rows.append(("Churn: memhook's CPU while it ran (utime+stime); the creator's worst lag",
                 "%.2f%% of one core; %.0f ms" % ((s1[0] - s0[0]) / (t1 - t0) * 100, behind * 1000), "", ""))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("memhook")
    ap.add_argument("hog")
    ap.add_argument("out")
    ap.add_argument("--title", default="")
    a = ap.parse_args()
    a.memhook, a.hog = os.path.abspath(a.memhook), os.path.abspath(a.hog)
    a.pods = env_int("NODE_PODS", 250)
    a.layout = os.environ.get("NODE_LAYOUT", "systemd")
    a.phases = os.environ.get("NODE_PHASES", "start,idle,level,churn").split(",")
    a.idle = env_int("NODE_IDLE_SECONDS", 60)
    a.trials = env_int("NODE_TRIALS", 10)
    a.hog_rate = env_int("NODE_HOG_RATE", 50)
    a.limit = env_int("NODE_LIMIT_MIB", 128) * MIB
    a.churn_rate = env_int("NODE_CHURN_RATE", 50)
    a.churn_seconds = env_int("NODE_CHURN_SECONDS", 60)
    a.churn_lifetime = float(os.environ.get("NODE_CHURN_LIFETIME", "2"))
    if os.geteuid() != 0:
        raise BenchError("needs root (real cgroups)")
    work = tempfile.mkdtemp(prefix="memhook-node-bench.")
    receiver = Receiver()
    policy = os.path.join(work, "policy.json")
    write_policy(policy, receiver.url)
    rows = []
    tree = mh = None
    try:
        base_fds, base_st = phase_baseline(a, work, policy)
        log("baseline (empty tree): %d fds, VmRSS %s" % (base_fds, base_st["VmRSS"]))
        tree = Tree(a.layout, a.limit)
        t = now()
        containers = []
        for i in range(a.pods):
            containers += tree.add_pod(QOS[i % 3])[1]
        ids = [container_id(c) for c in containers]
        log("cgroup v%d, %s layout: %d pods, %d containers made in %.2f s under %s"
            % (tree.version, a.layout, a.pods, len(containers), now() - t, tree.root))
        mh = Memhook(a.memhook, tree.root, policy, work)
        wait_until(lambda: mh.alive() and mh.base_url(), 30, "memhook's --listen address")
        if "start" in a.phases:
            phase_start(mh, ids, rows)
        else:
            wait_until(lambda: mh.alive() and mh.find(r"watching \d+ container"), 30, "memhook's walk")
        if "idle" in a.phases:
            phase_idle(mh, len(ids), base_fds, a.idle, rows)
        if "level" in a.phases:
            phase_level(a, tree, mh, receiver, containers, rows)
        if "churn" in a.phases:
            phase_churn(a, tree, mh, ids, rows)
        mh.alive()
    finally:
        if mh:
            mh.stop()
        if tree:
            tree.cleanup()
        receiver.close()
        shutil.rmtree(work, ignore_errors=True)
    head = a.title or ("memhook node, cgroup v%d (%s layout), %d containers, `%s`"
                       % (tree.version, a.layout, 2 * a.pods, os.uname().release))
    md = ["### " + head, "", "| Figure | Value | Goal | Result |", "|---|---|---|---|"]
    md += ["| %s | %s | %s | %s |" % r for r in rows]
    text = "\n".join(md) + "\n"
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    write(a.out, text)
    print(text)


if __name__ == "__main__":
    try:
        main()
    except BenchError as e:
        log(str(e))
        sys.exit(1)
