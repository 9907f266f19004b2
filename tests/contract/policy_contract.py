#!/usr/bin/env python3
"""The policy contract, checked: every shipped policy and a generated set of valid and invalid ones
go to both policies/policy.schema.json (python3-jsonschema) and `memhook check --policy FILE`; the
test fails when the two disagree, printing the policy and both verdicts.

Two documented lists let a disagreement pass, and only in the expected direction:
  PARSER_ONLY  checks JSON Schema cannot express (the schema accepts, the parser rejects);
  PARSER_BUGS  cases where the parser is wrong and its fix is pending (see tests/contract/README.md).
A case on either list that no longer disagrees fails too, so the lists stay true.

Usage: MEMHOOK=build/memhook python3 tests/contract/policy_contract.py [-v]
"""
import copy
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

import jsonschema
from jsonschema import validators
from jsonschema.exceptions import ValidationError

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
VERBOSE = "-v" in sys.argv[1:]

# Checks only the parser makes, with the reason each cannot be in the schema.
PARSER_ONLY = {
    "duplicate-key": "JSON Schema validates the parsed value, in which a repeated key is already gone",
    "unique-level-name": "uniqueItems compares whole items, not one property of them",
    "handler-level-range": "the upper bound is the length of another array (levels)",
    "header-name-case": "propertyNames cannot compare names with each other (X-A vs x-a)",
    "value-overflow": "a size or duration string whose value overflows 64 bits: a regex sees digits, not values",
    "condition-depth": "conditions nest at most 16 deep: a recursive $ref has no depth (only 16 copies of the "
                       "condition schema could say it)",
    "probe-count": "at most 16 custom conditions in the whole policy: a count across the tree, not in one array",
    "hold-bound": "a level's for and clear_for are at most 24h: a bound on a duration's value in any of five "
                  "units; a regex sees digits, not values",
    "trend-window-range": "a trend window is 1s..1h: a duration string's value is not a regex's business",
    "trend-count": "at most 8 trend conditions in the whole policy: a count across the tree, not in one array",
    "header-signature-clash": "a header named as the handler's signature_header (default X-Memhook-Signature): a "
                              "header name compared with another key's value",
    "pressure-min-interval-bound": "a pressure_watch's min_interval is at most 1h: a bound on a duration's "
                                   "value in any of five units; a regex sees digits, not values",
    "pressure-path-kind": "two pressure_watch handlers on one path must agree on socket or FIFO: a value "
                          "compared with another handler's",
    "min-interval-bound": "min_interval is at most check_interval (1s when absent): a bound between two keys' "
                          "duration values in any of five units",
}

# Cases where the parser is wrong (fix pending in lib/policy/policy.c): expected schema verdict, reason.
PARSER_BUGS = {}


def ecma_pattern(validator, patrn, instance, schema):
    """`pattern` as ECMA-262 means it: `$` is the end of the string. Python's re.search lets `$`
    match before a final newline, which would accept "10s\\n"."""
    if not validator.is_type(instance, "string"):
        return
    p = re.sub(r"(?<!\\)\$$", r"\\Z", patrn)
    if not re.search(p, instance):
        yield ValidationError("%r does not match %r" % (instance, patrn))


def make_validator():
    with open(os.path.join(ROOT, "policies/policy.schema.json")) as f:
        schema = json.load(f)
    cls = validators.extend(jsonschema.Draft202012Validator, {"pattern": ecma_pattern})
    cls.check_schema(schema)
    return cls(schema)


def schema_verdict(validator, text):
    def no_dups(pairs):
        return dict(pairs)  # last one wins, as in most JSON libraries
    doc = json.loads(text, object_pairs_hook=no_dups)
    err = jsonschema.exceptions.best_match(validator.iter_errors(doc))
    if err is None:
        return True, ""
    return False, "%s: %s" % ("/".join(str(p) for p in err.absolute_path) or "(root)", err.message)


