"""TLS against real HTTPS fronts: Flyte discovery and the IdP (glewlwyd) each behind an
HTTPS front (harness/faultfront.py with tls=...), certificates made with openssl by the
test (harness/tls.py): a DNS name and an IP SAN, a wrong host name, an expired
certificate, an unknown CA; ca_cert_file_path, insecure_skip_verify, a token endpoint on
another host than discovery, and http_proxy_url through a real CONNECT proxy.

Discovery is at https://localhost:P (DNS SAN); the token endpoint at https://127.0.0.1:Q
(IP SAN): two hosts, so the settings are seen to apply to both.
"""
import ctypes
import json

import pytest

import cache_driver as cd
from harness import start_stack
from harness.faultfront import FaultFront
from harness.tls import ConnectProxy, make_pki


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tls")
    pki = make_pki(str(tmp / "pki"))
    stack = start_stack(access_token_duration=600)
    fronts = {}
    try:
        for name in ("good", "wronghost", "expired", "unknownca"):
            # Flyte (discovery) and the IdP's token endpoint, each behind its own HTTPS front.
            fronts["flyte-" + name] = FaultFront({"/": stack.front.url}, tls=pki.context(name)).start()
            fronts["idp-" + name] = FaultFront({"/": stack.idp.url}, tls=pki.context(name)).start()
        token_path = stack.state["idp_token_endpoint"].split(stack.idp.url, 1)[1]
        yield {"stack": stack, "pki": pki, "fronts": fronts, "token_path": token_path, "tmp": tmp}
    finally:
        for f in fronts.values():
            f.stop()
        stack.stop()


def settings(env, flyte="good", idp="good", **extra):
    s = {"endpoint": "dns:///localhost:%d" % env["fronts"]["flyte-" + flyte].port,
         "token_url": "https://127.0.0.1:%d%s" % (env["fronts"]["idp-" + idp].port, env["token_path"]),
         "auth_type": "ClientSecret", "client_id": env["stack"].state["service_client_id"],
         "client_secret": env["stack"].state["service_client_secret"], "scopes": ["all"],
         "keyring": False, "http_timeout_seconds": 10, "discovery_cache_ttl_seconds": 0,
         "cache_dir": str(env["tmp"] / "cache")}
    s.update(extra)
    return s


def token(s):
    """(status, message) of a header request by a new client."""
    c = ctypes.c_void_p()
    st = cd.lib.flyteauth_client_new(json.dumps(s).encode(), ctypes.byref(c))
    if st != 0:
        return st, cd.lib.flyteauth_error_last().contents.message.decode()
    try:
        md = ctypes.POINTER(cd.Metadata)()
        st = cd.lib.flyteauth_client_metadata(c, ctypes.byref(md))
        if st != 0:
            return st, cd.lib.flyteauth_error_last().contents.message.decode()
        cd.lib.flyteauth_metadata_free(md)
        return 0, ""
    finally:
        cd.lib.flyteauth_client_free(c)


def test_default_verification_rejects_an_unknown_ca(env):
    st, msg = token(settings(env))  # no ca_cert_file_path: the system store lacks the test CA
    assert st == 3 and "certificate" in msg and "https://localhost:%d" % env["fronts"]["flyte-good"].port in msg, msg


def test_ca_file_works_for_a_dns_name_and_an_ip_san(env):
    assert token(settings(env, ca_cert_file_path=env["pki"].ca)) == (0, "")
    assert env["fronts"]["flyte-good"].seen and env["fronts"]["idp-good"].seen


@pytest.mark.parametrize("name,says", [("wronghost", "localhost"), ("expired", "expired"), ("unknownca", "issuer")])
def test_bad_discovery_certificates_are_rejected_saying_which(env, name, says):
    st, msg = token(settings(env, flyte=name, ca_cert_file_path=env["pki"].ca))
    assert st == 3 and "https://localhost:%d" % env["fronts"]["flyte-" + name].port in msg, msg
    assert says in msg and "certificate" in msg or "subject name" in msg, msg


@pytest.mark.parametrize("name,says", [("wronghost", "127.0.0.1"), ("expired", "expired"), ("unknownca", "issuer")])
def test_settings_apply_to_a_token_endpoint_on_another_host(env, name, says):
    st, msg = token(settings(env, idp=name, ca_cert_file_path=env["pki"].ca))
    assert st == 3 and "https://127.0.0.1:%d" % env["fronts"]["idp-" + name].port in msg, msg
    assert says in msg, msg
    assert token(settings(env, idp=name, ca_cert_file_path=env["pki"].ca, insecure_skip_verify=True)) == (0, "")


@pytest.mark.parametrize("name", ["wronghost", "expired", "unknownca"])
def test_insecure_skip_verify_accepts_them(env, name):
    assert token(settings(env, flyte=name, idp=name, insecure_skip_verify=True)) == (0, "")


def test_http_proxy_url_tunnels_to_both_https_hosts(env):
    with ConnectProxy() as proxy:
        assert token(settings(env, ca_cert_file_path=env["pki"].ca, http_proxy_url=proxy.url)) == (0, "")
        targets = set(proxy.tunnels)
    assert "localhost:%d" % env["fronts"]["flyte-good"].port in targets, targets
    assert "127.0.0.1:%d" % env["fronts"]["idp-good"].port in targets, targets


@pytest.mark.parametrize("content", [None, b"this is not a certificate\n"])
def test_a_missing_or_garbage_ca_file_is_a_config_error_naming_it(env, tmp_path, content):
    """A CA file that cannot be used is the configuration's fault, not the network's."""
    path = tmp_path / "ca.pem"
    if content is not None:
        path.write_bytes(content)
    st, msg = token(settings(env, ca_cert_file_path=str(path)))
    assert st == 2 and "ca_cert_file_path" in msg and str(path) in msg, (st, msg)
