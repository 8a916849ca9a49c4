"""Fixtures for the flyteauth Python binding tests.

The harness's fixtures (redirect_port, stack, front, keyring_session) come from its
pytest plugin, Tests/e2e/harness/pytest_plugin.py, shared with Tests/e2e and Tests/cli.
One stack (a private glewlwyd + the Flyte discovery front, both on 127.0.0.1, access
tokens of 4 s: the ini options in ../pyproject.toml) runs for the whole session and is
stopped at the end. Paths are relative to this file, so the suite runs from any checkout:

    bindings/python/run-tests.sh          # installs the package into $VENV, runs pytest
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
PYTHON_DIR = HERE.parent
REPO = PYTHON_DIR.parent.parent
E2E = REPO / "Tests" / "e2e"
STAGED_LIBRARY = REPO / "build" / "stage" / "lib" / "libflyteauth.so.0"

sys.path.insert(0, str(E2E))
# Test this checkout's package even if another copy is installed (the entry points of
# the installed distribution resolve to whichever `flyteauth` is imported).
sys.path.insert(0, str(PYTHON_DIR / "src"))
sys.path.insert(0, str(HERE))

# Keep the library's discovery cache, lock files and any file cache out of $HOME, and
# the Secret Service out of reach unless a test starts its own.
_SESSION_TMP = tempfile.mkdtemp(prefix="flyteauth-py-tests-")
for _var in ("XDG_CACHE_HOME", "XDG_STATE_HOME", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME"):
    os.environ[_var] = os.path.join(_SESSION_TMP, _var.lower())
    os.makedirs(os.environ[_var], mode=0o700, exist_ok=True)
for _var in list(os.environ):
    if _var.startswith(("FLYTE_", "FLYTEAUTH_")) and _var != "FLYTEAUTH_LIBRARY" or _var in (
            "FLYTECTL_CONFIG", "DBUS_SESSION_BUS_ADDRESS"):
        os.environ.pop(_var, None)
# Never the developer's own kernel keyring: only Tests/kernel uses that tier, inside its
# own `keyctl session -`.
os.environ["FLYTEAUTH_KERNEL_KEYRING"] = "off"
if "FLYTEAUTH_LIBRARY" not in os.environ and STAGED_LIBRARY.exists():
    os.environ["FLYTEAUTH_LIBRARY"] = str(STAGED_LIBRARY)

pytest_plugins = ["harness.pytest_plugin"]


def pytest_unconfigure(config):
    shutil.rmtree(_SESSION_TMP, ignore_errors=True)


@pytest.fixture
def cache_dir(tmp_path):
    d = tmp_path / "flyteauth-cache"
    d.mkdir()
    return str(d)


@pytest.fixture
def cs_settings(stack, cache_dir):
    """Client-credentials settings for the harness's service client (no keyring)."""
    st = stack.state
    return {"endpoint": stack.endpoint, "auth_type": "ClientSecret", "client_id": st["service_client_id"],
            "client_secret": st["service_client_secret"], "scopes": ["all"], "keyring": False,
            "cache_dir": cache_dir}


@pytest.fixture
def cs_client(cs_settings, front):
    import flyteauth

    with flyteauth.Client(cs_settings) as c:
        yield c
