"""Hardening that needs real servers or a real file system: sub-millisecond timeouts are
real deadlines, a read-only lock directory costs one warning and no tokens, the PKCE
callback page reaches the browser every time, the device flow ends at its deadline, and
the small ones: http_status on a 2xx with a bad body, one fallback warning without
D-Bus, no "opt in to the file cache" advice when the file cache is the one that is full."""
import ctypes
import json
import os
import subprocess
import sys
import threading
import time

import pytest

import cache_driver as cd
from harness import start_stack, user
from harness.faultfront import FaultFront
from harness.netutil import listen_port

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.geteuid() == 0


def _can_mount():
    """A private mount namespace with a tmpfs (root with CAP_SYS_ADMIN, as in CI here)."""
    if not ROOT:
        return False
    try:
        r = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=4k tmpfs /mnt"], capture_output=True, timeout=20)
        return r.returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


CAN_MOUNT = _can_mount()


@pytest.fixture(scope="module")
def env():
    port = listen_port()
    stack = start_stack(access_token_duration=600, redirect_ports=[port])
    ff = FaultFront({"/idp/": stack.idp.url, "/": stack.front.url}).start()
    try:
        yield {"stack": stack, "ff": ff, "port": port}
    finally:
        ff.stop()
        stack.stop()


def service(env, tmp_path, **extra):
    s = {"endpoint": env["stack"].endpoint, "insecure": True, "auth_type": "ClientSecret",
         "client_id": env["stack"].state["service_client_id"], "client_secret": env["stack"].state["service_client_secret"],
         "scopes": ["all"], "keyring": False, "cache_dir": str(tmp_path / "cache")}
    s.update(extra)
    return s


def last_error():
    e = cd.lib.flyteauth_error_last().contents
    return e.status, (e.message or b"").decode(errors="replace"), e.http_status


# ---- every timeout is a real deadline ----------------------------------------------

@pytest.mark.parametrize("key", ["http_timeout_seconds", "connect_timeout_seconds"])
def test_a_sub_millisecond_timeout_is_a_config_error_not_no_timeout(env, tmp_path, key):
    c = ctypes.c_void_p()
    s = service(env, tmp_path, **{key: 0.0004})
    st = cd.lib.flyteauth_client_new(json.dumps(s).encode(), ctypes.byref(c))
    if st == 0:
        cd.lib.flyteauth_client_free(c)
    status, message, _ = last_error()
    assert st == 2 and key in message, (st, message)


def test_a_one_millisecond_timeout_still_times_out_against_a_silent_server(env, tmp_path):
    ff = env["ff"]
    ff.inject("silence", match="token")
    try:
        # No endpoint (no discovery): the one request is to the silent token endpoint.
        c = cd.new_client({"auth_type": "ClientSecret", "client_id": "x", "client_secret": "s", "scopes": ["all"],
                           "token_url": ff.url + "/oauth2/token", "authorization_header": "authorization",
                           "http_timeout_seconds": 0.001, "keyring": False})
        t0 = time.monotonic()
        md = ctypes.POINTER(cd.Metadata)()
        st = cd.lib.flyteauth_client_metadata(c, ctypes.byref(md))
        elapsed = time.monotonic() - t0
        status, message, _ = last_error()
        cd.lib.flyteauth_client_free(c)
    finally:
        ff.clear()
    assert st in (3, 4) and elapsed < 5, (st, message, elapsed)


# ---- a driver process, for environment and mount changes --------------------------

DRIVER = r"""
import ctypes, json, sys
sys.path.insert(0, %r)
import cache_driver as cd
LOG = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p)
cd.lib.flyteauth_client_set_log_callback.argtypes = [ctypes.c_void_p, LOG, ctypes.c_void_p, ctypes.c_int]
lines = []
@LOG
def log(_u, level, msg):
    if level >= 2:
        lines.append(msg.decode())
c = cd.new_client(json.loads(sys.argv[1]))
cd.lib.flyteauth_client_set_log_callback(c, log, None, 2)
out = []
for op in sys.argv[2].split(","):
    md = ctypes.POINTER(cd.Metadata)()
    st = cd.lib.flyteauth_client_metadata(c, ctypes.byref(md)) if op == "header" else \
        cd.lib.flyteauth_client_refresh(c, None, ctypes.byref(md))
    e = cd.lib.flyteauth_error_last()
    out.append([st, e.contents.message.decode() if st else ""])
    if st == 0:
        cd.lib.flyteauth_metadata_free(md)
cd.lib.flyteauth_client_free(c)
print(json.dumps({"results": out, "warnings": lines}))
""" % HERE


