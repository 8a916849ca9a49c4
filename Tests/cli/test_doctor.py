"""`flyteauth doctor`: a healthy setup, and each failure it detects, with its fix."""
import json
import subprocess
import sys

from cliutil import E2E, ProxyFront, host, self_signed_cert, service_config, tool, user_config, write_config
from harness.netutil import free_port

HANG_BOUND = 60


def doctor(session, *args, env=None):
    r = tool(session, "doctor", "--json", *args, env=env, timeout=120)
    assert r.seconds < HANG_BOUND, r.seconds
    report = json.loads(r.stdout)
    assert report["exit_status"] == r.returncode and report["ok"] == (r.returncode == 0)
    return r, report


def check(report, name, status=None):
    """The first check called `name` with `status` (any status when None)."""
    for c in report["checks"]:
        if c["name"] == name and (status is None or c["status"] == status):
            return c
    raise AssertionError("no %s check %s in %s" % (status or "", name, [(c["name"], c["status"]) for c in report["checks"]]))


def first_failure(report):
    return next(c for c in report["checks"] if c["status"] == "fail")


def test_healthy_client_credentials_setup(stack, session):
    config = service_config(stack, session)
    r, report = doctor(session)
    assert r.returncode == 0, r.stdout
    names = [c["name"] for c in report["checks"]]
    order = ["config", "libraries", "dns", "tcp", "tls", "discovery", "identity provider", "flow endpoints", "clock", "cache tier",
             "stored logins", "token"]
    assert [n for n in dict.fromkeys(names)] == order, names
    assert not [c for c in report["checks"] if c["status"] == "fail"]
    check(report, "libraries", "ok")
    cfg = check(report, "config", "ok")
    assert config in cfg["summary"]
    assert any(d.startswith("client_id = ") and d.endswith("config.yaml:5)") for d in cfg["details"]), cfg["details"]
    assert len([c for c in report["checks"] if c["name"] == "discovery" and c["status"] == "ok"]) == 2
    assert "token_endpoint" in " ".join(check(report, "flow endpoints", "ok")["details"])
    assert check(report, "clock")["status"] == "ok"
    assert check(report, "identity provider", "ok")["summary"].startswith("metadata at " + stack.state["idp"])
    tiers = [c for c in report["checks"] if c["name"] == "cache tier"]
    assert any(c["status"] == "ok" and "secret service" in c["summary"].lower() for c in tiers), tiers
    assert "valid for" in check(report, "token", "ok")["summary"]
    # Once the token is cached, the keyring holds our item for this endpoint.
    _, again = doctor(session)
    assert any(d.startswith("flyteauth (service flyteauth:%s" % host(stack)) for d in check(again, "stored logins", "ok")["details"])
    text = tool(session, "doctor")
    assert text.returncode == 0 and "A call would work." in text.stdout
    token = tool(session, "token").stdout.strip()
    for output in (r.stdout, text.stdout, text.stderr):
        assert stack.state["service_client_secret"] not in output and token not in output, "no secret in doctor's output"


def test_bad_config(session):
    write_config(session, "admin:\n  endpoint: dns:///flyte.example.com\n  insecure: [1, 2]\n")
    r, report = doctor(session)
    assert r.returncode == 2
    c = first_failure(report)
    assert c["name"] == "config" and "config.yaml:3" in c["summary"] and c["fix"]


def test_dns_failure(stack, session):
    service_config(stack, session)
    r, report = doctor(session, "--endpoint", "dns:///flyte.invalid")
    assert r.returncode == 3
    c = first_failure(report)
    assert c["name"] == "dns" and "flyte.invalid" in c["summary"] and "admin.endpoint" in c["fix"]
    assert check(report, "token")["status"] == "skip"


def test_connection_refused(stack, session):
    service_config(stack, session)
    dead = "127.0.0.1:%d" % free_port()
    r, report = doctor(session, "--endpoint", dead)
    assert r.returncode == 3
    c = first_failure(report)
    assert c["name"] == "tcp" and "refused" in c["summary"].lower() and "port" in c["fix"]


def test_not_a_flyte_server(stack, session):
    service_config(stack, session)
    idp = stack.state["idp"].split("://", 1)[1]
    r, report = doctor(session, "--endpoint", idp)
    assert r.returncode == 4
    c = first_failure(report)
    assert c["name"] == "discovery" and "serves no OAuth2 metadata" in c["summary"]
    assert "Flyte admin endpoint" in c["fix"] and any("HTTP 404" in d for d in c["details"])


def test_self_signed_certificate_then_trusted_with_its_ca(stack, session, tmp_path):
    cert, key = self_signed_cert(str(tmp_path))
    with ProxyFront(stack.endpoint, certfile=cert, keyfile=key) as front:
        service_config(stack, session, endpoint=front.hostport)
        r, report = doctor(session)
        assert r.returncode == 3, r.stdout
        c = first_failure(report)
        assert c["name"] == "tls" and "self-signed" in c["summary"].lower()
        assert "admin.caCertFilePath" in c["fix"]
        assert any("subject CN = flyte-test-front" in d or "subject CN=flyte-test-front" in d for d in c["details"]), c["details"]
        assert any(d.startswith("CA bundle: ") for d in c["details"])
        # The IdP behind this TLS front is plain HTTP on loopback: an https server's word
        # cannot send the secret there, the user's own setting can.
        service_config(stack, session, endpoint=front.hostport,
                       extra="  caCertFilePath: %s\n  tokenUrl: %s\n" % (cert, stack.front.token_endpoint))
        r, report = doctor(session)
        assert r.returncode == 0, r.stdout
        tls = check(report, "tls", "ok")
        assert any(d.startswith("CA bundle: " + cert) for d in tls["details"]), tls["details"]


