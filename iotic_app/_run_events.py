"""The events that end a run and its waits: the shutdown request, main's wakeup, the retry pause."""

from __future__ import annotations

import threading

from iotic_app._wakeup import Wakeup


class RunEvents:
    """What ``stop()`` sets, and what the waits of a run wait on. Safe from any thread."""

    def __init__(self) -> None:
        #: stop() was called, or the run is ending.
        self.shutdown = threading.Event()
        #: What wait_for_shutdown() waits on: also set when an attempt ends.
        self.wake = Wakeup()
        #: What a retry wait waits on: set by stop() and by a client failure.
        self.pause = threading.Event()

    def reset(self, *, stop: bool) -> None:
        """A run is starting: clear all three, or set them all when it is to *stop* at once."""
        self.shutdown.clear()
        self.wake.clear()
        self.pause.clear()
        self.wake.main_cancelled = False
        if stop:
            self.shutdown.set()
            self.wake.set()
            self.pause.set()

    def request_stop(self) -> None:
        """What ``stop()`` does without waiting: never blocks for long."""
        self.shutdown.set()
        self.interrupt()

    def interrupt(self) -> None:
        """End the attempt and any retry wait, cancelling an async main not waiting on us."""
        self.pause.set()
        self.wake.interrupt(cancel_main=True)
