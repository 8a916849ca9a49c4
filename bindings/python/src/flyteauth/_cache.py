"""When a metadata tuple copied out of the library may be handed out again without
asking the library.

The library hands out a token as is until its *soft deadline*, ``expires_at -
min(refresh_window, lifetime / 2)``; from then on it still hands it out but refreshes
in the background, and past the *hard deadline* (``expires_at - min(10, window,
lifetime / 10)``) callers wait for a new token. Only ``expires_at`` crosses the C
interface, so the binding estimates the lifetime from the moment it first saw a
header value and stops reusing its copy a little *before* the library's soft deadline
(``min(window, lifetime / 2)`` plus a margin of ``min(1 s, lifetime / 10)``). From then
on every call goes to the library (a few microseconds), which starts the background
refresh, until a new header value appears and is cached in turn.

A token with unknown expiry is reused until ``refresh()``, ``login()``, ``logout()``
or ``set_token()`` invalidates it (the library does the same). A proxy-authorization
header's JWT ``exp`` bounds the reuse too (the library uses a fixed 60 s window there).
"""
from __future__ import annotations

import json
import math
from collections import OrderedDict
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional, Sequence, Tuple

#: The library's default refresh_window_seconds, and the proxy header's fixed one.
DEFAULT_WINDOW = 60.0
PROXY_WINDOW = 60.0
_SEEN_MAX = 16


def jwt_expiry(header_value: str) -> Optional[float]:
    """The ``exp`` claim of a ``Bearer <JWT>`` header value, or None (no signature check)."""
    token = header_value.split(" ", 1)[1] if " " in header_value else header_value
    parts = token.split(".")
    if len(parts) not in (3, 5) or len(parts[1]) > 65536:
        return None
    try:
        payload = parts[1] + "=" * (-len(parts[1]) % 4)
        import base64

        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
        exp = claims.get("exp") if isinstance(claims, dict) else None
    except (ValueError, UnicodeError, TypeError):
        return None
    if isinstance(exp, (int, float)) and not isinstance(exp, bool) and math.isfinite(exp) and exp > 0:
        return float(exp)
    return None


class ReusePolicy:
    """Computes reuse deadlines (UTC seconds). Not thread safe: the Client calls it
    with its lock held."""

    def __init__(self, window: Optional[float] = None):
        try:
            w = float(window) if window is not None else DEFAULT_WINDOW
        except (TypeError, ValueError):
            w = DEFAULT_WINDOW
        self.window = w if math.isfinite(w) and w >= 0 else DEFAULT_WINDOW
        self._first_seen: "OrderedDict[str, float]" = OrderedDict()

    def _seen(self, value: str, now: float) -> float:
        first = self._first_seen.get(value)
        if first is None:
            first = now
            self._first_seen[value] = now
            while len(self._first_seen) > _SEEN_MAX:
                self._first_seen.popitem(last=False)
        return first

    def _until(self, value: str, expires_at: float, window: float, now: float) -> float:
        lifetime = max(0.0, expires_at - self._seen(value, now))
        lead = min(window, lifetime / 2) + min(1.0, lifetime / 10)
        return expires_at - lead

    def reuse_until(self, headers: Sequence[Tuple[str, str]], expires_at: int, now: float) -> float:
        """UTC time until which `headers` may be handed out without asking the library
        (``math.inf`` for unknown expiry; ``<= now`` for "do not reuse")."""
        until = math.inf
        if headers and expires_at > 0:
            until = self._until(headers[0][1], float(expires_at), self.window, now)
        for key, value in headers[1:]:
            if key == "proxy-authorization":
                exp = jwt_expiry(value)
                if exp is not None:
                    until = min(until, self._until(value, exp, PROXY_WINDOW, now))
        return until
