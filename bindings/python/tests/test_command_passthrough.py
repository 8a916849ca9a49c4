"""External command and passthrough."""
import builtins
import datetime
import sys
import time

import pytest

import flyteauth
from flyteauth.errors import Status
from helpers import require

TOKEN_SCRIPT = """
import os, sys, time
with open(sys.argv[1], "a") as f:
    f.write("run\\n")
print("  cmdtok-%d-%d  " % (os.getpid(), time.time_ns()))
"""


@pytest.fixture
def command(tmp_path):
    runs = tmp_path / "runs"
    return [sys.executable, "-c", TOKEN_SCRIPT, str(runs)], runs


def runs(path):
    return len(path.read_text().splitlines()) if path.exists() else 0


def test_external_command(stack, front, cache_dir, command):
    argv, runs_file = command
    with flyteauth.Client({"endpoint": stack.endpoint, "auth_type": "ExternalCommand", "command": argv,
                           "keyring": False, "cache_dir": cache_dir}) as c:
        md = c.metadata()
        key, value = md[0]
        assert key == "flyte-authorization"  # the server's key, from discovery
        require(value.startswith("Bearer cmdtok-") and not value.endswith(" "), "token not trimmed")
        assert runs(runs_file) == 1
        # unknown expiry: reused until rejected
        for _ in range(50):
            assert c.metadata() is md
        assert runs(runs_file) == 1
        assert c.token().expires_at is None
        fresh = c.refresh(rejected=value)
        require(fresh[0][1] != value, "command not re-run after rejection")
        assert runs(runs_file) == 2
        assert c.status()["token_source"] == "command"
        assert front.token_requests() == 0


def test_external_command_failure(stack, cache_dir):
    argv = [sys.executable, "-c", "import sys; sys.stderr.write('marker-on-stderr'); sys.exit(3)"]
    with flyteauth.Client({"endpoint": stack.endpoint, "auth_type": "externalcommand", "command": argv,
                           "keyring": False, "cache_dir": cache_dir}) as c:
        with pytest.raises(flyteauth.CommandError) as info:
            c.metadata()
    e = info.value
    assert e.status is Status.COMMAND and isinstance(e, flyteauth.AuthenticationError)
    assert "marker-on-stderr" in str(e) and "3" in str(e)


def test_external_command_timeout(stack, cache_dir):
    argv = [sys.executable, "-c", "import time; time.sleep(30)"]
    started = time.monotonic()
    with flyteauth.Client({"endpoint": stack.endpoint, "auth_type": "ExternalCommand", "command": argv,
                           "command_timeout_seconds": 1, "keyring": False, "cache_dir": cache_dir}) as c:
        with pytest.raises(flyteauth.TimeoutError) as info:
            c.metadata()
    assert time.monotonic() - started < 10
    assert isinstance(info.value, builtins.TimeoutError) and info.value.status is Status.TIMEOUT


def test_external_command_must_not_be_empty():
    with pytest.raises(flyteauth.ConfigurationError) as info:
        flyteauth.Client({"auth_type": "ExternalCommand"})
    assert "Command cannot be empty" in str(info.value)


# -- passthrough ---------------------------------------------------------------

def test_passthrough_without_a_token_needs_a_login():
    with flyteauth.Client({"auth_type": "Passthrough"}) as c:
        with pytest.raises(flyteauth.AccessTokenNotFoundError) as info:
            c.metadata()
        assert info.value.status is Status.LOGIN_REQUIRED


def test_passthrough_set_token():
    with flyteauth.Client({"auth_type": "Passthrough"}) as c:
        c.set_token("host-token-1", expires_at=time.time() + 3600)
        md = c.metadata()
        assert md == (("authorization", "Bearer host-token-1"),)
        assert c.metadata() is md
        # set_token invalidates the Python copy at once
        c.set_token("host-token-2", expires_at=datetime.datetime.now(datetime.timezone.utc)
                    + datetime.timedelta(hours=1))
        assert c.metadata() == (("authorization", "Bearer host-token-2"),)
        t = c.token()
        assert t.access_token == "host-token-2" and t.expires_at is not None
        # "Bearer " is stripped when given
        c.set_token("Bearer host-token-3")
        assert c.metadata() == (("authorization", "Bearer host-token-3"),)
        assert c.token().expires_at is None
        assert c.status()["token_source"] == "host"


def test_passthrough_header_key_setting():
    with flyteauth.Client({"auth_type": "Passthrough", "authorization_header": "Flyte-Authorization"}) as c:
        c.set_token("abc")
        assert c.metadata()[0][0] == "flyte-authorization"


def test_passthrough_rejection_cannot_refresh():
    with flyteauth.Client({"auth_type": "Passthrough"}) as c:
        c.set_token("host-token")
        with pytest.raises(flyteauth.AccessTokenNotFoundError):
            c.refresh(rejected="Bearer host-token")
        # a new token from the host works again
        c.set_token("host-token-2")
        assert c.metadata() == (("authorization", "Bearer host-token-2"),)


def test_passthrough_rejected_token_is_not_handed_out_again():
    with flyteauth.Client({"auth_type": "Passthrough"}) as c:
        c.set_token("host-token")
        with pytest.raises(flyteauth.AccessTokenNotFoundError):
            c.refresh(rejected="Bearer host-token")
        with pytest.raises(flyteauth.AccessTokenNotFoundError):
            c.metadata()


def test_passthrough_expired_token():
    with flyteauth.Client({"auth_type": "Passthrough"}) as c:
        c.set_token("old", expires_at=int(time.time()) - 10)
        with pytest.raises(flyteauth.AccessTokenNotFoundError):
            c.metadata()
