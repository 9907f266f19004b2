"""The receiver conformance runner: python3 -m memhook.conformance VECTORS.json

Runs every case of the vectors file (tests/contract/receivers/README.md) against a fresh Receiver
with an injected clock and the file's hold_ms; prints `ok NAME` or `not ok NAME: why` per case and
exits 0 only when all pass."""
import json
import logging
import sys

from .event import KINDS
from .receiver import Receiver

WAIT_S = 10   # handlers of a case must have run within this


class Clock:
    def __init__(self, t):
        self.t = float(t)

    def __call__(self):
        return self.t


def run_case(case, hold_ms):
    """The reasons the case fails (empty when it passes)."""
    deliveries = case["deliveries"]
    clock = Clock(deliveries[0]["now"] if deliveries else 0)
    rx = Receiver(case["secrets"], hold_ms=hold_ms, clock=clock)
    calls, gaps = [], []
    for kind in KINDS:
        rx.on(kind)(lambda ev: calls.append(ev.words()))
    rx.on_gap(lambda g: gaps.append({"instance": g.instance, "seq": g.seq,
                                     "dropped_before": g.dropped_before}))
    errors = []
    try:
        for i, d in enumerate(deliveries):
            clock.t = float(d["now"])
            rx.tick()
            res = rx.deliver(d["headers"], d["body"].encode())
            want = d["expect"]
            if want == "reject":
                status = d.get("status")
                if res.outcome != "reject" or (status and res.status != status):
                    errors.append(f"delivery {i}: want reject {status}, got {res.status} "
                                  f"{res.outcome} {res.reason}".rstrip())
            elif res.outcome != want or not 200 <= res.status < 300:
                errors.append(f"delivery {i}: want {want}, got {res.status} {res.outcome} "
                              f"{res.reason}".rstrip())
        clock.t += hold_ms / 1000 + 0.001
        rx.tick()
        if not rx.join(WAIT_S):
            errors.append(f"handlers still running after {WAIT_S} s")
        if calls != case["calls"]:
            errors.append(f"calls {calls} != {case['calls']}")
        if gaps != case.get("gaps", []):
            errors.append(f"gaps {gaps} != {case.get('gaps', [])}")
    finally:
        rx.close()
    return errors


def main(argv):
    if len(argv) != 2:
        print("usage: python3 -m memhook.conformance VECTORS.json", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.CRITICAL)   # the cases' rejections are expected
    with open(argv[1], encoding="utf-8") as f:
        vectors = json.load(f)
    if vectors.get("format") != 1:
        print(f"not ok format: {vectors.get('format')!r} is not format 1")
        return 1
    hold_ms = vectors.get("hold_ms", 1000)
    failed = 0
    for case in vectors["cases"]:
        try:
            errors = run_case(case, hold_ms)
        except Exception as e:   # a malformed case fails, the others still run
            errors = [f"{type(e).__name__}: {e}"]
        if errors:
            failed += 1
            print(f"not ok {case['name']}: {'; '.join(errors)}")
        else:
            print(f"ok {case['name']}")
    print(f"{len(vectors['cases']) - failed} of {len(vectors['cases'])} cases passed")
    return 1 if failed or not vectors["cases"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
