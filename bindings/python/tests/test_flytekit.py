"""flytekit integration: the flytekit.auth entry points (the package must be installed:
``pip install -e bindings/python``, done by run-tests.sh), get_authenticator, and
flytekit's own gRPC AuthUnaryInterceptor and HTTP adapter using our authenticator."""
import json
from importlib.metadata import entry_points

import grpc
import pytest
import requests

import flyteauth
from flyteauth import flytekit_compat
from flytekit.clients.auth import exceptions as fk_exceptions
from flytekit.clients.auth.authenticator import Authenticator, ClientConfig, StaticClientConfigStore
from flytekit.clients.auth_helper import AuthenticationHTTPAdapter, get_authenticator
from flytekit.clients.grpc_utils.auth_interceptor import AuthUnaryInterceptor
from flytekit.configuration import PlatformConfig
from helpers import GrpcEchoServer, HttpEchoServer, TokenChecker, require

NAMES = ["flyteauth", "flyteauth_pkce", "flyteauth_deviceflow", "flyteauth_clientsecret", "flyteauth_externalcommand"]


@pytest.fixture
def store():
    # flytekit passes a RemoteClientConfigStore; ours is never asked (the library discovers itself)
    class Unused(StaticClientConfigStore):
        def get_client_config(self):
            raise AssertionError("the ClientConfigStore should not be needed")

    return Unused(ClientConfig(token_endpoint="", authorization_endpoint="", redirect_uri="", client_id=""))


@pytest.fixture(autouse=True)
def isolated_settings(monkeypatch, cache_dir):
    monkeypatch.setenv(flytekit_compat.SETTINGS_ENV_VAR, json.dumps({"keyring": False, "cache_dir": cache_dir}))


@pytest.fixture
def platform_config(stack):
    st = stack.state
    return PlatformConfig(endpoint=stack.endpoint.split("://", 1)[1], insecure=True,
                          auth_mode="flyteauth_clientsecret", client_id=st["service_client_id"],
                          client_credentials_secret=st["service_client_secret"], scopes=["all"])


def test_entry_points_are_installed():
    eps = {ep.name: ep for ep in entry_points(group="flytekit.auth")}
    missing = [n for n in NAMES if n not in eps]
    assert not missing, ("flytekit.auth entry points %s missing: install the package first "
                         "(bindings/python/run-tests.sh, or pip install -e bindings/python)" % missing)
    for name in NAMES:
        assert eps[name].load() is flytekit_compat.PLUGINS[name]


def test_get_authenticator_returns_ours(platform_config, store, front):
    a = get_authenticator(platform_config, store)
    assert isinstance(a, flytekit_compat.FlyteAuthAuthenticator) and isinstance(a, Authenticator)
    key, value = a.fetch_grpc_call_auth_metadata()
    assert key == "flyte-authorization"
    require(value.startswith("Bearer ey"), "no bearer token")
    creds = a.get_credentials()
    require(creds.access_token == value[7:], "get_credentials differs")
    assert 0 < creds.expires_in <= 4
    status = a.client.status()
    assert status["auth_type"] == "ClientSecret" and status["endpoint"] == platform_config.endpoint
    a.refresh_credentials()
    require(a.fetch_grpc_call_auth_metadata()[1] != value, "refresh_credentials kept the token")
    assert front.token_requests("client_credentials") == 2
    a.client.close()


@pytest.mark.parametrize("mode", ["FLYTEAUTH_CLIENTSECRET", "Flyteauth_ClientSecret", "flyteauth"])
def test_names_are_case_insensitive_and_flyteauth_infers(platform_config, store, mode):
    import dataclasses

    a = get_authenticator(dataclasses.replace(platform_config, auth_mode=mode), store)
    assert isinstance(a, flytekit_compat.FlyteAuthAuthenticator)
    assert a.client.status()["auth_type"] == "ClientSecret"  # "flyteauth": a secret is configured
    a.client.close()


def test_settings_mapping(monkeypatch):
    monkeypatch.delenv(flytekit_compat.SETTINGS_ENV_VAR)
    cfg = PlatformConfig(endpoint="dns:///flyte.example.com", insecure=False, insecure_skip_verify=True,
                         ca_cert_file_path="/ca.pem", client_id="cid", client_credentials_secret="s3cr3t",
                         scopes=["all", "offline"], audience="aud", command=["tok"], proxy_command=["ptok"],
                         http_proxy_url="http://proxy:3128", auth_mode="flyteauth_pkce")
    s = flytekit_compat.settings_from_platform_config(cfg, "pkce")
    assert s == {"endpoint": "dns:///flyte.example.com", "insecure_skip_verify": True, "ca_cert_file_path": "/ca.pem",
                 "http_proxy_url": "http://proxy:3128", "client_id": "cid", "client_secret": "s3cr3t",
                 "scopes": ["all", "offline"], "audience": "aud", "command": ["tok"], "proxy_command": ["ptok"],
                 "auth_type": "pkce"}
    # Without an auth mode naming the flow, the binding passes no auth type: the library
    # chooses (a command: ExternalCommand; FLYTEAUTH_AUTH_TYPE wins; else PKCE).
    def chosen(cfg):
        settings = flytekit_compat.settings_from_platform_config(cfg)
        assert "auth_type" not in settings
        with flyteauth.Client(settings) as c:
            return c.status()["auth_type"]

    assert chosen(PlatformConfig(command=["x"])) == "ExternalCommand"
    assert chosen(PlatformConfig(client_id="cid", client_credentials_secret="s")) == "ClientSecret"
    assert chosen(PlatformConfig()) == "Pkce"
    monkeypatch.setenv(flytekit_compat.AUTH_TYPE_ENV_VAR, "DeviceFlow")
    assert chosen(PlatformConfig()) == "DeviceFlow"
    monkeypatch.setenv(flytekit_compat.SETTINGS_ENV_VAR, "[1]")
    with pytest.raises(flyteauth.ConfigurationError):
        flytekit_compat.settings_from_platform_config(PlatformConfig())


