"""DevicePrompt: what the person needs to approve a device login."""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import datetime
    from typing import Any, Optional, Tuple

__all__ = ["DevicePrompt"]


class DevicePrompt(tuple):  # type: ignore[type-arg]  # a NamedTuple, written out
    """What the person needs to approve a device login (passed to ``on_device_prompt``).

    An immutable tuple ``(verification_uri, verification_uri_complete, user_code,
    expires_at)`` with named fields, like a NamedTuple (written out: building a
    NamedTuple class costs a millisecond of every import)."""

    __slots__ = ()
    _fields = ("verification_uri", "verification_uri_complete", "user_code", "expires_at")

    def __new__(cls, verification_uri: str, verification_uri_complete: Optional[str], user_code: str,
                expires_at: datetime.datetime) -> "DevicePrompt":
        return tuple.__new__(cls, (verification_uri, verification_uri_complete, user_code, expires_at))

    def __getnewargs__(self) -> Tuple[Any, ...]:
        return tuple(self)

    @property
    def verification_uri(self) -> str:
        value: str = self[0]
        return value

    @property
    def verification_uri_complete(self) -> Optional[str]:
        """The URI with the code filled in, or None when the IdP sent none."""
        value: Optional[str] = self[1]
        return value

    @property
    def user_code(self) -> str:
        value: str = self[2]
        return value

    @property
    def expires_at(self) -> datetime.datetime:
        """When the code expires (UTC)."""
        value: datetime.datetime = self[3]
        return value

    @property
    def url(self) -> str:
        """The URL to show: the complete one when given, else flytekit's
        ``verification_uri?user_code=...``."""
        if self.verification_uri_complete:
            return self.verification_uri_complete
        sep = "&" if "?" in self.verification_uri else "?"
        return "%s%suser_code=%s" % (self.verification_uri, sep, self.user_code)

    def __repr__(self) -> str:
        return "DevicePrompt(verification_uri=%r, verification_uri_complete=%r, user_code=%r, expires_at=%r)" % self
