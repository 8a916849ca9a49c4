"""One process using libflyteauth through its C ABI (ctypes), for the token-cache tests.

Each call of this script is a fresh process, as a user's next command would be.
It prints one JSON line; tokens appear only as short SHA-256 prefixes.

    python3 cache_driver.py SETTINGS_JSON COMMAND [ARGS]
    commands: header | login | logout | status | status-after-header | refresh-sha SHA
              storm THREADS START_AT [expired|rejected]
              refresh-loop SECONDS
              calls-after-go SECONDS   (one header, prints "started", waits for a line on
                                        stdin, then for SECONDS alternates forced refreshes
                                        and plain header calls; reports failures and the
                                        slowest call)
"""
import ctypes
import hashlib
import json
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
LIB = os.environ.get("FLYTEAUTH_LIBRARY") or os.path.join(HERE, "..", "..", "build", "stage", "lib", "libflyteauth.so.0")


class Error(ctypes.Structure):
    # flyteauth.h: structs grow by the age rule; every member here is of age 0.
    _fields_ = [("age", ctypes.c_uint), ("status", ctypes.c_int), ("message", ctypes.c_char_p),
                ("oauth_error", ctypes.c_char_p), ("oauth_error_description", ctypes.c_char_p),
                ("http_status", ctypes.c_int)]


class Header(ctypes.Structure):
    _fields_ = [("key", ctypes.c_char_p), ("value", ctypes.c_char_p)]


class Metadata(ctypes.Structure):
    _fields_ = [("age", ctypes.c_uint), ("count", ctypes.c_size_t), ("headers", ctypes.POINTER(Header)),
                ("expires_at", ctypes.c_int64), ("reuse_until", ctypes.c_int64)]


lib = ctypes.CDLL(LIB)
lib.flyteauth_client_new.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
lib.flyteauth_client_free.argtypes = [ctypes.c_void_p]
lib.flyteauth_client_metadata.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.POINTER(Metadata))]
lib.flyteauth_client_refresh.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.POINTER(Metadata))]
lib.flyteauth_metadata_free.argtypes = [ctypes.POINTER(Metadata)]
lib.flyteauth_client_login.argtypes = [ctypes.c_void_p]
lib.flyteauth_client_logout.argtypes = [ctypes.c_void_p]
lib.flyteauth_client_status.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]
lib.flyteauth_string_free.argtypes = [ctypes.c_void_p]
lib.flyteauth_error_last.restype = ctypes.POINTER(Error)
BROWSER = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p)
lib.flyteauth_client_set_browser_callback.argtypes = [ctypes.c_void_p, BROWSER, ctypes.c_void_p]


def sha(token):
    return hashlib.sha256(token.encode()).hexdigest()[:12]


def fail(what):
    e = lib.flyteauth_error_last()
    msg = e.contents.message.decode() if e else "?"
    print(json.dumps({"ok": False, "what": what, "status": e.contents.status if e else -1, "message": msg}))
    sys.exit(1)


def new_client(settings):
    c = ctypes.c_void_p()
    if lib.flyteauth_client_new(json.dumps(settings).encode(), ctypes.byref(c)) != 0:
        fail("client_new")
    return c


BROWSER_CALLS = []


@BROWSER
def on_browser(_ud, url):
    # The scripted person; only `login` expects to be asked.
    BROWSER_CALLS.append(1)
    if os.environ.get("DRIVER_ALLOW_BROWSER") != "1":
        return 0
    subprocess.run([sys.executable, "-m", "harness", "approve-pkce", "--url", url.decode()], cwd=HERE,
                   stdout=subprocess.DEVNULL, check=False, timeout=60)
    return 0


