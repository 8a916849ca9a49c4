"""Status: flyteauth_status as an enum (imported on first use: `enum` is not free)."""
from __future__ import annotations

import enum


class Status(enum.IntEnum):
    """flyteauth_status."""

    OK = 0
    INVALID_ARGUMENT = 1
    CONFIG = 2
    NETWORK = 3
    TIMEOUT = 4
    PROTOCOL = 5
    OAUTH = 6
    LOGIN_REQUIRED = 7
    COMMAND = 8
    CANCELLED = 9
    CACHE = 10
    UNSUPPORTED = 11
    FORKED = 12
    INTERNAL = 13
