"""flyteauth.AsyncClient and its grpc.aio and httpx.AsyncClient integrations, against the
real IdP (a stack of its own with 60-s tokens, so a 2-s token request leaves them
valid), a real grpc.aio server and a real HTTP server on loopback.

The loop-latency tests measure what they claim, that the event loop never waits for
I/O: a ticker records how late each 10-ms sleep wakes (monotonic times). Garbage
collection is paused while it runs and the loop's thread gets a higher scheduling
priority (root only), so neither a collection of pytest's heap nor the other
processes of a loaded machine are counted against the binding."""
import asyncio
import contextlib
import gc
import os
import threading
import time

import pytest

import flyteauth
from helpers import AUTH_KEY, SERVICE, HttpEchoServer, SlowTokenProxy, TokenChecker, require

TICK = 0.010
LATE = 0.050
SLOW = 2.0


@pytest.fixture(scope="module")
def stack60(redirect_port):
    from harness import start_stack

    s = start_stack(access_token_duration=60, redirect_ports=[redirect_port])
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture
def cs60(stack60, cache_dir):
    st = stack60.state
    stack60.front.reset_counts()
    return {"endpoint": stack60.endpoint, "auth_type": "ClientSecret", "client_id": st["service_client_id"],
            "client_secret": st["service_client_secret"], "scopes": ["all"], "keyring": False,
            "cache_dir": cache_dir}


@pytest.fixture(autouse=True)
def no_thread_outlives_its_test():
    yield
    left = flyteauth_threads()
    for t in left:
        t.join(30)
    assert [t.name for t in left if t.is_alive()] == [], "binding threads outlived the test"


def flyteauth_threads():
    return [t for t in threading.enumerate() if t.name.startswith("flyteauth-")]


def lasting_threads():
    """This process's threads but the harness servers' per-request ones, which come and
    go with the IdP's and the front's requests."""
    return {t for t in threading.enumerate() if "process_request_thread" not in t.name}


@contextlib.contextmanager
def measured_loop():
    """Pauses garbage collection and, as root, puts this process's threads (the loop's,
    the binding's, the in-process servers': the test's front and slow proxy; threads
    started meanwhile inherit it) in the real-time round-robin class: the machine's
    other work then neither delays a wake-up of the loop nor deschedules a thread that
    holds the GIL. What is left to measure is the loop waiting for something in this
    process. (The threads sleep or wait on sockets; the kernel's real-time throttling
    bounds them anyway.)"""
    changed = {}
    if os.geteuid() == 0:
        for tid in map(int, os.listdir("/proc/self/task")):
            try:
                changed[tid] = (os.sched_getscheduler(tid), os.sched_getparam(tid))
                os.sched_setscheduler(tid, os.SCHED_RR, os.sched_param(1))
            except ProcessLookupError:  # a request's thread that just ended
                changed.pop(tid, None)
    gc_was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc_was:
            gc.enable()
        for tid in map(int, os.listdir("/proc/self/task")):  # the ones started meanwhile too
            policy, param = changed.get(tid, (os.SCHED_OTHER, os.sched_param(0)))
            with contextlib.suppress(ProcessLookupError):
                os.sched_setscheduler(tid, policy, param)


class Ticker:
    """A task that sleeps 10 ms at a time and records how late each wake-up is."""

    def __init__(self):
        self.late = []  # (seconds late, seconds since the start)
        self._task = None

    async def _run(self):
        loop = asyncio.get_running_loop()
        start = loop.time()
        while True:
            due = loop.time() + TICK
            await asyncio.sleep(TICK)
            now = loop.time()  # time.monotonic()
            self.late.append((now - due, now - start))

    def __enter__(self):
        self._task = asyncio.ensure_future(self._run())
        return self

    def __exit__(self, *exc):
        self._task.cancel()

    def check(self, during):
        assert len(self.late) >= 20, "the ticker ran only %d times during %s" % (len(self.late), during)
        worst, at = max(self.late)
        print("loop: the latest of %d ticks woke %.1f ms late during %s" % (len(self.late), worst * 1e3, during))
        assert worst <= LATE, "a tick was %.1f ms late %.3f s into %s (%d ticks)" % (
            worst * 1e3, at, during, len(self.late))


