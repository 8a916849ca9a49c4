"""Trust boundaries, tried as an attacker would: another local user (made here with
useradd, removed after), a hostile or downgraded Flyte front, planted files, a command
that leads back to flyteauth. Each test drives the real tool against the real IdP."""
import http.server
import json
import os
import shutil
import socket
import socketserver
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

from cliutil import E2E, TOOL, host, self_signed_cert, service_config, tool, user_config, write_config

TOOL_DIR = os.path.dirname(TOOL)


# ---- helpers ------------------------------------------------------------------

class _Threaded(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class RewritingFront:
    """A Flyte front played by an attacker (or a MITM): forwards to the real test front
    (which forwards token requests to the IdP), rewriting the discovery documents and token
    answers with hooks. Records every request; `/evil/...` answers invalid_client."""

    def __init__(self, stack, certfile=None, keyfile=None, metadata=None, client=None, token=None):
        self.upstream = stack.front.url
        self.metadata, self.client, self.token = metadata, client, token
        self.requests = []  # (method, path, carried a credential)
        front = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _forward(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else None
                credential = bool(self.headers.get("Authorization")) or bool(body and b"client_" in body)
                front.requests.append((self.command, self.path.split("?")[0], credential))
                if self.path.startswith("/evil/"):
                    return self._answer(400, b'{"error":"invalid_client"}')
                target = front.upstream + self.path
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length", "connection")}
                req = urllib.request.Request(target, data=body, headers=headers, method=self.command)
                try:
                    with urllib.request.urlopen(req, timeout=15) as resp:
                        status, data = resp.status, resp.read()
                except urllib.error.HTTPError as e:
                    status, data = e.code, e.read()
                path = self.path.split("?")[0]
                hook = None
                if path.endswith("/.well-known/oauth-authorization-server"):
                    hook = front.metadata
                elif path.endswith("/config/v1/flyte_client"):
                    hook = front.client
                elif path.endswith("/token") and status == 200:
                    hook = front.token
                if hook:
                    data = json.dumps(hook(json.loads(data), front)).encode()
                self._answer(status, data)

            def _answer(self, status, data):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _forward

        self.server = _Threaded(("127.0.0.1", 0), Handler)
        self.scheme = "http"
        if certfile:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(certfile, keyfile)
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
            self.scheme = "https"
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)

    @property
    def url(self):
        return "%s://127.0.0.1:%d" % (self.scheme, self.port)

    def own(self, url):
        """`url` (an endpoint of the real front) as served through this front."""
        p = urllib.parse.urlsplit(url)
        return self.url + p.path + ("?" + p.query if p.query else "")

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def _fnv(text):
    h = 0xcbf29ce484222325
    for b in text.encode():
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def cache_file_name(prefix, key, suffix):
    """CacheFileName.make, as an attacker computes it."""
    readable = key
    for scheme in ("https://", "http://", "dns:///"):
        if readable.startswith(scheme):
            readable = readable[len(scheme):]
    safe = "".join(c if (c.isascii() and (c.isalnum() or c in ".-")) else "_" for c in readable[:80])
    return "%s%s-%016x%s" % (prefix, safe, _fnv(key), suffix)


def discovery_names(base):
    """The discovery cache's file names, before and after it was keyed by TLS settings."""
    return [cache_file_name("discovery-", base, ".json"),
            cache_file_name("discovery-", base + " verify=1 ca=system proxy=none", ".json")]


def bounded(session, args, env, timeout):
    """The tool in a PID namespace of its own, so a command that recurses without end is
    ended with everything it started when `timeout` passes (the kernel kills the namespace
    when its first process exits)."""
    e = session.env()
    e.update(env)
    start = time.monotonic()
    r = subprocess.run(["unshare", "--fork", "--pid", "--kill-child", "timeout", "-s", "KILL", str(timeout), TOOL] + args,
                       env=e, capture_output=True, text=True, timeout=timeout + 30, stdin=subprocess.DEVNULL)
    return r, time.monotonic() - start


def browser_script(tmp_path, suffix=""):
    """$BROWSER: log in as the test user at the IdP, then deliver the redirect (with
    `suffix` appended to its query) to the tool's callback listener."""
    script = tmp_path / "browser.py"
    script.write_text(
        "import sys\nsys.path.insert(0, %r)\nfrom harness import user\n"
        "redirect = user.pkce_redirect(sys.argv[1])\n"
        "user.deliver(redirect + %r)\n" % (E2E, suffix))
    sh = tmp_path / "browser.sh"
    sh.write_text("#!/bin/sh\nexec %s %s \"$1\" >/dev/null 2>&1\n" % (sys.executable, script))
    sh.chmod(0o755)
    return str(sh)


@pytest.fixture
def other_user():
    """A second local user, removed after the test whatever happens."""
    name = "fatrust%s" % uuid.uuid4().hex[:8]
    subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True, timeout=30)
    try:
        uid = int(subprocess.run(["id", "-u", name], check=True, capture_output=True, text=True, timeout=10).stdout)
        yield name, uid
    finally:
        subprocess.run(["userdel", name], timeout=30)
        assert subprocess.run(["id", name], capture_output=True, timeout=10).returncode != 0, "user left behind"


