#!/usr/bin/env python3
"""Offline checks of container/kubernetes/sidecar/*.yaml for manifests.bats.

  manifests.py policy DIR            print the ConfigMap's policy.json
  manifests.py check DIR FILE        assert the pod's shape; print the memhook args, one per line,
                                     without the target option (--process/--pid/--cgroup NAME)
  manifests.py probe DIR FILE        print the liveness and readiness probes' paths, one per line
Exit 1 with a message on the first problem.
"""
import sys

import yaml


def load(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def fail(msg):
    print(f"manifests: {msg}", file=sys.stderr)
    sys.exit(1)


def memhook_container(pod):
    spec = pod["spec"]
    for c in spec.get("initContainers", []):
        if c["name"] == "memhook":
            if c.get("restartPolicy") != "Always":
                fail("memhook in initContainers without restartPolicy: Always")
            return c, spec
    for c in spec.get("containers", []):
        if c["name"] == "memhook":
            return c, spec
    fail("no container named memhook")


def check(pod):
    c, spec = memhook_container(pod)
    if spec.get("shareProcessNamespace") is not True:
        fail("shareProcessNamespace is not true")
    psc = spec.get("securityContext", {})
    sc = c.get("securityContext", {})
    if not (sc.get("runAsNonRoot", psc.get("runAsNonRoot")) is True):
        fail("memhook may run as root")
    if sc.get("readOnlyRootFilesystem") is not True or sc.get("allowPrivilegeEscalation") is not False:
        fail("memhook: readOnlyRootFilesystem/allowPrivilegeEscalation")
    caps = sc.get("capabilities", {})
    if caps.get("drop") != ["ALL"] or caps.get("add"):
        fail(f"memhook capabilities are not drop [ALL] and no add: {caps}")
    res = c.get("resources", {})
    if not res.get("requests", {}).get("memory") or not res.get("limits", {}).get("memory"):
        fail("memhook has no memory request and limit")
    env = {e["name"]: e for e in c.get("env", [])}
    for name, field in (("POD_NAME", "metadata.name"), ("POD_NAMESPACE", "metadata.namespace")):
        if env.get(name, {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") != field:
            fail(f"{name} is not the Downward API's {field}")
    status = env.get("MEMHOOK_STATUS_FILE", {}).get("value")
    if not status:
        fail("no MEMHOOK_STATUS_FILE")
    # HTTP probes on the port memhook --listen serves, named "metrics", with scrape annotations
    args = list(c.get("args", []))
    if "--listen" not in args:
        fail("memhook has no --listen")
    listen_port = int(args[args.index("--listen") + 1].rsplit(":", 1)[1])
    ports = {p.get("name"): p.get("containerPort") for p in c.get("ports", [])}
    if ports.get("metrics") != listen_port:
        fail(f"no container port named metrics = the --listen port {listen_port}: {ports}")
    probe = []
    for kind, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        get = c.get(kind, {}).get("httpGet", {})
        if get.get("path") != path or get.get("port") != "metrics":
            fail(f"{kind} is not httpGet {path} on port metrics: {get}")
        probe.append(path)
    ann = pod["metadata"].get("annotations", {})
    if ann.get("prometheus.io/scrape") != "true" or ann.get("prometheus.io/port") != str(listen_port):
        fail(f"no prometheus.io/scrape and port annotations: {ann}")
    mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
    vols = {v["name"]: v for v in spec.get("volumes", [])}
    status_dir = status.rsplit("/", 1)[0]
    if "emptyDir" not in vols.get(mounts.get(status_dir, ""), {}):
        fail(f"{status_dir} is not an emptyDir (the root filesystem is read-only)")
    args = list(c.get("args", []))
    policy = args[args.index("--policy") + 1]
    pdir = policy.rsplit("/", 1)[0]
    if "configMap" not in vols.get(mounts.get(pdir, ""), {}):
        fail(f"{pdir} is not a ConfigMap volume")
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
        elif a in ("--process", "--pid", "--cgroup", "-c"):
            skip = True
        elif a == "--kubernetes-events":
            pass  # needs an API server: tests/contract/kubernetes_events.bats
        else:
            out.append(a)
    return out, probe


def main():
    cmd, d = sys.argv[1], sys.argv[2]
    if cmd == "policy":
        cm = [x for x in load(f"{d}/configmap.yaml") if x.get("kind") == "ConfigMap"]
        if len(cm) != 1:
            fail("configmap.yaml has no single ConfigMap")
        print(cm[0]["data"]["policy.json"], end="")
        return
    docs = load(f"{d}/{sys.argv[3]}")
    pods = [x for x in docs if x.get("kind") == "Pod"]
    if len(pods) != 1:
        fail(f"{sys.argv[3]}: not one Pod")
    args, probe = check(pods[0])
    print("\n".join(args if cmd == "check" else probe))


main()
