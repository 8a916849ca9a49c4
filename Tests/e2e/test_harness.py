"""Proves the e2e harness works against the real glewlwyd.

Run: /opt/flyteauth-venv/bin/python -m pytest Tests/e2e/test_harness.py -q

Tokens and secrets must never reach the output: checks on them go through
require(), which raises with a fixed message (pytest's assertion rewriting would
print the compared values).
"""
import base64
import hashlib
import http.server
import json
import os
import secrets
import subprocess
import sys
import threading
import time
import urllib.parse

import pytest

from harness import FlyteFront, approve_device, approve_pkce, deny_pkce, run_in_keyring_session
from harness import netutil
from harness.front import TOKEN_PATH
from harness.procs import pid_alive
from harness.user import UserAgentError

# The plugin's `stack` and `front` fixtures (harness/pytest_plugin.py), tokens of 5 s.
STACK = {"access_token_duration": 5}

E2E_DIR = os.path.dirname(os.path.abspath(__file__))
FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


SENSITIVE = {"access_token", "refresh_token", "id_token", "device_code", "code", "client_secret"}


class Reply:
    """A decoded JSON reply whose repr (what pytest prints) hides token fields."""

    def __init__(self, data):
        self._d = data if isinstance(data, dict) else {"_value": data}

    def get(self, key, default=None):
        return self._d.get(key, default)

    def __getitem__(self, key):
        return self._d[key]

    def __contains__(self, key):
        return key in self._d

    def __iter__(self):
        return iter(self._d)

    def __eq__(self, other):
        return self._d == (other._d if isinstance(other, Reply) else other)

    def __repr__(self):
        return "Reply(%r)" % {k: ("<redacted>" if k in SENSITIVE else v) for k, v in self._d.items()}


def require(cond, what):
    __tracebackhide__ = True
    if not cond:
        raise AssertionError(what)


def post_form(url, form, headers=None, timeout=10):
    __tracebackhide__ = True
    h = dict(FORM, **(headers or {}))
    status, _, body = netutil.request(netutil.opener(), "POST", url, body=urllib.parse.urlencode(form),
                                      headers=h, timeout=timeout)
    try:
        return status, Reply(json.loads(body) if body else {})
    except ValueError:
        return status, Reply({"_raw_len": len(body)})


def get(url, headers=None):
    __tracebackhide__ = True
    status, _, body = netutil.request(netutil.opener(), "GET", url, headers=headers)
    return status, body


def post_json(url, obj, headers=None):
    __tracebackhide__ = True
    status, _, body = netutil.request(netutil.opener(), "POST", url, body=obj, headers=headers)
    return status, body


def jwt_parts(token):
    __tracebackhide__ = True
    def dec(seg):
        return json.loads(base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4)))
    parts = token.split(".")
    require(len(parts) == 3, "access token is not a JWS compact JWT")
    return dec(parts[0]), dec(parts[1])


def basic(client_id, secret):
    __tracebackhide__ = True
    raw = "%s:%s" % (urllib.parse.quote(client_id, safe=""), urllib.parse.quote(secret, safe=""))
    return "Basic " + base64.b64encode(raw.encode()).decode()


def keys_only(doc):
    return sorted(doc)  # for messages: field names, never values


# ---- client credentials through the front's proxy ------------------------------------

