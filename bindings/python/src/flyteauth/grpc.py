"""gRPC integration (needs ``grpcio``: ``pip install 'grpcio>=1.51'``, or ``apt install python3-grpcio``).

Two ways to attach credentials:

* :class:`AuthInterceptor` (all four call shapes) adds the client's metadata to every
  call and, when the server rejects it (``UNAUTHENTICATED``; for unary-unary calls
  also ``UNKNOWN``, which is how an ingress's HTML 401 page arrives), calls
  ``client.refresh(rejected=<the header value it sent>)`` once and retries the call
  once with the new token::

      channel = grpc.intercept_channel(grpc.secure_channel(target, creds), AuthInterceptor(client))

  Retries, precisely:

  - unary-unary: the interceptor waits for the outcome (like flytekit's
    ``AuthUnaryInterceptor``, also for ``.future()`` calls) and retries once.
  - unary-stream: the returned call is a wrapper; the retry happens when the first
    response is read (iteration, or ``code()`` / ``details()`` /
    ``initial_metadata()`` / ``trailing_metadata()``), only if the stream failed
    before any response arrived. Creating the call never blocks.
  - stream-unary and stream-stream: requests are sent again only when the request
    iterable can be replayed: a ``list``/``tuple`` (any ``Sequence``) or another
    re-iterable (``iter(x) is not x``, e.g. a set or a custom container). A generator
    or iterator is consumed by the first attempt: then the rejection is raised as
    is, but the token is still refreshed, so the next call goes out with the new one.
  - One retry at most: a server that keeps answering ``UNAUTHENTICATED`` gets two
    attempts per call, never more.
  - If the refresh itself fails, its :class:`~flyteauth.FlyteAuthError` is raised
    (chained to the gRPC error).

* :func:`call_credentials` gives ``grpc.CallCredentials`` (a metadata plugin) for
  ``grpc.composite_channel_credentials``; gRPC only sends call credentials over
  secure channels (TLS, or ``grpc.local_channel_credentials()`` for loopback). Call
  credentials cannot see the server's answer, so they do not retry; combine them
  with the interceptor (``AuthInterceptor(client, add_metadata=False)``) if you want
  the retry.
"""
from __future__ import annotations

import collections.abc
import logging
from typing import Any, Callable, Iterator, Optional, Sequence, Tuple

try:
    import grpc
except ImportError as _e:  # pragma: no cover - optional dependency
    raise ImportError("flyteauth.grpc needs grpcio: pip install 'grpcio>=1.51' (or apt install python3-grpcio)") from _e

from .client import Client
from .errors import FlyteAuthError

__all__ = ["AuthInterceptor", "call_credentials", "AuthMetadataPlugin", "intercept_channel", "retries"]

_log = logging.getLogger("flyteauth")
_RETRY_CODES = (grpc.StatusCode.UNAUTHENTICATED,)
_RETRY_CODES_UNARY = (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.UNKNOWN)


def retries(code: Optional[grpc.StatusCode], unary: bool, retry_on_unknown: bool = True) -> bool:
    """Whether a call that failed with `code` is refreshed and sent again once: the rule
    of flyteauth_client_refresh in flyteauth.h (UNAUTHENTICATED; UNKNOWN too for a
    unary call, one request and one response), the same in every binding."""
    return code in (_RETRY_CODES_UNARY if unary and retry_on_unknown else _RETRY_CODES)


class _CallDetails(grpc.ClientCallDetails):
    """ClientCallDetails with new metadata (the six fields grpcio reads)."""

    __slots__ = ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression")

    def __init__(self, base: grpc.ClientCallDetails, metadata: Optional[Sequence[Tuple[str, Any]]]):
        self.method = base.method
        self.timeout = base.timeout
        self.metadata = metadata
        self.credentials = getattr(base, "credentials", None)
        self.wait_for_ready = getattr(base, "wait_for_ready", None)
        self.compression = getattr(base, "compression", None)


def _replayable(requests: Any) -> bool:
    if isinstance(requests, collections.abc.Sequence):
        return True
    try:
        return isinstance(requests, collections.abc.Iterable) and iter(requests) is not requests
    except TypeError:
        return False


