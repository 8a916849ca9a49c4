"""The token cache against a real gnome-keyring and a real glewlwyd.

Every libflyteauth user here is a separate process (cache_driver.py), as the next
command a person runs would be. Python keyring (PyPI), exactly as flytekit and
flyte-sdk call it, runs in the same private Secret Service session.
"""
import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
DRIVER = os.path.join(HERE, "cache_driver.py")
# The harness plugin's `stack` fixture with access tokens of 15 s: a token is still
# outside its refresh window (the second half of its life) when the next process starts
# on a loaded machine, and waiting out TOKEN_LIFE + 1 s always passes its end.
TOKEN_LIFE = 15
STACK = {"access_token_duration": TOKEN_LIFE}


def sha(token):
    return hashlib.sha256(token.encode()).hexdigest()[:12]


@pytest.fixture
def session(keyring_session):
    return keyring_session


def settings(stack, port, session, **extra):
    s = {"endpoint": stack.endpoint, "insecure": True, "auth_type": "Pkce",
         "redirect_uri": "http://localhost:%d/callback" % port,
         "cache_dir": os.path.join(session.home, ".cache", "flyteauth")}
    s.update(extra)
    return s


def run(session, cfg, *args, env_extra=None, timeout=60, check=True):
    env = session.env()
    env["PYTHONPATH"] = HERE
    env.update(env_extra or {})
    p = subprocess.run([sys.executable, DRIVER, json.dumps(cfg)] + [str(a) for a in args], cwd=HERE, env=env,
                       capture_output=True, text=True, timeout=timeout)
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    out = json.loads(lines[-1]) if lines else {"ok": False, "stderr": p.stderr[-2000:]}
    out["stderr"] = p.stderr
    if check:
        assert p.returncode == 0 and out.get("ok", True), "driver %s failed: %s %s" % (args[0], out.get("message"), p.stderr[-800:])
    return out


