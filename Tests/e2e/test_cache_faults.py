"""Cache faults a user meets, against a real gnome-keyring, a real glewlwyd and real
filesystems: the keyring daemon killed while a program runs, the collection locked
while it runs, a read-only and a full file-cache directory (a 64 KB tmpfs in a private
mount namespace), and two processes refreshing into one file cache together.

What test_cache.py already covers is not repeated here: a locked keyring at start, no
session bus, SIGKILL during keyring and file writes, 4 processes x 8 threads refreshing
one keyring item, the file cache's opt-in and mode.

Each case asserts what a user notices: every call still returns a token when one can
be had (from memory, the cache or the identity provider), calls return within a
generous bound, at most one warning names what is wrong, and nothing cached is lost.
"""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from test_cache import DRIVER, HERE, login, run, token_requests

HANG_BOUND = 20  # seconds: a hang check, not a speed target
# Long enough that a cached token is still outside its refresh window (half its
# lifetime) when the next process starts on a loaded machine.
TOKEN_SECONDS = 10


def wait_for_expiry():
    time.sleep(TOKEN_SECONDS + 1)


@pytest.fixture(scope="module")
def stack(redirect_port):
    from harness import start_stack
    s = start_stack(access_token_duration=TOKEN_SECONDS, redirect_ports=[redirect_port])
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture
def session(keyring_session):
    return keyring_session


def service_settings(stack, session, endpoint=None, **extra):
    """The service account (client credentials): a token can always be had from the IdP."""
    s = {"endpoint": endpoint or stack.endpoint, "insecure": True, "auth_type": "ClientSecret",
         "client_id": stack.state["service_client_id"], "client_secret": stack.state["service_client_secret"],
         "scopes": ["all"], "cache_dir": os.path.join(session.home, "c"), "keyring_timeout_seconds": 3}
    s.update(extra)
    return s


def warnings(stderr):
    return [l for l in stderr.splitlines() if "warning" in l]


