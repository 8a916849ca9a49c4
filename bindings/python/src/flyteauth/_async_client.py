"""``AsyncClient``: the asyncio face of :class:`~flyteauth.Client`.

The cached path (a header the engine said may be reused) is answered on the loop
without a thread hop, as ``Client.metadata()`` answers it. Whatever can wait on the
identity provider, the keyring or a person runs on a thread of its own (_offloop), and
concurrent awaits of the same thing (the metadata, a refresh of one rejected token)
share one call. Cancelling the awaiting task cancels the engine's wait."""
from __future__ import annotations

import asyncio
import functools
import threading
from typing import Any, Callable, Dict, Mapping, Optional, TypeVar, Union

from ._offloop import Call, Owner
from ._token import Metadata, Token
from .client import Client
from .errors import FlyteAuthError

TYPE_CHECKING = False
if TYPE_CHECKING:
    import datetime
    import logging
    import os

    from ._device_prompt import DevicePrompt
    from ._loglevel import LogLevel

__all__ = ["AsyncClient"]

T = TypeVar("T")


class AsyncClient:
    """Credentials for one Flyte endpoint, for asyncio: the methods that may wait are
    coroutines and never block the event loop.

    Built like :class:`~flyteauth.Client` (the same settings, :meth:`from_config`,
    :meth:`from_api_key`), or around an existing Client with :meth:`from_client`
    (both then share one engine client and its tokens)::

        async with flyteauth.AsyncClient.from_config() as client:
            metadata = await client.metadata()

    Usable from several event loops (and threads) at once. Callbacks (``on_browser``,
    ``on_device_prompt``, ``on_log``) run on the call's own thread, not on the loop:
    use ``loop.call_soon_threadsafe`` to hand something to the loop.
    """

    def __init__(self, settings: Mapping[str, Any]):
        """Create a client from settings: the keys of ``flyteauth_client_new`` (see
        :class:`~flyteauth.Client`). Does no I/O."""
        self._init(Client(settings), owned=True)

    @classmethod
    def from_config(cls, path: Union[str, os.PathLike[str], None] = None, **overrides: Any) -> "AsyncClient":
        """A client from the user's Flyte configuration (:meth:`Client.from_config`).
        Reads the configuration file: call it at start-up, not on a busy loop."""
        return cls._wrap(Client.from_config(path, **overrides), owned=True)

    @classmethod
    def from_api_key(cls, key: str, **overrides: Any) -> "AsyncClient":
        """A client from a FLYTE_API_KEY value (:meth:`Client.from_api_key`)."""
        return cls._wrap(Client.from_api_key(key, **overrides), owned=True)

    @classmethod
    def from_client(cls, client: Client) -> "AsyncClient":
        """An asyncio view of `client`: the same engine client and tokens. Closing the
        view leaves `client` open (its owner closes it)."""
        if not isinstance(client, Client):
            raise TypeError("from_client needs a flyteauth.Client, not %s" % type(client).__name__)
        return cls._wrap(client, owned=False)

    @classmethod
    def _wrap(cls, client: Client, owned: bool) -> "AsyncClient":
        self = cls.__new__(cls)
        self._init(client, owned)
        return self

    def _init(self, client: Client, owned: bool) -> None:
        self._client = client
        self._owned = owned
        self._owner = Owner(self._cancel_quietly)
        # Calls that concurrent awaits share: "metadata" and ("refresh", rejected).
        self._shared: Dict[Any, Call[Any]] = {}

    @property
    def sync(self) -> Client:
        """The synchronous :class:`~flyteauth.Client` behind this one (same tokens)."""
        return self._client

    # -- running off the loop ------------------------------------------------------

    def _cancel_quietly(self) -> None:
        try:
            self._client.cancel()
        except FlyteAuthError:
            pass  # closed meanwhile: close() has cancelled what was waiting

    async def _run(self, fn: Callable[[], T], name: str, key: Any = None, cancellable: bool = True) -> T:
        """`fn()` on a thread of its own; with a `key`, concurrent awaits of the same key
        on this loop share one call."""
        loop = asyncio.get_running_loop()
        if key is not None:
            call = self._shared.get(key)
            if call is None or call.loop is not loop or call.abandoned or call.future.done():
                call = Call(self._owner, fn, name, cancellable)
                self._shared[key] = call
                call.future.add_done_callback(functools.partial(self._forget, key, call))
        else:
            call = Call(self._owner, fn, name, cancellable)
        result: T = await call.wait()
        return result

    def _forget(self, key: Any, call: Call[Any], _future: object) -> None:
        if self._shared.get(key) is call:
            del self._shared[key]

    # -- the per-call path ---------------------------------------------------------

    async def metadata(self) -> Metadata:
        """The gRPC metadata for one call, ``((key, value), ...)``, as
        :meth:`Client.metadata`. From the cache without leaving the loop; a token
        request runs off it."""
        md = self._client._peek()
        if md is not None:
            return md
        entry = await self._run(self._client._fetch, "metadata", key="metadata")
        return entry[2]

    async def headers(self) -> Dict[str, str]:
        """The same as :meth:`metadata`, as a new dict of HTTP headers."""
        md = self._client._peek()
        if md is None:
            md = (await self._run(self._client._fetch, "metadata", key="metadata"))[2]
        return dict(md)

    async def token(self) -> Token:
        """The current access token and its expiry (:meth:`Client.token`)."""
        return await self._run(self._client.token, "token")

    async def refresh(self, rejected: Union[str, bytes, None] = None) -> Metadata:
        """After a server rejected a call (gRPC UNAUTHENTICATED, HTTP 401) with
        `rejected`, the token or header value sent: fresh metadata, refreshing once
        however many tasks report the same token (:meth:`Client.refresh`)."""
        client = self._client
        key = ("refresh", rejected) if rejected is not None else None

        def refresh() -> Metadata:
            return client.refresh(rejected=rejected)

        return await self._run(refresh, "refresh", key=key)

    async def login(self) -> None:
        """Run the configured flow now (:meth:`Client.login`); for PKCE and device flow
        this waits for the person, off the loop. Cancel the task to stop waiting."""
        await self._run(self._client.login, "login")

    async def logout(self) -> None:
        """Forget the credentials everywhere (:meth:`Client.logout`)."""
        await self._run(self._client.logout, "logout", cancellable=False)

    async def status(self) -> Dict[str, Any]:
        """The client's state for display (:meth:`Client.status`). The engine does no
        I/O for it, so it answers on the loop."""
        return self._client.status()

    # -- synchronous, non-blocking -------------------------------------------------

    def set_token(self, access_token: str,
                  expires_at: Union[int, float, datetime.datetime, None] = None) -> None:
        """Supply the token yourself (:meth:`Client.set_token`); no I/O."""
        self._client.set_token(access_token, expires_at)

    def cancel(self) -> None:
        """Stop every login or refresh of this client that is waiting (:meth:`Client.cancel`):
        the awaiting tasks raise :class:`~flyteauth.CancelledError`."""
        self._client.cancel()

    def on_browser(self, fn: Optional[Callable[[str], Optional[bool]]]) -> None:
        """:meth:`Client.on_browser`; `fn` runs on the login's thread."""
        self._client.on_browser(fn)

    def on_device_prompt(self, fn: Optional[Callable[[DevicePrompt], None]]) -> None:
        """:meth:`Client.on_device_prompt`; `fn` runs on the login's thread."""
        self._client.on_device_prompt(fn)

    def on_log(self, fn: Union[Callable[[LogLevel, str], None], logging.Logger, None],
               level: Union[int, LogLevel] = 2) -> None:
        """:meth:`Client.on_log`; `fn` may run on any thread."""
        self._client.on_log(fn, level)

    # -- lifetime ------------------------------------------------------------------

    async def aclose(self) -> None:
        """Cancel the waiting calls, wait (off the loop) until their threads have ended,
        and close the client (unless it came from :meth:`from_client`). Idempotent."""
        loop = asyncio.get_running_loop()
        calls = list(self._owner.calls)
        if calls and not self._client.closed:
            self._client.cancel()
        # Each thread hands its result to its loop as its last act: once the futures
        # are done, joining the threads takes microseconds.
        mine = [call.future for call in calls if call.loop is loop]
        if mine:
            await asyncio.wait(mine)
        elsewhere = {call.thread for call in self._owner.calls if call.loop is not loop}  # other loops' calls
        for thread in self._owner.threads:
            if thread not in elsewhere and thread.ident != threading.get_ident():
                thread.join()
        if self._owned:
            self._client.close()

    def close(self) -> None:
        """Close synchronously (:meth:`Client.close`: cancels waiting calls and waits for
        them). Prefer ``await aclose()`` on a running loop."""
        if self._owned:
            self._client.close()

    @property
    def closed(self) -> bool:
        return self._client.closed

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return repr(self._client).replace("<flyteauth.Client", "<flyteauth.AsyncClient", 1)
