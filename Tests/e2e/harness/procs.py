"""Stopping processes by pid, boundedly (SIGTERM, wait, SIGKILL)."""
import os
import signal
import time


def stop_pid(pid, timeout=5.0, expect=None):
    """SIGTERM pid, wait (bounded), then SIGKILL. Only signals a process whose
    /proc/PID/cmdline contains `expect` (when given), so a recycled pid is never hit.
    Works for children (reaped via waitpid) and non-children alike."""
    if not pid:
        return
    if expect is not None:
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                if expect.encode() not in f.read():
                    return
        except OSError:
            return
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 2.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
                if done == pid:
                    return
            except ChildProcessError:  # not our child: poll for existence
                if not pid_alive(pid):
                    return
            time.sleep(0.05)


def pid_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            # state field after the ")" of comm; Z = zombie counts as dead
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False
