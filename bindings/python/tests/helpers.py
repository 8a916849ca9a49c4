"""Test helpers: assertions that never print secrets, and local gRPC / HTTP servers that
accept only a currently valid bearer token.

A token is valid when it is a JWT whose ``exp`` has not passed and that the test has
not marked stale (``TokenChecker.stale``); no signature check. Nothing here prints or
logs a token: rejections carry a fixed message, and counters hold no values.
"""
from __future__ import annotations

import base64
import collections
import hashlib
import http.server
import json
import socketserver
import threading
import time
from concurrent import futures
from typing import Optional

AUTH_KEY = "flyte-authorization"  # what the harness front announces as authorization_metadata_key


def require(cond, what):
    """assert without pytest printing the operands (they may hold tokens)."""
    __tracebackhide__ = True
    if not cond:
        raise AssertionError(what)


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:12]


def bare(value: str) -> str:
    return value[7:] if value.lower().startswith("bearer ") else value


def jwt_exp(value: str) -> Optional[float]:
    parts = bare(value).split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    return float(exp) if isinstance(exp, (int, float)) else None


class TokenChecker:
    """Decides whether a header value is a currently valid bearer token."""

    def __init__(self):
        self.lock = threading.Lock()
        self.stale = set()          # bare tokens to reject
        self.always_reject = False

    def mark_stale(self, value: str) -> None:
        with self.lock:
            self.stale.add(bare(value))

    def ok(self, value: Optional[str]) -> bool:
        if not value or not value.startswith("Bearer "):
            return False
        with self.lock:
            if self.always_reject or bare(value) in self.stale:
                return False
        exp = jwt_exp(value)
        return exp is not None and exp > time.time()


# ---------------------------------------------------------------------------
# gRPC: service flyteauth.test.Echo with the four call shapes, raw bytes messages
# ---------------------------------------------------------------------------

SERVICE = "flyteauth.test.Echo"


class GrpcEchoServer:
    """In-process gRPC server on 127.0.0.1 (generic handlers, no protoc). Every method
    first checks `AUTH_KEY` metadata with the checker and aborts with `reject_code`
    (UNAUTHENTICATED unless changed) when it is not valid."""

    def __init__(self, checker: TokenChecker, secure: bool = False):
        import grpc

        self.grpc = grpc
        self.checker = checker
        self.reject_code = grpc.StatusCode.UNAUTHENTICATED
        self.calls = collections.Counter()      # method -> attempts
        self.accepted = collections.Counter()   # method -> attempts with a valid token
        self.requests_seen = collections.Counter()  # method -> request messages read
        self.lock = threading.Lock()
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        handlers = {
            "Unary": grpc.unary_unary_rpc_method_handler(self._unary),
            "ServerStream": grpc.unary_stream_rpc_method_handler(self._server_stream),
            "ClientStream": grpc.stream_unary_rpc_method_handler(self._client_stream),
            "BidiStream": grpc.stream_stream_rpc_method_handler(self._bidi),
        }
        self.server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
        if secure:
            creds = grpc.local_server_credentials(grpc.LocalConnectionType.LOCAL_TCP)
            self.port = self.server.add_secure_port("127.0.0.1:0", creds)
        else:
            self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.target = "127.0.0.1:%d" % self.port
        self.server.start()

    def stop(self):
        self.server.stop(grace=None).wait(5)

    def reset(self):
        with self.lock:
            self.calls.clear()
            self.accepted.clear()
            self.requests_seen.clear()

    def _check(self, context, method):
        md = dict(context.invocation_metadata())
        with self.lock:
            self.calls[method] += 1
        if not self.checker.ok(md.get(AUTH_KEY)):
            context.abort(self.reject_code, "token rejected by the test server")
        with self.lock:
            self.accepted[method] += 1

    def _count_request(self, method):
        with self.lock:
            self.requests_seen[method] += 1

    def _unary(self, request, context):
        self._check(context, "Unary")
        return b"unary:" + request

    def _server_stream(self, request, context):
        self._check(context, "ServerStream")
        for i in range(3):
            yield b"%s:%d" % (request, i)

    def _client_stream(self, request_iterator, context):
        self._check(context, "ClientStream")
        parts = []
        for r in request_iterator:
            self._count_request("ClientStream")
            parts.append(r)
        return b"client:" + b"+".join(parts)

    def _bidi(self, request_iterator, context):
        self._check(context, "BidiStream")
        for r in request_iterator:
            self._count_request("BidiStream")
            yield b"bidi:" + r

    # client-side callables on a channel
    @staticmethod
    def methods(channel):
        return {
            "Unary": channel.unary_unary("/%s/Unary" % SERVICE),
            "ServerStream": channel.unary_stream("/%s/ServerStream" % SERVICE),
            "ClientStream": channel.stream_unary("/%s/ClientStream" % SERVICE),
            "BidiStream": channel.stream_stream("/%s/BidiStream" % SERVICE),
        }


# ---------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------

class _HTTPServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class HttpEchoServer:
    """127.0.0.1 HTTP server: 401 unless `AUTH_KEY` (or Authorization) carries a valid
    token; 200 with a JSON description of the request (method, body length and
    sha256 prefix) otherwise. Counts requests per path."""

    def __init__(self, checker: TokenChecker):
        self.checker = checker
        self.lock = threading.Lock()
        self.requests = collections.Counter()
        self.bodies = []  # (path, status, body digest) per request
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _body(self):
                if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
                    data = b""
                    while True:
                        size = int(self.rfile.readline().strip() or b"0", 16)
                        if size == 0:
                            self.rfile.readline()
                            return data
                        data += self.rfile.read(size)
                        self.rfile.readline()
                n = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(n) if n else b""

            def _handle(self):
                body = self._body()
                value = self.headers.get(AUTH_KEY) or self.headers.get("Authorization")
                ok = outer.checker.ok(value)
                status = 200 if ok else 401
                with outer.lock:
                    outer.requests[self.path] += 1
                    outer.bodies.append((self.path, status, len(body), hashlib.sha256(body).hexdigest()[:12]))
                if ok:
                    payload = json.dumps({"method": self.command, "length": len(body),
                                          "sha": hashlib.sha256(body).hexdigest()[:12]}).encode()
                else:
                    payload = b'{"error":"unauthenticated"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                if not ok:
                    self.send_header("WWW-Authenticate", 'Bearer realm="test"')
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = _handle

        self.server = _HTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()

    def reset(self):
        with self.lock:
            self.requests.clear()
            self.bodies.clear()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


class SlowTokenProxy:
    """A token endpoint in front of `upstream` that answers `delay` seconds after the
    upstream answered (network latency between issuance and receipt). Use its `url` as
    the "token_url" setting."""

    def __init__(self, upstream: str, delay: float):
        import urllib.request

        outer = self
        self.requests = 0

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() in ("authorization", "content-type", "accept")}
                req = urllib.request.Request(upstream, data=body, headers=headers, method="POST")
                opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
                try:
                    with opener.open(req, timeout=15) as r:
                        status, payload, ctype = r.status, r.read(), r.headers.get("Content-Type", "")
                except urllib.error.HTTPError as e:
                    status, payload, ctype = e.code, e.read(), e.headers.get("Content-Type", "")
                outer.requests += 1
                time.sleep(delay)
                self.send_response(status)
                self.send_header("Content-Type", ctype or "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = _HTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/token" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