def _code(outcome: Any) -> Optional[grpc.StatusCode]:
    try:
        return outcome.code()
    except Exception:
        return None


class AuthInterceptor(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor,
                      grpc.StreamUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):
    """Adds ``client.metadata()`` to every call; on rejection refreshes once and
    retries once (see the module documentation for streaming calls).

    `client` is a :class:`~flyteauth.Client`, or a zero-argument callable returning
    one (created lazily on the first call, like flytekit's interceptor).
    `retry_on_unknown` (default True, flytekit's behaviour) also retries unary-unary
    calls that fail with ``UNKNOWN``; set it to False if your server uses UNKNOWN for
    other failures, since the retried call runs twice on the server.
    `add_metadata=False` only does the refresh-and-retry (with :func:`call_credentials`).
    """

    def __init__(self, client: Any, *, retry_on_unknown: bool = True, add_metadata: bool = True):
        self._client_or_factory = client
        self._client: Optional[Client] = client if isinstance(client, Client) else None
        self._retry_on_unknown = retry_on_unknown
        self._add_metadata = add_metadata

    @property
    def client(self) -> Client:
        c = self._client
        if c is None:
            c = self._client = self._client_or_factory()
        return c

    # -- helpers -------------------------------------------------------------

    def _details(self, details: grpc.ClientCallDetails, auth: Optional[Tuple[Tuple[str, str], ...]] = None
                 ) -> Tuple[grpc.ClientCallDetails, Optional[str]]:
        """New call details with the metadata, and the authorization value sent."""
        if auth is None:
            if not self._add_metadata:
                md = self.client._peek() or ()
                return details, (md[0][1] if md else None)
            auth = self.client.metadata()
        keys = {k for k, _ in auth}
        merged = [(k, v) for k, v in (details.metadata or ()) if k not in keys]
        merged.extend(auth)
        return _CallDetails(details, merged), (auth[0][1] if auth else None)

    def _refresh(self, sent: Optional[str], error: BaseException) -> Optional[Tuple[Tuple[str, str], ...]]:
        try:
            fresh = self.client.refresh(rejected=sent)
        except FlyteAuthError as e:
            raise e from error
        return fresh if self._add_metadata else None

    # -- unary request -------------------------------------------------------------

    def intercept_unary_unary(self, continuation: Callable[..., Any], client_call_details: grpc.ClientCallDetails,
                              request: Any) -> Any:
        details, sent = self._details(client_call_details)
        outcome = continuation(details, request)
        if not retries(_code(outcome), unary=True, retry_on_unknown=self._retry_on_unknown):
            return outcome
        auth = self._refresh(sent, outcome)
        details, _ = self._details(client_call_details, auth)
        return continuation(details, request)

    def intercept_unary_stream(self, continuation: Callable[..., Any], client_call_details: grpc.ClientCallDetails,
                               request: Any) -> Any:
        details, sent = self._details(client_call_details)
        call = continuation(details, request)

        def retry() -> Any:
            auth = self._refresh(sent, call)
            new_details, _ = self._details(client_call_details, auth)
            return continuation(new_details, request)

        return _RetryingStream(call, retry)

    # -- streaming request -------------------------------------------------------------

    def intercept_stream_unary(self, continuation: Callable[..., Any], client_call_details: grpc.ClientCallDetails,
                               request_iterator: Any) -> Any:
        details, sent = self._details(client_call_details)
        replay = _replayable(request_iterator)
        outcome = continuation(details, iter(request_iterator) if replay else request_iterator)
        if not retries(_code(outcome), unary=False):
            return outcome
        auth = self._refresh(sent, outcome)
        if not replay:
            _log.debug("flyteauth: request stream cannot be replayed; token refreshed, call not retried")
            return outcome
        details, _ = self._details(client_call_details, auth)
        return continuation(details, iter(request_iterator))

    def intercept_stream_stream(self, continuation: Callable[..., Any], client_call_details: grpc.ClientCallDetails,
                                request_iterator: Any) -> Any:
        details, sent = self._details(client_call_details)
        replay = _replayable(request_iterator)
        call = continuation(details, iter(request_iterator) if replay else request_iterator)

        def retry() -> Any:
            auth = self._refresh(sent, call)
            if not replay:
                return None
            new_details, _ = self._details(client_call_details, auth)
            return continuation(new_details, iter(request_iterator))

        return _RetryingStream(call, retry)


