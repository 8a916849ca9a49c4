"""LogLevel (flyteauth_log_level) and the mapping to and from ``logging`` levels.
Imported on first use: `enum` costs milliseconds of every process's start."""
from __future__ import annotations

import enum

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Union

__all__ = ["LogLevel", "from_python", "to_python"]


class LogLevel(enum.IntEnum):
    """flyteauth_log_level."""

    DEBUG = 0
    INFO = 1
    WARNING = 2
    ERROR = 3


# logging.DEBUG .. logging.ERROR, without importing `logging` for four constants.
_TO_PY_LEVEL = {0: 10, 1: 20, 2: 30, 3: 40}


def to_python(level: int) -> int:
    """The ``logging`` level of a flyteauth level (ERROR for an unknown one)."""
    return _TO_PY_LEVEL.get(level, 40)


def from_python(level: Union[int, LogLevel]) -> int:
    """A flyteauth level from a LogLevel (0..3) or a ``logging`` level (10, 20, ...)."""
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
