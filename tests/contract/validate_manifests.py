#!/usr/bin/env python3
"""The Kubernetes manifests of container/kubernetes/ against the official Kubernetes schemas
(k8s_validate.js, npm kubernetes-models), plus what memhook needs of them.

  validate_manifests.py DIR...
Each DIR is one shape of deployment (container/kubernetes/sidecar, container/kubernetes/node):
every *.yaml file in it, and, when it has a kustomization.yaml, every object `kubectl kustomize
DIR` renders from it ($KUBECTL, default kubectl; `make contract` passes Debian's). Checked:

- sidecar: a Role with exactly create and patch on events in events.k8s.io, bound to the memhook
  ServiceAccount; every pod that runs memhook with --kubernetes-events runs as that account with
  its token mounted and POD_NAME, POD_NAMESPACE and POD_UID from the Downward API.
- node (a DaemonSet): the DaemonSet's pods run `memhook node` with hostPID, the node's
  /sys/fs/cgroup writable, NODE_NAME from spec.nodeName and POD_NAME/POD_NAMESPACE from the
  Downward API, tolerate every taint, as a ServiceAccount bound to a ClusterRole with exactly get,
  list, watch on pods and create, patch on events.k8s.io events; no privilege but CAP_KILL; the
  probes on the --listen port; --policy-dir a ConfigMap that holds --policy; every object in the
  kustomization's Namespace. An example pod's memhook.io/ annotations name a policy of that
  ConfigMap, a webhook with $(POD_IP), and containers the pod has.

A custom resource (prometheus-operator's PodMonitor, monitoring.coreos.com) has no schema in
kubernetes-models: it is listed as skipped, with the reason, and only its apiVersion/kind/metadata
shape is checked. Exit 1 on any problem.
"""
import glob
import json
import os
import subprocess
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
CRD_GROUPS = {"monitoring.coreos.com": "a CustomResourceDefinition of prometheus-operator: no "
                                        "schema in kubernetes-models (its CRD is not installed here)"}
CLUSTER_KINDS = {"Namespace", "ClusterRole", "ClusterRoleBinding"}


def fail(msgs):
    for m in msgs:
        print(f"manifests: {m}", file=sys.stderr)
    sys.exit(1)


def memhook_containers(podspec):
    return [c for c in podspec.get("initContainers", []) + podspec.get("containers", [])
            if c.get("name") == "memhook"]


def by_kind(docs):
    kinds = {}
    for what, doc in docs:
        kinds.setdefault(doc.get("kind"), []).append((what, doc))
    return kinds


def field_ref(c, name):
    for e in c.get("env", []):
        if e.get("name") == name:
            return e.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
    return None


def rules_of(doc):
    return sorted(json.dumps({k: sorted(v) for k, v in r.items()}, sort_keys=True) for r in doc.get("rules", []))


def arg(args, name):
    return args[args.index(name) + 1] if name in args[:-1] else None


def check_sidecar(where, docs, problems):
    kinds = by_kind(docs)
    roles = kinds.get("Role", [])
    want_rules = [{"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": ["create", "patch"]}]
    if len(roles) != 1:
        problems.append(f"{where}: {len(roles)} Roles, not one")
    elif rules_of(roles[0][1]) != rules_of({"rules": want_rules}):
        problems.append(f"{where}: the Role's rules are {roles[0][1].get('rules')}, not exactly {want_rules}")
    sas = [doc["metadata"]["name"] for _, doc in kinds.get("ServiceAccount", [])]
    if sas != ["memhook"]:
        problems.append(f"{where}: ServiceAccounts {sas}, not [memhook]")
    bound = [doc for _, doc in kinds.get("RoleBinding", [])
             if doc.get("roleRef", {}).get("kind") == "Role" and roles and
             doc["roleRef"].get("name") == roles[0][1]["metadata"]["name"] and
             {"kind": "ServiceAccount", "name": "memhook"} in doc.get("subjects", [])]
    if len(bound) != 1:
        problems.append(f"{where}: no RoleBinding of the Role to the ServiceAccount memhook")
    pods = 0
    for what, pod in kinds.get("Pod", []):
        for c in memhook_containers(pod.get("spec", {})):
            if "--kubernetes-events" not in c.get("args", []):
                continue
            pods += 1
            spec = pod["spec"]
            if spec.get("serviceAccountName") != "memhook" or spec.get("automountServiceAccountToken") is False:
                problems.append(f"{what}: not run as ServiceAccount memhook with its token mounted")
            for name, field in (("POD_NAME", "metadata.name"), ("POD_NAMESPACE", "metadata.namespace"),
                                ("POD_UID", "metadata.uid")):
                if field_ref(c, name) != field:
                    problems.append(f"{what}: {name} is not the Downward API's {field}")
    if pods == 0:
        problems.append(f"{where}: no pod runs memhook with --kubernetes-events")


NODE_RULES = [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]},
              {"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": ["create", "patch"]}]


