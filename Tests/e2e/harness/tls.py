"""Test PKI and TLS fixtures: a CA and server certificates made with openssl, server-side
SSL contexts for FaultFront(tls=...), and a CONNECT proxy. Loopback only.

    pki = make_pki(tmpdir)           # pki.ca, pki.context("good"), ...
    with ConnectProxy() as proxy:    # proxy.url, proxy.tunnels
"""
import os
import select
import socket
import ssl
import subprocess

from . import netutil

# name -> (subjectAltName, signed by the test CA, validity)
CERTS = {
    "good": ("DNS:localhost,IP:127.0.0.1", True, None),
    "wronghost": ("DNS:wrong.example.invalid", True, None),
    "expired": ("DNS:localhost,IP:127.0.0.1", True, ("20200101000000Z", "20200102000000Z")),
    "unknownca": ("DNS:localhost,IP:127.0.0.1", False, None),
}


class PKI:
    def __init__(self, directory):
        self.dir = directory
        self.ca = os.path.join(directory, "ca.pem")

    def cert(self, name):
        return os.path.join(self.dir, name + ".pem"), os.path.join(self.dir, name + ".key")

    def context(self, name):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*self.cert(name))
        return ctx


def _run(args, cwd):
    subprocess.run(["openssl"] + args, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)


def make_pki(directory):
    """A test CA, and one key + certificate per entry of CERTS (the unknown CA's own)."""
    os.makedirs(directory, exist_ok=True)
    d = directory
    _run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
          "-subj", "/CN=libflyteauth test CA"], d)
    _run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other-ca.key", "-out", "other-ca.pem", "-days", "2",
          "-subj", "/CN=an unknown CA"], d)
    # `openssl ca` is what can set a validity in the past (the expired certificate).
    os.makedirs(os.path.join(d, "ca-db"), exist_ok=True)
    open(os.path.join(d, "ca-db", "index.txt"), "w").close()
    with open(os.path.join(d, "ca-db", "serial"), "w") as f:
        f.write("1000\n")
    for name, (san, by_test_ca, validity) in CERTS.items():
        issuer = "ca" if by_test_ca else "other-ca"
        conf = os.path.join(d, name + ".cnf")
        with open(conf, "w") as f:
            f.write("[ca]\ndefault_ca = test\n[test]\ndatabase = ca-db/index.txt\nserial = ca-db/serial\n"
                    "new_certs_dir = ca-db\ndefault_md = sha256\npolicy = any\nunique_subject = no\ncopy_extensions = none\n"
                    "x509_extensions = ext\n[any]\ncommonName = supplied\n"
                    "[ext]\nsubjectAltName = %s\nbasicConstraints = CA:FALSE\nextendedKeyUsage = serverAuth\n" % san)
        _run(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".csr",
              "-subj", "/CN=" + san.split(",")[0].split(":")[1]], d)
        dates = ["-startdate", validity[0], "-enddate", validity[1]] if validity else ["-days", "2"]
        _run(["ca", "-batch", "-config", conf, "-cert", issuer + ".pem", "-keyfile", issuer + ".key",
              "-in", name + ".csr", "-out", name + ".pem", "-notext"] + dates, d)
    return PKI(directory)


class ConnectProxy(netutil.LoopbackServer):
    """An HTTP proxy that only tunnels (CONNECT) to loopback; records each tunnel's target."""

    thread_name = "connect-proxy"
    backlog = 32
    # A client joins _conns once its tunnel is up.
    track_accepted = False

    def __init__(self):
        super().__init__()
        self.tunnels = []

    @property
    def url(self):
        return "http://%s:%d" % (netutil.LOOPBACK, self.port)

    def _serve(self, client):
        up = None
        try:
            client.settimeout(20)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = client.recv(4096)
                if not chunk:
                    return
                data += chunk
            method, target, _ = data.split(b"\r\n", 1)[0].decode().split(" ", 2)
            host, _, port = target.rpartition(":")
            if method != "CONNECT" or host not in ("127.0.0.1", "localhost"):
                client.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                return
            with self._lock:
                self.tunnels.append(target)
            up = socket.create_connection(("127.0.0.1", int(port)), timeout=20)
            with self._lock:
                self._conns.update((client, up))
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            pair = {client: up, up: client}
            while not self._stop.is_set():
                ready, _, _ = select.select(list(pair), [], [], 0.5)
                for s in ready:
                    chunk = s.recv(65536)
                    if not chunk:
                        return
                    pair[s].sendall(chunk)
        except (OSError, ValueError):
            pass
        finally:
            for s in (client, up):
                if s is not None:
                    with self._lock:
                        self._conns.discard(s)
                    try:
                        s.close()
                    except OSError:
                        pass
