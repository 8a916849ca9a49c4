"""`import flyteauth` stays cheap: every process that only wants a header pays for it."""
import os
import subprocess
import sys

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")


def test_import_does_not_load_heavy_modules_or_the_library():
    # -S: no site module, so nothing but flyteauth decides what gets imported.
    code = ("import sys; sys.path.insert(0, %r); import flyteauth; "
            "print(' '.join(sorted(m for m in ('typing', 'datetime', 'logging', 'dataclasses', 'inspect', "
            "'pathlib', 'ctypes.util', 'subprocess', 'base64', 'json', 're', 'tempfile', 'threading', 'enum', "
            "'collections', 'functools', 'asyncio', 'flyteauth._callbacks', 'flyteauth.grpc', 'flyteauth.http', "
            "'flyteauth._async_client') if m in sys.modules))); "
            "from flyteauth import _library; print(_library._library is None)") % SRC
    p = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr[-2000:]
    heavy, not_loaded = p.stdout.split("\n")[:2]
    assert heavy == "", "import flyteauth pulled in: " + heavy
    assert not_loaded == "True", "the library is loaded on first use, not at import"


def test_device_prompt_is_an_immutable_named_tuple():
    import datetime
    import pickle

    import flyteauth

    when = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
    p = flyteauth.DevicePrompt("https://idp/device", None, "ABCD-EFGH", when)
    uri, complete, code, expires = p
    assert (uri, complete, code, expires) == ("https://idp/device", None, "ABCD-EFGH", when)
    assert p.user_code == "ABCD-EFGH" and p.expires_at == when
    assert p.url == "https://idp/device?user_code=ABCD-EFGH"
    assert p._fields == ("verification_uri", "verification_uri_complete", "user_code", "expires_at")
    assert pickle.loads(pickle.dumps(p)) == p
    assert "ABCD-EFGH" in repr(p)
    try:
        p.user_code = "x"  # type: ignore[misc]
    except AttributeError:
        pass
    else:
        raise AssertionError("DevicePrompt must be immutable")


def test_the_names_imported_on_first_use_resolve():
    import flyteauth

    for name in flyteauth.__all__:
        assert getattr(flyteauth, name) is not None, name
        assert name in dir(flyteauth), name
    assert flyteauth.Status.FORKED == 12 and flyteauth.LogLevel.ERROR == 3
    assert flyteauth.InvalidArgumentError.default_status is flyteauth.Status.INVALID_ARGUMENT
    assert flyteauth.AsyncClient.__module__ == "flyteauth._async_client"
    try:
        flyteauth.NoSuchThing  # noqa: B018
    except AttributeError:
        pass
    else:
        raise AssertionError("an unknown name must raise AttributeError")


def test_settings_json_matches_the_json_module():
    import json
    import pathlib

    from flyteauth._marshal import settings_json

    settings = {"endpoint": "dns:///flyte.example.com", "scopes": ["all", "offline"], "insecure": True,
                "refresh_window_seconds": 30, "ratio": 0.5, "nothing": None, "path": pathlib.Path("/tmp/x"),
                "quote": 'a"b\\c', "unicode": "h\u00e9llo \u2603", "nested": {"k": [1, {"z": False}]},
                "set": {"b", "a"}}
    expected = dict(settings, path="/tmp/x", set=["a", "b"])
    assert json.loads(settings_json(settings, "settings")) == expected
    for bad in (float("nan"), float("inf"), object(), {1: "x"}):
        try:
            settings_json({"key": bad}, "settings")
        except Exception as e:  # noqa: BLE001
            assert type(e).__name__ == "ConfigurationError" and '"key"' in str(e), repr(e)
        else:
            raise AssertionError("%r must be refused" % (bad,))
