"""A programmable front for fault injection: forwards requests to real upstreams (the
Flyte front, glewlwyd) and, when told, answers a chosen kind of request badly instead.

    with FaultFront({"/idp/": idp_url, "/": front_url}) as ff:
        ff.inject("silence", match="token")          # the next matching requests
        ... ff.url + "/oauth2/token" ...
        ff.clear()

`match` selects requests: "token" (POST .../token, optionally `grant_type=G`),
"discovery" (Flyte 1 and 2 discovery paths), "device" (device authorization), or "*".
`times`: how many matching requests get the fault (None: until clear()).

Raw sockets rather than http.server, so a fault can be exactly what the wire carries
(headers that never end, silence after accept, a body that never ends). Loopback only;
stop() closes the listener and every connection it holds.
"""
import socket
import time
import urllib.parse

from . import netutil

DISCOVERY_PATHS = ("/.well-known/", "/config/v1/", "/flyteidl2.auth.AuthMetadataService/")
HUGE = 100 * 1024 * 1024
# A non-loopback address (TEST-NET-3, RFC 5737): a redirect there must never be followed.
OFF_LOOPBACK = "http://203.0.113.7/token"

KINDS = ("custom", "garbage", "invalid_utf8", "huge_body", "endless_fast", "endless_slow", "silence", "endless_headers",
         "endless_header_line",
         "html_401", "html_403", "html_500", "redirect_loopback", "redirect_off_loopback", "wrong_content_type",
         "429_retry_after", "503_retry_after", "429_then_ok")


def _canned(status, reason, body, content_type="application/json", extra=()):
    head = "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n" % (
        status, reason, content_type, len(body))
    for k, v in extra:
        head += "%s: %s\r\n" % (k, v)
    return head.encode() + b"\r\n" + body


HTML = b"<!doctype html><html><head><title>%d</title></head><body><h1>%d %s</h1><p>nginx</p></body></html>"


