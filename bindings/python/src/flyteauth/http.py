"""HTTP integration: ``requests`` and ``httpx`` auth classes (both optional imports).

Both add ``client.headers()`` to each request and, when the server answers 401,
call ``client.refresh(rejected=<the authorization value sent>)`` once and send the
request once more with the new token, if its body can be sent again; a second 401
is returned to the caller as is (never a loop).

requests::

    session.auth = FlyteAuth(client)      # or requests.get(url, auth=FlyteAuth(client))

  The resend is a copy of the prepared request, sent through the same connection
  adapter from a response hook (as ``requests.auth.HTTPDigestAuth`` does). Bodies that
  can be sent again: none, ``bytes``/``str``, and seekable files (rewound to where they
  were). A generator or other one-shot stream is not resent: the 401 is returned, but
  the token is refreshed for the next request.

httpx::

    httpx.Client(auth=FlyteHTTPXAuth(client)); httpx.AsyncClient(auth=FlyteHTTPXAuth(client))

  Works with both, given a ``flyteauth.Client`` or a ``flyteauth.AsyncClient``. In an
  ``httpx.AsyncClient`` nothing blocks the loop: cached headers are read on it and a
  library call that may wait (a token request) runs on a thread of its own, cancelled
  in the engine if the request is cancelled. Bodies that
  can be sent again: anything already in memory (``content=bytes``, ``data=``, ``json=``,
  ``files=`` with in-memory files); a streaming generator body is not resent.
"""
from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, AsyncGenerator, Dict, Generator, Optional, Union

from .client import Client

if TYPE_CHECKING:
    from ._async_client import AsyncClient

__all__ = ["FlyteAuth", "FlyteHTTPXAuth", "FlyteRequestsAuth"]

_RETRIED = "_flyteauth_retried"
_BODY_POS = "_flyteauth_body_position"
_SENT = "_flyteauth_sent"


def _first_value(headers: Dict[str, str]) -> Optional[str]:
    """The authorization value among the client's headers (the first one)."""
    for value in headers.values():
        return value
    return None


try:
    import requests
    import requests.auth
    from requests.cookies import extract_cookies_to_jar
    _REQUESTS = True
except ImportError:  # pragma: no cover - optional dependency
    _REQUESTS = False


if _REQUESTS:

    class FlyteAuth(requests.auth.AuthBase):
        """``requests`` auth: Flyte credentials from `client`, one refresh and one resend on 401."""

        def __init__(self, client: Client):
            self.client = client

        def __eq__(self, other: object) -> bool:
            return isinstance(other, FlyteAuth) and other.client is self.client

        def __ne__(self, other: object) -> bool:
            return not self == other

        def __call__(self, r: "requests.PreparedRequest") -> "requests.PreparedRequest":
            headers = self.client.headers()
            r.headers.update(headers)
            setattr(r, _SENT, _first_value(headers))
            body = r.body
            position = None
            if body is not None and not isinstance(body, (bytes, str)) and hasattr(body, "tell"):
                try:
                    position = body.tell()
                except (OSError, io.UnsupportedOperation):
                    position = None
            setattr(r, _BODY_POS, position)
            r.register_hook("response", self._handle_401)
            return r

        @staticmethod
        def _rewindable(r: "requests.PreparedRequest") -> bool:
            body = r.body
            if body is None or isinstance(body, (bytes, str)):
                return True
            position = getattr(r, _BODY_POS, None)
            seek = getattr(body, "seek", None)
            if position is None or seek is None:
                return False
            try:
                seek(position)
                return True
            except (OSError, io.UnsupportedOperation, ValueError):
                return False

        def _handle_401(self, response: "requests.Response", **kwargs: Any) -> "requests.Response":
            request = response.request
            if response.status_code != 401 or getattr(request, _RETRIED, False):
                return response
            setattr(request, _RETRIED, True)
            self.client.refresh(rejected=getattr(request, _SENT, None))
            if not self._rewindable(request):
                return response
            # Consume and release the first response, as HTTPDigestAuth does.
            _ = response.content
            response.close()
            again = request.copy()
            setattr(again, _RETRIED, True)
            again.headers.update(self.client.headers())
            cookies = getattr(again, "_cookies", None)
            if cookies is not None and response.raw is not None:
                extract_cookies_to_jar(cookies, request, response.raw)
                again.prepare_cookies(cookies)
            second = response.connection.send(again, **kwargs)
            second.history.append(response)
            second.request = again
            return second

    #: Alias naming the library it is for.
    FlyteRequestsAuth = FlyteAuth


try:
    import httpx
    _HTTPX = True
except ImportError:  # pragma: no cover - optional dependency
    _HTTPX = False


if _HTTPX:

    def _replayable(request: "httpx.Request") -> bool:
        if hasattr(request, "_content"):  # read into memory
            return True
        return isinstance(request.stream, httpx.ByteStream)

    class FlyteHTTPXAuth(httpx.Auth):
        """``httpx`` auth (sync and async): Flyte credentials from `client`, one refresh
        and one resend on 401.

        `client` is a :class:`~flyteauth.Client` or an :class:`~flyteauth.AsyncClient`
        (the same engine client either way). In an ``httpx.AsyncClient`` nothing blocks
        the loop: cached headers are read on it, a token request or refresh runs on a
        thread of its own, and cancelling the request cancels the engine's wait."""

        requires_request_body = False
        requires_response_body = False

        def __init__(self, client: Union[Client, AsyncClient]):
            self.client = client
            self._async: Optional[AsyncClient] = None

        @property
        def _sync(self) -> Client:
            c = self.client
            return c if isinstance(c, Client) else c.sync

        def _aclient(self) -> AsyncClient:
            if self._async is None:
                from ._async_client import AsyncClient

                c = self.client
                self._async = c if isinstance(c, AsyncClient) else AsyncClient.from_client(c)
            return self._async

        def auth_flow(self, request: "httpx.Request") -> Generator["httpx.Request", "httpx.Response", None]:
            client = self._sync
            headers = client.headers()
            request.headers.update(headers)
            response = yield request
            if response.status_code != 401:
                return
            client.refresh(rejected=_first_value(headers))
            if not _replayable(request):
                return
            request.headers.update(client.headers())
            yield request

        async def async_auth_flow(self, request: "httpx.Request") -> AsyncGenerator["httpx.Request", "httpx.Response"]:
            client = self._aclient()
            sent = await client.headers()
            request.headers.update(sent)
            response = yield request
            if response.status_code != 401:
                return
            await client.refresh(rejected=_first_value(sent))
            if not _replayable(request):
                return
            request.headers.update(await client.headers())
            yield request


def __getattr__(name: str) -> Any:
    """A clear ImportError for the class whose library is not installed."""
    # The distributions that exist on PyPI and in Debian, with the oldest tested versions.
    needs = {"FlyteAuth": ("requests", "requests>=2.28", "python3-requests"),
             "FlyteRequestsAuth": ("requests", "requests>=2.28", "python3-requests"),
             "FlyteHTTPXAuth": ("httpx", "httpx>=0.23", "python3-httpx")}
    if name in needs:
        module, requirement, deb = needs[name]
        raise ImportError("flyteauth.http.%s needs %s: pip install '%s' (or apt install %s)"
                          % (name, module, requirement, deb))
    raise AttributeError("module %r has no attribute %r" % (__name__, name))


if TYPE_CHECKING:  # pragma: no cover
    import requests  # noqa: F811
    import httpx  # noqa: F811
