"""Client against the harness: client credentials through discovery, the Python-side
metadata cache, status, log callbacks."""
import datetime
import logging
import math
import threading
import time


import flyteauth
from helpers import AUTH_KEY, SlowTokenProxy, bare, jwt_exp, require


def test_client_credentials_through_discovery(cs_client, front):
    md = cs_client.metadata()
    assert isinstance(md, tuple) and len(md) == 1
    key, value = md[0]
    assert key == AUTH_KEY  # from the front's authorization_metadata_key
    require(value.startswith("Bearer ey") and jwt_exp(value) is not None, "not a bearer JWT")
    assert front.token_requests("client_credentials") == 1
    # discovery happened through the Flyte endpoint
    assert front.path_requests("/.well-known/oauth-authorization-server") + \
        front.path_requests("/flyteidl2.auth.AuthMetadataService/GetOAuth2Metadata") >= 1

    headers = cs_client.headers()
    assert list(headers) == [AUTH_KEY]
    require(headers[AUTH_KEY] == value, "headers() differs from metadata()")
    headers["x"] = "y"  # a copy: mutating it does not change the client's
    assert list(cs_client.headers()) == [AUTH_KEY]

    token = cs_client.token()
    require(token.header_value == value, "token() differs from metadata()")
    assert token.expires_at is not None and token.expires_at.tzinfo is not None
    assert 0 < (token.expires_at - datetime.datetime.now(datetime.timezone.utc)).total_seconds() <= 5
    assert "redacted" in repr(token) and bare(value) not in repr(token)
    assert not token.expired

    # the form sent: client credentials grant with the configured scope
    rec = front.records("/oauth2/token")[-1]
    assert rec["form"]["grant_type"] == "client_credentials" and rec["form"]["scope"] == "all"


def test_status(cs_client):
    s = cs_client.status()
    assert s["auth_type"] == "ClientSecret" and s["has_token"] is False
    cs_client.metadata()
    s = cs_client.status()
    assert s["has_token"] is True and s["token_source"] == "idp"
    assert s["claims"]["sub"] == cs_client.status()["client_id"]
    assert "client_secret" not in str(s)


def test_metadata_is_served_from_the_python_cache(cs_client, front):
    first = cs_client.metadata()
    for _ in range(100):
        assert cs_client.metadata() is first  # the same tuple: no library call
    assert front.token_requests() == 1


def test_refresh_invalidates_and_replaces(cs_client, front):
    first = cs_client.metadata()
    fresh = cs_client.refresh(rejected=first[0][1])
    require(fresh[0][1] != first[0][1], "refresh returned the rejected token")
    assert front.token_requests("client_credentials") == 2
    assert cs_client.metadata() is fresh
    # rejecting an old token again does not make a request: the client already holds another
    again = cs_client.refresh(rejected=first[0][1])
    require(again[0][1] == fresh[0][1], "a stale rejection replaced the new token")
    assert front.token_requests("client_credentials") == 2
    # bare tokens are accepted as well as header values
    cs_client.refresh(rejected=bare(fresh[0][1]))
    assert front.token_requests("client_credentials") == 3
    # None forces a refresh
    cs_client.refresh()
    assert front.token_requests("client_credentials") == 4


def test_cache_stops_before_the_library_would_refresh(cs_client, front):
    """With 4 s tokens the library refreshes in the background from 2 s before expiry;
    the Python copy is only reused until a little before that, and metadata() keeps
    returning a token that is still valid while the token changes."""
    md = cs_client.metadata()
    exp = jwt_exp(md[0][1])
    deadline = cs_client._cache[1]
    remaining = deadline - time.monotonic()
    assert 0 < remaining < exp - time.time() - 1.0
    seen = set()
    end = time.monotonic() + 6
    while time.monotonic() < end:
        v = cs_client.metadata()[0][1]
        require(jwt_exp(v) > time.time(), "an expired token was handed out")
        seen.add(v)
        time.sleep(0.01)
    assert len(seen) >= 2
    assert front.token_requests() <= 6


def test_cache_keeps_the_copy_until_the_library_says():
    """The copy is reused until the library's reuse_until (its refresh point), whatever
    decides it: here a refresh window from the settings the binding never reads."""
    expiry = int(time.time()) + 3600
    for window, lead in ((None, 60), (300, 300)):
        settings = {"auth_type": "passthrough"}
        if window is not None:
            settings["refresh_window_seconds"] = window
        with flyteauth.Client(settings) as c:
            c.set_token("t" * 40, expires_at=expiry)
            c.metadata()
            remaining = c._cache[1] - time.monotonic()
            # reuse_until is whole seconds: up to 1 s early, never late (0.05 s: the
            # wall-to-monotonic conversion).
            assert expiry - lead - 2 <= time.time() + remaining <= expiry - lead + 0.05, (window, remaining)
    with flyteauth.Client({"auth_type": "passthrough"}) as c:
        c.set_token("u" * 40)  # unknown expiry: reused until replaced
        c.metadata()
        assert c._cache[1] == math.inf
        c.set_token("v" * 40)
        assert c.metadata()[0][1] == "Bearer " + "v" * 40


def test_status_carries_the_effective_settings():
    with flyteauth.Client({"auth_type": "passthrough", "endpoint": "http://127.0.0.1:9",
                           "refresh_window_seconds": 30, "authorization_header": "Flyte-Authorization"}) as c:
        s = c.status()["settings"]
    assert s["insecure"] is True and s["base_url"] == "http://127.0.0.1:9"
    assert s["endpoint"] == "http://127.0.0.1:9" and s["refresh_window_seconds"] == 30
    assert s["header_key"] == "flyte-authorization" and s["auth_type"].lower() == "passthrough"
    assert s["cached"] is False and s["proxy_authorization"] is False


