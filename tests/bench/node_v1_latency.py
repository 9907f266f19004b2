#!/usr/bin/env python3
"""memhook node's latency on cgroup v1 with N-1 idle containers: from the kernel's notification of
a usage threshold (an eventfd of our own registered on the hog container's cgroup at the same
threshold) to the webhook the hog container's level change sends (the listener's receive time),
both CLOCK_MONOTONIC. Root only; everything it makes is removed at the end.
usage: node_v1_latency.py MEMHOOK [N] [ROUNDS]"""
import json, os, select, shutil, signal, subprocess, sys, tempfile, time
import http.server, threading

memhook = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 500
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 10
MiB = 1 << 20
root = "/sys/fs/cgroup/memory/memhook-node-latency-%d" % os.getpid()
got = []


class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        got.append((time.clock_gettime(time.CLOCK_MONOTONIC), json.loads(body)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *a):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
threading.Thread(target=srv.serve_forever, daemon=True).start()
url = "http://127.0.0.1:%d/" % srv.server_address[1]
dirs = []
for i in range(n):
    d = "%s/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod%08x_0000.slice/cri-containerd-%064x.scope" % (root, i, i)
    os.makedirs(d)
    with open(d + "/memory.limit_in_bytes", "w") as f:
        f.write(str(64 * MiB))
    dirs.append(d)
hog = dirs[0]
tmp = tempfile.mkdtemp()
policy = tmp + "/p.json"
with open(policy, "w") as f:
    json.dump({"levels": [{"name": "high", "when": {"local_relative": 50}}],
               "handlers": [{"on": "entered", "webhook": {"url": url}}]}, f)
log = open(tmp + "/log", "w+")
mh = subprocess.Popen([memhook, "node", "--no-kubernetes-api", "--cgroup-root", root, "--policy", policy],
                      stderr=log)
try:
    while "watching %d container" % n not in open(tmp + "/log").read():
        time.sleep(0.05)
    time.sleep(3)  # the writers register every container's thresholds
    # our own eventfd at the policy's threshold (usage > 32 MiB: 50% free of 64 MiB)
    efd = os.eventfd(0, os.EFD_NONBLOCK)
    ufd = os.open(hog + "/memory.usage_in_bytes", os.O_RDONLY)
    with open(hog + "/cgroup.event_control", "w") as f:
        f.write("%d %d %d" % (efd, ufd, 32 * MiB + 4096))
    child = subprocess.Popen([sys.executable, "-c", """
import os, sys
os.write(int(sys.argv[2]), b"%d" % os.getpid())
open(sys.argv[1] + "/cgroup.procs", "w").write(str(os.getpid()))
held = []
for line in sys.stdin:
    if line.startswith("grow"):
        held = [bytearray(b"\\x01" * (1 << 20)) for _ in range(40)]
    else:
        held = []
    print("ok", flush=True)
""", hog, "1"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    child.stdout.readline
    lat = []
    for r in range(rounds):
        time.sleep(0.3 + (r * 0.137) % 1)  # land anywhere in the second
        before = len(got)
        woke = []

        def wait_kernel():
            select.select([efd], [], [], 5)
            woke.append(time.clock_gettime(time.CLOCK_MONOTONIC))
        w = threading.Thread(target=wait_kernel)
        w.start()
        child.stdin.write("grow\n"); child.stdin.flush(); child.stdout.readline()
        w.join()
        t_kernel = woke[0]
        os.eventfd_read(efd)
        deadline = time.time() + 5
        while len(got) == before and time.time() < deadline:
            time.sleep(0.001)
        if len(got) > before:
            t, b = got[before]
            lat.append((t - t_kernel) * 1000)
        child.stdin.write("free\n"); child.stdin.flush(); child.stdout.readline()
        time.sleep(1.2)  # back to normal at the next check
        try:
            os.eventfd_read(efd)
        except BlockingIOError:
            pass
    # the first webhook of a container makes its client (and, without the node loading it at start,
    # libcurl: ~10 ms once): shown apart
    first, lat = lat[0], sorted(lat[1:])
    print("v1 latency, kernel notification -> webhook received, %d containers: first %.1f ms "
          "(its client made), then %d rounds: min %.1f ms, median %.1f ms, max %.1f ms"
          % (n, first, len(lat), lat[0], lat[len(lat) // 2], lat[-1]))
    print("webhooks from other containers: %d" % sum(1 for _, b in got if b["pod"]["container_id"] != "%064x" % 0))
    child.kill()
finally:
    mh.send_signal(signal.SIGTERM)
    mh.wait()
    for d in dirs:
        for p in open(d + "/cgroup.procs").read().split():
            os.kill(int(p), 9)
    time.sleep(0.2)
    for dp, dn, fn in sorted(os.walk(root), key=lambda x: -x[0].count("/")):
        os.rmdir(dp)
    shutil.rmtree(tmp)
