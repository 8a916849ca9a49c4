"""FLYTEAUTH_LOG governs the library's default log sink (stderr): warnings by default,
nothing with off, debug lines with debug."""
import os

from cliutil import service_config, tool

# A lock directory that cannot be created: the library warns once that refreshes are not
# coordinated between processes, and otherwise works.
UNWRITABLE_RUNTIME = {"XDG_RUNTIME_DIR": "/proc/flyteauth-test-no-such-dir"}


def run(session, level=None):
    env = dict(UNWRITABLE_RUNTIME)
    if level is not None:
        env["FLYTEAUTH_LOG"] = level
    r = tool(session, "token", env=env)
    assert r.returncode == 0, r.stderr
    return r.stderr


def test_warning_by_default_and_nothing_with_off(stack, session):
    service_config(stack, session)
    default = run(session)
    assert "flyteauth: warning: cannot create /proc/flyteauth-test-no-such-dir" in default, default
    assert "flyteauth: debug:" not in default
    assert run(session, "warning") == default
    assert run(session, "off") == ""
    assert run(session, "error") == ""


def test_debug_and_info_lines_appear_when_asked_for(stack, session):
    service_config(stack, session)
    run(session)  # fills the discovery cache: the next process reads it and says so at debug level
    debug = run(session, "debug")
    assert "flyteauth: debug: discovery: using documents cached" in debug, debug
    assert "flyteauth: warning: cannot create" in debug
    assert "flyteauth: debug:" not in run(session, "info")


def test_an_unknown_level_is_named_and_warning_applies(stack, session):
    service_config(stack, session)
    err = run(session, "verbose")
    assert 'FLYTEAUTH_LOG="verbose" is not one of off, error, warning, info, debug' in err
    assert "flyteauth: warning: cannot create" in err
    assert stack.state["service_client_secret"] not in err
