"""Machines without shared secrets, through the flyteauth tool against a real glewlwyd:
private_key_jwt (RSA and EC keys in every PEM form), a cache bound to the credential and
request that filled it, token commands that print a JSON document with an expiry, and
client assertions read from a projected-token file that the test rotates like kubelet."""
import base64
import hashlib
import json
import os
import subprocess
import time

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa, padding

from cliutil import host, tool, write_config

# Tokens of 60 s: long enough that no test sees one expire unless it means to.
STACK = {"access_token_duration": 60}


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def int_bytes(n, width=None):
    return n.to_bytes(width or (n.bit_length() + 7) // 8, "big")


def jwk(private_pem):
    key = serialization.load_pem_private_key(private_pem, password=None)
    if isinstance(key, rsa.RSAPrivateKey):
        pub = key.public_key().public_numbers()
        members = {"e": b64u(int_bytes(pub.e)), "kty": "RSA", "n": b64u(int_bytes(pub.n))}
        alg = "RS256"
    else:
        pub = key.public_key().public_numbers()
        members = {"crv": "P-256", "kty": "EC", "x": b64u(int_bytes(pub.x, 32)), "y": b64u(int_bytes(pub.y, 32))}
        alg = "ES256"
    # RFC 7638: the required members, sorted, no whitespace.
    thumbprint = b64u(hashlib.sha256(json.dumps(members, sort_keys=True, separators=(",", ":")).encode()).digest())
    return dict(members, alg=alg, use="sig", kid=thumbprint), thumbprint


def make_key(directory, name, *openssl_args, mode=0o600):
    path = os.path.join(directory, name)
    # genrsa takes its size last: the output file goes right after the subcommand.
    argv = ["openssl", openssl_args[0], "-out", path] + list(openssl_args[1:])
    subprocess.run(argv, check=True, capture_output=True, timeout=60)
    os.chmod(path, mode)
    with open(path, "rb") as f:
        return path, f.read()


RSA_PKCS1 = ("genrsa", "-traditional")  # + bits, appended below
EC_SEC1 = ("ecparam", "-name", "prime256v1", "-genkey", "-noout")
EC_PKCS8 = ("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256")
RSA_PKCS8 = ("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048")


def key_config(stack, session, client_id, key_path, token_url=None, extra=""):
    return write_config(session, "admin:\n  endpoint: dns:///%s\n  insecure: true\n  authType: ClientSecret\n"
                                 "  clientId: %s\n  scopes: [all]\n  tokenUrl: %s\n"
                                 "flyteauth:\n  client_auth_method: private_key_jwt\n  private_key_file: %s\n%s"
                        % (host(stack), client_id, token_url or stack.idp.token_endpoint, key_path, extra))


def claims(token):
    return json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))


@pytest.mark.parametrize("form", ["rsa-pkcs1", "rsa-pkcs8", "ec-sec1", "ec-pkcs8"])
def test_private_key_jwt_is_accepted_by_glewlwyd(stack, session, form):
    args = {"rsa-pkcs1": RSA_PKCS1 + ("2048",), "rsa-pkcs8": RSA_PKCS8, "ec-sec1": EC_SEC1, "ec-pkcs8": EC_PKCS8}[form]
    path, pem = make_key(session.home, "key.pem", *args)
    key, thumbprint = jwk(pem)
    client_id = "key-" + form
    stack.idp.add_client(client_id, ["private_key_jwt"], jwks={"keys": [key]})
    # No private_key_id: the kid sent is our RFC 7638 thumbprint, which must be the one registered.
    key_config(stack, session, client_id, path)
    t = tool(session, "token")
    assert t.returncode == 0, t.stderr
    assert claims(t.stdout.strip())["client_id"] == client_id
    assert "readable by others" not in t.stderr


