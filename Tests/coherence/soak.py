"""The soak: one login kept by every tool for SECONDS while everything refreshes.

    python soak.py [--seconds 600]     (make soak; a 60-s run is part of make test)

20-s access tokens from glewlwyd rotating refresh tokens (one use). 4 processes x 8
threads of libflyteauth (the Python binding, kernel tier on in this session's keyring)
ask for the token all the time; flytekit and flyte-sdk refresh through their own code on
their own schedule; the gnome-keyring daemon is stopped and started once; one
libflyteauth process is SIGKILLed in the middle of a refresh (its request held at the
Flyte front, which does not forward a request whose client has gone). Figures printed at
the end; the run fails on any stale refresh token sent, lost login, refusal or new login.

flytekit and flyte-sdk do not know libflyteauth's lock: two programs presenting the same
one-use refresh token at the same moment is a race no library can win. So each of their
refreshes runs under libflyteauth's lock file, after one libflyteauth read (as any
`flyteauth` or program start does) that adopts and mirrors the newest tokens into their
layouts (they do not read each other's items).
"""
import argparse
import fcntl
import glob
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

from world import KERNEL_BOUND, World

TOKEN_SECONDS = 20
PROCESSES, THREADS, PAUSE = 4, 8, 0.25


class Soak:
    def __init__(self, seconds, tmp):
        self.seconds = seconds
        self.w = World(tmp, TOKEN_SECONDS)
        self.events = []
        self.workers = []
        self.results = []
        self.victims = []
        self.replacements = 0
        self.killed = None
        self.keyring_away = None
        self.tool_refreshes = {"flytekit": 0, "flyte-sdk": 0}
        self.start = None

    def log(self, what):
        self.events.append("%6.1f s  %s" % (time.monotonic() - self.start, what))

    def worker(self, seconds):
        argv = [sys.executable, os.path.join(os.path.dirname(__file__), "soak_worker.py"), json.dumps(self.w.settings),
                str(THREADS), "%.1f" % seconds, str(PAUSE)]
        p = subprocess.Popen(argv, env=self.w.env(True), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.workers.append(p)
        return p

    def lock_files(self):
        return sorted(glob.glob(os.path.join(self.w.session.runtime_dir, "flyteauth", "*.lock")))

    def propagate(self, kernel):
        """One libflyteauth read: adopts what a tool stored, mirrors it into every layout."""
        p = self.w.cli(["token"], kernel, check=False)
        assert p.returncode == 0, "flyteauth token: %s" % p.stderr[-500:]

    def tool_refresh(self, name):
        self.propagate(False)
        files = [open(f, "a") for f in self.lock_files()]
        try:
            for f in files:
                fcntl.flock(f, fcntl.LOCK_EX)
            self.w.tools[name]("refresh")
            self.tool_refreshes[name] += 1
        finally:
            for f in files:
                f.close()

    def restart_keyring(self):
        # After a read past the kernel tier's bound, so the kernel key holds the newest
        # tokens while the Secret Service is away.
        time.sleep(KERNEL_BOUND + 0.1)
        self.propagate(True)
        self.keyring_away = self.w.session.restart_keyring()
        self.log("gnome-keyring-daemon restarted (away %.2f s)" % self.keyring_away)

    def pid_of_peer(self, port, candidates):
        inode = None
        with open("/proc/net/tcp") as f:
            for line in f.readlines()[1:]:
                parts = line.split()
                if int(parts[1].split(":")[1], 16) == port:
                    inode = parts[9]
        for p in candidates:
            if p.poll() is not None:
                continue
            try:
                for fd in os.listdir("/proc/%d/fd" % p.pid):
                    if os.readlink("/proc/%d/fd/%s" % (p.pid, fd)) == "socket:[%s]" % inode:
                        return p
            except OSError:
                continue
        return None

    def kill_mid_refresh(self, remaining):
        """Holds the next token request at the front and SIGKILLs the libflyteauth process
        that sent it: a fifth process forcing a refresh now (or a worker, if its own
        refresh comes first; then a replacement is started)."""
        front = self.w.stack.front
        front.abort_if_client_gone = True
        front.delay_next(4.0, n=1)
        victim = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__), "lf_driver.py"),
                                   json.dumps(self.w.settings)], env=self.w.env(True), stdin=subprocess.PIPE,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
        self.victims.append(victim)
        victim.stdin.write(json.dumps({"cmd": "refresh"}) + "\n")
        victim.stdin.flush()
        deadline = time.monotonic() + 60
        peer = None
        while peer is None and time.monotonic() < deadline:
            peer = front.delayed_peer()
            time.sleep(0.05)  # polling the front's state, not waiting for time to pass
        assert peer is not None, "no libflyteauth refresh reached the front"
        target = self.pid_of_peer(peer[1], self.workers + [victim])
        assert target is not None, "the held request is a libflyteauth process's"
        target.send_signal(signal.SIGKILL)
        target.wait(timeout=30)
        self.killed = target.pid
        self.log("SIGKILLed libflyteauth process %d in the middle of its refresh" % target.pid)
        while front.delayed_peer() is not None:
            time.sleep(0.05)
        front.abort_if_client_gone = False
        if target is not victim:
            self.replacements += 1
            self.worker(max(1.0, remaining()))
        if victim.poll() is None:
            victim.stdin.close()  # it finishes its refresh and exits
            victim.wait(timeout=120)

    def run(self):
        w = self.w
        w.cli(["login"], True)
        self.start = time.monotonic()
        self.wall_start = time.time()
        end = self.start + self.seconds
        remaining = lambda: end - time.monotonic()  # noqa: E731
        for _ in range(PROCESSES):
            self.worker(self.seconds)
        rnd = random.Random(1)
        restarted = killed = False
        schedule = {"flytekit": self.start + rnd.uniform(2, 6), "flyte-sdk": self.start + rnd.uniform(2, 6)}
        while remaining() > 3:
            if not restarted and remaining() < self.seconds * 0.6:
                self.restart_keyring()
                restarted = True
                continue
            if not killed and remaining() < self.seconds * 0.35:
                self.kill_mid_refresh(remaining)
                killed = True
                continue
            name = min(schedule, key=schedule.get)
            time.sleep(max(0.0, min(schedule[name], end - 3) - time.monotonic()))
            if remaining() <= 3:
                break
            self.tool_refresh(name)
            self.log("%s refreshed" % name)
            schedule[name] = time.monotonic() + rnd.uniform(10, 22)
        for p in self.workers:
            out, err = p.communicate(timeout=self.seconds + 120)
            if p.pid == self.killed:
                continue
            assert p.returncode == 0, err[-1000:]
            self.results.append(json.loads(out.splitlines()[-1]))
        time.sleep(KERNEL_BOUND + 0.1)
        self.propagate(True)
        return self.figures()

    def figures(self):
        stats = self.w.stats()
        state = self.w.logged_in()
        calls = sum(r["calls"] for r in self.results)
        errors = {}
        for r in self.results:
            for k, v in r["errors"].items():
                errors[k] = errors.get(k, 0) + v
        return {
            "seconds": self.seconds, "libflyteauth_processes": PROCESSES, "threads": THREADS,
            "calls": calls, "lost_logins": sum(r["login_required"] for r in self.results)
            + sum(1 for v in state.values() if v != "live"),
            "call_errors": errors, "slowest_call_ms": max((r["slowest_ms"] for r in self.results), default=0),
            "refresh_requests": stats["requests"], "rotations": stats["rotations"], "stale_refresh_tokens": stats["stale"],
            "refused": stats["refused"], "logins_after_the_first": stats["logins"] - 1,
            "tool_refreshes": self.tool_refreshes, "keyring_restarts": 1 if self.keyring_away is not None else 0,
            "killed_mid_refresh": 1 if self.killed else 0, "requests_aborted_at_front": self.w.stack.front.aborted(),
            "chain": ["%.1f s %s" % (float(x.split(" ", 1)[0]) - self.wall_start, x.split(" ", 1)[1]) for x in stats["log"]],
            "layouts": state, "stale_senders": [x.rsplit(" at ", 1)[0] + " at %.1f s" % (float(x.rsplit(" at ", 1)[1]) - self.wall_start)
                                                for x in stats["stale_senders"]],
        }

    def stop(self):
        for p in self.workers + self.victims:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=10)
        self.w.stop()


