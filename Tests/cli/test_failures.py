"""Every failure of every subcommand: a message naming cause and fix, the documented
exit status (flyteauth --help, EXIT STATUS), and no hang."""
import json
import signal
import subprocess
import time

import pytest

from cliutil import TOOL, host, record, service_config, tool, user_config, write_config
from harness import start_stack
from harness.netutil import free_port

HANG_BOUND = 30  # seconds: generous; each case answers in well under a second here


def check(case, r, code, *mentions):
    record(case, r)
    assert r.returncode == code, (case, r.returncode, r.stderr)
    assert r.seconds < HANG_BOUND, (case, r.seconds)
    for m in mentions:
        assert m.lower() in r.stderr.lower(), (case, m, r.stderr)


@pytest.mark.parametrize("command", ["status", "token", "login", "whoami", "logout"])
def test_configuration_errors_are_explained_by_every_subcommand(session, command):
    write_config(session, "admin:\n  endpoint: dns:///flyte.example.com\n  authType: Pkse\n")
    check("%s: typo in authType" % command, tool(session, command), 2, "config.yaml:3", "Pkse", "known: Pkce",
          "fix: correct that key")


def test_status_explains_a_yaml_syntax_error(session):
    write_config(session, "admin:\n  endpoint: dns:///flyte.example.com\n  authType: [Pkce\n")
    check("status: YAML syntax error", tool(session, "status"), 2, "config.yaml:", "YAML:", "fix: correct the syntax")


def test_status_explains_a_missing_secret_file(session):
    write_config(session, "admin:\n  endpoint: dns:///flyte.example.com\n  authType: ClientSecret\n  clientId: svc\n"
                          "  clientSecretLocation: /nonexistent/secret\n")
    check("status: missing secret file", tool(session, "status"), 2, "/nonexistent/secret", "No such file",
          "fix: create the file admin.clientSecretLocation")


@pytest.mark.parametrize("command", ["status", "token"])
def test_no_configuration_names_the_three_ways_to_give_an_endpoint(session, command):
    r = tool(session, command)
    check("%s: no configuration at all" % command, r, 2, "--endpoint", "admin.endpoint", "FLYTE_PLATFORM_URL")
    assert '"endpoint"' not in r.stderr and "token_url" not in r.stderr, "no JSON key names"


@pytest.mark.parametrize("command", ["status", "token"])
def test_connection_refused_is_a_network_error(stack, session, command):
    service_config(stack, session)
    dead = "127.0.0.1:%d" % free_port()
    check("%s: connection refused" % command, tool(session, command, "--endpoint", dead), 3,
          dead, "fix: nothing answers at that address")


def test_status_json_still_prints_what_it_knows_and_fails_with_the_status(stack, session):
    service_config(stack, session)
    r = tool(session, "status", "--json", "--endpoint", "127.0.0.1:%d" % free_port())
    assert r.returncode == 3 and "fix: nothing answers" in r.stderr
    status = json.loads(r.stdout)
    assert status["auth_type"] == "ClientSecret" and "exit status 3" in status["note"]


def test_dns_failure_is_a_network_error(stack, session):
    service_config(stack, session)
    check("status: DNS failure", tool(session, "status", "--endpoint", "dns:///flyte.invalid"), 3,
          "flyte.invalid", "fix: the endpoint's host name does not resolve")


@pytest.mark.parametrize("command", ["status", "token"])
def test_a_server_that_is_not_flyte_is_refused(stack, session, command):
    service_config(stack, session)
    idp = stack.state["idp"].split("://", 1)[1]  # glewlwyd: answers HTTP, serves no Flyte documents
    check("%s: not a Flyte server" % command, tool(session, command, "--endpoint", idp), 4,
          "serves no OAuth2 metadata", "fix: point admin.endpoint")


def test_status_not_logged_in_is_login_required(stack, session, port):
    user_config(stack, session, port)
    r = tool(session, "status")
    check("status: not logged in", r, 5, "flyteauth login")
    assert "not logged in" in r.stdout


def test_whoami_without_a_terminal_fails_at_once_like_token(stack, session, port):
    user_config(stack, session, port)
    before = stack.front.token_requests()
    r = tool(session, "whoami")
    check("whoami: no terminal, no token", r, 5, "flyteauth login")
    assert "Please open" not in r.stderr and "confirm the code" not in r.stderr, "no login was started"
    assert stack.front.token_requests() == before


def test_ctrl_c_cancels_a_device_login(stack, session, port):
    user_config(stack, session, port, auth="DeviceFlow")
    p = subprocess.Popen([TOOL, "login"], env=session.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, stdin=subprocess.DEVNULL)
    try:
        lines = []
        while True:  # the code is shown: the login now waits for a person who never comes
            line = p.stderr.readline()
            assert line, "login ended before showing a code: " + "".join(lines)
            lines.append(line)
            if "confirm the code" in line:
                break
        start = time.monotonic()
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=HANG_BOUND)
        elapsed = time.monotonic() - start
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=10)

    class R:
        returncode, stderr, seconds = p.returncode, err, elapsed
    check("login: Ctrl-C while waiting for approval", R, 7, "cancelled")


def test_logout_works_with_the_server_stopped(session, port):
    s = start_stack(access_token_duration=30, redirect_ports=[port])
    endpoint = host(s)
    try:
        service_config(s, session)
        assert tool(session, "token").returncode == 0
        held = tool(session, "doctor", "--json")
    finally:
        s.stop()
    assert '"flyteauth (service flyteauth:' in held.stdout, held.stdout
    r = tool(session, "logout")
    record("logout: server stopped (succeeds)", r)
    assert r.returncode == 0, r.stderr
    assert r.seconds < HANG_BOUND and "Logged out" in r.stdout
    items = subprocess.run(["secret-tool", "search", "--all", "service", "flyteauth:" + endpoint], env=session.env(),
                           capture_output=True, text=True, timeout=30)
    still_there = "flyteauth:" in items.stdout + items.stderr  # a boolean: the output holds the secret
    assert not still_there, "the cached login is gone"
    r = tool(session, "token")
    check("token: after logout, server stopped", r, 3, "fix: nothing answers at that address")
