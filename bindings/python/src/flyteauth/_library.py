"""Finding and loading libflyteauth, and the ctypes declarations of flyteauth.h.

Search order (the first that loads wins):

1. ``$FLYTEAUTH_LIBRARY``: a path to the shared library;
2. the copy the wheel carries, ``flyteauth/_lib/libflyteauth.so.0`` (absent from the
   Debian package and from a source checkout);
3. ``libflyteauth.so.0`` through the dynamic loader (``LD_LIBRARY_PATH``, the system's
   library path: an installed package);
4. the staged build of the source tree this package sits in,
   ``<repo>/build/stage/lib/libflyteauth.so.0`` (``bindings/python/../../build/...``);
5. ``ctypes.util.find_library("flyteauth")``, last because it runs ``ldconfig`` and a
   compiler (tens of milliseconds).

The library is loaded on first use, not at import, so ``import flyteauth`` works
without it (flytekit imports entry points lazily too). Every function of the header
gets its argtypes and restype here; nothing else in the package touches ctypes
declarations.
"""
from __future__ import annotations

import _thread
import ctypes
import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator, List, Optional, Tuple

from .errors import LIBRARY_FIXES, LibraryNotFoundError

#: The header this binding was written against (flyteauth.h FLYTEAUTH_VERSION_*).
HEADER_VERSION_NUMBER = 0x000100
ENV_VAR = "FLYTEAUTH_LIBRARY"

# ---------------------------------------------------------------------------
# Types of flyteauth.h
# ---------------------------------------------------------------------------

c_status = ctypes.c_int  # enum flyteauth_status (values 0..13; unknown ones are INTERNAL)


class Header(ctypes.Structure):
    """flyteauth_header."""

    _fields_ = [("key", ctypes.c_char_p), ("value", ctypes.c_char_p)]


class Metadata(ctypes.Structure):
    """flyteauth_metadata (library-allocated, never allocate it). It grows by the age
    rule of flyteauth.h: a member added after age 0 is read only when ``age`` is at
    least the age that added it."""

    _fields_ = [
        ("age", ctypes.c_uint),
        ("count", ctypes.c_size_t),
        ("headers", ctypes.POINTER(Header)),
        ("expires_at", ctypes.c_int64),
        ("reuse_until", ctypes.c_int64),
    ]


class Error(ctypes.Structure):
    """flyteauth_error (library-owned, valid until the next call on the same thread;
    grows by the age rule like Metadata)."""

    _fields_ = [
        ("age", ctypes.c_uint),
        ("status", ctypes.c_int),
        ("message", ctypes.c_char_p),
        ("oauth_error", ctypes.c_char_p),
        ("oauth_error_description", ctypes.c_char_p),
        ("http_status", ctypes.c_int),
    ]


MetadataPtr = ctypes.POINTER(Metadata)
ClientPtr = ctypes.c_void_p  # flyteauth_client * (opaque)

#: int (*)(void *user_data, const char *url)
BROWSER_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p)
#: void (*)(void *, const char *uri, const char *uri_complete, const char *code, int64_t expires_at)
DEVICE_PROMPT_FN = ctypes.CFUNCTYPE(
    None, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int64
)
#: void (*)(void *user_data, flyteauth_log_level level, const char *message)
LOG_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p)

_P = ctypes.POINTER
# name -> (restype, argtypes). Strings coming back through char** are declared as
# c_void_p so the binding keeps the pointer to free it.
SIGNATURES = {
    "flyteauth_version": (ctypes.c_char_p, []),
    "flyteauth_version_number": (ctypes.c_uint, []),
    "flyteauth_strerror": (ctypes.c_char_p, [c_status]),
    "flyteauth_error_last": (_P(Error), []),
    "flyteauth_string_free": (None, [ctypes.c_void_p]),
    "flyteauth_client_new": (c_status, [ctypes.c_char_p, _P(ClientPtr)]),
    "flyteauth_client_free": (None, [ClientPtr]),
    "flyteauth_client_metadata": (c_status, [ClientPtr, _P(MetadataPtr)]),
    "flyteauth_metadata_free": (None, [MetadataPtr]),
    "flyteauth_client_token": (c_status, [ClientPtr, _P(ctypes.c_void_p), _P(ctypes.c_int64)]),
    "flyteauth_client_refresh": (c_status, [ClientPtr, ctypes.c_char_p, _P(MetadataPtr)]),
    "flyteauth_client_login": (c_status, [ClientPtr]),
    "flyteauth_client_logout": (c_status, [ClientPtr]),
    "flyteauth_client_set_token": (c_status, [ClientPtr, ctypes.c_char_p, ctypes.c_int64]),
    "flyteauth_client_cancel": (c_status, [ClientPtr]),
    "flyteauth_client_status": (c_status, [ClientPtr, _P(ctypes.c_void_p)]),
    "flyteauth_client_set_browser_callback": (c_status, [ClientPtr, BROWSER_FN, ctypes.c_void_p]),
    "flyteauth_client_set_device_prompt_callback": (c_status, [ClientPtr, DEVICE_PROMPT_FN, ctypes.c_void_p]),
    "flyteauth_client_set_log_callback": (c_status, [ClientPtr, LOG_FN, ctypes.c_void_p, ctypes.c_int]),
    "flyteauth_client_new_from_config": (c_status, [ctypes.c_char_p, ctypes.c_char_p, _P(ClientPtr)]),
    "flyteauth_config_resolve": (c_status, [ctypes.c_char_p, ctypes.c_char_p, _P(ctypes.c_void_p)]),
}