@pytest.fixture
def shared_dir():
    """A directory every user can enter (a checkout may live under a 0700 one)."""
    d = tempfile.mkdtemp(prefix="flyteauth-trust-")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def as_user(name, *argv):
    subprocess.run(["runuser", "-u", name, "--"] + list(argv), check=True, timeout=30)


# ---- a command must never lead back to flyteauth ------------------------------

def test_the_documented_external_command_setup_logs_in_instead_of_running_itself(stack, session, redirect_port, tmp_path):
    write_config(session, "admin:\n  endpoint: dns:///%s\n  insecure: true\n  authType: ExternalCommand\n"
                          "  command:\n  - flyteauth\n  - token\n" % host(stack))
    # The redirect port is the test's: the default one may be taken on a shared machine.
    with open(os.path.join(session.home, ".flyte", "config.yaml"), "a") as f:
        f.write("flyteauth:\n  redirect_uri: http://localhost:%d/callback\n" % redirect_port)
    env = {"PATH": TOOL_DIR + ":" + os.environ["PATH"], "BROWSER": browser_script(tmp_path), "PYTHONPATH": E2E}
    r, seconds = bounded(session, ["login"], env, 25)
    assert r.returncode == 0, (r.returncode, seconds, r.stderr[-2000:])
    assert "is flyteauth itself" in r.stderr, r.stderr[-2000:]
    t, _ = bounded(session, ["token"], env, 25)
    assert t.returncode == 0 and t.stdout.strip(), t.stderr[-2000:]


def test_a_command_that_comes_back_through_a_script_stops_at_the_nesting_bound(stack, session, tmp_path):
    write_config(session, "admin:\n  endpoint: dns:///%s\n  insecure: true\n  authType: ExternalCommand\n"
                          "  command:\n  - sh\n  - -c\n  - exec flyteauth token\n" % host(stack))
    env = {"PATH": TOOL_DIR + ":" + os.environ["PATH"]}
    r, seconds = bounded(session, ["token"], env, 20)
    assert r.returncode != 0 and seconds < 15, (r.returncode, seconds)
    assert "FLYTEAUTH_COMMAND_DEPTH" in r.stderr and "leads back to itself" in r.stderr, r.stderr[-2000:]


# ---- the callback listener binds literal loopback only ------------------------

@pytest.mark.parametrize("redirect_host", ["127.1", "127.0.0.1.nip.io"])
def test_a_redirect_host_that_is_not_literal_loopback_is_refused(stack, session, redirect_port, redirect_host):
    write_config(session, "admin:\n  endpoint: dns:///%s\n  insecure: true\n  authType: Pkce\n"
                          "flyteauth:\n  redirect_uri: http://%s:%d/callback\n  login_timeout_seconds: 4\n"
                 % (host(stack), redirect_host, redirect_port))
    r = tool(session, "login", env={"BROWSER": "true"}, timeout=30)
    assert r.returncode != 0 and r.seconds < 3.5, (r.returncode, r.seconds, r.stderr)
    assert "not a literal loopback address" in r.stderr, r.stderr


def test_a_redirect_uri_from_the_server_that_is_not_loopback_is_refused(stack, session, redirect_port):
    def client(doc, front):
        doc["redirect_uri"] = "http://127.0.0.1.nip.io:%d/callback" % redirect_port
        return doc
    with RewritingFront(stack, client=client) as front:
        write_config(session, "admin:\n  endpoint: dns:///127.0.0.1:%d\n  insecure: true\n  authType: Pkce\n"
                              "flyteauth:\n  login_timeout_seconds: 4\n" % front.port)
        r = tool(session, "login", env={"BROWSER": "true"}, timeout=30)
    assert r.returncode != 0 and r.seconds < 3.5, (r.returncode, r.seconds, r.stderr)
    assert "not a literal loopback address" in r.stderr, r.stderr