def run(coro):
    return asyncio.run(coro)


# -- the loop never waits -----------------------------------------------------------------

def test_a_slow_token_request_and_refresh_never_block_the_loop(stack60, cs60):
    with SlowTokenProxy(stack60.front.token_endpoint, delay=SLOW) as proxy:
        async def main():
            async with flyteauth.AsyncClient(dict(cs60, token_url=proxy.url)) as ac:
                with measured_loop(), Ticker() as ticker:
                    started = time.monotonic()
                    first = await ac.metadata()
                    fetched = time.monotonic() - started
                    refreshed = await ac.refresh(rejected=first[0][1])
                    took = time.monotonic() - started
                ticker.check("a token request and a refresh of %.1f s each" % SLOW)
                assert fetched >= SLOW and took >= 2 * SLOW, "the slow front was not in the path"
                require(refreshed != first and refreshed[0][0] == AUTH_KEY, "the refresh gave no new token")
                # The same answers as the synchronous API, which asks the library nothing new.
                requests = proxy.requests
                assert ac.sync.metadata() == refreshed == await ac.metadata()
                assert ac.sync.refresh(rejected=first[0][1]) == refreshed  # already replaced: no request
                assert await ac.headers() == ac.sync.headers() == dict(refreshed)
                assert await ac.token() == ac.sync.token()
                assert await ac.status() == ac.sync.status()
                assert proxy.requests == requests == 2
        run(main())


def test_the_cached_path_stays_on_the_loop(cs60):
    async def main():
        async with flyteauth.AsyncClient(cs60) as ac:
            first = await ac.metadata()
            for t in flyteauth_threads():  # the token request's, handing over its answer
                t.join(30)
            threads = lasting_threads()
            for _ in range(1000):
                assert await ac.metadata() is first
                assert await ac.headers() == dict(first)
            assert lasting_threads() == threads and flyteauth_threads() == []
    run(main())


def test_a_device_login_waiting_for_the_person_never_blocks_the_loop(stack60, cache_dir):
    from harness import approve_device

    settings = {"endpoint": stack60.endpoint, "auth_type": "DeviceFlow", "keyring": False,
                "cache_dir": cache_dir, "device_flow_timeout_seconds": 60}
    stack60.front.reset_counts()
    errors, prompts = [], []

    def prompt(p):  # on the login's thread, as a person reading the terminal
        prompts.append(p)

        def approve():
            try:
                approve_device(p.user_code, p.verification_uri)
            except Exception as e:  # noqa: BLE001 - asserted below
                errors.append(repr(e))

        threading.Thread(target=approve, daemon=True).start()

    async def main():
        async with flyteauth.AsyncClient(settings) as ac:
            ac.on_device_prompt(prompt)
            with measured_loop(), Ticker() as ticker:
                started = time.monotonic()
                await ac.login()
                took = time.monotonic() - started
            ticker.check("a device login waiting %.1f s for its approval" % took)
            md = await ac.metadata()
            require(md[0][1].startswith("Bearer "), "no token after the device login")
            assert md == ac.sync.metadata() and await ac.status() == ac.sync.status()
            assert (await ac.status())["has_refresh_token"] is True
    run(main())
    assert errors == [] and len(prompts) == 1
    assert stack60.front.token_requests("urn:ietf:params:oauth:grant-type:device_code") >= 1


# -- cancellation --------------------------------------------------------------------------