# ---------------------------------------------------------------------------
# Finding the library
# ---------------------------------------------------------------------------


SONAME = "libflyteauth.so.0"


def staged_build_path() -> str:
    """``<repo>/build/stage/lib/libflyteauth.so.0`` for a package inside the source tree
    (``<repo>/bindings/python/src/flyteauth/_library.py``). (os.path, not pathlib: every
    import here is paid by every process's start.)"""
    here = os.path.dirname(os.path.realpath(__file__))
    parent = os.path.dirname(here)
    python_dir = os.path.dirname(parent) if os.path.basename(parent) == "src" else parent
    return os.path.join(os.path.dirname(os.path.dirname(python_dir)), "build", "stage", "lib", SONAME)


def bundled_path() -> str:
    """``flyteauth/_lib/libflyteauth.so.0``: where the wheel puts the library."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "_lib", SONAME)


def candidates() -> Iterator[Tuple[str, Optional[str]]]:
    """(description, path or name to load) in search order; None when a place gives
    nothing. Lazy: the expensive last place is consulted only when the others fail."""
    env = os.environ.get(ENV_VAR)
    yield ("$%s" % ENV_VAR + (" = %s" % env if env else " (not set)"), env or None)
    bundled = bundled_path()
    yield ("the wheel's copy %s" % bundled + ("" if os.path.exists(bundled) else " (not installed from the wheel)"),
           bundled if os.path.exists(bundled) else None)
    yield ("%s (the dynamic loader's search path)" % SONAME, SONAME)
    staged = staged_build_path()
    yield ("staged build %s" % staged, staged if os.path.exists(staged) else None)
    import ctypes.util

    found = ctypes.util.find_library("flyteauth")
    yield ('ctypes.util.find_library("flyteauth")' + (" = %s" % found if found else " (found nothing)"), found)


class Library:
    """The loaded library with every function declared."""

    def __init__(self, cdll: ctypes.CDLL, path: str):
        self.cdll = cdll
        self.path = path
        self.missing: List[str] = []
        for name, (restype, argtypes) in SIGNATURES.items():
            try:
                fn = getattr(cdll, name)
            except AttributeError:
                # The ABI only grows: an older library may lack newer functions.
                self.missing.append(name)
                continue
            fn.restype = restype
            fn.argtypes = argtypes
            setattr(self, name[len("flyteauth_"):], fn)
        for required in ("flyteauth_version_number", "flyteauth_error_last", "flyteauth_client_new",
                         "flyteauth_client_free", "flyteauth_client_metadata", "flyteauth_metadata_free",
                         "flyteauth_string_free"):
            if required in self.missing:
                raise LibraryNotFoundError("%s does not export %s: not libflyteauth, or too old" % (path, required))
        self.version_number = int(cdll.flyteauth_version_number())
        self.version: str = cdll.flyteauth_version().decode()
        if self.version_number >> 16 != HEADER_VERSION_NUMBER >> 16 or self.version_number < HEADER_VERSION_NUMBER:
            raise LibraryNotFoundError(
                "%s is libflyteauth %s; this binding needs %d.%d.x at least %d.%d.%d"
                % (path, self.version, HEADER_VERSION_NUMBER >> 16, (HEADER_VERSION_NUMBER >> 8) & 0xFF,
                   HEADER_VERSION_NUMBER >> 16, (HEADER_VERSION_NUMBER >> 8) & 0xFF, HEADER_VERSION_NUMBER & 0xFF))

    if TYPE_CHECKING:
        # The functions are set from SIGNATURES in __init__ (one attribute a function,
        # without the flyteauth_ prefix): to the type checker, any attribute.
        def __getattr__(self, name: str) -> Any: ...

    def has(self, short_name: str) -> bool:
        return hasattr(self, short_name)

    if TYPE_CHECKING:
        # The functions of SIGNATURES, set in __init__ under their names without the
        # "flyteauth_" prefix (client_new, client_metadata, ...): ctypes functions.
        def __getattr__(self, name: str) -> Any: ...


_lock = _thread.allocate_lock()
_library: Optional[Library] = None


def load() -> Library:
    """The library, loaded on first call (thread safe). Raises LibraryNotFoundError
    listing every place it looked."""
    global _library
    lib = _library
    if lib is not None:
        return lib
    with _lock:
        if _library is not None:
            return _library
        tried: List[str] = []
        for description, target in candidates():
            if target is None:
                tried.append(description)
                continue
            try:
                cdll = ctypes.CDLL(target)
            except OSError as e:
                tried.append("%s: %s" % (description, e))
                continue
            try:
                _library = Library(cdll, target)
            except LibraryNotFoundError as e:
                tried.append("%s: %s" % (description, e))
                continue
            return _library
        raise LibraryNotFoundError(
            "libflyteauth not found. Looked in:\n  - " + "\n  - ".join(tried)
            + "\nTo fix it:\n  - " + "\n  - ".join(LIBRARY_FIXES),
            tried=tried)
