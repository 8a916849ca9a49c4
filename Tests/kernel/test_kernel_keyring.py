"""The kernel keyring tier against the real kernel, a real glewlwyd and a real gnome-keyring.

Run by Tests/kernel/run.sh inside `keyctl session -`: every process here shares that
anonymous session keyring and the tier is set to `session`, so the user's own
persistent and user keyrings are never touched. Each test starts from an empty session
keyring and removes what it created.
"""
import json
import os
import re
import subprocess
import sys
import textwrap
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
E2E = os.path.join(ROOT, "Tests", "e2e")
sys.path.insert(0, E2E)

from harness import KeyringSession, start_stack  # noqa: E402
from harness.netutil import listen_port  # noqa: E402

STAGE = os.path.join(ROOT, "build", "stage")
LIB = os.path.join(STAGE, "lib", "libflyteauth.so.0")
TOOLS = os.environ.get("FLYTEAUTH_KERNEL_TEST_TOOLS", os.path.join(ROOT, "build", "tests"))
DRIVER = os.path.join(E2E, "cache_driver.py")
# Libraries a process whose token comes from the kernel tier must not map.
TOKEN_SECONDS = 8
LAZY = ("libsecret", "libglib", "libgio", "libgobject", "libgcrypt", "libcrypto", "libyaml", "libcurl", "libssl")


def keyctl(*args, check=True):
    p = subprocess.run(["keyctl"] + list(args), capture_output=True, text=True, timeout=30)
    if check:
        assert p.returncode == 0, p.stderr
    return p


def our_keys():
    """Serials of libflyteauth's keys in the session keyring."""
    out = []
    for serial in keyctl("rlist", "@s").stdout.split():
        d = keyctl("rdescribe", serial, check=False).stdout.strip()
        if d.startswith("user;") and d.split(";", 4)[-1].startswith("flyteauth:"):
            out.append(serial)
    return out


@pytest.fixture(autouse=True)
def clean_session_keyring():
    # Only ever the anonymous session keyring `keyctl session -` made, never the user's.
    assert keyctl("rdescribe", "@s").stdout.strip().endswith(";_ses"), "run inside `keyctl session -` (Tests/kernel/run.sh)"
    assert our_keys() == []
    yield
    keyctl("clear", "@s")


@pytest.fixture(scope="module")
def redirect_port():
    return listen_port()


@pytest.fixture(scope="module")
def stack(redirect_port):
    # 8 s tokens: short enough to wait for their end, long enough for a loaded machine.
    s = start_stack(access_token_duration=TOKEN_SECONDS, redirect_ports=[redirect_port])
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture
def session():
    with KeyringSession() as s:
        yield s


def settings(stack, port, cache_dir, **extra):
    s = {"endpoint": stack.endpoint, "insecure": True, "auth_type": "Pkce", "kernel_keyring": "session",
         "redirect_uri": "http://localhost:%d/callback" % port, "cache_dir": cache_dir}
    s.update(extra)
    return s


def no_dbus(env):
    """D-Bus unreachable: a bus address where nothing listens."""
    env = dict(env)
    env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=/nonexistent/flyteauth-test-bus"
    return env


def driver(env, cfg, *args, check=True, preload=None):
    env = dict(env)
    env["PYTHONPATH"] = E2E
    if preload:
        env["LD_PRELOAD"] = preload
    p = subprocess.run([sys.executable, DRIVER, json.dumps(cfg)] + [str(a) for a in args], cwd=E2E, env=env,
                       capture_output=True, text=True, timeout=90)
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    out = json.loads(lines[-1]) if lines else {"ok": False}
    out["stderr"] = p.stderr
    if check:
        assert p.returncode == 0 and out.get("ok", True), "driver %s failed: %s %s" % (args[0], out.get("message"), p.stderr[-800:])
    return out


def status(env, cfg, preload=None):
    return driver(env, dict(cfg, interactive=False), "status-after-header", preload=preload)


def tier(st, name):
    return next(t for t in st["cache_tiers"] if t["name"] == name)


def key_description(stack):
    host = stack.endpoint.split("://", 1)[1].lower()
    return "flyteauth:%s %s" % (host, stack.state["public_client_id"])


