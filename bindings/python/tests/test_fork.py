"""After os.fork(): a Client made before the fork raises ForkedError in the child, at
once, even with a cached token; a new Client in the child works; the parent's is fine."""
import json
import os
import select
import signal
import time

import pytest

import flyteauth
from helpers import require

CHILD_TIMEOUT = 20.0


def run_in_child(fn):
    """Run fn() in a forked child; return (its JSON-able result, seconds taken)."""
    r, w = os.pipe()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        try:
            os.close(r)
            try:
                result = fn()
            except BaseException as e:  # noqa: BLE001
                result = {"unexpected": type(e).__name__, "message": str(e)[:300]}
            os.write(w, json.dumps(result).encode())
        finally:
            os._exit(0)
    os.close(w)
    chunks = []
    try:
        deadline = started + CHILD_TIMEOUT
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                os.kill(pid, signal.SIGKILL)
                pytest.fail("the child did not finish within %.0f s (hang after fork)" % CHILD_TIMEOUT)
            ready, _, _ = select.select([r], [], [], left)
            if ready:
                data = os.read(r, 65536)
                if not data:
                    break
                chunks.append(data)
    finally:
        os.close(r)
        os.waitpid(pid, 0)
    return json.loads(b"".join(chunks) or b"null"), time.monotonic() - started


def outcome(call):
    t = time.monotonic()
    try:
        call()
        return {"ok": True, "seconds": time.monotonic() - t}
    except flyteauth.FlyteAuthError as e:
        return {"error": type(e).__name__, "status": e.status.name, "message": str(e),
                "seconds": time.monotonic() - t}


def test_client_used_in_a_forked_child(cs_client, cs_settings, front):
    parent_md = cs_client.metadata()  # cached in Python and in the library
    assert cs_client._peek() is parent_md

    def child():
        return {
            "metadata": outcome(cs_client.metadata),
            "headers": outcome(cs_client.headers),
            "token": outcome(cs_client.token),
            "refresh": outcome(lambda: cs_client.refresh(rejected=parent_md[0][1])),
            "login": outcome(cs_client.login),
            "set_token": outcome(lambda: cs_client.set_token("x")),
            "close": outcome(cs_client.close),
            # the remedy: a new client in the child
            "new_client": outcome(lambda: flyteauth.Client(cs_settings).metadata()),
        }

    result, seconds = run_in_child(child)
    assert "unexpected" not in result, result
    for name in ("metadata", "headers", "token", "refresh", "login", "set_token"):
        r = result[name]
        assert r.get("error") == "ForkedError" and r["status"] == "FORKED", (name, r)
        assert "fork" in r["message"] and "new" in r["message"], r["message"]
        assert r["seconds"] < 2, (name, r["seconds"])
    assert result["close"] == {"ok": True, "seconds": result["close"]["seconds"]}
    assert result["new_client"].get("ok"), result["new_client"]
    assert seconds < CHILD_TIMEOUT

    # the parent is unaffected
    require(cs_client.metadata()[0][1].startswith("Bearer "), "parent lost its token")
    assert not cs_client.closed


def test_forked_child_never_gets_the_cached_tuple(cs_client):
    cs_client.metadata()

    def child():
        # the cache entry is still there, but belongs to the parent's pid
        entry = cs_client._cache
        return {"cached_for_parent": entry is not None and entry[0] != os.getpid(),
                "peek": cs_client._peek() is None}

    result, _ = run_in_child(child)
    assert result == {"cached_for_parent": True, "peek": True}


def test_fork_while_another_thread_holds_the_client_lock(cs_client):
    """A lock held by a parent thread at fork time must not hang the child."""
    import threading

    cs_client.metadata()
    held = threading.Event()
    release = threading.Event()

    def holder():
        with cs_client._lock:
            held.set()
            release.wait(10)

    t = threading.Thread(target=holder)
    t.start()
    held.wait(5)
    try:
        result, seconds = run_in_child(lambda: outcome(cs_client.metadata))
    finally:
        release.set()
        t.join()
    assert result.get("error") == "ForkedError", result
    assert seconds < 5
