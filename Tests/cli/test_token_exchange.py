"""RFC 8693 token exchange through the flyteauth tool against a real RFC 8693 server:
zitadel/oidc's example OP (Tests/zitadel), taught to trust an external issuer the test
plays (a Kubernetes API server: an EC key, tokens with the real claim shapes). The subject
token is a projected service-account token; the actor is the workload's own token."""
import base64
import json
import os
import time
import uuid

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from cliutil import tool, write_config
from harness.zitadel import ZitadelOP

ISSUER = "https://kubernetes.default.svc.cluster.local"
AUDIENCE = "flyte"


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class KubernetesIssuer:
    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.public_pem = self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def token(self, sub, aud=AUDIENCE, lifetime=3600):
        now = int(time.time())
        claims = {"iss": ISSUER, "sub": sub, "aud": [aud], "exp": now + lifetime, "iat": now, "nbf": now,
                  "jti": uuid.uuid4().hex,
                  "kubernetes.io": {"namespace": "flyte", "serviceaccount": {"name": "propeller", "uid": str(uuid.uuid4())}}}
        signing_input = b64u(json.dumps({"alg": "ES256", "kid": "k8s", "typ": "JWT"}).encode()) + "." + \
            b64u(json.dumps(claims).encode())
        r, s = decode_dss_signature(self.key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
        return signing_input + "." + b64u(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


@pytest.fixture(scope="module")
def exchange():
    issuer = KubernetesIssuer()
    with ZitadelOP(issuer.public_pem, ISSUER, AUDIENCE) as op:
        yield issuer, op


def exchange_config(session, op, subject_file, actor_file, secret=None):
    secret_file = os.path.join(session.home, "exchange.secret")
    with open(secret_file, "w") as f:
        f.write(secret or op.client_secret)
    os.chmod(secret_file, 0o600)
    return write_config(session, "\n".join([
        "admin:", "  endpoint: dns:///127.0.0.1:%d" % op.port, "  insecure: true", "  authType: TokenExchange",
        "  clientId: %s" % op.client_id, "  clientSecretLocation: %s" % secret_file, "  scopes: [openid]",
        "  tokenUrl: %s" % op.token_endpoint, "  authorizationHeader: authorization",
        "flyteauth:",
        "  subject_token: {file: %s}" % subject_file,
        "  actor_token: {file: %s}" % actor_file,
        "  requested_token_type: urn:ietf:params:oauth:token-type:access_token"]) + "\n")


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)
    return path


def test_a_token_exchange_is_accepted_cached_and_exchanged_again(exchange, session):
    issuer, op = exchange
    subject = write(os.path.join(session.home, "subject"), issuer.token("system:serviceaccount:flyte:propeller"))
    actor = write(os.path.join(session.home, "actor"), issuer.token("system:serviceaccount:flyte:flyte-sdk"))
    exchange_config(session, op, subject, actor)
    first = tool(session, "token", "--json")
    assert first.returncode == 0, first.stderr + op.log_tail(5)
    doc = json.loads(first.stdout)
    assert doc["access_token"] and 200 < doc["expires_at"] - time.time() <= 300  # the example's 5-minute tokens
    # Cached and shared: the next process is served without an exchange.
    again = tool(session, "token", "--json")
    assert again.returncode == 0 and json.loads(again.stdout)["access_token"] == doc["access_token"]
    # A new exchange when asked (as before expiry): a new token.
    login = tool(session, "login")
    assert login.returncode == 0, login.stderr
    after = tool(session, "token", "--json")
    assert json.loads(after.stdout)["access_token"] != doc["access_token"]


def test_a_subject_token_for_another_audience_is_refused_with_the_servers_error(exchange, session):
    issuer, op = exchange
    subject = write(os.path.join(session.home, "subject"), issuer.token("system:serviceaccount:flyte:propeller", aud="vault"))
    actor = write(os.path.join(session.home, "actor"), issuer.token("system:serviceaccount:flyte:flyte-sdk"))
    exchange_config(session, op, subject, actor)
    t = tool(session, "token")
    assert t.returncode != 0
    assert "invalid_request" in t.stderr or "invalid_grant" in t.stderr, t.stderr
    assert subject not in t.stderr and "eyJ" not in t.stderr


def test_an_expired_subject_token_is_never_sent(exchange, session):
    issuer, op = exchange
    subject = write(os.path.join(session.home, "subject"), issuer.token("system:serviceaccount:flyte:propeller", lifetime=-60))
    actor = write(os.path.join(session.home, "actor"), issuer.token("system:serviceaccount:flyte:flyte-sdk"))
    exchange_config(session, op, subject, actor)
    t = tool(session, "token")
    assert t.returncode != 0 and "expired" in t.stderr and subject in t.stderr, t.stderr
