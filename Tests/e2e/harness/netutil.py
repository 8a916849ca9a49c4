"""Small network helpers shared by the harness: free ports, bounded waits, JSON over HTTP.

Everything here talks to 127.0.0.1 only and every wait is bounded.
"""
import json
import socket
import threading
import time
import urllib.error
import urllib.request

LOOPBACK = "127.0.0.1"


def free_port(host=LOOPBACK):
    """Return a TCP port that was free a moment ago (bind port 0, read it, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_for_tcp(host, port, timeout=10.0, alive=None):
    """Wait until a TCP connect to host:port succeeds.

    `alive` is an optional callable; when it returns False the wait stops early
    (the process we wait for died). Returns True when connected, False otherwise.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            return False
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Make urllib hand 3xx responses back instead of following them."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def opener(*handlers):
    """An urllib opener that never uses an environment proxy (traffic stays on loopback)."""
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), *handlers)


def request(opener, method, url, body=None, headers=None, timeout=10.0):
    """Send one request; return (status, headers, body_bytes) for any HTTP status."""
    data = None
    hdrs = dict(headers or {})
    if body is not None:
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            data = body.encode()
        else:
            data = body
    req = urllib.request.Request(url, data=data, headers=hdrs, method=method)
    try:
        with opener.open(req, timeout=timeout) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        try:
            payload = e.read()
        finally:
            e.close()
        return e.code, e.headers, payload


def get_json(url, timeout=10.0, headers=None):
    """GET url and decode JSON; raise RuntimeError on a non-200 answer."""
    status, _, body = request(opener(), "GET", url, headers=headers, timeout=timeout)
    if status != 200:
        raise RuntimeError("GET %s: HTTP %d" % (url, status))
    return json.loads(body)


def listen_port(host=LOOPBACK, low=10000, high=32000):
    """A free port below Linux's ephemeral range (32768-60999), for a listener the code
    under test binds later (the PKCE redirect port): a port from free_port() can be taken
    meanwhile by any outgoing connection's ephemeral port."""
    import random
    for _ in range(200):
        port = random.randint(low, high)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind((host, port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port in %d-%d" % (low, high))


class LoopbackServer:
    """A raw-socket server on loopback: one accept thread, a thread per connection
    (`_serve(conn)`, for subclasses). stop() closes the listener and every socket in
    `_conns`; an accepted connection joins it at once when `track_accepted` is set."""

    thread_name = "loopback-server"
    backlog = 64
    reuse_addr = False
    track_accepted = True

    def __init__(self):
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._conns = set()
        self.sock = None

    def start(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if self.reuse_addr:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((LOOPBACK, 0))
        self.sock.listen(self.backlog)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._accept, name=self.thread_name, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()
        with self._lock:
            for c in list(self._conns):
                try:
                    c.close()
                except OSError:
                    pass
        self.thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _accept(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            if self.track_accepted:
                with self._lock:
                    self._conns.add(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        raise NotImplementedError
