"""The libflyteauth benchmarks. Run through bench/run.sh, which builds the
programs, and runs this inside a private Secret Service (Tests/e2e/keyring-session.sh).

    bench.py --mode full|quick|smoke --bin DIR --tmp DIR --out DIR --command CMD
             --python-impl binding --go-impl binding|none
             [--markdown FILE]

Starts two private glewlwyd + Flyte front stacks on 127.0.0.1 (Tests/e2e/harness, by
`python -m harness up`; stopped by pid with `down` at the end): A with one-hour access
tokens (cases 1-4, 6) and B with 4-second ones (case 5). Logs in once with PKCE on each
(the harness plays the user). Then, side by side in the same run:

 1. process start to first header, token in the keyring: C, Python binding, Go,
    `flyteauth token`, against flytekit's PKCEAuthenticator reading the same token from
    the same keyring, `import flytekit` alone, and baselines;
 2. process start to first header with client credentials (one token request per run,
    counted at the front): C and Python binding against flytekit's
    ClientCredentialsAuthenticator;
 3. per-call cost of the header with a warm cache: C on 1 and 2 threads
    (metadata_bench, passthrough and keyring-backed PKCE clients), Python binding, Go
    binding, against flytekit's fetch_grpc_call_auth_metadata() and the C floor;
 4. refresh storm, P processes x T threads rejected at once: token requests at the IdP,
    against flytekit's refresh_credentials() in the same shape;
 5. latency of the header call across token expiries (C), the IdP made slow (100 ms per
    token request) for the second half;
 6. footprint: stripped .so size, resident memory added by dlopen and the first header.

Writes <out>/<stem>.json and <stem>.png, and the Markdown report (--markdown). Tokens
and secrets are never printed or stored: programs print header keys, lengths and 64-bit
FNV-1a fingerprints only.
"""
import argparse
import datetime
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
E2E = os.path.join(ROOT, "Tests", "e2e")
sys.path.insert(0, E2E)
sys.path.insert(0, HERE)

from harness import netutil  # noqa: E402


from common import (IDP_DELAY_S, MB, MODES, PY, PY_FLYTE2, STORM_SHAPES, BenchError, fmt_num, fmt_stat,  # noqa: E402,F401
                    quantile, sha256_file, summary)
from report import Report  # noqa: E402

