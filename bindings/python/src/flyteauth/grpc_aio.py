"""grpc.aio integration (needs ``grpcio``): interceptors that add an
:class:`~flyteauth.AsyncClient`'s metadata to every call and, when the server rejects
it, refresh once naming the rejected token and retry once, by the rule of
``flyteauth_client_refresh`` in flyteauth.h that :func:`flyteauth.grpc.retries` holds,
as the synchronous :class:`flyteauth.grpc.AuthInterceptor` does::

    channel = grpc.aio.secure_channel(target, creds, interceptors=flyteauth.grpc_aio.interceptors(client))

grpc.aio sorts interceptors by call kind, one class per kind, so :func:`interceptors`
returns four (unary-unary, unary-stream, stream-unary, stream-stream). Retries:

- unary-unary: on ``UNAUTHENTICATED`` (and ``UNKNOWN``, how an ingress's HTML 401
  arrives, unless ``retry_on_unknown=False``) the call is made once more.
- unary-stream and stream-stream: when the stream fails with ``UNAUTHENTICATED``
  before its first response; the responses are then those of the second call.
- stream-unary and stream-stream send the requests again only when they can be
  replayed (a list or tuple, or another re-iterable); an async iterator, a generator
  or ``call.write()`` is consumed by the first attempt: then the rejection is the
  call's outcome, but the token is refreshed for the next call.
- One retry at most; a failing refresh raises its :class:`~flyteauth.FlyteAuthError`.

Nothing here blocks the loop: cached metadata is read on the loop, a refresh runs on
a thread of its own (:class:`~flyteauth.AsyncClient`).
"""
from __future__ import annotations

import asyncio
import collections.abc
from typing import Any, AsyncIterator, Awaitable, Callable, List, Optional, Set, Tuple, Union

try:
    import grpc
    import grpc.aio
except ImportError as _e:  # pragma: no cover - optional dependency
    raise ImportError("flyteauth.grpc_aio needs grpcio: pip install 'grpcio>=1.51'") from _e

from ._async_client import AsyncClient
from ._token import Metadata
from .client import Client
from .errors import FlyteAuthError
from .grpc import retries

__all__ = ["interceptors", "UnaryUnaryAuthInterceptor", "UnaryStreamAuthInterceptor",
           "StreamUnaryAuthInterceptor", "StreamStreamAuthInterceptor"]



def _replayable(requests: Any) -> bool:
    if requests is None or hasattr(requests, "__aiter__"):
        return False
    if isinstance(requests, collections.abc.Sequence):
        return True
    try:
        return isinstance(requests, collections.abc.Iterable) and iter(requests) is not requests
    except TypeError:
        return False


class _Auth:
    """What the four interceptors share: the client, adding metadata, the refresh."""

    def __init__(self, client: Union[AsyncClient, Client], *, retry_on_unknown: bool = True):
        self.client = client if isinstance(client, AsyncClient) else AsyncClient.from_client(client)
        self._retry_on_unknown = retry_on_unknown
        # Refreshes started from done-callbacks, kept alive until they end.
        self._background: Set[asyncio.Task[Any]] = set()

    @staticmethod
    def _details(details: grpc.aio.ClientCallDetails, auth: Metadata) -> grpc.aio.ClientCallDetails:
        keys = {k for k, _ in auth}
        merged = [(k, v) for k, v in (details.metadata or ()) if k not in keys]
        merged.extend(auth)
        return details._replace(metadata=grpc.aio.Metadata(*merged))

    async def _prepare(self, details: grpc.aio.ClientCallDetails) -> Tuple[grpc.aio.ClientCallDetails, Optional[str]]:
        auth = await self.client.metadata()
        return self._details(details, auth), (auth[0][1] if auth else None)

    async def _refresh(self, sent: Optional[str], error: Optional[BaseException] = None) -> Metadata:
        try:
            return await self.client.refresh(rejected=sent)
        except FlyteAuthError as e:
            raise e from error

    def _refresh_if_rejected(self, call: Any, sent: Optional[str]) -> None:
        """For a call that cannot be retried: refresh after it ends rejected, so the next
        call goes out with a new token."""
        async def check() -> None:
            if retries(await call.code(), unary=False):
                await self._refresh(sent)

        def done(_call: Any) -> None:
            task = asyncio.ensure_future(check())
            self._background.add(task)
            task.add_done_callback(self._finished)

        call.add_done_callback(done)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._background.discard(task)
        if not task.cancelled():
            task.exception()  # a failed background refresh: the next call reports it

    async def _stream(self, call: Any, sent: Optional[str],
                      again: Optional[Callable[[Metadata], Awaitable[Any]]]) -> AsyncIterator[Any]:
        """The responses of `call`; if it fails with UNAUTHENTICATED before the first one,
        refresh and (when `again` is given) those of a second call instead."""
        responses = call.__aiter__()
        try:
            first = await responses.__anext__()
        except StopAsyncIteration:
            return
        except grpc.aio.AioRpcError as e:
            if not retries(e.code(), unary=False):
                raise
            auth = await self._refresh(sent, e)
            if again is None:
                raise
            second = await again(auth)
            async for response in second:
                yield response
            return
        yield first
        async for response in responses:
            yield response


