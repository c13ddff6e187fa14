"""The runner's async bridge: what a hook returns is awaited on an event loop of the run."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Awaitable

    from iotic_app._aio import LoopOwner
    from iotic_app._run_events import RunEvents


class HookLoop:
    """Resolves what a runner's hooks return: an awaitable runs on the run's event loop.

    The loop is made on first use (in the run's thread, or in a thread of its own that counts
    as one of the run's: see *thread_of_run*) and closed when the run ends. The task of an
    async main is handed to the wakeup, so that ``stop()`` can cancel it.
    """

    def __init__(self, name: str, events: RunEvents) -> None:
        self._name = name
        self._wake = events.wake
        self._shutdown = events.shutdown
        self._loop: LoopOwner | None = None

    def resolve(
        self,
        result: Any,
        thread_of_run: Callable[[], AbstractContextManager[None]],
        *,
        main: bool = False,
    ) -> Any:
        """Return *result*, or what it resolves to when it is awaitable (run on our loop).

        *thread_of_run* is the runner's: a loop thread of our own runs inside it. It is taken
        here rather than kept, so that the runner is not in a reference cycle between runs.
        """
        if result is None or result is True or result is False or not inspect.isawaitable(result):
            return result
        return self._await(result, thread_of_run, main=main)

    def close(self) -> None:
        """Close the loop of the run that has ended, if it made one."""
        if self._loop is not None:
            self._loop.close()
            self._loop = None

    def _await(
        self,
        awaitable: Awaitable[Any],
        thread_of_run: Callable[[], AbstractContextManager[None]],
        *,
        main: bool,
    ) -> Any:
        if self._loop is None:
            from iotic_app._aio import LoopOwner

            self._loop = LoopOwner(self._name, thread_of_run)
        if not main:
            return self._loop.run(awaitable)
        self._wake.main_cancelled = False
        try:
            return self._loop.run(awaitable, self._set_main_task)
        finally:
            self._wake.set_main_task(None)

    def _set_main_task(self, loop: asyncio.AbstractEventLoop, task: asyncio.Future[Any]) -> None:
        self._wake.set_main_task((loop, task))
        if self._wake.is_set():  # stop() came before the task existed
            self._wake.interrupt(cancel_main=self._shutdown.is_set())


def is_cancellation(exc: BaseException) -> bool:
    """Whether *exc* is ``asyncio.CancelledError`` (asyncio is imported by then, if at all)."""
    asyncio = sys.modules.get("asyncio")
    return asyncio is not None and isinstance(exc, asyncio.CancelledError)
