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
