"""``Client``: one Flyte endpoint's credentials, backed by a flyteauth_client."""
from __future__ import annotations

import collections.abc
import ctypes
import enum
import json
import math
import os
import threading
import time
import weakref

# typing, datetime and logging are imported for type checkers only (or where used): each
# costs milliseconds of every process's start, and annotations are strings here.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import datetime
    import logging
    from typing import Any, Callable, Dict, Mapping, Optional, Tuple, Union

from . import _callbacks
from ._library import ClientPtr, Library, MetadataPtr, load
from .errors import ConfigurationError, FlyteAuthError, InvalidArgumentError, UnsupportedError
from .errors import Status, error_for_status

__all__ = ["Client", "Token", "LogLevel", "DevicePrompt", "Metadata", "resolve_config", "library_version"]

#: gRPC metadata shape: ((key, value), ...), the authorization header first.
if TYPE_CHECKING:
    Metadata = Tuple[Tuple[str, str], ...]
else:
    Metadata = tuple
DevicePrompt = _callbacks.DevicePrompt

_monotonic = time.monotonic
_wall = time.time

# The process id, refreshed in a child right after os.fork(): comparing with it costs
# a list read, where os.getpid() is a system call (~200 ns).
_PID = [os.getpid()]


def _after_fork_in_child() -> None:
    _PID[0] = os.getpid()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class LogLevel(enum.IntEnum):
    """flyteauth_log_level."""

    DEBUG = 0
    INFO = 1
    WARNING = 2
    ERROR = 3


_NULL_THUNKS = {"browser": _callbacks.NULL_BROWSER, "device": _callbacks.NULL_DEVICE_PROMPT, "log": _callbacks.NULL_LOG}
# logging.DEBUG .. logging.ERROR: `logging` is imported only when a Logger is attached
# (it costs milliseconds of start time that a header-only process need not pay).
_TO_PY_LEVEL = {0: 10, 1: 20, 2: 30, 3: 40}


def _log_level(level: Union[int, LogLevel]) -> int:
    """A flyteauth level from a LogLevel (0..3) or a `logging` level (10, 20, ...)."""
    level = int(level)
    if 0 <= level <= 3:
        return level
    if level < 20:  # logging.INFO
        return LogLevel.DEBUG
    if level < 30:  # logging.WARNING
        return LogLevel.INFO
    if level < 40:  # logging.ERROR
        return LogLevel.WARNING
    return LogLevel.ERROR


class Token:
    """An access token and its expiry, immutable. ``repr()`` never shows the token.

    (A plain class rather than a frozen dataclass: ``dataclasses`` imports ``inspect``,
    several milliseconds of every process's start.)"""

    __slots__ = ("access_token", "expires_at")

    access_token: str
    #: UTC expiry, or None when unknown.
    expires_at: Optional[datetime.datetime]

    def __init__(self, access_token: str, expires_at: Optional[datetime.datetime]) -> None:
        object.__setattr__(self, "access_token", access_token)
        object.__setattr__(self, "expires_at", expires_at)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Token is immutable (cannot assign %s)" % name)

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Token is immutable (cannot delete %s)" % name)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Token):
            return NotImplemented
        return self.access_token == other.access_token and self.expires_at == other.expires_at

    def __hash__(self) -> int:
        return hash((self.access_token, self.expires_at))

    @property
    def header_value(self) -> str:
        return "Bearer " + self.access_token

    @property
    def expired(self) -> bool:
        import datetime

        return self.expires_at is not None and self.expires_at <= datetime.datetime.now(datetime.timezone.utc)

    def __repr__(self) -> str:
        return "Token(access_token=<redacted, %d chars>, expires_at=%r)" % (len(self.access_token), self.expires_at)

    __str__ = __repr__


# ---------------------------------------------------------------------------
# Argument conversion
# ---------------------------------------------------------------------------