def drive(settings, ops, env_changes=None, mount=None):
    """Runs DRIVER in a new process; `mount` = (fstype options, directory) mounts a tmpfs
    there first, in a private mount namespace (root only)."""
    environ = dict(os.environ)
    environ.pop("XDG_RUNTIME_DIR", None)  # the lock directory is then cache_dir/locks
    environ.update(env_changes or {})
    argv = [sys.executable, "-c", DRIVER, json.dumps(settings), ops]
    if mount:
        options, directory = mount
        argv = ["unshare", "-m", "sh", "-c", 'mount -t tmpfs -o "$1" tmpfs "$2" && shift 2 && exec "$@"', "sh",
                options, directory] + argv
    r = subprocess.run(argv, env=environ, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


# ---- a lock directory that cannot be written ---------------------------------------

def test_a_read_only_lock_directory_means_one_warning_and_tokens(env, tmp_path):
    locks = tmp_path / "cache" / "locks"
    locks.mkdir(parents=True)
    settings = service(env, tmp_path)
    if CAN_MOUNT:
        out = drive(settings, "header,refresh,header", mount=("ro,size=64k", str(locks)))
    elif not ROOT:
        locks.chmod(0o500)
        out = drive(settings, "header,refresh,header")
    else:
        # Root ignores modes and cannot mount here: `locks` as a file cannot be opened either.
        locks.rmdir()
        locks.write_text("")
        out = drive(settings, "header,refresh,header")
    assert [r[0] for r in out["results"]] == [0, 0, 0], out["results"]
    lock_warnings = [w for w in out["warnings"] if "lock" in w]
    assert len(lock_warnings) == 1 and "not coordinated" in lock_warnings[0], out["warnings"]


# ---- the PKCE callback page ----------------------------------------------------------

def test_twenty_logins_in_a_row_each_deliver_the_callback_page(env, tmp_path):
    """The page is read in full (status and body) by a browser thread while the login
    returns: the listener must not stop before the page is sent."""
    settings = {"endpoint": env["stack"].endpoint, "insecure": True, "auth_type": "Pkce", "keyring": False,
                "redirect_uri": "http://localhost:%d/callback" % env["port"], "cache_dir": str(tmp_path / "cache")}
    pages = []

    def browse(url, deny):
        try:
            pages.append((user.deny_pkce if deny else user.approve_pkce)(url))
        except Exception as e:  # an empty reply: the defect
            pages.append(("error", repr(e)))

    for i in range(30):
        deny = i >= 20  # 20 approvals, then 10 refusals (error=access_denied)
        threads = []

        @cd.BROWSER
        def opener(_ud, url, deny=deny, threads=threads):
            t = threading.Thread(target=browse, args=(url.decode(), deny))
            t.start()
            threads.append(t)
            return 0

        c = cd.new_client(settings)
        cd.lib.flyteauth_client_set_browser_callback(c, opener, None)
        rc = cd.lib.flyteauth_client_login(c)
        status, message, _ = last_error() if rc else (0, "", 0)
        cd.lib.flyteauth_client_free(c)
        for t in threads:
            t.join(timeout=20)
        assert rc == (6 if deny else 0), (i, rc, message)
        got = pages[-1]
        want = (400, "Login cancelled") if deny else (200, "Logged in")
        assert got[0] == want[0] and want[1] in got[1] and got[1].rstrip().endswith("</html>"), (i, got)
    assert len(pages) == 30


# ---- the device flow's deadline -----------------------------------------------------

def test_device_flow_ends_at_its_deadline_naming_the_silent_token_endpoint(env, tmp_path):
    ff = env["ff"]
    stack = env["stack"]
    device_path = stack.state["device_authorization_endpoint"].split(stack.idp.url, 1)[1]
    ff.inject("silence", match="token", grant_type="urn:ietf:params:oauth:grant-type:device_code")
    try:
        c = cd.new_client({"endpoint": stack.endpoint, "insecure": True, "auth_type": "DeviceFlow", "keyring": False,
                           "cache_dir": str(tmp_path / "cache"), "token_url": ff.url + "/oauth2/token",
                           "device_authorization_endpoint": ff.url + "/idp" + device_path,
                           "device_flow_timeout_seconds": 6})
        prompt = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int64)
        cd.lib.flyteauth_client_set_device_prompt_callback.argtypes = [ctypes.c_void_p, prompt, ctypes.c_void_p]
        quiet = prompt(lambda *a: None)
        cd.lib.flyteauth_client_set_device_prompt_callback(c, quiet, None)
        t0 = time.monotonic()
        rc = cd.lib.flyteauth_client_login(c)
        elapsed = time.monotonic() - t0
        status, message, _ = last_error()
        cd.lib.flyteauth_client_free(c)
        polled = [s for s in ff.faulted()]
    finally:
        ff.clear()
    assert polled, "the token endpoint was never polled"
    # The old code took 31 s (a poll with the 30 s http timeout); the margin is for a loaded machine.
    assert rc == 4 and elapsed < 6 + 6, (rc, elapsed, message)
    assert "token endpoint" in message and ff.url + "/oauth2/token" in message and "not approved" not in message, message