def header(c, refresh_sha=None, rejected=None):
    md = ctypes.POINTER(Metadata)()
    if rejected is not None:
        # An empty `rejected` forces a refresh (NULL in C).
        st = lib.flyteauth_client_refresh(c, rejected.encode() if rejected else None, ctypes.byref(md))
    else:
        st = lib.flyteauth_client_metadata(c, ctypes.byref(md))
    if st != 0:
        return None, st
    h = md.contents.headers[0]
    value = h.value.decode()
    out = {"key": h.key.decode(), "token": value.split(" ", 1)[1], "expires_at": md.contents.expires_at}
    lib.flyteauth_metadata_free(md)
    return out, 0


def status(c):
    p = ctypes.c_void_p()
    lib.flyteauth_client_status(c, ctypes.byref(p))
    s = json.loads(ctypes.string_at(p).decode())
    lib.flyteauth_string_free(p)
    return s


def main():
    settings = json.loads(sys.argv[1])
    cmd = sys.argv[2]
    c = new_client(settings)
    lib.flyteauth_client_set_browser_callback(c, on_browser, None)
    if cmd == "header":
        h, st = header(c)
        if h is None:
            fail("metadata")
        print(json.dumps({"ok": True, "sha": sha(h["token"]), "key": h["key"], "expires_at": h["expires_at"],
                          "source": status(c)["token_source"], "browser_calls": len(BROWSER_CALLS)}))
    elif cmd == "login":
        if lib.flyteauth_client_login(c) != 0:
            fail("login")
        h, _ = header(c)
        print(json.dumps({"ok": True, "sha": sha(h["token"]), "expires_at": h["expires_at"]}))
    elif cmd == "logout":
        if lib.flyteauth_client_logout(c) != 0:
            fail("logout")
        print(json.dumps({"ok": True}))
    elif cmd == "status":
        print(json.dumps(status(c)))
    elif cmd == "status-after-header":
        h, st = header(c)
        print(json.dumps(dict(status(c), ok=h is not None, sha=sha(h["token"]) if h else None)))
    elif cmd == "storm":
        threads, start_at, mode = int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
        old = None
        if mode == "rejected":
            h, st = header(c)  # the token every thread will report as rejected
            if h is None:
                fail("metadata before storm")
            old = h["token"]
        results = []

        def work():
            time.sleep(max(0, start_at - time.time()))
            h, st = header(c, rejected=old) if old else header(c)
            results.append((sha(h["token"]) if h else None, st))

        ts = [threading.Thread(target=work) for _ in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        shas = sorted({r[0] for r in results if r[0]})
        print(json.dumps({"ok": all(r[1] == 0 for r in results), "shas": shas, "errors": [r[1] for r in results if r[1]],
                          "old": sha(old) if old else None, "browser_calls": len(BROWSER_CALLS)}))
    elif cmd == "refresh-loop":
        end = time.time() + float(sys.argv[3])
        n = 0
        print(json.dumps({"ok": True, "started": True}), flush=True)
        while time.time() < end:
            h, st = header(c, rejected="")  # empty rejected value: force a refresh
            n += 1
        print(json.dumps({"ok": True, "refreshes": n}))
    elif cmd == "calls-after-go":
        h, st = header(c)
        if h is None:
            fail("metadata before go")
        print(json.dumps({"ok": True, "started": True, "sha": sha(h["token"])}), flush=True)
        sys.stdin.readline()
        end = time.time() + float(sys.argv[3])
        calls, failures, slowest, shas = 0, [], 0.0, set()
        while time.time() < end:
            t0 = time.time()
            got, st = header(c, rejected="") if calls % 2 == 0 else header(c)
            slowest = max(slowest, time.time() - t0)
            calls += 1
            if got is None:
                e = lib.flyteauth_error_last()
                failures.append({"status": st, "message": e.contents.message.decode() if e else "?"})
            else:
                shas.add(sha(got["token"]))
        print(json.dumps({"ok": not failures, "calls": calls, "failures": failures[:3], "slowest": slowest,
                          "tokens": len(shas), "source": status(c)["token_source"]}))
    lib.flyteauth_client_free(c)


if __name__ == "__main__":
    main()