def _cstr(value: Union[str, bytes, os.PathLike], name: str) -> bytes:
    """UTF-8 bytes for a `const char *` argument; a NUL or an unencodable character is
    an InvalidArgumentError naming the argument (ctypes would silently truncate)."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if isinstance(value, str):
        try:
            data = value.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidArgumentError("%s is not valid UTF-8 text" % name) from None
    elif isinstance(value, (bytes, bytearray)):
        data = bytes(value)
    else:
        raise TypeError("%s must be str, not %s" % (name, type(value).__name__))
    if b"\0" in data:
        raise InvalidArgumentError("%s contains a NUL character" % name)
    return data


def _json_default(value: Any) -> Any:
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError("a %s is not a JSON value" % type(value).__name__)


def _settings_json(settings: Mapping[str, Any], what: str) -> bytes:
    """The JSON object for flyteauth_client_new. A value that cannot be encoded is a
    ConfigurationError naming its key; the library checks names and types."""
    if not isinstance(settings, collections.abc.Mapping):
        raise TypeError("%s must be a dict of settings, not %s" % (what, type(settings).__name__))
    for key, value in settings.items():
        if not isinstance(key, str):
            raise ConfigurationError("%s: setting names must be strings, got %r" % (what, key))
        try:
            json.dumps(value, default=_json_default, allow_nan=False)
        except (TypeError, ValueError) as e:
            raise ConfigurationError('%s: setting "%s": %s' % (what, key, e)) from None
    return json.dumps(dict(settings), default=_json_default, allow_nan=False).encode("ascii")


def _error(lib: Library, status: int, function: str) -> FlyteAuthError:
    """The exception for a failed call, from flyteauth_error_last() of this thread.
    Must run before the next flyteauth_ call on this thread."""
    ptr = lib.error_last()
    if ptr:
        e = ptr.contents

        def text(raw: Optional[bytes]) -> Optional[str]:
            return None if raw is None else raw.decode("utf-8", "replace")

        # Copy every field before any other flyteauth_ call (strerror included).
        message, oauth_error = text(e.message), text(e.oauth_error)
        description, http_status = text(e.oauth_error_description), int(e.http_status)
        err = error_for_status(status, message or lib.strerror(status).decode(), oauth_error=oauth_error,
                               oauth_error_description=description, http_status=http_status, function=function)
    else:
        err = error_for_status(status, "%s failed: %s" % (function, lib.strerror(status).decode()),
                               function=function)
    if err.status == Status.FORKED:
        err.message = ("flyteauth.Client used in process %d, forked after the client was created: %s"
                       % (os.getpid(), err.message))
    return err


#: flyteauth_metadata's reuse_until when no refresh is due (INT64_MAX).
_NO_REFRESH_DUE = 2 ** 63 - 1


def _take_metadata(lib: Library, md: Any) -> Tuple[Metadata, int, int]:
    """Copies and frees a flyteauth_metadata: (headers, expires_at, reuse_until)."""
    if not md:
        raise error_for_status(Status.INTERNAL, "the library reported success but returned no metadata")
    try:
        m = md.contents
        headers = m.headers
        pairs = tuple((headers[i].key.decode("utf-8"), headers[i].value.decode("utf-8")) for i in range(m.count))
        # reuse_until is of age 0: always there.
        return pairs, int(m.expires_at), int(m.reuse_until)
    finally:
        lib.metadata_free(md)


def _take_string(lib: Library, ptr: ctypes.c_void_p) -> str:
    """Copies and frees a char * returned through a char ** parameter."""
    try:
        return ctypes.string_at(ptr.value).decode("utf-8") if ptr.value else ""
    finally:
        lib.string_free(ptr)


def _utc(seconds: int) -> Optional[datetime.datetime]:
    if seconds <= 0:
        return None
    import datetime

    return datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)


def library_version() -> str:
    """The loaded libflyteauth's version ("MAJOR.MINOR.PATCH")."""
    return load().version


def resolve_config(path: Union[str, os.PathLike, None] = None, **overrides: Any) -> Dict[str, Any]:
    """The settings :meth:`Client.from_config` would use, with each value's source and
    secrets masked (flyteauth_config_resolve)."""
    lib = load()
    if not lib.has("config_resolve"):
        raise UnsupportedError("this libflyteauth has no flyteauth_config_resolve")
    out = ctypes.c_void_p()
    status = lib.config_resolve(None if path is None else _cstr(path, "path"),
                                _settings_json(overrides, "overrides") if overrides else None, ctypes.byref(out))
    if status:
        raise _error(lib, status, "flyteauth_config_resolve")
    return json.loads(_take_string(lib, out))


# ---------------------------------------------------------------------------
# Client
# ---------------------------------------------------------------------------

