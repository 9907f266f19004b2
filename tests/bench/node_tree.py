"""The kubelet's cgroup layout under a private root of the real memory cgroup, for node_bench.py.

Tree(layout, limit): "systemd" (kubepods.slice/kubepods-<qos>.slice/kubepods-<qos>-pod<UID>.slice/
cri-containerd-<ID>.scope; guaranteed pods directly under kubepods.slice) or "cgroupfs"
(kubepods/<qos>/pod<UID>/<ID>), on v2 when the memory controller is there, else v1."""
import os
import re
import signal
import tempfile
import time
import uuid

QOS = ("guaranteed", "burstable", "besteffort")


class BenchError(Exception):
    pass


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def read(path):
    with open(path) as f:
        return f.read()


class Tree:
    """A private root on the real memory cgroup, with the kubelet's layout below it."""

    def __init__(self, layout, limit):
        if os.path.exists("/sys/fs/cgroup/cgroup.controllers") and \
                "memory" in read("/sys/fs/cgroup/cgroup.controllers").split():
            self.version, base = 2, "/sys/fs/cgroup"
            if "memory" not in read(f"{base}/cgroup.subtree_control").split():
                write(f"{base}/cgroup.subtree_control", "+memory")
        elif os.path.exists("/sys/fs/cgroup/memory/memory.usage_in_bytes"):
            self.version, base = 1, "/sys/fs/cgroup/memory"
        else:
            raise BenchError("no memory cgroup (v2 controller or v1 hierarchy) here")
        self.layout, self.limit = layout, limit
        self.root = tempfile.mkdtemp(prefix="memhook-node-bench.", dir=base)
        if self.version == 2:  # each level passes the controller on (else the next write is ENOENT)
            write(os.path.join(self.root, "cgroup.subtree_control"), "+memory")
        self.kubepods = os.path.join(self.root, "kubepods.slice" if layout == "systemd" else "kubepods")
        self.mkdir(self.kubepods)
        self.pods = {}  # pod uid -> (pod dir, [container dirs])

    def mkdir(self, path):
        os.mkdir(path)
        if self.version == 2:
            write(os.path.join(path, "cgroup.subtree_control"), "+memory")

    def parent_of(self, qos, uid):
        if self.layout == "systemd":
            u = uid.replace("-", "_")
            if qos == "guaranteed":
                return os.path.join(self.kubepods, f"kubepods-pod{u}.slice")
            return os.path.join(self.kubepods, f"kubepods-{qos}.slice", f"kubepods-{qos}-pod{u}.slice")
        if qos == "guaranteed":
            return os.path.join(self.kubepods, f"pod{uid}")
        return os.path.join(self.kubepods, qos, f"pod{uid}")

    def add_pod(self, qos, n_containers=2):
        uid = str(uuid.uuid4())
        pod = self.parent_of(qos, uid)
        qdir = os.path.dirname(pod)
        if not os.path.isdir(qdir):
            self.mkdir(qdir)
        self.mkdir(pod)
        cs = []
        for _ in range(n_containers):
            cid = uuid.uuid4().hex + uuid.uuid4().hex
            c = os.path.join(pod, f"cri-containerd-{cid}.scope" if self.layout == "systemd" else cid)
            os.mkdir(c)
            write(os.path.join(c, "memory.max" if self.version == 2 else "memory.limit_in_bytes"), str(self.limit))
            cs.append(c)
        self.pods[uid] = (pod, cs)
        return uid, cs

    def remove_pod(self, uid):
        pod, cs = self.pods.pop(uid)
        for c in cs:
            rmdir_retry(c)
        rmdir_retry(pod)

    def usage(self, c):
        return int(read(os.path.join(c, "memory.current" if self.version == 2 else "memory.usage_in_bytes")))

    def cleanup(self):
        for d, subdirs, _ in sorted(os.walk(self.root), key=lambda w: -w[0].count("/")):
            procs = os.path.join(d, "cgroup.procs")
            try:
                for pid in read(procs).split():
                    os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass
        for d, _, _ in sorted(os.walk(self.root), key=lambda w: -w[0].count("/")):
            rmdir_retry(d, tries=50)


def rmdir_retry(path, tries=20):
    for i in range(tries):
        try:
            os.rmdir(path)
            return
        except FileNotFoundError:
            return
        except OSError:
            if i == tries - 1:
                raise
            time.sleep(0.05)


def container_id(path):
    base = os.path.basename(path)
    m = re.search(r"[0-9a-f]{64}", base)
    return m.group(0) if m else base