def test_cached_call_does_not_cross_into_the_library(cs_client, monkeypatch):
    # How cheap it is lives in bench/ (case 3); here: a cached call stays in Python. The
    # binding's clock stands still just before the engine's refresh point, so the 4 s
    # token cannot reach it however loaded the machine is.
    import flyteauth.client as client_module
    first = cs_client.metadata()
    assert cs_client._cache is not None and cs_client._cache[2] is first
    now = cs_client._cache[1] - 0.001
    monkeypatch.setattr(client_module, "_monotonic", lambda: now)
    calls = []
    fetch = cs_client._fetch
    monkeypatch.setattr(cs_client, "_fetch", lambda: calls.append(1) or fetch())
    for _ in range(1000):
        assert cs_client.metadata() is first
    assert calls == [], "metadata() called the library %d times for a cached token" % len(calls)


def test_log_callback_receives_lines(cs_settings, front):
    lines = []
    with flyteauth.Client(dict(cs_settings, keyring=True, keyring_timeout_seconds=1)) as c:
        c.on_log(lambda level, msg: lines.append((level, msg)), flyteauth.LogLevel.DEBUG)
        c.metadata()  # no Secret Service here: the cache warns and continues
    assert lines, "no log lines"
    assert all(isinstance(l, flyteauth.LogLevel) for l, _ in lines)
    assert any(l >= flyteauth.LogLevel.WARNING and "cache" in m for l, m in lines)


def test_log_to_a_python_logger_and_broken_callbacks(cs_settings, front, caplog):
    with flyteauth.Client(dict(cs_settings, keyring=True, keyring_timeout_seconds=1)) as c:
        c.on_log(logging.getLogger("flyteauth.test"), logging.WARNING)
        with caplog.at_level(logging.WARNING, logger="flyteauth.test"):
            c.metadata()
        assert any(r.name == "flyteauth.test" and r.levelno >= logging.WARNING for r in caplog.records)

    with flyteauth.Client(dict(cs_settings, keyring=True, keyring_timeout_seconds=1)) as c:
        calls = []

        def broken(level, msg):
            calls.append(level)
            raise RuntimeError("a broken sink")
        c.on_log(broken, flyteauth.LogLevel.DEBUG)
        key, value = c.metadata()[0]  # the exception stays in the callback
        assert value.startswith("Bearer ") and calls, "the sink was called and its exception did not reach us"
        c.on_log(None)


def test_callbacks_are_released(cs_settings):
    from flyteauth import _callbacks

    before = len(_callbacks._registry)
    c = flyteauth.Client(cs_settings)
    c.on_log(lambda *a: None)
    c.on_browser(lambda url: True)
    c.on_device_prompt(lambda p: None)
    c.on_log(lambda *a: None)  # replacing releases the old one
    assert len(_callbacks._registry) == before + 3
    c.on_browser(None)
    assert len(_callbacks._registry) == before + 2
    c.close()
    assert len(_callbacks._registry) == before


def test_cancel_is_harmless_when_idle(cs_client):
    cs_client.cancel()
    require(cs_client.metadata()[0][1].startswith("Bearer "), "no token after cancel")


def test_cancel_stops_a_waiting_refresh(cs_settings, front):
    front.delay_next(seconds=5, n=1)
    with flyteauth.Client(cs_settings) as c:
        errors = []

        def call():
            try:
                c.metadata()
            except flyteauth.FlyteAuthError as e:
                errors.append(e)

        t = threading.Thread(target=call)
        t.start()
        time.sleep(0.5)
        started = time.monotonic()
        c.cancel()
        t.join(10)
        assert not t.is_alive()
        assert time.monotonic() - started < 4
        assert len(errors) == 1 and isinstance(errors[0], flyteauth.CancelledError), errors
        front.clear_faults()
        require(c.metadata()[0][1].startswith("Bearer "), "no token after a cancelled refresh")


def test_close_while_a_call_waits(cs_settings, front):
    """close() cancels the waiting call, waits for it, then frees the client."""
    front.delay_next(seconds=5, n=1)
    c = flyteauth.Client(cs_settings)
    out = []

    def call():
        try:
            c.metadata()
            out.append("ok")
        except flyteauth.FlyteAuthError as e:
            out.append(e)

    t = threading.Thread(target=call)
    t.start()
    time.sleep(0.5)
    started = time.monotonic()
    c.close()
    assert time.monotonic() - started < 4
    t.join(5)
    assert len(out) == 1 and isinstance(out[0], flyteauth.CancelledError), out


def test_expiry_is_dated_from_the_request(stack, cs_settings):
    with SlowTokenProxy(stack.front.token_endpoint, delay=1.5) as proxy:
        with flyteauth.Client(dict(cs_settings, token_url=proxy.url)) as c:
            value = c.metadata()[0][1]
            exp = jwt_exp(value)
            # Dated from the request, not from the answer 1.5 s later: never after the JWT's exp.
            assert c.token().expires_at.timestamp() <= exp
            time.sleep(max(0.0, exp - time.time()) + 0.1)  # the token has expired by its own claim
            requests_before = proxy.requests
            again = c.metadata()[0][1]
            assert again != value, "an expired token is never handed out"
            require(jwt_exp(again) > time.time(), "the new token is valid")
            # One request for it: now, or already by the refresh ahead of expiry that the
            # token() call above may have started (its answer 1.5 s later).
            assert proxy.requests - requests_before <= 1 and proxy.requests >= 2