def test_client_credentials_through_front(stack, front):
    st = stack.state
    status, tok = post_form(front.token_endpoint, {"grant_type": "client_credentials", "scope": "all"},
                            {"Authorization": basic(st["service_client_id"], st["service_client_secret"]),
                             "proxy-authorization": "Bearer proxy-test-token"})
    assert status == 200, "client credentials: HTTP %d, fields %s" % (status, keys_only(tok))
    require("access_token" in tok and tok.get("token_type", "").lower() == "bearer", "no bearer token")
    header, claims = jwt_parts(tok["access_token"])
    assert header.get("alg") == "RS256"
    require(isinstance(claims.get("exp"), int) and claims["exp"] > time.time(), "exp missing or past")
    assert tok.get("expires_in") == 5

    assert front.token_requests("client_credentials") == 1
    assert front.token_requests() == 1
    assert front.header_values("proxy-authorization", TOKEN_PATH) == ["Bearer proxy-test-token"]
    # Counters over HTTP, for C and Go tests.
    status, body = get(st["counts_url"])
    assert status == 200
    counts = json.loads(body)
    assert counts["token"] == {"client_credentials": 1} and counts["token_total"] == 1
    # Records are safe to print: no secret, no token.
    dumped = json.dumps(front.records()) + get(stack.endpoint + "/_test/requests")[1].decode()
    require(st["service_client_secret"] not in dumped, "secret leaked into records")
    require(tok["access_token"] not in dumped, "token leaked into records")
    require("proxy-test-token" not in dumped, "proxy token leaked into records")
    rec = front.records(TOKEN_PATH)[0]
    assert rec["headers"]["proxy-authorization"].startswith("Bearer <redacted sha256:")
    assert rec["form"] == {"grant_type": "client_credentials", "scope": "all"}

    # client_secret_post works too; a wrong secret gives glewlwyd's 403 with an empty body.
    status, _ = post_form(front.token_endpoint, {"grant_type": "client_credentials", "scope": "all",
                                                 "client_id": st["service_client_id"],
                                                 "client_secret": st["service_client_secret"]})
    assert status == 200
    status, _ = post_form(front.token_endpoint, {"grant_type": "client_credentials", "scope": "all"},
                          {"Authorization": basic(st["service_client_id"], "wrong")})
    assert status == 403
    assert front.token_requests("client_credentials") == 3


def test_fault_injection_and_delay(stack, front):
    st = stack.state
    auth = {"Authorization": basic(st["service_client_id"], st["service_client_secret"])}
    form = {"grant_type": "client_credentials", "scope": "all"}
    front.fail_next(2, status=503)
    assert post_form(front.token_endpoint, form, auth) == (
        503, {"error": "temporarily_unavailable", "error_description": "injected by the test front"})
    assert post_form(front.token_endpoint, form, auth)[0] == 503
    assert post_form(front.token_endpoint, form, auth)[0] == 200
    assert front.token_requests("client_credentials") == 3
    assert [r["injected"] for r in front.records(TOKEN_PATH)] == [True, True, False]

    # Only a given grant type; and over HTTP.
    status, _ = post_json(stack.endpoint + "/_test/fail?n=1&status=500&grant_type=refresh_token", {})
    assert status == 200
    assert post_form(front.token_endpoint, form, auth)[0] == 200
    assert post_form(front.token_endpoint, {"grant_type": "refresh_token", "refresh_token": "x",
                                            "client_id": st["public_client_id"]})[0] == 500

    front.delay_next(1.0)
    t0 = time.monotonic()
    assert post_form(front.token_endpoint, form, auth)[0] == 200
    assert time.monotonic() - t0 >= 1.0
    t0 = time.monotonic()
    assert post_form(front.token_endpoint, form, auth)[0] == 200
    assert time.monotonic() - t0 < 1.0  # only the next one was delayed

    status, _ = post_json(stack.endpoint + "/_test/reset", {})
    assert status == 200
    assert json.loads(get(st["counts_url"])[1]) == {"token": {}, "token_total": 0, "paths": {}}


# ---- PKCE -----------------------------------------------------------------------

class Callback:
    """The test's own loopback listener on the redirect port (what the library will do)."""

    def __init__(self, port):
        self.hits = []
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                u = urllib.parse.urlsplit(self.path)
                outer.hits.append((u.path, {k: v[0] for k, v in urllib.parse.parse_qs(u.query).items()}))
                body = b"login complete, you may close this window"
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def pkce_pair():
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(64)).rstrip(b"=").decode()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def discovery(front):
    status, body = get(front.url + "/.well-known/oauth-authorization-server",
                       {"Accept": "application/json"})
    assert status == 200
    meta = json.loads(body)
    status, body = get(front.url + "/config/v1/flyte_client", {"Accept": "application/json"})
    assert status == 200
    return meta, json.loads(body)


