"""flyteauth.http with requests and httpx against a local server that answers 401 to a
stale token."""
import asyncio
import hashlib
import io

import httpx
import pytest
import requests

from flyteauth.http import FlyteAuth, FlyteHTTPXAuth
from helpers import HttpEchoServer, TokenChecker, require

BODY = b"x" * 10000
BODY_SHA = hashlib.sha256(BODY).hexdigest()[:12]


@pytest.fixture
def checker():
    return TokenChecker()


@pytest.fixture
def server(checker):
    s = HttpEchoServer(checker)
    yield s
    s.stop()


# -- requests ----------------------------------------------------------------------

def test_requests_adds_the_header(server, cs_client, front):
    r = requests.get(server.url + "/a", auth=FlyteAuth(cs_client), timeout=10)
    assert r.status_code == 200 and r.history == []
    assert server.requests["/a"] == 1 and front.token_requests() == 1


def test_requests_refreshes_once_and_resends_once(server, checker, cs_client, front):
    sent = cs_client.metadata()[0][1]
    checker.mark_stale(sent)
    with requests.Session() as s:
        s.auth = FlyteAuth(cs_client)
        r = s.post(server.url + "/post", data=BODY, timeout=10)
    assert r.status_code == 200
    assert [h.status_code for h in r.history] == [401]
    assert server.requests["/post"] == 2
    assert front.token_requests() == 2  # the first token, one refresh
    assert r.json() == {"method": "POST", "length": len(BODY), "sha": BODY_SHA}  # body resent intact
    require(r.request.headers["flyte-authorization"] != sent, "resent with the stale token")


def test_requests_always_401_is_not_a_loop(server, checker, cs_client, front):
    checker.always_reject = True
    r = requests.get(server.url + "/always", auth=FlyteAuth(cs_client), timeout=10)
    assert r.status_code == 401
    assert server.requests["/always"] == 2  # one send, one resend
    assert front.token_requests() == 2  # one refresh


def test_requests_seekable_file_body_is_rewound(server, checker, cs_client):
    checker.mark_stale(cs_client.metadata()[0][1])
    f = io.BytesIO(b"head" + BODY)
    f.read(4)  # the body starts where the file is positioned
    r = requests.put(server.url + "/file", data=f, auth=FlyteAuth(cs_client), timeout=10)
    assert r.status_code == 200 and server.requests["/file"] == 2
    assert r.json()["sha"] == BODY_SHA


def test_requests_generator_body_is_not_resent(server, checker, cs_client, front):
    sent = cs_client.metadata()[0][1]
    checker.mark_stale(sent)

    def chunks():
        yield b"one"
        yield b"two"

    r = requests.post(server.url + "/gen", data=chunks(), auth=FlyteAuth(cs_client), timeout=10)
    assert r.status_code == 401 and server.requests["/gen"] == 1
    # the token was refreshed anyway: the next request succeeds without another refresh
    assert front.token_requests() == 2
    r = requests.post(server.url + "/gen", data=b"again", auth=FlyteAuth(cs_client), timeout=10)
    assert r.status_code == 200 and front.token_requests() == 2


def test_requests_auth_is_shareable_between_threads(server, cs_client, front):
    from concurrent.futures import ThreadPoolExecutor

    auth = FlyteAuth(cs_client)
    with requests.Session() as s, ThreadPoolExecutor(8) as pool:
        s.auth = auth
        codes = list(pool.map(lambda i: s.get(server.url + "/t%d" % (i % 4), timeout=10).status_code, range(64)))
    assert codes == [200] * 64 and front.token_requests() == 1


# -- httpx -----------------------------------------------------------------------

def test_httpx_refreshes_once_and_resends_once(server, checker, cs_client, front):
    sent = cs_client.metadata()[0][1]
    checker.mark_stale(sent)
    with httpx.Client(auth=FlyteHTTPXAuth(cs_client), timeout=10) as c:
        r = c.post(server.url + "/post", content=BODY)
    assert r.status_code == 200 and [h.status_code for h in r.history] == [401]
    assert server.requests["/post"] == 2 and front.token_requests() == 2
    assert r.json()["sha"] == BODY_SHA
    require(r.request.headers["flyte-authorization"] != sent, "resent with the stale token")


def test_httpx_always_401_is_not_a_loop(server, checker, cs_client, front):
    checker.always_reject = True
    with httpx.Client(auth=FlyteHTTPXAuth(cs_client), timeout=10) as c:
        r = c.get(server.url + "/always")
    assert r.status_code == 401 and server.requests["/always"] == 2 and front.token_requests() == 2


def test_httpx_streaming_body_is_not_resent(server, checker, cs_client, front):
    checker.mark_stale(cs_client.metadata()[0][1])

    def chunks():
        yield b"one"
        yield b"two"

    with httpx.Client(auth=FlyteHTTPXAuth(cs_client), timeout=10) as c:
        r = c.post(server.url + "/gen", content=chunks())
        assert r.status_code == 401 and server.requests["/gen"] == 1 and front.token_requests() == 2
        r = c.post(server.url + "/gen", content=b"again")
        assert r.status_code == 200 and front.token_requests() == 2


def test_httpx_async(server, checker, cs_client, front):
    async def main():
        async with httpx.AsyncClient(auth=FlyteHTTPXAuth(cs_client), timeout=10) as c:
            first = await c.get(server.url + "/async")
            checker.mark_stale(cs_client.metadata()[0][1])
            second = await c.post(server.url + "/async", json={"a": 1})
            checker.always_reject = True
            third = await c.get(server.url + "/async")
            return first, second, third

    first, second, third = asyncio.run(main())
    assert first.status_code == 200 and first.history == []
    assert second.status_code == 200 and [h.status_code for h in second.history] == [401]
    assert third.status_code == 401
    assert server.requests["/async"] == 1 + 2 + 2
    assert front.token_requests() == 3  # first token, refresh after the stale one, refresh after the 401s
