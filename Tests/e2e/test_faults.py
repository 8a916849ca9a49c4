"""Fault injection: every kind of bad answer a Flyte endpoint or an IdP can give, against
every request a login or refresh makes (client credentials, device authorization, PKCE
code exchange, refresh, discovery), through a programmable front (harness/faultfront.py)
in front of the real glewlwyd and Flyte front.

Each case asserts the status, that the message names the URL and what was wrong, that
the call returned within its timeout plus a generous margin (a hang check, not a speed
target), and that the token cached before the fault is still there and served after it.
The table of results is written to build/tests/fault-table.md (printed by run-faults.sh).
"""
import ctypes
import os
import re
import threading
import time

import pytest

import cache_driver as cd
from harness import start_stack, user
from harness.faultfront import FaultFront
from harness.netutil import listen_port

HTTP_TIMEOUT = 2.0
# Hang bound: the configured timeout twice over (discovery tries two paths), the login's
# own steps, and a margin for a loaded 2-core machine.
HANG_BOUND = HTTP_TIMEOUT * 2 + 12
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
TABLE = os.path.join(ROOT, "build", "tests", "fault-table.md")
ROWS = []

# What each fault must make the message say (regex, case-insensitive).
WHAT = {
    "garbage": r"not valid JSON",
    "invalid_utf8": r"UTF-8",
    "huge_body": r"larger than \d+ bytes",
    "endless_fast": r"larger than \d+ bytes",
    "endless_slow": r"no answer within",
    "silence": r"no answer within",
    "endless_headers": r"headers (larger than|too large)",
    "endless_header_line": r"headers (larger than|too large)",
    "html_401": r"HTTP 401",
    "html_403": r"HTTP 403",
    "html_500": r"HTTP 500",
    "redirect_loopback": r"HTTP 302",
    "redirect_off_loopback": r"HTTP 307",
    "wrong_content_type": r"not valid JSON",
    "429_retry_after": r"HTTP 429 Too Many Requests.*(Retry-After|wait)",
    "503_retry_after": r"HTTP 503 Service Unavailable.*(Retry-After|wait)",
}
KINDS = list(WHAT) + ["429_then_ok"]
FLOWS = ["client_credentials", "device", "pkce_exchange", "refresh", "discovery"]
# Where each flow's fault goes in the front (match, grant_type).
TARGET = {
    "client_credentials": ("token", "client_credentials"),
    "device": ("device", None),
    "pkce_exchange": ("token", "authorization_code"),
    "refresh": ("token", "refresh_token"),
    "discovery": ("discovery", None),
}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    port = listen_port()
    stack = start_stack(access_token_duration=3600, redirect_ports=[port])
    ff = FaultFront({"/idp/": stack.idp.url, "/": stack.front.url}).start()
    tmp = tmp_path_factory.mktemp("faults")
    device_path = stack.state["device_authorization_endpoint"].split(stack.idp.url, 1)[1]
    common = {"endpoint": ff.url, "insecure": True, "keyring": False, "file_cache": True,
              "file_cache_path": str(tmp / "tokens.json"), "cache_dir": str(tmp / "cache"),
              "http_timeout_seconds": HTTP_TIMEOUT, "discovery_cache_ttl_seconds": 0,
              "token_url": ff.url + "/oauth2/token"}
    interactive = dict(common, auth_type="Pkce", redirect_uri="http://localhost:%d/callback" % port,
                       device_authorization_endpoint=ff.url + "/idp" + device_path, device_flow_timeout_seconds=30,
                       login_timeout_seconds=30)
    service = dict(common, auth_type="ClientSecret", client_id=stack.state["service_client_id"],
                   client_secret=stack.state["service_client_secret"], scopes=["all"])
    e = {"stack": stack, "ff": ff, "interactive": interactive, "service": service}
    # The tokens cached before any fault: one browser login, one service token.
    e["pkce_sha"] = login(interactive)[0]
    e["service_sha"] = header(service)[0]
    try:
        yield e
    finally:
        write_table()
        ff.stop()
        stack.stop()


