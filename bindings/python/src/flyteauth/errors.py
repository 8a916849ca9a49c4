"""Exceptions raised by flyteauth, one per flyteauth_status, with flytekit's names.

    FlyteAuthError (RuntimeError)               every failure reported by the library
    ├── InvalidArgumentError (+ ValueError)     INVALID_ARGUMENT (also: a closed Client)
    ├── ConfigurationError (+ ValueError)       CONFIG: the message names the key / file
    ├── AuthenticationError                     could not get a token (flytekit's name)
    │   ├── NetworkError                        NETWORK: DNS, connect, TLS, proxy
    │   │   └── TimeoutError (+ builtins.TimeoutError)  TIMEOUT
    │   ├── ProtocolError                       PROTOCOL: unexpected HTTP status or body
    │   ├── OAuthError                          OAUTH: .oauth_error, .oauth_error_description
    │   ├── AccessTokenNotFoundError            LOGIN_REQUIRED (flytekit's name)
    │   └── CommandError                        COMMAND: the token command failed
    ├── CancelledError                          CANCELLED: Client.cancel()
    ├── CacheError                              CACHE: keyring / file cache failed
    ├── UnsupportedError                        UNSUPPORTED: server / library lacks it
    ├── ForkedError                             FORKED: client created before fork()
    ├── InternalError                           INTERNAL and unknown statuses
    └── LibraryNotFoundError (+ OSError)        libflyteauth could not be loaded

Every instance carries ``.status`` (a :class:`Status`), the library's message (``str(e)``
and ``.message``), ``.oauth_error``, ``.oauth_error_description`` and ``.http_status``
(``0`` when there was no HTTP response). Messages never contain secrets.

:mod:`flyteauth.flytekit_compat` re-raises these as subclasses of flytekit's own
``AuthenticationError`` / ``AccessTokenNotFoundError`` too, so flytekit code catching
its exceptions keeps working.
"""
from __future__ import annotations

import builtins

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Tuple, Type

    from ._status import Status

__all__ = [
    "Status", "FlyteAuthError", "InvalidArgumentError", "ConfigurationError", "AuthenticationError",
    "NetworkError", "TimeoutError", "ProtocolError", "OAuthError", "AccessTokenNotFoundError",
    "LoginRequiredError", "CommandError", "CancelledError", "CacheError", "UnsupportedError",
    "ForkedError", "InternalError", "LibraryNotFoundError", "error_for_status",
]


# The statuses as plain ints: the Status enum costs `enum` (milliseconds of every
# process's start), so it is built on first use (module __getattr__ below).
_OK, _INVALID_ARGUMENT, _CONFIG, _NETWORK, _TIMEOUT, _PROTOCOL, _OAUTH = 0, 1, 2, 3, 4, 5, 6
_LOGIN_REQUIRED, _COMMAND, _CANCELLED, _CACHE, _UNSUPPORTED, _FORKED, _INTERNAL = 7, 8, 9, 10, 11, 12, 13
FORKED = _FORKED
INTERNAL = _INTERNAL


class _StatusOf:
    """A class attribute reading as the Status member of `value`, built on first read."""

    __slots__ = ("value",)

    def __init__(self, value: int):
        self.value = value

    def __get__(self, obj: object, cls: Optional[type] = None) -> Status:
        from ._status import Status

        return Status(self.value)


def __getattr__(name: str) -> Any:
    if name == "Status":
        from ._status import Status

        return Status
    raise AttributeError("module %r has no attribute %r" % (__name__, name))


class FlyteAuthError(RuntimeError):
    """A failure reported by libflyteauth (or by this binding before calling it)."""

    #: The status this class stands for (the instance's ``.status`` may differ only
    #: for InternalError, which also takes unknown statuses).
    default_status = _StatusOf(_INTERNAL)

    def __init__(self, message: str, *, status: Optional[int] = None, oauth_error: Optional[str] = None,
                 oauth_error_description: Optional[str] = None, http_status: int = 0,
                 function: Optional[str] = None):
        super().__init__(message)
        raw = int(self.default_status) if status is None else int(status)
        self.raw_status = raw
        self.message = message
        self.oauth_error = oauth_error
        self.oauth_error_description = oauth_error_description
        self.http_status = int(http_status or 0)
        #: The library function that failed (e.g. "flyteauth_client_metadata"), if any.
        self.function = function

    @property
    def status(self) -> Status:
        """The :class:`Status`; INTERNAL for a status newer than this binding (the number
        is kept in ``raw_status``)."""
        from ._status import Status

        raw = self.raw_status
        return Status(raw if _OK <= raw <= _INTERNAL else _INTERNAL)

    def __str__(self) -> str:
        text = self.message
        if self.oauth_error and self.oauth_error not in text:
            detail = self.oauth_error
            if self.oauth_error_description:
                detail += ": " + self.oauth_error_description
            text += " (%s)" % detail
        return text

    def __repr__(self) -> str:
        return "%s(%r, status=%s)" % (type(self).__name__, str(self), self.status.name)

    def __reduce__(self) -> Tuple[Any, ...]:  # picklable (multiprocessing) with the keyword fields
        return (_rebuild, (type(self), self.message, self.raw_status, self.oauth_error,
                           self.oauth_error_description, self.http_status, self.function))