class _RetryingStream(grpc.Call, grpc.Future):
    """A response-streaming call that, if it fails with UNAUTHENTICATED before its first
    response, is replaced once by the call `retry()` returns (None: keep the failure)."""

    _UNSET = object()

    def __init__(self, call: Any, retry: Callable[[], Any]):
        self._call = call
        self._retry: Optional[Callable[[], Any]] = retry
        self._first: Any = self._UNSET
        self._settled = False

    def _settle(self) -> None:
        """Read the first response (or failure), retrying once if it was a rejection."""
        if self._settled:
            return
        while True:
            try:
                self._first = next(self._call)
            except StopIteration:
                self._first = self._UNSET
            except grpc.RpcError as e:
                if self._retry is not None and retries(_code(e), unary=False):
                    retry, self._retry = self._retry, None
                    new_call = retry()
                    if new_call is not None:
                        self._call = new_call
                        continue
                self._settled = True
                raise
            self._settled = True
            return

    # iteration
    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        if not self._settled:
            self._settle()
        if self._first is not self._UNSET:
            first, self._first = self._first, self._UNSET
            return first
        return next(self._call)

    next = __next__

    def _settled_call(self) -> Any:
        try:
            self._settle()
        except grpc.RpcError:
            pass
        return self._call

    # grpc.Call / grpc.RpcContext
    def initial_metadata(self) -> Any:
        return self._settled_call().initial_metadata()

    def trailing_metadata(self) -> Any:
        return self._settled_call().trailing_metadata()

    def code(self) -> Any:
        return self._settled_call().code()

    def details(self) -> Any:
        return self._settled_call().details()

    def is_active(self) -> bool:
        return self._call.is_active()

    def time_remaining(self) -> Any:
        return self._call.time_remaining()

    def cancel(self) -> bool:
        self._retry = None
        return self._call.cancel()

    def add_callback(self, callback: Callable[[], None]) -> bool:
        return self._call.add_callback(callback)

    # grpc.Future (grpcio's streaming calls are futures too)
    def cancelled(self) -> bool:
        return self._call.cancelled()

    def running(self) -> bool:
        return self._call.running()

    def done(self) -> bool:
        return self._call.done()

    def result(self, timeout: Optional[float] = None) -> Any:
        return self._settled_call().result(timeout)

    def exception(self, timeout: Optional[float] = None) -> Any:
        return self._settled_call().exception(timeout)

    def traceback(self, timeout: Optional[float] = None) -> Any:
        return self._settled_call().traceback(timeout)

    def add_done_callback(self, fn: Callable[[Any], None]) -> None:
        return self._call.add_done_callback(fn)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._call, name)


class AuthMetadataPlugin(grpc.AuthMetadataPlugin):
    """A gRPC metadata plugin sending ``client.metadata()`` with each call."""

    def __init__(self, client: Client):
        self._client = client

    def __call__(self, context: grpc.AuthMetadataContext, callback: grpc.AuthMetadataPluginCallback) -> None:
        try:
            metadata = self._client.metadata()
        except Exception as e:  # reported to the caller as the call's failure
            callback((), e)
            return
        callback(metadata, None)


def call_credentials(client: Client) -> grpc.CallCredentials:
    """``grpc.CallCredentials`` adding the client's metadata to each call. Use with a
    secure channel, e.g. ``grpc.composite_channel_credentials(grpc.ssl_channel_credentials(),
    call_credentials(client))``."""
    return grpc.metadata_call_credentials(AuthMetadataPlugin(client), name="flyteauth")


def intercept_channel(channel: grpc.Channel, client: Any, **kwargs: Any) -> grpc.Channel:
    """``grpc.intercept_channel(channel, AuthInterceptor(client, **kwargs))``."""
    return grpc.intercept_channel(channel, AuthInterceptor(client, **kwargs))