class UnaryUnaryAuthInterceptor(_Auth, grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation: Callable[..., Any],
                                    client_call_details: grpc.aio.ClientCallDetails, request: Any) -> Any:
        details, sent = await self._prepare(client_call_details)
        call = await continuation(details, request)
        if not retries(await call.code(), unary=True, retry_on_unknown=self._retry_on_unknown):
            return call
        auth = await self._refresh(sent)
        return await continuation(self._details(client_call_details, auth), request)


class UnaryStreamAuthInterceptor(_Auth, grpc.aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(self, continuation: Callable[..., Any],
                                     client_call_details: grpc.aio.ClientCallDetails, request: Any) -> Any:
        details, sent = await self._prepare(client_call_details)
        call = await continuation(details, request)

        async def again(auth: Metadata) -> Any:
            return await continuation(self._details(client_call_details, auth), request)

        return self._stream(call, sent, again)


class StreamUnaryAuthInterceptor(_Auth, grpc.aio.StreamUnaryClientInterceptor):
    async def intercept_stream_unary(self, continuation: Callable[..., Any],
                                     client_call_details: grpc.aio.ClientCallDetails, request_iterator: Any) -> Any:
        details, sent = await self._prepare(client_call_details)
        if not _replayable(request_iterator):
            call = await continuation(details, request_iterator)
            self._refresh_if_rejected(call, sent)
            return call
        call = await continuation(details, iter(request_iterator))
        if not retries(await call.code(), unary=False):
            return call
        auth = await self._refresh(sent)
        return await continuation(self._details(client_call_details, auth), iter(request_iterator))


class StreamStreamAuthInterceptor(_Auth, grpc.aio.StreamStreamClientInterceptor):
    async def intercept_stream_stream(self, continuation: Callable[..., Any],
                                      client_call_details: grpc.aio.ClientCallDetails, request_iterator: Any) -> Any:
        details, sent = await self._prepare(client_call_details)
        if not _replayable(request_iterator):
            call = await continuation(details, request_iterator)
            if request_iterator is None:  # call.write(): the caller needs the call itself
                self._refresh_if_rejected(call, sent)
                return call
            return self._stream(call, sent, None)
        call = await continuation(details, iter(request_iterator))

        async def again(auth: Metadata) -> Any:
            return await continuation(self._details(client_call_details, auth), iter(request_iterator))

        return self._stream(call, sent, again)


def interceptors(client: Union[AsyncClient, Client], *, retry_on_unknown: bool = True
                 ) -> List[grpc.aio.ClientInterceptor]:
    """The four interceptors for ``grpc.aio.*_channel(..., interceptors=...)``, sharing
    `client` (an :class:`~flyteauth.AsyncClient`, or a :class:`~flyteauth.Client` seen
    through :meth:`AsyncClient.from_client`)."""
    shared = client if isinstance(client, AsyncClient) else AsyncClient.from_client(client)
    return [UnaryUnaryAuthInterceptor(shared, retry_on_unknown=retry_on_unknown),
            UnaryStreamAuthInterceptor(shared), StreamUnaryAuthInterceptor(shared),
            StreamStreamAuthInterceptor(shared)]
