"""The wheel in a fresh venv (run by run.sh, inside a private keyring session, HOME its
own): the package and its library come from the venv and nowhere else; client
credentials and a device login against the harness IdP; the flytekit.auth entry points
as flytekit's get_authenticator finds them; the `flyteauth` command in the venv's bin;
and ~/.flyte/config.yaml with `authType: flyteauth_*` in a plain flytekit process (no
environment set) making a real gRPC call that carries our header."""
import base64
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import threading
import urllib.parse

import pytest

REPO = os.environ["FLYTEAUTH_REPO"]
VENV = os.environ["FLYTEAUTH_WHEEL_VENV"]
SITE = sysconfig.get_paths()["purelib"]
sys.path.insert(0, os.path.join(REPO, "Tests", "e2e"))  # the harness (standard library only)

import flyteauth  # noqa: E402
from flyteauth import _library  # noqa: E402
from harness import approve_device, start_stack  # noqa: E402
from harness.netutil import listen_port, opener, request  # noqa: E402

NAMES = ["flyteauth", "flyteauth_pkce", "flyteauth_deviceflow", "flyteauth_clientsecret", "flyteauth_externalcommand"]
HEADER = "flyte-authorization"


def require(cond, what):
    """assert without pytest printing the operands (they may hold tokens)."""
    __tracebackhide__ = True
    if not cond:
        raise AssertionError(what)


@pytest.fixture(scope="module")
def port():
    return listen_port()


@pytest.fixture(scope="module")
def stack(port):
    # The discovered redirect URI on a free port (not Flyte's default 53593, which another
    # test on this machine may hold), so a plain flytekit config needs no flyteauth section.
    s = start_stack(access_token_duration=60, redirect_ports=[port],
                    redirect_uri="http://127.0.0.1:%d/callback" % port)
    try:
        yield s
    finally:
        s.stop()


def _form_post(url, fields, authorization):
    status, _, body = request(opener(), "POST", url, body=urllib.parse.urlencode(fields).encode(),
                              headers={"Authorization": authorization,
                                       "Content-Type": "application/x-www-form-urlencoded"})
    return status, json.loads(body or b"{}")


def accepted(stack, value):
    """Whether the IdP itself calls this header's token active (its introspection endpoint,
    authenticated by a service token of scope `all`, fetched from the IdP directly so the
    front's counters do not move)."""
    st = stack.state
    basic = "Basic " + base64.b64encode(
        ("%s:%s" % (st["service_client_id"], st["service_client_secret"])).encode()).decode()
    status, answer = _form_post(st["idp_token_endpoint"], {"grant_type": "client_credentials", "scope": "all"}, basic)
    assert status == 200, "the harness IdP gave no introspection token (HTTP %d)" % status
    token = value[7:] if value.lower().startswith("bearer ") else value
    status, answer = _form_post(stack.idp.openid_configuration["introspection_endpoint"], {"token": token},
                                "Bearer " + answer["access_token"])
    return status == 200 and answer.get("active") is True


def mapped_libraries(part):
    with open("/proc/self/maps") as f:
        return {line.split()[-1] for line in f if part in line and "/" in line}


def test_the_package_and_its_library_are_the_wheels():
    assert not any(v in os.environ for v in ("LD_LIBRARY_PATH", "FLYTEAUTH_LIBRARY", "PYTHONPATH"))
    assert os.path.realpath(flyteauth.__file__).startswith(os.path.realpath(SITE) + os.sep), flyteauth.__file__
    dist = importlib.metadata.distribution("flyteauth")
    assert os.path.realpath(str(dist.locate_file(""))) == os.path.realpath(SITE)
    lib = _library.load()
    assert lib.path == _library.bundled_path() and os.path.isfile(lib.path)
    # Loaded once, from the venv: no staged build, no system copy.
    assert mapped_libraries("libflyteauth") == {os.path.realpath(lib.path)}
    # What auditwheel vendored sits beside it, and only what the library links (not
    # libcurl nor libmicrohttpd, which the engine loads from the system on first use).
    vendored = os.listdir(os.path.join(SITE, "flyteauth.libs"))
    assert not [v for v in vendored if v.startswith(("libcurl", "libmicrohttpd"))], vendored


