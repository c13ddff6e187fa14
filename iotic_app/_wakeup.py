"""What ends a run's waits: the wake event, async waiters, and the task of an async main."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio

#: An event loop and a future (or task) on it.
_OnLoop = tuple["asyncio.AbstractEventLoop", "asyncio.Future[Any]"]


class Wakeup:
    """The event that ``wait_for_shutdown()`` waits on, with what else a wake must reach.

    Setting it through :meth:`interrupt` also resolves the futures of the callers of
    ``wait_for_shutdown_async()`` and, when asked, cancels an async main that is not waiting
    on the runner. Safe from any thread.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._waiters: set[_OnLoop] = set()
        self._main_task: _OnLoop | None = None
        #: A stop cancelled the async main of this attempt (reset by each attempt).
        self.main_cancelled = False

    def is_set(self) -> bool:
        return self._event.is_set()

    def set(self) -> None:
        """Wake the threads waiting in :meth:`wait` (not the async waiters: see interrupt)."""
        self._event.set()

    def clear(self) -> None:
        self._event.clear()

    def wait(self, timeout: float | None) -> bool:
        return self._event.wait(timeout)

    def add_waiter(self, loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any]) -> bool:
        """File *future* to be resolved by the next interrupt; True (not filed) if already set."""
        with self._lock:
            if self._event.is_set():
                return True
            self._waiters.add((loop, future))
            return False

    def remove_waiter(self, loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any]) -> None:
        with self._lock:
            self._waiters.discard((loop, future))

    def set_main_task(self, main_task: _OnLoop | None) -> None:
        """The task of the async main now running (None: it has ended)."""
        with self._lock:
            self._main_task = main_task

    def interrupt(self, *, cancel_main: bool) -> None:
        """Wake every waiter; with *cancel_main*, cancel an async main not waiting on us."""
        self._event.set()
        with self._lock:
            waiters = list(self._waiters)
            main_task = self._main_task
        if not waiters and main_task is None:
            return
        from iotic_app._aio import cancel, resolve

        for loop, future in waiters:
            resolve(loop, future)
        if cancel_main and main_task is not None:
            loop, task = main_task
            if not any(waiter_loop is loop for waiter_loop, _ in waiters):
                self.main_cancelled = True
                cancel(loop, task)