def authorize_url(meta, client_id, redirect_uri, scopes, state, challenge):
    return meta["authorization_endpoint"] + "?" + urllib.parse.urlencode({
        "client_id": client_id, "response_type": "code", "scope": " ".join(scopes),
        "redirect_uri": redirect_uri, "state": state, "code_challenge": challenge,
        "code_challenge_method": "S256"})


def test_pkce_verifier_vector():
    digest = hashlib.sha256(b"test_code_verifier").digest()
    assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == "Qq1fGD0HhxwbmeMrqaebgn1qhvKeguQPXqLdpmixaM4"


def test_pkce_login(stack, front, redirect_port):
    meta, cfg = discovery(front)
    redirect_uri = "http://127.0.0.1:%d/callback" % redirect_port
    verifier, challenge = pkce_pair()
    state = base64.urlsafe_b64encode(secrets.token_bytes(40)).rstrip(b"=").decode()
    url = authorize_url(meta, cfg["client_id"], redirect_uri, cfg["scopes"], state, challenge)
    with Callback(redirect_port) as cb:
        status, body = approve_pkce(url)
    assert (status, body) == (200, "login complete, you may close this window")
    assert len(cb.hits) == 1
    path, q = cb.hits[0]
    assert path == "/callback" and sorted(q) == ["code", "state"]
    require(q["state"] == state, "state differs")

    form = {"grant_type": "authorization_code", "code": q["code"], "redirect_uri": redirect_uri,
            "client_id": cfg["client_id"]}
    # A wrong verifier is refused (glewlwyd: invalid_code) ...
    status, err = post_form(meta["token_endpoint"], dict(form, code_verifier=pkce_pair()[0]))
    # (glewlwyd answers 403 invalid_code, where RFC 6749 says 400 invalid_grant)
    assert status in (400, 403) and err.get("error") in ("invalid_code", "invalid_grant"), err
    # ... the right one then gets tokens (the code survives a failed exchange in glewlwyd),
    # including a refresh token (scope offline).
    status, tok = post_form(meta["token_endpoint"], dict(form, code_verifier=verifier))
    assert status == 200, "code exchange: HTTP %d, fields %s" % (status, keys_only(tok))
    require(tok.get("access_token") and tok.get("refresh_token"), "missing access or refresh token")
    assert tok.get("scope") == "all offline"
    _, claims = jwt_parts(tok["access_token"])
    assert "exp" in claims
    # The code is single-use (glewlwyd: 403 invalid_code).
    status, err = post_form(meta["token_endpoint"], dict(form, code_verifier=verifier))
    assert (status, err.get("error")) == (403, "invalid_code")

    # /me: 401 without a header, the IdP's userinfo with flyte-authorization.
    assert get(front.url + "/me")[0] == 401
    status, body = get(front.url + "/me", {"flyte-authorization": "Bearer " + tok["access_token"]})
    assert status == 200 and "sub" in json.loads(body)
    status, body = post_json(front.url + "/flyteidl2.auth.IdentityService/UserInfo", {},
                             {"authorization": "Bearer " + tok["access_token"]})
    assert status == 200 and "subject" in json.loads(body)

    # Refresh through the front is counted by grant type.
    status, tok2 = post_form(meta["token_endpoint"], {"grant_type": "refresh_token",
                                                      "refresh_token": tok["refresh_token"],
                                                      "client_id": cfg["client_id"]})
    assert status == 200, "refresh: HTTP %d" % status
    require(tok2.get("access_token") and tok2["access_token"] != tok["access_token"], "no new token")
    assert front.token_requests("refresh_token") == 1
    assert front.token_requests("authorization_code") >= 3