@cd.BROWSER
def approve(_ud, url):
    # The person approves; the callback's answer is read in full by approve_pkce.
    threading.Thread(target=_approve, args=(url.decode(),), daemon=True).start()
    return 0


DEVICE_PROMPT = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int64)
cd.lib.flyteauth_client_set_device_prompt_callback.argtypes = [ctypes.c_void_p, DEVICE_PROMPT, ctypes.c_void_p]


@DEVICE_PROMPT
def approve_device(_ud, uri, _complete, code, _expires):
    threading.Thread(target=_approve_device, args=(code.decode(), uri.decode()), daemon=True).start()


def _approve_device(code, uri):
    try:
        user.approve_device(code, uri)
    except Exception:
        pass


def _approve(url):
    try:
        user.approve_pkce(url)
    except Exception:  # the fault may end the login first; the test asserts the login's result
        pass


def error():
    e = cd.lib.flyteauth_error_last().contents
    return e.status, (e.message or b"").decode(errors="replace"), e.http_status


def new(settings):
    c = ctypes.c_void_p()
    assert cd.lib.flyteauth_client_new(cd.json.dumps(settings).encode(), ctypes.byref(c)) == 0, error()
    cd.lib.flyteauth_client_set_browser_callback(c, approve, None)
    cd.lib.flyteauth_client_set_device_prompt_callback(c, approve_device, None)
    return c


def sha_of(md):
    value = md.contents.headers[0].value.decode()
    return cd.sha(value.split(" ", 1)[1])


def header(settings):
    c = new(settings)
    try:
        md = ctypes.POINTER(cd.Metadata)()
        st = cd.lib.flyteauth_client_metadata(c, ctypes.byref(md))
        if st != 0:
            return None, error()
        out = sha_of(md)
        cd.lib.flyteauth_metadata_free(md)
        return out, None
    finally:
        cd.lib.flyteauth_client_free(c)


def login(settings):
    c = new(settings)
    try:
        assert cd.lib.flyteauth_client_login(c) == 0, error()
        md = ctypes.POINTER(cd.Metadata)()
        assert cd.lib.flyteauth_client_metadata(c, ctypes.byref(md)) == 0, error()
        out = sha_of(md)
        cd.lib.flyteauth_metadata_free(md)
        return out, None
    finally:
        cd.lib.flyteauth_client_free(c)


def run_under_fault(e, flow):
    """The call that makes the faulted request; (status, message, http_status, seconds)."""
    if flow == "client_credentials":
        settings, op = e["service"], "login"
    elif flow == "device":
        settings, op = dict(e["interactive"], auth_type="DeviceFlow"), "login"
    elif flow == "pkce_exchange":
        settings, op = e["interactive"], "login"
    elif flow == "refresh":
        settings, op = dict(e["interactive"], interactive=False), "refresh"
    else:
        settings, op = e["interactive"], "metadata"
    c = new(settings)
    md = ctypes.POINTER(cd.Metadata)()
    try:
        if op == "refresh":
            # The cached token first (no request), then a forced refresh of it.
            assert cd.lib.flyteauth_client_metadata(c, ctypes.byref(md)) == 0, error()
            cd.lib.flyteauth_metadata_free(md)
        t0 = time.monotonic()
        if op == "login":
            st = cd.lib.flyteauth_client_login(c)
        elif op == "refresh":
            st = cd.lib.flyteauth_client_refresh(c, None, ctypes.byref(md))
            if st == 0:
                cd.lib.flyteauth_metadata_free(md)
        else:
            st = cd.lib.flyteauth_client_metadata(c, ctypes.byref(md))
            if st == 0:
                cd.lib.flyteauth_metadata_free(md)
        elapsed = time.monotonic() - t0
        status, message, http_status = error() if st != 0 else (0, "", 0)
        return status, message, http_status, elapsed
    finally:
        cd.lib.flyteauth_client_free(c)


