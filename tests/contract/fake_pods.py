#!/usr/bin/env python3
"""A loopback HTTPS stand-in for the Kubernetes API server's pods of one node, for pod_watch.bats
and node_pods.bats. It answers list and watch the way the API server does for what memhook asks:

  GET /api/v1/pods?limit=N[&continue=C]&fieldSelector=spec.nodeName=NODE
      200 and a PodList (pages of --page-size pods at most, with a continue token)
  GET /api/v1/pods?watch=1&allowWatchBookmarks=true&resourceVersion=RV&timeoutSeconds=T&fieldSelector=...
      200 and one WatchEvent per line (chunked), every change after RV, then live ones, until T
      seconds have passed; a RV older than the last compaction: HTTP 410 Gone or, with
      --gone-as-event, 200 and an ERROR event whose Status has code 410, as the watch cache does

  POST  /apis/events.k8s.io/v1/namespaces/NS/events        (and PATCH .../events/NAME) as
      fake_apiserver.py answers them, with its rules and store (its Events class): memhook node
      posts its Events to the same API server it watches pods on

Every request must carry "Authorization: Bearer <the token file's current content>" (else 401)
and a GET the field selector spec.nodeName=NODE (else recorded as a problem). Every PodList, Pod,
Status and WatchEvent served, and every Event body and stored Event, goes to DIR/objects.jsonl
for k8s_validate.js (the official OpenAPI schemas of npm kubernetes-models).

The test drives it through a plain-HTTP control port on loopback (DIR/ctl_port): POST /ctl with
one JSON operation:
  {"op": "add"|"modify", "pod": {name, uid, namespace, node, ip, containers: [[name, id]...],
                                 annotations: {...}}}      (a valid Pod is made of these)
  {"op": "delete", "uid": U}         a DELETED event ("silent": true: gone without one, as if
                                     compacted away while no watch ran)
  {"op": "bookmark"}                 a BOOKMARK to every watch
  {"op": "compact"}                  a change elsewhere, then every RV before it is gone: the next
                                     watch from one gets 410
  {"op": "expire"}                   every open watch gets an ERROR event with a 410 Status, ends
  {"op": "fail", "n": N}             the next N requests get 500
  {"op": "garbage"}                  every open watch gets a line that is not JSON
  {"op": "endless"}                  every open watch gets a line without end, until memhook hangs up
  {"op": "stall", "n": N}            the next N watches get their headers and then nothing, never ending

  fake_pods.py DIR CERT KEY TOKEN_FILE NODE [--page-size N] [--gone-as-event]
writes DIR/port and DIR/ctl_port when listening, one JSON line per request to DIR/requests.jsonl.
"""
import argparse
import json
import os
import select
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from fake_apiserver import Events


