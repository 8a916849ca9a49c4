"""Bad input at the Python level: never a crash, always an exception naming the problem."""
import base64
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

import flyteauth
from flyteauth import _library
from flyteauth.errors import Status


@pytest.mark.parametrize("settings", [None, "endpoint=x", ["endpoint"], 42, b"{}"])
def test_settings_must_be_a_dict(settings):
    with pytest.raises(TypeError):
        flyteauth.Client(settings)


def test_value_that_is_not_json_names_the_key():
    with pytest.raises(flyteauth.ConfigurationError) as info:
        flyteauth.Client({"endpoint": "flyte.example.com", "client_id": object()})
    assert '"client_id"' in str(info.value)


def test_nan_is_refused_naming_the_key():
    with pytest.raises(flyteauth.ConfigurationError) as info:
        flyteauth.Client({"refresh_window_seconds": float("nan")})
    assert '"refresh_window_seconds"' in str(info.value)


def test_non_string_key():
    with pytest.raises(flyteauth.ConfigurationError):
        flyteauth.Client({1: "x"})


@pytest.mark.parametrize("settings, key", [
    ({"endpoint": 5}, "endpoint"),
    ({"insecure": "yes"}, "insecure"),
    ({"scopes": "all"}, "scopes"),
    ({"scopes": ["all", 3]}, "scopes"),
    ({"command": []}, "command"),
    ({"http_timeout_seconds": -1}, "http_timeout_seconds"),
    ({"endpoint": "a\0b"}, "endpoint"),
    ({"auth_type": "Kerberos"}, "auth_type"),
    ({"mirror_layouts": ["nope"]}, "mirror_layouts"),
])
def test_wrong_types_and_values_name_the_key(settings, key):
    with pytest.raises(flyteauth.ConfigurationError) as info:
        flyteauth.Client(settings)
    assert key in str(info.value), str(info.value)


@pytest.mark.parametrize("key", flyteauth.SETTINGS_KEYS)
def test_every_listed_key_is_one_the_library_knows(key):
    """SETTINGS_KEYS is generated from the library's key table (scripts/generate.py; a
    Swift test fails when it is stale): each key is the library's, never "unknown"."""
    with pytest.raises(flyteauth.ConfigurationError) as info:
        flyteauth.Client({key: {"not": "a valid value for any key"}})
    assert '"%s"' % key in str(info.value) and "unknown setting" not in str(info.value), str(info.value)


def test_camel_case_key_gets_a_suggestion():
    with pytest.raises(flyteauth.ConfigurationError) as info:
        flyteauth.Client({"clientId": "x"})
    assert '"clientId"' in str(info.value) and "client_id" in str(info.value)


def test_path_like_values_are_accepted(tmp_path):
    with flyteauth.Client({"endpoint": "flyte.example.com", "auth_type": "passthrough",
                           "cache_dir": pathlib.Path(tmp_path)}) as c:
        assert c.status()["endpoint"] == "flyte.example.com"


def test_lone_surrogate_and_huge_settings_fail_cleanly():
    with pytest.raises(flyteauth.FlyteAuthError):
        flyteauth.Client({"endpoint": "\ud800"})
    with pytest.raises(flyteauth.FlyteAuthError) as info:
        flyteauth.Client({"endpoint": "x" * (2 << 20)})
    assert info.value.status in (Status.INVALID_ARGUMENT, Status.CONFIG)


def test_nul_in_string_arguments_is_refused_before_the_library():
    with flyteauth.Client({"auth_type": "passthrough"}) as c:
        with pytest.raises(flyteauth.InvalidArgumentError) as info:
            c.set_token("abc\0def")
        assert "NUL" in str(info.value)
        with pytest.raises(flyteauth.InvalidArgumentError):
            c.refresh(rejected="Bearer a\0b")
        with pytest.raises(flyteauth.InvalidArgumentError):
            c.set_token("\udc80")
        with pytest.raises(TypeError):
            c.set_token(12345)
        with pytest.raises(flyteauth.InvalidArgumentError):
            c.set_token("")  # the library refuses an empty token
        with pytest.raises(flyteauth.InvalidArgumentError):
            c.set_token("abc", expires_at=__import__("datetime").datetime(2030, 1, 1))  # naive datetime