def keyring_py(session, code):
    """Run Python keyring (PyPI 25.x) inside the session, as flytekit / flyte-sdk do."""
    env = session.env()
    p = subprocess.run([sys.executable, "-c", "import keyring, json, sys\n" + code], env=env, capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 0, p.stderr[-800:]
    return p.stdout.strip()


def items(session, **attrs):
    """Items matching the attributes (secret-tool search --all), as attribute dicts."""
    args = ["secret-tool", "search", "--all"]
    for k, v in attrs.items():
        args += [k, v]
    p = subprocess.run(args, env=session.env(), capture_output=True, text=True, timeout=30)
    found, current = [], None
    for line in (p.stdout + p.stderr).splitlines():
        if line.startswith("["):
            current = {}
            found.append(current)
        elif current is not None and line.startswith("attribute."):
            k, _, v = line[len("attribute."):].partition(" = ")
            current[k] = v
    return found


def login(stack, port, session, **extra):
    cfg = settings(stack, port, session, **extra)
    return cfg, run(session, cfg, "login", env_extra={"DRIVER_ALLOW_BROWSER": "1"})


def token_requests(stack, grant=None):
    return stack.front.token_requests(grant)


def test_login_is_cached_and_survives_a_restart(stack, redirect_port, session):
    cfg, first = login(stack, redirect_port, session)
    host = stack.endpoint.split("://", 1)[1]
    ours = items(session, service="flyteauth:" + host.lower())
    assert len(ours) == 1 and ours[0]["username"] == stack.state["public_client_id"]
    before = token_requests(stack)
    again = run(session, cfg, "header")
    assert again["sha"] == first["sha"], "a new process reuses the cached token"
    assert again["expires_at"] == first["expires_at"], "the expiry survives the restart"
    assert again["source"] == "cache" and again["browser_calls"] == 0
    assert token_requests(stack) == before, "no request to the IdP"
    # After expiry the next process refreshes with the cached refresh token, no login.
    time.sleep(TOKEN_LIFE + 1)
    later = run(session, cfg, "header")
    assert later["sha"] != first["sha"] and later["browser_calls"] == 0
    assert token_requests(stack, "refresh_token") >= 1


def test_login_is_mirrored_into_flytekits_layout_without_duplicates(stack, redirect_port, session):
    host = stack.endpoint.split("://", 1)[1]
    # flytekit wrote a login earlier: a stale item per username, via Python keyring.
    keyring_py(session, "keyring.set_password(%r, 'access_token', 'stale-a')\n"
                        "keyring.set_password(%r, 'refresh_token', 'stale-r')" % (host, host))
    cfg, ours = login(stack, redirect_port, session)
    got = keyring_py(session, "print(keyring.get_password(%r, 'access_token'))" % host)
    assert sha(got) == ours["sha"], "pyflyte now reads the token we obtained"
    refresh = keyring_py(session, "print(keyring.get_password(%r, 'refresh_token'))" % host)
    assert refresh not in ("None", "stale-r")
    for user in ("access_token", "refresh_token"):
        assert len(items(session, service=host, username=user)) == 1, "exactly one item per (service, username)"
    # A later Python keyring write still replaces our item rather than adding one.
    keyring_py(session, "keyring.set_password(%r, 'access_token', 'newer')" % host)
    assert len(items(session, service=host, username="access_token")) == 1


@pytest.mark.parametrize("layout", ["flytekit", "flyte-sdk", "flytectl"])
def test_a_login_by_another_tool_serves_us(stack, redirect_port, session, layout):
    cfg, ours = login(stack, redirect_port, session, mirror_layouts=[])
    host = stack.endpoint.split("://", 1)[1]
    # Take the fresh login's tokens out of our item, then remove our item: only the
    # other tool's layout is left.
    raw = subprocess.run(["secret-tool", "lookup", "service", "flyteauth:" + host.lower(),
                          "username", stack.state["public_client_id"]], env=session.env(), capture_output=True,
                         text=True, timeout=30).stdout
    item = json.loads(raw)
    subprocess.run(["secret-tool", "clear", "service", "flyteauth:" + host.lower(), "username",
                    stack.state["public_client_id"]], env=session.env(), check=True, timeout=30)
    if layout == "flytekit":
        keyring_py(session, "keyring.set_password(%r, 'access_token', %r)\nkeyring.set_password(%r, 'refresh_token', %r)"
                   % (host, item["access_token"], host, item["refresh_token"]))
    elif layout == "flyte-sdk":
        keyring_py(session, "keyring.set_password(%r, 'tokens', json.dumps({'access_token': %r, 'refresh_token': %r}))"
                   % (host, item["access_token"], item["refresh_token"]))
    else:
        # go-keyring: {service, username} only, Go's oauth2.Token as JSON.
        secret = json.dumps({"access_token": item["access_token"], "token_type": "Bearer",
                             "refresh_token": item["refresh_token"], "expiry": "0001-01-01T00:00:00Z"})
        subprocess.run(["secret-tool", "store", "--label=flytectl", "service", "flytectl", "username",
                        stack.endpoint + ":flytectl-user"], input=secret, env=session.env(), text=True, check=True,
                       timeout=30)
    before, logins = token_requests(stack), token_requests(stack, "authorization_code")
    refreshes = token_requests(stack, "refresh_token")
    got = run(session, cfg, "header")
    assert got["browser_calls"] == 0 and token_requests(stack, "authorization_code") == logins, \
        "logged in through %s's item" % layout
    # The token may be inside its refresh window by now on a very loaded machine: then the
    # imported refresh token renewed it (that is still this login); else it was served.
    refreshed = token_requests(stack) - before
    assert refreshed == token_requests(stack, "refresh_token") - refreshes <= 1
    if refreshed == 0:
        assert got["sha"] == ours["sha"]
    # And its refresh token works for us after expiry.
    time.sleep(TOKEN_LIFE + 1)
    later = run(session, cfg, "header")
    assert later["browser_calls"] == 0 and later["sha"] != ours["sha"]
    assert token_requests(stack, "authorization_code") == logins


def test_logout_removes_every_layout(stack, redirect_port, session):
    cfg, _ = login(stack, redirect_port, session, mirror_layouts=["flytekit", "flyte-sdk", "flytectl"])
    host = stack.endpoint.split("://", 1)[1]
    assert items(session, service=host, username="access_token")
    assert items(session, service="flytectl")
    run(session, cfg, "logout")
    for attrs in ({"service": "flyteauth:" + host.lower()}, {"service": host}, {"service": "flytectl"}):
        assert items(session, **attrs) == [], attrs


@pytest.mark.parametrize("mode", ["expired", "rejected"])
def test_storm_of_4_processes_x_8_threads_makes_one_token_request(stack, redirect_port, session, mode):
    cfg, first = login(stack, redirect_port, session)
    if mode == "expired":
        time.sleep(TOKEN_LIFE + 1)  # every process starts with an expired token in the keyring
    stack.front.reset_counts()
    start_at = time.time() + 3
    env = session.env()
    env["PYTHONPATH"] = HERE
    procs = [subprocess.Popen([sys.executable, DRIVER, json.dumps(cfg), "storm", "8", str(start_at), mode],
                              cwd=HERE, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    outs = []
    try:
        for p in procs:
            stdout, stderr = p.communicate(timeout=90)
            assert p.returncode == 0, stderr[-800:]
            outs.append(json.loads(stdout.splitlines()[-1]))
    finally:
        for p in procs:  # stopped by pid whatever happened above
            if p.poll() is None:
                p.kill()
                p.wait(timeout=10)
    assert all(o["ok"] for o in outs), outs
    shas = {s for o in outs for s in o["shas"]}
    assert len(shas) == 1, "all 32 callers ended with the same token"
    assert first["sha"] not in shas
    assert stack.front.token_requests() == 1, "exactly one token request for 4 x 8 callers (got %d)" % stack.front.token_requests()
    assert all(o["browser_calls"] == 0 for o in outs)


@pytest.mark.parametrize("cache", ["keyring", "file"])
def test_sigkill_during_writes_leaves_a_readable_cache(stack, redirect_port, session, cache):
    extra = {"keyring": False, "file_cache": True} if cache == "file" else {}
    cfg, _ = login(stack, redirect_port, session, **extra)
    env = session.env()
    env["PYTHONPATH"] = HERE
    for i in range(5):
        p = subprocess.Popen([sys.executable, DRIVER, json.dumps(cfg), "refresh-loop", "20"], cwd=HERE, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        p.stdout.readline()  # started
        time.sleep(0.3 + 0.17 * i)
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=10)
        got = run(session, cfg, "header")
        assert got["browser_calls"] == 0, "the cache was still readable after SIGKILL %d" % (i + 1)
    if cache == "file":
        path = os.path.join(session.home, ".local", "state", "flyteauth", "tokens.json")
        json.load(open(path))
        assert not [f for f in os.listdir(os.path.dirname(path)) if ".tmp." in f], "no temporary files left"


def test_no_session_bus_works_from_memory_with_one_warning(stack, session):
    cfg = {"endpoint": stack.endpoint, "insecure": True, "auth_type": "ClientSecret",
           "client_id": stack.state["service_client_id"], "client_secret": stack.state["service_client_secret"],
           "scopes": ["all"], "cache_dir": os.path.join(session.home, "c")}
    t0 = time.time()
    out = run(session, cfg, "header", env_extra={"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/bus"})
    assert time.time() - t0 < 30
    assert out["ok"] and out["source"] == "idp"
    assert out["stderr"].count("warning") == 1, out["stderr"]
    assert stack.state["service_client_secret"] not in out["stderr"]
    assert not os.path.exists(os.path.join(session.home, ".local", "state", "flyteauth", "tokens.json")), \
        "no file cache without the opt-in"


def test_locked_keyring_does_not_prompt_or_hang(stack, redirect_port, session):
    cfg, first = login(stack, redirect_port, session)
    # `secret-tool lock` crashes in Debian 12's libsecret-tools: ask the service directly.
    subprocess.run(["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.secrets", "/org/freedesktop/secrets",
                    "org.freedesktop.Secret.Service.Lock", "array:objpath:/org/freedesktop/secrets/collection/login"],
                   env=session.env(), check=True, timeout=30, capture_output=True)
    t0 = time.time()
    out = run(session, dict(cfg, interactive=False), "header", check=False)
    assert time.time() - t0 < 30, "bounded (a hang check)"
    # The locked item cannot be read and no person may log in: a clear "login required".
    assert out.get("status") == 7 and "does not ask a person" in out.get("message", ""), out
    # A service account still works from memory, with one warning about the keyring.
    cc = {"endpoint": stack.endpoint, "insecure": True, "auth_type": "ClientSecret",
          "client_id": stack.state["service_client_id"], "client_secret": stack.state["service_client_secret"],
          "scopes": ["all"], "cache_dir": os.path.join(session.home, "c")}
    t0 = time.time()
    out = run(session, cc, "header")
    assert time.time() - t0 < 30 and out["source"] == "idp"
    assert out["stderr"].count("warning") == 1 and "locked" in out["stderr"], out["stderr"]


def test_file_fallback_only_when_opted_in_and_mode_0600(stack, session):
    cfg = {"endpoint": stack.endpoint, "insecure": True, "auth_type": "ClientSecret",
           "client_id": stack.state["service_client_id"], "client_secret": stack.state["service_client_secret"],
           "scopes": ["all"], "cache_dir": os.path.join(session.home, "c")}
    nobus = {"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/bus", "FLYTEAUTH_FILE_CACHE": "1"}
    first = run(session, cfg, "header", env_extra=nobus)
    path = os.path.join(session.home, ".local", "state", "flyteauth", "tokens.json")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    before = token_requests(stack)
    second = run(session, cfg, "header", env_extra=nobus)
    assert second["sha"] == first["sha"] and second["source"] == "cache" and token_requests(stack) == before