# ---- errors that say what failed -----------------------------------------------------

def test_http_status_is_set_for_a_2xx_with_a_bad_body(env, tmp_path):
    ff = env["ff"]
    ff.inject("garbage", match="token")
    try:
        c = cd.new_client(service(env, tmp_path, token_url=ff.url + "/oauth2/token"))
        md = ctypes.POINTER(cd.Metadata)()
        rc = cd.lib.flyteauth_client_metadata(c, ctypes.byref(md))
        status, message, http_status = last_error()
        cd.lib.flyteauth_client_free(c)
    finally:
        ff.clear()
    assert rc == 5 and http_status == 200 and "not valid JSON" in message, (rc, http_status, message)


def test_without_dbus_the_file_cache_fallback_warns_once(env, tmp_path):
    settings = service(env, tmp_path, keyring=True, file_cache=True, file_cache_path=str(tmp_path / "tokens.json"))
    out = drive(settings, "header,refresh,header", {"DBUS_SESSION_BUS_ADDRESS": "unix:path=%s/no-bus" % tmp_path})
    assert [r[0] for r in out["results"]] == [0, 0, 0], out["results"]
    assert len(out["warnings"]) == 1 and "tokens.json" in out["warnings"][0], out["warnings"]
    assert os.path.exists(tmp_path / "tokens.json")


@pytest.mark.skipif(not CAN_MOUNT, reason="a full file system needs a tmpfs in a private mount namespace (root, unshare)")
def test_a_full_file_cache_does_not_advise_opting_in_to_it(env, tmp_path):
    full = tmp_path / "full"
    full.mkdir()
    settings = service(env, tmp_path, file_cache=True, file_cache_path=str(full / "tokens.json"))
    # A 4 KB tmpfs filled before the library writes: every save fails with ENOSPC.
    out = _drive_full(settings, full)
    assert out["results"][0][0] == 0, out["results"]
    cache_warnings = [w for w in out["warnings"] if "tokens.json" in w]
    assert len(cache_warnings) == 1 and "space" in cache_warnings[0], out["warnings"]
    assert "opt in" not in cache_warnings[0] and "FLYTEAUTH_FILE_CACHE" not in cache_warnings[0], cache_warnings


