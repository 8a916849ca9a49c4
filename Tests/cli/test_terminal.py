"""The tool in an 80-column terminal (tmux), its QR code through a decoder, and the login
pages in headless Chromium: what a person sees, asserted. Captures and screenshots are
kept in build/newcomer-artefacts/."""
import json
import os
import re
import select
import subprocess
import sys
import time
import urllib.parse

from cliutil import E2E, TOOL, service_config, tool, user_config
from termutil import Pane, artefact, assert_fits, chromium, qr_image, visible_text, write_png, zbar


def run_in_pane(session, tmp_path, *args, name):
    pane = Pane([TOOL] + list(args), session.env(), tmp_path)
    try:
        code = pane.wait()
        plain, joined = pane.capture(), pane.capture(joined=True)
    finally:
        pane.close()
    with open(artefact(name + ".txt"), "w") as f:
        f.write(plain + "\n")
    return code, plain, joined


def test_status_fits_and_says_what_each_tier_holds(stack, session, tmp_path):
    service_config(stack, session)
    assert tool(session, "token").returncode == 0
    code, plain, joined = run_in_pane(session, tmp_path, "status", name="status-80")
    assert code == 0, plain
    assert_fits(plain, joined)
    assert re.search(r"^  Secret Service +holds the token \(served it\)", plain, re.M), plain
    assert re.search(r"^  kernel keyring +off", plain, re.M), plain
    assert "not used" not in plain
    # Continuation lines sit under the value column, never flush left.
    assert all(l.startswith(" ") or re.match(r"^[a-z ]{15} ", l) for l in plain.split("\n")[1:] if l), plain
    piped = tool(session, "status")
    assert all(len(l) > 80 for l in piped.stdout.split("\n") if l.startswith("cache ")), "piped: one line an item"


def test_doctor_fits_and_warns_only_about_what_is_wrong(stack, session, tmp_path):
    service_config(stack, session)
    assert tool(session, "token").returncode == 0
    code, plain, joined = run_in_pane(session, tmp_path, "doctor", name="doctor-80")
    assert code == 0, plain
    assert_fits(plain, joined)
    assert "[warn]" not in plain, "a healthy setup (file cache off on purpose) has no warning:\n" + plain
    assert "[info] cache tier" in plain and "file: off" in plain
    # A flow endpoint's answer to a bare GET is explained, not just "ok".
    flat = " ".join(joined.split())
    assert re.search(r"token_endpoint: \S+ answers \(HTTP \d+ to a bare GET is expected", flat), flat
    assert "A call would work." in plain


def test_doctor_unreachable_does_not_claim_no_cache(session, tmp_path):
    code, plain, joined = run_in_pane(session, tmp_path, "doctor", "--endpoint", "127.0.0.1:9", "--insecure",
                                      "--auth-type", "ClientSecret", "--client-id", "x", name="doctor-unreachable-80")
    assert code == 3, plain
    assert_fits(plain, joined)
    assert "no cache tier is available" not in plain
    assert re.search(r"^\s+fix: ", plain, re.M)


def test_help_in_the_usual_order_with_indented_wrapping(session, tmp_path):
    code, plain, joined = run_in_pane(session, tmp_path, "--help", name="help-80")
    assert code == 0
    assert_fits(plain, joined)
    headings = [l for l in plain.split("\n") if re.match(r"^[A-Z]{2,}[A-Z ]*(:| \()", l)]
    order = [re.match(r"^[A-Z]{2,}[A-Z ]*[A-Z]", h).group(0) for h in headings]
    assert order == ["USAGE", "SUBCOMMANDS", "OPTIONS", "EXIT STATUS", "ENVIRONMENT", "FILES"], order
    body = plain.split("SUBCOMMANDS:", 1)[1]
    flush_left = [l for l in body.split("\n") if l and not l.startswith(" ")
                  and not re.match(r"^[A-Z]{2,}[A-Z ]*(:| \()", l) and not l.startswith("As the token command")]
    assert not flush_left, flush_left


