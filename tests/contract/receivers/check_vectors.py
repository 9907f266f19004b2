#!/usr/bin/env python3
"""Checks vectors.json against the contract's rules, written out here as plainly as possible.

usage: check_vectors.py [VECTORS]   (default: vectors.json beside this file)

Not a library: a model of what every receiver library must do (README.md in this directory),
run by `make receiver-vectors` after generating, so that a vector whose expectation contradicts
the rules is caught here and not in four libraries. The hold is modelled, not waited: the
deliveries of a case arrive within it, and it passes once they all have. Prints `ok NAME` or
`not ok NAME: why` per case; exits 1 when one is not ok."""
import base64
import hashlib
import hmac
import json
import os
import sys

TOLERANCE_S = 300


def key_of(secret):
    if secret.startswith("whsec_"):
        return base64.b64decode(secret[len("whsec_"):], validate=True)
    return secret.encode()


def verify(secrets, headers, body, now):
    """None when the request is genuine, else the status to answer."""
    h = {k.lower(): v for k, v in headers.items()}
    msg_id, ts, sigs = h.get("webhook-id"), h.get("webhook-timestamp"), h.get("webhook-signature")
    if not msg_id or not ts or not sigs:
        return 401
    try:
        ts_s = int(ts)
    except ValueError:
        return 401
    if abs(now - ts_s) > TOLERANCE_S:
        return 401
    signed = ("%s.%s." % (msg_id, ts)).encode() + body.encode()
    for secret in secrets:
        want = base64.b64encode(hmac.new(key_of(secret), signed, hashlib.sha256).digest()).decode()
        for sig in sigs.split(" "):
            version, _, value = sig.partition(",")
            if version == "v1" and hmac.compare_digest(want, value):
                return None
    return 401


def word(ev):
    kind = ev["event"]
    if kind in ("entered", "remaining", "limit_changed", "oom_kill"):
        return "%s %d" % (kind, ev["level"])
    if kind == "left":
        return "left %d" % ev["previous_level"]
    return kind


class Receiver:
    def __init__(self, secrets):
        self.secrets = secrets
        self.seen_ids = set()
        self.last = {}   # instance -> last applied seq
        self.held = {}   # instance -> {seq: event}
        self.calls = []
        self.gaps = []

    def apply(self, ev):
        self.last[ev["instance"]] = ev["seq"]
        if "dropped_before" in ev:
            self.gaps.append({"instance": ev["instance"], "seq": ev["seq"],
                              "dropped_before": ev["dropped_before"]})
        self.calls.append(word(ev))

    def drain(self, inst):
        held = self.held.get(inst, {})
        while self.last[inst] + 1 in held:
            self.apply(held.pop(self.last[inst] + 1))

    def deliver(self, d):
        bad = verify(self.secrets, d["headers"], d["body"], d["now"])
        if bad:
            return "reject", bad
        try:
            ev = json.loads(d["body"])
        except ValueError:
            return "reject", 400
        if not isinstance(ev, dict) or not isinstance(ev.get("event"), str):
            return "reject", 400
        msg_id = {k.lower(): v for k, v in d["headers"].items()}["webhook-id"]
        if msg_id in self.seen_ids:
            return "duplicate", None
        self.seen_ids.add(msg_id)
        inst, seq = ev["instance"], ev["seq"]
        if inst not in self.last:
            self.apply(ev)            # the first of an instance starts its order
            self.drain(inst)
        elif seq <= self.last[inst] or seq in self.held.get(inst, {}):
            return "late", None
        elif seq == self.last[inst] + 1 or ev.get("dropped_before"):
            for s in sorted(x for x in self.held.get(inst, {}) if x < seq):
                self.apply(self.held[inst].pop(s))
            self.apply(ev)
            self.drain(inst)
        else:
            self.held.setdefault(inst, {})[seq] = ev
        return "accept", None

    def hold_passes(self):
        for inst, held in self.held.items():
            for s in sorted(held):
                self.apply(held.pop(s))


def check(case):
    r = Receiver(case["secrets"])
    for i, d in enumerate(case["deliveries"]):
        got, status = r.deliver(d)
        if got != d["expect"]:
            return "delivery %d: %s, expected %s" % (i, got, d["expect"])
        if got == "reject" and status != d.get("status"):
            return "delivery %d: status %s, expected %s" % (i, status, d.get("status"))
    r.hold_passes()
    if r.calls != case["calls"]:
        return "calls %s, expected %s" % (r.calls, case["calls"])
    if r.gaps != case["gaps"]:
        return "gaps %s, expected %s" % (r.gaps, case["gaps"])
    return None


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "vectors.json")
    doc = json.load(open(path))
    failed = 0
    for case in doc["cases"]:
        why = check(case)
        print("ok %s" % case["name"] if why is None else "not ok %s: %s" % (case["name"], why))
        failed += why is not None
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