def test_pkce_required_for_public_client(stack, redirect_port):
    meta, cfg = discovery(stack.front)
    redirect_uri = "http://127.0.0.1:%d/callback" % redirect_port
    url = meta["authorization_endpoint"] + "?" + urllib.parse.urlencode({
        "client_id": cfg["client_id"], "response_type": "code", "scope": "all offline",
        "redirect_uri": redirect_uri, "state": "no-pkce"})
    with Callback(redirect_port) as cb:
        approve_pkce(url)
    assert cb.hits[0][1] == {"error": "invalid_request", "state": "no-pkce"}


def test_pkce_deny(stack, redirect_port):
    meta, cfg = discovery(stack.front)
    redirect_uri = "http://127.0.0.1:%d/callback" % redirect_port
    url = authorize_url(meta, cfg["client_id"], redirect_uri, cfg["scopes"], "deny-state", pkce_pair()[1])
    with Callback(redirect_port) as cb:
        status, _ = deny_pkce(url)
    assert status == 200
    assert cb.hits == [("/callback", {"error": "access_denied", "state": "deny-state",
                                      "error_description": "The user denied the request"})]


def login_tokens(stack, port):
    """A full PKCE login against `stack`; returns the token response (a Reply)."""
    __tracebackhide__ = True
    meta, cfg = discovery(stack.front)
    redirect_uri = "http://127.0.0.1:%d/callback" % port
    verifier, challenge = pkce_pair()
    url = authorize_url(meta, cfg["client_id"], redirect_uri, cfg["scopes"], "st", challenge)
    with Callback(port) as cb:
        approve_pkce(url)
    status, tok = post_form(meta["token_endpoint"], {
        "grant_type": "authorization_code", "code": cb.hits[0][1]["code"], "redirect_uri": redirect_uri,
        "client_id": cfg["client_id"], "code_verifier": verifier})
    assert status == 200
    return tok


def test_refresh_rotation_and_reuse():
    """refresh-token-one-use=always: each refresh returns a new refresh token; reusing an
    old one is refused with 400 and an EMPTY body, and revokes the newest one too."""
    from harness import start_stack
    port = netutil.listen_port()
    with start_stack(refresh_one_use=True, redirect_ports=[port]) as stack:
        tok = login_tokens(stack, port)
        cid = stack.state["public_client_id"]
        refresh = {"grant_type": "refresh_token", "client_id": cid}
        status, tok2 = post_form(stack.front.token_endpoint, dict(refresh, refresh_token=tok["refresh_token"]))
        assert status == 200
        require(tok2.get("refresh_token") and tok2["refresh_token"] != tok["refresh_token"], "not rotated")
        status, err = post_form(stack.front.token_endpoint, dict(refresh, refresh_token=tok["refresh_token"]))
        assert (status, err) == (400, {})
        status, _ = post_form(stack.front.token_endpoint, dict(refresh, refresh_token=tok2["refresh_token"]))
        assert status == 400
        assert stack.front.token_requests("refresh_token") == 3


def test_refresh_without_rotation(stack, redirect_port):
    """refresh-token-one-use=never (default): no new refresh token; the old one keeps working."""
    tok = login_tokens(stack, redirect_port)
    refresh = {"grant_type": "refresh_token", "client_id": stack.state["public_client_id"],
               "refresh_token": tok["refresh_token"]}
    for _ in range(2):
        status, tok2 = post_form(stack.front.token_endpoint, refresh)
        assert status == 200 and "refresh_token" not in tok2 and "access_token" in tok2


# ---- device flow ------------------------------------------------------------------

