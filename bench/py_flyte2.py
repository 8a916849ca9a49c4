"""The flyte-sdk (Flyte 2) side of bench/run.sh case 1: flyte-sdk's own PKCE
authenticator (flyte/remote/_client/auth/_authenticators/pkce.py), configured with a
StaticClientConfigStore so no discovery request is made (its best case), as
py_flytekit.py does for flytekit. Runs under flyte-sdk's venv (/opt/flyteauth-venv-flyte2).

    python py_flyte2.py first-pkce ARGS_JSON
        PKCEAuthenticator(...).get_auth_headers(): its constructor loads the token
        flyte-sdk's KeyringStore holds for the endpoint (its `tokens` item, written there
        by libflyteauth's mirror); no browser, no request.

ARGS_JSON: as py_flytekit.py (endpoint host:port, token_endpoint, authorization_endpoint,
redirect_uri, client_id, scopes, header_key). Prints "<key> <value length> <ms since
BENCH_T0_NS> [fingerprint]"; never a token (BENCH_FP=1 adds a 64-bit FNV-1a fingerprint).
"""
import asyncio
import json
import os
import sys
import time

from flyte.remote._client.auth._authenticators.pkce import PKCEAuthenticator
from flyte.remote._client.auth._client_config import ClientConfig, StaticClientConfigStore


def fnv1a(s):
    h = 1469598103934665603
    for b in s.encode():
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h


def first_pkce(a):
    cfg = ClientConfig(token_endpoint=a["token_endpoint"], authorization_endpoint=a["authorization_endpoint"],
                       redirect_uri=a["redirect_uri"], client_id=a["client_id"], scopes=a.get("scopes") or [],
                       header_key=a.get("header_key") or "authorization")
    auth = PKCEAuthenticator(endpoint="dns:///" + a["endpoint"], cfg_store=StaticClientConfigStore(cfg),
                             verify=False)
    h = asyncio.run(auth.get_auth_headers())
    got = time.monotonic_ns()
    if h is None or not h.headers:
        sys.exit("flyte-sdk: no credentials (nothing in the keyring for this endpoint?)")
    key, value = next(iter(h.headers.items()))
    t0 = os.environ.get("BENCH_T0_NS")
    ms = (got - int(t0)) / 1e6 if t0 else -1
    line = "%s %d %.3f" % (key, len(value), ms)
    if os.environ.get("BENCH_FP"):
        line += " " + fnv1a(value)
    print(line)


if __name__ == "__main__":
    if sys.argv[1] == "first-pkce":
        first_pkce(json.loads(sys.argv[2]))
    else:
        sys.exit("unknown mode %r" % sys.argv[1])
