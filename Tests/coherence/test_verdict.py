"""One verdict: `token`, `status`, `whoami`, `doctor` and the Python binding agree on
whether a call would work, with the same exit statuses, and a system library that cannot
be loaded is reported once, by name and package, with its own exit status (8).

libcurl is hidden with an LD_PRELOAD shim (hide_library.c: dlopen of it fails), as on a
machine with only the wheel installed and no libcurl4.
"""
import json
import os
import subprocess
import sys

import pytest

from world import ROOT, TIMEOUT, TOOL, World

SHIM = os.path.join(ROOT, "build", "tests", "hide_library.so")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = World(str(tmp_path_factory.mktemp("verdict")), 600)
    try:
        yield w
    finally:
        w.stop()


def client_credentials(w):
    st = w.stack.state
    return {"endpoint": st["endpoint"], "insecure": True, "auth_type": "ClientSecret", "client_id": st["service_client_id"],
            "client_secret_env_var": "VERDICT_SECRET", "keyring": False, "kernel_keyring": "off"}


def without_libcurl(w):
    assert os.path.exists(SHIM), "Tests/coherence/run.sh builds %s" % SHIM
    return dict(w.env(False), LD_PRELOAD=SHIM, FLYTEAUTH_TEST_HIDE_LIBRARY="libcurl",
                VERDICT_SECRET=w.stack.state["service_client_secret"])


def test_a_missing_libcurl_is_named_once_with_its_package_and_exit_status_8(world):
    env = without_libcurl(world)
    s = json.dumps(client_credentials(world))
    for cmd in (["token"], ["status"], ["whoami"]):
        p = subprocess.run([TOOL] + cmd + ["--settings", s], env=env, capture_output=True, text=True, timeout=TIMEOUT)
        assert p.returncode == 8, (cmd, p.returncode, p.stderr[-600:])
        assert p.stderr.count("libcurl could not be loaded") == 1 and "libcurl4" in p.stderr, p.stderr
        assert "Flyte endpoint" not in p.stderr and "serves no OAuth2 metadata" not in p.stderr, p.stderr
    d = subprocess.run([TOOL, "doctor", "--settings", s], env=env, capture_output=True, text=True, timeout=TIMEOUT)
    assert d.returncode == 8, d.stdout[-1500:]
    assert "libcurl4" in d.stdout
    code = ("import json, sys, flyteauth\n"
            "with flyteauth.Client(json.loads(sys.argv[1])) as c:\n"
            "    try:\n"
            "        c.token(); print('served')\n"
            "    except flyteauth.FlyteAuthError as e:\n"
            "        print(json.dumps({'error': type(e).__name__, 'message': str(e)}))\n")
    b = subprocess.run([sys.executable, "-c", code, s], env=env, capture_output=True, text=True, timeout=TIMEOUT)
    out = json.loads(b.stdout.splitlines()[-1])
    assert "libcurl4" in out["message"] and out["message"].count("libcurl could not be loaded") == 1, out


def test_with_libcurl_every_command_agrees_a_call_works(world):
    env = dict(world.env(False), VERDICT_SECRET=world.stack.state["service_client_secret"])
    s = json.dumps(client_credentials(world))
    # (whoami: the IdP's userinfo knows no user behind a client-credentials token.)
    for cmd in (["token"], ["token", "--refresh"], ["status"], ["doctor"]):
        p = subprocess.run([TOOL] + cmd + ["--settings", s], env=env, capture_output=True, text=True, timeout=TIMEOUT)
        assert p.returncode == 0, (cmd, p.stderr[-600:], p.stdout[-600:])


def test_without_a_login_every_command_says_login_required_with_exit_status_5(world):
    world.cli(["logout"], False)
    for cmd in (["token"], ["token", "--refresh"], ["status"], ["whoami"]):
        p = world.cli(cmd, False, check=False)
        assert p.returncode == 5, (cmd, p.returncode, p.stderr[-600:])
        assert "interactive" not in p.stderr, "in the user's words: %s" % p.stderr
    d = world.cli(["doctor"], False, check=False)
    assert d.returncode == 5, d.stdout[-1500:]
