"""A private glewlwyd (OAuth2/OIDC server) for tests.

Each Glewlwyd() gets its own temp dir, SQLite database, config, RSA key pair and
port on 127.0.0.1, and is configured through the admin REST API. Nothing from
/etc or /var is modified; the system service is never used.
"""
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time
import urllib.request

from . import netutil
from .procs import stop_pid

SCHEMA = "/usr/share/dbconfig-common/data/glewlwyd/install/sqlite3"
BASE_CONFIG = "/etc/glewlwyd/glewlwyd.conf"
ADMIN_USER = "admin"
ADMIN_PASSWORD = "password"  # created by the packaged schema

USERNAME = "alice"
PASSWORD = "alice-password"
PUBLIC_CLIENT_ID = "flyteauth-public"
SERVICE_CLIENT_ID = "flyteauth-service"
DEFAULT_REDIRECT_URIS = ("http://localhost:53593/callback",)


class GlewlwydError(RuntimeError):
    pass


class Glewlwyd:
    """A private glewlwyd instance.

    Parameters are the oidc plugin knobs tests care about. Use as a context
    manager or call start()/stop().
    """

    def __init__(self, redirect_uris=DEFAULT_REDIRECT_URIS, access_token_duration=5,
                 refresh_token_duration=1209600, refresh_token_one_use="never",
                 refresh_token_rolling=False, code_duration=600, device_code_duration=600,
                 start_timeout=10.0, keep_dir=False, log_level="INFO", tls=None):
        if refresh_token_one_use not in ("always", "never", "client-driven"):
            raise ValueError("refresh_token_one_use must be 'always' or 'never'")
        self.redirect_uris = list(redirect_uris)
        self.access_token_duration = int(access_token_duration)
        self.refresh_token_duration = int(refresh_token_duration)
        self.refresh_token_one_use = refresh_token_one_use
        self.refresh_token_rolling = bool(refresh_token_rolling)
        self.code_duration = int(code_duration)
        self.device_code_duration = int(device_code_duration)
        self.start_timeout = float(start_timeout)
        self.keep_dir = keep_dir
        self.log_level = log_level
        # TLS mode (RFC 8705 client certificates): glewlwyd serves HTTPS itself.
        # {"cert": PEM, "key": PEM, "client_ca": PEM file of the CAs and self-signed
        # certificates it accepts from clients, "ca": the CA that signed "cert"}.
        self.tls = tls

        self.username = USERNAME
        self.password = PASSWORD
        self.public_client_id = PUBLIC_CLIENT_ID
        self.service_client_id = SERVICE_CLIENT_ID
        self.service_client_secret = secrets.token_urlsafe(24)

        self.dir = None
        self.port = None
        self.proc = None
        self.pid = None
        self._log = None

    # ---- addresses -------------------------------------------------------
    @property
    def url(self):
        return "%s://%s:%d" % ("https" if self.tls else "http", netutil.LOOPBACK, self.port)

    @property
    def oidc_url(self):
        return self.url + "/api/oidc"

    @property
    def issuer(self):
        return self.url  # the "iss" we configure

    @property
    def token_endpoint(self):
        return self.oidc_url + "/token"

    @property
    def discovery_url(self):
        return self.oidc_url + "/.well-known/openid-configuration"

    @property
    def log_path(self):
        return os.path.join(self.dir, "glewlwyd.log") if self.dir else None

    def log_tail(self, lines=30):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except (OSError, TypeError):
            return "(no log)"

    # ---- lifecycle -------------------------------------------------------
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="glewlwyd-")
        try:
            self._make_db()
            self._make_keys()
            last = None
            for _ in range(3):  # a free port can be taken between probe and bind: retry
                self.port = netutil.free_port()
                self._write_config()
                try:
                    self._spawn()
                    break
                except GlewlwydError as e:
                    last = e
                    self._kill()
            else:
                raise last
            self._configure()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        self._kill()
        if self.dir and not self.keep_dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def _kill(self):
        if self.proc is not None:
            stop_pid(self.proc.pid)
            try:
                self.proc.wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass
            self.proc = None
            self.pid = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def _make_db(self):
        self.db_path = os.path.join(self.dir, "glewlwyd.db")
        with open(SCHEMA, "rb") as schema:
            subprocess.run(["sqlite3", self.db_path], stdin=schema, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=30)
        # The database client backend stores only the properties of its data format:
        # tls_client_auth matches a client by its certificate's subject DN.
        import sqlite3
        db = sqlite3.connect(self.db_path)
        try:
            (raw,) = db.execute("SELECT gcmi_parameters FROM g_client_module_instance WHERE gcmi_name='database'").fetchone()
            params = json.loads(raw)
            params["data-format"]["tls_client_auth_subject_dn"] = {"multiple": False, "read": True, "write": True}
            db.execute("UPDATE g_client_module_instance SET gcmi_parameters=? WHERE gcmi_name='database'",
                       (json.dumps(params),))
            db.commit()
        finally:
            db.close()

    def _make_keys(self):
        key = os.path.join(self.dir, "key.pem")
        pub = os.path.join(self.dir, "pub.pem")
        subprocess.run(["openssl", "genrsa", "-out", key, "2048"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        subprocess.run(["openssl", "rsa", "-in", key, "-pubout", "-out", pub], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
        with open(key) as f:
            self.private_key_pem = f.read()
        with open(pub) as f:
            self.public_key_pem = f.read()

    def _write_config(self):
        with open(BASE_CONFIG) as f:
            conf = f.read()
        db = 'database = { type = "sqlite3" path = "%s" };' % self.db_path
        subs = [
            (r"(?m)^#?\s*port\s*=.*$", "port=%d" % self.port),
            (r"(?m)^#?\s*bind_address\s*=.*$", 'bind_address="127.0.0.1"'),
            (r"(?m)^#?\s*external_url\s*=.*$", 'external_url="%s"' % self.url),
            (r"(?m)^#?\s*log_mode\s*=.*$", 'log_mode="console"'),
            (r"(?m)^#?\s*log_level\s*=.*$", 'log_level="%s"' % self.log_level),
            (r"(?m)^\s*log_file\s*=.*$", ""),
            (r"(?m)^@include\s+\"/etc/glewlwyd/glewlwyd-db.conf\".*$", db),
        ]
        if self.tls:
            subs += [
                (r"(?m)^use_secure_connection\s*=.*$", "use_secure_connection=true"),
                (r"(?m)^secure_connection_key_file\s*=.*$", 'secure_connection_key_file="%s"' % self.tls["key"]),
                (r"(?m)^secure_connection_pem_file\s*=.*$", 'secure_connection_pem_file="%s"' % self.tls["cert"]),
                (r"(?m)^secure_connection_ca_file\s*=.*$", 'secure_connection_ca_file="%s"' % self.tls["client_ca"]),
            ]
        for pattern, repl in subs:
            conf, n = re.subn(pattern, lambda _m, r=repl: r, conf)
            if n == 0 and "log_file" not in pattern:
                raise GlewlwydError("cannot derive config: %r not found in %s" % (pattern, BASE_CONFIG))
        self.conf_path = os.path.join(self.dir, "glewlwyd.conf")
        with open(self.conf_path, "w") as f:
            f.write(conf)

    def _spawn(self):
        if self._log is None:
            self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            ["glewlwyd", "-c", self.conf_path, "-m", "console", "-l", self.log_level],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            cwd=self.dir, start_new_session=True)
        self.pid = self.proc.pid
        ok = netutil.wait_for_tcp(netutil.LOOPBACK, self.port, timeout=self.start_timeout,
                                  alive=lambda: self.proc.poll() is None)
        if ok:  # someone else may own the port we probed: glewlwyd then exits at once
            time.sleep(0.1)
            ok = self.proc.poll() is None
        if not ok:
            state = ("exited with status %s" % self.proc.returncode
                     if self.proc.poll() is not None else "not listening after %.0f s" % self.start_timeout)
            raise GlewlwydError("glewlwyd on 127.0.0.1:%d %s; log tail:\n%s"
                                % (self.port, state, self.log_tail()))

    # ---- admin API -------------------------------------------------------
    def _admin(self, method, path, body=None, ok=(200,)):
        status, _, payload = netutil.request(self._opener, method, self.url + "/api" + path, body=body)
        if status not in ok:
            # payloads here are admin API errors, never tokens
            raise GlewlwydError("admin %s %s: HTTP %d %s\nlog tail:\n%s"
                                % (method, path, status, payload[:500].decode(errors="replace"),
                                   self.log_tail(10)))
        return json.loads(payload) if payload else None

    def _configure(self):
        handlers = [urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), netutil.NoRedirect()]
        if self.tls:
            import ssl
            handlers.append(urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=self.tls["ca"])))
        self._opener = netutil.opener(*handlers)
        self._admin("POST", "/auth/", {"username": ADMIN_USER, "password": ADMIN_PASSWORD})
        # 'openid' exists in the packaged schema; create it anyway if missing
        existing = {s["name"] for s in self._admin("GET", "/scope/?limit=100")}
        for name, desc in (("openid", "Open ID"), ("all", "All of Flyte"), ("offline", "Refresh tokens")):
            if name not in existing:
                self._admin("POST", "/scope/", {
                    "name": name, "display_name": name, "description": desc,
                    "password_required": True, "password_max_age": 0, "scheme": {}})
        self._admin("POST", "/mod/plugin/", {
            "module": "oidc", "name": "oidc", "display_name": "OIDC", "enabled": True,
            "parameters": self.plugin_parameters()})
        self._admin("POST", "/user/", {
            "username": self.username, "password": self.password, "name": "Alice Test",
            "email": "alice@example.test", "enabled": True,
            "scope": ["openid", "all", "offline"]})
        self._admin("POST", "/client/", {
            "client_id": self.public_client_id, "name": "libflyteauth public client",
            "enabled": True, "confidential": False,
            "redirect_uri": self.redirect_uris,
            "authorization_type": ["code", "refresh_token", "device_authorization"],
            "scope": [], "token_endpoint_auth_method": ["none"]})
        self._admin("POST", "/client/", {
            "client_id": self.service_client_id, "name": "libflyteauth service client",
            "enabled": True, "confidential": True, "password": self.service_client_secret,
            "redirect_uri": [], "scope": ["all"],
            "authorization_type": ["client_credentials"],
            "token_endpoint_auth_method": ["client_secret_basic", "client_secret_post"]})
        # The plugin is usable once its discovery document answers.
        deadline = time.monotonic() + self.start_timeout
        while True:
            try:
                status, _, body = netutil.request(self._opener, "GET", self.discovery_url, timeout=5)
                if status != 200:
                    raise RuntimeError("GET %s: HTTP %d" % (self.discovery_url, status))
                self.openid_configuration = json.loads(body)
                break
            except Exception as e:  # noqa: BLE001 - reported below
                if time.monotonic() > deadline:
                    raise GlewlwydError("oidc discovery not available: %s\n%s" % (e, self.log_tail())) from e
                time.sleep(0.1)

    def plugin_parameters(self):
        params = self._plugin_parameters()
        if self.tls:
            params.update({"client-cert-source": "TLS", "client-cert-self-signed-allowed": True})
        return params

    def _plugin_parameters(self):
        return {
            "iss": self.issuer,
            "jwt-type": "rsa",
            "jwt-key-size": "256",
            "key": self.private_key_pem,
            "cert": self.public_key_pem,
            "access-token-duration": self.access_token_duration,
            "refresh-token-duration": self.refresh_token_duration,
            "refresh-token-rolling": self.refresh_token_rolling,
            "refresh-token-one-use": self.refresh_token_one_use,
            "code-duration": self.code_duration,
            "allow-non-oidc": True,
            "auth-type-code-enabled": True,
            "auth-type-token-enabled": False,
            "auth-type-id-token-enabled": True,
            "auth-type-none-enabled": False,
            "auth-type-password-enabled": False,
            "auth-type-client-enabled": True,
            "auth-type-refresh-enabled": True,
            "auth-type-device-enabled": True,
            "device-authorization-expiration": self.device_code_duration,
            "device-authorization-interval": 1,
            "pkce-allowed": True,
            "pkce-required-public-client": True,
            "pkce-method-plain-allowed": False,
            "allowed-scope": ["openid", "all", "offline"],
            "introspection-revocation-allowed": True,
            "introspection-revocation-auth-scope": ["all"],
            "introspection-revocation-allow-target-client": True,
            # Signed client assertions (private_key_jwt): the client properties that hold
            # a client's keys; the database backend's data format already stores them.
            "client-jwks-parameter": "jwks",
            "client-jwks_uri-parameter": "jwks_uri",
            "client-pubkey-parameter": "pubkey",
            "client-enc-parameter": "enc",
            "client-alg-parameter": "alg",
            "request-parameter-allow": True,
            "request-maximum-exp": 3600,
            "service-documentation": "",
            "op-policy-uri": "",
            "op-tos-uri": "",
        }

    # ---- handy for tests ---------------------------------------------------
    def add_client(self, client_id, auth_methods, scope=("all",), **properties):
        """Registers a confidential client-credentials client authenticated by
        `auth_methods` (e.g. ["private_key_jwt"] with jwks={"keys": [...]})."""
        body = {"client_id": client_id, "name": client_id, "enabled": True, "confidential": True,
                "redirect_uri": [], "scope": list(scope), "authorization_type": ["client_credentials"],
                "token_endpoint_auth_method": list(auth_methods)}
        body.update(properties)
        self._admin("POST", "/client/", body)


    def describe(self):
        """Public facts about the instance (contains the service secret: do not print)."""
        return {
            "idp": self.url, "issuer": self.issuer, "token_endpoint": self.token_endpoint,
            "public_client_id": self.public_client_id,
            "service_client_id": self.service_client_id,
            "service_client_secret": self.service_client_secret,
            "username": self.username, "password": self.password,
            "glewlwyd_pid": self.pid, "glewlwyd_dir": self.dir,
        }