def test_client_credentials(stack, tmp_path):
    st = stack.state
    with flyteauth.Client({"endpoint": stack.endpoint, "auth_type": "ClientSecret",
                           "client_id": st["service_client_id"], "client_secret": st["service_client_secret"],
                           "scopes": ["all"], "keyring": False, "cache_dir": str(tmp_path)}) as c:
        key, value = c.metadata()[0]
    assert key == HEADER
    require(accepted(stack, value), "the IdP did not accept the client-credentials token")
    # libcurl came from the system (the wheel does not carry it).
    curl = mapped_libraries("libcurl")
    assert curl and all(p.startswith(("/usr/lib", "/lib")) for p in curl), curl


def test_device_login(stack, tmp_path):
    prompts, errors = [], []
    with flyteauth.Client({"endpoint": stack.endpoint, "auth_type": "DeviceFlow", "keyring": False,
                           "cache_dir": str(tmp_path), "device_flow_timeout_seconds": 60}) as c:
        def prompt(p):
            prompts.append(p)

            def approve():
                try:
                    approve_device(p.user_code, p.verification_uri)
                except Exception as e:  # noqa: BLE001
                    errors.append(repr(e))
            threading.Thread(target=approve, daemon=True).start()

        c.on_device_prompt(prompt)
        c.login()
        value = c.metadata()[0][1]
    assert errors == [] and len(prompts) == 1
    require(accepted(stack, value), "the IdP did not accept the device-login token")


def test_flytekit_finds_the_entry_points():
    from flytekit.clients.auth_helper import get_authenticator
    from flytekit.configuration import PlatformConfig

    eps = {ep.name: ep for ep in importlib.metadata.entry_points(group="flytekit.auth")}
    assert sorted(n for n in eps if n.startswith("flyteauth")) == sorted(NAMES)
    for name in NAMES:
        assert os.path.realpath(str(eps[name].dist.locate_file(""))) == os.path.realpath(SITE)
        a = get_authenticator(PlatformConfig(endpoint="127.0.0.1:1", insecure=True, auth_mode=name,
                                             command=["true"]), None)
        assert type(a).__module__ == "flyteauth.flytekit_compat", (name, type(a))