def test_device_flow(stack, front):
    meta, cfg = discovery(front)
    status, dev = post_form(meta["device_authorization_endpoint"],
                            {"client_id": cfg["client_id"], "scope": " ".join(cfg["scopes"])})
    assert status == 200
    assert {"device_code", "user_code", "verification_uri", "expires_in"} <= set(dev)
    assert dev.get("interval") == 1
    poll = {"grant_type": DEVICE_GRANT, "device_code": dev["device_code"], "client_id": cfg["client_id"]}
    # Not approved yet, then polled too fast.
    assert post_form(meta["token_endpoint"], poll) == (400, {"error": "authorization_pending"})
    assert post_form(meta["token_endpoint"], poll) == (400, {"error": "slow_down"})

    approved = {}

    def person():
        time.sleep(0.3)
        approved["location"] = approve_device(dev["user_code"], stack.idp.url)

    t = threading.Thread(target=person)
    t.start()
    # RFC 8628 says add 5 s after slow_down; glewlwyd only checks the configured interval,
    # so the test keeps polling every interval (+ margin) to stay fast.
    interval = dev["interval"]
    deadline = time.monotonic() + 20
    tok = None
    while time.monotonic() < deadline:
        time.sleep(interval + 0.2)
        status, tok = post_form(meta["token_endpoint"], poll)
        if status == 200:
            break
        assert tok.get("error") in ("authorization_pending", "slow_down"), tok.get("error")
    t.join(10)
    assert "prompt=deviceComplete" in approved.get("location", "")
    assert status == 200, "device flow did not finish"
    require(tok.get("access_token") and tok.get("refresh_token"), "device flow: missing tokens")
    assert front.token_requests(DEVICE_GRANT) >= 3
    # A used device code is refused.
    time.sleep(interval + 0.2)
    assert post_form(meta["token_endpoint"], poll) == (400, {"error": "access_denied"})
    # An unknown user code is reported.
    with pytest.raises(UserAgentError, match="deviceCodeError"):
        approve_device("BAD-CODE", meta["device_authorization_endpoint"])


# ---- the discovery documents ------------------------------------------------------------

def test_front_snake_and_camel(stack, front):
    url = front.url
    meta_snake = json.loads(get(url + "/.well-known/oauth-authorization-server",
                                {"Accept": "application/json"})[1])
    assert list(meta_snake) == ["issuer", "authorization_endpoint", "token_endpoint",
                                "response_types_supported", "scopes_supported",
                                "token_endpoint_auth_methods_supported", "jwks_uri",
                                "code_challenge_methods_supported", "grant_types_supported",
                                "device_authorization_endpoint"]
    assert meta_snake["token_endpoint"] == url + "/oauth2/token"
    assert meta_snake["issuer"] == stack.idp.issuer
    assert meta_snake["code_challenge_methods_supported"] == ["S256"]
    meta_camel = json.loads(get(url + "/.well-known/oauth-authorization-server", {"Accept": "*/*"})[1])
    assert meta_camel["tokenEndpoint"] == url + "/oauth2/token"
    assert "token_endpoint" not in meta_camel and "deviceAuthorizationEndpoint" in meta_camel

    cfg_snake = json.loads(get(url + "/config/v1/flyte_client", {"Accept": "application/json"})[1])
    assert cfg_snake == {"client_id": "flyteauth-public", "redirect_uri": "http://localhost:53593/callback",
                         "scopes": ["all", "offline"], "authorization_metadata_key": "flyte-authorization",
                         "service_http_endpoint": "", "audience": ""}
    cfg_camel = json.loads(get(url + "/config/v1/flyte_client")[1])
    assert cfg_camel == {"clientId": "flyteauth-public", "redirectUri": "http://localhost:53593/callback",
                         "scopes": ["all", "offline"], "authorizationMetadataKey": "flyte-authorization"}

    # Flyte 2 ConnectRPC: POST {} with Content-Type: application/json, always camelCase.
    status, body = post_json(url + "/flyteidl2.auth.AuthMetadataService/GetOAuth2Metadata", {},
                             {"Accept": "application/json"})
    assert status == 200 and json.loads(body) == meta_camel
    status, body = post_json(url + "/flyteidl2.auth.AuthMetadataService/GetPublicClientConfig", {})
    assert status == 200 and json.loads(body) == cfg_camel
    assert front.path_requests("/config/v1/flyte_client") == 2