def write_table():
    os.makedirs(os.path.dirname(TABLE), exist_ok=True)
    with open(TABLE, "w") as f:
        f.write("| case | status | message (trimmed) | time to fail | cached token kept |\n|---|---|---|---|---|\n")
        for r in ROWS:
            f.write("| %s | %s | %s | %.2f s | %s |\n" % r)


STATUS_NAMES = {0: "OK", 3: "NETWORK", 4: "TIMEOUT", 5: "PROTOCOL", 6: "OAUTH", 7: "LOGIN_REQUIRED"}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("flow", FLOWS)
def test_fault(env, flow, kind):
    ff = env["ff"]
    match, grant = TARGET[flow]
    ff.clear()
    ff.inject(kind, match=match, grant_type=grant)
    try:
        status, message, http_status, elapsed = run_under_fault(env, flow)
        faulted = ff.faulted()
        redirect_hits = ff.redirect_target_hits
    finally:
        ff.clear()
    # The token cached before the fault, served afterwards by a new client from the cache.
    cached_settings = env["service"] if flow == "client_credentials" else env["interactive"]
    expected = env["service_sha"] if flow == "client_credentials" else env["pkce_sha"]
    served, err = header(cached_settings)
    kept = served == expected
    trimmed = re.sub(r"\s+", " ", message)[:150].replace("|", "/")
    ROWS.append(("%s / %s" % (flow, kind), STATUS_NAMES.get(status, str(status)), trimmed or "(succeeded)",
                 elapsed, "yes" if kept else ("replaced (login succeeded)" if kind == "429_then_ok" and served else "NO")))

    assert faulted, "the fault was never hit: the test did not test anything"
    assert elapsed < HANG_BOUND, "%s took %.1f s (hang)" % (flow, elapsed)
    assert redirect_hits == 0, "a redirect was followed"
    if kind == "429_then_ok":
        assert status == 0, message
        assert elapsed >= 0.9, "Retry-After: 1 was not honoured (%.2f s)" % elapsed
        assert served, err
        # The login succeeded: its token is the cached one from now on.
        env["service_sha" if flow == "client_credentials" else "pkce_sha"] = served
        return
    assert status != 0, "%s / %s succeeded" % (flow, kind)
    assert "\x1b" not in message and "\n" not in message
    if flow == "refresh" and kind in ("html_401", "html_403"):
        # A non-OAuth refusal of the refresh token: a new login is needed, and this
        # client may not start one (interactive false); the message says what failed.
        assert status == 7, (status, message)
        assert ff.url in message and kind[-3:] in message, "the message does not name the refresh failure: %s" % message
    else:
        assert status in (3, 4, 5, 6), (status, message)
        assert ff.url in message, "the message does not name the URL: %s" % message
        assert re.search(WHAT[kind], message, re.I | re.S), "the message does not say what was wrong: %s" % message
    if kind in ("429_retry_after", "503_retry_after") and flow != "discovery":
        assert http_status in (429, 503), http_status
    assert kept, "the token cached before the fault was not served after it (%s)" % (err,)


def test_a_redirect_is_never_followed_off_loopback(env):
    """The client must not connect off loopback: the front answers 307 to TEST-NET-3; the
    call fails naming the redirect, fast (no connect attempt to 203.0.113.7)."""
    ff = env["ff"]
    ff.inject("redirect_off_loopback", match="token", grant_type="client_credentials")
    try:
        status, message, _, elapsed = run_under_fault(env, "client_credentials")
    finally:
        ff.clear()
    assert status == 5 and "HTTP 307" in message and "203.0.113.7" not in message, message
    assert elapsed < HTTP_TIMEOUT, "a connect was attempted (%.1f s)" % elapsed
