"""Every code block of every README, as a reader meets it. Each fenced block carries a tag
on the line before it: `<!-- snippet: NAME -->` blocks are run here from a checkout, as
the README tells a user (the staged build in build/stage, a fresh HOME, the identity
provider of the test harness); `<!-- illustration: ... -->` blocks (output of a session,
fragments naming flyte.example.com, the package installs the Debian and wheel suites run)
are compiled where their language allows: Python is compiled, shell is parsed."""
import os
import re
import select
import signal
import subprocess
import sys
import time

import pytest

from cliutil import ROOT, TOOL, service_config, user_config

READMES = ["README.md"] + sorted("bindings/%s/README.md" % d for d in os.listdir(os.path.join(ROOT, "bindings"))
                                  if os.path.isfile(os.path.join(ROOT, "bindings", d, "README.md")))
STAGE = os.path.join(ROOT, "build", "stage")
FENCE = re.compile(r"^( *)```(\S*)\s*$")
TAG = re.compile(r"^\s*<!-- (snippet|illustration)(?::\s*([^>]*?))?\s*-->\s*$")


def blocks(path):
    """[(kind, name, language, code, line)] of every fenced block in `path`."""
    lines = open(os.path.join(ROOT, path)).read().split("\n")
    out, i = [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, language, start = m.group(1), m.group(2), i
        j = i + 1
        while not re.match(r"^%s```\s*$" % indent, lines[j]):
            j += 1
        code = "\n".join(l[len(indent):] for l in lines[i + 1:j]) + "\n"
        before = next((lines[k] for k in range(start - 1, -1, -1) if lines[k].strip()), "")
        tag = TAG.match(before)
        out.append((tag.group(1) if tag else None, (tag.group(2) or "") if tag else "", language, code, start + 1))
        i = j + 1
    return out


ALL = [(path,) + b for path in READMES for b in blocks(path)]
SNIPPETS = {b[2]: b for b in ALL if b[1] == "snippet"}


def test_every_block_is_tagged():
    untagged = ["%s:%d" % (b[0], b[5]) for b in ALL if b[1] is None]
    assert not untagged, "blocks with neither <!-- snippet: NAME --> nor <!-- illustration: why -->: %s" % untagged
    assert {"completion", "c-app", "c-build-from-checkout", "python-app", "go-app", "go-build-from-checkout"} <= set(SNIPPETS)


@pytest.mark.parametrize("path,kind,name,language,code,line", [b for b in ALL if b[1] == "illustration"],
                         ids=lambda v: v if isinstance(v, str) and v.endswith(".md") else None)
def test_illustrations_compile(path, kind, name, language, code, line):
    if language == "python":
        compile(code, "%s:%d" % (path, line), "exec", flags=0x2000)  # PyCF_ALLOW_TOP_LEVEL_AWAIT
    elif language in ("sh", "bash"):
        r = subprocess.run(["bash", "-n"], input=code, capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, "%s:%d: %s" % (path, line, r.stderr)


def code_of(name):
    return SNIPPETS[name][4]


def run_block(name, cwd, env, timeout=300):
    return subprocess.run(["bash", "-e", "-c", code_of(name)], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def user_env(session):
    e = session.env()
    e["PATH"] = os.path.dirname(TOOL) + ":" + e.get("PATH", "/usr/bin:/bin")
    return e


def test_completion_on_a_fresh_home(session, tmp_path):
    r = run_block("completion", str(tmp_path), user_env(session))
    assert r.returncode == 0, r.stderr
    path = os.path.join(session.home, ".local/share/bash-completion/completions/flyteauth")
    assert "flyteauth" in open(path).read()


def checkout_dir(tmp_path, filename, code):
    """A directory standing for the checkout's root: the program, and build/ of this tree."""
    d = tmp_path / "checkout"
    d.mkdir()
    os.symlink(os.path.join(ROOT, "build"), str(d / "build"))
    (d / filename).write_text(code)
    return str(d)


def test_c_quick_start_from_a_checkout(stack, session, port, tmp_path):
    service_config(stack, session)
    d = checkout_dir(tmp_path, "app.c", code_of("c-app"))
    r = run_block("c-build-from-checkout", d, user_env(session))
    assert r.returncode == 0, r.stderr
    assert re.match(r"^flyte-authorization: <\d+ characters>\n$", r.stdout), r.stdout
    # A DeviceFlow configuration: the program shows its prompt, it does not wait silently.
    user_config(stack, session, port, auth="DeviceFlow")
    env = dict(user_env(session), LD_LIBRARY_PATH=os.path.join(STAGE, "lib"))
    p = subprocess.Popen([os.path.join(d, "app")], cwd=d, env=env, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        seen, deadline = b"", time.monotonic() + 60
        while b"confirm the code" not in seen:
            left = deadline - time.monotonic()
            assert left > 0, "no device prompt within 60 s: %r" % seen
            ready, _, _ = select.select([p.stderr], [], [], left)
            chunk = os.read(p.stderr.fileno(), 4096) if ready else b""
            assert chunk, "the program ended without a prompt: %r" % seen
            seen += chunk
        assert b"http" in seen
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=30)


def test_python_quick_start_from_a_checkout(stack, session, tmp_path):
    service_config(stack, session)
    path = tmp_path / "app.py"
    path.write_text(code_of("python-app"))
    env = dict(user_env(session), PYTHONPATH=os.path.join(ROOT, "bindings", "python", "src"))
    r = subprocess.run([sys.executable, str(path)], cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert re.match(r"^flyte-authorization: <\d+ characters>\n$", r.stdout), r.stdout
    os.unlink(os.path.join(session.home, ".flyte", "config.yaml"))
    r = subprocess.run([sys.executable, str(path)], cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and "~/.flyte/config.yaml" in r.stderr, r.stderr


def test_go_quick_start_from_a_checkout(stack, session, tmp_path):
    service_config(stack, session)
    d = tmp_path / "hello"
    d.mkdir()
    (d / "main.go").write_text(code_of("go-app"))
    cache = subprocess.run(["go", "env", "GOCACHE"], capture_output=True, text=True, timeout=60).stdout.strip()
    env = dict(user_env(session), LIBFLYTEAUTH=ROOT, GOCACHE=cache, GOPROXY="off", GOTOOLCHAIN="local",
               GOFLAGS="-mod=mod", GOPATH=str(tmp_path / "gopath"),
               PKG_CONFIG_PATH=os.path.join(STAGE, "lib", "pkgconfig"), LD_LIBRARY_PATH=os.path.join(STAGE, "lib"))
    r = run_block("go-build-from-checkout", str(d), env, timeout=600)
    assert r.returncode == 0, r.stderr
    assert re.search(r"^flyte-authorization: <\d+ characters>$", r.stdout, re.M), r.stdout
