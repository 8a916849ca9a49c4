"""A token of unknown lifetime is checked, not assumed.

flytekit and flyte-sdk store no expiry. An opaque access token in flytekit's layout (a
reference token: the Flyte front stands in for a gateway that translates it at Flyte's
identity endpoints) has no lifetime libflyteauth could read. Without a refresh token it
is checked with one request before it is first served: served when accepted (its expiry
shown as unknown), never when refused; `token`, `status`, `whoami` and the Python
binding agree, and nothing made up is written into another tool's layout. With a refresh
token it is refreshed once. The kernel tier is on (this session's keyring).
"""
import json
import subprocess
import sys

import pytest

from world import TIMEOUT, World, sha

KERNEL = True


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = World(str(tmp_path_factory.mktemp("unknown-lifetime")), 600)
    try:
        yield w
    finally:
        w.stop()


def real_login(w):
    """A fresh login's access and refresh tokens; afterwards nothing is stored anywhere."""
    w.cli(["logout"], KERNEL)
    w.cli(["login"], KERNEL)
    access, refresh = w.layouts()["libflyteauth"]
    w.cli(["logout"], KERNEL)
    assert all(v == (None, None) for v in w.layouts().values())
    return access, refresh


def plant(w, access, refresh=None):
    w.tools["flytekit"]("plant", access_token=access, refresh_token=refresh)


def binding(w):
    code = ("import json, sys, hashlib, flyteauth\n"
            "with flyteauth.Client(json.loads(sys.argv[1])) as c:\n"
            "    try:\n"
            "        t = c.token()\n"
            "    except flyteauth.FlyteAuthError as e:\n"
            "        print(json.dumps({'ok': False, 'error': type(e).__name__, 'status': c.status().get('has_token')}))\n"
            "        sys.exit(0)\n"
            "    s = c.status()\n"
            "    print(json.dumps({'ok': True, 'sha': hashlib.sha256(t.access_token.encode()).hexdigest()[:12],\n"
            "                      'expires_at': None if t.expires_at is None else t.expires_at.timestamp(),\n"
            "                      'status_expires_at': s.get('expires_at')}))\n")
    p = subprocess.run([sys.executable, "-c", code, json.dumps(w.settings)], env=w.env(KERNEL), capture_output=True,
                       text=True, timeout=TIMEOUT)
    assert p.returncode == 0, p.stderr[-1500:]
    return json.loads(p.stdout.splitlines()[-1])


def flytectl_item(w):
    p = subprocess.run(["secret-tool", "lookup", "service", "flytectl", "username", w.stack.endpoint + ":flytectl-user"],
                       env=w.session.env(), capture_output=True, text=True, timeout=30)
    return json.loads(p.stdout) if p.stdout else None


def test_an_accepted_opaque_token_without_refresh_token_is_served_with_an_unknown_expiry(world):
    access, _ = real_login(world)
    ref = world.stack.front.reference_token(access)
    plant(world, ref)
    before = world.stack.front.path_requests("/flyteidl2.auth.IdentityService/UserInfo") + world.stack.front.path_requests("/me")
    p = world.cli(["token"], KERNEL)
    assert p.stdout.strip() == ref
    checks = world.stack.front.path_requests("/flyteidl2.auth.IdentityService/UserInfo") + world.stack.front.path_requests("/me") - before
    assert checks >= 1, "checked with a request before it was served"
    s = world.cli(["status"], KERNEL)
    assert "expires         unknown" in s.stdout and "logged in" in s.stdout and "min" not in s.stdout.split("expires", 1)[1].split("\n", 1)[0]
    b = binding(world)
    assert b["ok"] and b["sha"] == sha(ref) and b["expires_at"] is None and b["status_expires_at"] is None
    item = flytectl_item(world)
    assert item is None or (item["expiry"] == "0001-01-01T00:00:00Z" and "expires_in" not in item), \
        "no made-up expiry in flytectl's item: %s" % {k: v for k, v in (item or {}).items() if "token" not in k}
    assert world.cli(["whoami"], KERNEL).returncode == 0


def test_a_refused_opaque_token_without_refresh_token_is_never_served(world):
    real_login(world)
    plant(world, "ref-0123456789abcdef-not-issued")
    for _ in range(2):  # the second run too: nothing was recorded that would serve it
        p = world.cli(["token"], KERNEL, check=False)
        assert p.returncode == 5 and p.stdout == "", (p.returncode, p.stderr[-500:])
    s = world.cli(["status"], KERNEL, check=False)
    assert s.returncode == 5 and "not logged in" in s.stdout
    w = world.cli(["whoami"], KERNEL, check=False)
    assert w.returncode == 5 and w.stdout == ""
    d = world.cli(["doctor"], KERNEL, check=False)
    assert d.returncode != 0 and "A call would work" not in d.stdout
    b = binding(world)
    assert not b["ok"] and b["error"] == "AccessTokenNotFoundError"
    layouts = world.layouts()
    assert layouts["libflyteauth"] == (None, None) and flytectl_item(world) is None, "nothing written"
    assert layouts["flyte-sdk"] == (None, None)


@pytest.mark.parametrize("accepted", [True, False], ids=["accepted", "refused"])
@pytest.mark.parametrize("reader", ["cli", "binding"])
def test_an_opaque_token_with_refresh_token_is_refreshed_once(world, accepted, reader):
    access, refresh = real_login(world)
    opaque = world.stack.front.reference_token(access) if accepted else "ref-fedcba9876543210-not-issued"
    plant(world, opaque, refresh)
    before = world.stack.front.token_requests("refresh_token")
    got = sha(world.cli(["token"], KERNEL).stdout.strip()) if reader == "cli" else binding(world)["sha"]
    assert got != sha(opaque), "refreshed before it was served"
    assert world.stack.front.token_requests("refresh_token") - before == 1
    assert world.stack.front.refresh_stats()["stale"] == 0
