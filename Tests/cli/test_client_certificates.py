"""RFC 8705 client certificates through the flyteauth tool against glewlwyd in TLS mode
(it serves HTTPS itself and checks the certificate on the connection): tls_client_auth
(a certificate from a CA, matched by its subject DN) and self_signed_tls_client_auth (the
certificate itself registered), and a refusal without one."""
import base64
import os
import subprocess

import pytest

from cliutil import tool, write_config
from harness.glewlwyd import Glewlwyd
from harness.tls import make_pki


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def tls_idp(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("mtls"))
    pki = make_pki(os.path.join(d, "pki"))
    # A client certificate from the test CA, and a self-signed one.
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "client.key", "-out", "client.csr",
            "-subj", "/CN=flyte-machine", cwd=d)
    openssl("x509", "-req", "-in", "client.csr", "-CA", pki.ca, "-CAkey", os.path.join(pki.dir, "ca.key"),
            "-CAcreateserial", "-days", "2", "-out", "client.pem", cwd=d)
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "self.key",
            "-out", "self.pem", "-days", "2", "-subj", "/CN=self-signed-machine", cwd=d)
    for key in ("client.key", "self.key"):
        os.chmod(os.path.join(d, key), 0o600)
    client_ca = os.path.join(d, "client-ca.pem")
    with open(client_ca, "w") as out:
        for part in (pki.ca, os.path.join(d, "self.pem")):
            out.write(open(part).read())
    cert, key = pki.cert("good")
    idp = Glewlwyd(tls={"cert": cert, "key": key, "client_ca": client_ca, "ca": pki.ca})
    idp.start()
    try:
        idp.add_client("mtls-client", ["tls_client_auth"], tls_client_auth_subject_dn="CN=flyte-machine")
        der = subprocess.run(["openssl", "x509", "-in", os.path.join(d, "self.pem"), "-outform", "DER"],
                             check=True, capture_output=True, timeout=30).stdout
        idp.add_client("self-signed-client", ["self_signed_tls_client_auth"],
                       jwks={"keys": [dict(self_signed_jwk(d), x5c=[base64.b64encode(der).decode()])]})
        yield idp, d, pki
    finally:
        idp.stop()


def self_signed_jwk(d):
    from cryptography.hazmat.primitives import serialization
    key = serialization.load_pem_private_key(open(os.path.join(d, "self.key"), "rb").read(), password=None)
    pub = key.public_key().public_numbers()
    b64u = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()  # noqa: E731
    return {"kty": "EC", "crv": "P-256", "x": b64u(pub.x.to_bytes(32, "big")), "y": b64u(pub.y.to_bytes(32, "big")),
            "kid": "self-signed", "use": "sig"}


def mtls_config(session, idp, pki, client_id, method, cert, key):
    lines = ["admin:", "  endpoint: dns:///127.0.0.1:%d" % idp.port, "  authType: ClientSecret",
             "  clientId: %s" % client_id, "  scopes: [all]", "  tokenUrl: %s" % idp.token_endpoint,
             "  caCertFilePath: %s" % pki.ca, "  authorizationHeader: authorization", "flyteauth:"]
    if method:
        lines.append("  client_auth_method: %s" % method)
    if cert:
        lines += ["  certificate_file: %s" % cert, "  private_key_file: %s" % key]
    return write_config(session, "\n".join(lines) + "\n")


@pytest.mark.parametrize("client_id,method,name", [("mtls-client", "tls_client_auth", "client"),
                                                    ("self-signed-client", "self_signed_tls_client_auth", "self")])
def test_a_client_certificate_is_accepted_by_glewlwyd(tls_idp, session, client_id, method, name):
    idp, d, pki = tls_idp
    mtls_config(session, idp, pki, client_id, method, os.path.join(d, name + ".pem"), os.path.join(d, name + ".key"))
    t = tool(session, "token")
    assert t.returncode == 0, t.stderr
    assert t.stdout.startswith("ey")


def test_without_the_certificate_glewlwyd_refuses_the_client(tls_idp, session):
    idp, d, pki = tls_idp
    # The other client's certificate: its DN is not the one registered.
    mtls_config(session, idp, pki, "mtls-client", "tls_client_auth", os.path.join(d, "self.pem"), os.path.join(d, "self.key"))
    t = tool(session, "token")
    assert t.returncode != 0 and "403" in t.stderr, t.stderr


def test_tls_client_auth_without_a_certificate_is_a_configuration_error(tls_idp, session):
    idp, d, pki = tls_idp
    mtls_config(session, idp, pki, "mtls-client", "tls_client_auth", None, None)
    t = tool(session, "token")
    assert t.returncode != 0 and "certificate_file" in t.stderr, t.stderr


@pytest.fixture(scope="module")
def mtls_ingress(tls_idp, stack):
    """Flyte behind an ingress that requires a client certificate from the test CA."""
    import ssl
    from harness.faultfront import FaultFront
    idp, d, pki = tls_idp
    ctx = pki.context("good")
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(pki.ca)
    front = FaultFront({"/": stack.front.url}, tls=ctx).start()
    try:
        yield front
    finally:
        front.stop()


def ingress_config(session, stack, pki, front, cert=None, key=None):
    secret = os.path.join(session.home, "secret.txt")
    with open(secret, "w") as f:
        f.write(stack.state["service_client_secret"])
    os.chmod(secret, 0o600)
    lines = ["admin:", "  endpoint: dns:///localhost:%d" % front.port, "  authType: ClientSecret",
             "  clientId: %s" % stack.state["service_client_id"], "  clientSecretLocation: %s" % secret,
             "  scopes: [all]", "  caCertFilePath: %s" % pki.ca,
             # glewlwyd itself on loopback: the ingress fronts Flyte only.
             "  tokenUrl: %s" % stack.idp.token_endpoint, "flyteauth:", "  discovery_cache_ttl_seconds: 0"]
    if cert:
        lines += ["  certificate_file: %s" % cert, "  private_key_file: %s" % key]
    return write_config(session, "\n".join(lines) + "\n")


def test_flyte_behind_an_mtls_ingress(tls_idp, stack, mtls_ingress, session):
    idp, d, pki = tls_idp
    ingress_config(session, stack, pki, mtls_ingress, os.path.join(d, "client.pem"), os.path.join(d, "client.key"))
    t = tool(session, "token", "--header")
    assert t.returncode == 0, t.stderr
    # The header key came from Flyte's discovery document, through the ingress.
    assert t.stdout.startswith("flyte-authorization: Bearer ")
    ingress_config(session, stack, pki, mtls_ingress)
    t = tool(session, "token")
    assert t.returncode != 0 and "localhost:%d" % mtls_ingress.port in t.stderr, t.stderr