def test_closed_client_raises_and_close_is_idempotent():
    c = flyteauth.Client({"auth_type": "passthrough"})
    c.close()
    c.close()
    assert c.closed and "closed" in repr(c)
    for call in (c.metadata, c.headers, c.token, c.status, c.login, c.logout, c.cancel,
                 lambda: c.refresh(None), lambda: c.set_token("x"), lambda: c.on_log(print)):
        with pytest.raises(flyteauth.InvalidArgumentError) as info:
            call()
        assert "closed" in str(info.value)


def test_context_manager_closes():
    with flyteauth.Client({"auth_type": "passthrough"}) as c:
        pass
    assert c.closed


def test_unclosed_client_is_freed_by_the_garbage_collector():
    import gc
    import weakref

    c = flyteauth.Client({"auth_type": "passthrough"})
    ref = weakref.ref(c)
    finalizer = c._finalizer
    del c
    gc.collect()
    assert ref() is None and not finalizer.alive


def test_api_key(stack, front, cache_dir):
    st = stack.state
    # The key's endpoint is a bare host (the format splits on colons, so it cannot carry a
    # port); the harness's endpoint has one, so it is given as a setting, which wins.
    key = base64.b64encode(("flyte.example.com:%s:%s:None" % (st["service_client_id"],
                                                              st["service_client_secret"])).encode())
    with flyteauth.Client.from_api_key(key.decode(), endpoint=stack.endpoint, keyring=False, cache_dir=cache_dir,
                                       scopes=["all"]) as c:
        md = c.metadata()
        assert md[0][0] == "flyte-authorization"
        assert c.status()["auth_type"].lower() == "apikey"
    with pytest.raises(flyteauth.ConfigurationError):
        flyteauth.Client.from_api_key("not base64 at all !!!")


# -- finding the library ---------------------------------------------------------

def test_every_function_of_the_header_is_declared():
    lib = _library.load()
    assert lib.missing == []
    assert lib.version == flyteauth.library_version()
    # <repo>/build/stage/lib/libflyteauth.so.0 -> <repo>/include/flyteauth.h, the contract.
    header = pathlib.Path(_library.staged_build_path()).parents[3] / "include" / "flyteauth.h"
    import re

    declared = set(re.findall(r"\b(flyteauth_[a-z_]+)\s*\(", header.read_text()))
    declared -= {"flyteauth_browser_fn", "flyteauth_device_prompt_fn", "flyteauth_log_fn"}
    assert len(declared) >= 21 and declared <= set(_library.SIGNATURES), declared - set(_library.SIGNATURES)
    for name, (restype, argtypes) in _library.SIGNATURES.items():
        fn = getattr(lib.cdll, name)
        assert fn.argtypes == argtypes and fn.restype == restype


def test_library_not_found_lists_every_place(tmp_path):
    script = textwrap.dedent("""
        import ctypes.util, sys
        sys.path.insert(0, %r)
        ctypes.util.find_library = lambda name: None
        from flyteauth import _library
        _library.staged_build_path = lambda: %r
        _library.SONAME = "libflyteauth-not-installed.so.0"
        import flyteauth
        try:
            flyteauth.Client({})
        except flyteauth.LibraryNotFoundError as e:
            print(str(e))
            sys.exit(0)
        sys.exit(1)
    """) % (str(pathlib.Path(flyteauth.__file__).parents[1]), str(tmp_path / "missing" / "libflyteauth.so.0"))
    env = dict(os.environ, FLYTEAUTH_LIBRARY=str(tmp_path / "nope.so"))
    p = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr[-2000:]
    out = p.stdout
    assert "$FLYTEAUTH_LIBRARY = %s" % (tmp_path / "nope.so") in out
    assert 'find_library("flyteauth")' in out
    assert "libflyteauth-not-installed.so.0 (the dynamic loader's search path)" in out
    assert str(tmp_path / "missing" / "libflyteauth.so.0") in out
    # The fixes, not only the places: the wheel, the Debian package, the variable.
    assert "pip install the flyteauth wheel" in out
    assert "apt install libflyteauth0" in out
    assert "set FLYTEAUTH_LIBRARY to the path" in out
    assert "the wheel's copy" in out


def test_environment_variable_wins(tmp_path):
    script = "import flyteauth._library as l; print(l.load().path)"
    staged = str(pathlib.Path(_library.load().path).resolve())  # the library under test, wherever it is
    env = dict(os.environ, FLYTEAUTH_LIBRARY=staged)
    p = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60,
                       cwd=str(pathlib.Path(flyteauth.__file__).parents[1]))
    assert p.returncode == 0 and p.stdout.strip() == staged, p.stderr[-2000:]