def test_cancelling_a_waiting_login_cancels_it_in_the_engine_and_leaks_no_thread(stack60, cache_dir):
    settings = {"endpoint": stack60.endpoint, "auth_type": "DeviceFlow", "keyring": False,
                "cache_dir": cache_dir, "device_flow_timeout_seconds": 120}
    baseline = lasting_threads()

    async def main():
        loop = asyncio.get_running_loop()
        prompted = asyncio.Event()
        async with flyteauth.AsyncClient(settings) as ac:
            ac.on_device_prompt(lambda p: loop.call_soon_threadsafe(prompted.set))  # nobody approves
            login = asyncio.ensure_future(ac.login())
            await asyncio.wait_for(prompted.wait(), 30)
            waiting = flyteauth_threads()
            assert [t.name for t in waiting] == ["flyteauth-login"]
            login.cancel()
            with pytest.raises(asyncio.CancelledError):
                await login
            cancelled = time.monotonic()
            for t in waiting:
                t.join(30)
            ended = time.monotonic() - cancelled
            assert not any(t.is_alive() for t in waiting), "the login's thread outlived its cancelled task"
            # The engine stopped waiting (120 s of device-flow timeout were left).
            assert ended < 10, "the login's thread ended %.1f s after the cancel" % ended
            assert lasting_threads() == baseline
            # The client works on: the next login starts normally.
            assert (await ac.status()).get("has_refresh_token") in (None, False)
    run(main())
    assert lasting_threads() == baseline


def test_cancelling_one_of_two_waiters_leaves_the_shared_refresh_alone(stack60, cs60):
    with SlowTokenProxy(stack60.front.token_endpoint, delay=SLOW) as proxy:
        async def main():
            async with flyteauth.AsyncClient(dict(cs60, token_url=proxy.url)) as ac:
                first = await ac.metadata()
                for t in flyteauth_threads():  # the token request's, handing over its answer
                    t.join(30)
                rejected = first[0][1]
                one = asyncio.ensure_future(ac.refresh(rejected=rejected))
                two = asyncio.ensure_future(ac.refresh(rejected=rejected))
                await asyncio.sleep(0)  # both are waiting on the one refresh
                assert [t.name for t in flyteauth_threads()] == ["flyteauth-refresh"]
                one.cancel()
                fresh = await two
                assert one.cancelled()
                require(fresh != first, "the remaining waiter got no new token")
                assert proxy.requests == 2, "one token request for the metadata, one for the refresh"
        run(main())
    assert flyteauth_threads() == []


# -- grpc.aio ------------------------------------------------------------------------------

class AioEchoServer:
    """A grpc.aio server on 127.0.0.1 with the four call shapes; every call first checks
    the bearer token with the checker and aborts UNAUTHENTICATED when it is not valid."""

    def __init__(self, checker):
        import grpc

        self.grpc = grpc
        self.checker = checker
        self.reject_code = grpc.StatusCode.UNAUTHENTICATED
        self.calls = {}
        self.accepted = {}

    async def start(self):
        grpc = self.grpc
        self.server = grpc.aio.server()
        handlers = {
            "Unary": grpc.unary_unary_rpc_method_handler(self._unary),
            "ServerStream": grpc.unary_stream_rpc_method_handler(self._server_stream),
            "ClientStream": grpc.stream_unary_rpc_method_handler(self._client_stream),
            "BidiStream": grpc.stream_stream_rpc_method_handler(self._bidi),
        }
        self.server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        await self.server.start()
        return self

    async def stop(self):
        await self.server.stop(None)

    async def _check(self, context, method):
        md = dict(context.invocation_metadata())
        self.calls[method] = self.calls.get(method, 0) + 1
        if not self.checker.ok(md.get(AUTH_KEY)):
            await context.abort(self.reject_code, "token rejected by the test server")
        self.accepted[method] = self.accepted.get(method, 0) + 1

    async def _unary(self, request, context):
        await self._check(context, "Unary")
        return b"unary:" + request

    async def _server_stream(self, request, context):
        await self._check(context, "ServerStream")
        for i in range(3):
            yield b"%s:%d" % (request, i)

    # The request-streaming methods read the requests before they check the token:
    # grpc.aio reports a request written after the server's abort arrived as INTERNAL
    # ("Failed execute_batch"), the rejection lost, which no interceptor can retry.
    async def _client_stream(self, request_iterator, context):
        parts = [r async for r in request_iterator]
        await self._check(context, "ClientStream")
        return b"client:" + b"+".join(parts)

    async def _bidi(self, request_iterator, context):
        requests = [r async for r in request_iterator]
        await self._check(context, "BidiStream")
        for r in requests:
            yield b"bidi:" + r


