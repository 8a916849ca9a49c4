"""Fallback for py_flyteauth.py when the Python binding cannot be imported: the same
modes and output, calling libflyteauth through ctypes directly (as
Tests/e2e/cache_driver.py does). bench/run.sh records which one it used.

    python py_ctypes.py first SETTINGS_JSON
    python py_ctypes.py percall SETTINGS_JSON SECONDS
"""
import ctypes
import os
import sys
import time

LIB = os.environ.get("FLYTEAUTH_LIBRARY", "libflyteauth.so.0")


class Error(ctypes.Structure):
    _fields_ = [("status", ctypes.c_int), ("message", ctypes.c_char_p), ("oauth_error", ctypes.c_char_p),
                ("oauth_error_description", ctypes.c_char_p), ("http_status", ctypes.c_int)]


class Header(ctypes.Structure):
    _fields_ = [("key", ctypes.c_char_p), ("value", ctypes.c_char_p)]


class Metadata(ctypes.Structure):
    _fields_ = [("count", ctypes.c_size_t), ("headers", ctypes.POINTER(Header)), ("expires_at", ctypes.c_int64)]


lib = ctypes.CDLL(LIB)
lib.flyteauth_client_new.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
lib.flyteauth_client_free.argtypes = [ctypes.c_void_p]
lib.flyteauth_client_metadata.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.POINTER(Metadata))]
lib.flyteauth_metadata_free.argtypes = [ctypes.POINTER(Metadata)]
lib.flyteauth_error_last.restype = ctypes.POINTER(Error)


def fnv1a(s):
    h = 1469598103934665603
    for b in s.encode():
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h


def new_client(settings):
    c = ctypes.c_void_p()
    if lib.flyteauth_client_new(settings.encode(), ctypes.byref(c)) != 0:
        sys.exit("client: " + lib.flyteauth_error_last().contents.message.decode())
    return c


def metadata(c):
    md = ctypes.POINTER(Metadata)()
    if lib.flyteauth_client_metadata(c, ctypes.byref(md)) != 0:
        raise RuntimeError(lib.flyteauth_error_last().contents.message.decode())
    out = tuple((md.contents.headers[i].key.decode(), md.contents.headers[i].value.decode())
                for i in range(md.contents.count))
    lib.flyteauth_metadata_free(md)
    return out


def first(settings):
    c = new_client(settings)
    key, value = metadata(c)[0]
    got = time.monotonic_ns()
    t0 = os.environ.get("BENCH_T0_NS")
    ms = (got - int(t0)) / 1e6 if t0 else -1
    line = "%s %d %.3f" % (key, len(value), ms)
    if os.environ.get("BENCH_FP"):
        line += " " + fnv1a(value)
    print(line)
    lib.flyteauth_client_free(c)


def percall(settings, seconds):
    import json
    c = new_client(settings)
    for _ in range(1000):
        metadata(c)
    perf = time.perf_counter
    calls = 0
    start = perf()
    while True:
        for _ in range(1000):
            metadata(c)
        calls += 1000
        if perf() >= start + seconds:
            break
    ns = (perf() - start) * 1e9 / calls
    print(json.dumps({"impl": "ctypes-fallback", "ns_per_call": round(ns, 1), "loop_ns": None}))
    lib.flyteauth_client_free(c)


if __name__ == "__main__":
    if sys.argv[1] == "first":
        first(sys.argv[2])
    elif sys.argv[1] == "percall":
        percall(sys.argv[2], float(sys.argv[3]))
    else:
        sys.exit("unknown mode %r" % sys.argv[1])