def check_node(where, docs, problems):
    """The rendered kustomization of the node shape; returns its policies ConfigMap's keys."""
    def bad(msg):
        problems.append(f"{where}: {msg}")
    kinds = by_kind(docs)
    dss = kinds.get("DaemonSet", [])
    if len(dss) != 1:
        bad(f"{len(dss)} DaemonSets, not one")
        return set()
    ds = dss[0][1]
    ns = ds["metadata"].get("namespace")
    namespaces = [d["metadata"]["name"] for _, d in kinds.get("Namespace", [])]
    if not ns or namespaces != [ns]:
        bad(f"the DaemonSet's namespace {ns!r} is not the one Namespace of the kustomization {namespaces}")
    for what, d in docs:
        if d.get("kind") not in CLUSTER_KINDS and d["metadata"].get("namespace") != ns:
            bad(f"{what} ({d.get('kind')}) is not in namespace {ns}")
    tmpl = ds["spec"]["template"]
    labels = tmpl.get("metadata", {}).get("labels", {})
    if not ds["spec"].get("selector", {}).get("matchLabels") or \
            any(labels.get(k) != v for k, v in ds["spec"]["selector"]["matchLabels"].items()):
        bad("the selector does not match the pod template's labels")
    spec = tmpl["spec"]
    if spec.get("hostPID") is not True:
        bad("the pods have no hostPID: true")
    if {"operator": "Exists"} not in spec.get("tolerations", []):
        bad(f"the pods do not tolerate every taint (operator: Exists): {spec.get('tolerations')}")
    # The ServiceAccount, bound to a ClusterRole with exactly the node's rules
    sa = spec.get("serviceAccountName")
    if spec.get("automountServiceAccountToken") is False or \
            [(d["metadata"]["name"], d["metadata"].get("namespace")) for _, d in kinds.get("ServiceAccount", [])] != [(sa, ns)]:
        bad(f"the pods do not run as the kustomization's one ServiceAccount ({sa!r}) with its token mounted")
    croles = kinds.get("ClusterRole", [])
    if len(croles) != 1 or rules_of(croles[0][1]) != rules_of({"rules": NODE_RULES}):
        bad(f"not one ClusterRole with exactly {NODE_RULES}: {[d.get('rules') for _, d in croles]}")
    elif not [d for _, d in kinds.get("ClusterRoleBinding", [])
              if d.get("roleRef") == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                      "name": croles[0][1]["metadata"]["name"]} and
              {"kind": "ServiceAccount", "name": sa, "namespace": ns} in d.get("subjects", [])]:
        bad(f"no ClusterRoleBinding of the ClusterRole to ServiceAccount {ns}/{sa}")
    if kinds.get("Role") or kinds.get("RoleBinding"):
        bad("a Role or RoleBinding besides the ClusterRole")
    # The memhook container
    cs = memhook_containers(spec)
    if len(cs) != 1:
        bad(f"{len(cs)} containers named memhook, not one")
        return set()
    c = cs[0]
    args = list(c.get("args", []))
    if args[:1] != ["node"]:
        bad(f"memhook's args do not start with the command node: {args}")
    for name, field in (("NODE_NAME", "spec.nodeName"), ("POD_NAME", "metadata.name"),
                        ("POD_NAMESPACE", "metadata.namespace")):
        if field_ref(c, name) != field:
            bad(f"{name} is not the Downward API's {field}")
    env = {e["name"]: e.get("value") for e in c.get("env", []) if "value" in e}
    for name in ("MEMHOOK_PID", "MEMHOOK_STATUS_FILE"):
        if env.get(name) != "":
            bad(f"{name} (preset by the image for the sidecar) is not emptied: memhook node refuses it")
    sc = c.get("securityContext", {})
    if sc.get("privileged") is True or spec.get("securityContext", {}).get("privileged") is True:
        bad("privileged")
    if sc.get("readOnlyRootFilesystem") is not True or sc.get("allowPrivilegeEscalation") is not False:
        bad("memhook: readOnlyRootFilesystem/allowPrivilegeEscalation")
    caps = sc.get("capabilities", {})
    if caps.get("drop") != ["ALL"] or caps.get("add") != ["KILL"]:
        bad(f"memhook's capabilities are not drop [ALL], add [KILL]: {caps}")
    res = c.get("resources", {})
    if not res.get("requests", {}).get("memory") or not res.get("limits", {}).get("memory"):
        bad("memhook has no memory request and limit")
    mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
    vols = {v["name"]: v for v in spec.get("volumes", [])}
    cg = mounts.get("/sys/fs/cgroup")
    if not cg or vols.get(cg["name"], {}).get("hostPath", {}).get("path") != "/sys/fs/cgroup":
        bad("the node's /sys/fs/cgroup (hostPath) is not mounted at /sys/fs/cgroup")
    elif cg.get("readOnly") is True:
        bad("/sys/fs/cgroup is mounted read-only (memory.high, memory.reclaim and the v1 thresholds are written)")
    # The policies: --policy-dir a ConfigMap of this kustomization, --policy one of its files
    pdir, policy, listen = arg(args, "--policy-dir"), arg(args, "--policy"), arg(args, "--listen")
    keys = set()
    cm_name = vols.get(mounts.get(pdir, {}).get("name"), {}).get("configMap", {}).get("name")
    cms = [d for _, d in kinds.get("ConfigMap", []) if d["metadata"]["name"] == cm_name]
    if not pdir or not cm_name or len(cms) != 1:
        bad(f"--policy-dir {pdir!r} is not a ConfigMap volume of the kustomization")
    else:
        keys = set(cms[0].get("data", {}))
        if mounts[pdir].get("readOnly") is not True:
            bad("the policy directory is not mounted read-only")
        if not policy or policy.rsplit("/", 1)[0] != pdir or policy.rsplit("/", 1)[1] not in keys:
            bad(f"--policy {policy!r} is not a file of the ConfigMap {cm_name} ({sorted(keys)})")
    # HTTP probes on the --listen port, named metrics, and the scrape annotations
    port = int(listen.rsplit(":", 1)[1]) if listen else None
    if {p.get("name"): p.get("containerPort") for p in c.get("ports", [])}.get("metrics") != port or port is None:
        bad(f"no container port named metrics = the --listen port {port}")
    for kind, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        get = c.get(kind, {}).get("httpGet", {})
        if get.get("path") != path or get.get("port") != "metrics":
            bad(f"{kind} is not httpGet {path} on port metrics: {get}")
    ann = tmpl.get("metadata", {}).get("annotations", {})
    if ann.get("prometheus.io/scrape") != "true" or ann.get("prometheus.io/port") != str(port):
        bad(f"no prometheus.io/scrape and port annotations: {ann}")
    return keys


