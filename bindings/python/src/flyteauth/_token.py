"""What a caller gets back: ``Token`` (an access token and its expiry) and the
``Metadata`` shape of gRPC metadata."""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import datetime
    from typing import Any, Optional, Tuple

__all__ = ["Metadata", "Token"]

#: gRPC metadata shape: ((key, value), ...), the authorization header first.
if TYPE_CHECKING:
    Metadata = Tuple[Tuple[str, str], ...]
else:
    Metadata = tuple


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