def test_failures_have_a_fix_and_a_suggestion(session, tmp_path):
    code, plain, joined = run_in_pane(session, tmp_path, "logn", name="mistyped-80")
    assert code == 64
    assert_fits(plain, joined)
    assert "did you mean `flyteauth login`?" in " ".join(joined.split())
    r = tool(session, "status", "--auth-typ", "Pkce")
    assert r.returncode == 64 and "fix: did you mean --auth-type?" in r.stderr, r.stderr
    code, plain, joined = run_in_pane(session, tmp_path, "token", name="no-endpoint-80")
    assert code == 2
    assert_fits(plain, joined)
    flat = " ".join(joined.split())
    assert "fix: run `flyteauth login --endpoint" in flat and "~/.flyte/config.yaml" in flat, flat
    piped = tool(session, "token")
    assert len(piped.stderr.split("\n")[0]) > 80, "piped: the error is one line, not wrapped"


def _read_until(fd, marker, timeout=60):
    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen:
        left = deadline - time.monotonic()
        assert left > 0, "no %r on the terminal: %r" % (marker, seen[-2000:])
        ready, _, _ = select.select([fd], [], [], left)
        chunk = os.read(fd, 65536) if ready else b""
        assert chunk or not ready, "the terminal closed before %r: %r" % (marker, seen[-2000:])
        seen += chunk
    return seen


def test_device_login_qr_reads_on_light_and_dark_terminals_and_ctrl_c_is_clean(stack, session, port, tmp_path):
    user_config(stack, session, port, auth="DeviceFlow")
    pane = Pane([TOOL, "login"], session.env(), tmp_path, hold=True)
    fifo = str(tmp_path / "pane.fifo")
    os.mkfifo(fifo)
    try:
        pane.pipe_to(fifo)
        fd = os.open(fifo, os.O_RDONLY)  # the pipe's `cat` opens the other end
        try:
            pane.go()
            _read_until(fd, b"Waiting for approval")
        finally:
            os.close(fd)
        screen = pane.capture(escapes=True)
        plain = pane.capture()
        uri = re.search(r"^\s+(http\S+)$", plain, re.M).group(1)
        qr = [l for l in screen.split("\n") if "\x1b[" in l and "231" in l]
        assert len(qr) > 10, screen
        for dark in (False, True):
            path = artefact("device-qr-%s.png" % ("dark" if dark else "light"))
            write_png(path, qr_image(qr, dark_terminal=dark))
            assert zbar(path) == uri, "the QR code does not read on a %s terminal" % ("dark" if dark else "light")
        inverted = artefact("device-qr-inverted.png")
        write_png(inverted, qr_image(qr, dark_terminal=False), invert=True)
        assert zbar(inverted) is None, "the decoder reads inverted codes too: the polarity check would prove nothing"
        assert re.search(r"Waiting for approval\.\.\. \d+:\d\d left \(Ctrl-C to cancel\)", plain), plain
        pane.keys("C-c")
        assert pane.wait() == 7
        after = pane.capture()
        with open(artefact("device-ctrl-c-80.txt"), "w") as f:
            f.write(after + "\n")
        assert re.search(r"^flyteauth: error: the device login was cancelled", after, re.M), after
        assert not re.search(r"left.*flyteauth: error", after), after
    finally:
        pane.close()


def _browser_login(stack, session, port, tmp_path, answer):
    """Runs `flyteauth login` (Pkce) with a BROWSER that hands the link to the test; `answer`
    gets the authorization URL and plays the person in Chromium. Returns the tool's result."""
    user_config(stack, session, port)
    fifo = str(tmp_path / ("browser-%d.fifo" % len(os.listdir(str(tmp_path)))))
    os.mkfifo(fifo)
    browser = tmp_path / "browser.sh"
    browser.write_text("#!/bin/sh\nprintf '%%s\\n' \"$1\" > %s\n" % fifo)
    browser.chmod(0o755)
    env = dict(session.env(), BROWSER=str(browser))
    p = subprocess.Popen([TOOL, "login"], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        with open(fifo) as f:
            url = f.readline().strip()
        answer(url)
        out, err = p.communicate(timeout=60)
        return p.returncode, out, err
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=10)


