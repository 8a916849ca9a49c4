"""Crossing the C boundary: arguments to C (UTF-8 strings, the settings JSON) and
results from it (metadata, strings, the thread's error), each copied and freed.

No `json` here: it imports `re` (milliseconds of every process's start), and the
settings are a small tree of strings, numbers, booleans and lists."""
from __future__ import annotations

import ctypes
import os
from _collections_abc import Mapping

from .errors import FORKED, INTERNAL, ConfigurationError, FlyteAuthError, InvalidArgumentError, error_for_status

TYPE_CHECKING = False
if TYPE_CHECKING:
    import datetime
    from typing import Any, List, Optional, Tuple, Union

    from ._library import Library
    from ._token import Metadata

#: flyteauth_metadata's reuse_until when no refresh is due (INT64_MAX).
NO_REFRESH_DUE = 2 ** 63 - 1


def cstr(value: Union[str, bytes, os.PathLike[str]], name: str) -> bytes:
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


def _json_string(text: str) -> str:
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return '"' + text + '"'
    import json  # escapes needed: rare in settings

    return json.dumps(text)


def _encode(value: Any, out: List[str]) -> None:
    """Appends `value` as JSON to `out` (json.dumps(allow_nan=False) for what settings
    hold; os.PathLike as its path, sets as sorted arrays)."""
    if isinstance(value, str):
        out.append(_json_string(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("Out of range float values are not JSON compliant")
        out.append(float.__repr__(value))
    elif isinstance(value, Mapping):
        out.append("{")
        for i, (k, v) in enumerate(value.items()):
            if not isinstance(k, str):
                raise TypeError("keys must be str, not %s" % type(k).__name__)
            out.append((", " if i else "") + _json_string(k) + ": ")
            _encode(v, out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, v in enumerate(value):
            if i:
                out.append(", ")
            _encode(v, out)
        out.append("]")
    elif isinstance(value, (set, frozenset)):
        _encode(sorted(value), out)
    elif isinstance(value, os.PathLike):
        _encode(os.fspath(value), out)
    else:
        raise TypeError("a %s is not a JSON value" % type(value).__name__)


def settings_json(settings: Mapping[str, Any], what: str) -> bytes:
    """The JSON object for flyteauth_client_new. A value that cannot be encoded is a
    ConfigurationError naming its key; the library checks names and types."""
    if not isinstance(settings, Mapping):
        raise TypeError("%s must be a dict of settings, not %s" % (what, type(settings).__name__))
    out = ["{"]
    for i, (key, value) in enumerate(settings.items()):
        if not isinstance(key, str):
            raise ConfigurationError("%s: setting names must be strings, got %r" % (what, key))
        out.append((", " if i else "") + _json_string(key) + ": ")
        try:
            _encode(value, out)
        except (TypeError, ValueError, RecursionError) as e:
            raise ConfigurationError('%s: setting "%s": %s' % (what, key, e)) from None
    out.append("}")
    return "".join(out).encode("utf-8")


def error(lib: Library, status: int, function: str) -> FlyteAuthError:
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
    if err.raw_status == FORKED:
        err.message = ("flyteauth.Client used in process %d, forked after the client was created: %s"
                       % (os.getpid(), err.message))
    return err


def take_metadata(lib: Library, md: Any) -> Tuple[Metadata, int, int]:
    """Copies and frees a flyteauth_metadata: (headers, expires_at, reuse_until)."""
    if not md:
        raise error_for_status(INTERNAL, "the library reported success but returned no metadata")
    try:
        m = md.contents
        headers = m.headers
        pairs = tuple((headers[i].key.decode("utf-8"), headers[i].value.decode("utf-8")) for i in range(m.count))
        # reuse_until is of age 0: always there.
        return pairs, int(m.expires_at), int(m.reuse_until)
    finally:
        lib.metadata_free(md)


def take_string(lib: Library, ptr: ctypes.c_void_p) -> str:
    """Copies and frees a char * returned through a char ** parameter."""
    try:
        return ctypes.string_at(ptr.value).decode("utf-8") if ptr.value else ""
    finally:
        lib.string_free(ptr)


def utc(seconds: int) -> Optional[datetime.datetime]:
    """An aware UTC datetime from UTC seconds; None for 0 (unknown)."""
    if seconds <= 0:
        return None
    import datetime

    return datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)
