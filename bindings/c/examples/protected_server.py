"""A tiny protected HTTP endpoint for test.sh, on 127.0.0.1 only.

    python3 protected_server.py --port-file FILE --tokens-file FILE

Accepts a request when its `authorization` or `flyte-authorization` header is
`Bearer <token>` and the token is not stale; otherwise answers 401. The test
controls what is stale:

    POST /_control/mode?m=reject-first   the first token seen is stale (default)
    POST /_control/mode?m=always         every token is rejected
    POST /_control/mode?m=accept         every bearer token is accepted
    POST /_control/reset                 forget tokens and counts
    GET  /_control/stats                 {"requests", "rejected", "accepted",
                                          "distinct_tokens", "bodies"}

Raw tokens are never printed or returned: the stats hold counts only. They are
appended to --tokens-file (mode 0600) so that the test can check, without
printing them, that no token leaked into the client's output.
"""
import argparse
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class State:
    def __init__(self, tokens_file):
        self.lock = threading.Lock()
        self.tokens_file = tokens_file
        self.mode = "reject-first"
        self.reset()

    def reset(self):
        self.stale = set()
        self.seen = []
        self.requests = self.rejected = self.accepted = 0
        self.bodies = []

    def judge(self, token, body):
        """True to accept."""
        with self.lock:
            self.requests += 1
            self.bodies.append(len(body))
            if token is not None and token not in self.seen:
                self.seen.append(token)
                fd = os.open(self.tokens_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
                with os.fdopen(fd, "a") as f:
                    f.write(token + "\n")
                if self.mode == "reject-first" and len(self.seen) == 1:
                    self.stale.add(token)
            ok = token is not None and self.mode != "always" and token not in self.stale
            if ok:
                self.accepted += 1
            else:
                self.rejected += 1
            return ok

    def stats(self):
        with self.lock:
            return {"requests": self.requests, "rejected": self.rejected, "accepted": self.accepted,
                    "distinct_tokens": len(self.seen), "bodies": list(self.bodies), "mode": self.mode}


class Handler(BaseHTTPRequestHandler):
    server_version = "protected/1"

    def log_message(self, fmt, *args):  # no request logging (headers hold tokens)
        pass

    def _reply(self, status, body, content_type="application/json"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        if status == 401:
            self.send_header("WWW-Authenticate", 'Bearer error="invalid_token"')
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _control(self, url):
        st = self.server.state
        if url.path == "/_control/stats":
            return self._reply(200, json.dumps(st.stats()))
        if url.path == "/_control/reset" and self.command == "POST":
            with st.lock:
                st.reset()
            return self._reply(200, "{}")
        if url.path == "/_control/mode" and self.command == "POST":
            mode = parse_qs(url.query).get("m", [""])[0]
            if mode not in ("reject-first", "always", "accept"):
                return self._reply(400, '{"error": "unknown mode"}')
            with st.lock:
                st.mode = mode
            return self._reply(200, "{}")
        return self._reply(404, '{"error": "not found"}')

    def _handle(self):
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        if url.path.startswith("/_control/"):
            return self._control(url)
        value = self.headers.get("flyte-authorization") or self.headers.get("authorization") or ""
        token = value[7:].strip() if value.lower().startswith("bearer ") else None
        if self.server.state.judge(token, body):
            return self._reply(200, json.dumps({"ok": True, "path": url.path, "received": len(body)}))
        return self._reply(401, '{"error": "invalid_token"}')

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--tokens-file", required=True)
    a = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.state = State(a.tokens_file)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(tmp, a.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