def make_pod(p, node, rv):
    """A Pod as the API server serves it (the fields memhook reads, and what the schema needs)."""
    containers = p.get("containers", [["app", ""]])
    statuses = []
    for name, cid in containers:
        st = {"name": name, "image": "example/app:1", "imageID": "", "ready": bool(cid), "restartCount": 0,
              "started": bool(cid),
              "state": {"running": {"startedAt": "2026-12-06T10:00:00Z"}} if cid else
              {"waiting": {"reason": "ContainerCreating"}}}
        if cid:
            st["containerID"] = cid
        statuses.append(st)
    md = {"name": p["name"], "namespace": p.get("namespace", "default"), "uid": p["uid"],
          "resourceVersion": str(rv), "creationTimestamp": "2026-12-06T10:00:00Z",
          "labels": {"app": p["name"]}}
    if p.get("annotations"):
        md["annotations"] = p["annotations"]
    status = {"phase": "Running" if any(c for _, c in containers) else "Pending", "containerStatuses": statuses}
    if p.get("ip"):
        status["podIP"] = p["ip"]
        status["podIPs"] = [{"ip": p["ip"]}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": md,
            "spec": {"nodeName": p.get("node", node),
                     "containers": [{"name": n, "image": "example/app:1"} for n, _ in containers]},
            "status": status}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("cert")
    ap.add_argument("key")
    ap.add_argument("token_file")
    ap.add_argument("node")
    ap.add_argument("--page-size", type=int, default=500)
    ap.add_argument("--gone-as-event", action="store_true")
    a = ap.parse_args()
    cond = threading.Condition()
    st = {"rv": 100, "pods": {}, "history": [], "compacted": 0, "fail": 0, "stall": 0, "watch_gen": 0,
          "broadcast": []}  # broadcast: (seq, kind, payload) to open watches
    seq = [0]

    def record(entry):
        with open(f"{a.dir}/requests.jsonl", "a") as f:
            f.write(json.dumps(entry) + "\n")

    def for_schema(what, obj, schema=None):
        line = {"what": what, "object": obj}
        if schema:
            line["schema"] = schema
        with open(f"{a.dir}/objects.jsonl", "a") as f:
            f.write(json.dumps(line) + "\n")

    events = Events(for_schema)

    def status_obj(code, reason, message):
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
                "reason": reason, "code": code}

    def change(kind, pod):
        """Under cond: a new RV, the history, a wakeup of every watch."""
        st["rv"] += 1
        pod = json.loads(json.dumps(pod))
        pod["metadata"]["resourceVersion"] = str(st["rv"])
        st["history"].append((st["rv"], kind, pod))
        cond.notify_all()
        return pod

    def broadcast(kind, payload=None):
        seq[0] += 1
        st["broadcast"].append((seq[0], kind, payload))
        cond.notify_all()

    class Api(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def answer(self, code, obj):
            data = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def status(self, code, reason, message):
            obj = status_obj(code, reason, message)
            for_schema(f"status {code}", obj)
            self.answer(code, obj)

        def chunk(self, data):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

        def event(self, ev):
            for_schema(f"WatchEvent {ev['type']}", ev, "WatchEvent")
            if ev["object"].get("kind") == "Pod" and ev["type"] != "BOOKMARK":
                for_schema(f"{ev['type']} pod {ev['object']['metadata']['name']}", ev["object"])
            self.chunk(json.dumps(ev).encode() + b"\n")

        def do_GET(self):
            u = urlsplit(self.path)
            q = {k: v[0] for k, v in parse_qs(u.query).items()}
            with open(a.token_file) as f:
                token = f.read().strip()
            auth = self.headers.get("Authorization", "")
            entry = {"method": "GET", "path": u.path, "query": q, "authorization": auth, "time": time.time(),
                     "problems": []}
            if q.get("fieldSelector") != f"spec.nodeName={a.node}":
                entry["problems"].append(f"fieldSelector {q.get('fieldSelector')!r}")
            code = self.serve(u, q, auth, token, entry)
            entry["status"] = code
            entry["end"] = time.time()
            record(entry)

        def do_POST(self):
            self.events_request("POST")

        def do_PATCH(self):
            self.events_request("PATCH")

        def events_request(self, method):
            n = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(n) if n else b""
            with open(a.token_file) as f:
                token = f.read().strip()
            auth = self.headers.get("Authorization", "")
            ctype = self.headers.get("Content-Type", "")
            entry = {"method": method, "path": self.path, "authorization": auth, "content_type": ctype,
                     "body": raw.decode("utf-8", "replace"), "time": time.time(), "problems": []}
            if auth != f"Bearer {token}":
                code, obj = 401, status_obj(401, "Unauthorized", "Unauthorized")
            else:
                with cond:
                    code, obj = events.answer(method, self.path, raw, ctype, entry)
            self.answer(code, obj)
            entry["status"] = code
            record(entry)

        def serve(self, u, q, auth, token, entry):
            if auth != f"Bearer {token}":
                self.status(401, "Unauthorized", "Unauthorized")
                return 401
            if u.path != "/api/v1/pods":
                entry["problems"].append(f"path {u.path}")
                self.status(404, "NotFound", "not served here")
                return 404
            with cond:
                if st["fail"] > 0:
                    st["fail"] -= 1
                    self.status(500, "InternalError", "an injected failure")
                    return 500
            if q.get("watch") in ("1", "true"):
                return self.watch(q, entry)
            return self.list(q)

        def list(self, q):
            with cond:
                pods = sorted((p for p in st["pods"].values() if p["spec"]["nodeName"] == a.node),
                              key=lambda p: p["metadata"]["uid"])
                rv = st["rv"]
            limit = min(int(q.get("limit", "500")), a.page_size)
            start, list_rv = 0, rv
            if q.get("continue"):
                try:
                    start, list_rv = (int(x) for x in q["continue"].split("-"))
                except ValueError:
                    self.status(400, "BadRequest", "bad continue")
                    return 400
            page = pods[start:start + limit]
            md = {"resourceVersion": str(list_rv)}
            if start + limit < len(pods):
                md["continue"] = f"{start + limit}-{list_rv}"
            items = []
            for p in page:
                it = dict(p)
                it.pop("apiVersion")
                it.pop("kind")
                items.append(it)
            obj = {"apiVersion": "v1", "kind": "PodList", "metadata": md, "items": items}
            # The API server leaves apiVersion and kind out of a list's items; kubernetes-models'
            # Pod requires them: the copy validated has them back, as clients set them.
            for_schema("PodList", dict(obj, items=[dict(it, apiVersion="v1", kind="Pod") for it in items]))
            self.answer(200, obj)
            return 200

        def watch(self, q, entry):
            try:
                since = int(q.get("resourceVersion", "0"))
            except ValueError:
                since = -1
            timeout = int(q.get("timeoutSeconds", "300"))
            if q.get("allowWatchBookmarks") != "true":
                entry["problems"].append("allowWatchBookmarks is not true")
            with cond:
                gone = since < st["compacted"]
                stall = st["stall"] > 0
                if stall:
                    st["stall"] -= 1
                my_seq = seq[0]
            if gone and not a.gone_as_event:
                self.status(410, "Expired", f"too old resource version: {since} ({st['compacted']})")
                return 410
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                if gone:
                    self.event({"type": "ERROR", "object": status_obj(
                        410, "Expired", f"too old resource version: {since} ({st['compacted']})")})
                    self.chunk(b"")
                    return 200
                if stall:
                    entry["stalled"] = True
                    while not select.select([self.connection], [], [], 0.2)[0]:
                        pass  # nothing, ever: until memhook hangs up (the socket turns readable)
                    self.close_connection = True
                    return 200
                deadline = time.time() + timeout
                sent_rv = since
                while time.time() < deadline:
                    with cond:
                        todo = [h for h in st["history"] if h[0] > sent_rv]
                        casts = [b for b in st["broadcast"] if b[0] > my_seq]
                        if not todo and not casts:
                            cond.wait(min(0.1, max(0.0, deadline - time.time())))
                            continue
                        if casts:
                            my_seq = casts[-1][0]
                        cur_rv = st["rv"]
                    for rv, kind, pod in todo:
                        if pod["spec"]["nodeName"] == a.node:  # the field selector
                            self.event({"type": kind, "object": pod})
                        sent_rv = rv
                    for _, kind, payload in casts:
                        if kind == "bookmark":
                            self.event({"type": "BOOKMARK", "object": {
                                "kind": "Pod", "apiVersion": "v1",
                                "metadata": {"resourceVersion": str(max(cur_rv, sent_rv)),
                                             "annotations": {"k8s.io/initial-events-end": "true"}}}})
                            sent_rv = max(cur_rv, sent_rv)
                        elif kind == "expire":
                            self.event({"type": "ERROR", "object": status_obj(
                                410, "Expired", "The resourceVersion for the provided watch is too old.")})
                            self.chunk(b"")
                            entry["expired"] = True
                            return 200
                        elif kind == "garbage":
                            self.chunk(b"<html>502 Bad Gateway</html>\n")
                            entry["garbage"] = True
                        elif kind == "endless":
                            sent = 0
                            block = b"x" * 65536
                            try:
                                while sent < (1 << 31):
                                    self.chunk(block)
                                    sent += len(block)
                            except (OSError, ssl.SSLError):
                                pass
                            entry["endless_bytes"] = sent
                            self.close_connection = True
                            return 200
                self.chunk(b"")
            except (OSError, ssl.SSLError):
                self.close_connection = True
            return 200

    class Ctl(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            op = json.loads(self.rfile.read(n))
            out = {}
            with cond:
                o = op["op"]
                if o in ("add", "modify"):
                    pod = make_pod(op["pod"], a.node, st["rv"] + 1)
                    kind = "ADDED" if o == "add" else "MODIFIED"
                    pod = change(kind, pod)
                    st["pods"][pod["metadata"]["uid"]] = pod
                    out["rv"] = st["rv"]
                elif o == "delete" and op.get("silent"):
                    st["pods"].pop(op["uid"])  # gone from the store, its event compacted away
                elif o == "delete":
                    pod = st["pods"].pop(op["uid"])
                    change("DELETED", pod)
                    out["rv"] = st["rv"]
                elif o == "compact":  # changes elsewhere, then compacted: every RV before now is gone
                    st["rv"] += 1
                    st["compacted"] = st["rv"]
                elif o == "fail":
                    st["fail"] = op["n"]
                elif o == "stall":
                    st["stall"] = op["n"]
                elif o in ("bookmark", "expire", "garbage", "endless"):
                    broadcast(o)
                elif o == "stop":
                    st["stop"] = True
            data = json.dumps(out).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Api)
    srv.daemon_threads = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    ctl = ThreadingHTTPServer(("127.0.0.1", 0), Ctl)
    ctl.daemon_threads = True
    threading.Thread(target=ctl.serve_forever, daemon=True).start()
    for name, port in (("ctl_port", ctl.server_address[1]), ("port", srv.server_address[1])):
        with open(f"{a.dir}/{name}.tmp", "w") as f:
            f.write(str(port))
        os.rename(f"{a.dir}/{name}.tmp", f"{a.dir}/{name}")
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