def test_certificate_for_another_host_name(stack, session, tmp_path):
    cert, key = self_signed_cert(str(tmp_path), san="DNS:flyte.example.com", cn="flyte.example.com")
    with ProxyFront(stack.endpoint, certfile=cert, keyfile=key) as front:
        service_config(stack, session, endpoint=front.hostport, extra="  caCertFilePath: %s\n" % cert)
        r, report = doctor(session)
        assert r.returncode == 3
        c = first_failure(report)
        assert c["name"] == "tls" and "does not name 127.0.0.1" in c["fix"], c


def test_device_flow_without_a_device_endpoint(stack, session, port):
    user_config(stack, session, port, auth="DeviceFlow")
    stack.front.set_overrides(metadata={"device_authorization_endpoint": ""})
    try:
        r, report = doctor(session)
    finally:
        stack.front.set_overrides(replace=True)
    assert r.returncode == 4
    c = first_failure(report)
    assert c["name"] == "flow endpoints" and "device_authorization_endpoint" in c["summary"]
    assert "device_authorization_endpoint" in c["fix"] and "Pkce" in c["fix"]


def test_clock_skew_against_the_servers_date(stack, session, port):
    with ProxyFront(stack.endpoint, date_offset=600) as front:
        user_config(stack, session, port, endpoint=front.hostport)
        r, report = doctor(session)
    c = check(report, "clock", "fail")
    assert "differ by" in c["summary"] and "timedatectl" in c["fix"]
    skew = int(c["summary"].split("differ by ")[1].split(" s")[0])
    assert 590 <= skew <= 610, c
    assert r.returncode == 1 and first_failure(report)["name"] == "clock"


def test_no_token_cached(stack, session, port):
    user_config(stack, session, port)
    r, report = doctor(session)
    assert r.returncode == 5
    c = first_failure(report)
    assert c["name"] == "token" and "flyteauth login" in c["fix"]
    assert "no login in: flyteauth, flytekit, flyte-sdk, flytectl" in check(report, "stored logins")["details"]


def test_healthy_after_a_browser_login_shows_every_layout_holding_it(stack, session, port, tmp_path):
    user_config(stack, session, port)
    browser = tmp_path / "browser.sh"
    browser.write_text("#!/bin/sh\ncd %s && exec %s -m harness approve-pkce --url \"$1\" >/dev/null\n" % (E2E, sys.executable))
    browser.chmod(0o755)
    login = tool(session, "login", env={"BROWSER": str(browser), "PYTHONPATH": E2E})
    assert login.returncode == 0, login.stderr
    r, report = doctor(session)
    assert r.returncode == 0, r.stdout
    logins = check(report, "stored logins", "ok")["details"]
    assert any(d.startswith("flyteauth (service flyteauth:") and "refresh token" in d for d in logins), logins
    assert any(d.startswith("flytekit's layout") for d in logins), logins  # mirrored for flytekit by default
    assert "refresh token: yes" in check(report, "token", "ok")["details"]
    assert check(report, "flow endpoints", "ok")["summary"] == "Pkce has everything it needs"


def lock_default_collection(session):
    def call(method, arg):
        r = subprocess.run(["gdbus", "call", "--session", "--dest", "org.freedesktop.secrets", "--object-path",
                            "/org/freedesktop/secrets", "--method", "org.freedesktop.Secret.Service." + method, arg],
                           env=session.env(), capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        return r.stdout
    path = call("ReadAlias", "default").split("'")[1]
    call("Lock", "['%s']" % path)


def test_locked_keyring_is_named_with_how_to_unlock_it(stack, session):
    service_config(stack, session)
    lock_default_collection(session)
    r, report = doctor(session)
    tiers = [c for c in report["checks"] if c["name"] == "cache tier"]
    locked = [c for c in tiers if "locked" in c["summary"]]
    assert locked and locked[0]["status"] == "warn", tiers
    assert "unlock it" in locked[0]["summary"]
    assert r.returncode == 0, "client credentials still work, in memory: a call would work"


def test_discovery_goes_through_the_engine_with_proxy_authorization(stack, session, tmp_path):
    cmd = tmp_path / "iap.sh"
    cmd.write_text("#!/bin/sh\necho proxy-token-doctor\n")
    cmd.chmod(0o755)
    service_config(stack, session)
    stack.front.reset_counts()
    r, report = doctor(session, "--settings", json.dumps({"proxy_command": [str(cmd)]}))
    assert r.returncode == 0, r.stdout
    assert len([c for c in report["checks"] if c["name"] == "discovery" and c["status"] == "ok"]) == 2
    for path in ("/.well-known/oauth-authorization-server", "/config/v1/flyte_client"):
        values = stack.front.header_values("proxy-authorization", path)
        sent = stack.front.counts()["paths"].get(path, 0)
        assert sent and len(values) == sent, "%d of %d requests to %s had proxy-authorization" % (len(values), sent, path)
        assert all(v == "Bearer proxy-token-doctor" for v in values), path
    assert "proxy-token-doctor" not in r.stdout + r.stderr
