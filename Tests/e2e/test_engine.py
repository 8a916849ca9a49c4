"""The engine against real servers: discovery variants and its disk cache, proxy
authorization, HTTP proxy settings, and servers that answer garbage, too much, or nothing."""
import http.server
import os
import socketserver
import threading
import time
import urllib.request

import pytest

import cache_driver as cd

HERE = os.path.dirname(os.path.abspath(__file__))


def client(settings):
    return cd.new_client(settings)


def headers_of(c):
    md = cd.ctypes.POINTER(cd.Metadata)()
    st = cd.lib.flyteauth_client_metadata(c, cd.ctypes.byref(md))
    if st != 0:
        e = cd.lib.flyteauth_error_last().contents
        return st, e.message.decode(), None
    hs = [(md.contents.headers[i].key.decode(), md.contents.headers[i].value.decode()) for i in range(md.contents.count)]
    cd.lib.flyteauth_metadata_free(md)
    return 0, "", hs


# The harness plugin's `stack` fixture, with access tokens of 30 s.
STACK = {"access_token_duration": 30}


def service(stack, tmp_path, **extra):
    s = {"endpoint": stack.endpoint, "insecure": True, "auth_type": "ClientSecret",
         "client_id": stack.state["service_client_id"], "client_secret": stack.state["service_client_secret"],
         "scopes": ["all"], "keyring": False, "cache_dir": str(tmp_path / "cache")}
    s.update(extra)
    return s


def test_proxy_authorization_on_every_request_to_flyte(stack, tmp_path):
    cmd = tmp_path / "iap.sh"
    cmd.write_text("#!/bin/sh\necho proxy-token-123\n")
    cmd.chmod(0o755)
    stack.front.reset_counts()
    c = client(service(stack, tmp_path, proxy_command=[str(cmd)], discovery_cache_ttl_seconds=0))
    st, msg, hs = headers_of(c)
    assert st == 0, msg
    assert dict(hs)["proxy-authorization"] == "Bearer proxy-token-123"
    assert hs[0][0] == "flyte-authorization"
    paths = ["/.well-known/oauth-authorization-server", "/config/v1/flyte_client", "/oauth2/token"]
    for path in paths:
        values = stack.front.header_values("proxy-authorization", path)
        assert values and all(v == "Bearer proxy-token-123" for v in values), path
    cd.lib.flyteauth_client_free(c)


def test_flyte2_only_endpoint_is_discovered_through_connectrpc(tmp_path):
    from harness import start_stack
    s = start_stack(flyte1=False)
    try:
        c = client(service(s, tmp_path))
        st, msg, hs = headers_of(c)
        assert st == 0, msg
        counts = s.front.counts()["paths"]
        assert counts.get("/flyteidl2.auth.AuthMetadataService/GetOAuth2Metadata") == 1
        assert counts.get("/flyteidl2.auth.AuthMetadataService/GetPublicClientConfig") == 1
        cd.lib.flyteauth_client_free(c)
    finally:
        s.stop()


def test_discovery_documents_are_cached_on_disk(stack, tmp_path):
    settings = service(stack, tmp_path)
    stack.front.reset_counts()
    for _ in range(3):
        c = client(settings)
        assert headers_of(c)[0] == 0
        cd.lib.flyteauth_client_free(c)
    paths = stack.front.counts()["paths"]
    assert paths.get("/.well-known/oauth-authorization-server") == 1, "three clients, one discovery"
    assert paths.get("/oauth2/token") == 3
    files = [f for f in os.listdir(tmp_path / "cache") if f.startswith("discovery-")]
    assert len(files) == 1
    assert (os.stat(tmp_path / "cache" / files[0]).st_mode & 0o077) == 0, "not readable by others"


class _CountingProxy(http.server.BaseHTTPRequestHandler):
    """A forward HTTP proxy that counts what it relays."""
    seen = []

    def log_message(self, *a):
        pass

    def _relay(self):
        _CountingProxy.seen.append(self.path.split("?")[0])
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        req = urllib.request.Request(self.path, data=body, method=self.command,
                                     headers={k: v for k, v in self.headers.items() if k.lower() not in ("proxy-connection", "host")})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            resp = opener.open(req, timeout=10)
            status, data, ctype = resp.status, resp.read(), resp.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            status, data, ctype = e.code, e.read(), e.headers.get("Content-Type", "")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _relay


def serve(handler):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_http_proxy_setting_applies_to_discovery_and_token_requests(stack, tmp_path):
    proxy = serve(_CountingProxy)
    try:
        _CountingProxy.seen.clear()
        c = client(service(stack, tmp_path, http_proxy_url="http://127.0.0.1:%d" % proxy.server_address[1],
                           discovery_cache_ttl_seconds=0))
        st, msg, _ = headers_of(c)
        assert st == 0, msg
        assert any(p.endswith("/.well-known/oauth-authorization-server") for p in _CountingProxy.seen)
        assert any(p.endswith("/oauth2/token") for p in _CountingProxy.seen), _CountingProxy.seen
        cd.lib.flyteauth_client_free(c)
    finally:
        proxy.shutdown()


class _BadServer(http.server.BaseHTTPRequestHandler):
    """A token endpoint that misbehaves in the way its path says."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        kind = self.path.strip("/")
        if kind == "hang":
            time.sleep(8)
        body = {"garbage": b"<html>definitely not json",
                "huge": b'{"access_token":"' + b"a" * (2 << 20) + b'"}',
                "utf8": b'{"access_token":"\xff\xfe"}',
                "notoken": b'{"token_type":"Bearer"}',
                "html401": b"<html><body>401 Authorization Required</body></html>",
                "hang": b"{}"}[kind]
        self.send_response(401 if kind == "html401" else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


@pytest.mark.parametrize("kind,status,mention", [
    ("garbage", 5, "not valid JSON"),
    ("huge", 5, "larger than"),
    ("utf8", 5, "UTF-8"),
    ("notoken", 5, "no access_token"),
    ("html401", 5, "HTTP 401"),
    ("hang", 4, "no answer within 2 s"),
])
def test_bad_token_endpoints_give_clear_errors(tmp_path, kind, status, mention):
    server = serve(_BadServer)
    try:
        url = "http://127.0.0.1:%d/%s" % (server.server_address[1], kind)
        c = client({"auth_type": "ClientSecret", "client_id": "x", "client_secret": "s3cret-value", "scopes": ["all"],
                    "token_url": url, "authorization_header": "authorization", "http_timeout_seconds": 2,
                    "keyring": False})
        t0 = time.time()
        st, msg, _ = headers_of(c)
        assert time.time() - t0 < 5
        assert st == status and mention in msg, (st, msg)
        assert "s3cret-value" not in msg
        cd.lib.flyteauth_client_free(c)
    finally:
        server.shutdown()
