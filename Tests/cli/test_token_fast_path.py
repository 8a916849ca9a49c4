"""`flyteauth token` answers plain spellings (`--name value`) without the argument parser
and sends every other spelling to it; `--name=value` always goes to the parser. The same
request through both must print the same bytes and exit with the same status."""
import subprocess

import pytest

from test_cli import TOOL, host, service_config, user_config, write_config


FLAGS = {"--header", "--json", "--refresh", "--insecure", "--non-interactive", "--file-cache"}


def both(session, args, env=None):
    """Runs args with each option's value as its own word (the fast path) and joined to its
    name with "=" (the parser)."""
    e = session.env()
    e.update(env or {})
    joined, i = [], 0
    while i < len(args):
        if args[i].startswith("--") and args[i] not in FLAGS and i + 1 < len(args):
            joined.append(args[i] + "=" + args[i + 1])
            i += 2
        else:
            joined.append(args[i])
            i += 1
    assert joined != args, "no option value to join: both runs would take the same path"
    return [subprocess.run([TOOL] + a, env=e, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
            for a in (args, joined)]


def same(fast, parsed):
    assert (fast.returncode, fast.stdout, fast.stderr) == (parsed.returncode, parsed.stdout, parsed.stderr)
    return fast


@pytest.mark.parametrize("extra", [[], ["--header"], ["--json"], ["--format", "credential-process"],
                                   ["--format", "exec-credential", "--non-interactive"]])
def test_outputs_are_the_parsers(stack, session, extra):
    path = service_config(stack, session)
    # The first call fills the cache: both spellings then print the same cached token.
    assert subprocess.run([TOOL, "token"], env=session.env(), capture_output=True, timeout=60).returncode == 0
    r = same(*both(session, ["token", "--config", path] + extra))
    assert r.returncode == 0 and r.stdout.count("\n") == 1 and "ey" in r.stdout


@pytest.mark.parametrize("case,code", [
    ("idp-down", 3), ("no-endpoint", 2), ("bad-settings", 2), ("login-required", 5), ("bad-config", 2),
])
def test_failures_are_the_parsers(stack, session, redirect_port, tmp_path, case, code):
    args = ["token", "--header"]
    if case == "idp-down":
        service_config(stack, session)
        args += ["--endpoint", "127.0.0.1:9"]
    elif case == "no-endpoint":
        args += ["--config", str(tmp_path / "empty.yaml")]
        (tmp_path / "empty.yaml").write_text("admin: {}\n")
    elif case == "bad-settings":
        service_config(stack, session)
        args += ["--settings", "[1, 2]"]
    elif case == "login-required":
        user_config(stack, session, redirect_port)
        args += ["--auth-type", "Pkce"]
    else:
        write_config(session, "admin:\n  endpoint: x\n  insecure: [1, 2]\n")
        args += ["--scope", "a", "--scope", "b"]
    r = same(*both(session, args))
    assert r.returncode == code, r.stderr
    assert r.stdout == "" and r.stderr.startswith("flyteauth: error: ")


@pytest.mark.parametrize("args,code", [
    (["token", "--header", "--json"], 64),
    (["token", "--format", "yaml"], 64),
    (["token", "--settings"], 64),
    (["token", "--endpoint", "--header"], 64),
    (["token", "--bogus", "x"], 64),
    (["token", "--help"], 0),
])
def test_other_spellings_reach_the_parser(session, args, code):
    # What the parser says about these (usage errors, help); the fast path never answers them.
    r = subprocess.run([TOOL] + args, env=session.env(), capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == code, (r.returncode, r.stderr)
    assert ("USAGE" in r.stdout + r.stderr or "Usage" in r.stdout + r.stderr), r.stderr