def _drive_full(settings, full):
    environ = dict(os.environ)
    environ.pop("XDG_RUNTIME_DIR", None)
    script = 'mount -t tmpfs -o size=4k tmpfs "$1" && (head -c 1M /dev/zero > "$1/filler" 2>/dev/null; true) && shift && exec "$@"'
    argv = ["unshare", "-m", "sh", "-c", script, "sh", str(full), sys.executable, "-c", DRIVER, json.dumps(settings), "header"]
    r = subprocess.run(argv, env=environ, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


# ---- defects 5 and 6, seen through the C ABI ------------------------------------

def test_server_text_reaches_the_error_without_control_characters(env, tmp_path):
    ff = env["ff"]
    body = b'{"error":"invalid_client\\u001b[2J","error_description":"\\u001b[31mcall +1 555\\r\\nnow\\u0007' + b"x" * 2000 + b'"}'
    ff.inject("custom", match="token", status=401, body=body)
    try:
        c = cd.new_client(service(env, tmp_path, token_url=ff.url + "/oauth2/token"))
        md = ctypes.POINTER(cd.Metadata)()
        rc = cd.lib.flyteauth_client_metadata(c, ctypes.byref(md))
        e = cd.lib.flyteauth_error_last().contents
        texts = [(e.message or b"").decode(), (e.oauth_error or b"").decode(), (e.oauth_error_description or b"").decode()]
        cd.lib.flyteauth_client_free(c)
    finally:
        ff.clear()
    assert rc == 6, texts
    for text in texts:
        assert not any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text), repr(text[:200])
    assert "\\u001b[31mcall" in texts[0] and len(texts[2]) <= 303, texts[2][:80]


@pytest.mark.parametrize("expires_in,lifetime", [("1e308", 365 * 86400), ("-1e308", 0), ("0", 0)])
def test_absurd_lifetimes_are_never_never_expiring(env, tmp_path, expires_in, lifetime):
    ff = env["ff"]
    ff.inject("custom", match="token", body=b'{"access_token":"opaque-token-value","token_type":"Bearer","expires_in":%s}'
              % expires_in.encode())
    try:
        c = cd.new_client(service(env, tmp_path, token_url=ff.url + "/oauth2/token"))
        md = ctypes.POINTER(cd.Metadata)()
        now = time.time()
        rc = cd.lib.flyteauth_client_metadata(c, ctypes.byref(md))
        expires_at = md.contents.expires_at if rc == 0 else None
        if rc == 0:
            cd.lib.flyteauth_metadata_free(md)
        cd.lib.flyteauth_client_free(c)
    finally:
        ff.clear()
    assert rc == 0 and expires_at is not None and abs(expires_at - (now + lifetime)) < 30, (rc, expires_at, now)


# ---- rate limits ------------------------------------------------------------------

def test_a_429_with_retry_after_then_200_succeeds_and_the_retry_is_logged(env, tmp_path):
    ff = env["ff"]
    ff.inject("429_then_ok", match="token", grant_type="client_credentials")
    log_type = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p)
    cd.lib.flyteauth_client_set_log_callback.argtypes = [ctypes.c_void_p, log_type, ctypes.c_void_p, ctypes.c_int]
    lines = []
    on_log = log_type(lambda _u, level, msg: lines.append(msg.decode()))
    try:
        c = cd.new_client(service(env, tmp_path, token_url=ff.url + "/oauth2/token"))
        cd.lib.flyteauth_client_set_log_callback(c, on_log, None, 1)
        md = ctypes.POINTER(cd.Metadata)()
        t0 = time.monotonic()
        rc = cd.lib.flyteauth_client_metadata(c, ctypes.byref(md))
        elapsed = time.monotonic() - t0
        if rc == 0:
            cd.lib.flyteauth_metadata_free(md)
        cd.lib.flyteauth_client_free(c)
        tokens = [s for s in ff.seen if s[1] == "/oauth2/token"]
    finally:
        ff.clear()
    assert rc == 0 and len(tokens) == 2 and elapsed >= 0.9, (rc, tokens, elapsed)
    retries = [l for l in lines if "HTTP 429; retry 1 of 3 in 1 s" in l and ff.url + "/oauth2/token" in l]
    assert len(retries) == 1, lines
