#!/usr/bin/env python3
"""Every manifest in container/kubernetes/ against the official Kubernetes schemas (k8s_validate.js,
npm kubernetes-models), plus what --kubernetes-events needs of them: a Role with exactly create and
patch on events in events.k8s.io, bound to the memhook ServiceAccount, and every pod that runs
memhook with --kubernetes-events running as that account with its token mounted and POD_NAME,
POD_NAMESPACE and POD_UID from the Downward API.

  validate_manifests.py DIR
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


def fail(msgs):
    for m in msgs:
        print(f"manifests: {m}", file=sys.stderr)
    sys.exit(1)


def memhook_containers(pod):
    spec = pod.get("spec", {})
    return [c for c in spec.get("initContainers", []) + spec.get("containers", []) if c.get("name") == "memhook"]


def main():
    d = sys.argv[1]
    docs, problems, lines = [], [], []
    for path in sorted(glob.glob(f"{d}/*.yaml")):
        with open(path) as f:
            for i, doc in enumerate(x for x in yaml.safe_load_all(f) if x is not None):
                docs.append((f"{os.path.basename(path)}#{i}", doc))
    if not docs:
        fail([f"no manifest in {d}"])
    for what, doc in docs:
        group = doc.get("apiVersion", "").split("/")[0] if "/" in doc.get("apiVersion", "") else ""
        if group in CRD_GROUPS:
            print(f"skipped {what} ({doc.get('apiVersion')} {doc.get('kind')}): {CRD_GROUPS[group]}")
            if not doc.get("kind") or not doc.get("metadata", {}).get("name") or "spec" not in doc:
                problems.append(f"{what}: a custom resource without kind, metadata.name or spec")
            continue
        lines.append(json.dumps({"what": what, "object": doc}))

    kinds = {}
    for what, doc in docs:
        kinds.setdefault(doc.get("kind"), []).append((what, doc))
    roles = kinds.get("Role", [])
    want_rules = [{"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": ["create", "patch"]}]
    if len(roles) != 1:
        problems.append(f"{len(roles)} Roles, not one")
    else:
        rules = [{k: sorted(v) for k, v in r.items()} for r in roles[0][1].get("rules", [])]
        if rules != want_rules:
            problems.append(f"the Role's rules are {rules}, not exactly {want_rules}")
    sas = [doc["metadata"]["name"] for _, doc in kinds.get("ServiceAccount", [])]
    if sas != ["memhook"]:
        problems.append(f"ServiceAccounts {sas}, not [memhook]")
    bound = [doc for _, doc in kinds.get("RoleBinding", [])
             if doc.get("roleRef", {}).get("kind") == "Role" and roles and
             doc["roleRef"].get("name") == roles[0][1]["metadata"]["name"] and
             {"kind": "ServiceAccount", "name": "memhook"} in doc.get("subjects", [])]
    if len(bound) != 1:
        problems.append("no RoleBinding of the Role to the ServiceAccount memhook")
    pods = 0
    for what, pod in kinds.get("Pod", []):
        for c in memhook_containers(pod):
            if "--kubernetes-events" not in c.get("args", []):
                continue
            pods += 1
            spec = pod["spec"]
            if spec.get("serviceAccountName") != "memhook" or spec.get("automountServiceAccountToken") is False:
                problems.append(f"{what}: not run as ServiceAccount memhook with its token mounted")
            env = {e["name"]: e for e in c.get("env", [])}
            for name, field in (("POD_NAME", "metadata.name"), ("POD_NAMESPACE", "metadata.namespace"),
                                ("POD_UID", "metadata.uid")):
                if env.get(name, {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") != field:
                    problems.append(f"{what}: {name} is not the Downward API's {field}")
    if pods == 0:
        problems.append("no pod runs memhook with --kubernetes-events")

    r = subprocess.run(["node", f"{HERE}/k8s_validate.js"], input="\n".join(lines) + "\n", text=True,
                       capture_output=True)
    print(r.stdout, end="")
    if r.returncode != 0:
        problems.append(f"schema validation failed: {r.stderr.strip() or 'see above'}")
    if problems:
        fail(problems)


if __name__ == "__main__":
    main()