class FaultFront(netutil.LoopbackServer):
    thread_name = "fault-front"
    reuse_addr = True

    def __init__(self, routes, tls=None):
        # tls: an ssl.SSLContext (server side) to serve HTTPS instead of HTTP.
        super().__init__()
        self.tls = tls
        # Longest prefix first: {"/idp/": "http://127.0.0.1:P", "/": "http://127.0.0.1:Q"}.
        self.routes = sorted(routes.items(), key=lambda kv: -len(kv[0]))
        self._faults = []  # [kind, match, grant_type, remaining or None]
        self.seen = []     # (method, path, fault kind or None)
        self.redirect_target_hits = 0

    @property
    def url(self):
        return "%s://%s:%d" % ("https" if self.tls else "http", netutil.LOOPBACK, self.port)

    # ---- control ---------------------------------------------------------
    def inject(self, kind, match="*", grant_type=None, times=None, status=200, body=b""):
        """kind "custom": answer `status` with the JSON `body` (bytes)."""
        assert kind in KINDS, kind
        with self._lock:
            self._faults.append([kind, match, grant_type, times])
            self.custom = (status, body)

    def clear(self):
        with self._lock:
            self._faults.clear()
            self.seen.clear()
            self.redirect_target_hits = 0

    def faulted(self):
        with self._lock:
            return [s for s in self.seen if s[2]]

    # ---- serving ---------------------------------------------------------
    def _pick(self, method, path, body):
        form = urllib.parse.parse_qs(body.decode(errors="replace")) if method == "POST" else {}
        grant = (form.get("grant_type") or [""])[0]
        kind_of = "*"
        if path.startswith(DISCOVERY_PATHS):
            kind_of = "discovery"
        elif path.endswith("/token"):
            kind_of = "token"
        elif "device" in path:
            kind_of = "device"
        with self._lock:
            for f in self._faults:
                kind, match, g, remaining = f
                if match not in ("*", kind_of) or (g and g != grant) or remaining == 0:
                    continue
                if remaining is not None:
                    f[3] -= 1
                return kind
        return None

    def _serve(self, conn):
        try:
            conn.settimeout(30)
            if self.tls is not None:
                raw = conn
                conn = self.tls.wrap_socket(raw, server_side=True)  # a refused handshake raises here
                with self._lock:
                    self._conns.discard(raw)
                    self._conns.add(conn)
            method, path, headers, body = self._read_request(conn)
            if method is None:
                return
            if path.startswith("/_redirected"):
                with self._lock:
                    self.redirect_target_hits += 1
                conn.sendall(_canned(200, "OK", b'{"access_token":"followed-a-redirect","expires_in":60}'))
                return
            kind = self._pick(method, path, body)
            with self._lock:
                self.seen.append((method, path, kind))
            if kind is None or (kind == "429_then_ok" and self._then_ok(conn)):
                self._forward(conn, method, path, headers, body)
            else:
                self._fault(conn, kind)
        except OSError:
            pass
        finally:
            with self._lock:
                self._conns.discard(conn)
            try:
                conn.close()
            except OSError:
                pass

    def _then_ok(self, conn):
        # First 429 with Retry-After: 1 for this injection, then pass through.
        conn.sendall(_canned(429, "Too Many Requests", b'{"error":"rate_limited"}', extra=[("Retry-After", "1")]))
        with self._lock:
            self._faults = [f for f in self._faults if f[0] != "429_then_ok"]
        return False

    @staticmethod
    def _read_request(conn):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None, None, None, None
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode(errors="replace").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = []
        length = 0
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers.append((k.strip(), v.strip()))
            if k.strip().lower() == "content-length":
                length = int(v.strip())
        while len(rest) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            rest += chunk
        path = urllib.parse.urlsplit(target).path if target.startswith("http") else target
        return method, path, headers, rest[:length]

    def _forward(self, conn, method, path, headers, body):
        for prefix, upstream in self.routes:  # noqa: B007 - both are used after the break
            if path.startswith(prefix):
                break
        rest = path[len(prefix):] if prefix != "/" else path
        if not rest.startswith("/"):
            rest = "/" + rest
        u = urllib.parse.urlsplit(upstream)
        up = socket.create_connection((u.hostname, u.port), timeout=20)
        try:
            keep = [(k, v) for k, v in headers if k.lower() not in ("host", "connection", "proxy-connection")]
            head = "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n" % (method, u.path.rstrip("/") + rest, u.netloc)
            head += "".join("%s: %s\r\n" % kv for kv in keep) + "\r\n"
            up.sendall(head.encode() + body)
            while True:
                chunk = up.recv(65536)
                if not chunk:
                    break
                conn.sendall(chunk)
        finally:
            up.close()

    def _fault(self, conn, kind):
        if kind == "custom":
            status, body = self.custom
            conn.sendall(_canned(status, "Custom", body))
        elif kind == "garbage":
            conn.sendall(_canned(200, "OK", b"\x00\x01garbage{{{[not json at all"))
        elif kind == "invalid_utf8":
            conn.sendall(_canned(200, "OK", b'{"access_token":"\xff\xfe\xfd","expires_in":60,"device_code":"\xc3"}'))
        elif kind == "huge_body":
            conn.sendall(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % HUGE).encode())
            block = b'{"access_token":"' + b"a" * (1 << 20)
            sent = 0
            while sent < HUGE and not self._stop.is_set():
                conn.sendall(block)
                sent += len(block)
        elif kind in ("endless_fast", "endless_slow"):
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
            conn.sendall(b"1\r\n{\r\n")
            while not self._stop.is_set():
                if kind == "endless_fast":
                    piece = b"[" * 65536
                    conn.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
                else:
                    conn.sendall(b"1\r\n \r\n")
                    time.sleep(0.2)
        elif kind == "silence":
            self._stop.wait(60)
        elif kind == "endless_headers":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
            n = 0
            while not self._stop.is_set():
                conn.sendall(b"X-Filler-%d: %s\r\n" % (n, b"h" * 200))
                n += 1
        elif kind == "endless_header_line":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Filler: ")
            while not self._stop.is_set():
                conn.sendall(b"h" * 65536)
        elif kind.startswith("html_"):
            status = int(kind[5:])
            reason = {401: "Unauthorized", 403: "Forbidden", 500: "Internal Server Error"}[status]
            conn.sendall(_canned(status, reason, HTML % (status, status, reason.encode()), "text/html"))
        elif kind == "redirect_loopback":
            conn.sendall(_canned(302, "Found", b"", "text/plain", [("Location", self.url + "/_redirected/token")]))
        elif kind == "redirect_off_loopback":
            conn.sendall(_canned(307, "Temporary Redirect", b"", "text/plain", [("Location", OFF_LOOPBACK)]))
        elif kind == "wrong_content_type":
            conn.sendall(_canned(200, "OK", b"<html><body>Sign in to continue</body></html>", "text/html"))
        elif kind == "429_retry_after":
            conn.sendall(_canned(429, "Too Many Requests", b'{"error":"rate_limited"}', extra=[("Retry-After", "1")]))
        elif kind == "503_retry_after":
            conn.sendall(_canned(503, "Service Unavailable", b"<html>down for maintenance</html>", "text/html",
                                 [("Retry-After", "1")]))