def check(f):
    failures = []
    for key in ("stale_refresh_tokens", "lost_logins", "refused", "logins_after_the_first"):
        if f[key]:
            failures.append("%s: %s" % (key, f[key]))
    if f["call_errors"]:
        failures.append("call errors: %s" % f["call_errors"])
    # Every refresh that reached the IdP rotated the token it presented (the one held at
    # the front while its sender was killed never reached it).
    if f["rotations"] != f["refresh_requests"] - f["requests_aborted_at_front"]:
        failures.append("the chain broke: %d refresh requests (%d never forwarded), %d rotations"
                        % (f["refresh_requests"], f["requests_aborted_at_front"], f["rotations"]))
    if not (f["keyring_restarts"] == 1 and f["killed_mid_refresh"] == 1 and f["requests_aborted_at_front"] == 1):
        failures.append("the faults did not all happen: %s" % f)
    return failures


def run(seconds):
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        s = Soak(seconds, tmp)
        try:
            f = s.run()
        finally:
            s.stop()
        return f, s.events


def report(f, events):
    lines = ["soak: %d s, %d libflyteauth processes x %d threads, 20-s tokens, rotating refresh tokens"
             % (f["seconds"], f["libflyteauth_processes"], f["threads"])]
    for k in ("calls", "slowest_call_ms", "refresh_requests", "rotations", "stale_refresh_tokens", "refused",
              "logins_after_the_first", "lost_logins", "call_errors", "tool_refreshes", "keyring_restarts",
              "killed_mid_refresh", "requests_aborted_at_front", "layouts", "stale_senders"):
        lines.append("  %-26s %s" % (k, f[k]))
    lines += ["  " + e for e in events]
    if check(f):
        lines += ["  refresh requests at the front (sent -> issued, status):"] + ["    " + c for c in f["chain"]]
    return "\n".join(lines)


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--seconds", type=float, default=600)
    args = a.parse_args()
    f, events = run(args.seconds)
    print(report(f, events), flush=True)
    failures = check(f)
    if failures:
        print("soak FAILED: " + "; ".join(failures), flush=True)
        sys.exit(1)
    print("soak: ok", flush=True)


if __name__ == "__main__":
    main()
