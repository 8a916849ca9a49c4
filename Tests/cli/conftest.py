"""The CLI tests' fixtures: the harness's pytest plugin (Tests/e2e/harness/pytest_plugin.py:
redirect_port, stack, front, keyring_session), shared with Tests/e2e and
bindings/python/tests, plus `port` (the redirect port), `session` (a private keyring per
test) and the failure table printed at the end of the run."""
import os
import sys

import pytest

# Never the user's own kernel keyring (persistent or user, whatever was exported): only
# Tests/kernel uses that tier, inside its own `keyctl session -`.
if os.environ.get("FLYTEAUTH_KERNEL_KEYRING") != "session":
    os.environ["FLYTEAUTH_KERNEL_KEYRING"] = "off"

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "e2e"))

import cliutil  # noqa: E402

pytest_plugins = ["harness.pytest_plugin"]


@pytest.fixture(scope="session")
def port(redirect_port):
    return redirect_port


@pytest.fixture
def session(keyring_session):
    return keyring_session


def pytest_terminal_summary(terminalreporter):
    rows = cliutil.FAILURE_TABLE
    if not rows:
        return
    w = terminalreporter
    w.section("flyteauth failure table")
    w.line("case | message | exit code | time")
    w.line("--- | --- | --- | ---")
    for case, message, code, seconds in rows:
        w.line("%s | %s | %d | %.2f s" % (case, message.replace("|", "\\|"), code, seconds))
