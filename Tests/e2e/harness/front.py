"""A stand-in for the Flyte admin endpoint, in front of a real IdP (glewlwyd).

Serves Flyte's two anonymous discovery documents (Flyte 1 grpc-gateway GETs and
Flyte 2 ConnectRPC POSTs), proxies the token endpoint so tests can count, fail or
delay token requests, and answers an identity call (/me, IdentityService/UserInfo).

Nothing here prints or logs tokens or secrets. Request records keep only a
redacted form of credential headers (scheme + sha256 prefix) and only the names
of secret form fields; raw header values are reachable in-process through
header_values() for tests that need to compare them.
"""
import hashlib
import http.server
import json
import socketserver
import threading
import time
import urllib.parse

from . import netutil

# RFC 8414 fields of Flyte's OAuth2MetadataResponse, in proto order.
METADATA_FIELDS = (
    ("issuer", str), ("authorization_endpoint", str), ("token_endpoint", str),
    ("response_types_supported", list), ("scopes_supported", list),
    ("token_endpoint_auth_methods_supported", list), ("jwks_uri", str),
    ("code_challenge_methods_supported", list), ("grant_types_supported", list),
    ("device_authorization_endpoint", str),
)
# PublicClientAuthConfigResponse; Flyte 2 adds dataplane_domain.
CLIENT_CONFIG_FIELDS = (
    ("client_id", str), ("redirect_uri", str), ("scopes", list),
    ("authorization_metadata_key", str), ("service_http_endpoint", str), ("audience", str),
)
CLIENT_CONFIG_FIELDS_V2 = CLIENT_CONFIG_FIELDS + (("dataplane_domain", str),)

WELL_KNOWN = "/.well-known/oauth-authorization-server"
CLIENT_CONFIG = "/config/v1/flyte_client"
V2_METADATA = "/flyteidl2.auth.AuthMetadataService/GetOAuth2Metadata"
V2_CLIENT_CONFIG = "/flyteidl2.auth.AuthMetadataService/GetPublicClientConfig"
V2_USERINFO = "/flyteidl2.auth.IdentityService/UserInfo"
TOKEN_PATH = "/oauth2/token"

SENSITIVE_HEADERS = {"authorization", "proxy-authorization", "flyte-authorization",
                     "cookie", "set-cookie", "x-api-key"}
SAFE_FORM_FIELDS = {"grant_type", "client_id", "scope", "audience", "redirect_uri", "resource"}
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
              "trailers", "transfer-encoding", "upgrade", "host", "content-length",
              "accept-encoding"}


def camel(name):
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def redact(value):
    """'Bearer eyJ...' -> 'Bearer <redacted sha256:0123456789abcdef>'."""
    digest = hashlib.sha256(value.encode()).hexdigest()[:16]
    scheme = value.split(" ", 1)[0] if " " in value else ""
    return ("%s <redacted sha256:%s>" % (scheme, digest)).strip()


def render_snake(values, fields):
    """flyteadmin with Accept: application/json: original names, every field present."""
    out = {}
    for name, kind in fields:
        v = values.get(name)
        out[name] = v if v is not None else kind()
    return out


def render_camel(values, fields):
    """grpc-gateway default / ConnectRPC (protojson): lowerCamelCase, unset fields omitted."""
    out = {}
    for name, _kind in fields:
        v = values.get(name)
        if v in (None, "", []):
            continue
        out[camel(name)] = v
    return out


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    front = None


