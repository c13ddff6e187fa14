"""Runs a runner's coroutines on an event loop that the runner owns."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from typing import Any, TypeVar

T = TypeVar("T")


class LoopOwner:
    """One event loop per run, in the runner's thread, created on first use.

    Where the runner's thread already runs a loop (a notebook's main thread), the coroutines
    run on a loop in a thread of our own instead, so that loop is never disturbed. That thread
    runs inside *thread_of_run()* (the runner's: ``stop()`` from it does not wait).
    """

    def __init__(
        self, name: str, thread_of_run: Callable[[], AbstractContextManager[None]] | None = None
    ) -> None:
        self._name = name
        self._thread_of_run = thread_of_run or contextlib.nullcontext
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def run(
        self,
        awaitable: Awaitable[T],
        on_task: Callable[[asyncio.AbstractEventLoop, asyncio.Future[Any]], None] | None = None,
    ) -> T:
        """Run *awaitable* to completion and return its result; *on_task* sees its task."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return self._run_here(awaitable, on_task)
        return self._run_in_thread(awaitable, on_task)

    def _run_here(
        self,
        awaitable: Awaitable[T],
        on_task: Callable[[asyncio.AbstractEventLoop, asyncio.Future[Any]], None] | None,
    ) -> T:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        loop = self._loop
        task = asyncio.ensure_future(awaitable, loop=loop)
        if on_task is not None:
            on_task(loop, task)
        return loop.run_until_complete(task)

    def _run_in_thread(
        self,
        awaitable: Awaitable[T],
        on_task: Callable[[asyncio.AbstractEventLoop, asyncio.Future[Any]], None] | None,
    ) -> T:
        if self._thread is None:
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def serve() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                with self._thread_of_run():
                    loop.run_forever()

            self._loop = loop
            self._thread = threading.Thread(target=serve, name=f"{self._name}-loop", daemon=True)
            self._thread.start()
            ready.wait()
        thread_loop = self._loop
        assert thread_loop is not None

        async def wrapped() -> T:
            task = asyncio.ensure_future(awaitable)
            if on_task is not None:
                on_task(thread_loop, task)
            return await task

        return asyncio.run_coroutine_threadsafe(wrapped(), thread_loop).result()

    def close(self) -> None:
        """Cancel what is left, and close the loop (and stop its thread)."""
        loop, thread = self._loop, self._thread
        self._loop = self._thread = None
        if loop is None:
            return
        if thread is not None:
            asyncio.run_coroutine_threadsafe(_wind_down(loop), loop).result()
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
        else:
            loop.run_until_complete(_wind_down(loop))
        loop.close()


async def _wind_down(loop: asyncio.AbstractEventLoop) -> None:
    await _cancel_all()
    await loop.shutdown_asyncgens()


async def _cancel_all() -> None:
    current = asyncio.current_task()
    tasks = [task for task in asyncio.all_tasks() if task is not current]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def resolve(loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any]) -> None:
    """Set *future*'s result to True from any thread, if its loop still runs."""

    def set_result() -> None:
        if not future.done():
            future.set_result(True)

    with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
        loop.call_soon_threadsafe(set_result)


def cancel(loop: asyncio.AbstractEventLoop, task: asyncio.Future[Any]) -> None:
    """Cancel *task* from any thread, if its loop still runs."""
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(task.cancel)


async def wait_event(
    register: Callable[[asyncio.AbstractEventLoop, asyncio.Future[Any]], bool],
    unregister: Callable[[asyncio.AbstractEventLoop, asyncio.Future[Any]], None],
    timeout: float | None,
) -> bool:
    """Wait until the future that *register* files is resolved; False on *timeout*."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()
    if register(loop, future):
        return True
    try:
        await asyncio.wait_for(asyncio.shield(future), timeout)
    except asyncio.TimeoutError:
        return False
    finally:
        unregister(loop, future)
    return True
