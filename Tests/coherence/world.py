"""A rotating identity provider, a private Secret Service, flytekit and flyte-sdk through
their own code, and libflyteauth processes, for the coherence tests.

glewlwyd issues one-use refresh tokens (`refresh-token-one-use: always`); the Flyte
front in front of it counts every refresh request carrying a refresh token the IdP had
already rotated (`FlyteFront.refresh_stats`). Every server and tool process started
here is stopped by its pid.
"""
import hashlib
import json
import os
import select
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
E2E = os.path.join(ROOT, "Tests", "e2e")
sys.path.insert(0, E2E)

from harness import KeyringSession, start_stack  # noqa: E402
from harness.netutil import listen_port  # noqa: E402

STAGE = os.path.join(ROOT, "build", "stage")
TOOL = os.path.join(STAGE, "bin", "flyteauth")
VENV = os.environ.get("VENV", "/opt/flyteauth-venv")
FLYTEKIT_PYTHON = os.path.join(VENV, "bin", "python")
FLYTE2_PYTHON = os.path.join(os.environ.get("FLYTE2_VENV", "/opt/flyteauth-venv-flyte2"), "bin", "python")
TIMEOUT = 90
# CacheCoherence.bound: how long a kernel key serves without asking the Secret Service.
KERNEL_BOUND = 2.0


def sha(token):
    return hashlib.sha256(token.encode()).hexdigest()[:12]


class Driven:
    """A long-lived helper process answering one JSON line per JSON command."""

    def __init__(self, argv, env, name):
        self.name = name
        self.proc = subprocess.Popen(argv, cwd=HERE, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.answer()

    def answer(self):
        ready, _, _ = select.select([self.proc.stdout], [], [], TIMEOUT)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            self.stop()
            raise AssertionError("%s gave no answer within %d s: %s" % (self.name, TIMEOUT, self.proc.stderr.read()[-1500:]))
        return json.loads(line)

    def __call__(self, cmd, **args):
        self.proc.stdin.write(json.dumps(dict(args, cmd=cmd)) + "\n")
        self.proc.stdin.flush()
        out = self.answer()
        assert out["ok"], "%s %s: %s" % (self.name, cmd, out)
        return out

    def stop(self):
        # End of input: the process exits on its own, finishing a refresh it began (a
        # refresh cut off after the IdP rotated the refresh token would end the login).
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=TIMEOUT)
        except (subprocess.TimeoutExpired, BrokenPipeError, OSError):
            pass
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        for f in (self.proc.stdout, self.proc.stderr):
            f.close()


class World:
    def __init__(self, tmp, token_seconds):
        port = listen_port()
        self.stack = start_stack(access_token_duration=token_seconds, refresh_token_one_use="always",
                                 redirect_ports=[port], redirect_uri="http://localhost:%d/callback" % port)
        self.session = None
        self.tools = {}
        try:
            self.session = KeyringSession().start()
            self.host = self.stack.endpoint.split("://", 1)[1]
            browser = os.path.join(tmp, "browser.sh")
            with open(browser, "w") as f:
                # Backgrounded: Python's webbrowser waits for $BROWSER, and the tools serve
                # their callback only after it returns.
                f.write("#!/bin/sh\ncd %s && %s -m harness approve-pkce --url \"$1\" >/dev/null 2>&1 &\n"
                        % (E2E, sys.executable))
            os.chmod(browser, 0o755)
            env = self.session.env()
            env.update({"BROWSER": browser, "PYTHONPATH": os.pathsep.join([os.path.join(ROOT, "bindings", "python", "src"), E2E]),
                        "LD_LIBRARY_PATH": os.path.join(STAGE, "lib"),
                        "FLYTEAUTH_LIBRARY": os.path.join(STAGE, "lib", "libflyteauth.so.0")})
            self.base_env = env
            os.makedirs(os.path.join(self.session.home, ".flyte"), exist_ok=True)
            with open(os.path.join(self.session.home, ".flyte", "config.yaml"), "w") as f:
                f.write("admin:\n  endpoint: %s\n  insecure: true\n  authType: Pkce\n" % self.stack.endpoint)
            self.settings = {"endpoint": self.stack.endpoint, "insecure": True, "auth_type": "Pkce", "interactive": False}
            for python in (FLYTEKIT_PYTHON, FLYTE2_PYTHON):
                assert os.path.exists(python), "%s is missing: run scripts/install-deps.sh" % python
            for name, python in (("flytekit", FLYTEKIT_PYTHON), ("flyte-sdk", FLYTE2_PYTHON)):
                self.tools[name] = Driven([python, os.path.join(E2E, "interop_tools.py"), name, self.stack.endpoint],
                                          env, name)
        except BaseException:
            self.stop()
            raise

    def stop(self):
        for t in self.tools.values():
            t.stop()
        if self.session is not None:
            self.session.stop()
        self.stack.stop()

    def env(self, kernel):
        return dict(self.base_env, FLYTEAUTH_KERNEL_KEYRING="session" if kernel else "off")

    def cli(self, args, kernel, check=True):
        p = subprocess.run([TOOL] + list(args), env=self.env(kernel), cwd=HERE, capture_output=True, text=True,
                           timeout=TIMEOUT)
        if check:
            assert p.returncode == 0, "flyteauth %s exited %d: %s" % (" ".join(args), p.returncode, p.stderr[-1500:])
        return p

    def long_running(self, kernel, settings=None):
        return Driven([sys.executable, os.path.join(HERE, "lf_driver.py"), json.dumps(settings or self.settings)],
                      self.env(kernel), "libflyteauth process")

    # -- what the layouts hold (read from the Secret Service as each tool stores it) ------

    def _lookup(self, service, username):
        p = subprocess.run(["secret-tool", "lookup", "service", service, "username", username], env=self.session.env(),
                           capture_output=True, text=True, timeout=30)
        return p.stdout if p.returncode == 0 and p.stdout else None

    def layouts(self):
        """{layout: (access token, refresh token)} for ours, flytekit's and flyte-sdk's items."""
        out = {}
        raw = self._lookup("flyteauth:" + self.host.lower(), self.stack.state["public_client_id"])
        o = json.loads(raw) if raw else {}
        out["libflyteauth"] = (o.get("access_token"), o.get("refresh_token"))
        out["flytekit"] = (self._lookup(self.host, "access_token"), self._lookup(self.host, "refresh_token"))
        raw = self._lookup(self.host, "tokens")
        o = json.loads(raw) if raw else {}
        out["flyte-sdk"] = (o.get("access_token"), o.get("refresh_token"))
        return out

    def logged_in(self):
        """Which tools' layouts hold a refresh token the IdP still honours (issued, never
        rotated): {layout: "live" | "rotated" | "none" | "unknown"}."""
        front = self.stack.front
        return {k: (front.refresh_token_state(r) if r else "none") for k, (_, r) in self.layouts().items()}

    def stats(self):
        s = self.stack.front.refresh_stats()
        s["token_requests"] = self.stack.front.token_requests()
        return s
