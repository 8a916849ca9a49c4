"""Shared pytest fixtures for the end-to-end tests (standard library + pytest only)."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# Never the developer's own kernel keyring: only Tests/kernel uses that tier, inside its
# own `keyctl session -`.
os.environ.setdefault("FLYTEAUTH_KERNEL_KEYRING", "off")

from harness import KeyringSession, start_stack  # noqa: E402
from harness.netutil import free_port  # noqa: E402


def pytest_configure(config):
    """Tokens and secrets must not reach test output. The default long tracebacks print
    every frame's arguments (a token passed to a helper, a Basic header); unless a
    --tb style was chosen explicitly, use short ones."""
    if getattr(config.option, "tbstyle", "auto") == "auto":
        config.option.tbstyle = "short"
    if getattr(config.option, "showlocals", False):
        import warnings
        warnings.warn("-l/--showlocals can print tokens and secrets from the e2e tests")


@pytest.fixture(scope="module")
def redirect_port():
    """A loopback port registered as a redirect URI of the public client."""
    return free_port()


@pytest.fixture(scope="module")
def flyte_stack(redirect_port):
    """glewlwyd + FlyteFront for one test module; stopped by pid at the end."""
    stack = start_stack(redirect_ports=[redirect_port])
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture
def keyring_session():
    """A private unlocked Secret Service; use keyring_session.env() for subprocesses."""
    with KeyringSession() as session:
        yield session