def parser_verdict(memhook, path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMHOOK_")}
    r = subprocess.run([memhook, "check", "--policy", path], capture_output=True, text=True,
                       env=env, timeout=30)
    if r.returncode not in (0, 2):
        raise SystemExit("memhook check exited %d on %s:\n%s" % (r.returncode, path, r.stderr))
    return r.returncode == 0, (r.stderr.strip() or r.stdout.splitlines()[0])[:300]


# ---- the generated set ----

BASE = {"levels": [{"name": "a", "when": {"local_relative": 10}}]}
CASES = []  # (name, json text, tag or None)


def case(name, doc, tag=None):
    CASES.append((name, json.dumps(doc), tag))


def case_raw(name, text, tag=None):
    """A case given as JSON text: for what json.dumps cannot write (a repeated key)."""
    CASES.append((name, text, tag))


def with_root(**kw):
    d = copy.deepcopy(BASE)
    d.update(kw)
    return d


def with_cond(cond):
    return {"levels": [{"name": "a", "when": cond}]}


def with_handler(h, n_levels=2):
    return {"levels": [{"name": "l%d" % i, "when": {"local_relative": 10}} for i in range(n_levels)],
            "handlers": [h]}


NOT_VALUES = [None, True, [], {}, "x", 1]  # each kind of wrong type, filtered per key below

DURATIONS_OK = ["1s", "10ms", "500us", "1m", "1h", "007s", "18446744073709551615us"]
DURATIONS_ZERO = ["0s", "0ms", "000us"]
DURATIONS_BAD = ["10", "1.5s", "1d", "", " 1s", "1s ", "1s\n", "-1s", "1S", "1 s", "ms", 10, None, True, [], {}]
DURATIONS_OVERFLOW = ["99999999999999999999s", "18446744073709551616us", "5124095576030432h"]
SIZES_OK = [0, 1, 1048576, 9007199254740992, 1e3, "0", "64Mi", "1Gi", "1K", "2Ti", "18446744073709551615",
            "0064M"]
SIZES_BAD = [-1, 1.5, 9007199254740994, 1e300, "1.5Mi", "64MB", "64mi", "64 Mi", "", " 64Mi", "64Mi\n", "-1",
             "Mi", True, None, [], {}]
SIZES_OVERFLOW = ["18446744073709551616", "99999999999999999999Ti", "17179869184Gi"]
PERCENTS_OK = [0, 5, 12.5, 100, 1e-9]
PERCENTS_BAD = [-1, -0.001, 100.5, 1e300, "5", "5%", None, True, [], {}]


def gen_root():
    for v in DURATIONS_OK[1:] + ["10000us", "1s", "10ms"]:
        case("check_interval=%r" % v, with_root(check_interval=v))
    for v in DURATIONS_BAD + DURATIONS_ZERO + ["9ms", "9999us", "1us"]:
        case("check_interval=%r" % (v,), with_root(check_interval=v))
    for v in DURATIONS_OVERFLOW:
        case("check_interval=%r" % v, with_root(check_interval=v), "value-overflow")
    for v in ["1ms", "1000us", "10ms", "001ms", "1s"]:
        case("min_interval=%r" % v, with_root(min_interval=v))
    for v in DURATIONS_BAD + DURATIONS_ZERO + ["999us", "1us", "0ms"]:
        case("min_interval=%r" % (v,), with_root(min_interval=v))
    for v in DURATIONS_OVERFLOW:
        case("min_interval=%r" % v, with_root(min_interval=v), "value-overflow")
    for mi, ci in [("10ms", "10ms"), ("500ms", "2s"), ("1m", "1h")]:
        case("min_interval=%s check_interval=%s" % (mi, ci), with_root(min_interval=mi, check_interval=ci))
    for v in ["1Gi/s", "512Mi/s", "0/s", "1048576/s", "1Gi", "1Gi/m", "1.5Gi/s", "/s", 1, None, [], {}]:
        case("assume_growth=%r" % (v,), with_root(assume_growth=v))
    for mi, ci in [("2s", None), ("11ms", "10ms"), ("1001ms", "1s"), ("2h", "1h")]:
        doc = with_root(min_interval=mi) if ci is None else with_root(min_interval=mi, check_interval=ci)
        case("min_interval=%s check_interval=%s" % (mi, ci), doc, "min-interval-bound")
    for v in ["auto"] + [s for s in SIZES_OK if s not in (0, "0")]:
        case("maximum_available=%r" % (v,), with_root(maximum_available=v))
    for v in ["Auto", "AUTO", 0, "0", "0Ki"] + SIZES_BAD:
        case("maximum_available=%r" % (v,), with_root(maximum_available=v))
    for v in SIZES_OVERFLOW:
        case("maximum_available=%r" % v, with_root(maximum_available=v), "value-overflow")
    for v in [True, False]:
        case("log_transitions=%r" % v, with_root(log_transitions=v))
    for v in ["true", 1, 0, None, [], {}]:
        case("log_transitions=%r" % (v,), with_root(log_transitions=v))
    for v in [True, False]:
        case("tripwire=%r" % v, with_root(tripwire=v))
    for v in ["true", "off", 1, 0, None, [], {}]:
        case("tripwire=%r" % (v,), with_root(tripwire=v))
    for v in ["current", "working_set", "anon"]:
        case("usage=%r" % v, with_root(usage=v))
    for v in ["Current", "working set", "workingset", "rss", "", None, 1, True, [], {}]:
        case("usage=%r" % (v,), with_root(usage=v))
    case("unknown root key", with_root(check_intervall="1s"))
    case("unknown root key $schema", with_root(**{"$schema": "x"}))
    for v in [[], "x", 1, None, True]:
        case("root is %r" % (v,), v)
    case("missing levels", {"handlers": []})
    case("empty object", {})
    case("handlers=[]", with_root(handlers=[]))
    for v in [{}, "x", 1, None, True, [[]], ["x"], [{}]]:
        case("handlers=%r" % (v,), with_root(handlers=v))
    case_raw("duplicate root key", '{"levels": [{"name": "a", "when": {"local_relative": 10}}], '
         '"log_transitions": true, "log_transitions": false}', "duplicate-key")
    case_raw("duplicate key in a condition",
         '{"levels": [{"name": "a", "when": {"pressure": {"above": 5, "above": 6}}}]}', "duplicate-key")
    case_raw("duplicate key in a level",
         '{"levels": [{"name": "a", "name": "b", "when": {"local_relative": 10}}]}', "duplicate-key")


def gen_levels():
    lv = lambda i: {"name": "l%d" % i, "when": {"local_relative": 10}}
    for n in (1, 2, 31, 32):
        case("%d levels" % n, {"levels": [lv(i) for i in range(n)]})
    for n in (0, 33, 100):
        case("%d levels" % n, {"levels": [lv(i) for i in range(n)]})
    for v in NOT_VALUES:
        if not isinstance(v, list):
            case("levels=%r" % (v,), {"levels": v})
        case("level item %r" % (v,), {"levels": [v]} if v != {} else {"levels": [{}]})
    for name in ["a", "say \"hi\"", "ü", " ", "x" * 64, "ü" * 64, "a\tb"]:
        case("level name %r" % name, {"levels": [{"name": name, "when": {"local_relative": 10}}]})
    for name in ["", 1, None, True, [], {}, "\u0000", "x" * 65, "ü" * 65, "x" * 300]:
        case("level name %r" % (name,), {"levels": [{"name": name, "when": {"local_relative": 10}}]})
    case("level name with NUL inside", {"levels": [{"name": "a\u0000b", "when": {"local_relative": 10}}]},
         "nul-in-string")
    case("level without name", {"levels": [{"when": {"local_relative": 10}}]})
    case("level without when", {"levels": [{"name": "a"}]})
    case("level unknown key", {"levels": [{"name": "a", "when": {"local_relative": 10}, "then": 1}]})
    case("duplicate level names", {"levels": [lv(0), lv(0)]}, "unique-level-name")
    # hysteresis: for, clear_for (0..24h), clear_when (a condition)
    for k in ("for", "clear_for"):
        for v in DURATIONS_OK[:-1] + DURATIONS_ZERO + ["24h", "1440m", "86400s", "86400000000us"]:
            case("level %s=%r" % (k, v), {"levels": [dict(lv(0), **{k: v})]})
        for v in DURATIONS_BAD:
            case("level %s=%r" % (k, v), {"levels": [dict(lv(0), **{k: v})]})
        for v in ["25h", "1441m", "86400001ms", "86400000001us", "18446744073709551615us"]:
            case("level %s=%r" % (k, v), {"levels": [dict(lv(0), **{k: v})]}, "hold-bound")
        for v in DURATIONS_OVERFLOW:
            case("level %s=%r" % (k, v), {"levels": [dict(lv(0), **{k: v})]}, "value-overflow")
    for v in [{"not": {"local_relative": 20}}, {"local_relative": 50}, {"any": [{"events": "oom"}]}]:
        case("level clear_when=%r" % (v,), {"levels": [dict(lv(0), clear_when=v, clear_for="5s")]})
    for v in [{}, None, "x", [], {"local_relative": 101}, {"local_percent": 1}]:
        case("level clear_when=%r" % (v,), {"levels": [dict(lv(0), clear_when=v)]})


def gen_conditions():
    # every kind, good values
    for k in ("global_absolute", "local_absolute"):
        for v in SIZES_OK:
            case("%s=%r" % (k, v), with_cond({k: v}))
        for v in SIZES_BAD:
            case("%s=%r" % (k, v), with_cond({k: v}))
        for v in SIZES_OVERFLOW:
            case("%s=%r" % (k, v), with_cond({k: v}), "value-overflow")
    for k in ("global_relative", "local_relative"):
        for v in PERCENTS_OK + PERCENTS_BAD:
            case("%s=%r" % (k, v), with_cond({k: v}))
    # the object form of the local conditions: {"below": threshold, "usage": kind}
    for k, good, bad in (("local_absolute", SIZES_OK[:4], SIZES_BAD[:6]),
                         ("local_relative", PERCENTS_OK, PERCENTS_BAD[:6])):
        for v in good:
            case("%s below %r" % (k, v), with_cond({k: {"below": v}}))
            case("%s below %r working_set" % (k, v), with_cond({k: {"below": v, "usage": "working_set"}}))
        for v in bad:
            case("%s below %r" % (k, v), with_cond({k: {"below": v, "usage": "anon"}}))
        for u in ["current", "working_set", "anon"]:
            case("%s usage %r" % (k, u), with_cond({k: {"below": good[1], "usage": u}}))
        for u in ["Anon", "", "rss", None, 1, [], {}]:
            case("%s usage %r" % (k, u), with_cond({k: {"below": good[1], "usage": u}}))
        for v in [{}, {"usage": "anon"}, {"below": good[1], "over": 1}, {"above": good[1]}, []]:
            case("%s=%r" % (k, v), with_cond({k: v}))
        case("%s usage in any" % k, with_cond({"any": [{k: {"below": good[1], "usage": "anon"}},
                                                       {"global_relative": 5}]}))
    # global conditions measure the host: no usage, no object form
    for k, t in (("global_absolute", "64Mi"), ("global_relative", 10)):
        for v in [{"below": t, "usage": "working_set"}, {"below": t}, {"usage": "current"}]:
            case("%s=%r" % (k, v), with_cond({k: v}))
    custom_ok = [{"command": ["/bin/true"]}, {"command": ["/bin/true", "a", ""]},
                 {"command": ["/bin/true"], "timeout": "2s"}, {"command": ["/"]}]
    custom_bad = [{"command": []}, {"command": ["true"]}, {"command": [""]}, {"command": "/bin/true"},
                  {"command": ["/bin/true", 1]}, {"command": [1]}, {"command": None}, {"timeout": "1s"},
                  {"command": ["/bin/true"], "timeout": "0s"}, {"command": ["/bin/true"], "timeout": "1"},
                  {"command": ["/bin/true"], "args": []}, {}, "x", [], None]
    for v in custom_ok + custom_bad:
        case("custom=%r" % (v,), with_cond({"custom": v}))
    case("custom command with NUL", with_cond({"custom": {"command": ["/bin/true\u0000x"]}}), "nul-in-string")
    pressure_ok = [{"above": 5}, {"above": 0}, {"above": 100}, {"kind": "full", "window": "avg300", "above": 40},
                   {"kind": "some", "window": "avg60", "above": 1.5}]
    pressure_bad = [{}, {"above": 101}, {"above": -1}, {"above": "5"}, {"kind": "half", "above": 5},
                    {"window": "avg5", "above": 5}, {"kind": "Some", "above": 5}, {"kind": 1, "above": 5},
                    {"above": 5, "x": 1}, "some", [], None, 5]
    for v in pressure_ok + pressure_bad:
        case("pressure=%r" % (v,), with_cond({"pressure": v}))
    for e in ["low", "high", "max", "oom", "oom_kill", "oom_group_kill"]:
        case("events=%r" % e, with_cond({"events": e}))
        case("events counter %r" % e, with_cond({"events": {"counter": e}}))
    events_ok = [{"counter": "high", "increased_by": 3}, {"counter": "max", "increased_by": 9007199254740992},
                 {"counter": "oom", "increased_by": 1.0}]
    events_bad = ["oom_group_kill ", "High", "", 1, None, [], {}, {"counter": "x"}, {"increased_by": 1},
                  {"counter": "high", "increased_by": 0}, {"counter": "high", "increased_by": -1},
                  {"counter": "high", "increased_by": 1.5}, {"counter": "high", "increased_by": "1"},
                  {"counter": "high", "increased_by": 2 ** 60}, {"counter": "high", "by": 1}]
    for v in events_ok + events_bad:
        case("events=%r" % (v,), with_cond({"events": v}))
    # trend conditions
    ttl_ok = [{"below": "30s", "window": "20s"}, {"below": "1ms", "window": "1s", "usage": "working_set"},
              {"below": "1h", "window": "1h", "usage": "anon"}, {"below": "5m", "window": "60m", "usage": "current"}]
    ttl_bad = [{}, {"below": "30s"}, {"window": "20s"}, {"below": "0s", "window": "20s"},
               {"below": "30", "window": "20s"}, {"below": "30s", "window": "20s", "usage": "rss"},
               {"below": "30s", "window": "20s", "x": 1}, "30s", [], None, 5]
    for v in ttl_ok + ttl_bad:
        case("time_to_limit=%r" % (v,), with_cond({"time_to_limit": v}))
    growth_ok = [{"above": "10Mi/s", "window": "10s"}, {"above": "0/s", "window": "1s", "usage": "anon"},
                 {"above": "1024/s", "window": "1h"}]
    growth_bad = [{}, {"above": "10Mi", "window": "10s"}, {"above": "10Mi/m", "window": "10s"},
                  {"above": 10, "window": "10s"}, {"above": "1.5Mi/s", "window": "10s"}, {"above": "10Mi/s"},
                  {"above": "10Mi/s", "window": "10s", "usage": "x"}, "10Mi/s", None]
    for v in growth_ok + growth_bad:
        case("growth=%r" % (v,), with_cond({"growth": v}))
    for w in ["999ms", "61m", "2h"]:
        case("trend window %s" % w, with_cond({"growth": {"above": "1Mi/s", "window": w}}), "trend-window-range")
    case("9 trend conditions", with_cond({"any": [{"growth": {"above": "1Mi/s", "window": "10s"}}] * 9}),
         "trend-count")
    # combinators and nesting
    leaf = {"local_relative": 10}
    for k in ("all", "any"):
        for v in [[leaf], [leaf, {"events": "oom"}, {"not": leaf}], [{"all": [{"any": [leaf]}]}]]:
            case("%s=%r" % (k, v), with_cond({k: v}))
        for v in [[], leaf, "x", None, [leaf, {}], [leaf, {"local_relative": 101}], [[leaf]]]:
            case("%s=%r" % (k, v), with_cond({k: v}))
    for v in [leaf, {"not": leaf}, {"any": [leaf, {"not": {"events": "max"}}]}]:
        case("not=%r" % (v,), with_cond({"not": v}))
    for v in [[leaf], {}, "x", None, {"local_relative": -1}]:
        case("not=%r" % (v,), with_cond({"not": v}))
    for k in ("all", "any"):
        case("%s of 64" % k, with_cond({k: [{"local_relative": i} for i in range(64)]}))
        case("%s of 65" % k, with_cond({k: [{"local_relative": i} for i in range(65)]}))
    def nest(depth):  # a condition `depth` deep ("when" is 1)
        deep = leaf
        for i in range(depth - 1):
            deep = [{"not": deep}, {"all": [deep]}, {"any": [leaf, deep]}][i % 3]
        return deep
    case("nesting 16 deep", with_cond(nest(16)))
    case("nesting 17 deep", with_cond(nest(17)), "condition-depth")
    case("nesting 61 deep", with_cond(nest(61)), "condition-depth")
    probe = {"custom": {"command": ["/bin/true"]}}
    case("16 custom conditions", {"levels": [{"name": "a", "when": {"any": [probe] * 10}},
                                             {"name": "b", "when": {"all": [probe] * 6}}]})
    case("17 custom conditions", {"levels": [{"name": "a", "when": {"any": [probe] * 10}},
                                             {"name": "b", "when": {"all": [probe] * 7}}]}, "probe-count")
    for n in (128, 129):
        case("custom command of %d" % n, with_cond({"custom": {"command": ["/bin/true"] + ["a"] * (n - 1)}}))
    for n in (4096, 4097):
        case("custom argument of %d characters" % n,
             with_cond({"custom": {"command": ["/bin/true", "é" * n]}}))
    # the shape of a condition
    case("condition with two keys", with_cond({"local_relative": 10, "global_relative": 10}))
    case("empty condition", with_cond({}))
    case("unknown condition", with_cond({"local_percent": 10}))
    for v in ["local_relative", 10, [], None, True]:
        case("condition %r" % (v,), with_cond(v))


SIGNAL_NAMES = ["SIGUSR1", "USR1", "usr1", "SigTerm", "sigkill", "HUP", "SIGSYS", "SIGPOLL", "STKFLT", "SIGPWR"]
SIGNAL_BAD = ["IOT", "SIGCLD", "SIGIO", "SIG", "FOO", "SIGFOO", "", "SIGRTMIN", "RTMIN+1", " USR1", "USR1 ", "10", "SIG10", 0, 65, -1,
              10.5, None, True, [], {}]


def gen_handlers():
    actions = {
        "webhook": {"url": "http://127.0.0.1:9/x"},
        "signal": "SIGUSR1",
        "reclaim": "64Mi",
        "exec": ["/bin/true"],
        "memory_high": "80%",
        "pressure_watch": "/tmp/memhook-contract.sock",
    }
    events = ["entered", "left", "remaining", "normal", "target_lost", "target_found", "oom_kill", "limit_changed"]
    for ev in events:
        for a, v in actions.items():
            case("on %s %s" % (ev, a), with_handler({"on": ev, a: v}))
        case("on %s level 1" % ev, with_handler({"on": ev, "level": 1, "signal": "TERM"}))
        case("on %s level 0" % ev, with_handler({"on": ev, "level": 0, "signal": "TERM"}))
        case("on %s every" % ev, with_handler({"on": ev, "every": "10s", "signal": "TERM"}))
    for v in ["entering", "", "Entered", 1, None, [], {}]:
        case("on=%r" % (v,), with_handler({"on": v, "signal": "TERM"}))
    case("handler without on", with_handler({"signal": "TERM"}))
    case("handler without action", with_handler({"on": "entered"}))
    case("handler with two actions", with_handler({"on": "entered", "signal": "TERM", "exec": ["/bin/true"]}))
    case("handler unknown key", with_handler({"on": "entered", "signal": "TERM", "when": 1}))
    for n in (256, 257):
        case("%d handlers" % n, dict(with_handler({}), handlers=[{"on": "entered", "signal": "TERM"}] * n))
    for lvl in [1, 2, 2.0]:
        case("entered level %r" % lvl, with_handler({"on": "entered", "level": lvl, "signal": "TERM"}))
    for lvl in [-1, 1.5, "1", None, True, []]:
        case("entered level %r" % (lvl,), with_handler({"on": "entered", "level": lvl, "signal": "TERM"}))
    for lvl in [3, 33, 9007199254740992, 1e300]:
        case("entered level %r of 2" % lvl, with_handler({"on": "entered", "level": lvl, "signal": "TERM"}),
             "handler-level-range")
    case("remaining level 3 of 2", with_handler({"on": "remaining", "level": 3, "signal": "TERM"}),
         "handler-level-range")
    for v in DURATIONS_OK + DURATIONS_ZERO + DURATIONS_BAD:
        case("remaining every=%r" % (v,), with_handler({"on": "remaining", "every": v, "signal": "TERM"}))
    for v in DURATIONS_OVERFLOW:
        case("remaining every=%r" % v, with_handler({"on": "remaining", "every": v, "signal": "TERM"}),
             "value-overflow")
    # signal, short and object form
    for s in SIGNAL_NAMES + SIGNAL_BAD + [1, 9, 31, 34, 64, 15.0]:
        case("signal=%r" % (s,), with_handler({"on": "entered", "signal": s}))
        case("signal object %r" % (s,), with_handler({"on": "entered", "signal": {"signal": s}}))
    for to in ["main", "cgroup", "all", "", 1, None]:
        case("signal to=%r" % (to,), with_handler({"on": "entered", "signal": {"signal": "TERM", "to": to}}))
    case("signal object without signal", with_handler({"on": "entered", "signal": {"to": "main"}}))
    case("signal object unknown key", with_handler({"on": "entered", "signal": {"signal": 9, "pid": 1}}))
    # reclaim, short and object form
    reclaim_ok = ["64Mi", "1", 1048576, "5%", "2.5%", "100%", "100.000000%", "0.000001%", "005%", "1e3" and "1000"]
    reclaim_bad = ["0%", "0.0%", "101%", "100.1%", "100.000001%", "5.%", ".5%", "5%%", "%", "5 %", "1.1234567%",
                   "-5%", "5%\n", "0", 0, "0Mi", -1, 1.5, "64MB", "", True, None, []]
    for v in reclaim_ok + reclaim_bad:
        case("reclaim=%r" % (v,), with_handler({"on": "remaining", "reclaim": v}))
        case("reclaim amount=%r" % (v,), with_handler({"on": "remaining", "reclaim": {"amount": v}}))
    case("reclaim overflow", with_handler({"on": "remaining", "reclaim": "18446744073709551616"}), "value-overflow")
    case("reclaim object empty", with_handler({"on": "remaining", "reclaim": {}}))
    case("reclaim object unknown key", with_handler({"on": "remaining", "reclaim": {"amount": "5%", "x": 1}}))
    # memory_high, short and object form: the same amounts as reclaim (a percent of the limit)
    for v in reclaim_ok + reclaim_bad + ["200Mi", "80%"]:
        case("memory_high=%r" % (v,), with_handler({"on": "entered", "memory_high": v}))
        case("memory_high amount=%r" % (v,), with_handler({"on": "entered", "memory_high": {"amount": v}}))
    case("memory_high overflow", with_handler({"on": "entered", "memory_high": "18446744073709551616"}),
         "value-overflow")
    case("memory_high object empty", with_handler({"on": "entered", "memory_high": {}}))
    case("memory_high object unknown key", with_handler({"on": "entered", "memory_high": {"amount": "5%", "x": 1}}))
    case("memory_high and reclaim", with_handler({"on": "entered", "memory_high": "5%", "reclaim": "5%"}))
    # pressure_watch, short and object form
    sock = "/tmp/memhook-contract.sock"
    for v in [sock, "/" + "a" * 106, {"path": sock}, {"path": sock, "fifo": True}, {"path": sock, "fifo": False},
              {"path": sock, "min_interval": "0s"}, {"path": sock, "min_interval": "1h"},
              {"path": sock, "min_interval": "3600000ms"}, {"path": sock, "fifo": True, "min_interval": "250ms"}]:
        case("pressure_watch=%r" % (v,), with_handler({"on": "entered", "pressure_watch": v}))
    for v in ["", "relative.sock", "/" + "a" * 107, "/a\u0000b", 1, None, True, [], {}, {"fifo": True},
              {"path": ""}, {"path": "x"}, {"path": sock, "fifo": 1}, {"path": sock, "fifo": "yes"},
              {"path": sock, "min_interval": "1"}, {"path": sock, "min_interval": 1}, {"path": sock, "x": 1}]:
        case("pressure_watch=%r" % (v,), with_handler({"on": "entered", "pressure_watch": v}))
    for v in ["61m", "2h", "3600001ms"]:
        case("pressure_watch min_interval=%r" % v,
             with_handler({"on": "entered", "pressure_watch": {"path": sock, "min_interval": v}}),
             "pressure-min-interval-bound")
    case("pressure_watch one path, socket and FIFO",
         dict(with_handler({}), handlers=[{"on": "entered", "pressure_watch": sock},
                                          {"on": "left", "pressure_watch": {"path": sock, "fifo": True}}]),
         "pressure-path-kind")
    case("pressure_watch one path twice", dict(with_handler({}), handlers=[
        {"on": "entered", "pressure_watch": sock}, {"on": "left", "pressure_watch": {"path": sock}}]))
    case("pressure_watch and signal", with_handler({"on": "entered", "pressure_watch": sock, "signal": "TERM"}))
    # exec, short and object form
    for v in [["/bin/true"], ["/bin/echo", "a", ""], {"command": ["/bin/true"]},
              {"command": ["/bin/true"], "timeout": "1s"}, {"command": ["/bin/true"], "detach": True},
              {"command": ["/bin/true"], "detach": False, "timeout": "2s"}]:
        case("exec=%r" % (v,), with_handler({"on": "entered", "exec": v}))
    for n in (128, 129):
        case("exec of %d" % n, with_handler({"on": "entered", "exec": ["/bin/true"] + ["a"] * (n - 1)}))
        case("exec command of %d" % n,
             with_handler({"on": "entered", "exec": {"command": ["/bin/true"] + ["a"] * (n - 1)}}))
    for v in [[], ["true"], [""], "/bin/true", ["/bin/true", None], {"command": ["/bin/true"], "timeout": "0s"},
              {"command": ["/bin/true"], "timeout": 1}, {"timeout": "1s"}, {"command": []},
              {"command": ["/bin/true"], "env": {}}, None, 1, {"command": ["/bin/true"], "detach": 1},
              {"command": ["/bin/true"], "detach": "true"}, {"command": ["/bin/true"], "detach": None},
              {"detach": True}]:
        case("exec=%r" % (v,), with_handler({"on": "entered", "exec": v}))
    # webhook
    w = lambda **kw: with_handler({"on": "entered", "webhook": dict({"url": "http://127.0.0.1:9/x"}, **kw)})
    for u in ["http://h", "https://h/x?y=1", "HTTPS://H", "hTtP://h:80", "http://h/ü", "http://[::1]:9/"]:
        case("url=%r" % u, with_handler({"on": "entered", "webhook": {"url": u}}))
    for u in ["ftp://h", "http://", "http:///x", "http://h x", "http://h\tx", "http://h\x7f", "http://h\n",
              "h", "//h", "", 1, None, " http://h"]:
        case("url=%r" % (u,), with_handler({"on": "entered", "webhook": {"url": u}}))
    case("url with NUL", with_handler({"on": "entered", "webhook": {"url": "http://h\u0000 x"}}), "nul-in-string")
    case("webhook without url", with_handler({"on": "entered", "webhook": {"timeout": "1s"}}))
    case("webhook not an object", with_handler({"on": "entered", "webhook": "http://h"}))
    case("webhook unknown key", w(method="PUT"))
    for v in DURATIONS_OK + DURATIONS_ZERO + DURATIONS_BAD:
        case("webhook timeout=%r" % (v,), w(timeout=v))
        case("webhook backoff=%r" % (v,), w(backoff=v))
    for v in [{"X-A": "b"}, {}, {"X-A": "", "b": "ü"}, {"!#$%&'*+-.^_`|~09az": "v"}]:
        case("headers=%r" % (v,), w(headers=v))
    for v in [{"X A": "b"}, {"": "b"}, {"X:A": "b"}, {"X-A": 1}, {"X-A": None}, {"X-A": "a\nb"},
              {"X-A": "a\rb"}, {"X-A": "a\x7f"}, {"X-Ä": "b"}, [], "X-A: b", None]:
        case("headers=%r" % (v,), w(headers=v))
    case("headers same name in two cases", w(headers={"X-A": "1", "x-a": "2"}), "header-name-case")
    # headers libcurl or memhook writes, in any case, among headers and as signature_header
    for n in ["Content-Length", "content-length", "Transfer-Encoding", "HOST", "Connection", "Expect",
              "Keep-Alive", "Proxy-Connection", "te", "Trailer", "Upgrade", "Content-Type", "webhook-id",
              "Webhook-Timestamp", "WEBHOOK-SIGNATURE"]:
        case("reserved header %s" % n, w(headers={n: "0"}))
        case("reserved signature_header %s" % n, w(signature_header=n))
    for n in ["Content-Lengths", "X-Content-Length", "Hosts", "TEE", "webhook-ids", "User-Agent", "Authorization"]:
        case("free header %s" % n, w(headers={n: "1"}))
    case("header named as the default signature_header", w(headers={"x-memhook-signature": "1"}),
         "header-signature-clash")
    case("header named as signature_header", w(headers={"X-Sig": "1"}, signature_header="x-sig"),
         "header-signature-clash")
    for n in (64, 65, 1000):
        case("%d headers" % n, w(headers={"X-%d" % i: "" for i in range(n)}))
    for n in (256, 257):
        case("header name of %d" % n, w(headers={"N" * n: "v"}))
        case("signature_header of %d" % n, w(signature_header="N" * n))
    for n in (4096, 4097):
        case("header value of %d" % n, w(headers={"X": "v" * n}))
        case("header value of %d ü" % n, w(headers={"X": "ü" * n}))
        case("secret_file of %d" % n, w(secret_file="/" + "s" * (n - 1)))
        case("secret_env of %d" % n, w(secret_env="S" * n))
    for n in (2048, 2049):
        case("url of %d" % n, with_handler({"on": "entered", "webhook": {"url": "http://h/" + "p" * (n - 9)}}))
    for v in [0, 3, 10, 10.0]:
        case("retries=%r" % v, w(retries=v))
    for v in [11, -1, 1.5, "3", None, True]:
        case("retries=%r" % (v,), w(retries=v))
    for v in ["/etc/secret", "/"]:
        case("secret_file=%r" % v, w(secret_file=v))
    for v in ["etc/secret", "", 1, None]:
        case("secret_file=%r" % (v,), w(secret_file=v))
    case("secret_file with NUL", w(secret_file="/a\u0000b"), "nul-in-string")
    for v in ["S", "_S_1", "abc"]:
        case("secret_env=%r" % v, w(secret_env=v))
    for v in ["1S", "A-B", "", "A B", 1, None]:
        case("secret_env=%r" % (v,), w(secret_env=v))
    case("secret_file and secret_env", w(secret_file="/s", secret_env="S"))
    for v in ["X-Sig", "x", "!#$%&'*+-.^_`|~"]:
        case("signature_header=%r" % v, w(signature_header=v))
    for v in ["X Sig", "", "X:S", "Ä", 1, None]:
        case("signature_header=%r" % (v,), w(signature_header=v))
    for v in [["standard"], ["memhook"], ["standard", "memhook"], ["memhook", "standard"]]:
        case("signature=%r" % (v,), w(signature=v))
    for v in [[], ["standard", "standard"], ["Standard"], ["hmac"], [""], "standard", [1], [None], None,
              ["standard", "memhook", "standard"]]:
        case("signature=%r" % (v,), w(signature=v))
    for v in DURATIONS_OK + DURATIONS_ZERO + DURATIONS_BAD:
        case("webhook max_age=%r" % (v,), w(max_age=v))
    for v in [True, False]:
        case("tls_verify=%r" % v, w(tls_verify=v))
    for v in ["no", 0, None]:
        case("tls_verify=%r" % (v,), w(tls_verify=v))


def shipped():
    files = [os.path.join(ROOT, "policies/default.json")] + sorted(
        glob.glob(os.path.join(ROOT, "policies/examples/*.json")))
    return [(os.path.relpath(f, ROOT), open(f).read()) for f in files]


def main():
    memhook = os.environ.get("MEMHOOK") or os.path.join(ROOT, "build/memhook")
    validator = make_validator()
    gen_root()
    gen_levels()
    gen_conditions()
    gen_handlers()

    failures, counts = [], {"valid": 0, "invalid": 0, "parser-only": 0, "parser-bug": 0}
    with tempfile.TemporaryDirectory(prefix="memhook-contract.") as tmp:
        path = os.path.join(tmp, "policy.json")
        for name, text in shipped():
            s_ok, s_msg = schema_verdict(validator, text)
            p_ok, p_msg = parser_verdict(memhook, os.path.join(ROOT, name))
            if not (s_ok and p_ok):
                failures.append((name, text, s_ok, s_msg, p_ok, p_msg, "a shipped policy must be valid"))
            counts["valid"] += 1
        seen = set()
        for name, text, tag in CASES:
            if text in seen:
                continue
            seen.add(text)
            with open(path, "w") as f:
                f.write(text)
            s_ok, s_msg = schema_verdict(validator, text)
            p_ok, p_msg = parser_verdict(memhook, path)
            if VERBOSE:
                print("%-5s %-5s %s" % (s_ok, p_ok, name))
            why = None
            if tag in PARSER_ONLY:
                if s_ok and not p_ok:
                    counts["parser-only"] += 1
                    continue
                why = "listed as parser-only (%s), expected schema valid and parser invalid" % tag
            elif tag in PARSER_BUGS:
                if not s_ok and p_ok:
                    counts["parser-bug"] += 1
                    continue
                why = ("listed as a parser bug (%s): the two agree now; remove it from PARSER_BUGS"
                       if s_ok == p_ok else "listed as a parser bug (%s), but disagrees the other way") % tag
            elif s_ok != p_ok:
                why = "schema and parser disagree"
            else:
                counts["valid" if s_ok else "invalid"] += 1
                continue
            failures.append((name, text, s_ok, s_msg, p_ok, p_msg, why))

    for name, text, s_ok, s_msg, p_ok, p_msg, why in failures:
        print("FAIL %s: %s" % (name, why))
        print("  policy: %s" % text[:400])
        print("  schema: %s%s" % ("valid" if s_ok else "invalid", (" (" + s_msg + ")") if s_msg else ""))
        print("  parser: %s (%s)" % ("valid" if p_ok else "invalid", p_msg))
    total = sum(counts.values())
    print("policy contract: %d policies (%d valid and %d invalid for both, %d parser-only checks, "
          "%d known parser bugs), %d disagreements" % (total + len([f for f in failures]), counts["valid"],
                                                        counts["invalid"], counts["parser-only"],
                                                        counts["parser-bug"], len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