def test_grpc_aio_refreshes_once_and_retries_each_call_kind(cs60, stack60):
    import grpc

    import flyteauth.grpc_aio

    checker = TokenChecker()

    async def main():
        server = await AioEchoServer(checker).start()
        try:
            async with flyteauth.AsyncClient(cs60) as ac:
                async with grpc.aio.insecure_channel("127.0.0.1:%d" % server.port,
                                                     interceptors=flyteauth.grpc_aio.interceptors(ac)) as channel:
                    unary = channel.unary_unary("/%s/Unary" % SERVICE)
                    server_stream = channel.unary_stream("/%s/ServerStream" % SERVICE)
                    client_stream = channel.stream_unary("/%s/ClientStream" % SERVICE)
                    bidi = channel.stream_stream("/%s/BidiStream" % SERVICE)
                    calls = {
                        "Unary": lambda: unary(b"a"),
                        "ServerStream": lambda: _collect(server_stream(b"s")),
                        "ClientStream": lambda: client_stream([b"x", b"y"]),
                        "BidiStream": lambda: _collect(bidi([b"p", b"q"])),
                    }
                    expected = {"Unary": b"unary:a", "ServerStream": [b"s:0", b"s:1", b"s:2"],
                                "ClientStream": b"client:x+y", "BidiStream": [b"bidi:p", b"bidi:q"]}
                    for method, call in calls.items():
                        token = (await ac.metadata())[0][1]
                        checker.mark_stale(token)  # the server rejects it once
                        before = stack60.front.token_requests()
                        assert await call() == expected[method], method
                        assert server.calls[method] == 2 and server.accepted[method] == 1, method
                        assert stack60.front.token_requests() == before + 1, "%s: one refresh" % method
                        require((await ac.metadata())[0][1] != token, "%s: the rejected token is gone" % method)
                    # UNKNOWN (an ingress's HTML 401) is retried for unary calls only.
                    server.reject_code = grpc.StatusCode.UNKNOWN
                    checker.mark_stale((await ac.metadata())[0][1])
                    assert await unary(b"u") == b"unary:u" and server.calls["Unary"] == 4
                    checker.mark_stale((await ac.metadata())[0][1])
                    with pytest.raises(grpc.aio.AioRpcError) as info:
                        await _collect(server_stream(b"s"))
                    assert info.value.code() == grpc.StatusCode.UNKNOWN and server.calls["ServerStream"] == 3
                    server.reject_code = grpc.StatusCode.UNAUTHENTICATED
                    # A server that keeps rejecting gets two attempts, never more.
                    checker.always_reject = True
                    with pytest.raises(grpc.aio.AioRpcError) as info:
                        await unary(b"a")
                    assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
                    assert server.calls["Unary"] == 6
        finally:
            await server.stop()
    run(main())
    assert flyteauth_threads() == []


async def _collect(call):
    return [r async for r in call]


# -- httpx.AsyncClient -----------------------------------------------------------------------

def test_httpx_async_client_refreshes_once_on_401(cs60, stack60):
    import httpx

    from flyteauth.http import FlyteHTTPXAuth

    checker = TokenChecker()
    server = HttpEchoServer(checker)

    async def main():
        async with flyteauth.AsyncClient(cs60) as ac:
            async with httpx.AsyncClient(auth=FlyteHTTPXAuth(ac), trust_env=False) as http:
                r = await http.post(server.url + "/ok", content=b"body")
                assert r.status_code == 200 and r.json()["length"] == 4
                token = (await ac.metadata())[0][1]
                checker.mark_stale(token)
                before = stack60.front.token_requests()
                r = await http.post(server.url + "/again", json={"k": "v"})
                assert r.status_code == 200 and server.requests["/again"] == 2
                assert stack60.front.token_requests() == before + 1
                require((await ac.metadata())[0][1] != token, "the rejected token is gone")
                checker.always_reject = True
                r = await http.get(server.url + "/never")
                assert r.status_code == 401 and server.requests["/never"] == 2
    try:
        run(main())
    finally:
        server.stop()
    assert flyteauth_threads() == []
