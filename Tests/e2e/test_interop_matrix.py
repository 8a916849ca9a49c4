"""One login, every tool, through each tool's own code.

Who logs in {flyteauth CLI, C, Python binding, Go binding, flytekit, flyte-sdk} x who
reads {the same six}: every reader gets the logged-in token with zero token requests
at the IdP (counted at the Flyte front, which proxies the token endpoint). Then a
logout from each side, and an opaque token the IdP does not accept planted in
flytekit's layout beside a valid refresh token. flytekit 1.16.31 and flyte 2.12.1 from
PyPI (install-deps.sh: flyte in /opt/flyteauth-venv-flyte2, its pins differ), their own
PKCEAuthenticator and KeyringStore classes; their PKCE logins open $BROWSER, the
scripted user. flytectl cannot be installed here (no Go module proxy): its layout is
tested from its source format in test_cache.py.

One stack and one private Secret Service for the module; a `flyteauth logout` (which
clears every layout) and an empty keyring check between rows. The tables are printed
(also without -s): each cell is the number of token requests that read made. flytekit and
flyte-sdk do not read each other's items: a login by one reaches the other through
libflyteauth, whose first process after the login adopts it and mirrors it into every
layout (libflyteauth's readers come first in each row).
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import urllib.request

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
STAGE = os.path.join(ROOT, "build", "stage")
TOOL = os.environ.get("FLYTEAUTH_TOOL") or os.path.join(STAGE, "bin", "flyteauth")
FLYTEKIT_PYTHON = os.path.join(os.environ.get("VENV", "/opt/flyteauth-venv"), "bin", "python")
FLYTE2_PYTHON = os.path.join(os.environ.get("FLYTE2_VENV", "/opt/flyteauth-venv-flyte2"), "bin", "python")
SIDES = ["flyteauth CLI", "C", "Python binding", "Go binding", "flytekit", "flyte-sdk"]
TIMEOUT = 90


def sha(token):
    return hashlib.sha256(token.encode()).hexdigest()[:12]


class Tool:
    """flytekit or flyte-sdk, long-lived (see interop_tools.py)."""

    def __init__(self, python, name, endpoint, env):
        self.name = name
        self.proc = subprocess.Popen([python, os.path.join(HERE, "interop_tools.py"), name, endpoint], cwd=HERE, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.read_answer()

    def read_answer(self):
        import select
        ready, _, _ = select.select([self.proc.stdout], [], [], TIMEOUT)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            self.stop()
            pytest.fail("%s driver gave no answer within %d s: %s" % (self.name, TIMEOUT, self.proc.stderr.read()[-1500:]))
        return json.loads(line)

    def __call__(self, cmd, **args):
        self.proc.stdin.write(json.dumps(dict(args, cmd=cmd)) + "\n")
        self.proc.stdin.flush()
        out = self.read_answer()
        assert out["ok"], "%s %s: %s" % (self.name, cmd, out)
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            f.close()


class World:
    """The stack, the keyring session, and a way to make each side log in, read, log out."""

    def __init__(self, stack, session, tmp):
        self.stack, self.session, self.tmp = stack, session, tmp
        self.host = stack.endpoint.split("://", 1)[1]
        self.settings = {"endpoint": stack.endpoint, "insecure": True, "auth_type": "Pkce"}
        browser = os.path.join(tmp, "browser.sh")
        with open(browser, "w") as f:
            # Backgrounded: Python's webbrowser waits for $BROWSER, and flytekit and
            # flyte-sdk serve their callback only after it returns.
            f.write("#!/bin/sh\ncd %s && %s -m harness approve-pkce --url \"$1\" >/dev/null 2>&1 &\n" % (HERE, sys.executable))
        os.chmod(browser, 0o755)
        env = session.env()
        env.update({"BROWSER": browser, "PYTHONPATH": os.pathsep.join([os.path.join(ROOT, "bindings", "python", "src"), HERE]),
                    "LD_LIBRARY_PATH": os.path.join(STAGE, "lib"), "PKG_CONFIG_PATH": os.path.join(STAGE, "lib", "pkgconfig"),
                    "FLYTEAUTH_LIBRARY": os.path.join(STAGE, "lib", "libflyteauth.so.0")})
        self.env = env
        os.makedirs(os.path.join(session.home, ".flyte"), exist_ok=True)
        with open(os.path.join(session.home, ".flyte", "config.yaml"), "w") as f:
            f.write("admin:\n  endpoint: %s\n  insecure: true\n  authType: Pkce\n" % stack.endpoint)
        self.c_bin = os.path.join(tmp, "interop_c")
        subprocess.run("cc -std=c11 -Wall -Wextra -Werror %s -o %s $(pkg-config --cflags --libs flyteauth) -lcrypto"
                       % (os.path.join(HERE, "interop_c.c"), self.c_bin), shell=True, env=env, check=True, timeout=120)
        if shutil.which("go") is None:
            pytest.fail("go is not installed (scripts/install-deps.sh installs it)")
        self.go_bin = os.path.join(tmp, "interop_go")
        genv = dict(env, GOPROXY="off", GOTOOLCHAIN="local", GOFLAGS="-mod=mod", GOCACHE=os.path.join(ROOT, "build", "gocache"))
        subprocess.run(["go", "build", "-o", self.go_bin, "./examples/interop"], cwd=os.path.join(ROOT, "bindings", "go"),
                       env=genv, check=True, timeout=300, capture_output=True)
        for python in (FLYTEKIT_PYTHON, FLYTE2_PYTHON):
            if not os.path.exists(python):
                pytest.fail("%s is missing: run scripts/install-deps.sh" % python)
        self.tools = {"flytekit": Tool(FLYTEKIT_PYTHON, "flytekit", stack.endpoint, env),
                      "flyte-sdk": Tool(FLYTE2_PYTHON, "flyte-sdk", stack.endpoint, env)}

    def stop(self):
        for t in self.tools.values():
            t.stop()

    def run(self, argv, check=True):
        p = subprocess.run(argv, env=self.env, cwd=HERE, capture_output=True, text=True, timeout=TIMEOUT)
        if check:
            assert p.returncode == 0, "%s: %s" % (os.path.basename(argv[0]), p.stderr[-1500:])
        return p

    def json_of(self, argv, check=True):
        p = self.run(argv, check)
        lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
        return json.loads(lines[-1]) if lines else {"ok": False}

    def binding(self, cmd, settings):
        code = ("import json, sys, hashlib, flyteauth\n"
                "cmd, settings = sys.argv[1], json.loads(sys.argv[2])\n"
                "with flyteauth.Client(settings) as c:\n"
                "    if cmd == 'logout':\n"
                "        c.logout(); print(json.dumps({'ok': True})); sys.exit(0)\n"
                "    if cmd == 'login':\n"
                "        c.login()\n"
                "    v = c.metadata()[0][1].split(' ', 1)[1]\n"
                "    print(json.dumps({'ok': True, 'sha': hashlib.sha256(v.encode()).hexdigest()[:12]}))\n")
        return self.json_of([sys.executable, "-c", code, cmd, json.dumps(settings)])

    def cli_token(self, check=True):
        p = self.run([TOOL, "token"], check=check)  # not a terminal: never logs in
        return p, (sha(p.stdout.strip()) if p.returncode == 0 else None)

    def login(self, side):
        s = self.settings
        if side == "flyteauth CLI":
            self.run([TOOL, "login"])
            return self.cli_token()[1]
        if side == "C":
            return self.json_of([self.c_bin, "login", json.dumps(s)])["sha"]
        if side == "Python binding":
            return self.binding("login", s)["sha"]
        if side == "Go binding":
            return self.json_of([self.go_bin, "login", json.dumps(s)])["sha"]
        return self.tools[side]("login")["sha"]

    def read(self, side):
        """The token sha this side would send, or None when it has no login."""
        s = dict(self.settings, interactive=False)  # a reader never logs in
        if side == "flyteauth CLI":
            p, got = self.cli_token(check=False)
            # No login is exit 5 (login required); anything else is a failure, not "logged out".
            assert p.returncode in (0, 5), "flyteauth token exited %d: %s" % (p.returncode, p.stderr[-800:])
            return got
        if side == "C":
            return self.json_of([self.c_bin, "header", json.dumps(s)], check=False).get("sha")
        if side == "Python binding":
            try:
                return self.binding("header", s)["sha"]
            except AssertionError:
                return None
        if side == "Go binding":
            return self.json_of([self.go_bin, "header", json.dumps(s)], check=False).get("sha")
        return self.tools[side]("header")["sha"]

    def logout(self, side):
        s = self.settings
        if side == "flyteauth CLI":
            self.run([TOOL, "logout"])
        elif side == "C":
            assert self.json_of([self.c_bin, "logout", json.dumps(s)])["ok"]
        elif side == "Python binding":
            assert self.binding("logout", s)["ok"]
        elif side == "Go binding":
            assert self.json_of([self.go_bin, "logout", json.dumps(s)])["ok"]
        else:
            self.tools[side]("logout")

    def items(self):
        """Every keyring item of this endpoint in any layout, as (service, username)."""
        found = []
        for service in ("flyteauth:" + self.host.lower(), self.host, "flytectl"):
            p = subprocess.run(["secret-tool", "search", "--all", "service", service], env=self.session.env(),
                               capture_output=True, text=True, timeout=30)
            user = None
            for line in (p.stdout + p.stderr).splitlines():
                if line.startswith("attribute.username = "):
                    user = line.split(" = ", 1)[1]
                    found.append((service, user))
        return sorted(found)

    def clean(self):
        self.run([TOOL, "logout"])
        assert self.items() == [], "a logout clears every layout"

    def idp_accepts(self):
        """Whether glewlwyd's userinfo accepts the token `flyteauth token` prints now."""
        p, _ = self.cli_token()
        req = urllib.request.Request(self.stack.state["userinfo_endpoint"],
                                     headers={"Authorization": "Bearer " + p.stdout.strip()})
        try:
            with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(req, timeout=10) as r:
                return r.status == 200
        except urllib.error.HTTPError:
            return False


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from harness import KeyringSession, start_stack
    from harness.netutil import listen_port
    port = listen_port()
    # Every tool uses the redirect URI the server advertises: a free port, not Flyte's 53593.
    stack = start_stack(access_token_duration=600, redirect_ports=[port], redirect_uri="http://localhost:%d/callback" % port)
    session = KeyringSession().start()
    w = None
    try:
        w = World(stack, session, str(tmp_path_factory.mktemp("interop")))
        yield w
    finally:
        if w is not None:
            w.stop()
        session.stop()
        stack.stop()


