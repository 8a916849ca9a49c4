"""Constants and small helpers shared by the benchmark cases (bench.py) and the
reporting (report.py)."""
import hashlib
import os
import statistics
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = sys.executable  # the venv's interpreter path (a symlink to the real binary, not a shim)
# flyte-sdk (Flyte 2) lives in a venv of its own (bindings/python/requirements-flyte2.txt).
PY_FLYTE2 = os.environ.get("FLYTE2_PYTHON", "/opt/flyteauth-venv-flyte2/bin/python")

MODES = {
    # startup: case 1 repetitions; cc: case 2; percall: case 3 repetitions x seconds;
    # storm: case 4 repetitions per shape; expiry: case 5 seconds (window s);
    # footprint: case 6 repetitions.
    "full": dict(startup=20, cc=15, percall=5, percall_seconds=1.0, storm=5, expiry=150, window=10, footprint=7),
    "quick": dict(startup=5, cc=5, percall=3, percall_seconds=0.5, storm=2, expiry=20, window=5, footprint=3),
    "smoke": dict(startup=1, cc=1, percall=1, percall_seconds=0.1, storm=1, expiry=8, window=4, footprint=1),
}
STORM_SHAPES = [(1, 8), (4, 8)]
IDP_DELAY_S = 0.1  # case 5, second half: every token request takes this much longer
MB = 1000 * 1000   # targets in decimal megabytes (stricter than MiB)


class BenchError(Exception):
    pass


# ---------------------------------------------------------------------------
# statistics
# ---------------------------------------------------------------------------

def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def quantile(xs, q):
    xs = sorted(xs)
    if not xs:
        return None
    pos = q * (len(xs) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def summary(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None
    return {"n": len(xs), "median": statistics.median(xs), "p25": quantile(xs, 0.25), "p75": quantile(xs, 0.75),
            "min": min(xs), "max": max(xs)}


def fmt_num(v, digits=3):
    if v is None:
        return "n/a"
    if float(v).is_integer() and abs(v) < 1000:
        return "%d" % v
    if abs(v) >= 1000:
        return "{:,.0f}".format(v)
    if abs(v) >= 100:
        return "%.0f" % v
    if abs(v) >= 10:
        return "%.1f" % v
    return ("%." + str(digits - 1) + "f") % v if abs(v) >= 1 else "%.3g" % v


def fmt_stat(s, unit=""):
    if not s:
        return "n/a"
    if s["n"] == 1:
        return "%s%s (1 run)" % (fmt_num(s["median"]), unit)
    return "%s%s [%s-%s] (%s-%s, n=%d)" % (fmt_num(s["median"]), unit, fmt_num(s["p25"]), fmt_num(s["p75"]),
                                          fmt_num(s["min"]), fmt_num(s["max"]), s["n"])


# ---------------------------------------------------------------------------
# the run
# ---------------------------------------------------------------------------