class FlyteFront:
    """Plays the Flyte admin endpoint on 127.0.0.1:<free port>.

    idp_discovery_url: the IdP's OIDC discovery URL (glewlwyd's
    /api/oidc/.well-known/openid-configuration). token requests to
    /oauth2/token are forwarded to the IdP's token_endpoint.
    """

    def __init__(self, idp_discovery_url, client_id, redirect_uri="http://localhost:53593/callback",
                 scopes=("all", "offline"), authorization_metadata_key="flyte-authorization",
                 service_http_endpoint="", audience="", dataplane_domain="",
                 flyte1=True, flyte2=True, metadata_overrides=None, client_config_overrides=None,
                 port=0, upstream_timeout=15.0):
        self.idp_discovery_url = idp_discovery_url
        self.flyte1 = flyte1
        self.flyte2 = flyte2
        self.upstream_timeout = upstream_timeout
        self.client_config = {
            "client_id": client_id, "redirect_uri": redirect_uri, "scopes": list(scopes),
            "authorization_metadata_key": authorization_metadata_key,
            "service_http_endpoint": service_http_endpoint, "audience": audience,
            "dataplane_domain": dataplane_domain,
        }
        self.metadata_overrides = dict(metadata_overrides or {})
        self.client_config_overrides = dict(client_config_overrides or {})
        self._port = port
        self._lock = threading.Lock()
        self._token_counts = {}
        self._path_counts = {}
        self._records = []
        self._raw_headers = []  # parallel to _records, never exposed over HTTP
        self._failures = []     # pending injected failures: dicts
        self._delays = []       # pending delays: [seconds, remaining or None]
        # A delayed refresh whose client went away meanwhile is not forwarded (a gateway
        # that cancels the upstream call when its client disconnects).
        self.abort_if_client_gone = False
        self._delayed_peer = None
        self._aborted = 0
        # Refresh-token bookkeeping (hashes only): every refresh token the IdP issued, the
        # ones it has rotated (answered a refresh with another), the ones in a request now.
        self._rotated = set()
        self._issued = set()
        self._references = {}   # opaque reference token -> the JWT it stands for
        self._in_flight = {}
        self._refresh = {"requests": 0, "stale": 0, "stale_senders": [], "refused": 0, "rotations": 0,
                         "logins": 0, "log": []}
        self.server = None
        self.thread = None
        self.idp_config = None

    # ---- lifecycle -------------------------------------------------------
    def start(self):
        self.idp_config = netutil.get_json(self.idp_discovery_url, timeout=10)
        self.server = _Server((netutil.LOOPBACK, self._port), _Handler)
        self.server.front = self
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1},
                                       name="flyte-front", daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(timeout=5)
            self.server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self):
        return "http://%s:%d" % (netutil.LOOPBACK, self.port)

    @property
    def token_endpoint(self):
        return self.url + TOKEN_PATH

    @property
    def upstream_token_endpoint(self):
        return self.idp_config["token_endpoint"]

    # ---- documents -------------------------------------------------------
    def metadata_values(self):
        values = {name: self.idp_config.get(name) for name, _ in METADATA_FIELDS}
        values["token_endpoint"] = self.token_endpoint
        with self._lock:
            values.update(self.metadata_overrides)
        return values

    def client_config_values(self):
        values = dict(self.client_config)
        with self._lock:
            values.update(self.client_config_overrides)
        return values

    def set_overrides(self, metadata=None, client_config=None, replace=False):
        """Override document fields (snake_case names). A value of None or "" makes the
        field unset: "" in snake_case answers, omitted in camelCase answers."""
        with self._lock:
            if replace:
                self.metadata_overrides.clear()
                self.client_config_overrides.clear()
            self.metadata_overrides.update(metadata or {})
            self.client_config_overrides.update(client_config or {})

    # ---- counters, records, faults -----------------------------------------
    def token_requests(self, grant_type=None):
        with self._lock:
            if grant_type is None:
                return sum(self._token_counts.values())
            return self._token_counts.get(grant_type, 0)

    def path_requests(self, path):
        with self._lock:
            return self._path_counts.get(path, 0)

    def counts(self):
        with self._lock:
            return {"token": dict(self._token_counts),
                    "token_total": sum(self._token_counts.values()),
                    "paths": dict(self._path_counts)}

    def reset_counts(self):
        with self._lock:
            self._token_counts.clear()
            self._path_counts.clear()
            self._records.clear()
            self._raw_headers.clear()

    def records(self, path=None):
        """Per-request records: method, path, headers (credentials redacted), form (secret
        fields as '<redacted>'), status, injected. Safe to print."""
        with self._lock:
            return [json.loads(json.dumps(r)) for r in self._records if path is None or r["path"] == path]

    def header_values(self, name, path=None):
        """Raw values of header `name` as received, in request order (for assertions; do not print)."""
        name = name.lower()
        with self._lock:
            return [h[name] for r, h in zip(self._records, self._raw_headers)
                    if name in h and (path is None or r["path"] == path)]

    def refresh_stats(self):
        """Refresh requests at the token endpoint since the front started: `stale` counts
        every one carrying a refresh token the IdP had already rotated (or that another
        request was presenting at that moment), whatever the IdP answered; `refused` the
        refreshes it refused; `rotations` the refreshes it answered with a new refresh
        token; `logins` the other grants that issued one (a new chain)."""
        with self._lock:
            return json.loads(json.dumps(self._refresh))

    def reference_token(self, access_token):
        """An opaque token standing for `access_token` at Flyte's identity endpoints (/me,
        IdentityService/UserInfo), as a gateway issuing reference tokens translates them:
        no lifetime can be read from it. Unknown reference tokens are refused there."""
        ref = "ref-" + hashlib.sha256(access_token.encode()).hexdigest()[:32]
        with self._lock:
            self._references[ref] = access_token
        return ref

    def delayed_peer(self):
        """The (host, port) of the client whose token request is being delayed now, or None."""
        with self._lock:
            return self._delayed_peer

    def aborted(self):
        """Delayed token requests not forwarded because their client had gone."""
        with self._lock:
            return self._aborted

    def refresh_token_state(self, refresh_token):
        """'live' (issued, not rotated), 'rotated', or 'unknown' (never issued through the front)."""
        h = hashlib.sha256(refresh_token.encode()).hexdigest()
        with self._lock:
            return "rotated" if h in self._rotated else "live" if h in self._issued else "unknown"

    def _refresh_sent(self, refresh_token, user_agent):
        h = hashlib.sha256(refresh_token.encode()).hexdigest()
        with self._lock:
            self._refresh["requests"] += 1
            if h in self._rotated:
                self._stale(user_agent)
        return h

    def _stale(self, user_agent):
        self._refresh["stale"] += 1
        self._refresh["stale_senders"].append("%s at %.1f" % (user_agent or "?", time.time()))

    def _forwarding(self, sent_hash, user_agent):
        """A refresh request reaches the IdP: presenting a token another request is
        presenting there right now is as stale as presenting a rotated one."""
        if sent_hash is None:
            return
        with self._lock:
            if self._in_flight.get(sent_hash) and sent_hash not in self._rotated:
                self._stale(user_agent)
            self._in_flight[sent_hash] = self._in_flight.get(sent_hash, 0) + 1

    def _token_answered(self, sent_hash, status, body, forwarded=True):
        try:
            issued = json.loads(body).get("refresh_token") if status == 200 else None
        except (ValueError, AttributeError):
            issued = None
        new = hashlib.sha256(issued.encode()).hexdigest() if isinstance(issued, str) and issued else None
        with self._lock:
            if new:
                self._issued.add(new)
            # Short hashes only: the chain as the front saw it, for a report.
            self._refresh["log"].append("%.1f %s -> %s %d" % (time.time(), (sent_hash or "login")[:6], (new or "-")[:6], status))
            if sent_hash is not None and not forwarded:
                pass
            elif sent_hash is not None:
                self._in_flight[sent_hash] -= 1
                if status == 200 and new and new != sent_hash:
                    self._rotated.add(sent_hash)
                    self._refresh["rotations"] += 1
                elif status in (400, 401):
                    self._refresh["refused"] += 1
            elif new:
                self._refresh["logins"] += 1

    def fail_next(self, n=1, status=503, body=None, content_type="application/json", grant_type=None):
        """The next n token requests (of grant_type, if given) get status/body instead of
        reaching the IdP. Default body: {"error":"temporarily_unavailable"}."""
        if body is None:
            body = json.dumps({"error": "temporarily_unavailable",
                               "error_description": "injected by the test front"})
        with self._lock:
            self._failures.append({"remaining": int(n), "status": int(status), "body": body,
                                   "content_type": content_type, "grant_type": grant_type})

    def delay_next(self, seconds, n=1):
        """Delay the next n token requests by `seconds` (n=None: every request until cleared)."""
        with self._lock:
            self._delays.append([float(seconds), None if n is None else int(n)])

    def clear_faults(self):
        with self._lock:
            self._failures.clear()
            self._delays.clear()

    def _take_fault(self, grant_type):
        with self._lock:
            delay = 0.0
            for d in self._delays:
                delay = d[0]
                if d[1] is not None:
                    d[1] -= 1
                break
            self._delays = [d for d in self._delays if d[1] is None or d[1] > 0]
            failure = None
            for f in self._failures:
                if f["grant_type"] in (None, grant_type):
                    failure = dict(f)
                    f["remaining"] -= 1
                    break
            self._failures = [f for f in self._failures if f["remaining"] > 0]
            return delay, failure

    def _record(self, method, path, headers, form=None, grant_type=None):
        raw = {k.lower(): v for k, v in headers.items()}
        shown = {k: (redact(v) if k in SENSITIVE_HEADERS else v) for k, v in raw.items()}
        rec = {"method": method, "path": path, "headers": shown, "status": None, "injected": False,
               "time": time.time()}
        if form is not None:
            rec["form"] = {k: (v if k in SAFE_FORM_FIELDS else "<redacted>") for k, v in form.items()}
        with self._lock:
            self._path_counts[path] = self._path_counts.get(path, 0) + 1
            if grant_type is not None:
                self._token_counts[grant_type] = self._token_counts.get(grant_type, 0) + 1
            self._records.append(rec)
            self._raw_headers.append(raw)
        return rec


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FlyteFront/1"

    def log_message(self, *args):  # never log request lines: queries may hold codes
        pass

    @property
    def front(self):
        return self.server.front

    # ---- helpers -----------------------------------------------------------
    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def _send(self, status, body=b"", content_type="application/json", extra=None, rec=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        if body or content_type:
            self.send_header("Content-Type", content_type)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        if rec is not None:
            rec["status"] = status

    def _not_found(self, rec=None):
        self._send(404, "404 page not found\n", "text/plain; charset=utf-8", rec=rec)

    def _wants_snake(self):
        # grpc-gateway picks the marshaler registered for the exact Accept value, then
        # Content-Type; flyteadmin registers the snake_case/emit-defaults one for
        # "application/json".
        for name in ("Accept", "Content-Type"):
            for v in self.headers.get_all(name) or []:
                if v.strip().lower() == "application/json":
                    return True
        return False

    # ---- routing ---------------------------------------------------------------
    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/_test/"):
            return self._test_api(path)
        rec = self.front._record("GET", path, self.headers)
        f = self.front
        if path == WELL_KNOWN and f.flyte1:
            values = f.metadata_values()
            doc = (render_snake(values, METADATA_FIELDS) if self._wants_snake()
                   else render_camel(values, METADATA_FIELDS))
            return self._send(200, doc, rec=rec)
        if path == CLIENT_CONFIG and f.flyte1:
            values = f.client_config_values()
            doc = (render_snake(values, CLIENT_CONFIG_FIELDS) if self._wants_snake()
                   else render_camel(values, CLIENT_CONFIG_FIELDS))
            return self._send(200, doc, rec=rec)
        if path == "/me":
            return self._userinfo(rec, connect=False)
        if path == "/healthcheck":
            return self._send(200, "", "text/plain", rec=rec)
        return self._not_found(rec)

    def do_HEAD(self):
        self.do_GET()

    def do_POST(self):
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/_test/"):
            return self._test_api(path)
        if path == TOKEN_PATH:
            return self._token()
        body = self._body()
        rec = self.front._record("POST", path, self.headers)
        f = self.front
        if path in (V2_METADATA, V2_CLIENT_CONFIG, V2_USERINFO) and f.flyte2:
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if ctype != "application/json":
                return self._send(415, {"code": "invalid_argument",
                                        "message": "content-type must be application/json"}, rec=rec)
            try:
                json.loads(body or b"{}")
            except ValueError:
                return self._send(400, {"code": "invalid_argument", "message": "bad JSON body"}, rec=rec)
            if path == V2_METADATA:
                return self._send(200, render_camel(f.metadata_values(), METADATA_FIELDS), rec=rec)
            if path == V2_CLIENT_CONFIG:
                return self._send(200, render_camel(f.client_config_values(), CLIENT_CONFIG_FIELDS_V2),
                                  rec=rec)
            return self._userinfo(rec, connect=True)
        return self._not_found(rec)

    # ---- /oauth2/token ---------------------------------------------------------
    def _token(self):
        f = self.front
        body = self._body()
        form = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode(errors="replace"),
                                                          keep_blank_values=True).items()}
        grant_type = form.get("grant_type", "")
        rec = f._record("POST", TOKEN_PATH, self.headers, form=form, grant_type=grant_type)
        sent = None
        if grant_type == "refresh_token" and form.get("refresh_token"):
            sent = f._refresh_sent(form["refresh_token"], self.headers.get("User-Agent"))
        delay, failure = f._take_fault(grant_type)
        if delay:
            with f._lock:
                f._delayed_peer = self.client_address
            time.sleep(delay)  # the fault itself: a slow IdP
            with f._lock:
                f._delayed_peer = None
            if f.abort_if_client_gone and self._client_gone():
                with f._lock:
                    f._aborted += 1
                f._token_answered(sent, 503, b"", forwarded=False)  # never reached the IdP
                self.close_connection = True
                return
        if failure is not None:
            rec["injected"] = True
            f._token_answered(sent, 503, b"", forwarded=False)  # never reached the IdP
            return self._send(failure["status"], failure["body"], failure["content_type"], rec=rec)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        f._forwarding(sent, self.headers.get("User-Agent"))
        try:
            status, rheaders, rbody = netutil.request(
                netutil.opener(netutil.NoRedirect()), "POST", f.upstream_token_endpoint, body=body,
                headers=headers, timeout=f.upstream_timeout)
        except OSError as e:  # IdP down or too slow: what a real gateway would answer
            f._token_answered(sent, 502, b"")
            return self._send(502, {"error": "bad_gateway", "error_description": type(e).__name__},
                              rec=rec)
        f._token_answered(sent, status, rbody)
        extra = {}
        for k in ("Cache-Control", "Pragma", "WWW-Authenticate", "DPoP-Nonce"):
            if rheaders.get(k):
                extra[k] = rheaders.get(k)
        self._send(status, rbody, rheaders.get("Content-Type") or "", extra=extra, rec=rec)

    def _client_gone(self):
        import select
        import socket
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    # ---- identity ----------------------------------------------------------------
    def _userinfo(self, rec, connect):
        value = self.headers.get("flyte-authorization") or self.headers.get("Authorization")
        if not value:
            if connect:
                return self._send(401, {"code": "unauthenticated",
                                        "message": "missing authorization header"}, rec=rec)
            return self._send(401, {"error": "unauthenticated"}, rec=rec,
                              extra={"WWW-Authenticate": 'Bearer realm="flyte"'})
        if not value.lower().startswith("bearer "):
            value = "Bearer " + value
        with self.front._lock:
            value = "Bearer " + self.front._references.get(value[7:].strip(), value[7:].strip())
        info_url = self.front.idp_config["userinfo_endpoint"]
        try:
            status, rheaders, rbody = netutil.request(
                netutil.opener(), "GET", info_url, headers={"Authorization": value},
                timeout=self.front.upstream_timeout)
        except OSError as e:
            return self._send(502, {"error": "bad_gateway", "error_description": type(e).__name__},
                              rec=rec)
        if not connect:
            return self._send(status, rbody, rheaders.get("Content-Type") or "application/json", rec=rec)
        if status != 200:
            return self._send(401 if status in (401, 403) else 502,
                              {"code": "unauthenticated" if status in (401, 403) else "unavailable",
                               "message": "userinfo: HTTP %d" % status}, rec=rec)
        info = json.loads(rbody)
        out = {"subject": info.get("sub", ""), "name": info.get("name", ""),
               "preferredUsername": info.get("preferred_username", ""),
               "email": info.get("email", "")}
        return self._send(200, {k: v for k, v in out.items() if v}, rec=rec)

    # ---- /_test/ control API (for C and Go tests) ---------------------------------
    def _test_api(self, path):
        f = self.front
        q = {k: v[0] for k, v in urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query).items()}
        body = self._body() if self.command == "POST" else b""
        try:
            if path == "/_test/counts" and self.command == "GET":
                return self._send(200, f.counts())
            if path == "/_test/refresh_stats" and self.command == "GET":
                return self._send(200, f.refresh_stats())
            if path == "/_test/requests" and self.command == "GET":
                return self._send(200, f.records(q.get("path")))
            if path == "/_test/reset" and self.command == "POST":
                f.reset_counts()
                f.clear_faults()
                return self._send(200, {"ok": True})
            if path == "/_test/fail" and self.command == "POST":
                f.fail_next(n=int(q.get("n", 1)), status=int(q.get("status", 503)),
                            body=q.get("body"), content_type=q.get("content_type", "application/json"),
                            grant_type=q.get("grant_type"))
                return self._send(200, {"ok": True})
            if path == "/_test/delay" and self.command == "POST":
                n = q.get("n", "1")
                f.delay_next(float(q.get("seconds", 1)), None if n in ("all", "") else int(n))
                return self._send(200, {"ok": True})
            if path == "/_test/config" and self.command == "POST":
                cfg = json.loads(body or b"{}")
                if "flyte1" in cfg:
                    f.flyte1 = bool(cfg["flyte1"])
                if "flyte2" in cfg:
                    f.flyte2 = bool(cfg["flyte2"])
                f.set_overrides(cfg.get("metadata"), cfg.get("client_config"),
                                replace=bool(cfg.get("replace")))
                return self._send(200, {"ok": True})
        except (ValueError, TypeError) as e:
            return self._send(400, {"error": str(e)})
        return self._not_found()
