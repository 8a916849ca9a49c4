"""PKCE, device flow, the user's configuration and the keyring cache, through the
binding. None of them skips: a flow that stops working (discovery no longer advertising
an endpoint: UnsupportedError) fails its test."""
import datetime
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import flyteauth
from helpers import require

HERE = Path(__file__).resolve().parent


@pytest.fixture
def pkce_settings(stack, redirect_port, cache_dir):
    return {"endpoint": stack.endpoint, "auth_type": "Pkce",
            "redirect_uri": "http://127.0.0.1:%d/callback" % redirect_port, "keyring": False,
            "cache_dir": cache_dir, "login_timeout_seconds": 30}


def approve_in_background(fn, *args):
    errors = []

    def run():
        try:
            fn(*args)
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return errors


# -- PKCE -------------------------------------------------------------------------

def test_pkce_login_with_a_browser_callback(pkce_settings, front):
    from harness import approve_pkce

    urls, errors = [], []
    with flyteauth.Client(pkce_settings) as c:
        def browser(url):
            urls.append(url)
            errors.extend(approve_in_background(approve_pkce, url))
            return True

        c.on_browser(browser)
        c.login()
        assert len(urls) == 1 and "code_challenge_method=S256" in urls[0]
        md = c.metadata()
        assert md[0][0] == "flyte-authorization"
        status = c.status()
        assert status["has_refresh_token"] is True and status["claims"].get("sub")
        assert front.token_requests("authorization_code") == 1
        # a rejection uses the refresh token, no second browser login
        c.refresh(rejected=md[0][1])
        assert front.token_requests("refresh_token") == 1 and len(urls) == 1
    assert errors == []


def test_pkce_denied(pkce_settings):
    from harness import deny_pkce

    with flyteauth.Client(pkce_settings) as c:
        c.on_browser(lambda url: approve_in_background(deny_pkce, url) and None)
        with pytest.raises(flyteauth.FlyteAuthError) as info:
            c.login()
    assert isinstance(info.value, flyteauth.OAuthError) and info.value.oauth_error == "access_denied"


def test_pkce_cancel(pkce_settings):
    with flyteauth.Client(pkce_settings) as c:
        c.on_browser(lambda url: True)  # nobody approves
        threading.Timer(0.5, c.cancel).start()
        started = time.monotonic()
        with pytest.raises(flyteauth.FlyteAuthError) as info:
            c.login()
        assert isinstance(info.value, flyteauth.CancelledError), repr(info.value)
        assert time.monotonic() - started < 5


def test_pkce_browser_callback_exception_falls_back(pkce_settings, capfd):
    with flyteauth.Client(dict(pkce_settings, login_timeout_seconds=1)) as c:
        def broken(url):
            raise RuntimeError("no browser here")

        c.on_browser(broken)
        with pytest.raises(flyteauth.FlyteAuthError) as info:
            c.login()
        assert isinstance(info.value, flyteauth.TimeoutError)
    # The library fell back to its own opener, which always prints the URL.
    assert "Please open the following link" in capfd.readouterr().err


def test_non_interactive_pkce_needs_a_login(pkce_settings):
    with flyteauth.Client(dict(pkce_settings, interactive=False)) as c:
        with pytest.raises(flyteauth.AccessTokenNotFoundError):
            c.metadata()


# -- device flow ---------------------------------------------------------------------

def test_device_flow_with_a_prompt_callback(stack, cache_dir, front):
    from harness import approve_device

    prompts, errors = [], []
    with flyteauth.Client({"endpoint": stack.endpoint, "auth_type": "DeviceFlow", "keyring": False,
                           "cache_dir": cache_dir, "device_flow_timeout_seconds": 60}) as c:
        def prompt(p):
            prompts.append(p)
            errors.extend(approve_in_background(approve_device, p.user_code, p.verification_uri))

        c.on_device_prompt(prompt)
        c.login()
        require(c.metadata()[0][1].startswith("Bearer "), "no token after the device login")
        assert c.status()["has_refresh_token"] is True
    assert errors == []
    assert len(prompts) == 1
    p = prompts[0]
    assert isinstance(p, flyteauth.DevicePrompt)
    assert p.verification_uri.startswith(stack.state["idp"]) and p.user_code
    assert p.expires_at > datetime.datetime.now(datetime.timezone.utc)
    assert p.user_code in p.url
    assert front.token_requests("urn:ietf:params:oauth:grant-type:device_code") >= 1


