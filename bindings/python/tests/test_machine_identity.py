"""Workload identity through the Python binding, in one long-lived client (no restart):
a Kubernetes projected service-account token used as the client assertion, rotated by
the test the way kubelet does it (a new timestamped directory, then an atomic swap of
the `..data` symlink), and GitHub Actions' OIDC endpoint played by a loopback fixture.
glewlwyd verifies each assertion against the client's registered key and refuses a
replayed `jti`, so a new token after a rotation proves the new file was read."""
import base64
import http.server
import json
import os
import threading
import time
import uuid

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

import flyteauth


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Issuer:
    """The external issuer (a Kubernetes API server, GitHub): an EC key the IdP trusts."""

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        pub = self.key.public_key().public_numbers()
        self.kid = "issuer-" + uuid.uuid4().hex[:8]
        self.jwk = {"kty": "EC", "crv": "P-256", "x": b64u(pub.x.to_bytes(32, "big")),
                    "y": b64u(pub.y.to_bytes(32, "big")), "kid": self.kid, "alg": "ES256", "use": "sig"}

    def token(self, client_id, audience, lifetime=600, exp=None):
        now = int(time.time())
        header = {"alg": "ES256", "kid": self.kid, "typ": "JWT"}
        claims = {"iss": client_id, "sub": client_id, "aud": audience, "jti": uuid.uuid4().hex,
                  "iat": now, "nbf": now, "exp": exp if exp is not None else now + lifetime}
        signing_input = b64u(json.dumps(header).encode()) + "." + b64u(json.dumps(claims).encode())
        r, s = decode_dss_signature(self.key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
        return signing_input + "." + b64u(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


class ProjectedVolume:
    """A projected volume as kubelet writes it: <dir>/token -> ..data/token, ..data -> ..<stamp>."""

    def __init__(self, directory):
        self.dir = directory
        self.current = None
        os.makedirs(directory, exist_ok=True)

    @property
    def path(self):
        return os.path.join(self.dir, "token")

    def write(self, token):
        stamp = "..%s" % uuid.uuid4().hex
        os.mkdir(os.path.join(self.dir, stamp))
        with open(os.path.join(self.dir, stamp, "token"), "w") as f:
            f.write(token)
        link = os.path.join(self.dir, "..data_tmp")
        os.symlink(stamp, link)
        os.rename(link, os.path.join(self.dir, "..data"))  # the atomic swap
        if not os.path.lexists(self.path):
            os.symlink("..data/token", self.path)
        if self.current:  # kubelet removes the old directory
            os.remove(os.path.join(self.dir, self.current, "token"))
            os.rmdir(os.path.join(self.dir, self.current))
        self.current = stamp


@pytest.fixture
def federated_client(stack):
    issuer = Issuer()
    client_id = "federated-" + uuid.uuid4().hex[:8]
    stack.idp.add_client(client_id, ["private_key_jwt"], jwks={"keys": [issuer.jwk]})
    return issuer, client_id


def settings(stack, client_id, source):
    return {"endpoint": stack.endpoint, "insecure": True, "auth_type": "ClientSecret", "client_id": client_id,
            "token_url": stack.idp.token_endpoint, "scopes": ["all"], "keyring": False,
            "client_assertion": source}


def test_a_projected_token_rotated_like_kubelet_is_picked_up_without_a_restart(stack, federated_client, tmp_path):
    issuer, client_id = federated_client
    volume = ProjectedVolume(str(tmp_path / "tokens"))
    volume.write(issuer.token(client_id, stack.idp.token_endpoint))
    with flyteauth.Client(settings(stack, client_id, {"file": volume.path})) as client:
        first = client.token().access_token
        volume.write(issuer.token(client_id, stack.idp.token_endpoint))
        # A new token now: the old assertion's jti is spent, so only the new file can do it.
        client.refresh(first)
        second = client.token().access_token
        assert second != first
        # An expired projected token is never sent: a clear error instead.
        volume.write(issuer.token(client_id, stack.idp.token_endpoint, exp=int(time.time()) - 60))
        with pytest.raises(flyteauth.FlyteAuthError) as e:
            client.refresh(second)
        assert "expired" in str(e.value) and volume.path in str(e.value)


class _GitHubOIDC(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        srv = self.server
        from urllib.parse import parse_qs, urlparse
        query = parse_qs(urlparse(self.path).query)
        srv.requests.append((query.get("audience", [None])[0], self.headers.get("Authorization")))
        if self.headers.get("Authorization") != "bearer " + srv.request_token:
            self.send_response(401)
            self.end_headers()
            return
        body = json.dumps({"value": srv.issuer.token(srv.client_id, srv.audience)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_github_actions_oidc_token_as_the_client_assertion(stack, federated_client, monkeypatch):
    issuer, client_id = federated_client
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _GitHubOIDC)
    server.issuer, server.client_id, server.audience = issuer, client_id, stack.idp.token_endpoint
    server.request_token, server.requests = "gh-request-" + uuid.uuid4().hex, []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", "http://127.0.0.1:%d/token?api-version=2.0" % server.server_port)
        monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", server.request_token)
        source = {"github_actions": {"audience": "api://flyte"}}
        with flyteauth.Client(settings(stack, client_id, source)) as client:
            first = client.token().access_token
            client.refresh(first)
            assert client.token().access_token != first
        assert server.requests == [("api://flyte", "bearer " + server.request_token)] * 2
    finally:
        server.shutdown()
        server.server_close()
