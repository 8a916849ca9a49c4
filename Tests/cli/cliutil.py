"""Helpers shared by the CLI tests: the tool, configuration files, test fronts."""
import email.utils
import http.server
import os
import socketserver
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
E2E = os.path.join(ROOT, "Tests", "e2e")
if E2E not in sys.path:
    sys.path.insert(0, E2E)
TOOL = os.environ.get("FLYTEAUTH_TOOL") or os.path.join(ROOT, "build", "stage", "bin", "flyteauth")

# case | message | exit code | time, printed at the end of the run (conftest.py).
FAILURE_TABLE = []


def host(stack):
    return stack.endpoint.split("://", 1)[1]


def write_config(session, text, name="config.yaml"):
    path = os.path.join(session.home, ".flyte", name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    return path


def service_config(stack, session, endpoint=None, extra=""):
    secret = os.path.join(session.home, "secret.txt")
    with open(secret, "w") as f:
        f.write(stack.state["service_client_secret"] + "\n")
    insecure = "" if endpoint else "  insecure: true\n"
    return write_config(session, "admin:\n  endpoint: dns:///%s\n%s  authType: ClientSecret\n"
                                 "  clientId: %s\n  clientSecretLocation: %s\n  scopes: [all]\n%s"
                        % (endpoint or host(stack), insecure, stack.state["service_client_id"], secret, extra))


def user_config(stack, session, port, auth="Pkce", endpoint=None):
    return write_config(session, "admin:\n  endpoint: dns:///%s\n  insecure: true\n  authType: %s\n"
                                 "flyteauth:\n  redirect_uri: http://localhost:%d/callback\n"
                        % (endpoint or host(stack), auth, port))


class Timed:
    def __init__(self, completed, seconds):
        self.returncode = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        self.seconds = seconds


def tool(session, *args, env=None, timeout=60):
    e = session.env()
    e.update(env or {})
    start = time.monotonic()
    r = subprocess.run([TOOL] + list(args), env=e, capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    return Timed(r, time.monotonic() - start)


def record(case, r):
    """Adds a row to the failure table: the message is stderr's error and fix lines."""
    message = " / ".join(l.strip() for l in r.stderr.splitlines() if l.strip())
    FAILURE_TABLE.append((case, message, r.returncode, r.seconds))


class _Threaded(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class ProxyFront:
    """Forwards every request to `upstream` (the test Flyte front) and answers with its
    status, headers and body, except `Date`, which is shifted by `date_offset` seconds.
    With `certfile`/`keyfile` it serves HTTPS (a TLS front for the doctor's TLS checks)."""

    def __init__(self, upstream, date_offset=0, certfile=None, keyfile=None):
        self.upstream = upstream
        self.date_offset = date_offset
        front = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def date_time_string(self, timestamp=None):
                return email.utils.formatdate(time.time() + front.date_offset, usegmt=True)

            def _forward(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length", "connection")}
                req = urllib.request.Request(front.upstream + self.path, data=body, headers=headers, method=self.command)
                try:
                    with urllib.request.urlopen(req, timeout=15) as resp:
                        status, rheaders, data = resp.status, resp.headers, resp.read()
                except urllib.error.HTTPError as e:
                    status, rheaders, data = e.code, e.headers, e.read()
                self.send_response(status)
                for k, v in rheaders.items():
                    if k.lower() not in ("date", "server", "content-length", "connection", "transfer-encoding"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_HEAD = _forward

        self.server = _Threaded(("127.0.0.1", 0), Handler)
        if certfile:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(certfile, keyfile)
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    @property
    def hostport(self):
        return "127.0.0.1:%d" % self.port


def self_signed_cert(directory, san="IP:127.0.0.1", cn="flyte-test-front"):
    """A self-signed certificate and key made with openssl; returns (cert, key)."""
    cert, key = os.path.join(directory, "front.crt"), os.path.join(directory, "front.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", "/CN=" + cn,
                    "-addext", "subjectAltName=" + san, "-keyout", key, "-out", cert],
                   check=True, capture_output=True, timeout=60)
    return cert, key
