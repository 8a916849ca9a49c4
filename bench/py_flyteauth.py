"""The Python side of bench/run.sh through the binding (bindings/python, `import flyteauth`).

    python py_flyteauth.py first SETTINGS_JSON
        process start to first header (cases 1, 2): "<key> <value length> <ms since BENCH_T0_NS> [fingerprint]"
    python py_flyteauth.py percall SETTINGS_JSON SECONDS
        per-call cost of Client.metadata() with a warm cache (case 3): one JSON line

Written as a user would: import, build a client, ask for the metadata (`first` reads its
settings without importing `json`, which a user program would not need). The token is
never printed: BENCH_FP=1 adds a 64-bit FNV-1a fingerprint of the header value.
"""
import os
import sys
import time

import flyteauth


def fnv1a(s):
    h = 1469598103934665603
    for b in s.encode():
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h


def literal(settings):
    """The settings JSON object as a dict without importing `json` (with `re`, a
    millisecond and more of start-up that a user program, holding its settings as a dict
    literal or in its configuration, does not pay): the benchmark writes a JSON object of
    strings, numbers, booleans and lists, which is also a Python literal once true,
    false and null are named."""
    return eval(settings, {"__builtins__": {}, "true": True, "false": False, "null": None})


def first(settings):
    client = flyteauth.Client(literal(settings))
    key, value = client.metadata()[0]
    got = time.monotonic_ns()
    t0 = os.environ.get("BENCH_T0_NS")
    ms = (got - int(t0)) / 1e6 if t0 else -1
    line = "%s %d %.3f" % (key, len(value), ms)
    if os.environ.get("BENCH_FP"):
        line += " " + fnv1a(value)
    print(line)
    client.close()


def percall(settings, seconds):
    import json
    client = flyteauth.Client(json.loads(settings))
    m = client.metadata
    for _ in range(10000):
        m()
    perf = time.perf_counter
    calls = 0
    start = perf()
    deadline = start + seconds
    while True:
        for _ in range(1000):
            m()
        calls += 1000
        if perf() >= deadline:
            break
    ns = (perf() - start) * 1e9 / calls
    # The bare loop, for reference (included in the figure above, as in flytekit's).
    start = perf()
    for _ in range(calls // 10):
        pass
    loop_ns = (perf() - start) * 1e9 / (calls // 10)
    print(json.dumps({"impl": "binding", "ns_per_call": round(ns, 1), "loop_ns": round(loop_ns, 1)}))
    client.close()


if __name__ == "__main__":
    if sys.argv[1] == "first":
        first(sys.argv[2])
    elif sys.argv[1] == "percall":
        percall(sys.argv[2], float(sys.argv[3]))
    else:
        sys.exit("unknown mode %r" % sys.argv[1])
