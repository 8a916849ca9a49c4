"""``Client``: one Flyte endpoint's credentials, backed by a flyteauth_client.

Only what the first header needs is imported here: `json`, `threading`, `enum`,
`logging` and the callbacks' thunks come on first use (each costs milliseconds of
every process's start)."""
from __future__ import annotations

import _thread
import ctypes
import time

from ._handle import PID, Handle, finalize
from ._library import ClientPtr, MetadataPtr, load
from ._marshal import NO_REFRESH_DUE, cstr, error, settings_json, take_metadata, take_string, utc
from ._token import Token
from .errors import INTERNAL, InvalidArgumentError, UnsupportedError, error_for_status

TYPE_CHECKING = False
if TYPE_CHECKING:
    import datetime
    import logging
    import os
    from typing import Any, Callable, Dict, Mapping, Optional, Tuple, Union

    from ._device_prompt import DevicePrompt
    from ._library import Library
    from ._loglevel import LogLevel
    from ._token import Metadata

__all__ = ["Client"]

_monotonic = time.monotonic
_wall = time.time
_INF = float("inf")
_CALLBACK_THUNKS = {"browser": ("BROWSER_THUNK", "NULL_BROWSER"),
                    "device": ("DEVICE_PROMPT_THUNK", "NULL_DEVICE_PROMPT"),
                    "log": ("LOG_THUNK", "NULL_LOG")}


