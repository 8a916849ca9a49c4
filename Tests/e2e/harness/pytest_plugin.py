"""The harness as pytest fixtures, shared by every Python suite of the repository:
Tests/e2e, Tests/cli and bindings/python/tests. Each suite's conftest.py puts Tests/e2e
on sys.path (its one path change) and loads this with

    pytest_plugins = ["harness.pytest_plugin"]

Fixtures:

- ``redirect_port``: a loopback port registered as a redirect URI of the public client
  of every stack started here (session-wide).
- ``stack``: glewlwyd + the Flyte front on 127.0.0.1, stopped by pid at the end. One
  per test module by default, with access tokens of 4 s; a module changes that with a
  ``STACK = {...}`` dict of start_stack() keyword arguments. A suite that shares one
  stack for the whole session sets the ini options ``flyteauth_stack_scope = session``
  and ``flyteauth_access_token_duration`` (bindings/python/pyproject.toml).
- ``front``: the stack's Flyte front, counters and faults reset for the test.
- ``keyring_session``: a private, unlocked Secret Service for one test; use
  ``keyring_session.env()`` for subprocesses. It fails the test when it cannot start,
  never skips it.

It also keeps tokens out of test output: short tracebacks unless --tb was given (long
ones print every frame's arguments), and a warning for -l/--showlocals.
"""
import os

import pytest

from . import KeyringSession, start_stack
from .netutil import listen_port

DEFAULT_ACCESS_TOKEN_DURATION = 4

# Never the user's own kernel keyring (persistent or user, whatever was exported): only
# Tests/kernel uses that tier, inside its own `keyctl session -`.
if os.environ.get("FLYTEAUTH_KERNEL_KEYRING") != "session":
    os.environ["FLYTEAUTH_KERNEL_KEYRING"] = "off"


def pytest_addoption(parser):
    parser.addini("flyteauth_stack_scope", "scope of the harness's stack fixture: module (default) or session",
                  default="module")
    parser.addini("flyteauth_access_token_duration",
                  "access-token lifetime (s) of a session-scoped stack (default %d)" % DEFAULT_ACCESS_TOKEN_DURATION,
                  default=str(DEFAULT_ACCESS_TOKEN_DURATION))


def pytest_configure(config):
    if getattr(config.option, "tbstyle", "auto") == "auto":
        config.option.tbstyle = "short"
    if getattr(config.option, "showlocals", False):
        import warnings
        warnings.warn("-l/--showlocals can print tokens and secrets from these tests", stacklevel=2)


def _stack_scope(fixture_name, config):
    scope = config.getini("flyteauth_stack_scope") or "module"
    if scope not in ("module", "session"):
        raise pytest.UsageError("flyteauth_stack_scope = %r: use module or session" % scope)
    return scope


@pytest.fixture(scope="session")
def redirect_port():
    return listen_port()


@pytest.fixture(scope=_stack_scope)
def stack(request, redirect_port):
    options = {"access_token_duration": int(request.config.getini("flyteauth_access_token_duration")),
               "redirect_ports": [redirect_port]}
    if request.scope == "module":
        options.update(getattr(request.module, "STACK", {}))
    s = start_stack(**options)
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture
def front(stack):
    stack.front.reset_counts()
    stack.front.clear_faults()
    yield stack.front
    stack.front.clear_faults()


@pytest.fixture
def keyring_session():
    with KeyringSession() as session:
        yield session