# ---- secrets over https, or http to loopback only -----------------------------

def test_an_https_endpoint_naming_an_http_token_endpoint_gets_no_secret(stack, session, tmp_path):
    cert, key = self_signed_cert(str(tmp_path))
    # The real front's document names the IdP's http:// token endpoint: a downgrade.
    with RewritingFront(stack, certfile=cert, keyfile=key) as front:
        service_config(stack, session, endpoint="127.0.0.1:%d" % front.port,
                       extra="  caCertFilePath: %s\nflyteauth:\n  keyring: false\n" % cert)
        before = stack.front.token_requests()
        r = tool(session, "token")
    assert r.returncode != 0, "a token was obtained through the downgraded endpoint"
    assert "token_endpoint" in r.stderr and "not https" in r.stderr, r.stderr
    assert stack.front.token_requests() == before


# ---- the discovery cache keeps to the TLS settings it was fetched with --------

def test_a_document_fetched_without_verification_is_never_used_by_a_verifying_client(stack, session, tmp_path):
    cert, key = self_signed_cert(str(tmp_path))
    mitm = {"on": True}

    def metadata(doc, front):
        doc["token_endpoint"] = front.url + "/evil/token" if mitm["on"] else front.own(doc["token_endpoint"])
        return doc
    cache = str(tmp_path / "cache")
    with RewritingFront(stack, certfile=cert, keyfile=key, metadata=metadata) as front:
        service_config(stack, session, endpoint="127.0.0.1:%d" % front.port,
                       extra="  insecureSkipVerify: true\nflyteauth:\n  keyring: false\n  cache_dir: %s\n" % cache)
        tool(session, "token")  # the careless client: caches what the MITM served
        mitm["on"] = False
        evil_before = sum(1 for r in front.requests if r[1].startswith("/evil/"))
        service_config(stack, session, endpoint="127.0.0.1:%d" % front.port,
                       extra="  caCertFilePath: %s\nflyteauth:\n  keyring: false\n  cache_dir: %s\n" % (cert, cache))
        r = tool(session, "token")
        evil_after = sum(1 for r in front.requests if r[1].startswith("/evil/"))
    assert evil_after == evil_before, "the verifying client sent its secret where the unverified document said"
    assert r.returncode == 0 and r.stdout.strip(), r.stderr


# ---- one path check for every file ------------------------------------------

def test_a_planted_discovery_document_in_another_users_cache_dir_gets_no_secret(stack, session, other_user, shared_dir):
    name, uid = other_user
    def metadata(doc, front):
        return doc
    with RewritingFront(stack, metadata=metadata) as front:
        base = "http://127.0.0.1:%d" % front.port
        cache = os.path.join(shared_dir, "cache")
        os.mkdir(cache, 0o755)
        planted = {"endpoint": base, "fetched_at": int(time.time()), "tls": "verify=1 ca=system proxy=none",
                   "metadata": {"issuer": base, "token_endpoint": base + "/evil/token"}, "client_config": {}}
        for n in discovery_names(base):
            with open(os.path.join(cache, n), "w") as f:
                json.dump(planted, f)
        subprocess.run(["chown", "-R", name, cache], check=True)
        service_config(stack, session, endpoint="127.0.0.1:%d" % front.port,
                       extra="  insecure: true\nflyteauth:\n  keyring: false\n  cache_dir: %s\n" % cache)
        r = tool(session, "token")
        evil = [x for x in front.requests if x[1].startswith("/evil/")]
    assert not evil, "root's client secret went to the planted document's token endpoint"
    assert r.returncode == 0, r.stderr
    assert cache in r.stderr and "owned by another user" in r.stderr, r.stderr


def _file_cache_config(stack, session, path):
    return service_config(stack, session, extra="flyteauth:\n  keyring: false\n  file_cache: true\n  file_cache_path: %s\n" % path)


def test_a_tokens_json_planted_by_another_user_is_refused(stack, session, other_user, shared_dir, tmp_path):
    name, _ = other_user
    own = str(tmp_path / "state" / "tokens.json")
    _file_cache_config(stack, session, own)
    assert tool(session, "token").returncode == 0
    entries = json.load(open(own))
    for entry in entries.values():
        entry["access_token"] = "planted-by-another-user"
        entry["expires_at"] = int(time.time()) + 3600
    theirs = os.path.join(shared_dir, "state")
    os.mkdir(theirs, 0o755)
    with open(os.path.join(theirs, "tokens.json"), "w") as f:
        json.dump(entries, f)
    subprocess.run(["chown", "-R", name, theirs], check=True)
    _file_cache_config(stack, session, os.path.join(theirs, "tokens.json"))
    r = tool(session, "token")
    assert "planted-by-another-user" not in r.stdout
    assert theirs in r.stderr and "another user" in r.stderr, (r.returncode, r.stderr)