class Client:
    """Credentials for one Flyte endpoint (a ``flyteauth_client``).

    Thread safe: share one Client between threads. ``metadata()`` and ``headers()``
    answer from a copy kept in Python until the library's refresh point (the
    ``reuse_until`` it returns with the metadata), so the common call costs a clock
    read and a tuple return.

    A Client created before ``os.fork()`` raises :class:`~flyteauth.ForkedError` in the
    child; create a new one there.
    """

    def __init__(self, settings: Mapping[str, Any]):
        """Create a client from settings: the keys of ``flyteauth_client_new`` in
        flyteauth.h (``endpoint``, ``auth_type``, ``client_id``, ``client_secret``,
        ``scopes``, ...). An unknown key or a wrong type raises ConfigurationError
        naming the key."""
        payload = settings_json(settings, "settings")
        lib = load()
        handle = ClientPtr()
        status = lib.client_new(payload, ctypes.byref(handle))
        if status:
            raise error(lib, status, "flyteauth_client_new")
        self._setup(lib, handle.value)

    @classmethod
    def from_config(cls, path: Union[str, os.PathLike[str], None] = None, **overrides: Any) -> "Client":
        """A client from the user's Flyte configuration, read as flytekit does: `path`,
        else $FLYTECTL_CONFIG, ./flytekit.config, ~/.flyte/config, ~/.flyte/config.yaml;
        then the FLYTE_* environment variables; then `overrides` (settings keys)."""
        lib = load()
        if not lib.has("client_new_from_config"):
            raise UnsupportedError("this libflyteauth has no flyteauth_client_new_from_config")
        handle = ClientPtr()
        status = lib.client_new_from_config(None if path is None else cstr(path, "path"),
                                            settings_json(overrides, "overrides") if overrides else None,
                                            ctypes.byref(handle))
        if status:
            raise error(lib, status, "flyteauth_client_new_from_config")
        self = cls.__new__(cls)
        self._setup(lib, handle.value)
        return self

    @classmethod
    def from_api_key(cls, key: str, **overrides: Any) -> "Client":
        """A client from a FLYTE_API_KEY value (it sets the endpoint, client id and
        secret); `overrides` are more settings."""
        settings: Dict[str, Any] = {"auth_type": "apikey", "api_key": key}
        settings.update(overrides)
        return cls(settings)

    def _setup(self, lib: Library, handle: Optional[int]) -> None:
        if not handle:
            raise error_for_status(INTERNAL, "the library returned no client")
        self._lib = lib
        self._pid = PID[0]
        self._h = Handle(lib, handle, self._pid)
        self._lock = _thread.allocate_lock()  # guards the cache and its generation
        self._generation = 0
        # (pid, monotonic deadline, metadata tuple) or None
        self._cache: Optional[Tuple[int, float, Metadata]] = None
        self._callback_lock = _thread.allocate_lock()
        import weakref  # here, not at import: a program that only imports pays nothing for it

        self._finalizer = weakref.finalize(self, finalize, self._h)

    # -- lifetime ------------------------------------------------------------

    def _in_child(self) -> bool:
        return PID[0] != self._pid

    def _call(self, name: str, *args: Any) -> None:
        """``flyteauth_<name>(client, *args)`` with the handle held against close(); a
        failure status is raised as its typed error."""
        lib = self._lib
        handle = self._h.acquire()
        try:
            status = getattr(lib, name)(handle, *args)
            if status:
                raise error(lib, status, "flyteauth_" + name)
        finally:
            self._h.release()

    def close(self) -> None:
        """Release the client: cancels its waiting logins and refreshes, waits for calls
        in progress, frees the library's client. Idempotent; later calls raise
        InvalidArgumentError. Must not be called from one of its own callbacks. In a
        forked child it only marks this (the parent's) client closed."""
        if not self._in_child():
            with self._lock:
                self._cache = None
                self._generation += 1
        else:
            self._cache = None
        self._h.close()
        self._finalizer.detach()

    @property
    def closed(self) -> bool:
        return self._h.closed

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        if self._h.closed:
            return "<flyteauth.Client closed>"
        try:
            s = self.status()
            return "<flyteauth.Client endpoint=%r auth_type=%r>" % (s.get("endpoint"), s.get("auth_type"))
        except Exception:
            return "<flyteauth.Client>"

    # -- the per-call path ---------------------------------------------------

    def metadata(self) -> Metadata:
        """The gRPC metadata for one call: ``((key, value), ...)``, the authorization
        header first (``proxy-authorization`` second when configured). Gets or
        refreshes the token as needed."""
        c = self._cache
        if c is not None and c[0] == PID[0] and _monotonic() < c[1]:
            return c[2]
        return self._fetch()[2]

    def headers(self) -> Dict[str, str]:
        """The same as :meth:`metadata`, as a new dict of HTTP headers."""
        md = self._peek()
        return dict(md if md is not None else self._fetch()[2])

    def _peek(self) -> Optional[Metadata]:
        """The cached metadata if it may be used now, without calling the library."""
        c = self._cache
        if c is not None and c[0] == PID[0] and _monotonic() < c[1]:
            return c[2]
        return None

    def _fetch(self) -> Tuple[int, float, Metadata]:
        generation = self._generation
        md = MetadataPtr()
        self._call("client_metadata", ctypes.byref(md))
        pairs, _, reuse_until = take_metadata(self._lib, md)
        return self._store(generation, pairs, reuse_until)

    def _store(self, generation: int, pairs: Metadata, reuse_until: int) -> Tuple[int, float, Metadata]:
        """Caches `pairs` until the library's reuse_until (its refresh point, UTC
        seconds), unless something invalidated the cache since `generation`."""
        if self._in_child():
            return (PID[0], -_INF, pairs)
        if reuse_until >= NO_REFRESH_DUE:
            deadline = _INF  # unknown expiry: until refresh/login/logout/set_token
        else:
            deadline = _monotonic() + (reuse_until - _wall())
        with self._lock:
            entry = (self._pid, deadline, pairs)
            # Only if nothing invalidated the cache since the library call began.
            if generation == self._generation and not self._h.closed:
                self._cache = entry
        return entry

    def _invalidate(self) -> int:
        if self._in_child():
            return self._generation
        with self._lock:
            self._generation += 1
            self._cache = None
            return self._generation

    # -- tokens ------------------------------------------------------------------

    def token(self) -> Token:
        """The current access token and its expiry, getting or refreshing it as needed."""
        out = ctypes.c_void_p()
        expires_at = ctypes.c_int64()
        self._call("client_token", ctypes.byref(out), ctypes.byref(expires_at))
        return Token(take_string(self._lib, out), utc(int(expires_at.value)))

    def refresh(self, rejected: Union[str, bytes, None] = None) -> Metadata:
        """Call after a server rejected a call (gRPC UNAUTHENTICATED, HTTP 401) with
        `rejected`, the token or header value that was sent; None forces a refresh.
        If another thread already replaced that token, the new one is returned without
        a request. Returns fresh metadata."""
        arg = None if rejected is None else cstr(rejected, "rejected")
        generation = self._invalidate()
        md = MetadataPtr()
        self._call("client_refresh", arg, ctypes.byref(md))
        pairs, _, reuse_until = take_metadata(self._lib, md)
        return self._store(generation, pairs, reuse_until)[2]

    def login(self) -> None:
        """Run the configured flow now, even if a token is cached (for PKCE and device
        flow this waits for the person; :meth:`cancel` stops it)."""
        self._simple("client_login")

    def logout(self) -> None:
        """Forget the credentials: memory, the token cache, and this endpoint's items in
        every mirrored keyring layout."""
        self._simple("client_logout")

    def set_token(self, access_token: str,
                  expires_at: Union[int, float, datetime.datetime, None] = None) -> None:
        """Supply the token yourself (passthrough). Used as is until `expires_at` (UTC
        seconds or an aware datetime; None = unknown, or the JWT's exp) or until it is
        rejected. Not written to the token cache."""
        token = cstr(access_token, "access_token")
        import datetime

        if isinstance(expires_at, datetime.datetime):
            if expires_at.tzinfo is None:
                raise InvalidArgumentError("expires_at must be a timezone-aware datetime")
            seconds = int(expires_at.timestamp())
        elif expires_at is None:
            seconds = 0
        else:
            seconds = int(expires_at)
        self._simple("client_set_token", token, ctypes.c_int64(seconds))

    def cancel(self) -> None:
        """Stop any login or refresh of this client that is waiting, from any thread; the
        waiting call raises CancelledError. Later calls work normally."""
        self._simple("client_cancel", invalidate=False)

    def _simple(self, name: str, *args: Any, invalidate: bool = True) -> None:
        if not self._lib.has(name):
            raise UnsupportedError("this libflyteauth has no flyteauth_%s" % name)
        if invalidate:
            self._invalidate()
        try:
            self._call(name, *args)
        finally:
            if invalidate:
                self._invalidate()

    def status(self) -> Dict[str, Any]:
        """The client's state for display (endpoint, auth type, header key, token source,
        expiry, identity claims). Never contains a secret; does no I/O."""
        import json

        out = ctypes.c_void_p()
        self._call("client_status", ctypes.byref(out))
        result: Dict[str, Any] = json.loads(take_string(self._lib, out))
        return result

    # -- callbacks ------------------------------------------------------------------

    def _set_callback(self, slot: str, function: str, fn: Optional[Callable[..., Any]], *extra: Any) -> None:
        from . import _callbacks

        thunk, null = _CALLBACK_THUNKS[slot]
        with self._callback_lock:
            key = _callbacks.register(fn) if fn is not None else None
            try:
                self._call(function, getattr(_callbacks, thunk if fn is not None else null), key, *extra)
            except BaseException:
                _callbacks.unregister(key)
                raise
            _callbacks.unregister(self._h.callback_keys[slot])
            self._h.callback_keys[slot] = key

    def on_browser(self, fn: Optional[Callable[[str], Optional[bool]]]) -> None:
        """``fn(url)`` opens the PKCE authorization URL for the person. Return False to
        let the library open it instead (``$BROWSER`` / xdg-open); anything else means it
        was shown. Called on the login's thread; must not call back into this client.
        None restores the default."""
        self._set_callback("browser", "client_set_browser_callback", fn)

    def on_device_prompt(self, fn: Optional[Callable[[DevicePrompt], None]]) -> None:
        """``fn(prompt)`` tells the person how to approve a device login (a
        :class:`DevicePrompt`: ``verification_uri``, ``verification_uri_complete``,
        ``user_code``, ``expires_at``, and ``url``). None restores the default (stderr)."""
        self._set_callback("device", "client_set_device_prompt_callback", fn)

    def on_log(self, fn: Union[Callable[[LogLevel, str], None], logging.Logger, None],
               level: Union[int, LogLevel] = 2) -> None:
        """Receive the client's log lines (never secrets) at `level` and above (default
        WARNING): ``fn(level, message)``, or a ``logging.Logger``. Any thread may call it.
        `level` is a LogLevel or a ``logging`` level. None restores the default (warnings
        and errors on stderr)."""
        import logging

        from ._loglevel import LogLevel, from_python, to_python

        sink: Optional[Callable[[int, str], None]] = None
        if isinstance(fn, logging.Logger):
            logger = fn

            def sink(lvl: int, message: str) -> None:
                logger.log(to_python(lvl), "%s", message)
        elif fn is not None:
            user = fn

            def sink(lvl: int, message: str) -> None:
                user(LogLevel(lvl) if 0 <= lvl <= 3 else lvl, message)  # type: ignore[arg-type]
        self._set_callback("log", "client_set_log_callback", sink, from_python(level))