def test_flytekit_grpc_interceptor_gets_a_working_header(platform_config, store, front):
    checker = TokenChecker()
    server = GrpcEchoServer(checker)
    authenticators = []

    def factory():
        authenticators.append(get_authenticator(platform_config, store))
        return authenticators[-1]

    try:
        with grpc.insecure_channel(server.target) as ch:
            channel = grpc.intercept_channel(ch, AuthUnaryInterceptor(factory))
            methods = GrpcEchoServer.methods(channel)
            assert methods["Unary"](b"hi", timeout=10) == b"unary:hi"
            # (not ServerStream: flytekit's intercept_unary_stream calls code() on the new call,
            # which blocks until the stream ends, i.e. until the deadline for an unread stream)
            assert server.accepted["Unary"] == 1 and server.calls["Unary"] == 1
            # a stale token: flytekit's interceptor calls refresh_credentials() and retries
            checker.mark_stale(authenticators[0].fetch_grpc_call_auth_metadata()[1])
            before = front.token_requests()
            assert methods["Unary"](b"again", timeout=10) == b"unary:again"
            assert server.calls["Unary"] == 3 and front.token_requests() - before == 1
    finally:
        server.stop()
        for a in authenticators:
            a.client.close()
    assert len(authenticators) == 1


def test_flytekit_http_adapter(platform_config, store, front):
    checker = TokenChecker()
    server = HttpEchoServer(checker)
    a = get_authenticator(platform_config, store)
    try:
        with requests.Session() as s:
            s.mount("http://", AuthenticationHTTPAdapter(a))
            assert s.get(server.url + "/x", timeout=10).status_code == 200
            checker.mark_stale(a.fetch_grpc_call_auth_metadata()[1])
            assert s.get(server.url + "/x", timeout=10).status_code == 200
        assert server.requests["/x"] == 3
    finally:
        server.stop()
        a.client.close()


def test_errors_are_flytekit_errors_too(store, cache_dir):
    cfg = PlatformConfig(endpoint="127.0.0.1:1", insecure=True, auth_mode="flyteauth_clientsecret",
                         client_id="x", client_credentials_secret="y")
    a = get_authenticator(cfg, store)
    with pytest.raises(fk_exceptions.AuthenticationError) as info:
        a.fetch_grpc_call_auth_metadata()
    e = info.value
    assert isinstance(e, flyteauth.NetworkError) and e.status == flyteauth.Status.NETWORK
    with pytest.raises(flyteauth.NetworkError):
        a.refresh_credentials()
    a.client.close()

    # a required login: flytekit's AccessTokenNotFoundError
    b = get_authenticator(PlatformConfig(endpoint="127.0.0.1:1", insecure=True, auth_mode="flyteauth_pkce"), store)
    assert b.get_credentials() is None  # no token yet, and no I/O to find out
    b.client.close()
    c = flytekit_compat.authenticator_for(PlatformConfig(), "passthrough")
    with pytest.raises(fk_exceptions.AccessTokenNotFoundError) as info:
        c.fetch_grpc_call_auth_metadata()
    assert isinstance(info.value, flyteauth.AccessTokenNotFoundError)
    c.client.close()

    # configuration errors at construction are ValueError (flytekit raises ValueError there)
    with pytest.raises(ValueError):
        get_authenticator(PlatformConfig(endpoint="x", auth_mode="flyteauth_externalcommand"), store)


def test_external_command_plugin(stack, store, front, tmp_path):
    import sys

    cfg = PlatformConfig(endpoint=stack.endpoint.split("://", 1)[1], insecure=True,
                         auth_mode="flyteauth_externalcommand",
                         command=[sys.executable, "-c", "print('plugin-command-token')"])
    a = get_authenticator(cfg, store)
    key, value = a.fetch_grpc_call_auth_metadata()
    assert (key, value) == ("flyte-authorization", "Bearer plugin-command-token")
    a.client.close()


def test_explicit_registration(platform_config, store):
    from flytekit.clients import auth_helper

    flytekit_compat.register()
    try:
        for name in NAMES:
            assert auth_helper._authenticator_registry[name] is flytekit_compat.PLUGINS[name]
        a = get_authenticator(platform_config, store)
        assert isinstance(a, flytekit_compat.FlyteAuthAuthenticator)
        a.client.close()
    finally:
        for name in NAMES:
            auth_helper._authenticator_registry.pop(name, None)