def test_the_flyteauth_command(stack, tmp_path):
    exe = shutil.which("flyteauth")
    assert exe == os.path.join(VENV, "bin", "flyteauth"), exe
    secret = tmp_path / "secret"
    secret.write_text(stack.state["service_client_secret"] + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLYTE", "LD_"))}
    env["FLYTEAUTH_KERNEL_KEYRING"] = "off"  # never the user's own kernel keyring
    base = [exe, "token", "--endpoint", stack.endpoint.split("://", 1)[1], "--insecure",
            "--auth-type", "ClientSecret", "--client-id", stack.state["service_client_id"],
            "--client-secret-location", str(secret), "--scope", "all"]
    p = subprocess.run(base + ["--header"], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr[-2000:]
    key, _, value = p.stdout.strip().partition(": ")
    assert key == HEADER
    require(accepted(stack, value), "the IdP did not accept the token `flyteauth token` printed")
    v = subprocess.run([exe, "--version"], env=env, capture_output=True, text=True, timeout=30)
    version = open(os.path.join(REPO, "VERSION")).read().strip()
    assert v.returncode == 0 and version in v.stdout + v.stderr


# -- ~/.flyte/config.yaml in plain flytekit -------------------------------

PYFLYTE = textwrap.dedent('''
    # What pyflyte does for a remote call: Config.auto() reads ~/.flyte/config.yaml and
    # upgrade_channel_to_authenticated() puts get_authenticator()'s interceptor on the channel.
    import sys
    import grpc
    from flytekit.clients.auth_helper import upgrade_channel_to_authenticated
    from flytekit.configuration import Config

    platform = Config.auto().platform
    channel = upgrade_channel_to_authenticated(platform, grpc.insecure_channel(sys.argv[1]))
    echo = channel.unary_unary("/flyteauth.test.Echo/Unary")
    print(echo(b"hi", timeout=60).decode())
''')


class RecordingServer:
    """A grpcio server answering UNAUTHENTICATED without a flyte-authorization header;
    keeps the header values it saw for the test to check with the IdP."""

    def __init__(self):
        import grpc
        from concurrent import futures

        self.seen = []

        def unary(request, context):
            value = dict(context.invocation_metadata()).get(HEADER)
            if not value:
                context.abort(grpc.StatusCode.UNAUTHENTICATED, "no %s header" % HEADER)
            self.seen.append(value)
            return b"echo:" + request

        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        handler = grpc.method_handlers_generic_handler(
            "flyteauth.test.Echo", {"Unary": grpc.unary_unary_rpc_method_handler(unary)})
        self.server.add_generic_rpc_handlers((handler,))
        self.target = "127.0.0.1:%d" % self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()

    def stop(self):
        self.server.stop(grace=None).wait(5)


# Not flyteauth_clientsecret: flytekit 1.16's PlatformConfig.auto() replaces any authType
# with its own ClientSecret whenever admin.clientSecretLocation / clientSecretEnvVar is
# set, so that entry point is reached only with the secret in FLYTEAUTH_SETTINGS (tested
# with get_authenticator above and in bindings/python/tests/test_flytekit.py). Device
# flow needs a person reading the prompt: the device login is tested above.
@pytest.mark.parametrize("auth_type", ["flyteauth_pkce", "flyteauth_externalcommand"])
def test_flyte_config_auth_type_in_plain_flytekit(stack, tmp_path, auth_type):
    home = tmp_path / "home"
    (home / ".flyte").mkdir(parents=True)
    st = stack.state
    secret = tmp_path / "secret"
    secret.write_text(st["service_client_secret"] + "\n")
    host = stack.endpoint.split("://", 1)[1]
    config = "admin:\n  endpoint: dns:///%s\n  insecure: true\n  authType: %s\n" % (host, auth_type)
    if auth_type == "flyteauth_externalcommand":
        # flytectl's and flytekit's ExternalCommand, pointed at the wheel's own tool.
        config += "  command: [%s, token, --endpoint, %s, --insecure, --auth-type, ClientSecret, --client-id, %s, " \
                  "--client-secret-location, %s, --scope, all]\n" % (
                      os.path.join(VENV, "bin", "flyteauth"), host, st["service_client_id"], secret)
    (home / ".flyte" / "config.yaml").write_text(config)
    # Nothing set but what any desktop session has (HOME, PATH, the D-Bus session of the
    # keyring) and, for PKCE, the scripted person behind $BROWSER.
    env = {"HOME": str(home), "PATH": os.environ["PATH"], "LANG": "C.UTF-8"}
    # ... and, as every test, never the user's own kernel keyring.
    env["FLYTEAUTH_KERNEL_KEYRING"] = "off"
    for k in ("DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR"):
        if k in os.environ:
            env[k] = os.environ[k]
    browser = tmp_path / "browser.py"
    browser.write_text("import sys\nsys.path.insert(0, %r)\nfrom harness import approve_pkce\n"
                       "approve_pkce(sys.argv[1])\n" % os.path.join(REPO, "Tests", "e2e"))
    env["BROWSER"] = "%s %s" % (sys.executable, browser)
    server = RecordingServer()
    try:
        p = subprocess.run([sys.executable, "-c", PYFLYTE, server.target], env=env, cwd=str(tmp_path),
                           capture_output=True, text=True, timeout=120)
    finally:
        server.stop()
    assert p.returncode == 0, p.stderr[-3000:]
    assert p.stdout.strip() == "echo:hi"
    assert len(server.seen) >= 1
    require(accepted(stack, server.seen[-1]), "the IdP did not accept the header the gRPC server saw")
