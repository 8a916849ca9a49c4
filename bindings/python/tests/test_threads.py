"""Thread safety: many threads on one Client across token expiries (4 s tokens)."""
import threading
import time

import flyteauth
from helpers import digest, jwt_exp, require

THREADS = 16
SECONDS = 10.0


def test_sixteen_threads_across_expiries(cs_settings, front):
    with flyteauth.Client(cs_settings) as c:
        stop = time.monotonic() + SECONDS
        errors, expired, calls = [], [], [0] * THREADS
        tokens = set()
        lock = threading.Lock()
        start = threading.Barrier(THREADS)

        def worker(i):
            start.wait()
            n = 0
            local = set()
            try:
                while time.monotonic() < stop:
                    called_at = time.time()
                    md = c.metadata()
                    value = md[0][1]
                    exp = jwt_exp(value)
                    # Valid when asked for: never past the token's own exp claim.
                    if exp is None or exp <= called_at:
                        expired.append(digest(value))
                    if n % 64 == 0:
                        h = c.headers()
                        require(list(h) == ["flyte-authorization"], "headers() key")
                    local.add(value)
                    n += 1
            except Exception as e:  # noqa: BLE001 - collected and asserted below
                errors.append(repr(e))
            calls[i] = n
            with lock:
                tokens.update(local)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(SECONDS + 30)
        assert not any(t.is_alive() for t in threads)

    assert errors == []
    assert expired == [], "%d expired tokens handed out" % len(expired)
    assert all(n > 0 for n in calls)
    # 10 s of 4 s tokens refreshed 2 s before expiry: a handful of tokens, not one per call
    assert len(tokens) >= 3, "only %d tokens over %.0f s" % (len(tokens), SECONDS)
    requests = front.token_requests()
    assert 3 <= requests <= 10, "token requests: %d (calls: %d)" % (requests, sum(calls))
    assert requests == len(tokens) or requests == len(tokens) + 1


def test_rejections_from_many_threads_share_one_refresh(cs_settings, front):
    with flyteauth.Client(cs_settings) as c:
        sent = c.metadata()[0][1]
        assert front.token_requests() == 1
        barrier = threading.Barrier(THREADS)
        results, errors = [], []

        def rejected():
            barrier.wait()
            try:
                results.append(c.refresh(rejected=sent)[0][1])
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))

        threads = [threading.Thread(target=rejected) for _ in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert errors == []
        assert len(results) == THREADS
        require(len(set(results)) == 1 and sent not in results, "threads got different or rejected tokens")
        assert front.token_requests() == 2  # one refresh for all sixteen


def test_close_races_with_callers(cs_settings, front):
    """close() while threads call: callers get a token or 'closed', nothing else, no crash."""
    for _ in range(5):
        c = flyteauth.Client(cs_settings)
        c.metadata()
        outcomes = []

        def caller(c=c, outcomes=outcomes):
            for _ in range(200):
                try:
                    c.metadata()
                    c.token()
                    outcomes.append("ok")
                except flyteauth.InvalidArgumentError as e:
                    outcomes.append("closed" if "closed" in str(e) else repr(e))
                    return
                except BaseException as e:  # anything else is a failure, reported below
                    outcomes.append(repr(e))
                    return

        threads = [threading.Thread(target=caller) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(0.005)
        c.close()
        for t in threads:
            t.join(10)
        assert set(outcomes) <= {"ok", "closed"}, [o for o in outcomes if o not in ("ok", "closed")]
        assert not any(t.is_alive() for t in threads), "a caller hung after close()"
