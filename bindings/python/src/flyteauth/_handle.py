"""The lifetime of one ``flyteauth_client *``: calls in progress, its callbacks, closing,
and which process it belongs to (a client is unusable after ``os.fork()``)."""
from __future__ import annotations

import _thread
import os

from .errors import InvalidArgumentError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, Optional

    from ._library import Library

__all__ = ["PID", "Handle", "finalize"]

# The process id, refreshed in a child right after os.fork(): comparing with it costs
# a list read, where os.getpid() is a system call (~200 ns).
PID = [os.getpid()]


def _after_fork_in_child() -> None:
    PID[0] = os.getpid()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class Handle:
    """A flyteauth_client * and everything its lifetime needs: the calls in progress,
    the registered callbacks, closing. Shared with the Client's finalizer, so it never
    refers to the Client itself. (`_thread` locks, not `threading`: that module costs
    milliseconds of every process's start.)"""

    __slots__ = ("lib", "value", "pid", "lock", "idle", "inflight", "closed", "callback_keys", "__weakref__")

    def __init__(self, lib: Library, value: int, pid: int):
        self.lib = lib
        self.value: Optional[int] = value
        self.pid = pid
        self.lock = _thread.allocate_lock()
        # Held by close() while it waits for calls in progress; the last one releases it.
        self.idle: Optional[_thread.LockType] = None
        self.inflight = 0
        self.closed = False
        self.callback_keys: Dict[str, Optional[int]] = {"browser": None, "device": None, "log": None}

    def acquire(self) -> int:
        """The pointer, held open for one library call (pair with release())."""
        if PID[0] != self.pid:
            # A forked child: never touch locks inherited from the parent (a thread that
            # held one does not exist here); the library answers FLYTEAUTH_E_FORKED itself.
            if self.value is None or self.closed:
                raise InvalidArgumentError("this flyteauth Client is closed")
            return self.value
        with self.lock:
            if self.closed or self.value is None:
                raise InvalidArgumentError("this flyteauth Client is closed")
            self.inflight += 1
            return self.value

    def release(self) -> None:
        if PID[0] != self.pid:
            return
        with self.lock:
            self.inflight -= 1
            if self.inflight == 0 and self.idle is not None:
                self.idle.release()
                self.idle = None

    def close(self, wait: bool = True) -> None:
        """Cancel waiting calls, wait for calls in progress (`wait`), reset the callbacks,
        free. Idempotent. In a forked child the parent's client is left alone."""
        if PID[0] != self.pid:
            self.closed = True
            return
        lib = self.lib
        idle = None
        with self.lock:
            if self.closed:
                return
            self.closed = True
            value = self.value
            if self.inflight > 0 and wait:
                idle = self.idle = _thread.allocate_lock()
                idle.acquire()
            busy = self.inflight > 0
        if value is None:
            return
        if busy:
            if not wait:
                # Interpreter exit with a daemon thread inside a call: leak rather than
                # free the client under it.
                return
            if lib.has("client_cancel"):
                lib.client_cancel(value)
            assert idle is not None
            idle.acquire()  # released by the last call in progress
        with self.lock:
            self.value = None
        # flyteauth_client_free returns only once no callback of the client can run
        # (flyteauth.h), so the Python functions can be let go after it.
        lib.client_free(value)
        if any(key is not None for key in self.callback_keys.values()):
            from . import _callbacks

            for slot, key in self.callback_keys.items():
                _callbacks.unregister(key)
                self.callback_keys[slot] = None


def finalize(handle: Handle) -> None:
    """weakref.finalize callback: a Client garbage-collected unclosed, or still alive at
    interpreter exit."""
    handle.close(wait=False)
