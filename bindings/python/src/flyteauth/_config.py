"""Module-level functions over the library: its version, and the resolved configuration."""
from __future__ import annotations

import ctypes

from ._library import load
from ._marshal import cstr, error, settings_json, take_string
from .errors import UnsupportedError

TYPE_CHECKING = False
if TYPE_CHECKING:
    import os
    from typing import Any, Dict, Union

__all__ = ["library_version", "resolve_config"]


def library_version() -> str:
    """The loaded libflyteauth's version ("MAJOR.MINOR.PATCH")."""
    return load().version


def resolve_config(path: Union[str, os.PathLike[str], None] = None, **overrides: Any) -> Dict[str, Any]:
    """The settings :meth:`Client.from_config` would use, with each value's source and
    secrets masked (flyteauth_config_resolve)."""
    import json

    lib = load()
    if not lib.has("config_resolve"):
        raise UnsupportedError("this libflyteauth has no flyteauth_config_resolve")
    out = ctypes.c_void_p()
    status = lib.config_resolve(None if path is None else cstr(path, "path"),
                                settings_json(overrides, "overrides") if overrides else None, ctypes.byref(out))
    if status:
        raise error(lib, status, "flyteauth_config_resolve")
    result: Dict[str, Any] = json.loads(take_string(lib, out))
    return result
