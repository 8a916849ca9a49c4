"""Command line for C, Go and shell tests.

    python3 -m harness up --state FILE [--access-token-duration N] [--refresh-one-use]
                          [--redirect-port P ...] [--no-flyte1] [--no-flyte2]
                          [--max-seconds S] [--timeout T]
    python3 -m harness down --state FILE

(run from Tests/e2e, or with Tests/e2e on PYTHONPATH)

`up` starts glewlwyd and the Flyte front in a background process, writes FILE
(JSON, mode 0600; it holds the test secrets) when everything answers, and exits
0; otherwise it exits 1 with the reason and the log tail. The background
process stops itself after --max-seconds (default 1800). Its log is FILE.log.
`down` stops it (and glewlwyd) by pid and removes FILE.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

from .procs import pid_alive, stop_pid

E2E_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except (OSError, TypeError):
        return ""


def _read_state(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _write_state(path, state):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(state, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def _tail(path, lines=25):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return "(no log)"


def _is_server(pid, state_path):
    cmd = _cmdline(pid)
    return pid_alive(pid) and "harness" in cmd and "serve" in cmd and os.path.abspath(state_path) in cmd


def _stack_args(a):
    args = ["--access-token-duration", str(a.access_token_duration),
            "--refresh-token-duration", str(a.refresh_token_duration),
            "--max-seconds", str(a.max_seconds), "--front-port", str(a.front_port)]
    if a.refresh_one_use:
        args.append("--refresh-one-use")
    for p in a.redirect_port or []:
        args += ["--redirect-port", str(p)]
    if a.no_flyte1:
        args.append("--no-flyte1")
    if a.no_flyte2:
        args.append("--no-flyte2")
    return args


def _cleanup_idp(st):
    """If the server could not clean up (it was SIGKILLed), stop its glewlwyd by pid
    (only if that pid still runs glewlwyd with this state's temp dir) and remove the dir."""
    gpid, gdir = st.get("glewlwyd_pid"), st.get("glewlwyd_dir")
    if gpid and gdir:
        stop_pid(gpid, timeout=5, expect=gdir)
        shutil.rmtree(gdir, ignore_errors=True)


def cmd_up(a):
    state_path = os.path.abspath(a.state)
    old = _read_state(state_path)
    if old and _is_server(old.get("pid", 0), state_path):
        print("harness: already up (pid %d) for %s; run `down` first" % (old["pid"], state_path),
              file=sys.stderr)
        return 1
    if old:  # stale: its server is gone; make sure its glewlwyd is too
        _cleanup_idp(old)
    for p in (state_path, state_path + ".log"):
        if os.path.exists(p):
            os.unlink(p)
    env = dict(os.environ)
    env["PYTHONPATH"] = E2E_DIR + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    log = open(state_path + ".log", "ab")
    try:
        child = subprocess.Popen(
            [sys.executable, "-m", "harness", "serve", "--state", state_path] + _stack_args(a),
            cwd=E2E_DIR, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
    finally:
        log.close()
    deadline = time.monotonic() + a.timeout
    while time.monotonic() < deadline:
        st = _read_state(state_path)
        if st and st.get("pid") == child.pid:
            print("harness: up; endpoint %s, idp %s, pid %d, state %s"
                  % (st["endpoint"], st["idp"], child.pid, state_path))
            return 0
        if child.poll() is not None:
            print("harness: failed to start (exit %s); log %s.log:\n%s"
                  % (child.returncode, state_path, _tail(state_path + ".log")), file=sys.stderr)
            return 1
        time.sleep(0.1)
    stop_pid(child.pid, timeout=10)
    print("harness: not ready after %.1f s; stopped it. log %s.log:\n%s"
          % (a.timeout, state_path, _tail(state_path + ".log")), file=sys.stderr)
    return 1


def cmd_down(a):
    state_path = os.path.abspath(a.state)
    st = _read_state(state_path)
    if not st:
        print("harness: no state in %s; nothing to stop" % state_path)
        return 0
    pid = st.get("pid")
    if pid and _is_server(pid, state_path):
        stop_pid(pid, timeout=15)
    _cleanup_idp(st)
    if os.path.exists(state_path):
        os.unlink(state_path)
    print("harness: down (pid %s)" % pid)
    return 0


def cmd_serve(a):
    from .stack import start_stack

    stop = threading.Event()

    def on_signal(signum, _frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    state_path = os.path.abspath(a.state)
    stack = None
    try:
        stack = start_stack(access_token_duration=a.access_token_duration,
                            refresh_token_duration=a.refresh_token_duration,
                            refresh_one_use=a.refresh_one_use, redirect_ports=a.redirect_port or (),
                            flyte1=not a.no_flyte1, flyte2=not a.no_flyte2, front_port=a.front_port)
        if stop.is_set():
            return 0
        state = stack.state
        state.update(pid=os.getpid(), log=state_path + ".log", started_at=time.time(),
                     max_seconds=a.max_seconds,
                     reset_url=stack.endpoint + "/_test/reset", fail_url=stack.endpoint + "/_test/fail",
                     delay_url=stack.endpoint + "/_test/delay", config_url=stack.endpoint + "/_test/config",
                     requests_url=stack.endpoint + "/_test/requests")
        _write_state(state_path, state)
        print("serve: ready, endpoint %s, idp %s" % (stack.endpoint, stack.idp.url), flush=True)
        if not stop.wait(a.max_seconds):
            print("serve: --max-seconds %d reached, stopping" % a.max_seconds, flush=True)
        else:
            print("serve: signal received, stopping", flush=True)
        return 0
    except Exception as e:  # noqa: BLE001 - reported to the log, `up` shows the tail
        print("serve: %s: %s" % (type(e).__name__, e), flush=True)
        return 1
    finally:
        if stack is not None:
            stack.stop()
        st = _read_state(state_path)
        if st and st.get("pid") == os.getpid():
            os.unlink(state_path)


def cmd_approve_pkce(a):
    """Play the person for a PKCE login whose authorization URL the library handed out."""
    from . import user
    import urllib.parse
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(a.url).query)
    redirect_uri = q["redirect_uri"][0]
    base = redirect_uri.split("?")[0]
    root = base[: base.index("/", len("http://"))]
    if a.stray:
        # What browsers and port scanners do before the real redirect arrives.
        for path in ("/favicon.ico", "/", "/callback-not"):
            status, _ = user.deliver(root + path)
            print("stray %s -> %d" % (path, status))
        status, _ = user.deliver(base + "?code=forged&state=not-the-state")
        print("wrong state -> %d" % status)
    if a.deny:
        status, _ = user.deny_pkce(a.url)
    elif a.wrong_state_only:
        status, _ = user.deliver(base + "?code=forged&state=not-the-state")
    else:
        status, _ = user.approve_pkce(a.url)
    print("callback -> %d" % status)
    return 0 if status in (200, 400) else 1


def cmd_approve_device(a):
    from . import user
    user.approve_device(a.code, a.idp)
    print("device approved")
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m harness", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("up", "serve"):
        p = sub.add_parser(name, help="start the stack" if name == "up" else argparse.SUPPRESS)
        p.add_argument("--state", required=True, help="state file (JSON) to write")
        p.add_argument("--access-token-duration", type=int, default=5, metavar="N",
                       help="access token lifetime in seconds (default 5)")
        p.add_argument("--refresh-token-duration", type=int, default=1209600, metavar="N")
        p.add_argument("--refresh-one-use", action="store_true",
                       help="rotate refresh tokens (glewlwyd refresh-token-one-use=always)")
        p.add_argument("--redirect-port", type=int, action="append", metavar="P",
                       help="register http://localhost:P/callback and http://127.0.0.1:P/callback")
        p.add_argument("--no-flyte1", action="store_true", help="no grpc-gateway discovery GETs")
        p.add_argument("--no-flyte2", action="store_true", help="no ConnectRPC discovery POSTs")
        p.add_argument("--front-port", type=int, default=0, help="front port (default: a free one)")
        p.add_argument("--max-seconds", type=int, default=1800, help="lifetime cap (default 1800)")
        p.add_argument("--timeout", type=float, default=30.0, help="readiness wait for up (default 30)")
    p = sub.add_parser("down", help="stop the stack started by up")
    p.add_argument("--state", required=True)
    p = sub.add_parser("approve-pkce", help="log in and consent as the test user, then follow the redirect")
    p.add_argument("--url", required=True, help="the authorization URL the client opened")
    p.add_argument("--stray", action="store_true", help="first send a favicon, a wrong path and a wrong state")
    p.add_argument("--deny", action="store_true", help="refuse (error=access_denied)")
    p.add_argument("--wrong-state-only", action="store_true", help="only send a callback with a wrong state")
    p = sub.add_parser("approve-device", help="approve a device login as the test user")
    p.add_argument("--code", required=True)
    p.add_argument("--idp", required=True, help="the IdP base URL or the verification URI")
    a = ap.parse_args(argv)
    return {"up": cmd_up, "down": cmd_down, "serve": cmd_serve, "approve-pkce": cmd_approve_pkce,
            "approve-device": cmd_approve_device}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
