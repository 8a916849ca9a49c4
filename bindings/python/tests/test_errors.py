"""The exception hierarchy and the status mapping, in isolation and from real failures."""
import pathlib
import builtins
import pickle

import pytest

import flyteauth
from flyteauth import errors
from flyteauth.errors import Status

EXPECTED = {
    Status.INVALID_ARGUMENT: flyteauth.InvalidArgumentError,
    Status.CONFIG: flyteauth.ConfigurationError,
    Status.NETWORK: flyteauth.NetworkError,
    Status.TIMEOUT: flyteauth.TimeoutError,
    Status.PROTOCOL: flyteauth.ProtocolError,
    Status.OAUTH: flyteauth.OAuthError,
    Status.LOGIN_REQUIRED: flyteauth.AccessTokenNotFoundError,
    Status.COMMAND: flyteauth.CommandError,
    Status.CANCELLED: flyteauth.CancelledError,
    Status.CACHE: flyteauth.CacheError,
    Status.UNSUPPORTED: flyteauth.UnsupportedError,
    Status.FORKED: flyteauth.ForkedError,
    Status.INTERNAL: flyteauth.InternalError,
}


def test_status_values_match_the_header():
    # flyteauth.h: FLYTEAUTH_OK = 0 ... FLYTEAUTH_E_INTERNAL = 13
    assert [s.value for s in Status] == list(range(14))
    # <repo>/build/stage/lib/libflyteauth.so.0 -> <repo>/include/flyteauth.h, the contract.
    header = pathlib.Path(flyteauth._library.staged_build_path()).parents[3] / "include" / "flyteauth.h"
    text = header.read_text()
    for s in Status:
        name = "FLYTEAUTH_OK" if s is Status.OK else "FLYTEAUTH_E_" + s.name
        assert "%s = %d" % (name, s.value) in text


@pytest.mark.parametrize("status", list(EXPECTED))
def test_every_status_maps_to_its_class(status):
    e = errors.error_for_status(status, "something failed", function="flyteauth_x")
    assert type(e) is EXPECTED[status]
    assert e.status is status and e.raw_status == int(status)
    assert str(e) == "something failed" and e.message == "something failed"
    assert e.function == "flyteauth_x"
    assert isinstance(e, flyteauth.FlyteAuthError) and isinstance(e, RuntimeError)
    assert type(e).default_status is status


def test_unknown_status_is_internal_and_keeps_the_number():
    e = errors.error_for_status(99, "from the future")
    assert type(e) is flyteauth.InternalError
    assert e.status is Status.INTERNAL and e.raw_status == 99


def test_hierarchy_keeps_flytekit_names_and_builtin_bases():
    assert issubclass(flyteauth.AccessTokenNotFoundError, flyteauth.AuthenticationError)
    assert flyteauth.LoginRequiredError is flyteauth.AccessTokenNotFoundError
    for cls in (flyteauth.NetworkError, flyteauth.ProtocolError, flyteauth.OAuthError, flyteauth.CommandError):
        assert issubclass(cls, flyteauth.AuthenticationError)
    assert issubclass(flyteauth.TimeoutError, flyteauth.NetworkError)
    assert issubclass(flyteauth.TimeoutError, builtins.TimeoutError)
    assert issubclass(flyteauth.ConfigurationError, ValueError)
    assert issubclass(flyteauth.InvalidArgumentError, ValueError)
    assert not issubclass(flyteauth.ForkedError, flyteauth.AuthenticationError)
    assert issubclass(flyteauth.LibraryNotFoundError, OSError)
    assert issubclass(flyteauth.LibraryNotFoundError, flyteauth.FlyteAuthError)


def test_oauth_fields_and_str():
    e = errors.error_for_status(Status.OAUTH, "the IdP refused the token request", oauth_error="invalid_grant",
                                oauth_error_description="expired", http_status=400)
    assert isinstance(e, flyteauth.OAuthError)
    assert (e.oauth_error, e.oauth_error_description, e.http_status) == ("invalid_grant", "expired", 400)
    assert str(e) == "the IdP refused the token request (invalid_grant: expired)"
    assert "OAUTH" in repr(e)


def test_errors_pickle_with_their_fields():
    e = errors.error_for_status(Status.OAUTH, "refused", oauth_error="invalid_client", http_status=401)
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is flyteauth.OAuthError
    assert (back.status, back.oauth_error, back.http_status, str(back)) == (e.status, "invalid_client", 401, str(e))


# -- real failures from the library ------------------------------------------------

def test_unknown_setting_is_configuration_error_naming_the_key():
    with pytest.raises(flyteauth.ConfigurationError) as info:
        flyteauth.Client({"endpoint": "flyte.example.com", "no_such_setting": 1})
    assert info.value.status is Status.CONFIG
    assert '"no_such_setting"' in str(info.value)
    assert info.value.function == "flyteauth_client_new"


def test_network_error_for_an_unreachable_endpoint(cache_dir):
    with flyteauth.Client({"endpoint": "http://127.0.0.1:1", "auth_type": "ClientSecret", "client_id": "x",
                           "client_secret": "y", "keyring": False, "cache_dir": cache_dir,
                           "connect_timeout_seconds": 2}) as c:
        with pytest.raises(flyteauth.NetworkError) as info:
            c.metadata()
    assert info.value.status is Status.NETWORK
    assert "127.0.0.1:1" in str(info.value)


def test_wrong_client_secret_is_refused(stack, front, cs_settings):
    with flyteauth.Client(dict(cs_settings, client_secret="not-the-secret")) as c:
        with pytest.raises(flyteauth.AuthenticationError) as info:
            c.metadata()
    # glewlwyd answers 403 with an empty body (no OAuth error): a protocol error with the status.
    assert isinstance(info.value, (flyteauth.OAuthError, flyteauth.ProtocolError))
    assert info.value.http_status in (400, 401, 403)
    assert "not-the-secret" not in str(info.value)


def test_oauth_error_from_the_token_endpoint(front, cs_settings):
    front.fail_next(n=1, status=400, body='{"error":"invalid_scope","error_description":"no such scope"}')
    with flyteauth.Client(cs_settings) as c:
        with pytest.raises(flyteauth.OAuthError) as info:
            c.metadata()
    e = info.value
    assert (e.status, e.oauth_error, e.oauth_error_description, e.http_status) == (
        Status.OAUTH, "invalid_scope", "no such scope", 400)


def test_protocol_error_for_garbage(front, cs_settings):
    front.fail_next(n=4, status=200, body="<html>not json</html>", content_type="text/html")
    with flyteauth.Client(cs_settings) as c:
        with pytest.raises(flyteauth.ProtocolError) as info:
            c.metadata()
    assert info.value.status is Status.PROTOCOL


def test_error_message_is_read_on_the_failing_thread():
    # flyteauth_error_last() is per thread: failures on two threads keep their own text.
    import threading

    out = {}

    def fail(key):
        try:
            flyteauth.Client({"endpoint": "x", key: 1})
        except flyteauth.ConfigurationError as e:
            out[key] = str(e)

    threads = [threading.Thread(target=fail, args=("bad_key_%d" % i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all('"%s"' % k in v for k, v in out.items()) and len(out) == 8
