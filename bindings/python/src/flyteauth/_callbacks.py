"""Host callbacks (browser opener, device prompt, log sink) without dangling pointers.

The library may call a callback from a background thread after the callback was
replaced or the client freed (a background refresh "finishes on its own", and the log
sink is read under a lock but called outside it). Handing the library a ctypes thunk
owned by a Client would then jump into freed memory. So there is exactly one
C-callable thunk per callback type, created at import and never released, and the
``user_data`` pointer the library passes back is a small integer key into a registry
of Python callables. Replacing a callback or closing a Client removes the key; a late
call with a removed key is ignored.
"""
from __future__ import annotations

import itertools
import threading
# typing, datetime and logging are not imported at run time: each costs milliseconds of
# every process's start (annotations are strings under `from __future__ import annotations`).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, Optional

from ._device_prompt import DevicePrompt
from ._library import BROWSER_FN, DEVICE_PROMPT_FN, LOG_FN

_lock = threading.Lock()
_registry: Dict[int, Callable[..., Any]] = {}
_keys = itertools.count(1)


def _log_exception(message: str) -> None:
    # `logging` only when a callback has failed: it costs milliseconds of every start.
    import logging

    logging.getLogger("flyteauth").exception(message)


def register(fn: Callable[..., Any]) -> int:
    with _lock:
        key = next(_keys)
        _registry[key] = fn
        return key


def unregister(key: Optional[int]) -> None:
    if key is None:
        return
    with _lock:
        _registry.pop(key, None)


def _lookup(user_data: Optional[int]) -> Optional[Callable[..., Any]]:
    if not user_data:
        return None
    return _registry.get(user_data)  # dict reads are atomic under the GIL


def _text(raw: Optional[bytes]) -> Optional[str]:
    return None if raw is None else raw.decode("utf-8", "replace")


def _browser(user_data: Optional[int], url: Optional[bytes]) -> int:
    fn = _lookup(user_data)
    if fn is None or url is None:
        return 1  # let the library use its default
    try:
        handled = fn(_text(url))
    except BaseException:  # never let an exception unwind into C
        _log_exception("flyteauth: the browser callback raised; using the default opener")
        return 1
    return 1 if handled is False else 0


def _device_prompt(user_data: Optional[int], uri: Optional[bytes], uri_complete: Optional[bytes],
                   code: Optional[bytes], expires_at: int) -> None:
    fn = _lookup(user_data)
    if fn is None:
        return
    import datetime

    try:
        fn(DevicePrompt(_text(uri) or "", _text(uri_complete), _text(code) or "",
                        datetime.datetime.fromtimestamp(int(expires_at), tz=datetime.timezone.utc)))
    except BaseException:
        _log_exception("flyteauth: the device prompt callback raised")


def _log_line(user_data: Optional[int], level: int, message: Optional[bytes]) -> None:
    fn = _lookup(user_data)
    if fn is None:
        return
    try:
        fn(int(level), _text(message) or "")
    except BaseException:
        pass  # a log sink must not fail the library's work; nowhere safe to report it


# The only thunks handed to the library; module globals, alive until the process ends.
BROWSER_THUNK = BROWSER_FN(_browser)
DEVICE_PROMPT_THUNK = DEVICE_PROMPT_FN(_device_prompt)
LOG_THUNK = LOG_FN(_log_line)
NULL_BROWSER = BROWSER_FN()
NULL_DEVICE_PROMPT = DEVICE_PROMPT_FN()
NULL_LOG = LOG_FN()