class _Handle:
    """A flyteauth_client * and everything its lifetime needs: the calls in progress,
    the registered callbacks, closing. Shared with the Client's finalizer, so it never
    refers to the Client itself."""

    __slots__ = ("lib", "value", "pid", "lock", "idle", "inflight", "closed", "callback_keys", "__weakref__")

    def __init__(self, lib: Library, value: int, pid: int):
        self.lib = lib
        self.value: Optional[int] = value
        self.pid = pid
        self.lock = threading.Lock()
        self.idle = threading.Condition(self.lock)
        self.inflight = 0
        self.closed = False
        self.callback_keys: Dict[str, Optional[int]] = {"browser": None, "device": None, "log": None}

    def acquire(self) -> int:
        """The pointer, held open for one library call (pair with release())."""
        if _PID[0] != self.pid:
            # A forked child: never touch locks inherited from the parent (a thread that
            # held one does not exist here); the library answers FLYTEAUTH_E_FORKED itself.
            if self.value is None or self.closed:
                raise InvalidArgumentError("this flyteauth Client is closed")
            return self.value
        with self.lock:
            if self.closed or self.value is None:
                raise InvalidArgumentError("this flyteauth Client is closed")
            self.inflight += 1
            return self.value

    def release(self) -> None:
        if _PID[0] != self.pid:
            return
        with self.lock:
            self.inflight -= 1
            if self.inflight == 0 and self.closed:
                self.idle.notify_all()

    def close(self, wait: bool = True) -> None:
        """Cancel waiting calls, wait for calls in progress (`wait`), reset the callbacks,
        free. Idempotent. In a forked child the parent's client is left alone."""
        if _PID[0] != self.pid:
            self.closed = True
            return
        lib = self.lib
        with self.lock:
            if self.closed:
                return
            self.closed = True
            value = self.value
            busy = self.inflight > 0
        if value is None:
            return
        if busy:
            if not wait:
                # Interpreter exit with a daemon thread inside a call: leak rather than
                # free the client under it.
                return
            if lib.has("client_cancel"):
                lib.client_cancel(value)
            with self.lock:
                while self.inflight:
                    self.idle.wait()
        with self.lock:
            self.value = None
        # flyteauth_client_free returns only once no callback of the client can run
        # (flyteauth.h), so the Python functions can be let go after it.
        lib.client_free(value)
        for slot, key in self.callback_keys.items():
            _callbacks.unregister(key)
            self.callback_keys[slot] = None