def key_timeout(serial):
    """Seconds until the kernel times the key out (/proc/keys), checked to follow the token."""
    line = next(l for l in open("/proc/keys").read().splitlines() if l.split()[0] == format(int(serial), "08x"))
    timeout = line.split()[3]
    assert timeout.endswith("s") and 0 < int(timeout[:-1]) <= TOKEN_SECONDS, "timeout %s follows the token" % timeout
    return int(timeout[:-1])


def maps_of(env, cfg):
    p = subprocess.run([os.path.join(TOOLS, "maps_header"), json.dumps(cfg)], env=env, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout.split("maps:\n", 1)[1].split()


def test_a_second_process_gets_the_token_from_the_kernel_with_the_idp_stopped_and_no_dbus(redirect_port, session):
    s = start_stack(access_token_duration=60, redirect_ports=[redirect_port])
    try:
        cfg = settings(s, redirect_port, os.path.join(session.home, ".cache", "flyteauth"))
        env = dict(session.env(), DRIVER_ALLOW_BROWSER="1")
        first = driver(env, cfg, "login")
        assert len(our_keys()) == 1, "the login is in the kernel tier"
        desc = keyctl("rdescribe", our_keys()[0]).stdout.strip()
        perm = int(desc.split(";")[3], 16)
        assert perm == 0x3F000000, "possessor only, nothing for user, group or other: %x" % perm
    finally:
        s.stop()
    # The IdP and the front are gone; D-Bus is unreachable.
    env = no_dbus(session.env())
    second = driver(env, dict(cfg, interactive=False), "header")
    assert second["sha"] == first["sha"] and second["source"] == "cache"
    assert second["stderr"] == "", "nothing to say: %s" % second["stderr"][-400:]
    st = driver(env, dict(cfg, interactive=False), "status-after-header")
    assert st["token_tier"] == "kernel"
    assert tier(st, "kernel")["available"] is True and tier(st, "secret_service")["available"] is None
    # `flyteauth status` says where the token came from and which tiers there are.
    tool = subprocess.run([os.path.join(STAGE, "bin", "flyteauth"), "status", "--settings", json.dumps(cfg)], env=env,
                          capture_output=True, text=True, timeout=60)
    assert tool.returncode == 0, tool.stderr
    assert re.search(r"^  kernel keyring +holds the token \(served it\)", tool.stdout, re.M), tool.stdout
    assert re.search(r"^  Secret Service +not read this time", tool.stdout, re.M), tool.stdout
    assert re.search(r"^  file cache +off", tool.stdout, re.M), tool.stdout
    # With the Secret Service reachable, its copy is named, not called "not used" (a
    # generous keyring deadline: this asserts the words, not how fast a loaded bus is).
    tool = subprocess.run([os.path.join(STAGE, "bin", "flyteauth"), "status", "--settings",
                           json.dumps(dict(cfg, keyring_timeout_seconds=60))],
                          env=session.env(), capture_output=True, text=True, timeout=60)
    assert tool.returncode == 0, tool.stderr
    assert re.search(r"^  kernel keyring +holds the token \(served it\)", tool.stdout, re.M), tool.stdout
    assert re.search(r"^  Secret Service +holds this login .*\(not read: the kernel keyring served it\)", tool.stdout, re.M), tool.stdout
    # The warm path maps none of the libraries loaded on first use.
    mapped = maps_of(env, dict(cfg, interactive=False))
    assert any("libflyteauth" in m for m in mapped)
    loaded = [m for m in mapped if any(os.path.basename(m).startswith(l) for l in LAZY)]
    assert loaded == [], "mapped on the warm path: %s" % loaded


def test_the_kernel_drops_the_key_at_the_tokens_end_and_the_next_call_refreshes_once(stack, redirect_port, session):
    cfg = settings(stack, redirect_port, os.path.join(session.home, ".cache", "flyteauth"))
    first = driver(dict(session.env(), DRIVER_ALLOW_BROWSER="1"), cfg, "login")
    [serial] = our_keys()
    # The kernel's own timeout: the key goes at the token's usable end.
    left = key_timeout(serial)
    time.sleep(left + 1)  # waiting for the token to end is what this test is about
    assert keyctl("print", serial, check=False).returncode != 0, "the kernel no longer hands out the key"
    refreshes = stack.front.token_requests("refresh_token")
    later = driver(session.env(), dict(cfg, interactive=False), "header")
    assert later["sha"] != first["sha"] and later["browser_calls"] == 0
    assert stack.front.token_requests("refresh_token") == refreshes + 1, "one refresh"
    # The refreshed token is back in the kernel tier, timed out at its usable end.
    [serial] = our_keys()
    key_timeout(serial)
    third = driver(no_dbus(session.env()), dict(cfg, interactive=False), "header")
    assert third["sha"] == later["sha"]


def test_logout_clears_every_tier(stack, redirect_port, session):
    cfg = settings(stack, redirect_port, os.path.join(session.home, ".cache", "flyteauth"))
    driver(dict(session.env(), DRIVER_ALLOW_BROWSER="1"), cfg, "login")
    assert len(our_keys()) == 1
    driver(session.env(), cfg, "logout")
    assert our_keys() == []
    gone = driver(session.env(), dict(cfg, interactive=False), "header", check=False)
    assert not gone["ok"] and "login" in gone["message"].lower()


def test_a_refused_refresh_token_clears_every_tier(stack, redirect_port, session):
    cfg = settings(stack, redirect_port, os.path.join(session.home, ".cache", "flyteauth"))
    driver(dict(session.env(), DRIVER_ALLOW_BROWSER="1"), cfg, "login")
    assert len(our_keys()) == 1
    host = stack.endpoint.split("://", 1)[1].lower()
    stack.front.fail_next(n=1, status=400, body='{"error":"invalid_grant"}', grant_type="refresh_token")
    # The token is still valid: a rejected one forces the refresh the IdP refuses.
    gone = driver(session.env(), dict(cfg, interactive=False), "storm", 1, 0, "rejected", check=False)
    assert gone["errors"], "no login without interaction"
    assert our_keys() == [], "the kernel tier no longer holds the refused login"
    left = subprocess.run(["secret-tool", "search", "--all", "service", "flyteauth:" + host], env=session.env(),
                          capture_output=True, text=True, timeout=30)
    assert "flyteauth:" not in left.stdout + left.stderr, "nor the Secret Service"


def test_a_refused_keyctl_falls_through_to_the_secret_service_silently(stack, redirect_port, session):
    shim = os.path.join(TOOLS, "keyctl_eperm.so")
    cfg = settings(stack, redirect_port, os.path.join(session.home, ".cache", "flyteauth"))
    first = driver(dict(session.env(), DRIVER_ALLOW_BROWSER="1"), cfg, "login", preload=shim)
    assert first["stderr"] == "", first["stderr"][-400:]
    assert our_keys() == [], "nothing reached the kernel"
    before = stack.front.token_requests()
    second = driver(session.env(), dict(cfg, interactive=False), "header", preload=shim)
    assert second["sha"] == first["sha"] and second["stderr"] == ""
    assert stack.front.token_requests() == before
    st = status(session.env(), cfg, preload=shim)
    assert st["token_tier"] == "secret_service"
    kernel = tier(st, "kernel")
    assert kernel["available"] is False and "not permitted" in kernel["detail"]


def test_headless_a_device_login_is_shared_between_processes_with_no_file_under_home(stack, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    cache_dir = tmp_path / "cache"
    env = {k: v for k, v in os.environ.items() if k not in ("DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY")}
    env.update(HOME=str(home), XDG_RUNTIME_DIR=str(tmp_path), PYTHONPATH=os.pathsep.join(
        [os.path.join(ROOT, "bindings", "python", "src"), E2E]), FLYTEAUTH_LIBRARY=LIB)
    cfg = {"endpoint": stack.endpoint, "insecure": True, "auth_type": "DeviceFlow", "kernel_keyring": "session",
           "cache_dir": str(cache_dir)}
    login = textwrap.dedent("""
        import json, subprocess, sys
        import flyteauth
        settings, idp = json.loads(sys.argv[1]), sys.argv[2]
        def approve(prompt):
            subprocess.Popen([sys.executable, "-m", "harness", "approve-device", "--code", prompt.user_code,
                              "--idp", idp], stdout=subprocess.DEVNULL)
        with flyteauth.Client(settings) as client:
            client.on_device_prompt(approve)
            client.login()
            print(json.dumps({"tail": client.metadata()[0][1][-12:]}))
    """)
    r = subprocess.run([sys.executable, "-c", login, json.dumps(cfg), stack.state["idp"]], env=env, cwd=E2E,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    tail = json.loads(r.stdout.strip().splitlines()[-1])["tail"]
    before = stack.front.token_requests()
    c = maps_of(env, dict(cfg, interactive=False))
    assert stack.front.token_requests() == before, "the second process used the first one's login"
    assert not any(os.path.basename(m).startswith("libsecret") for m in c)
    st = driver(env, dict(cfg, interactive=False), "status-after-header")
    assert st["token_tier"] == "kernel" and tier(st, "secret_service")["available"] is None, "never asked"
    assert [str(p) for p in home.rglob("*")] == [], "nothing written under HOME"
    for f in cache_dir.rglob("*"):
        if f.is_file():
            assert tail not in f.read_text(errors="replace"), "the token is in no file"


@pytest.fixture
def nobody_dir():
    """A directory the unprivileged user can write (pytest's tmp_path is root's 0700),
    beside copies of the driver and the library it loads: the checkout may itself be
    under a directory only root can enter (a fresh clone in mktemp -d)."""
    import pathlib
    import shutil
    import tempfile
    d = pathlib.Path(tempfile.mkdtemp(prefix="flyteauth-quota-"))
    os.chmod(d, 0o755)
    tools = d / "tools"
    tools.mkdir(mode=0o755)
    shutil.copy(DRIVER, tools / "cache_driver.py")
    shutil.copy(os.path.realpath(LIB), tools / "libflyteauth.so.0")
    for f in tools.iterdir():
        os.chmod(f, 0o644)
    work = d / "nobody"
    work.mkdir()
    os.chown(work, 65534, 65534)
    try:
        yield work
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_over_quota_the_tier_is_unavailable_and_the_file_cache_serves(stack, nobody_dir):
    # A non-root user (quota: maxkeys 200, maxbytes 20000) whose session keyring is full.
    uid = 65534
    work = nobody_dir
    cfg = {"endpoint": stack.endpoint, "insecure": True, "auth_type": "ClientSecret", "kernel_keyring": "session",
           "client_id": stack.state["service_client_id"], "client_secret": stack.state["service_client_secret"],
           "scopes": ["all"], "keyring": False, "file_cache": True, "file_cache_path": str(work / "tokens.json"),
           "cache_dir": str(work / "cache")}
    script = textwrap.dedent("""
        set -u
        # Fill the quota: big keys, then small ones, until the kernel says EDQUOT.
        i=0; while head -c 1000 /dev/zero | keyctl padd user "fill-$i" @s >/dev/null 2>&1; do i=$((i+1)); done
        while keyctl add user "fill-$i" x @s >/dev/null 2>&1; do i=$((i+1)); done
        head -c 100 /dev/zero | keyctl padd user probe @s 2>&1 | grep -q "quota" || { echo "quota not full"; exit 3; }
        "$PY" "$DRIVER" "$CFG" header || exit 4
        "$PY" "$DRIVER" "$CFG" header || exit 5
        "$PY" "$DRIVER" "$CFG" status-after-header || exit 6
    """)
    # The system Python: the venv's interpreter lives under root's home. The driver needs
    # only the standard library.
    tools = work.parent / "tools"
    env = {"PATH": os.environ["PATH"], "HOME": str(work), "PY": "/usr/bin/python3",
           "DRIVER": str(tools / "cache_driver.py"), "CFG": json.dumps(cfg),
           "FLYTEAUTH_LIBRARY": str(tools / "libflyteauth.so.0")}
    p = subprocess.run(["setpriv", "--reuid=%d" % uid, "--regid=%d" % uid, "--clear-groups",
                        "keyctl", "session", "-", "sh", "-c", script], env=env, cwd=str(work), capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stdout[-1000:] + p.stderr[-1000:]
    lines = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
    first, second, st = lines
    assert first["source"] == "idp" and second["source"] == "cache" and second["sha"] == first["sha"]
    assert st["token_tier"] == "file"
    kernel = tier(st, "kernel")
    assert kernel["available"] is False and "quota" in kernel["detail"]
    assert "warning" not in p.stderr, p.stderr[-400:]
