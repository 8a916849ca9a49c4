"""Fixtures of the CLI tests: one glewlwyd stack per module, a private keyring per test."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cliutil  # noqa: E402
from harness import KeyringSession, start_stack  # noqa: E402
from harness.netutil import free_port  # noqa: E402


@pytest.fixture(scope="module")
def port():
    return free_port()


@pytest.fixture(scope="module")
def stack(port):
    s = start_stack(access_token_duration=30, redirect_ports=[port])
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture
def session():
    with KeyringSession() as s:
        yield s


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
