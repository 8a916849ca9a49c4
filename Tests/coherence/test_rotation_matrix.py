"""The cross-tool rotation matrix: one login kept by every tool while each rotates it.

An IdP that rotates refresh tokens (glewlwyd, `refresh-token-one-use: always`, 6-s access
tokens) and a Flyte front counting every refresh request that carries a refresh token the
IdP had already rotated. For the kernel tier on (this session's keyring, Tests/coherence/
run.sh runs pytest inside `keyctl session -`) and off, the Secret Service on:

- forward: flytekit or flyte-sdk refreshes through its own code, then libflyteauth acts:
  a long-running process at its refresh point, a new process forcing a refresh
  (`flyteauth token --refresh`), a call whose token is rejected, `flyteauth token`;
- reverse: libflyteauth acts first, then the tool refreshes through its own code.

Per cell: stale refresh tokens sent (0), refreshes refused (0), new logins (0: a tool
that lost its login would log in again through the scripted browser), tokens served
after a rejection (0), and whether every layout (ours, flytekit's, flyte-sdk's) holds the
live refresh token after the next libflyteauth read. One login for the whole module: the
chain of refresh tokens runs through every cell. The table is printed.
"""
import time

import pytest

from world import World, sha

TOKEN_SECONDS = 6
TOOLS = ["flytekit", "flyte-sdk"]
LONG, FORCED, REJECTED, TOKEN = ("long-running at refresh point", "token --refresh", "rejected call", "flyteauth token")
ACTIONS = [LONG, FORCED, REJECTED, TOKEN]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = World(str(tmp_path_factory.mktemp("coherence")), TOKEN_SECONDS)
    try:
        w.cli(["login"], kernel=True)
        yield w
    finally:
        w.stop()


def wait_until(t):
    """The engine's rules are in wall-clock time (a token's hard deadline, the kernel
    tier's bound): a cell that tests one waits for that moment to pass."""
    delay = t - time.time()
    if delay > 0:
        time.sleep(delay)


def run_cell(w, kernel, tool, action, reverse):
    """No libflyteauth refresh runs while the tool refreshes: they share no lock, and that
    race (two programs presenting the same one-use token) is not libflyteauth's to win.
    libflyteauth's processes end on their own (finishing any refresh they began)."""
    before = w.stats()
    pre = w.layouts()["libflyteauth"][0]
    served_rejected = 0
    lr = None
    # Started before the tool's refresh with a token of its own, fresh (a forced refresh
    # in the foreground): it makes no call until its refresh point.
    held = None
    if action == LONG:
        lr = w.long_running(kernel)
        held = lr("refresh")
    tool_done = None
    if action == TOKEN and kernel and not reverse:
        # A kernel key confirmed just now: without the change witness it would serve the
        # replaced token for the next two seconds.
        w.cli(["token"], kernel)
    if not reverse:
        w.tools[tool]("refresh")
        tool_done = time.time()
    try:
        if action == LONG:
            # Past the token's hard deadline: this call runs the refresh (or adopts).
            wait_until(held["expires_at"] - 0.3)
            lr("token")
        elif action == FORCED:
            w.cli(["token", "--refresh"], kernel)
        elif action == REJECTED:
            lr = w.long_running(kernel)
            held = lr("token")
            got = lr("reject")
            assert got["sha"] != held["sha"], "a rejected token is replaced"
            # Every reader after the rejection: this process, a new process, the CLI.
            again = [lr("token")["sha"]]
            other = w.long_running(kernel)
            try:
                again.append(other("token")["sha"])
            finally:
                other.stop()
            again.append(sha(w.cli(["token"], kernel).stdout.strip()))
            served_rejected = sum(1 for s in again if s == held["sha"])
        elif action == TOKEN:
            # At once, no bound to wait for: the tool's write moved gnome-keyring's change
            # witness, so the kernel key is checked before it is served.
            got = sha(w.cli(["token"], kernel).stdout.strip())
            if tool_done is not None:
                assert got != sha(pre), "the token the tool replaced is never served, not even by the kernel tier"
    finally:
        if lr:
            lr.stop()
    if reverse:
        w.tools[tool]("refresh")
    # The next libflyteauth read: it adopts what a tool stored and mirrors it everywhere.
    w.cli(["token"], kernel)
    state = w.logged_in()
    after = w.stats()
    return {"stale": after["stale"] - before["stale"], "refused": after["refused"] - before["refused"],
            "logins": after["logins"] - before["logins"], "refreshes": after["requests"] - before["requests"],
            "requests": after["token_requests"] - before["token_requests"], "served_rejected": served_rejected,
            "logged_in": state, "stale_senders": after["stale_senders"][len(before["stale_senders"]):]}


def test_rotation_matrix(world, capsys):
    rows, failures = [], []
    for kernel in (True, False):
        for reverse in (False, True):
            for tool in TOOLS:
                for action in ACTIONS:
                    r = run_cell(world, kernel, tool, action, reverse)
                    order = ("libflyteauth: %s, then %s refreshes" % (action, tool)) if reverse \
                        else ("%s refreshes, then libflyteauth: %s" % (tool, action))
                    name = "kernel %-3s | %s" % ("on" if kernel else "off", order)
                    rows.append((name, r))
                    out = [k for k, v in r["logged_in"].items() if v != "live"]
                    if r["stale"] or r["refused"] or r["logins"] or r["served_rejected"] or out:
                        failures.append("%s: %s" % (name, r))
    lines = ["%-78s %6s %6s %7s %8s %6s %9s  %s" % ("cell", "stale", "refused", "logins", "refreshes", "total",
                                                   "rejected", "logged in (ours, flytekit, flyte-sdk)")]
    for name, r in rows:
        lines.append("%-78s %6d %6d %7d %8d %6d %9d  %s" % (
            name, r["stale"], r["refused"], r["logins"], r["refreshes"], r["requests"], r["served_rejected"],
            ", ".join(r["logged_in"][k] for k in ("libflyteauth", "flytekit", "flyte-sdk"))))
    total = world.stats()
    lines.append("whole run: %d refresh requests, %d stale refresh tokens sent, %d refused, %d logins after the first"
                 % (total["requests"], total["stale"], total["refused"], total["logins"] - 1))
    with capsys.disabled():
        print("\nrequests at the IdP per cell (stale: refresh requests carrying a refresh token the IdP had rotated; "
              "rejected: tokens served after a rejection)\n" + "\n".join(lines))
    assert not failures, failures
    assert total["stale"] == 0 and total["logins"] == 1