def test_private_key_jwt_through_flytes_token_endpoint_with_a_configured_audience(stack, session):
    path, pem = make_key(session.home, "key.pem", *EC_SEC1)
    key, _ = jwk(pem)
    key["kid"] = "configured-kid"
    stack.idp.add_client("key-front", ["private_key_jwt"], jwks={"keys": [key]})
    # The front forwards /oauth2/token to glewlwyd, which wants its own URL as the audience.
    key_config(stack, session, "key-front", path, token_url=stack.front.token_endpoint,
               extra="  private_key_id: configured-kid\n  client_assertion_audience: %s\n" % stack.idp.token_endpoint)
    t = tool(session, "token")
    assert t.returncode == 0, t.stderr
    # Without the audience, glewlwyd refuses the assertion (403, empty body): a clear failure.
    key_config(stack, session, "key-front", path, token_url=stack.front.token_endpoint,
               extra="  private_key_id: configured-kid\n")
    t = tool(session, "login")
    assert t.returncode != 0 and "403" in t.stderr, t.stderr


def test_a_key_readable_by_others_gets_one_warning(stack, session):
    path, pem = make_key(session.home, "key.pem", *EC_SEC1, mode=0o644)
    key, _ = jwk(pem)
    stack.idp.add_client("key-exposed", ["private_key_jwt"], jwks={"keys": [key]})
    key_config(stack, session, "key-exposed", path)
    t = tool(session, "token")
    assert t.returncode == 0, t.stderr
    assert t.stderr.count("readable by others") == 1 and path in t.stderr


@pytest.mark.parametrize("case", ["encrypted", "weak", "not-a-key", "p384"])
def test_an_unusable_key_is_a_configuration_error_naming_the_file(stack, session, case):
    if case == "encrypted":
        path, _ = make_key(session.home, "key.pem", "genpkey", "-algorithm", "EC", "-pkeyopt",
                           "ec_paramgen_curve:P-256", "-aes256", "-pass", "pass:secret")
        expect = "encrypted"
    elif case == "weak":
        path, _ = make_key(session.home, "key.pem", "genrsa", "-traditional", "1024")
        expect = "1024-bit"
    elif case == "p384":
        path, _ = make_key(session.home, "key.pem", "ecparam", "-name", "secp384r1", "-genkey", "-noout")
        expect = "P-256"
    else:
        path = os.path.join(session.home, "key.pem")
        with open(path, "w") as f:
            f.write("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n")
        os.chmod(path, 0o600)
        expect = "no PEM private key"
    key_config(stack, session, "nobody", path)
    t = tool(session, "token")
    assert t.returncode != 0
    assert path in t.stderr and expect in t.stderr, t.stderr
    assert "secret" not in t.stderr.replace("client secret", "")


def secret_config(stack, session, name, client_id, secret, scopes):
    secret_file = os.path.join(session.home, name + ".secret")
    with open(secret_file, "w") as f:
        f.write(secret)
    os.chmod(secret_file, 0o600)
    return write_config(session, "admin:\n  endpoint: dns:///%s\n  insecure: true\n  authType: ClientSecret\n"
                                 "  clientId: %s\n  clientSecretLocation: %s\n  scopes: [%s]\n"
                        % (host(stack), client_id, secret_file, ", ".join(scopes)), name=name + ".yaml")


def in_one_keyring_session(session, runs, kernel):
    """Runs `flyteauth -c CONFIG token` for each config in `runs`, one after the other in
    one process tree: inside its own `keyctl session -` with the kernel tier on, else
    with it off. Returns [(exit status, stdout, stderr)]."""
    from cliutil import TOOL
    out = os.path.join(session.home, "runs")
    os.makedirs(out, exist_ok=True)
    script = "".join('"$TOOL" token -c "%s" >"%s/%d.out" 2>"%s/%d.err"; echo $? >"%s/%d.rc"\n'
                     % (config, out, i, out, i, out, i) for i, config in enumerate(runs))
    env = session.env()
    env.update(TOOL=TOOL, FLYTEAUTH_KERNEL_KEYRING="session" if kernel else "off")
    argv = (["keyctl", "session", "-"] if kernel else []) + ["bash", "-c", script]
    subprocess.run(argv, env=env, check=True, timeout=120, capture_output=True)
    results = []
    for i in range(len(runs)):
        with open("%s/%d.rc" % (out, i)) as rc, open("%s/%d.out" % (out, i)) as o, open("%s/%d.err" % (out, i)) as e:
            results.append((int(rc.read()), o.read().strip(), e.read()))
    return results