def _redirect_for(url):
    sys.path.insert(0, E2E)
    from harness import user
    return user.pkce_redirect(url)


def _assert_page(dom, title, *phrases):
    assert '<html lang="en"' in dom, dom[:200]
    text = visible_text(dom)
    assert text.startswith(title), text
    for phrase in phrases:
        assert phrase in text, (phrase, text)
    return text


def test_login_pages_wrong_state_then_success(stack, session, port, tmp_path):
    pages = {}

    def answer(url):
        redirect = _redirect_for(url)
        wrong = re.sub(r"state=[^&]+", "state=not-this-login", redirect)
        pages["wrong"] = chromium(wrong, artefact("page-wrong-state.png"), tmp_path)
        pages["ok"] = chromium(redirect, artefact("page-logged-in.png"), tmp_path)

    code, out, err = _browser_login(stack, session, port, tmp_path, answer)
    assert code == 0, err
    endpoint = stack.endpoint.split("://", 1)[1]
    _assert_page(pages["wrong"], "Not this login", "still waiting", "Ctrl-C", "You can close this window", endpoint)
    _assert_page(pages["ok"], "Logged in to Flyte", endpoint, "Return to your terminal", "You can close this window")
    assert re.search(r"^    http\S+$", err, re.M), "the link is on a line of its own: " + err


def test_login_page_access_denied_and_other_errors(stack, session, port, tmp_path):
    for error, title, shot in (("access_denied", "Login cancelled", "page-access-denied.png"),
                               ("server_error", "Login failed", "page-other-error.png")):
        pages = {}

        def answer(url):
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
            back = q["redirect_uri"][0] + "?" + urllib.parse.urlencode(
                {"error": error, "error_description": "The user denied the request", "state": q["state"][0]})
            pages["page"] = chromium(back, artefact(shot), tmp_path)

        code, out, err = _browser_login(stack, session, port, tmp_path, answer)
        assert code == 4, err
        assert re.search(r"^  fix: ", err, re.M), err
        text = _assert_page(pages["page"], title, "You can close this window")
        if error == "access_denied":
            assert "run flyteauth login" in text and "access_denied" not in text, text
            assert "approve it" in err
        else:
            assert "Return to your terminal" in text


def test_every_subcommand_prints_text_and_takes_json(stack, session):
    for sub in ("login", "token", "whoami", "status", "logout", "config", "doctor"):
        assert "--json" in tool(session, sub, "--help").stdout, sub
    service_config(stack, session)
    assert tool(session, "token").returncode == 0
    text = tool(session, "config")
    assert text.returncode == 0 and text.stdout.startswith("auth type       ClientSecret\n"), text.stdout
    out = tool(session, "logout", "--json")
    assert out.returncode == 0 and json.loads(out.stdout)["logged_out"] is True


def test_browser_login_shows_a_whole_link_and_a_waiting_line(stack, session, port, tmp_path):
    user_config(stack, session, port)
    env = dict(session.env(), BROWSER="true")  # a browser that shows nothing: the person copies the link
    pane = Pane([TOOL, "login"], env, tmp_path, hold=True)
    fifo = str(tmp_path / "pkce.fifo")
    os.mkfifo(fifo)
    try:
        pane.pipe_to(fifo)
        fd = os.open(fifo, os.O_RDONLY)
        try:
            pane.go()
            _read_until(fd, b"(Ctrl-C to cancel)")
        finally:
            os.close(fd)
        joined = pane.capture(joined=True)
        with open(artefact("pkce-waiting-80.txt"), "w") as f:
            f.write(pane.capture() + "\n")
        link = re.search(r"^    (http\S+)$", joined, re.M)
        assert link and "state=" in link.group(1) and "code_challenge=" in link.group(1), joined
        assert re.search(r"Waiting for the browser login\.\.\. \d+:\d\d left \(Ctrl-C to cancel\)", joined), joined
        pane.keys("C-c")
        assert pane.wait() == 7
        assert re.search(r"^flyteauth: error: the browser login was cancelled", pane.capture(), re.M)
    finally:
        pane.close()
