#!/usr/bin/env python3
"""A loopback HTTPS stand-in for the Kubernetes API server's events.k8s.io/v1 endpoints, for
kubernetes_events.bats. No API server can run on the test machines; this one answers the way
the real one does for what memhook sends, and is stricter about its requests than a client needs:

  POST  /apis/events.k8s.io/v1/namespaces/NS/events        201 and the stored object
  PATCH /apis/events.k8s.io/v1/namespaces/NS/events/NAME   200 and the patched object (JSON merge
                                                           patch; 404 when there is no such Event)

Every request must carry "Authorization: Bearer <the token file's current content>" (else 401),
the right Content-Type (application/json, or application/merge-patch+json for PATCH), and a body
the API server's validation accepts (pkg/apis/core/validation/events.go, for events.k8s.io/v1):
known fields only, apiVersion/kind, a DNS-subdomain name, the path's namespace, an eventTime that
is a MicroTime, reportingController and reportingInstance set (<= 128), action and reason set
(<= 128), type Normal or Warning, note <= 1 kB, regarding a Pod in the same namespace; a PATCH may
change nothing but series (Events are immutable but for their series), count >= 2. Anything else
is answered 422 with a Status, and recorded as a problem. Every body and every resulting object
also goes to DIR/objects.jsonl, which k8s_validate.js checks against the official OpenAPI schema
(npm kubernetes-models) after the test.

Answers on demand (command line): --forbid (403 to everything, as without RBAC), --conflict N (the
first N POSTs get 409 AlreadyExists), --throttle N --retry-after S (the first N requests get 429
with Retry-After: S), --huge N (the first N requests get 503 with a 1 GiB body, written until the
client hangs up; how much was written is recorded as "sent_bytes").

  fake_apiserver.py DIR CERT KEY TOKEN_FILE [options]
writes DIR/port when listening, one JSON line per request to DIR/requests.jsonl.
"""
import argparse
import json
import os
import re
import ssl
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PATH_CREATE = re.compile(r"^/apis/events\.k8s\.io/v1/namespaces/([a-z0-9-]+)/events$")
PATH_ONE = re.compile(r"^/apis/events\.k8s\.io/v1/namespaces/([a-z0-9-]+)/events/([^/]+)$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
MICRO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
EVENT_KEYS = {"apiVersion", "kind", "metadata", "eventTime", "series", "reportingController",
              "reportingInstance", "action", "reason", "regarding", "related", "note", "type",
              "deprecatedSource", "deprecatedFirstTimestamp", "deprecatedLastTimestamp",
              "deprecatedCount"}
REF_KEYS = {"apiVersion", "kind", "name", "namespace", "uid", "resourceVersion", "fieldPath"}


def problems_of_event(ev, ns):
    """What the API server's validation would refuse in a whole Event (a list of strings)."""
    p = []
    if not isinstance(ev, dict):
        return ["not an object"]
    unknown = set(ev) - EVENT_KEYS
    if unknown:
        p.append(f"unknown fields {sorted(unknown)}")
    if ev.get("apiVersion") != "events.k8s.io/v1" or ev.get("kind") != "Event":
        p.append("apiVersion/kind")
    md = ev.get("metadata") or {}
    name = md.get("name", "")
    if not isinstance(name, str) or not DNS_SUBDOMAIN.match(name) or len(name) > 253:
        p.append(f"metadata.name {name!r} is not a DNS subdomain of at most 253")
    if md.get("namespace", ns) != ns:
        p.append("metadata.namespace differs from the path's")
    if not isinstance(ev.get("eventTime"), str) or not MICRO_TIME.match(ev["eventTime"]):
        p.append(f"eventTime {ev.get('eventTime')!r} is not a MicroTime")
    for k in ("reportingController", "reportingInstance", "action", "reason"):
        v = ev.get(k)
        if not isinstance(v, str) or not v or len(v) > 128:
            p.append(f"{k} missing or longer than 128")
    if ev.get("reportingController") != "memhook.io/memhook":
        p.append("reportingController is not memhook.io/memhook")
    if ev.get("type") not in ("Normal", "Warning"):
        p.append(f"type {ev.get('type')!r}")
    note = ev.get("note", "")
    if not isinstance(note, str) or len(note.encode()) > 1024:
        p.append("note longer than 1 kB")
    reg = ev.get("regarding")
    if not isinstance(reg, dict) or set(reg) - REF_KEYS:
        p.append("regarding is not an ObjectReference")
    elif (reg.get("apiVersion"), reg.get("kind")) != ("v1", "Pod") or reg.get("namespace") != ns or \
            not reg.get("name"):
        p.append("regarding is not a Pod in the Event's namespace")
    s = ev.get("series")
    if s is not None:
        if not isinstance(s, dict) or set(s) - {"count", "lastObservedTime"} or \
                not isinstance(s.get("count"), int) or s["count"] < 2 or \
                not MICRO_TIME.match(str(s.get("lastObservedTime", ""))):
            p.append(f"series {s!r}: count >= 2 and a MicroTime lastObservedTime")
    return p


def merge_patch(target, patch):
    """RFC 7396."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def status_obj(code, reason, message):
    """A v1 Status as the API server answers a failure."""
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason, "code": code}


class Events:
    """The store of the events.k8s.io/v1 endpoints and the API server's rules for them, without
    the HTTP around them (fake_pods.py serves them too, beside its pods). for_schema(what, obj)
    takes every body and resulting object for k8s_validate.js; conflict: how many valid POSTs
    get 409 AlreadyExists. Not thread-safe: the caller holds its lock."""

    def __init__(self, for_schema, conflict=0):
        self.for_schema = for_schema
        self.conflict = conflict
        self.store = {}  # (ns, name) -> object

    @staticmethod
    def serves(path):
        return bool(PATH_CREATE.match(path) or PATH_ONE.match(path))

    def answer(self, method, path, raw, ctype, entry):
        """(HTTP status, the object answered) for a request; what breaks a rule goes to
        entry["problems"]."""
        m_create, m_one = PATH_CREATE.match(path), PATH_ONE.match(path)
        if method == "POST" and m_create:
            want_ct = "application/json"
        elif method == "PATCH" and m_one:
            want_ct = "application/merge-patch+json"
        else:
            entry["problems"].append(f"unexpected {method} {path}")
            code = 405 if (m_create or m_one) else 404
            return code, status_obj(code, "NotFound", "not served here")
        if ctype != want_ct:
            entry["problems"].append(f"Content-Type {ctype!r}, not {want_ct}")
            return 415, status_obj(415, "UnsupportedMediaType", f"the body of a {method} here is {want_ct}")
        try:
            body = json.loads(raw)
        except ValueError as e:
            entry["problems"].append(f"body is not JSON: {e}")
            return 400, status_obj(400, "BadRequest", "not JSON")
        ns = (m_create or m_one).group(1)
        if method == "POST":
            self.for_schema(f"POST body {path}", body)
            probs = problems_of_event(body, ns)
            if probs:
                entry["problems"] += probs
                return 422, status_obj(422, "Invalid", "Event is invalid: " + "; ".join(probs))
            if self.conflict > 0:
                self.conflict -= 1
                return 409, status_obj(409, "AlreadyExists",
                                       f'events.events.k8s.io "{body["metadata"]["name"]}" already exists')
            key = (ns, body["metadata"]["name"])
            if key in self.store:
                return 409, status_obj(409, "AlreadyExists", f'events.events.k8s.io "{key[1]}" already exists')
            obj = json.loads(json.dumps(body))
            obj["metadata"].update({"namespace": ns, "uid": str(uuid.uuid4()), "resourceVersion": "1",
                                    "creationTimestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
            self.store[key] = obj
            self.for_schema(f"stored {key[1]}", obj)
            return 201, obj
        key = (ns, m_one.group(2))
        if key not in self.store:
            return 404, status_obj(404, "NotFound", f'events.events.k8s.io "{key[1]}" not found')
        if not isinstance(body, dict) or set(body) != {"series"}:
            entry["problems"].append(f"a PATCH that changes more than series: {sorted(body)}")
            return 422, status_obj(422, "Invalid", "Event is invalid: only series may change")
        obj = merge_patch(self.store[key], body)
        probs = problems_of_event(obj, ns)
        old = self.store[key].get("series", {}).get("count", 1)
        if obj.get("series", {}).get("count") != old + 1:
            probs.append(f"series.count {obj.get('series', {}).get('count')} after {old}")
        if probs:
            entry["problems"] += probs
            return 422, status_obj(422, "Invalid", "Event is invalid: " + "; ".join(probs))
        obj["metadata"]["resourceVersion"] = str(int(obj["metadata"]["resourceVersion"]) + 1)
        self.store[key] = obj
        self.for_schema(f"patched {key[1]}", obj)
        return 200, obj


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("cert")
    ap.add_argument("key")
    ap.add_argument("token_file")
    ap.add_argument("--forbid", action="store_true")
    ap.add_argument("--conflict", type=int, default=0)
    ap.add_argument("--throttle", type=int, default=0)
    ap.add_argument("--retry-after", default="1")
    ap.add_argument("--huge", type=int, default=0)
    a = ap.parse_args()
    lock = threading.Lock()
    left = {"throttle": a.throttle, "huge": a.huge}
    huge_bytes = 1 << 30

    def record(entry):
        with open(f"{a.dir}/requests.jsonl", "a") as f:
            f.write(json.dumps(entry) + "\n")

    def for_schema(what, obj):
        with open(f"{a.dir}/objects.jsonl", "a") as f:
            f.write(json.dumps({"what": what, "object": obj}) + "\n")

    events = Events(for_schema, a.conflict)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def answer(self, code, obj, extra=None):
            data = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def status(self, code, reason, message, extra=None):
            self.answer(code, status_obj(code, reason, message), extra)

        def do_GET(self):
            self.handle_one("GET")

        def do_POST(self):
            self.handle_one("POST")

        def do_PATCH(self):
            self.handle_one("PATCH")

        def do_PUT(self):
            self.handle_one("PUT")

        def handle_one(self, method):
            n = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(n) if n else b""
            auth = self.headers.get("Authorization", "")
            ctype = self.headers.get("Content-Type", "")
            entry = {"method": method, "path": self.path, "authorization": auth, "content_type": ctype,
                     "body": raw.decode("utf-8", "replace"), "time": time.time(), "problems": []}
            with lock:
                code = self.decide(method, raw, auth, ctype, entry)
            if entry.get("huge"):
                entry["sent_bytes"] = self.stream_huge()
            entry["status"] = code
            record(entry)

        def stream_huge(self):
            """Writes the 1 GiB body announced until the client hangs up; returns the bytes written."""
            chunk, sent = b" " * 65536, 0
            try:
                while sent < huge_bytes:
                    self.wfile.write(chunk)
                    sent += len(chunk)
            except (OSError, ssl.SSLError):
                self.close_connection = True
            return sent

        def decide(self, method, raw, auth, ctype, entry):
            with open(a.token_file) as f:
                token = f.read().strip()
            if auth != f"Bearer {token}":
                self.status(401, "Unauthorized", "Unauthorized")
                return 401
            if left["throttle"] > 0:
                left["throttle"] -= 1
                self.status(429, "TooManyRequests", "Too many requests, please try again later.",
                            {"Retry-After": a.retry_after})
                return 429
            if left["huge"] > 0:
                left["huge"] -= 1
                entry["huge"] = True
                self.send_response(503)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(huge_bytes))
                self.end_headers()
                return 503
            if a.forbid:
                m = PATH_CREATE.match(self.path) or PATH_ONE.match(self.path)
                ns = m.group(1) if m else "?"
                self.status(403, "Forbidden",
                            f'events.events.k8s.io is forbidden: User "system:serviceaccount:{ns}:memhook" '
                            f'cannot {"create" if method == "POST" else "patch"} resource "events" in API '
                            f'group "events.k8s.io" in the namespace "{ns}"')
                return 403
            code, obj = events.answer(method, self.path, raw, ctype, entry)
            self.answer(code, obj)
            return code

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(f"{a.dir}/port.tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(f"{a.dir}/port.tmp", f"{a.dir}/port")
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