def _finalize(handle: _Handle) -> None:
    """weakref.finalize callback: a Client garbage-collected unclosed, or still alive at
    interpreter exit."""
    handle.close(wait=False)


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
        payload = _settings_json(settings, "settings")
        lib = load()
        handle = ClientPtr()
        status = lib.client_new(payload, ctypes.byref(handle))
        if status:
            raise _error(lib, status, "flyteauth_client_new")
        self._setup(lib, handle.value)

    @classmethod
    def from_config(cls, path: Union[str, os.PathLike, None] = None, **overrides: Any) -> "Client":
        """A client from the user's Flyte configuration, read as flytekit does: `path`,
        else $FLYTECTL_CONFIG, ./flytekit.config, ~/.flyte/config, ~/.flyte/config.yaml;
        then the FLYTE_* environment variables; then `overrides` (settings keys)."""
        lib = load()
        if not lib.has("client_new_from_config"):
            raise UnsupportedError("this libflyteauth has no flyteauth_client_new_from_config")
        handle = ClientPtr()
        status = lib.client_new_from_config(None if path is None else _cstr(path, "path"),
                                            _settings_json(overrides, "overrides") if overrides else None,
                                            ctypes.byref(handle))
        if status:
            raise _error(lib, status, "flyteauth_client_new_from_config")
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
            raise error_for_status(Status.INTERNAL, "the library returned no client")
        self._lib = lib
        self._pid = _PID[0]
        self._h = _Handle(lib, handle, self._pid)
        self._lock = threading.Lock()  # guards the cache and its generation
        self._generation = 0
        # (pid, monotonic deadline, metadata tuple) or None
        self._cache: Optional[Tuple[int, float, Metadata]] = None
        self._callback_lock = threading.Lock()
        self._finalizer = weakref.finalize(self, _finalize, self._h)

    # -- lifetime ------------------------------------------------------------

    def _in_child(self) -> bool:
        return _PID[0] != self._pid

    def _call(self, name: str, *args: Any) -> None:
        """``flyteauth_<name>(client, *args)`` with the handle held against close(); a
        failure status is raised as its typed error."""
        lib = self._lib
        handle = self._h.acquire()
        try:
            status = getattr(lib, name)(handle, *args)
            if status:
                raise _error(lib, status, "flyteauth_" + name)
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
        if c is not None and c[0] == _PID[0] and _monotonic() < c[1]:
            return c[2]
        return self._fetch()[2]

    def headers(self) -> Dict[str, str]:
        """The same as :meth:`metadata`, as a new dict of HTTP headers."""
        md = self._peek()
        return dict(md if md is not None else self._fetch()[2])

    def _peek(self) -> Optional[Metadata]:
        """The cached metadata if it may be used now, without calling the library."""
        c = self._cache
        if c is not None and c[0] == _PID[0] and _monotonic() < c[1]:
            return c[2]
        return None

    def _fetch(self) -> Tuple[int, float, Metadata]:
        generation = self._generation
        md = MetadataPtr()
        self._call("client_metadata", ctypes.byref(md))
        pairs, _, reuse_until = _take_metadata(self._lib, md)
        return self._store(generation, pairs, reuse_until)

    def _store(self, generation: int, pairs: Metadata, reuse_until: int) -> Tuple[int, float, Metadata]:
        """Caches `pairs` until the library's reuse_until (its refresh point, UTC
        seconds), unless something invalidated the cache since `generation`."""
        if self._in_child():
            return (_PID[0], -math.inf, pairs)
        if reuse_until >= _NO_REFRESH_DUE:
            deadline = math.inf  # unknown expiry: until refresh/login/logout/set_token
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
        return Token(_take_string(self._lib, out), _utc(int(expires_at.value)))

    def refresh(self, rejected: Union[str, bytes, None] = None) -> Metadata:
        """Call after a server rejected a call (gRPC UNAUTHENTICATED, HTTP 401) with
        `rejected`, the token or header value that was sent; None forces a refresh.
        If another thread already replaced that token, the new one is returned without
        a request. Returns fresh metadata."""
        arg = None if rejected is None else _cstr(rejected, "rejected")
        generation = self._invalidate()
        md = MetadataPtr()
        self._call("client_refresh", arg, ctypes.byref(md))
        pairs, _, reuse_until = _take_metadata(self._lib, md)
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
        token = _cstr(access_token, "access_token")
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
        out = ctypes.c_void_p()
        self._call("client_status", ctypes.byref(out))
        return json.loads(_take_string(self._lib, out))

    # -- callbacks ------------------------------------------------------------------

    def _set_callback(self, slot: str, function: str, thunk: Any, fn: Optional[Callable[..., Any]],
                      *extra: Any) -> None:
        with self._callback_lock:
            key = _callbacks.register(fn) if fn is not None else None
            try:
                self._call(function, thunk if fn is not None else _NULL_THUNKS[slot], key, *extra)
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
        self._set_callback("browser", "client_set_browser_callback", _callbacks.BROWSER_THUNK, fn)

    def on_device_prompt(self, fn: Optional[Callable[[DevicePrompt], None]]) -> None:
        """``fn(prompt)`` tells the person how to approve a device login (a
        :class:`DevicePrompt`: ``verification_uri``, ``verification_uri_complete``,
        ``user_code``, ``expires_at``, and ``url``). None restores the default (stderr)."""
        self._set_callback("device", "client_set_device_prompt_callback", _callbacks.DEVICE_PROMPT_THUNK, fn)

    def on_log(self, fn: Union[Callable[[LogLevel, str], None], "logging.Logger", None],
               level: Union[int, LogLevel] = LogLevel.WARNING) -> None:
        """Receive the client's log lines (never secrets) at `level` and above:
        ``fn(level, message)``, or a ``logging.Logger``. Any thread may call it. `level`
        is a LogLevel or a ``logging`` level. None restores the default (warnings and
        errors on stderr)."""
        import logging

        if isinstance(fn, logging.Logger):
            logger = fn

            def fn(lvl: int, message: str) -> None:  # type: ignore[misc]
                logger.log(_TO_PY_LEVEL.get(lvl, logging.ERROR), "%s", message)
        elif fn is not None:
            user = fn

            def fn(lvl: int, message: str) -> None:  # type: ignore[misc]
                user(LogLevel(lvl) if 0 <= lvl <= 3 else lvl, message)  # type: ignore[arg-type]
        self._set_callback("log", "client_set_log_callback", _callbacks.LOG_THUNK, fn, _log_level(level))