@pytest.mark.parametrize("kernel", [True, False], ids=["kernel-tier", "no-kernel-tier"])
def test_the_cache_serves_only_the_credential_and_request_that_filled_it(stack, session, kernel):
    client_id = "bound-" + ("k" if kernel else "n")
    secret = "right-" + b64u(os.urandom(18))
    stack.idp.add_client(client_id, ["client_secret_basic"], scope=("all", "offline"), password=secret)
    right = secret_config(stack, session, "right", client_id, secret, ["all"])
    wrong = secret_config(stack, session, "wrong", client_id, "wrong-" + b64u(os.urandom(18)), ["all"])
    more = secret_config(stack, session, "more", client_id, secret, ["all", "offline"])
    first, mistaken, again, other, back = in_one_keyring_session(session, [right, wrong, right, more, right], kernel)
    assert first[0] == 0, first[2]
    # The wrong secret is not served the right one's token: the IdP refuses it at once.
    assert mistaken[0] != 0 and mistaken[1] == "", mistaken
    assert "403" in mistaken[2], mistaken[2]
    assert secret not in mistaken[2]
    # The right secret is still served from the cache.
    assert again[0] == 0 and again[1] == first[1]
    # Other scopes get a token of their own, with those scopes.
    assert other[0] == 0 and other[1] != first[1], other[2]
    assert set(claims(other[1])["scope"].split()) == {"all", "offline"}
    assert set(claims(first[1])["scope"].split()) == {"all"}
    # Back to the first request: never the other scopes' token.
    assert back[0] == 0 and set(claims(back[1])["scope"].split()) == {"all"}


DOCUMENT_SCRIPT = r"""
import datetime, json, os, sys, time
shape, runs, lifetime = sys.argv[1], sys.argv[2], float(sys.argv[3])
with open(runs, "a") as f:
    f.write("run\n")
token = "cmd-%d-%d" % (os.getpid(), time.time_ns())
exp = time.time() + lifetime
stamp = datetime.datetime.fromtimestamp(exp, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
with open(runs + ".exp", "w") as f:
    f.write(repr(exp))
if shape == "oauth":
    print(json.dumps({"access_token": token, "token_type": "Bearer", "expires_in": lifetime, "refresh_token": "ignored"}))
elif shape == "exec-credential":
    print(json.dumps({"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
                      "status": {"token": token, "expirationTimestamp": stamp}}))
else:
    print(json.dumps({"Version": 1, "Token": token, "Expiration": stamp}))
"""


def command_config(stack, session, argv, name="command.yaml"):
    return write_config(session, "admin:\n  endpoint: dns:///%s\n  insecure: true\n  authType: ExternalCommand\n"
                                 "  command: %s\n" % (host(stack), json.dumps(argv)), name=name)


def count(path):
    return len(open(path).read().splitlines()) if os.path.exists(path) else 0


@pytest.mark.parametrize("shape", ["oauth", "exec-credential", "credential-process"])
def test_a_json_printing_command_runs_again_before_its_expiry_and_not_before(stack, session, shape):
    import sys
    runs = os.path.join(session.home, "runs-" + shape)
    # Tokens of 4 s: the cache serves them until 0.4 s before their end (a tenth of the
    # lifetime), then the command runs again.
    config = command_config(stack, session, [sys.executable, "-c", DOCUMENT_SCRIPT, shape, runs, "4"])
    first = tool(session, "token", "-c", config)
    assert first.returncode == 0, first.stderr
    exp = float(open(runs + ".exp").read())
    second = tool(session, "token", "-c", config)
    assert second.returncode == 0 and second.stdout == first.stdout
    assert count(runs) == 1, "the command ran again while its token was fresh"
    if time.time() >= exp - 0.4:
        pytest.fail("the machine took longer than the token's lifetime to run the tool twice")
    # Past the hard deadline (0.4 s before exp), before the expiry itself.
    time.sleep(max(0, exp - 0.25 - time.time()))
    third = tool(session, "token", "-c", config)
    assert third.returncode == 0 and third.stdout != first.stdout, third.stderr
    assert count(runs) == 2


