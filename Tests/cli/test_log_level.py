"""FLYTEAUTH_LOG governs the library's default log sink (stderr): warnings by default,
nothing with off, debug lines with debug."""
import json
import os
import subprocess
import sys

from cliutil import ROOT, service_config, tool

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


# The same through the C library (libflyteauth.so, ctypes), with and without a callback.
HOST_PROGRAM = r"""
import ctypes, json, sys
lib = ctypes.CDLL(sys.argv[1])
lib.flyteauth_client_new.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
lib.flyteauth_client_token.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p]
lib.flyteauth_client_free.argtypes = [ctypes.c_void_p]
lib.flyteauth_string_free.argtypes = [ctypes.c_void_p]
LOG = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p)
lib.flyteauth_client_set_log_callback.argtypes = [ctypes.c_void_p, LOG, ctypes.c_void_p, ctypes.c_int]
client = ctypes.c_void_p()
assert lib.flyteauth_client_new(sys.argv[2].encode(), ctypes.byref(client)) == 0
seen = []
keep = LOG(lambda _u, level, message: seen.append((level, message.decode())))
if sys.argv[3] == "callback":
    assert lib.flyteauth_client_set_log_callback(client, keep, None, 2) == 0
token = ctypes.c_void_p()
status = lib.flyteauth_client_token(client, ctypes.byref(token), None)
lib.flyteauth_string_free(token)
lib.flyteauth_client_free(client)
print(json.dumps({"status": status, "callback": seen}))
"""


def host_program(stack, session, level, mode="default"):
    secret = os.path.join(session.home, "secret.txt")
    with open(secret, "w") as f:
        f.write(stack.state["service_client_secret"])
    settings = json.dumps({"endpoint": stack.endpoint.split("://", 1)[1], "insecure": True, "auth_type": "ClientSecret",
                           "client_id": stack.state["service_client_id"], "client_secret_location": secret,
                           "scopes": ["all"]})
    env = session.env()
    env.update(UNWRITABLE_RUNTIME)
    env.pop("FLYTEAUTH_LOG", None)
    if level is not None:
        env["FLYTEAUTH_LOG"] = level
    lib = os.path.join(ROOT, "build", "stage", "lib", "libflyteauth.so.0")
    r = subprocess.run([sys.executable, "-c", HOST_PROGRAM, lib, settings, mode], env=env, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["status"] == 0, r.stderr
    return r.stderr, out["callback"]


def test_the_c_library_default_sink_follows_flyteauth_log(stack, session):
    stderr, _ = host_program(stack, session, None)
    assert "flyteauth: warning: cannot create /proc/flyteauth-test-no-such-dir" in stderr, stderr
    stderr, _ = host_program(stack, session, "off")
    assert stderr == ""
    stderr, _ = host_program(stack, session, "debug")
    assert "flyteauth: debug: " in stderr


def test_a_log_callback_keeps_its_level_whatever_flyteauth_log_says(stack, session):
    stderr, lines = host_program(stack, session, "off", mode="callback")
    assert stderr == "", "the callback replaces the default sink"
    assert any(level == 2 and "cannot create /proc/flyteauth-test-no-such-dir" in m for level, m in lines), lines