def test_device_flow_unavailable(stack, front, cache_dir):
    front.set_overrides(metadata={"device_authorization_endpoint": ""})
    try:
        with flyteauth.Client({"endpoint": stack.endpoint, "auth_type": "DeviceFlow", "keyring": False,
                               "cache_dir": cache_dir, "discovery_cache_ttl_seconds": 0}) as c:
            with pytest.raises(flyteauth.UnsupportedError) as info:
                c.login()
        assert "evice" in str(info.value)
    finally:
        front.set_overrides(replace=True)


# -- the user's configuration ------------------------------------------------------------

@pytest.fixture
def config_file(stack, tmp_path):
    st = stack.state
    secret = tmp_path / "secret"
    secret.write_text(st["service_client_secret"] + "\n")
    path = tmp_path / "config.yaml"
    path.write_text("admin:\n  endpoint: dns:///%s\n  insecure: true\n  authType: ClientSecret\n"
                    "  clientId: %s\n  clientSecretLocation: %s\n  scopes:\n    - all\n"
                    "flyteauth:\n  refresh_window_seconds: 30\n"
                    % (stack.endpoint.split("://", 1)[1], st["service_client_id"], secret))
    return path, st["service_client_secret"]


def test_from_config(config_file, cache_dir, front):
    path, _ = config_file
    c = flyteauth.Client.from_config(path, keyring=False, cache_dir=cache_dir)
    with c:
        assert c.metadata()[0][0] == "flyte-authorization"
        status = c.status()
        assert status["auth_type"] == "ClientSecret"
        # What the file resolved to, as the engine applies it: the binding reads no file.
        settings = status["settings"]
        assert settings["insecure"] is True and settings["base_url"].startswith("http://127.0.0.1")
        assert settings["refresh_window_seconds"] == 30
    assert front.token_requests("client_credentials") == 1


def test_resolve_config_masks_secrets(config_file):
    path, secret = config_file
    resolved = flyteauth.resolve_config(path, keyring=False)
    text = json.dumps(resolved)
    assert secret not in text
    assert "config.yaml" in text


def test_from_config_environment_overrides(config_file, cache_dir, monkeypatch):
    path, _ = config_file
    monkeypatch.setenv("FLYTE_CREDENTIALS_CLIENT_ID", "someone-else")
    c = flyteauth.Client.from_config(path, keyring=False, cache_dir=cache_dir)
    with c:
        assert c.status()["client_id"] == "someone-else"


def test_malformed_config_names_the_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("admin:\n  endpoint: [unclosed\n")
    with pytest.raises(flyteauth.ConfigurationError) as info:
        flyteauth.Client.from_config(bad)
    assert "bad.yaml" in str(info.value)
    with pytest.raises(flyteauth.ConfigurationError):
        flyteauth.Client.from_config(tmp_path / "missing.yaml")


# -- keyring ---------------------------------------------------------------------------

def driver(session, settings, action):
    env = session.env()
    env.pop("PYTHONPATH", None)
    p = subprocess.run([sys.executable, str(HERE / "keyring_driver.py"), json.dumps(settings), action], env=env,
                       capture_output=True, text=True, timeout=90)
    lines = [line for line in p.stdout.splitlines() if line.startswith("{")]
    assert p.returncode == 0 and lines, "driver %s failed: %s" % (action, p.stderr[-1500:])
    return json.loads(lines[-1])


def test_keyring_login_is_reused_by_the_next_process_and_by_flytekit(stack, redirect_port, keyring_session):
    host = stack.endpoint.split("://", 1)[1]
    settings = {"endpoint": host, "insecure": True, "auth_type": "Pkce",
                "redirect_uri": "http://127.0.0.1:%d/callback" % redirect_port,
                "cache_dir": os.path.join(keyring_session.home, ".cache", "flyteauth")}
    first = driver(keyring_session, settings, "login")
    assert first["ok"], first
    second = driver(keyring_session, dict(settings, interactive=False), "metadata")
    assert second["ok"], second
    assert second["sha"] == first["sha"] and second["source"] == "cache"
    # flytekit's keyring layout (service = endpoint, username = access_token) is mirrored
    code = ("import keyring, hashlib, json\n"
            "t = keyring.get_password(%r, 'access_token')\n"
            "print(json.dumps(hashlib.sha256(t.encode()).hexdigest()[:12] if t else None))\n" % host)
    p = subprocess.run([sys.executable, "-c", code], env=keyring_session.env(), capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr[-1000:]
    assert json.loads(p.stdout.strip().splitlines()[-1]) == first["sha"]
    # logout forgets it: a non-interactive client then needs a login
    assert driver(keyring_session, settings, "logout")["ok"]
    third = driver(keyring_session, dict(settings, interactive=False), "metadata")
    assert third == {"ok": False, "error": "AccessTokenNotFoundError", "message": third["message"]}
