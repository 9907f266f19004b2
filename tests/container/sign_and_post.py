#!/usr/bin/env python3
"""Posts one webhook to a receiver, signed exactly as Standard Webhooks v1 says, and prints the
HTTP status. The tests of the example receivers use it to send what memhook will send (and what a
replayer, a tamperer or a reordering proxy would), independently of the memhook binary.

  sign_and_post.py --port PORT --body JSON [--secret S]... [--id ID] [--timestamp T | --age SEC]
                   [--signed-body TEXT] [--signature HEADER] [--legacy SECRET] [--no-standard]
                   [--expect CODE]
  sign_and_post.py --port PORT --replay RECORDING --index N [--body JSON] [--expect CODE]

- Every --secret adds one "v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>" to
  webhook-signature, space-separated in the order given (key rotation). A secret "whsec_<base64>"
  has the decoded bytes as its key; "raw:TEXT" the UTF-8 bytes of TEXT (whatever it starts with);
  any other secret its UTF-8 bytes.
- --id defaults to a fresh "msg_<random>"; --timestamp to now (Unix seconds); --age subtracts
  seconds from now (negative: the future).
- --signed-body signs other bytes than the ones sent (a body changed in transit);
  --signature sends this header value instead of the computed one.
- --legacy SECRET adds X-Memhook-Signature: sha256=<hex HMAC(key, body)>; --no-standard leaves out
  the three webhook-* headers.
- --replay: resends request N (from 0) of a recording made by tests/bats/lib/listener.py (one JSON
  line per request) with its webhook-*, X-Memhook-Signature headers and body verbatim: what a
  replaying or reordering man in the middle sends. --body replaces the body (tampering).
- --expect CODE: exit 1 when the status differs (the status is printed either way).
"""
import argparse
import base64
import hashlib
import hmac
import json
import secrets
import sys
import time
import urllib.error
import urllib.request


def key_of(secret):
    """The HMAC key a secret stands for (the spec's whsec_ form, or the raw bytes)."""
    if secret.startswith("raw:"):
        return secret[len("raw:"):].encode()
    if secret.startswith("whsec_"):
        return base64.b64decode(secret[len("whsec_"):], validate=True)
    return secret.encode()


def standard_signature(secret, msg_id, timestamp, body):
    mac = hmac.new(key_of(secret), f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--path", default="/memhook")
    ap.add_argument("--body")
    ap.add_argument("--replay")
    ap.add_argument("--index", type=int, default=0)
    ap.add_argument("--secret", action="append", default=[])
    ap.add_argument("--id")
    ap.add_argument("--timestamp", type=int)
    ap.add_argument("--age", type=int, default=0)
    ap.add_argument("--signed-body")
    ap.add_argument("--signature")
    ap.add_argument("--legacy")
    ap.add_argument("--no-standard", action="store_true")
    ap.add_argument("--expect", type=int)
    a = ap.parse_args()
    if a.replay is None and a.body is None:
        ap.error("--body or --replay is required")

    url = f"http://127.0.0.1:{a.port}{a.path}"
    if a.replay is not None:
        with open(a.replay) as f:
            rec = json.loads(f.readlines()[a.index])
        body = (a.body if a.body is not None else rec["body"]).encode()
        req = urllib.request.Request(url, data=body, method="POST")
        req.add_header("Content-Type", "application/json")
        for name in ("webhook-id", "webhook-timestamp", "webhook-signature", "x-memhook-signature"):
            if name in rec["headers"]:
                req.add_header(name, rec["headers"][name])
        return send(req, a.expect)

    body = a.body.encode()
    signed = a.signed_body.encode() if a.signed_body is not None else body
    msg_id = a.id or "msg_" + secrets.token_hex(12)
    timestamp = a.timestamp if a.timestamp is not None else int(time.time()) - a.age
    req = urllib.request.Request(url, data=body, method="POST")
    req.add_header("Content-Type", "application/json")
    if not a.no_standard:
        sig = a.signature
        if sig is None:
            sig = " ".join(standard_signature(s, msg_id, timestamp, signed) for s in a.secret)
        req.add_header("webhook-id", msg_id)
        req.add_header("webhook-timestamp", str(timestamp))
        req.add_header("webhook-signature", sig)
    if a.legacy is not None:
        hexmac = hmac.new(key_of(a.legacy), signed, hashlib.sha256).hexdigest()
        req.add_header("X-Memhook-Signature", "sha256=" + hexmac)
    return send(req, a.expect)


def send(req, expect):
    """Prints the status of req; 1 when it is not expect (if given)."""
    try:
        status = urllib.request.urlopen(req, timeout=5).status
    except urllib.error.HTTPError as e:
        status = e.code
    print(status)
    return 1 if expect is not None and status != expect else 0


if __name__ == "__main__":
    sys.exit(main())
