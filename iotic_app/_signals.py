"""SIGINT and SIGTERM during a foreground run: the first asks the runner to stop, a second exits."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any

__all__ = ["StopOnSignals"]

#: What the watcher thread reads to end (no signal has the number 0).
_CLOSE = b"\0"


class StopOnSignals:
    """For the length of a ``with`` block in the main thread: SIGINT and SIGTERM ask to stop.

    The handler raises nothing the first time: it writes the signal's number to a pipe (a
    system call, no lock), and a watcher thread of ours calls *request_stop(signum)*, which may
    take locks and set events that the main thread itself may be holding or waiting on. A
    second signal raises ``KeyboardInterrupt`` at once, wherever it lands, and sets
    :attr:`exiting` so that the runner lets it out: the way out of a main or a shutdown that
    hangs (a plain ``KeyboardInterrupt``, so that, uncaught, it ends the process as SIGINT
    does). Outside the main thread (or where the interpreter refuses handlers) it does
    nothing. SIGINT is taken only from Python's default handler, SIGTERM only from the default
    action: a handler that the program installed itself, or an ignored signal, is kept.

    Args:
        request_stop: Called from the watcher thread with the number of the first signal.
    """

    def __init__(self, request_stop: Callable[[int], None]) -> None:
        self._request_stop = request_stop
        self._previous: dict[int, Any] = {}
        self._signals = 0
        self._pipe: tuple[int, int] | None = None
        self._watcher: threading.Thread | None = None
        #: A second signal came: the ``KeyboardInterrupt`` it raised must not be handled.
        self.exiting = False

    def __enter__(self) -> StopOnSignals:
        if threading.current_thread() is not threading.main_thread():
            return self
        wanted = [
            signum
            for signum, default in (
                (signal.SIGINT, signal.default_int_handler),
                (signal.SIGTERM, signal.SIG_DFL),
            )
            if signal.getsignal(signum) is default
        ]
        if not wanted:
            return self
        read_end, write_end = os.pipe()
        os.set_blocking(write_end, False)
        self._pipe = (read_end, write_end)
        try:
            for signum in wanted:
                self._previous[signum] = signal.signal(signum, self._handle)
        except ValueError:  # an embedded interpreter may refuse
            self._restore()
            self._close_pipe()
            return self
        self._watcher = threading.Thread(
            target=self._watch, args=(read_end,), name="iotic-app-signals", daemon=True
        )
        self._watcher.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._restore()
        if self._pipe is None:
            return
        os.write(self._pipe[1], _CLOSE)
        if self._watcher is not None:
            self._watcher.join()
        self._close_pipe()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self._signals += 1  # only ever runs in the main thread, one at a time
        if self._signals > 1:
            self.exiting = True
            raise KeyboardInterrupt(f"{signal.Signals(signum).name} again: exiting at once")
        pipe = self._pipe
        if pipe is not None:
            with contextlib.suppress(OSError):  # one byte into an empty pipe: never full
                os.write(pipe[1], bytes([signum]))

    def _watch(self, read_end: int) -> None:
        while True:
            data = os.read(read_end, 1)
            if not data or data == _CLOSE:
                return
            self._request_stop(data[0])

    def _restore(self) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous.clear()

    def _close_pipe(self) -> None:
        if self._pipe is not None:
            for fd in self._pipe:
                os.close(fd)
            self._pipe = None