def table(title, rows, cols, cells):
    width = max(len(c) for c in cols + rows) + 2
    lines = [title, "login \\ read".ljust(width) + "".join(c.ljust(width) for c in cols)]
    for r in rows:
        lines.append(r.ljust(width) + "".join(str(cells[r][c]).ljust(width) for c in cols))
    return "\n".join(lines)


def test_every_login_serves_every_reader_without_a_token_request(world, capsys):
    cells, failures = {}, []
    for who in SIDES:
        world.clean()
        token = world.login(who)
        assert token, "%s logged in" % who
        cells[who] = {}
        for reader in SIDES:
            before = world.stack.front.token_requests()
            got = world.read(reader)
            made = world.stack.front.token_requests() - before
            cells[who][reader] = made if got == token else "%d (%s)" % (made, "no login" if got is None else "other token")
            if got != token or made != 0:
                failures.append("%s -> %s: %s" % (who, reader, cells[who][reader]))
    with capsys.disabled():  # the table is the test's report: shown without -s too
        print("\n" + table("token requests per read (login by row, read by column; libflyteauth's readers run first)",
                            SIDES, SIDES, cells))
    assert not failures, failures


def test_logout_from_each_side(world, capsys):
    """libflyteauth's logout (CLI, C, Python, Go) clears every tool. flytekit's and
    flyte-sdk's KeyringStore.delete (their logout, and what they do after any failed
    refresh) removes their items only: the next libflyteauth read revalidates its login
    with one refresh (README "Sharing the login") and restores their items."""
    cells, failures = {}, []
    readers = ["flyteauth CLI", "flytekit", "flyte-sdk"]
    for who in SIDES:
        world.clean()
        token = world.login("flyteauth CLI")
        world.logout(who)
        cells[who] = {}
        for reader in readers:
            before = world.stack.front.token_requests()
            got = world.read(reader)
            made = world.stack.front.token_requests() - before
            if who in ("flytekit", "flyte-sdk"):
                if reader == "flyteauth CLI":
                    ok = got is not None and got != token and made == 1
                    outcome = "revalidated" if ok else ("no login" if got is None else "served unchecked")
                else:
                    ok = got is not None and made == 0  # restored by the revalidation
                    outcome = "restored" if ok else "no login"
            else:
                ok = got is None and made == 0
                outcome = "logged out" if ok else "still logged in"
            cells[who][reader] = "%s, %d" % (outcome, made)
            if not ok:
                failures.append("logout by %s -> %s: %s" % (who, reader, cells[who][reader]))
    assert world.idp_accepts()
    with capsys.disabled():
        print("\n" + table("after a logout by the row's side: what each reader sees, token requests", SIDES, readers, cells))
    assert not failures, failures