def start_driver(session, cfg, *args, wrap=()):
    env = session.env()
    env["PYTHONPATH"] = HERE
    return subprocess.Popen(list(wrap) + [sys.executable, DRIVER, json.dumps(cfg)] + [str(a) for a in args], cwd=HERE,
                            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(p, timeout=90):
    try:
        stdout, stderr = p.communicate(timeout=timeout)
    finally:
        if p.poll() is None:  # stopped by pid whatever happened
            p.kill()
            p.wait(timeout=10)
    lines = [l for l in stdout.splitlines() if l.startswith("{")]
    out = json.loads(lines[-1]) if lines else {"ok": False}
    out["stderr"] = stderr
    out["returncode"] = p.returncode
    return out


def calls_after(session, cfg, fault, seconds=3):
    """A running program with a token in memory; `fault()` happens; it keeps calling."""
    p = start_driver(session, cfg, "calls-after-go", seconds)
    try:
        started = json.loads(p.stdout.readline())
        assert started.get("started"), started
        fault()
        p.stdin.write("go\n")
        p.stdin.flush()
    except BaseException:
        p.kill()
        p.wait(timeout=10)
        raise
    return started, finish(p)


def test_keyring_daemon_killed_mid_run(stack, session):
    cfg = service_settings(stack, session)

    def kill_daemon():
        session.keyring.send_signal(signal.SIGKILL)
        session.keyring.wait(timeout=10)
        session.keyring = None  # reaped: the session's stop() must not signal a recycled pid

    _, out = calls_after(session, cfg, kill_daemon)
    # Every call, forced refreshes included, still got a token; none hung on the dead daemon.
    assert out["returncode"] == 0 and out["ok"], out
    assert out["calls"] >= 4 and out["tokens"] >= 2, "refreshes went on after the kill: %s" % out
    assert out["slowest"] < HANG_BOUND, out
    ws = warnings(out["stderr"])
    assert len(ws) == 1, "one warning about the keyring, then quiet: %s" % out["stderr"]
    assert stack.state["service_client_secret"] not in out["stderr"]
    # The next program, with the daemon still gone, gets a token too: from the IdP, one warning.
    t0 = time.time()
    nxt = run(session, cfg, "header")
    assert time.time() - t0 < HANG_BOUND
    assert nxt["source"] == "idp" and len(warnings(nxt["stderr"])) == 1, nxt["stderr"]


def lock_collection(session):
    # `secret-tool lock` crashes in Debian 12's libsecret-tools: ask the service directly.
    subprocess.run(["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.secrets", "/org/freedesktop/secrets",
                    "org.freedesktop.Secret.Service.Lock", "array:objpath:/org/freedesktop/secrets/collection/login"],
                   env=session.env(), check=True, timeout=30, capture_output=True)


def test_collection_locked_mid_run(stack, redirect_port, session):
    # A person's login (refresh token in the keyring and in memory); then the screen locks.
    cfg, first = login(stack, redirect_port, session)
    cfg = dict(cfg, interactive=False)
    before = token_requests(stack, "refresh_token")
    started, out = calls_after(session, cfg, lambda: lock_collection(session))
    assert started["sha"] == first["sha"]
    # The refresh token in memory keeps the program working: no prompt, no hang, no login.
    assert out["returncode"] == 0 and out["ok"], out
    assert out["tokens"] >= 2 and token_requests(stack, "refresh_token") > before
    assert out["slowest"] < HANG_BOUND, out
    ws = warnings(out["stderr"])
    assert len(ws) == 1 and "locked" in ws[0], out["stderr"]


class PrivateMount:
    """A tmpfs over `path` seen only by processes run through `run()`/`wrap`: a private
    mount namespace held open by one `sleep` (stopped by pid), entered with nsenter."""

    def __init__(self, path, size="64k"):
        self.path = path
        os.makedirs(path, mode=0o700, exist_ok=True)
        unshare = ["unshare", "-m", "--propagation", "private"] if os.geteuid() == 0 else \
            ["unshare", "-r", "-m", "--propagation", "private"]
        self.holder = subprocess.Popen(unshare + ["sleep", "600"], stdin=subprocess.DEVNULL)
        self.wrap = ["nsenter", "-t", str(self.holder.pid), "-m", "--"]
        deadline = time.time() + 10
        while self._ns() == self._ns(os.getpid()) and time.time() < deadline:
            time.sleep(0.01)  # until unshare has switched namespaces and exec'd sleep
        if self._ns() == self._ns(os.getpid()):
            self.stop()
            raise RuntimeError("unshare -m did not create a mount namespace within 10 s")
        self.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0700" % size, "tmpfs", path])

    def _ns(self, pid=None):
        return os.readlink("/proc/%d/ns/mnt" % (pid or self.holder.pid))

    def run(self, argv, **kwargs):
        return subprocess.run(self.wrap + argv, check=True, timeout=30, capture_output=True, text=True, **kwargs)

    def read(self, name):
        return self.run(["cat", os.path.join(self.path, name)]).stdout

    def listing(self):
        return self.run(["ls", "-a", self.path]).stdout.split()

    def fill(self):
        """Fills the filesystem: dd stops at ENOSPC."""
        subprocess.run(self.wrap + ["dd", "if=/dev/zero", "of=" + os.path.join(self.path, "filler"), "bs=4k"],
                       timeout=30, capture_output=True)
        free = self.run(["df", "--output=avail", "-B1", self.path]).stdout.split()[-1]
        assert int(free) == 0, "tmpfs still has %s bytes free" % free

    def stop(self):
        self.holder.kill()
        self.holder.wait(timeout=10)


@pytest.fixture
def file_cache_mount(session):
    m = PrivateMount(os.path.join(session.home, "filecache"))
    try:
        yield m
    finally:
        m.stop()


def file_settings(stack, session, mount):
    return service_settings(stack, session, keyring=False, file_cache=True,
                            file_cache_path=os.path.join(mount.path, "tokens.json"))


def test_read_only_file_cache_directory(stack, session, file_cache_mount):
    m = file_cache_mount
    cfg = file_settings(stack, session, m)
    first = run_in(m, session, cfg, "header")
    assert first["source"] == "idp" and warnings(first["stderr"]) == [], first["stderr"]
    cached = m.read("tokens.json")
    m.run(["mount", "-o", "remount,ro", m.path])
    # A read-only cache still serves what it holds: no request, no warning.
    before = token_requests(stack)
    again = run_in(m, session, cfg, "header")
    assert again["sha"] == first["sha"] and again["source"] == "cache" and token_requests(stack) == before
    assert warnings(again["stderr"]) == [], again["stderr"]
    # Once that token expires, the next program still gets one (from the IdP); one
    # warning names the file and the reason; the cached file is left as it was.
    wait_for_expiry()
    later = run_in(m, session, cfg, "header")
    assert later["source"] == "idp" and later["sha"] != first["sha"]
    ws = warnings(later["stderr"])
    assert len(ws) == 1 and "tokens.json" in ws[0] and "Read-only file system" in ws[0], later["stderr"]
    assert m.read("tokens.json") == cached


def run_in(mount, session, cfg, *args):
    """`run` (test_cache) with the driver inside the mount namespace."""
    env = session.env()
    env["PYTHONPATH"] = HERE
    p = subprocess.run(mount.wrap + [sys.executable, DRIVER, json.dumps(cfg)] + [str(a) for a in args], cwd=HERE, env=env,
                       capture_output=True, text=True, timeout=60)
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    out = json.loads(lines[-1]) if lines else {"ok": False}
    out["stderr"] = p.stderr
    assert p.returncode == 0 and out.get("ok"), "driver %s failed: %s %s" % (args[0], out.get("message"), p.stderr[-800:])
    return out


def test_full_file_cache_directory(stack, session, file_cache_mount):
    m = file_cache_mount
    cfg = file_settings(stack, session, m)
    first = run_in(m, session, cfg, "header")
    cached = m.read("tokens.json")
    m.fill()
    # The disk fills up; after expiry the next program still gets a token, with one
    # warning naming the file and "No space left on device"; the cache file is intact
    # (the old entry, valid JSON) and no temporary file is left behind.
    wait_for_expiry()
    t0 = time.time()
    later = run_in(m, session, cfg, "header")
    assert time.time() - t0 < HANG_BOUND
    assert later["source"] == "idp" and later["sha"] != first["sha"]
    ws = warnings(later["stderr"])
    assert len(ws) == 1 and "tokens.json" in ws[0] and "No space left on device" in ws[0], later["stderr"]
    assert m.read("tokens.json") == cached
    json.loads(cached)
    assert not [f for f in m.listing() if ".tmp." in f], m.listing()
    # Space comes back: the next program caches again, and the one after is served from it.
    m.run(["rm", os.path.join(m.path, "filler")])
    refilled = run_in(m, session, cfg, "header")
    assert warnings(refilled["stderr"]) == [], refilled["stderr"]
    served = run_in(m, session, cfg, "header")
    assert served["source"] == "cache" and served["sha"] == refilled["sha"]


def test_two_processes_refreshing_into_one_file_cache_lose_nothing(stack, session):
    """Two programs for two endpoints (two entries of one tokens.json) force refreshes
    at the same time: every write is a read-modify-write, and neither entry is lost."""
    host = stack.endpoint.split("://", 1)[1]
    port = host.rsplit(":", 1)[1]
    path = os.path.join(session.home, "state", "tokens.json")
    cfgs = [service_settings(stack, session, endpoint=e, keyring=False, file_cache=True, file_cache_path=path)
            for e in ("http://127.0.0.1:" + port, "http://localhost:" + port)]
    procs = [start_driver(session, c, "calls-after-go", 3) for c in cfgs]
    try:
        for p in procs:
            assert json.loads(p.stdout.readline()).get("started")
        for p in procs:
            p.stdin.write("go\n")
            p.stdin.flush()
    except BaseException:
        for p in procs:
            p.kill()
            p.wait(timeout=10)
        raise
    outs = [finish(p) for p in procs]
    for o in outs:
        assert o["returncode"] == 0 and o["ok"] and o["tokens"] >= 2, o
        assert warnings(o["stderr"]) == [], o["stderr"]
    entries = json.load(open(path))
    assert sorted(entries) == sorted("flyteauth:%s %s" % (h, stack.state["service_client_id"])
                                     for h in ("127.0.0.1:" + port, "localhost:" + port)), sorted(entries)
    # Each program's next run is served from its own entry, without asking the IdP.
    before = token_requests(stack)
    for c in cfgs:
        assert run(session, c, "header")["source"] == "cache"
    assert token_requests(stack) == before
    assert not [f for f in os.listdir(os.path.dirname(path)) if ".tmp." in f]
