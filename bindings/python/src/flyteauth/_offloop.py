"""Running a blocking library call off the event loop: one thread per call, awaited by
any number of tasks of that loop.

A thread per call, not a pool: a call may wait minutes for a person (a login), and a
pool's idle workers would outlive it. The thread ends when the library returns; a call
nobody awaits any more is cancelled in the engine (flyteauth_client_cancel), so its
thread ends at once instead of waiting out the IdP's or the person's timeout.

flyteauth_client_cancel stops every waiting login and refresh of the client, so
cancelling one task's call can also stop another call that tasks still await: that
one is run again (the cancellation was not meant for it). `Owner.epoch` counts these
cancellations, so a call can tell one aimed elsewhere from Client.cancel()."""
from __future__ import annotations

import asyncio
import threading
from typing import Any, Callable, Generic, List, Optional, Set, TypeVar

from .errors import CancelledError as EngineCancelled

T = TypeVar("T")
#: Seconds between cancels of an abandoned call that has not ended: its thread may not
#: have reached the engine when the first cancel was made (it cancels only the calls
#: started before it).
RECANCEL_SECONDS = 0.2

__all__ = ["Owner", "Call"]


class Owner:
    """What the calls of one client share: the engine's cancel, and the count of
    cancellations made for abandoned calls."""

    __slots__ = ("cancel", "epoch", "calls", "threads")

    def __init__(self, cancel: Callable[[], None]):
        self.cancel = cancel
        self.epoch = 0
        #: Calls whose threads are running (a set: a thread removes its own call).
        self.calls: Set[Call[Any]] = set()
        #: The threads started and not yet seen ended (for a close to join them).
        self.threads: List[threading.Thread] = []

    def started(self, thread: threading.Thread) -> None:
        self.threads = [t for t in self.threads if t.is_alive()]
        self.threads.append(thread)

    def abandon(self, call: Call[Any]) -> None:
        """Nobody awaits `call` any more: stop the engine's wait (on the loop's thread)."""
        if not call.cancellable or call.future.done():
            return
        call.abandoned = True
        self.epoch += 1
        self.cancel()
        call.loop.call_later(RECANCEL_SECONDS, self._again, call)

    def _again(self, call: Call[Any]) -> None:
        if not call.future.done() and not call.waiters:
            self.abandon(call)


class Call(Generic[T]):
    """`fn()` on a thread of its own; its result (or exception) lands in `future` on
    `loop`. Await it with :meth:`wait`."""

    __slots__ = ("owner", "loop", "future", "fn", "waiters", "cancellable", "abandoned", "thread", "__weakref__")

    def __init__(self, owner: Owner, fn: Callable[[], T], name: str, cancellable: bool = True):
        self.owner = owner
        self.loop = asyncio.get_running_loop()
        self.future: asyncio.Future[T] = self.loop.create_future()
        self.fn = fn
        self.waiters = 0
        self.cancellable = cancellable
        self.abandoned = False
        self.thread = threading.Thread(target=self._run, name="flyteauth-" + name, daemon=True)
        owner.calls.add(self)
        try:
            # Waits for the OS to start the thread (tens of microseconds), never for I/O.
            self.thread.start()
        except BaseException:
            owner.calls.discard(self)
            raise
        owner.started(self.thread)

    def _run(self) -> None:
        result: Optional[T] = None
        exc: Optional[BaseException] = None
        try:
            while True:
                epoch = self.owner.epoch
                try:
                    if self.abandoned:
                        raise EngineCancelled("the awaiting task was cancelled")
                    result = self.fn()
                except EngineCancelled as e:
                    # Cancelled for another call while tasks still await this one: again.
                    if self.waiters and self.owner.epoch != epoch:
                        continue
                    exc = e
                except BaseException as e:  # noqa: BLE001 - handed to the awaiting task
                    exc = e
                break
        finally:
            self.owner.calls.discard(self)
            try:
                self.loop.call_soon_threadsafe(self._settle, result, exc)
            except RuntimeError:
                pass  # the loop is closed: nobody can await the result
            self.fn = None  # type: ignore[assignment]

    def _settle(self, result: Optional[T], exc: Optional[BaseException]) -> None:
        future = self.future
        if future.done():
            return
        if exc is None:
            future.set_result(result)  # type: ignore[arg-type]
        elif self.waiters:
            future.set_exception(exc)
        else:
            future.cancel()  # abandoned: no "exception was never retrieved"

    async def wait(self) -> T:
        """The call's result. Cancelling the awaiting task leaves the call to its other
        waiters; the last one to leave cancels it in the engine."""
        self.waiters += 1
        try:
            return await asyncio.shield(self.future)
        finally:
            self.waiters -= 1
            if not self.waiters and not self.future.done():
                self.owner.abandon(self)