def test_an_expired_opaque_token_in_flytekits_layout_is_refreshed_once(world, capsys):
    world.clean()
    # A real refresh token from a login, with our item and mirrors removed: only flytekit's
    # layout is left, holding an opaque access token the IdP does not accept.
    world.login("Python binding")
    raw = subprocess.run(["secret-tool", "lookup", "service", "flyteauth:" + world.host.lower(), "username",
                          world.stack.state["public_client_id"]], env=world.session.env(), capture_output=True,
                         text=True, timeout=30).stdout
    refresh_token = json.loads(raw)["refresh_token"]
    world.clean()
    world.tools["flytekit"]("plant", access_token="opaque-expired-0123456789", refresh_token=refresh_token)
    before = world.stack.front.token_requests()
    p, first = world.cli_token()
    assert first != sha("opaque-expired-0123456789"), "the unverified token was not printed"
    assert world.stack.front.token_requests() - before == 1, "one refresh when importing"
    assert world.idp_accepts(), "the IdP accepts what flyteauth token prints"
    before = world.stack.front.token_requests()
    _, again = world.cli_token()
    assert again == first and world.stack.front.token_requests() == before, "the learned expiry is stored: no more requests"
    assert world.read("flytekit") == first, "the refreshed token is mirrored back to flytekit"
    assert world.read("flyte-sdk") == first
    with capsys.disabled():
        print("\nexpired opaque token planted in flytekit's layout: 1 token request at import, 0 after; the IdP accepts the result")