def test_front_flags_and_overrides(stack):
    disc = stack.idp.discovery_url
    cid = stack.idp.public_client_id
    wk, v2 = "/.well-known/oauth-authorization-server", "/flyteidl2.auth.AuthMetadataService/GetOAuth2Metadata"
    with FlyteFront(disc, cid, flyte2=False) as only1:
        assert get(only1.url + wk)[0] == 200
        assert post_json(only1.url + v2, {})[0] == 404
    with FlyteFront(disc, cid, flyte1=False) as only2:
        assert get(only2.url + wk)[0] == 404
        assert get(only2.url + "/config/v1/flyte_client")[0] == 404
        assert post_json(only2.url + v2, {})[0] == 200
    with FlyteFront(disc, cid, metadata_overrides={"device_authorization_endpoint": ""},
                    client_config_overrides={"audience": "https://flyte.test"}) as f:
        snake = json.loads(get(f.url + wk, {"Accept": "application/json"})[1])
        assert snake["device_authorization_endpoint"] == ""
        camel = json.loads(get(f.url + wk)[1])
        assert "deviceAuthorizationEndpoint" not in camel
        cfg = json.loads(post_json(f.url + "/flyteidl2.auth.AuthMetadataService/GetPublicClientConfig", {})[1])
        assert cfg["audience"] == "https://flyte.test"
        # Runtime switches over HTTP.
        assert post_json(f.url + "/_test/config", {"flyte1": False, "client_config": {"scopes": ["all"]},
                                                   "metadata": {"device_authorization_endpoint": "x"}})[0] == 200
        assert get(f.url + wk)[0] == 404
        cfg = json.loads(post_json(f.url + "/flyteidl2.auth.AuthMetadataService/GetPublicClientConfig", {})[1])
        assert cfg["scopes"] == ["all"]
        assert post_json(f.url + "/_test/config", {"flyte1": True, "replace": True})[0] == 200
        assert json.loads(get(f.url + wk)[1])["deviceAuthorizationEndpoint"].endswith("/device_authorization")


# ---- keyring ------------------------------------------------------------------------

KEYRING_PROBE = r'''
set -e
test "$HOME" != "$REAL_HOME"
printf %s "$XDG_RUNTIME_DIR" | grep -q keyring-session
printf %s "$HOME" > "$OUT.home"
dbus-send --session --print-reply=literal --dest=org.freedesktop.DBus /org/freedesktop/DBus \
  org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets | awk '{print $2}' > "$OUT.pid"
printf 'stored-value' | secret-tool store --label='e2e probe' service e2e-probe user alice
secret-tool lookup service e2e-probe user alice
'''


