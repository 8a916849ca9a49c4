"""A private Secret Service (gnome-keyring on a private D-Bus session bus) for tests.

Two ways:
- run_in_keyring_session(argv): run one command through Tests/e2e/keyring-session.sh
  (fresh HOME and XDG_RUNTIME_DIR, dbus-run-session, unlocked `login` collection).
- KeyringSession(): a long-lived session for a pytest fixture; it starts its own
  dbus-daemon and gnome-keyring-daemon (--foreground) and stops both by pid.
  Use .env() as the environment of processes that should see the keyring.
"""
import os
import select
import shutil
import subprocess
import tempfile
import time

from .procs import stop_pid

E2E_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(E2E_DIR, "keyring-session.sh")
DEFAULT_PASSWORD = "pw"


class KeyringError(RuntimeError):
    pass


def keyring_session_command(argv):
    """argv wrapped so it runs inside a fresh private Secret Service."""
    return [SCRIPT] + list(argv)


def run_in_keyring_session(argv, password=DEFAULT_PASSWORD, timeout=120, env=None, **kwargs):
    """subprocess.run(argv) inside a private Secret Service; returns CompletedProcess."""
    e = dict(os.environ if env is None else env)
    e["KEYRING_SESSION_PASSWORD"] = password
    return subprocess.run(keyring_session_command(argv), env=e, timeout=timeout, **kwargs)


def _bus_name_pid(address, name, env):
    r = subprocess.run(
        ["dbus-send", "--bus=" + address, "--print-reply=literal", "--dest=org.freedesktop.DBus",
         "/org/freedesktop/DBus", "org.freedesktop.DBus.GetConnectionUnixProcessID", "string:" + name],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=5, text=True)
    parts = r.stdout.split()
    return int(parts[-1]) if r.returncode == 0 and parts else None


class KeyringSession:
    """A private D-Bus session bus with an unlocked gnome-keyring, until stop()."""

    def __init__(self, password=DEFAULT_PASSWORD, timeout=10.0):
        self.password = password
        self.timeout = timeout
        self.base = None
        self.dbus = None
        self.keyring = None
        self.address = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        self.base = tempfile.mkdtemp(prefix="keyring-session-")
        os.chmod(self.base, 0o700)
        self.home = os.path.join(self.base, "home")
        self.runtime_dir = os.path.join(self.base, "run")
        os.mkdir(self.home, 0o700)
        os.mkdir(self.runtime_dir, 0o700)
        try:
            self._start_bus()
            self._start_keyring()
        except BaseException:
            self.stop()
            raise
        return self

    def _base_env(self):
        env = dict(os.environ)
        for k in ("DISPLAY", "WAYLAND_DISPLAY", "GNOME_KEYRING_CONTROL", "SSH_AUTH_SOCK"):
            env.pop(k, None)
        env["HOME"] = self.home
        env["XDG_RUNTIME_DIR"] = self.runtime_dir
        return env

    def env(self):
        """Environment for processes that should use this Secret Service."""
        env = self._base_env()
        env["DBUS_SESSION_BUS_ADDRESS"] = self.address
        return env

    def _start_bus(self):
        sock = os.path.join(self.runtime_dir, "bus")
        self.dbus = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1",
             "--address=unix:path=" + sock],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=self._base_env(), start_new_session=True)
        ready, _, _ = select.select([self.dbus.stdout], [], [], self.timeout)
        line = self.dbus.stdout.readline().decode().strip() if ready else ""
        if not line:
            raise KeyringError("dbus-daemon did not print its address within %.0f s" % self.timeout)
        self.address = line

    def _start_keyring(self):
        env = self.env()
        self.keyring = subprocess.Popen(
            ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=env, start_new_session=True)
        self.keyring.stdin.write(self.password.encode())
        self.keyring.stdin.close()
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.keyring.poll() is not None:
                raise KeyringError("gnome-keyring-daemon exited with %s" % self.keyring.returncode)
            if _bus_name_pid(self.address, "org.freedesktop.secrets", env) == self.keyring.pid:
                return
            time.sleep(0.05)
        raise KeyringError("gnome-keyring-daemon did not own org.freedesktop.secrets within %.0f s"
                           % self.timeout)

    def restart_keyring(self):
        """Stops gnome-keyring-daemon (by its pid) and starts it again on the same bus and
        the same on-disk keyring: what a session's daemon crash and D-Bus reactivation do.
        Returns the seconds the Secret Service was away."""
        start = time.monotonic()
        proc = self.keyring
        stop_pid(proc.pid)
        proc.wait(timeout=10)
        self.keyring = None
        self._start_keyring()
        return time.monotonic() - start

    def pids(self):
        return [p.pid for p in (self.keyring, self.dbus) if p is not None and p.poll() is None]

    def stop(self):
        for attr in ("keyring", "dbus"):
            proc = getattr(self, attr)
            if proc is not None:
                stop_pid(proc.pid)
                try:
                    proc.wait(timeout=2)
                except subprocess.TimeoutExpired:
                    pass
                if proc.stdout:
                    proc.stdout.close()
                setattr(self, attr, None)
        if self.base:
            shutil.rmtree(self.base, ignore_errors=True)
            self.base = None