def test_a_tokens_json_readable_by_others_is_set_back_to_0600_with_a_warning(stack, session, tmp_path):
    path = str(tmp_path / "state" / "tokens.json")
    _file_cache_config(stack, session, path)
    assert tool(session, "token").returncode == 0
    os.chmod(path, 0o644)
    r = tool(session, "token")
    assert r.returncode == 0, r.stderr
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert "readable by other users" in r.stderr, r.stderr


def test_a_fifo_at_the_discovery_cache_path_does_not_hang_a_call(stack, session, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    for n in discovery_names(stack.endpoint):
        os.mkfifo(str(cache / n), 0o600)
    service_config(stack, session, extra="flyteauth:\n  keyring: false\n  cache_dir: %s\n  http_timeout_seconds: 2\n" % cache)
    r = tool(session, "token", timeout=30)
    assert r.returncode == 0 and r.seconds < 10, (r.returncode, r.seconds, r.stderr)
    assert "not a regular file" in r.stderr, r.stderr


def test_stale_temporary_clean_up_deletes_only_our_own_files(stack, session, other_user, shared_dir):
    name, _ = other_user
    d = os.path.join(shared_dir, "sticky")
    os.mkdir(d)
    os.chmod(d, 0o1777)  # like /tmp: others may add files, not replace ours
    theirs = os.path.join(d, "tokens.json.tmp.2147480000.1")
    as_user(name, "touch", theirs)
    _file_cache_config(stack, session, os.path.join(d, "tokens.json"))
    r = tool(session, "token")
    assert r.returncode == 0, r.stderr
    assert os.path.exists(theirs), "another user's file was deleted"


# ---- a configuration file another user controls runs nothing -------------------

def test_a_flytekit_config_written_by_another_user_in_the_cwd_is_refused(stack, session, other_user, shared_dir):
    name, _ = other_user
    proof = os.path.join(shared_dir, "ran-as-root")
    cmd = os.path.join(shared_dir, "cmd.sh")
    with open(cmd, "w") as f:
        f.write("#!/bin/sh\ntouch %s\necho not-a-real-token\n" % proof)
    os.chmod(cmd, 0o755)
    work = os.path.join(shared_dir, "work")
    os.mkdir(work, 0o755)
    with open(os.path.join(work, "flytekit.config"), "w") as f:
        f.write("[platform]\nurl = %s\ninsecure = True\n[credentials]\nauth_mode = ExternalCommand\ncommand = %s\n"
                % (host(stack), cmd))
    subprocess.run(["chown", name, os.path.join(work, "flytekit.config")], check=True)
    e = session.env()
    e.pop("FLYTECTL_CONFIG", None)
    r = subprocess.run([TOOL, "token"], env=e, cwd=work, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert not os.path.exists(proof), "a command from another user's configuration ran as root"
    assert r.returncode != 0 and "flytekit.config" in r.stderr and "another user" in r.stderr, r.stderr


# ---- token bytes ----------------------------------------------------------------

def test_a_command_token_with_terminal_escapes_is_an_error_never_printed(stack, session, tmp_path):
    cmd = tmp_path / "cmd.sh"
    cmd.write_text("#!/bin/sh\nprintf 'abc\\033]0;pwned\\007\\033[2Jdef\\n'\n")
    cmd.chmod(0o755)
    write_config(session, "admin:\n  endpoint: dns:///%s\n  insecure: true\n  authType: ExternalCommand\n"
                          "  command:\n  - %s\n" % (host(stack), cmd))
    r = tool(session, "token")
    assert "\x1b" not in r.stdout and "\x07" not in r.stdout and "\x1b" not in r.stderr
    assert r.returncode != 0 and "token command" in r.stderr, (r.returncode, r.stderr)


def test_an_idp_token_with_control_characters_is_refused(stack, session):
    def token(doc, front):
        doc["access_token"] = "abc\x1b[2J\x07def"
        return doc

    def metadata(doc, front):
        doc["token_endpoint"] = front.own(doc["token_endpoint"])
        return doc
    with RewritingFront(stack, metadata=metadata, token=token) as front:
        service_config(stack, session, endpoint="127.0.0.1:%d" % front.port,
                       extra="  insecure: true\nflyteauth:\n  keyring: false\n")
        r = tool(session, "token")
    assert "\x1b" not in r.stdout and "\x1b" not in r.stderr
    assert r.returncode != 0 and "not usable" in r.stderr, (r.returncode, r.stderr)


def test_a_cached_token_with_crlf_is_never_served(stack, session, tmp_path):
    path = str(tmp_path / "state" / "tokens.json")
    _file_cache_config(stack, session, path)
    assert tool(session, "token").returncode == 0
    entries = json.load(open(path))
    for entry in entries.values():
        entry["access_token"] = "abc\r\nX-Injected: 1"
        entry["expires_at"] = int(time.time()) + 3600
    with open(path, "w") as f:
        json.dump(entries, f)
    r = tool(session, "token", "--header")
    assert "X-Injected" not in r.stdout and "\r" not in r.stdout, "the cached CR LF token was served"
    assert r.returncode == 0, r.stderr  # a fresh token from the IdP replaces it
    assert "never served" in r.stderr, r.stderr


# ---- RFC 9207 iss, and a callback that trickling connections cannot block -------

def test_a_callback_with_another_issuer_does_not_log_in(stack, session, redirect_port, tmp_path):
    user_config(stack, session, redirect_port)
    browser = browser_script(tmp_path, suffix="&iss=" + urllib.parse.quote("https://attacker.example", safe=""))
    r = tool(session, "login", env={"BROWSER": browser, "PYTHONPATH": E2E}, timeout=60)
    assert r.returncode != 0 and "RFC 9207" in r.stderr, (r.returncode, r.stderr)


def test_a_callback_without_iss_fails_when_the_server_advertises_it(stack, session, redirect_port, tmp_path):
    def metadata(doc, front):
        doc["authorization_response_iss_parameter_supported"] = True
        return doc
    with RewritingFront(stack, metadata=metadata) as front:
        user_config(stack, session, redirect_port, endpoint="127.0.0.1:%d" % front.port)
        r = tool(session, "login", env={"BROWSER": browser_script(tmp_path), "PYTHONPATH": E2E}, timeout=60)
    assert r.returncode != 0 and "no issuer (iss)" in r.stderr, (r.returncode, r.stderr)


def test_trickling_connections_do_not_keep_the_callback_from_being_answered(stack, session, redirect_port, tmp_path):
    user_config(stack, session, redirect_port)
    report = tmp_path / "report.json"
    script = tmp_path / "browser.py"
    script.write_text(
        "import json, socket, sys, threading, time\nsys.path.insert(0, %r)\nfrom harness import user\n"
        "port = %d\nsocks = []\n"
        "for _ in range(17):\n"
        "    try:\n"
        "        s = socket.create_connection(('127.0.0.1', port), timeout=5)\n"
        "        s.sendall(b'G')\n"
        "        socks.append(s)\n"
        "    except OSError:\n"
        "        pass\n"
        "stop = threading.Event()\n"
        "def trickle():\n"
        "    while not stop.wait(2):\n"
        "        for s in socks:\n"
        "            try: s.sendall(b'E')\n"
        "            except OSError: pass\n"
        "threading.Thread(target=trickle, daemon=True).start()\n"
        "redirect = user.pkce_redirect(sys.argv[1])\n"
        "start = time.monotonic()\n"
        "try:\n"
        "    status, _ = user.deliver(redirect, timeout=8)\n"
        "except Exception as e:\n"
        "    status = repr(e)\n"
        "json.dump({'status': status, 'seconds': time.monotonic() - start}, open(%r, 'w'))\n"
        "stop.set()\n" % (E2E, redirect_port, str(report)))
    sh = tmp_path / "browser.sh"
    sh.write_text("#!/bin/sh\nexec %s %s \"$1\" >/dev/null 2>&1\n" % (sys.executable, script))
    sh.chmod(0o755)
    with open(os.path.join(session.home, ".flyte", "config.yaml"), "a") as f:
        f.write("  login_timeout_seconds: 20\n")
    r = tool(session, "login", env={"BROWSER": str(sh), "PYTHONPATH": E2E}, timeout=60)
    got = json.loads(report.read_text())
    assert got["status"] == 200 and got["seconds"] < 5, got
    assert r.returncode == 0, r.stderr
