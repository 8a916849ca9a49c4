"""flyteauth.grpc against a real in-process grpcio server that only accepts a current,
non-stale token in flyte-authorization."""
import grpc
import pytest

import flyteauth
from flyteauth.grpc import AuthInterceptor, call_credentials, intercept_channel, retries
from helpers import GrpcEchoServer, TokenChecker, require

SHAPES = ["Unary", "ServerStream", "ClientStream", "BidiStream"]


@pytest.mark.parametrize("code,unary,expected", [
    (grpc.StatusCode.UNAUTHENTICATED, True, True),
    (grpc.StatusCode.UNAUTHENTICATED, False, True),
    (grpc.StatusCode.UNKNOWN, True, True),
    (grpc.StatusCode.UNKNOWN, False, False),
    (grpc.StatusCode.PERMISSION_DENIED, True, False),
    (grpc.StatusCode.UNAVAILABLE, True, False),
    (grpc.StatusCode.OK, True, False),
])
def test_retry_rule(code, unary, expected):
    """The retry rule of flyteauth_client_refresh (flyteauth.h), the same table as the
    Go binding's TestRetryRule."""
    assert retries(code, unary=unary) is expected


@pytest.fixture
def checker():
    return TokenChecker()


@pytest.fixture
def server(checker):
    s = GrpcEchoServer(checker)
    yield s
    s.stop()


@pytest.fixture
def channel(server, cs_client):
    ch = grpc.insecure_channel(server.target)
    yield grpc.intercept_channel(ch, AuthInterceptor(cs_client))
    ch.close()


def invoke(channel, shape, requests=None, **kwargs):
    """One call of `shape`. Request streams are lists by default (replayable; plain grpcio
    wants an iterator, the interceptor takes either)."""
    m = GrpcEchoServer.methods(channel)[shape]
    if shape == "Unary":
        return m(b"hello", timeout=10, **kwargs)
    if shape == "ServerStream":
        return list(m(b"hello", timeout=10, **kwargs))
    reqs = requests if requests is not None else [b"a", b"b", b"c"]
    if shape == "ClientStream":
        return m(reqs, timeout=10, **kwargs)
    return list(m(reqs, timeout=10, **kwargs))


EXPECTED = {
    "Unary": b"unary:hello",
    "ServerStream": [b"hello:0", b"hello:1", b"hello:2"],
    "ClientStream": b"client:a+b+c",
    "BidiStream": [b"bidi:a", b"bidi:b", b"bidi:c"],
}


@pytest.mark.parametrize("shape", SHAPES)
def test_metadata_is_added(channel, server, front, shape):
    assert invoke(channel, shape) == EXPECTED[shape]
    assert server.calls[shape] == 1 and server.accepted[shape] == 1


@pytest.mark.parametrize("shape", SHAPES)
def test_stale_token_is_refreshed_and_the_call_retried_once(channel, server, checker, cs_client, front, shape):
    sent = cs_client.metadata()[0][1]
    checker.mark_stale(sent)
    before = front.token_requests()
    assert invoke(channel, shape) == EXPECTED[shape]
    assert server.calls[shape] == 2, "attempts: %d" % server.calls[shape]
    assert server.accepted[shape] == 1
    assert front.token_requests() - before == 1  # exactly one refresh
    require(cs_client.metadata()[0][1] != sent, "the client still holds the stale token")


def test_unknown_is_retried_for_unary_unary(channel, server, checker, cs_client, front):
    """An ingress's HTML 401 arrives as UNKNOWN: retried like UNAUTHENTICATED."""
    server.reject_code = grpc.StatusCode.UNKNOWN
    checker.mark_stale(cs_client.metadata()[0][1])
    assert invoke(channel, "Unary") == EXPECTED["Unary"]
    assert server.calls["Unary"] == 2 and front.token_requests() == 2


def test_unknown_retry_can_be_disabled(server, checker, cs_client, front):
    server.reject_code = grpc.StatusCode.UNKNOWN
    checker.mark_stale(cs_client.metadata()[0][1])
    with grpc.insecure_channel(server.target) as ch:
        channel = intercept_channel(ch, cs_client, retry_on_unknown=False)
        with pytest.raises(grpc.RpcError) as info:
            invoke(channel, "Unary")
    assert info.value.code() == grpc.StatusCode.UNKNOWN
    assert server.calls["Unary"] == 1 and front.token_requests() == 1


@pytest.mark.parametrize("shape", SHAPES)
def test_always_unauthenticated_gives_up_after_one_retry(channel, server, checker, cs_client, front, shape):
    checker.always_reject = True
    cs_client.metadata()
    with pytest.raises(grpc.RpcError) as info:
        invoke(channel, shape)
    assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert server.calls[shape] == 2  # one attempt, one retry, no loop
    assert front.token_requests() == 2  # the first token and one refresh