class Bench(Report):
    """The cases: each records its figures in self.results; report.py turns them into
    targets, the chart and the Markdown."""
    def __init__(self, a):
        self.a = a
        self.mode = a.mode
        self.p = MODES[a.mode]
        self.bin = a.bin
        self.tmp = a.tmp
        self.stage = a.stage
        self.stacks = {}
        self.server_pids = {}
        self.errors = []
        self.results = {"schema": 1, "mode": a.mode, "command": a.command, "cases": {}, "errors": self.errors,
                        "implementations": {"python": a.python_impl, "go": a.go_impl, "c": "pkg-config flyteauth"}}
        self.lib = os.path.join(self.stage, "lib", "libflyteauth.so.0")
        self.cli = os.path.join(self.stage, "bin", "flyteauth")
        self.base_env = dict(os.environ)
        for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
                  "DISPLAY", "WAYLAND_DISPLAY", "BROWSER", "BENCH_FP", "BENCH_T0_NS", "FLYTECTL_CONFIG"):
            self.base_env.pop(k, None)
        self.base_env["NO_PROXY"] = self.base_env["no_proxy"] = "127.0.0.1,localhost"
        self.base_env["LD_LIBRARY_PATH"] = os.path.join(self.stage, "lib")
        self.base_env["FLYTEAUTH_LIBRARY"] = self.lib
        self.base_env["PYTHONPATH"] = os.path.join(ROOT, "bindings", "python", "src")
        # Python writes .pyc files only when this is unset (any value, even "0", disables
        # writing): the warm-up run compiles the binding once, as an installed package is.
        self.base_env.pop("PYTHONDONTWRITEBYTECODE", None)
        self.py_prog = os.path.join(HERE, "py_flyteauth.py")
        self.fk_prog = os.path.join(HERE, "py_flytekit.py")
        self.f2_prog = os.path.join(HERE, "py_flyte2.py")
        self.go = os.path.join(self.bin, "go-bench") if a.go_impl != "none" else None

    # -- helpers -------------------------------------------------------------

    def log(self, msg):
        print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)

    def env(self, **extra):
        e = dict(self.base_env)
        e.update({k: str(v) for k, v in extra.items()})
        return e

    def run(self, argv, env=None, timeout=120, what=None, input=None):
        p = subprocess.run(argv, env=env or self.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout, input=input, text=True)
        if p.returncode != 0:
            raise BenchError("%s failed (exit %d): %s" % (what or os.path.basename(argv[0]), p.returncode,
                                                          p.stderr.strip()[-1500:]))
        return p

    def timed(self, argv, env, timeout=120, what=None):
        """Whole-process wall time (ms) of argv, and its stdout. BENCH_T0_NS lets the
        program report when it had the header, on the same clock (CLOCK_MONOTONIC)."""
        env = dict(env)
        t0 = time.monotonic_ns()
        env["BENCH_T0_NS"] = str(t0)
        p = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, text=True)
        t1 = time.monotonic_ns()
        if p.returncode != 0:
            raise BenchError("%s failed (exit %d): %s" % (what or os.path.basename(argv[0]), p.returncode,
                                                          p.stderr.strip()[-1500:]))
        return (t1 - t0) / 1e6, p.stdout

    def counts(self, stack):
        return netutil.get_json(self.stacks[stack]["counts_url"])

    def post(self, stack, path):
        status, _, _ = netutil.request(netutil.opener(), "POST", self.stacks[stack]["endpoint"] + path, body=b"")
        if status != 200:
            raise BenchError("POST %s: HTTP %d" % (path, status))

    def case(self, name, fn):
        self.log("case %s" % name)
        start = time.monotonic()
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - recorded, the other cases still run
            msg = "%s: %s: %s" % (name, type(e).__name__, e)
            self.errors.append(msg)
            self.log("ERROR " + msg)
            if os.environ.get("BENCH_DEBUG"):
                traceback.print_exc()
        self.results["cases"].setdefault(name, {})["seconds"] = round(time.monotonic() - start, 1)

    # -- stacks ----------------------------------------------------------------

    def start_stacks(self):
        """Both stacks at once, as `python -m harness up` would start them, but through
        bench/harness_serve.py (a listen backlog that a 32-request storm does not overflow).
        Each runs in its own session and stops itself after --max-seconds if all else fails."""
        self.redirect_port = netutil.free_port()
        specs = {"A": 3600, "B": 4}
        procs = {}
        for name, duration in specs.items():
            state = os.path.join(self.tmp, "state-%s.json" % name)
            log = open(state + ".log", "ab")
            try:
                procs[name] = (state, subprocess.Popen(
                    [PY, os.path.join(HERE, "harness_serve.py"), "serve", "--state", state,
                     "--access-token-duration", str(duration), "--redirect-port", str(self.redirect_port),
                     "--max-seconds", "1800"],
                    cwd=E2E, env=self.env(PYTHONPATH=E2E), stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, start_new_session=True))
            finally:
                log.close()
            self.server_pids[name] = procs[name][1].pid
        deadline = time.monotonic() + 90
        for name, (state, p) in procs.items():
            while True:
                try:
                    with open(state) as f:
                        st = json.load(f)
                    if st.get("pid") == p.pid:
                        break
                except (OSError, ValueError):
                    pass
                if p.poll() is not None or time.monotonic() > deadline:
                    with open(state + ".log", errors="replace") as f:
                        tail = f.read()[-1500:]
                    raise BenchError("stack %s did not start: %s" % (name, tail))
                time.sleep(0.1)
            st["state_file"] = state
            self.stacks[name] = st
        self.log("stacks up: A %s (1 h tokens), B %s (4 s tokens)" % (self.stacks["A"]["endpoint"],
                                                                      self.stacks["B"]["endpoint"]))

    def stop_stacks(self):
        """`python -m harness down` for each state file: stops the server and its glewlwyd by pid."""
        for name in list(self.server_pids):
            state = os.path.join(self.tmp, "state-%s.json" % name)
            if os.path.exists(state):
                subprocess.run([PY, "-m", "harness", "down", "--state", state], cwd=E2E,
                               env=self.env(PYTHONPATH=E2E), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               timeout=60)
            pid = self.server_pids.pop(name)
            try:
                os.waitpid(pid, os.WNOHANG)  # reap our child if down stopped it
            except ChildProcessError:
                pass
            self.stacks.pop(name, None)

    def pkce_settings(self, stack, interactive=False):
        st = self.stacks[stack]
        return {"endpoint": st["endpoint"], "insecure": True, "auth_type": "Pkce",
                "redirect_uri": "http://localhost:%d/callback" % self.redirect_port, "interactive": interactive}

    def flytekit_args(self, stack):
        st = self.stacks[stack]
        cc = netutil.get_json(st["endpoint"] + "/config/v1/flyte_client", headers={"Accept": "application/json"})
        return {"endpoint": st["endpoint"].split("://", 1)[1], "token_endpoint": st["token_endpoint"],
                "authorization_endpoint": st["authorization_endpoint"],
                "redirect_uri": "http://localhost:%d/callback" % self.redirect_port,
                "client_id": st["public_client_id"], "scopes": cc.get("scopes") or None,
                "header_key": cc.get("authorization_metadata_key") or "authorization"}

    def login(self, stack):
        """One PKCE login through the library, the harness playing the user; the library
        stores the tokens in the keyring and mirrors them into flytekit's layout."""
        s = self.pkce_settings(stack, interactive=True)
        p = self.run([PY, os.path.join(E2E, "cache_driver.py"), json.dumps(s), "login"],
                     env=self.env(PYTHONPATH=E2E, DRIVER_ALLOW_BROWSER=1), timeout=120, what="PKCE login")
        out = json.loads(p.stdout.strip().splitlines()[-1])
        if not out.get("ok"):
            raise BenchError("PKCE login on %s failed" % stack)

    # -- facts ---------------------------------------------------------------------

    def facts(self):
        def sh(argv, default=None):
            try:
                p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30,
                                   env=self.env())
                return p.stdout.strip() if p.returncode == 0 else default
            except (OSError, subprocess.TimeoutExpired):
                return default

        cpu = None
        try:
            with open("/proc/cpuinfo") as f:
                for line in f:
                    if line.startswith("model name"):
                        cpu = line.split(":", 1)[1].strip()
                        break
        except OSError:
            pass
        cpu = cpu or sh(["sh", "-c", "lscpu | sed -n 's/^Model name: *//p'"])
        mem_kb = None
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem_kb = int(line.split()[1])
        osr = {}
        try:
            with open("/etc/os-release") as f:
                for line in f:
                    if "=" in line:
                        k, v = line.rstrip().split("=", 1)
                        osr[k] = v.strip('"')
        except OSError:
            pass
        real_py = os.path.realpath(PY)
        with open(real_py, "rb") as f:
            elf = f.read(4) == b"\x7fELF"
        self.results["machine"] = {
            "host": socket.gethostname(), "nproc": os.cpu_count(), "cpu": cpu, "memory_gib": round(mem_kb / 1048576, 1),
            "kernel": platform.release(), "os": osr.get("PRETTY_NAME"), "loadavg_start": list(os.getloadavg())}
        fk = sh([PY, "-c", "import importlib.metadata as m; print(m.version('flytekit'), m.version('keyring'))"], "? ?")
        f2 = sh([PY_FLYTE2, "-c", "import importlib.metadata as m; print(m.version('flyte'))"], "?")
        self.results["tools"] = {
            "libflyteauth": sh([self.cli, "--version"]) or "?",
            "libflyteauth_so": os.path.join(self.a.stage_origin or self.stage, "lib",
                                            os.path.basename(os.path.realpath(self.lib))),
            "libflyteauth_so_sha256": sha256_file(os.path.realpath(self.lib))[:16],
            "git_commit": sh(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]),
            "git_dirty": bool(sh(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"])),
            "cc": (sh(["cc", "--version"]) or "?").splitlines()[0],
            "go": sh(["go", "version"]) if self.a.go_impl != "none" else None,
            "python": sh([PY, "-c", "import sys; print(sys.version.split()[0])"]),
            "python_interpreter": PY, "python_real_binary": real_py, "python_is_elf_not_shim": elf,
            "flytekit": fk.split()[0], "keyring": fk.split()[-1], "flyte_sdk": f2,
            "flyte_sdk_interpreter": PY_FLYTE2,
            "glewlwyd": sh(["glewlwyd", "--version"]) or "?",
            "gnome_keyring": (sh(["gnome-keyring-daemon", "--version"]) or "?").splitlines()[0],
        }

    # -- case 1 ----------------------------------------------------------------------

    def parse_first(self, out):
        """'<key> <len> <ms> [fp]' -> (key, len, ms, fp)."""
        parts = out.strip().splitlines()[-1].split()
        return parts[0], int(parts[1]), float(parts[2]), parts[3] if len(parts) > 3 else None

    def fnv(self, s):
        h = 1469598103934665603
        for b in s.encode():
            h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
        return "%016x" % h

    def case_startup(self):
        s = json.dumps(self.pkce_settings("A"))
        # The old path: the kernel tier off, the token from the Secret Service (D-Bus).
        s_old = json.dumps(dict(self.pkce_settings("A"), kernel_keyring="off"))
        fk = json.dumps(self.flytekit_args("A"))
        progs = [
            ("C", "ours", [os.path.join(self.bin, "first_header"), s]),
            ("Python binding", "ours", [PY, self.py_prog, "first", s]),
        ]
        if self.go:
            progs.append(("Go binding", "ours", [self.go, "first", s]))
        progs += [
            ("flyteauth token (CLI)", "ours", [self.cli, "token", "--header", "--settings", s]),
            ("C, old path (kernel tier off, Secret Service)", "ours", [os.path.join(self.bin, "first_header"), s_old]),
            ("C, headless (no D-Bus), second process", "ours", [os.path.join(self.bin, "first_header"), s]),
            ("flytekit PKCEAuthenticator", "theirs", [PY, self.fk_prog, "first-pkce", fk]),
            ("flyte-sdk PKCEAuthenticator", "theirs", [PY_FLYTE2, self.f2_prog, "first-pkce", fk]),
            ("python -c 'import flytekit'", "base", [PY, "-c", "import flytekit"]),
            ("python -c 'pass'", "base", [PY, "-c", "pass"]),
            ("python -I -S -c 'import ctypes' (floor)", "base", [PY, "-I", "-S", "-c", "import ctypes"]),
            ("bare C process (floor)", "base", [os.path.join(self.bin, "bare_c")]),
            ("/bin/true", "base", ["/bin/true"]),
        ]
        env = self.env()
        # Headless: no session bus at all (the kernel tier serves alone).
        headless = {k: v for k, v in env.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
        envs = {"C, headless (no D-Bus), second process": headless}

        def header_of(name, out):
            if name.startswith("flyteauth token"):
                line = out.strip().splitlines()[-1]
                key, value = line.split(": ", 1)
                return key, len(value), None, self.fnv(value)
            return self.parse_first(out)

        # Check: every implementation produced the same header value from the same
        # keyring token, and nothing asked the IdP.
        before = self.counts("A")
        check = {}
        for name, kind, argv in progs:
            if kind == "base":
                continue
            _, out = self.timed(argv, dict(envs.get(name, env), BENCH_FP="1"), what=name)
            key, length, _, fp = header_of(name, out)
            check[name] = {"key": key, "value_length": length, "fingerprint": fp}
        fps = {v["fingerprint"] for v in check.values()}
        res = self.results["cases"].setdefault("startup_keyring", {})
        res["check"] = check
        res["same_token_everywhere"] = len(fps) == 1
        if len(fps) != 1:
            raise BenchError("not every implementation read the same token: %s" % check)
        for name, _, argv in progs:  # warm-up (page cache, .pyc)
            self.timed(argv, envs.get(name, env), what=name)
        whole = {name: [] for name, _, _ in progs}
        to_header = {name: [] for name, _, _ in progs}
        for _rep in range(self.p["startup"]):
            order = list(progs)
            random.shuffle(order)
            for name, kind, argv in order:
                ms, out = self.timed(argv, envs.get(name, env), what=name)
                whole[name].append(ms)
                if kind != "base" and not name.startswith("flyteauth token"):
                    to_header[name].append(self.parse_first(out)[2])
        after = self.counts("A")
        res["token_requests_during_case"] = after["token_total"] - before["token_total"]
        res["discovery_requests_during_case"] = sum(
            n for path, n in after["paths"].items() if not path.startswith("/oauth2")) - sum(
            n for path, n in before["paths"].items() if not path.startswith("/oauth2"))
        if res["token_requests_during_case"]:
            raise BenchError("%d token requests reached the IdP while every process should have read the keyring"
                             % res["token_requests_during_case"])
        # Extra (no target): 4 C processes started at the same moment, as a fan-out of workers
        # would; each reads the keyring once. Time to first header of the slowest and the median one.
        slowest, middle = [], []
        for _rep in range(min(self.p["startup"], 10)):
            e = dict(env)
            e["BENCH_T0_NS"] = str(time.monotonic_ns())
            procs = [subprocess.Popen(progs[0][2], env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                     for _ in range(4)]
            got = []
            for p in procs:
                out, err = p.communicate(timeout=60)
                if p.returncode != 0:
                    raise BenchError("C, 4 at once: %s" % err.strip()[-1500:])
                got.append(self.parse_first(out)[2])
            slowest.append(max(got))
            middle.append(statistics.median(got))
        res["c_4_at_once_to_header_ms"] = {"slowest": summary(slowest), "median": summary(middle)}
        res["kinds"] = {name: kind for name, kind, _ in progs}
        res["whole_process_ms"] = {k: v for k, v in whole.items()}
        res["to_first_header_ms"] = {k: v for k, v in to_header.items() if v}
        res["whole_process"] = {k: summary(v) for k, v in whole.items()}
        res["to_first_header"] = {k: summary(v) for k, v in to_header.items() if v}
        # Where the Python binding's time goes (for the report).
        res["python_phases"] = self.python_phases(s)

    def python_phases(self, settings):
        code = r"""
import json, os, sys, time
t_start = time.monotonic_ns()
import flyteauth
t_import = time.monotonic_ns()
from flyteauth import _library
_library.load()
t_load = time.monotonic_ns()
c = flyteauth.Client(json.loads(sys.argv[1]))
t_client = time.monotonic_ns()
c.metadata()
t_md = time.monotonic_ns()
t0 = int(os.environ["BENCH_T0_NS"])
ms = lambda a, b: round((b - a) / 1e6, 2)
print(json.dumps({"interpreter_start_ms": ms(t0, t_start), "import_flyteauth_ms": ms(t_start, t_import),
                  "load_library_ms": ms(t_import, t_load), "client_new_ms": ms(t_load, t_client),
                  "first_metadata_ms": ms(t_client, t_md)}))
"""
        if self.a.python_impl != "binding":
            return None
        runs = []
        for _ in range(max(3, min(7, self.p["startup"]))):
            _, out = self.timed([PY, "-c", code, settings], self.env(), what="python phases")
            runs.append(json.loads(out.strip().splitlines()[-1]))
        phases = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        p = subprocess.run([PY, "-X", "importtime", "-c", "import flyteauth"], env=self.env(),
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=60)
        top = []
        for line in p.stderr.splitlines():
            m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
            if m and len(m.group(3)) <= 5:  # flyteauth and the modules it imports directly
                top.append((int(m.group(2)) / 1000, m.group(4)))
        top.sort(reverse=True)
        phases["import_tree_top_ms"] = [[name, round(ms, 1)] for ms, name in top[:10]]
        return phases

    # -- case 2 ----------------------------------------------------------------------

    def case_client_credentials(self):
        st = self.stacks["A"]
        settings = json.dumps({"endpoint": st["endpoint"], "insecure": True, "auth_type": "ClientSecret",
                               "client_id": st["service_client_id"], "client_secret_env_var": "BENCH_CLIENT_SECRET",
                               "keyring": False, "file_cache": False, "kernel_keyring": "off"})
        fk = self.flytekit_args("A")
        fk["client_id"] = st["service_client_id"]
        progs = [("C", "ours", [os.path.join(self.bin, "first_header"), settings]),
                 ("Python binding", "ours", [PY, self.py_prog, "first", settings]),
                 ("flytekit ClientCredentialsAuthenticator", "theirs",
                  [PY, self.fk_prog, "first-cc", json.dumps(fk)])]
        env = self.env(BENCH_CLIENT_SECRET=st["service_client_secret"])
        res = self.results["cases"].setdefault("startup_client_credentials", {})
        whole = {n: [] for n, _, _ in progs}
        to_header = {n: [] for n, _, _ in progs}
        requests = {n: [] for n, _, _ in progs}
        discovery = {n: [] for n, _, _ in progs}

        def one(name, argv, record):
            before = self.counts("A")
            ms, out = self.timed(argv, env, what=name)
            after = self.counts("A")
            n_tok = after["token_total"] - before["token_total"]
            n_cc = after["token"].get("client_credentials", 0) - before["token"].get("client_credentials", 0)
            n_disc = sum(after["paths"].values()) - sum(before["paths"].values()) - n_tok
            if n_tok != 1 or n_cc != 1:
                raise BenchError("%s: %d token requests (%d client_credentials) in one run, expected exactly 1"
                                 % (name, n_tok, n_cc))
            if record:
                whole[name].append(ms)
                to_header[name].append(self.parse_first(out)[2])
                requests[name].append(n_tok)
                discovery[name].append(n_disc)

        for name, _, argv in progs:  # warm-up; also fills the library's discovery disk cache
            one(name, argv, False)
        for _rep in range(self.p["cc"]):
            order = list(progs)
            random.shuffle(order)
            for name, _, argv in order:
                one(name, argv, True)
        res["kinds"] = {n: k for n, k, _ in progs}
        res["whole_process_ms"] = whole
        res["to_first_header_ms"] = to_header
        res["whole_process"] = {k: summary(v) for k, v in whole.items()}
        res["to_first_header"] = {k: summary(v) for k, v in to_header.items()}
        res["token_requests_per_run"] = {k: sorted(set(v)) for k, v in requests.items()}
        res["discovery_requests_per_run"] = {k: sorted(set(v)) for k, v in discovery.items()}

    # -- case 3 ----------------------------------------------------------------------

    def case_per_call(self):
        s = json.dumps(self.pkce_settings("A"))
        fk = json.dumps(self.flytekit_args("A"))
        secs = self.p["percall_seconds"]
        token_length = self.results["cases"].get("startup_keyring", {}).get("check", {}).get("C", {}).get(
            "value_length", 808) - len("Bearer ")
        mb = os.path.join(self.bin, "metadata_bench")
        series = {}

        def add(name, kind, value, floor=None):
            series.setdefault(name, {"kind": kind, "ns": [], "floor_ns": []})
            series[name]["ns"].append(value)
            if floor is not None:
                series[name]["floor_ns"].append(floor)

        for _rep in range(self.p["percall"]):
            for threads in (1, 2):
                for variant, extra in (("passthrough", {}), ("keyring PKCE", {"FLYTEAUTH_BENCH_SETTINGS": s})):
                    p = self.run([mb, str(threads), str(secs), str(token_length)], env=self.env(**extra),
                                 timeout=60 + 4 * secs, what="metadata_bench")
                    j = json.loads(p.stdout.strip().splitlines()[-1])
                    if j["errors"]:
                        raise BenchError("metadata_bench: %d errors" % j["errors"])
                    add("C, %d thread%s (%s)" % (threads, "s" if threads > 1 else "", variant), "ours",
                        j["ns_per_call"], j["floor_ns_per_call"])
                    if variant == "keyring PKCE":
                        add("C floor: mutex + strdup/free, %d thread%s" % (threads, "s" if threads > 1 else ""),
                            "base", j["floor_ns_per_call"])
            p = self.run([PY, self.py_prog, "percall", s, str(secs)], timeout=120, what="python percall")
            j = json.loads(p.stdout.strip().splitlines()[-1])
            add("Python binding metadata()", "ours", j["ns_per_call"])
            if self.go:
                p = self.run([self.go, "percall", s, str(secs)], timeout=120, what="go percall")
                j = json.loads(p.stdout.strip().splitlines()[-1])
                add("Go binding Metadata()", "ours", j["metadata_ns_per_call"])
                if j.get("headers_ns_per_call") is not None:
                    add("Go binding Headers()", "ours", j["headers_ns_per_call"])
            p = self.run([PY, self.fk_prog, "percall", fk, str(secs)], timeout=120, what="flytekit percall")
            j = json.loads(p.stdout.strip().splitlines()[-1])
            add("flytekit fetch_grpc_call_auth_metadata()", "theirs", j["ns_per_call"])
        res = self.results["cases"].setdefault("per_call", {})
        # go test's own benchmark of the Go binding (bench/run.sh ran it before this case).
        gp = os.path.join(self.a.out, "%s-go-percall.json" % self.a.stem)
        if os.path.exists(gp):
            with open(gp) as f:
                res["go_test_bench"] = {k: dict(v, stats=summary(v["ns_per_op"])) for k, v in json.load(f).items()}
        res["token_length"] = token_length
        res["seconds_per_measurement"] = secs
        res["ns_per_call"] = {k: v["ns"] for k, v in series.items()}
        res["kinds"] = {k: v["kind"] for k, v in series.items()}
        res["stats"] = {k: summary(v["ns"]) for k, v in series.items()}

    # -- case 4 ----------------------------------------------------------------------

    def storm(self, impl, procs_n, threads):
        if impl == "ours":
            argv = [os.path.join(self.bin, "storm"), json.dumps(self.pkce_settings("A")), str(threads)]
            margin = 0.2
        else:
            argv = [PY, self.fk_prog, "storm", json.dumps(self.flytekit_args("A")), str(threads)]
            margin = 0.3
        self.post("A", "/_test/reset")
        procs = [subprocess.Popen(argv, env=self.env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(procs_n)]
        # A process that never becomes ready is killed, so the readline below returns.
        watchdog = threading.Timer(120, lambda: [p.kill() for p in procs if p.poll() is None])
        watchdog.start()
        try:
            for p in procs:
                line = p.stdout.readline()
                if line.strip() != "ready":
                    raise BenchError("storm process (%s) not ready: %s" % (impl, p.stderr.read()[-1500:]))
            watchdog.cancel()
            before = self.counts("A")
            start = time.monotonic_ns() + int(margin * 1e9)
            for p in procs:
                p.stdin.write("%d\n" % start)
                p.stdin.flush()
            outs = []
            for p in procs:
                out, err = p.communicate(timeout=120)
                lines = [l for l in out.splitlines() if l.startswith("{")]
                if not lines:
                    raise BenchError("storm process (%s) exit %s: %s" % (impl, p.returncode, err.strip()[-1500:]))
                outs.append(json.loads(lines[-1]))
        finally:
            watchdog.cancel()
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
        time.sleep(0.5)  # anything still in flight reaches the counters
        after = self.counts("A")
        requests = after["token_total"] - before["token_total"]
        fps = sorted({f for o in outs for f in o["fps"]})
        olds = {o["old"] for o in outs}
        out = {"token_requests": requests, "by_grant": after["token"], "distinct_tokens_after": len(fps),
               "rejected_token_returned": bool(olds & set(fps)), "max_ms": max(o["max_ms"] for o in outs),
               "all_ok": all(o["ok"] for o in outs)}
        if impl == "theirs":
            oc = {}
            for o in outs:
                for k, v in o["outcomes"].items():
                    oc[k] = oc.get(k, 0) + v
            out["outcomes"] = oc
            # Threads that sent a refresh request (a `login` outcome sent none: no refresh token).
            out["attempts"] = procs_n * threads - oc.get("login", 0)
        elif not out["all_ok"] or len(fps) != 1 or out["rejected_token_returned"]:
            raise BenchError("libflyteauth storm %dx%d: callers did not all get one new token: %s"
                             % (procs_n, threads, out))
        return out

    def case_storm(self):
        res = self.results["cases"].setdefault("storm", {"shapes": {}})
        for _rep in range(self.p["storm"]):
            for procs_n, threads in STORM_SHAPES:
                for impl in ("ours", "theirs"):
                    key = "%dx%d" % (procs_n, threads)
                    r = self.storm(impl, procs_n, threads)
                    res["shapes"].setdefault(key, {"ours": [], "theirs": []})[impl].append(r)
        for v in res["shapes"].values():
            for impl in ("ours", "theirs"):
                v[impl + "_requests"] = summary([r["token_requests"] for r in v[impl]])
                if impl == "theirs":
                    v["theirs_attempts"] = summary([r["attempts"] for r in v[impl]])
                v[impl + "_storm_ms"] = summary([r["max_ms"] for r in v[impl]])

    # -- case 5 ----------------------------------------------------------------------

    def case_expiry(self):
        self.login("B")
        s = json.dumps(self.pkce_settings("B"))
        secs = self.p["expiry"]
        window = self.p["window"]
        self.post("B", "/_test/reset")
        argv = [os.path.join(self.bin, "expiry_bench"), s, str(secs), "2", "500", str(window)]
        t_spawn = time.monotonic()
        p = subprocess.Popen(argv, env=self.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        half = secs / 2.0
        switched_at = None
        try:
            # The program's clock starts after its first header (well under a second).
            end = t_spawn + half
            while time.monotonic() < end and p.poll() is None:
                time.sleep(0.1)
            if p.poll() is None:
                self.post("B", "/_test/delay?seconds=%g&n=all" % IDP_DELAY_S)
                switched_at = time.monotonic() - t_spawn
            out, err = p.communicate(timeout=secs + 120)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        counts = self.counts("B")
        self.post("B", "/_test/reset")
        lines = [l for l in out.splitlines() if l.startswith("{")]
        if p.returncode != 0 or not lines:
            raise BenchError("expiry_bench exit %s: %s" % (p.returncode, err.strip()[-1500:]))
        j = json.loads(lines[-1])
        res = self.results["cases"].setdefault("expiry", {})
        res.update({"seconds": secs, "token_lifetime_s": 4, "idp_delay_second_half_s": IDP_DELAY_S,
                    "delay_switched_at_s": switched_at, "callers": j["callers"], "interval_us": j["interval_us"],
                    "library": j["library"], "control": j["control"], "errors": j["errors"],
                    "expired_returned": j["expired_returned"], "token_changes_seen": j["token_changes_thread0"],
                    "token_requests": counts["token_total"], "token_requests_by_grant": counts["token"],
                    "slow_calls": j["slow_calls"][:50], "control_slow_calls": j["control_slow_calls"][:50],
                    "windows": j["windows"]})
        # Halves: windows wholly before / after the switch (the straddling one is left out).
        if switched_at is not None:
            fast = [w for w in j["windows"] if w["from_s"] + window <= switched_at - 0.5]
            slow = [w for w in j["windows"] if w["from_s"] >= switched_at]
            res["fast_idp_windows"] = len(fast)
            res["slow_idp_windows"] = len(slow)
            for name, ws in (("fast_idp", fast), ("slow_idp", slow)):
                if ws:
                    res[name] = {"max_ns": max(w["library"]["max_ns"] for w in ws),
                                 "p99_ns_worst_window": max(w["library"]["p99_ns"] for w in ws),
                                 "over_1ms": sum(w["library"]["over_1ms"] for w in ws),
                                 "over_50ms": sum(w["library"]["over_50ms"] for w in ws),
                                 "control_over_1ms": sum(w["control"]["over_1ms"] for w in ws)}
        res["window_p99_ns"] = summary([w["library"]["p99_ns"] for w in j["windows"] if w["library"]["calls"]])
        if j["errors"]:
            raise BenchError("expiry_bench: %d failed calls" % j["errors"])
        if j["token_changes_thread0"] < 1 and secs >= 8:
            raise BenchError("expiry_bench: the token never changed in %d s with 4 s tokens" % secs)

    # -- case 6 ----------------------------------------------------------------------

    def case_footprint(self):
        res = self.results["cases"].setdefault("footprint", {})
        real = os.path.realpath(self.lib)
        res["so_path"] = real
        res["so_bytes_as_staged"] = os.path.getsize(real)
        copy = os.path.join(self.tmp, "libflyteauth.stripped.so")
        shutil.copyfile(real, copy)
        p = subprocess.run(["strip", "--strip-all", copy], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        res["so_bytes_strip_all"] = os.path.getsize(copy) if p.returncode == 0 else None
        st = self.stacks["A"]
        variants = {
            "kernel tier PKCE (token from the kernel keyring)": json.dumps(self.pkce_settings("A")),
            "Secret Service PKCE (kernel tier off)": json.dumps(dict(self.pkce_settings("A"), kernel_keyring="off")),
            "client credentials (one token request)": json.dumps({
                "endpoint": st["endpoint"], "insecure": True, "auth_type": "ClientSecret",
                "client_id": st["service_client_id"], "client_secret_env_var": "BENCH_CLIENT_SECRET",
                "keyring": False, "kernel_keyring": "off"}),
        }
        env = self.env(BENCH_CLIENT_SECRET=st["service_client_secret"])
        res["variants"] = {}
        for name, s in variants.items():
            runs = []
            for _ in range(self.p["footprint"]):
                p = self.run([os.path.join(self.bin, "footprint"), real, s], env=env, what="footprint")
                runs.append(json.loads(p.stdout.strip().splitlines()[-1]))
            res["variants"][name] = {
                "runs": runs,
                "added_by_dlopen_kb": summary([r["added_by_dlopen_kb"] for r in runs]),
                "added_total_kb": summary([r["added_total_kb"] for r in runs]),
                "rss_before_kb": summary([r["rss_before_kb"] for r in runs]),
                "rss_anon_kb": summary([r["rss_anon_kb"] for r in runs]),
                "pss_added_kb": summary([r["pss_after_kb"] - r["pss_before_kb"] for r in runs]),
                "rss_file_kb": summary([r["rss_file_kb"] for r in runs]),
                "dlopen_ms": summary([r["dlopen_ms"] for r in runs]),
                "client_new_ms": summary([r["client_new_ms"] for r in runs]),
                "first_header_ms": summary([r["first_header_ms"] for r in runs]),
                "rss_by_mapping_kb": runs[len(runs) // 2]["rss_by_mapping_kb"],
                "shared_objects": runs[len(runs) // 2].get("shared_objects", []),
            }

    def main(self):
        t_start = time.time()
        self.results["date"] = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
        self.results["started_at"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        self.results["parameters"] = dict(self.p, storm_shapes=STORM_SHAPES, idp_delay_s=IDP_DELAY_S)
        self.facts()
        try:
            self.start_stacks()
            self.login("A")
            self.case("startup_keyring", self.case_startup)
            self.case("startup_client_credentials", self.case_client_credentials)
            self.case("per_call", self.case_per_call)
            self.case("footprint", self.case_footprint)
            self.case("storm", self.case_storm)
            self.case("expiry", self.case_expiry)
        except Exception as e:  # noqa: BLE001 - setup failures end the run, reported
            self.errors.append("setup: %s: %s" % (type(e).__name__, e))
            self.log("ERROR setup: %s" % e)
        finally:
            self.stop_stacks()
        self.results["machine"]["loadavg_end"] = list(os.getloadavg())
        self.results["duration_s"] = round(time.time() - t_start, 1)
        self.targets()
        os.makedirs(self.a.out, exist_ok=True)
        stem = self.a.stem
        json_path = os.path.join(self.a.out, stem + ".json")
        png_path = os.path.join(self.a.out, stem + ".png")
        tmp = json_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.results, f, indent=1, sort_keys=False)
            f.write("\n")
        os.replace(tmp, json_path)
        try:
            self.chart(png_path + ".tmp")
            os.replace(png_path + ".tmp", png_path)
        except Exception as e:  # noqa: BLE001
            self.errors.append("chart: %s: %s" % (type(e).__name__, e))
        if self.a.markdown:
            md_dir = os.path.dirname(os.path.abspath(self.a.markdown))
            png_rel = os.path.relpath(png_path, md_dir)
            text = self.markdown(os.path.relpath(json_path, md_dir), png_rel)
            with open(self.a.markdown + ".tmp", "w") as f:
                f.write(text)
            os.replace(self.a.markdown + ".tmp", self.a.markdown)
        self.print_summary()
        print("\nresults: %s\nchart:   %s%s" % (json_path, png_path,
                                               "\nreport:  %s" % self.a.markdown if self.a.markdown else ""))
        return 1 if self.errors else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=sorted(MODES), default="full")
    ap.add_argument("--bin", required=True)
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--stem", required=True)
    ap.add_argument("--stage", required=True, help="the staged build to use (run.sh passes a snapshot)")
    ap.add_argument("--stage-origin", help="where the snapshot was taken from (for the report)")
    ap.add_argument("--markdown")
    ap.add_argument("--command", default="bash bench/run.sh")
    ap.add_argument("--python-impl", default="binding")
    ap.add_argument("--go-impl", default="binding")
    a = ap.parse_args()

    def on_term(signum, _frame):
        raise SystemExit(128 + signum)

    # run.sh forwards an interrupt as SIGTERM to this pid; the finally blocks stop the servers.
    signal.signal(signal.SIGTERM, on_term)
    with open(os.path.join(a.tmp, "bench.pid"), "w") as f:
        f.write("%d\n" % os.getpid())
    b = Bench(a)
    try:
        return b.main()
    finally:
        b.stop_stacks()


if __name__ == "__main__":
    sys.exit(main())
