"""The RFC 8693 token-exchange server of the tests: zitadel/oidc's example OpenID Provider,
built from Debian's source by Tests/zitadel/build.sh (GOPATH mode, a scratch directory,
never committed), started on 127.0.0.1 and stopped by its pid.

    with ZitadelOP(issuer_key_pem=PUBLIC_PEM, external_issuer=ISS, external_audience=AUD) as op:
        op.token_endpoint, op.client_id, op.client_secret
"""
import hashlib
import os
import secrets
import shutil
import subprocess
import tempfile

from . import netutil
from .procs import stop_pid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SOURCE = os.path.join(ROOT, "Tests", "zitadel")
BUILD = os.path.join(ROOT, "build", "tests", "zitadel")


def binary():
    """The built server, rebuilt when our sources change (about 20-60 s cold)."""
    digest = hashlib.sha256()
    for d, _, files in sorted(os.walk(SOURCE)):
        for name in sorted(files):
            if name.endswith((".go", ".sh")):
                with open(os.path.join(d, name), "rb") as f:
                    digest.update(name.encode() + b"\0" + f.read())
    path = os.path.join(BUILD, "zitadel-op-" + digest.hexdigest()[:12])
    if not os.path.exists(path):
        os.makedirs(BUILD, exist_ok=True)
        out = tempfile.mkdtemp(dir=BUILD)
        try:
            subprocess.run(["bash", os.path.join(SOURCE, "build.sh"), out], check=True, timeout=600,
                           env=dict(os.environ, GOCACHE=os.path.join(BUILD, "gocache")))
            os.replace(os.path.join(out, "zitadel-op"), path)
        finally:
            shutil.rmtree(out, ignore_errors=True)
    return path


class ZitadelOP:
    def __init__(self, issuer_key_pem, external_issuer, external_audience, start_timeout=20.0):
        self.issuer_key_pem = issuer_key_pem
        self.external_issuer = external_issuer
        self.external_audience = external_audience
        self.start_timeout = start_timeout
        self.client_id = "flyte-exchanger"
        self.client_secret = secrets.token_urlsafe(24)
        self.proc = None
        self.dir = None

    @property
    def issuer(self):
        return "http://127.0.0.1:%d" % self.port

    @property
    def token_endpoint(self):
        return self.issuer + "/oauth/token"

    def log_tail(self, lines=30):
        try:
            with open(os.path.join(self.dir, "op.log"), errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except (OSError, TypeError):
            return "(no log)"

    def start(self):
        exe = binary()
        self.dir = tempfile.mkdtemp(prefix="zitadel-op-")
        key = os.path.join(self.dir, "issuer.pub")
        with open(key, "w") as f:
            f.write(self.issuer_key_pem)
        self.port = netutil.free_port()
        env = {"PATH": "/usr/bin:/bin", "PORT": str(self.port), "EXCHANGE_CLIENT_ID": self.client_id,
               "EXCHANGE_CLIENT_SECRET": self.client_secret, "EXTERNAL_ISSUER_KEY": key,
               "EXTERNAL_ISSUER": self.external_issuer, "EXTERNAL_AUDIENCE": self.external_audience}
        log = open(os.path.join(self.dir, "op.log"), "ab")
        try:
            self.proc = subprocess.Popen([exe], env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                         cwd=self.dir, start_new_session=True)
        finally:
            log.close()
        if not netutil.wait_for_tcp(netutil.LOOPBACK, self.port, timeout=self.start_timeout,
                                    alive=lambda: self.proc.poll() is None):
            tail = self.log_tail()
            self.stop()
            raise RuntimeError("the zitadel example OP did not start on 127.0.0.1:%d:\n%s" % (self.port, tail))
        return self

    def stop(self):
        if self.proc is not None:
            stop_pid(self.proc.pid)
            self.proc = None
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