@pytest.mark.parametrize("shape", ["ClientStream", "BidiStream"])
def test_request_generator_is_not_replayed(channel, server, checker, cs_client, front, shape):
    sent = cs_client.metadata()[0][1]
    checker.mark_stale(sent)

    def requests():
        yield b"a"
        yield b"b"

    with pytest.raises(grpc.RpcError) as info:
        invoke(channel, shape, requests=requests())
    assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert server.calls[shape] == 1
    # ... but the token was refreshed, so the next call goes through at once
    assert front.token_requests() == 2
    require(cs_client.metadata()[0][1] != sent, "token not refreshed after the rejection")
    assert invoke(channel, shape, requests=iter([b"a", b"b", b"c"])) == EXPECTED[shape]
    assert server.calls[shape] == 2


def test_stream_call_object_and_lazy_retry(channel, server, checker, cs_client):
    checker.mark_stale(cs_client.metadata()[0][1])
    call = GrpcEchoServer.methods(channel)["ServerStream"](b"x", timeout=10)
    assert server.calls["ServerStream"] <= 1  # creating the call does not wait for the retry
    assert call.initial_metadata() is not None  # settles: reads the first response, retrying once
    assert server.calls["ServerStream"] == 2
    assert next(call) == b"x:0"
    assert list(call) == [b"x:1", b"x:2"]
    assert call.code() == grpc.StatusCode.OK
    assert server.calls["ServerStream"] == 2


def test_user_metadata_is_kept(server, cs_client):
    seen = {}

    class Capture(grpc.UnaryUnaryClientInterceptor):
        def intercept_unary_unary(self, continuation, details, request):
            seen["md"] = [k for k, _ in details.metadata]
            return continuation(details, request)

    with grpc.insecure_channel(server.target) as ch:
        # the first interceptor is the outermost: Capture sees what AuthInterceptor added
        channel = grpc.intercept_channel(ch, AuthInterceptor(cs_client), Capture())
        m = GrpcEchoServer.methods(channel)["Unary"]
        assert m(b"hi", metadata=(("x-request-id", "42"),), timeout=10) == b"unary:hi"
    assert seen["md"] == ["x-request-id", "flyte-authorization"]


def test_refresh_failure_surfaces_as_flyteauth_error(server, checker, stack, cache_dir):
    with flyteauth.Client({"auth_type": "passthrough", "authorization_header": "flyte-authorization"}) as c:
        c.set_token("not-a-jwt")
        with grpc.insecure_channel(server.target) as ch:
            channel = intercept_channel(ch, c)
            with pytest.raises(flyteauth.AccessTokenNotFoundError) as info:
                invoke(channel, "Unary")
    assert isinstance(info.value.__cause__, grpc.RpcError)


def test_lazy_client_factory(server, cs_settings, front):
    made = []

    def factory():
        made.append(flyteauth.Client(cs_settings))
        return made[-1]

    interceptor = AuthInterceptor(factory)
    assert made == []
    with grpc.insecure_channel(server.target) as ch:
        channel = grpc.intercept_channel(ch, interceptor)
        assert invoke(channel, "Unary") == EXPECTED["Unary"]
        assert invoke(channel, "Unary") == EXPECTED["Unary"]
    assert len(made) == 1
    made[0].close()


# -- call credentials --------------------------------------------------------------

@pytest.fixture
def secure_server(checker):
    s = GrpcEchoServer(checker, secure=True)
    yield s
    s.stop()


@pytest.mark.parametrize("shape", SHAPES)
def test_call_credentials_over_local_channel(secure_server, cs_client, shape):
    creds = grpc.composite_channel_credentials(
        grpc.local_channel_credentials(grpc.LocalConnectionType.LOCAL_TCP), call_credentials(cs_client))
    with grpc.secure_channel(secure_server.target, creds) as channel:
        assert invoke(channel, shape, requests=iter([b"a", b"b", b"c"])) == EXPECTED[shape]
    assert secure_server.accepted[shape] == 1


def test_call_credentials_with_the_retrying_interceptor(secure_server, checker, cs_client, front):
    checker.mark_stale(cs_client.metadata()[0][1])
    creds = grpc.composite_channel_credentials(
        grpc.local_channel_credentials(grpc.LocalConnectionType.LOCAL_TCP), call_credentials(cs_client))
    with grpc.secure_channel(secure_server.target, creds) as ch:
        channel = grpc.intercept_channel(ch, AuthInterceptor(cs_client, add_metadata=False))
        assert invoke(channel, "Unary") == EXPECTED["Unary"]
    assert secure_server.calls["Unary"] == 2 and front.token_requests() == 2


def test_call_credentials_report_library_errors(secure_server, cache_dir):
    with flyteauth.Client({"endpoint": "http://127.0.0.1:1", "auth_type": "ClientSecret", "client_id": "x",
                           "client_secret": "y", "keyring": False, "cache_dir": cache_dir}) as c:
        creds = grpc.composite_channel_credentials(
            grpc.local_channel_credentials(grpc.LocalConnectionType.LOCAL_TCP), call_credentials(c))
        with grpc.secure_channel(secure_server.target, creds) as channel:
            with pytest.raises(grpc.RpcError) as info:
                invoke(channel, "Unary")
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE or "NetworkError" in (info.value.details() or "")
    assert secure_server.calls["Unary"] == 0