def test_flyteauth_token_feeds_another_tool_with_its_expiry(stack, session):
    from cliutil import TOOL, service_config
    service = service_config(stack, session)
    for fmt, shape_key in (("oauth", "access_token"), ("exec-credential", "status"), ("credential-process", "Token")):
        t = tool(session, "token", "-c", service, "--format", fmt)
        assert t.returncode == 0, t.stderr
        assert shape_key in json.loads(t.stdout)
    # Through a wrapper script, as a kubectl exec plugin or a CI step would call it (a
    # token command that is flyteauth itself is read as "log in", never run).
    wrapper = os.path.join(session.home, "flyte-token.sh")
    with open(wrapper, "w") as f:
        f.write('#!/bin/sh\nexec "%s" token -c "%s" --format exec-credential\n' % (TOOL, service))
    os.chmod(wrapper, 0o700)
    fed = command_config(stack, session, [wrapper], name="fed.yaml")
    direct = tool(session, "token", "-c", service, "--json")
    through = tool(session, "token", "-c", fed, "--json")
    assert through.returncode == 0, through.stderr
    # The same token, and the expiry travelled with it.
    assert json.loads(through.stdout)["access_token"] == json.loads(direct.stdout)["access_token"]
    assert json.loads(through.stdout)["expires_at"] == json.loads(direct.stdout)["expires_at"]


