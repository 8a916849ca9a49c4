"""The flytekit side of bench/run.sh: flytekit's own authenticators
(flytekit/clients/auth/authenticator.py), configured with a StaticClientConfigStore so
no discovery request is made (flytekit's best case).

    python py_flytekit.py first-pkce ARGS_JSON
        case 1: PKCEAuthenticator, whose constructor loads the token flytekit's KeyringStore
        holds for the endpoint (written there by libflyteauth's mirror), then
        fetch_grpc_call_auth_metadata(): no browser, no request.
    python py_flytekit.py first-cc ARGS_JSON
        case 2: ClientCredentialsAuthenticator.refresh_credentials() (one token request),
        then fetch_grpc_call_auth_metadata(). The secret is read from $BENCH_CLIENT_SECRET.
    python py_flytekit.py percall ARGS_JSON SECONDS
        case 3: fetch_grpc_call_auth_metadata() with the token loaded from the keyring.
    python py_flytekit.py storm ARGS_JSON THREADS
        case 4: like bench/storm.c: "ready", a start time on stdin, then THREADS threads call
        refresh_credentials() at that instant. A thread that falls back to a full browser
        login (flytekit does when its in-memory credentials lost the refresh token) is
        stopped and counted instead of opening a browser.

ARGS_JSON: endpoint (host:port, as flytekit's KeyringStore keys it), token_endpoint,
authorization_endpoint, redirect_uri, client_id, scopes, header_key.
Prints "<key> <value length> <ms since BENCH_T0_NS> [fingerprint]" (first-*) or one JSON
line; never a token (BENCH_FP=1 adds a 64-bit FNV-1a fingerprint).
"""
import os
import sys
import time

from flytekit.clients.auth.authenticator import (ClientConfig, ClientCredentialsAuthenticator, PKCEAuthenticator,
                                                 StaticClientConfigStore)


def fnv1a(s):
    h = 1469598103934665603
    for b in s.encode():
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h


def config_store(a):
    return StaticClientConfigStore(ClientConfig(
        token_endpoint=a["token_endpoint"], authorization_endpoint=a["authorization_endpoint"],
        redirect_uri=a["redirect_uri"], client_id=a["client_id"],
        device_authorization_endpoint=a.get("device_authorization_endpoint"), scopes=a.get("scopes"),
        header_key=a.get("header_key") or "authorization"))


def pkce(a):
    return PKCEAuthenticator(a["endpoint"], config_store(a), scopes=a.get("scopes"))


def report(md):
    got = time.monotonic_ns()
    if md is None:
        sys.exit("flytekit: no credentials (nothing in the keyring for this endpoint?)")
    key, value = md
    t0 = os.environ.get("BENCH_T0_NS")
    ms = (got - int(t0)) / 1e6 if t0 else -1
    line = "%s %d %.3f" % (key, len(value), ms)
    if os.environ.get("BENCH_FP"):
        line += " " + fnv1a(value)
    print(line)


def first_pkce(a):
    report(pkce(a).fetch_grpc_call_auth_metadata())


def first_cc(a):
    auth = ClientCredentialsAuthenticator(a["endpoint"], a["client_id"], os.environ["BENCH_CLIENT_SECRET"],
                                          config_store(a), scopes=a.get("scopes"))
    auth.refresh_credentials()
    report(auth.fetch_grpc_call_auth_metadata())


def percall(a, seconds):
    import json
    auth = pkce(a)
    if auth.fetch_grpc_call_auth_metadata() is None:
        sys.exit("flytekit: no credentials in the keyring")
    m = auth.fetch_grpc_call_auth_metadata
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
    print(json.dumps({"impl": "flytekit", "ns_per_call": round(ns, 1)}))


class LoginAttempted(Exception):
    pass


def storm(a, threads):
    import json
    import threading
    from flytekit.clients.auth import auth_client

    def no_browser(self):
        raise LoginAttempted()

    # A fallback to a full PKCE login would open a browser and wait forever (flytekit
    # has no timeout): count it instead.
    auth_client.AuthorizationClient.get_creds_from_remote = no_browser
    auth = pkce(a)
    md = auth.fetch_grpc_call_auth_metadata()
    if md is None:
        sys.exit("flytekit: no credentials in the keyring")
    old = fnv1a(md[1])
    print("ready", flush=True)
    start_ns = int(sys.stdin.readline())
    results = []
    lock = threading.Lock()

    def work():
        delay = (start_ns - time.monotonic_ns()) / 1e9
        if delay > 0:
            time.sleep(delay)
        outcome = "ok"
        try:
            auth.refresh_credentials()
        except LoginAttempted:
            outcome = "login"
        except Exception as e:  # noqa: BLE001 - reported as a count
            outcome = type(e).__name__
        done_ms = (time.monotonic_ns() - start_ns) / 1e6
        got = auth.fetch_grpc_call_auth_metadata()
        with lock:
            results.append((outcome, fnv1a(got[1]) if got else None, done_ms))

    ts = [threading.Thread(target=work) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    outcomes = {}
    for o, _, _ in results:
        outcomes[o] = outcomes.get(o, 0) + 1
    print(json.dumps({"ok": outcomes.get("ok", 0) == threads, "threads": threads, "outcomes": outcomes,
                      "old": old, "fps": sorted({f for _, f, _ in results if f}),
                      "max_ms": round(max(r[2] for r in results), 3)}))


if __name__ == "__main__":
    import json as _json
    mode, args = sys.argv[1], _json.loads(sys.argv[2])
    if mode == "first-pkce":
        first_pkce(args)
    elif mode == "first-cc":
        first_cc(args)
    elif mode == "percall":
        percall(args, float(sys.argv[3]))
    elif mode == "storm":
        storm(args, int(sys.argv[3]))
    else:
        sys.exit("unknown mode %r" % mode)