def _rebuild(cls: Type[FlyteAuthError], message: str, status: int, oauth_error: Optional[str],
             oauth_error_description: Optional[str], http_status: int, function: Optional[str]) -> FlyteAuthError:
    return cls(message, status=status, oauth_error=oauth_error, oauth_error_description=oauth_error_description,
               http_status=http_status, function=function)


class InvalidArgumentError(FlyteAuthError, ValueError):
    """A required argument was missing or malformed (e.g. a NUL character), or the
    Client is closed."""

    default_status = _StatusOf(_INVALID_ARGUMENT)


class ConfigurationError(FlyteAuthError, ValueError):
    """The configuration is invalid: unknown key, wrong type, missing value, unreadable
    secret file, malformed API key. The message names it."""

    default_status = _StatusOf(_CONFIG)


class AuthenticationError(FlyteAuthError):
    """No token could be obtained (flytekit's ``AuthenticationError``)."""

    default_status = _StatusOf(_INTERNAL)


class NetworkError(AuthenticationError):
    """A server could not be reached: DNS, connect, TLS, proxy."""

    default_status = _StatusOf(_NETWORK)


class TimeoutError(NetworkError, builtins.TimeoutError):  # noqa: A001 - flyteauth.TimeoutError by design
    """A deadline passed: HTTP request, command, login, lock wait. Also a
    ``builtins.TimeoutError``."""

    default_status = _StatusOf(_TIMEOUT)


class ProtocolError(AuthenticationError):
    """A server answered with an unexpected HTTP status or a body the protocol does not
    allow (``.http_status`` says which status)."""

    default_status = _StatusOf(_PROTOCOL)


class OAuthError(AuthenticationError):
    """The identity provider refused: ``.oauth_error`` (e.g. ``"invalid_client"``),
    ``.oauth_error_description`` and ``.http_status`` carry its answer."""

    default_status = _StatusOf(_OAUTH)


class AccessTokenNotFoundError(AuthenticationError):
    """No usable token, and getting one needs a person (interactive login disabled, or
    passthrough without a token). flytekit's ``AccessTokenNotFoundError``."""

    default_status = _StatusOf(_LOGIN_REQUIRED)


#: The status name's spelling of AccessTokenNotFoundError.
LoginRequiredError = AccessTokenNotFoundError


class CommandError(AuthenticationError):
    """The external token command failed; the message has its exit status and stderr."""

    default_status = _StatusOf(_COMMAND)


class CancelledError(FlyteAuthError):
    """:meth:`Client.cancel` stopped the operation."""

    default_status = _StatusOf(_CANCELLED)


class CacheError(FlyteAuthError):
    """The token cache (keyring or file) failed and the operation needed it."""

    default_status = _StatusOf(_CACHE)


class UnsupportedError(FlyteAuthError):
    """The server, the identity provider or this libflyteauth does not offer what the
    operation needs (e.g. no device authorization endpoint)."""

    default_status = _StatusOf(_UNSUPPORTED)


class ForkedError(FlyteAuthError):
    """The Client was created before ``os.fork()`` and used in the child. Create a new
    Client in the child process."""

    default_status = _StatusOf(_FORKED)


class InternalError(FlyteAuthError):
    """A bug in libflyteauth (or a status newer than this binding)."""

    default_status = _StatusOf(_INTERNAL)


#: What a user can do when the library cannot be loaded (LibraryNotFoundError's message).
LIBRARY_FIXES = (
    "pip install the flyteauth wheel, which carries the library (make wheel builds it: "
    "pip install build/wheel/flyteauth-*.whl)",
    "or install the Debian package: apt install libflyteauth0",
    "or set FLYTEAUTH_LIBRARY to the path of libflyteauth.so.0",
)


class LibraryNotFoundError(FlyteAuthError, OSError):
    """libflyteauth could not be loaded; the message lists every place that was tried and
    the fixes. A FlyteAuthError (status INTERNAL, no library call made) and, as before, an
    OSError (what ctypes raises)."""

    default_status = _StatusOf(_INTERNAL)

    def __init__(self, message: str, tried: Optional[List[str]] = None):
        super().__init__(message)
        self.tried = list(tried or [])

    def __reduce__(self) -> Tuple[Any, ...]:
        return (type(self), (self.message, self.tried))


_BY_STATUS: Dict[int, Type[FlyteAuthError]] = {
    _INVALID_ARGUMENT: InvalidArgumentError,
    _CONFIG: ConfigurationError,
    _NETWORK: NetworkError,
    _TIMEOUT: TimeoutError,
    _PROTOCOL: ProtocolError,
    _OAUTH: OAuthError,
    _LOGIN_REQUIRED: AccessTokenNotFoundError,
    _COMMAND: CommandError,
    _CANCELLED: CancelledError,
    _CACHE: CacheError,
    _UNSUPPORTED: UnsupportedError,
    _FORKED: ForkedError,
    _INTERNAL: InternalError,
}


def error_for_status(status: int, message: Optional[str] = None, *, oauth_error: Optional[str] = None,
                     oauth_error_description: Optional[str] = None, http_status: int = 0,
                     function: Optional[str] = None) -> FlyteAuthError:
    """The exception for a flyteauth_status (unknown values give InternalError)."""
    cls = _BY_STATUS.get(int(status), InternalError)
    if not message:
        message = "flyteauth: status %d" % int(status)
    return cls(message, status=status, oauth_error=oauth_error, oauth_error_description=oauth_error_description,
               http_status=http_status, function=function)