def test_keyring_session_script(tmp_path):
    env = dict(os.environ, REAL_HOME=os.path.expanduser("~"), OUT=str(tmp_path / "probe"))
    r = run_in_keyring_session(["sh", "-c", KEYRING_PROBE], env=env, timeout=60,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert r.returncode == 0, r.stderr[-500:]
    assert r.stdout == "stored-value"
    pid = int((tmp_path / "probe.pid").read_text())
    home = (tmp_path / "probe.home").read_text()
    deadline = time.monotonic() + 5
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not pid_alive(pid), "gnome-keyring-daemon outlived the session"
    assert not os.path.exists(home), "temp HOME was not removed"
    # The exit status of the command comes back.
    assert run_in_keyring_session(["sh", "-c", "exit 7"], timeout=60, stderr=subprocess.DEVNULL).returncode == 7


def test_keyring_session_fixture(keyring_session):
    env = keyring_session.env()
    subprocess.run(["secret-tool", "store", "--label=fixture", "service", "e2e-fixture"],
                   input=b"v2", env=env, check=True, timeout=10)
    r = subprocess.run(["secret-tool", "lookup", "service", "e2e-fixture"], env=env,
                       capture_output=True, timeout=10)
    assert r.stdout == b"v2"
    pids = keyring_session.pids()
    assert len(pids) == 2
    keyring_session.stop()
    assert not any(pid_alive(p) for p in pids)


# ---- the CLI --------------------------------------------------------------------------

def harness_cli(*args, timeout=60):
    env = dict(os.environ, PYTHONPATH=E2E_DIR)
    return subprocess.run([sys.executable, "-m", "harness"] + list(args), env=env, cwd=E2E_DIR,
                          capture_output=True, text=True, timeout=timeout)


def test_cli_up_down(tmp_path):
    state_file = str(tmp_path / "stack.json")
    r = harness_cli("up", "--state", state_file, "--access-token-duration", "3",
                    "--redirect-port", "54321", "--refresh-one-use", "--max-seconds", "120")
    assert r.returncode == 0, r.stderr[-2000:]
    st = json.load(open(state_file))
    try:
        assert {"endpoint", "idp", "issuer", "token_endpoint", "public_client_id", "service_client_id",
                "service_client_secret", "username", "password", "pid", "counts_url"} <= set(st)
        assert oct(os.stat(state_file).st_mode & 0o777) == "0o600"
        assert "http://localhost:54321/callback" in st["redirect_uris"]
        assert st["refresh_token_one_use"] == "always"
        require(st["service_client_secret"] not in r.stdout + r.stderr, "secret printed by up")
        r2 = harness_cli("up", "--state", state_file)
        assert r2.returncode == 1 and "already up" in r2.stderr
        status, tok = post_form(st["token_endpoint"], {"grant_type": "client_credentials", "scope": "all"},
                                {"Authorization": basic(st["service_client_id"], st["service_client_secret"])})
        assert status == 200 and tok.get("expires_in") == 3
        assert json.loads(get(st["counts_url"])[1])["token"] == {"client_credentials": 1}
        assert post_json(st["endpoint"] + "/_test/fail?n=1&status=503", {})[0] == 200
        assert post_form(st["token_endpoint"], {"grant_type": "client_credentials", "scope": "all"},
                         {"Authorization": basic(st["service_client_id"], st["service_client_secret"])})[0] == 503
    finally:
        r = harness_cli("down", "--state", state_file)
    assert r.returncode == 0, r.stderr
    assert not pid_alive(st["pid"]) and not pid_alive(st["glewlwyd_pid"])
    assert not os.path.exists(state_file) and not os.path.exists(st["glewlwyd_dir"])


def test_cli_max_seconds(tmp_path):
    state_file = str(tmp_path / "short.json")
    r = harness_cli("up", "--state", state_file, "--max-seconds", "2")
    assert r.returncode == 0, r.stderr[-2000:]
    st = json.load(open(state_file))
    deadline = time.monotonic() + 15
    while (pid_alive(st["pid"]) or pid_alive(st["glewlwyd_pid"])) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not pid_alive(st["pid"]) and not pid_alive(st["glewlwyd_pid"])
    assert not os.path.exists(state_file)
    assert "max-seconds 2 reached" in open(state_file + ".log").read()
    assert harness_cli("down", "--state", state_file).returncode == 0


def test_cli_down_after_server_killed(tmp_path):
    """If the background server dies hard (SIGKILL), `down` still stops its glewlwyd by pid."""
    import signal
    state_file = str(tmp_path / "killed.json")
    r = harness_cli("up", "--state", state_file, "--max-seconds", "120")
    assert r.returncode == 0, r.stderr[-2000:]
    st = json.load(open(state_file))
    os.kill(st["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 5
    while pid_alive(st["pid"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pid_alive(st["glewlwyd_pid"])
    assert harness_cli("down", "--state", state_file).returncode == 0
    assert not pid_alive(st["glewlwyd_pid"]) and not os.path.exists(st["glewlwyd_dir"])