def canonical_refresh_token(world):
    raw = subprocess.run(["secret-tool", "lookup", "service", "flyteauth:" + world.host.lower(), "username",
                          world.stack.state["public_client_id"]], env=world.session.env(), capture_output=True,
                         text=True, timeout=30).stdout
    return json.loads(raw).get("refresh_token") if raw else None


def test_revalidation_after_another_tools_logout_keeps_the_login_on_a_transient_failure(world):
    """flytekit deletes its items after a transient refresh failure too (#3443): our
    revalidation failing transiently must not print the suspect token nor drop the
    refresh token; a refused refresh token means a login is needed, and nothing is printed."""
    world.clean()
    world.login("flyteauth CLI")
    kept = canonical_refresh_token(world)
    world.logout("flytekit")
    world.stack.front.fail_next(n=10, status=503, grant_type="refresh_token")
    try:
        p, _ = world.cli_token(check=False)
    finally:
        world.stack.front.clear_faults()
    assert p.returncode not in (0, 5) and p.stdout == "", "a transient failure: an error, no token, no login asked"
    assert canonical_refresh_token(world) == kept, "the refresh token is kept"
    before = world.stack.front.token_requests()
    p, got = world.cli_token()
    assert got and world.stack.front.token_requests() - before == 1 and world.idp_accepts()

    world.logout("flyte-sdk")
    world.stack.front.fail_next(n=1, status=400, body='{"error":"invalid_grant"}', grant_type="refresh_token")
    p, _ = world.cli_token(check=False)
    world.stack.front.clear_faults()
    assert p.returncode == 5 and p.stdout == "", "a refused refresh token: login required, nothing printed"


def test_processes_importing_the_same_login_at_once_leave_one_item_each(world):
    world.clean()
    token = world.login("flytekit")  # only flytekit's layout: every reader imports it
    s = json.dumps(dict(world.settings, interactive=False))
    procs = [subprocess.Popen([world.c_bin, "header", s], env=world.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(4)]
    outs = []
    try:
        for p in procs:
            out, err = p.communicate(timeout=TIMEOUT)
            assert p.returncode == 0, err[-800:]
            outs.append(json.loads(out.splitlines()[-1])["sha"])
    finally:
        for p in procs:  # stopped by pid whatever happened above
            if p.poll() is None:
                p.kill()
                p.wait(timeout=10)
    assert outs == [token] * 4
    found = world.items()
    assert len(found) == len(set(found)), "one item per (service, username): %s" % found
    assert ("flyteauth:" + world.host.lower(), world.stack.state["public_client_id"]) in found, "the import was recorded"
    assert (world.host, "tokens") in found and ("flytectl", world.stack.endpoint + ":flytectl-user") in found


def test_a_newer_login_by_another_tool_replaces_ours_everywhere(world):
    """Our login is mirrored; then flytekit logs in again on its own: its newer tokens (with
    rotating refresh tokens the only valid ones) are adopted and reach flyte-sdk."""
    world.clean()
    ours = world.login("flyteauth CLI")
    theirs = world.login("flytekit")
    assert theirs != ours
    before = world.stack.front.token_requests()
    assert world.cli_token()[1] == theirs and world.read("flyte-sdk") == theirs and world.read("C") == theirs
    assert world.stack.front.token_requests() == before