def check_example_pod(what, pod, policies, problems):
    ann = pod["metadata"].get("annotations", {})
    names = [c["name"] for c in pod["spec"].get("containers", [])]
    name = ann.get("memhook.io/policy", "")
    if name not in policies and f"{name}.json" not in policies:
        problems.append(f"{what}: memhook.io/policy {name!r} is not in the policies ConfigMap {sorted(policies)}")
    if "$(POD_IP)" not in ann.get("memhook.io/webhook", ""):
        problems.append(f"{what}: memhook.io/webhook has no $(POD_IP): {ann.get('memhook.io/webhook')!r}")
    watched = [x.strip() for x in ann.get("memhook.io/containers", "").split(",") if x.strip()]
    if not watched or any(x not in names for x in watched):
        problems.append(f"{what}: memhook.io/containers {watched} are not containers of the pod {names}")


def load_dir(d):
    docs = []
    for path in sorted(glob.glob(f"{d}/*.yaml")):
        if os.path.basename(path) == "kustomization.yaml":
            continue
        with open(path) as f:
            for i, doc in enumerate(x for x in yaml.safe_load_all(f) if x is not None):
                docs.append((f"{os.path.basename(d)}/{os.path.basename(path)}#{i}", doc))
    return docs


def render(d, problems):
    kubectl = os.environ.get("KUBECTL", "kubectl")
    r = subprocess.run([kubectl, "kustomize", d], text=True, capture_output=True)
    if r.returncode != 0:
        problems.append(f"{kubectl} kustomize {d} failed: {r.stderr.strip()}")
        return []
    objs = [x for x in yaml.safe_load_all(r.stdout) if x is not None]
    print(f"rendered {os.path.basename(d)} with {kubectl} kustomize: {len(objs)} objects")
    return [(f"{os.path.basename(d)} (kustomize)#{i}", o) for i, o in enumerate(objs)]


def main():
    problems, lines = [], []
    for d in sys.argv[1:]:
        files = load_dir(d)
        if not files:
            problems.append(f"no manifest in {d}")
            continue
        rendered = render(d, problems) if os.path.exists(f"{d}/kustomization.yaml") else []
        for what, doc in files + rendered:
            api = doc.get("apiVersion", "")
            group = api.split("/")[0] if "/" in api else ""
            if group in CRD_GROUPS:
                print(f"skipped {what} ({api} {doc.get('kind')}): {CRD_GROUPS[group]}")
                if not doc.get("kind") or not doc.get("metadata", {}).get("name") or "spec" not in doc:
                    problems.append(f"{what}: a custom resource without kind, metadata.name or spec")
                continue
            lines.append(json.dumps({"what": what, "object": doc}))
        base = os.path.basename(os.path.normpath(d))
        if any(doc.get("kind") == "DaemonSet" for _, doc in files + rendered):
            if not rendered:
                problems.append(f"{d}: the node shape has no kustomization that renders")
                continue
            policies = check_node(f"{base} (kustomize)", rendered, problems)
            for what, doc in files:
                if doc.get("kind") == "Pod":
                    check_example_pod(what, doc, policies, problems)
        else:
            check_sidecar(base, files, problems)
            if rendered:
                check_sidecar(f"{base} (kustomize)", rendered, problems)
    if not lines:
        fail(problems + ["no object to validate"])
    r = subprocess.run(["node", f"{HERE}/k8s_validate.js"], input="\n".join(lines) + "\n", text=True,
                       capture_output=True)
    print(r.stdout, end="")
    if r.returncode != 0:
        problems.append(f"schema validation failed: {r.stderr.strip() or 'see above'}")
    if problems:
        fail(problems)


if __name__ == "__main__":
    main()
