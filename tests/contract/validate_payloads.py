#!/usr/bin/env python3
"""Validates every webhook body a listener received (one JSON line per request, as
tests/bats/lib/listener.py writes them) against policies/payload.schema.json.

Usage: validate_payloads.py REQUESTS.jsonl EVENT...
Fails when a body is invalid or when one of the named events never arrived; prints a count per event.
"""
import collections
import json
import os
import sys

import jsonschema
from jsonschema import validators

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from policy_contract import ROOT, ecma_pattern  # noqa: E402


def main():
    reqs, wanted = sys.argv[1], sys.argv[2:]
    with open(os.path.join(ROOT, "policies/payload.schema.json")) as f:
        schema = json.load(f)
    cls = validators.extend(jsonschema.Draft202012Validator, {"pattern": ecma_pattern})
    cls.check_schema(schema)
    v = cls(schema)
    seen, bad = collections.Counter(), 0
    with open(reqs) as f:
        for line in f:
            body = json.loads(json.loads(line)["body"])
            seen[body.get("event")] += 1
            for err in v.iter_errors(body):
                bad += 1
                print("invalid %s body: %s: %s" % (body.get("event"), "/".join(map(str, err.absolute_path)),
                                                   err.message))
                print("  body: %s" % json.dumps(body)[:600])
    missing = [e for e in wanted if not seen[e]]
    print("payload contract: %d bodies (%s), %d invalid%s" % (
        sum(seen.values()), ", ".join("%s %d" % kv for kv in sorted(seen.items())), bad,
        ("; never received: " + " ".join(missing)) if missing else ""))
    return 1 if bad or missing else 0


if __name__ == "__main__":
    sys.exit(main())