def sign_es256(pem, claims, kid):
    key = serialization.load_pem_private_key(pem, password=None)
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
    signing_input = b64u(json.dumps({"alg": "ES256", "kid": kid, "typ": "JWT"}).encode()) + "." + b64u(json.dumps(claims).encode())
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return signing_input + "." + b64u(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def doctor(session):
    d = tool(session, "doctor", "--json")
    checks = {c["name"]: c for c in json.loads(d.stdout)["checks"]}
    return d, checks


def test_doctor_names_a_world_readable_key(stack, session):
    path, pem = make_key(session.home, "key.pem", *EC_SEC1, mode=0o644)
    key, thumbprint = jwk(pem)
    stack.idp.add_client("doctor-key", ["private_key_jwt"], jwks={"keys": [key]})
    key_config(stack, session, "doctor-key", path)
    d, checks = doctor(session)
    c = checks["private key"]
    assert c["status"] == "warn" and path in c["summary"] and "644" in c["summary"], c
    assert c["fix"] == "chmod 600 " + path
    assert any("ES256" in x and thumbprint in x for x in c["details"])
    assert "BEGIN" not in d.stdout


@pytest.mark.parametrize("case", ["expired", "wrong-audience", "good"])
def test_doctor_checks_an_external_assertion_without_showing_it(stack, session, case):
    _, pem = make_key(session.home, "issuer.pem", *EC_SEC1)
    now = int(time.time())
    claims = {"iss": "https://token.actions.githubusercontent.com", "sub": "repo:flyteorg/flyte:ref:refs/heads/main",
              "aud": "https://other.example" if case == "wrong-audience" else stack.idp.token_endpoint,
              "exp": now - 120 if case == "expired" else now + 600, "iat": now - 300, "jti": b64u(os.urandom(9))}
    token = sign_es256(pem, claims, "gh")
    token_file = os.path.join(session.home, "token")
    with open(token_file, "w") as f:
        f.write(token)
    write_config(session, "admin:\n  endpoint: dns:///%s\n  insecure: true\n  authType: ClientSecret\n"
                          "  clientId: doctor-fed\n  scopes: [all]\n  tokenUrl: %s\n"
                          "flyteauth:\n  client_assertion: {file: %s}\n" % (host(stack), stack.idp.token_endpoint, token_file))
    d, checks = doctor(session)
    c = checks["client assertion"]
    assert token not in d.stdout and token.split(".")[2] not in d.stdout
    assert "sub repo:flyteorg/flyte:ref:refs/heads/main" in c["details"]
    if case == "expired":
        assert c["status"] == "fail" and "expired" in c["summary"] and token_file in c["summary"], c
        assert d.returncode != 0
    elif case == "wrong-audience":
        assert c["status"] == "fail" and "https://other.example" in c["summary"], c
        assert "client_assertion_audience" in c["fix"]
    else:
        assert c["status"] == "ok", c


def test_client_secret_jwt_against_glewlwyd(stack, session):
    secret = b64u(os.urandom(32))
    client_id = "hs256-client"
    # glewlwyd verifies HS256 assertions with the client's "client_secret" property.
    stack.idp.add_client(client_id, ["client_secret_jwt"], client_secret=secret)
    secret_file = os.path.join(session.home, "hs.secret")
    with open(secret_file, "w") as f:
        f.write(secret)
    os.chmod(secret_file, 0o600)
    write_config(session, "admin:\n  endpoint: dns:///%s\n  insecure: true\n  authType: ClientSecret\n"
                          "  clientId: %s\n  clientSecretLocation: %s\n  scopes: [all]\n  tokenUrl: %s\n"
                          "flyteauth:\n  client_auth_method: client_secret_jwt\n"
                 % (host(stack), client_id, secret_file, stack.idp.token_endpoint))
    t = tool(session, "token")
    assert t.returncode == 0, t.stderr
    assert secret not in t.stderr


class _CaptureTokenEndpoint:
    """A loopback token endpoint that records each form and answers with a token: to read
    the assertion the tool signs (glewlwyd checks it but cannot show it)."""

    def __init__(self):
        import http.server
        import threading
        import urllib.parse
        forms = self.forms = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
                forms.append({k: v[0] for k, v in urllib.parse.parse_qs(body).items()})
                reply = json.dumps({"access_token": "captured-%d" % len(forms), "token_type": "Bearer",
                                    "expires_in": 600}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/oauth2/token" % self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_the_assertion_is_a_valid_jws_with_the_certificates_thumbprint(stack, session, kind):
    path, pem = make_key(session.home, "key.pem", *(RSA_PKCS1 + ("2048",) if kind == "rsa" else EC_SEC1))
    cert = os.path.join(session.home, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-key", path, "-subj", "/CN=flyte-ci", "-days", "1", "-out", cert],
                   check=True, capture_output=True, timeout=60)
    der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"], check=True, capture_output=True, timeout=30).stdout
    capture = _CaptureTokenEndpoint()
    try:
        key_config(stack, session, "ci-client", path, token_url=capture.url,
                   extra="  certificate_file: %s\n  interactive: false\n" % cert)
        for _ in range(2):
            t = tool(session, "login")
            assert t.returncode == 0, t.stderr
    finally:
        capture.stop()
    assert len(capture.forms) == 2
    jwts = [f["client_assertion"] for f in capture.forms]
    assert all(f["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" for f in capture.forms)
    assert all(f["client_id"] == "ci-client" and f["grant_type"] == "client_credentials" for f in capture.forms)
    decode = lambda part: json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))  # noqa: E731
    header, body = decode(jwts[0].split(".")[0]), decode(jwts[0].split(".")[1])
    _, thumbprint = jwk(pem)
    assert header == {"alg": "RS256" if kind == "rsa" else "ES256", "typ": "JWT", "kid": thumbprint,
                      "x5t#S256": b64u(hashlib.sha256(der).digest())}
    assert body["iss"] == body["sub"] == "ci-client" and body["aud"] == capture.url
    assert 0 < body["exp"] - body["iat"] <= 300 and abs(body["iat"] - time.time()) < 60
    assert decode(jwts[1].split(".")[1])["jti"] != body["jti"]
    # The signature verifies with the public key (ES256 as r||s, RFC 7518 3.4).
    public = serialization.load_pem_private_key(pem, password=None).public_key()
    signing_input, signature = jwts[0].rsplit(".", 1)
    signature = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    if kind == "rsa":
        public.verify(signature, signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    else:
        from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
        assert len(signature) == 64
        der_sig = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
        public.verify(der_sig, signing_input.encode(), ec.ECDSA(hashes.SHA256()))
