"""One login, every language: a device login from Python, then a C program and a Go
program, started afterwards, get their header from the shared keyring without any
request to the identity provider."""
import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
STAGE = os.path.join(ROOT, "build", "stage")


# The harness plugin's `stack` fixture, with access tokens of 60 s.
STACK = {"access_token_duration": 60}


def build_env(session):
    env = session.env()
    env["PKG_CONFIG_PATH"] = os.path.join(STAGE, "lib", "pkgconfig")
    env["LD_LIBRARY_PATH"] = os.path.join(STAGE, "lib")
    env["PYTHONPATH"] = os.pathsep.join([os.path.join(ROOT, "bindings", "python", "src"), HERE])
    env["FLYTEAUTH_LIBRARY"] = os.path.join(STAGE, "lib", "libflyteauth.so.0")
    env.update({"GOPROXY": "off", "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod", "GOCACHE": os.path.join(ROOT, "build", "gocache")})
    return env


def test_device_login_in_python_serves_c_and_go(stack, keyring_session, tmp_path):
    env = build_env(keyring_session)
    settings = {"endpoint": stack.endpoint, "insecure": True, "auth_type": "DeviceFlow"}
    login = textwrap.dedent("""
        import json, subprocess, sys
        import flyteauth
        settings, idp = json.loads(sys.argv[1]), sys.argv[2]
        def approve(prompt):
            subprocess.Popen([sys.executable, "-m", "harness", "approve-device", "--code", prompt.user_code,
                              "--idp", idp], stdout=subprocess.DEVNULL)
        with flyteauth.Client(settings) as client:
            client.on_device_prompt(approve)
            client.login()
            key, value = client.metadata()[0]
            print(json.dumps({"key": key, "length": len(value), "tail": value[-12:]}))
    """)
    r = subprocess.run([sys.executable, "-c", login, json.dumps(settings), stack.state["idp"]], env=env, cwd=HERE,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    python = json.loads(r.stdout.strip().splitlines()[-1])
    # The access tokens live 5 s, so on a loaded machine C or Go may find this one inside
    # its refresh window and refresh it: that still reuses the login. What must not happen
    # is a new login: no device-code grant after the Python one.
    device_grant = "urn:ietf:params:oauth:grant-type:device_code"
    logins = (stack.front.token_requests(device_grant), stack.front.token_requests("authorization_code"))

    # C, linked with pkg-config.
    c_bin = tmp_path / "print_header"
    subprocess.run("cc -std=c99 %s -o %s $(pkg-config --cflags --libs flyteauth)"
                   % (os.path.join(ROOT, "scripts", "demo", "print_header.c"), c_bin), shell=True, env=env, check=True)
    c = subprocess.run([str(c_bin), json.dumps(dict(settings, interactive=False))], env=env, capture_output=True,
                       text=True, timeout=60)
    assert c.returncode == 0, c.stderr
    assert python["key"] + ": Bearer" in c.stdout and "(%d characters)" % python["length"] in c.stdout

    # Go, with cgo and pkg-config, from the binding's example program.
    if shutil.which("go") is None:
        pytest.fail("go is not installed (scripts/install-deps.sh installs it)")
    go_bin = tmp_path / "header"
    subprocess.run(["go", "build", "-o", str(go_bin), "./examples/header"], cwd=os.path.join(ROOT, "bindings", "go"),
                   env=env, check=True, timeout=300, capture_output=True)
    g = subprocess.run([str(go_bin), "-settings", json.dumps(dict(settings, interactive=False))], env=env,
                       capture_output=True, text=True, timeout=60)
    assert g.returncode == 0, g.stderr
    assert python["key"] in g.stdout

    after = (stack.front.token_requests(device_grant), stack.front.token_requests("authorization_code"))
    assert after == logins, "C and Go reused the Python login: no new login"
