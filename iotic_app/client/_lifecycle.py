"""Lifecycle: start, stop and close a client's transport and worker, and keep its failure."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from iotic_app.client._dispatch import Dispatcher
from iotic_app.client._session import Session
from iotic_app.transports._protocol import Transport

__all__ = ["FailureListener", "Lifecycle"]

logger = logging.getLogger("iotic_app.client")

FailureListener = Callable[[BaseException], None]


class _ClientSink(Dispatcher):
    """The client's dispatcher, which is also where its transport reports a failure for good."""

    __slots__ = ("_on_fail",)

    def __init__(self, name: str, queue_limit: int, on_fail: FailureListener) -> None:
        super().__init__(name, queue_limit)
        self._on_fail = on_fail

    def fail(self, exc: BaseException) -> None:
        """The transport failed for good with *exc*; never blocks, never runs user code."""
        self._on_fail(exc)


class Lifecycle:
    """The moving parts behind ``Client.start/stop/close`` and ``Client.failure``.

    Owns the client's transport and its dispatcher (the worker that runs callbacks), and sets
    ``session.live`` while started. ``start`` and ``ask`` are safe from any thread, a callback
    included (see ``Client.stop``); the failure is kept once and told to the listeners.

    Attributes:
        transport: The client's transport (started or not).
        dispatcher: The client's dispatcher, the transport's sink.
    """

    __slots__ = (
        "_asked",
        "_failure",
        "_failure_listeners",
        "_failure_lock",
        "_lock",
        "_session",
        "dispatcher",
        "transport",
    )

    def __init__(self, transport: Transport, session: Session, queue_limit: int) -> None:
        """Make the (stopped) lifecycle of *transport*, which delivers through a new dispatcher."""
        self.transport = transport
        self._session = session
        self.dispatcher = _ClientSink(f"iotic_app-{session.agent_id}", queue_limit, self.failed)
        self._lock = threading.RLock()
        self._asked: str | None = None  # "stop"/"close" asked from a callback while busy
        self._failure: BaseException | None = None
        self._failure_listeners: list[FailureListener] = []
        self._failure_lock = threading.Lock()

    # --- start, stop, close -----------------------------------------------------------------

    def start(self) -> None:
        """Start the dispatcher and the transport (idempotent), then do what a callback asked."""
        with self._lock:
            self._asked = None
            if self._session.live is None:
                self.dispatcher.start()
                try:
                    self.transport.start(self.dispatcher)
                except BaseException:
                    self.dispatcher.stop()
                    raise
                self._session.live = self.transport
            self._carry_out_asked()

    def ask(self, what: str) -> None:
        """Stop (*what* ``'stop'``) or stop and close (``'close'``), or ask the thread that
        holds the lifecycle to, when called from a callback while that thread starts or stops."""
        lock = self._lock
        if self.dispatcher.in_worker():
            if not lock.acquire(blocking=False):
                # another thread is starting or stopping the client (and a stop joins this
                # worker): leave the request to it, and return so that the callback can end
                if what == "close" or self._asked is None:
                    self._asked = what
                return
        else:
            lock.acquire()
        try:
            self._asked = what
            self._carry_out_asked()
        finally:
            lock.release()

    def _carry_out_asked(self) -> None:
        """Stop (and close) as asked, under the lock."""
        asked, self._asked = self._asked, None
        if asked is None:
            return
        transport = self._session.live
        self._session.live = None
        try:
            if transport is not None:
                self.transport.stop()
        finally:
            self.dispatcher.stop()
            if asked == "close":
                if self.dispatcher.in_worker():
                    # a callback closes its client: the delivery around it still records what
                    # it delivered, so release the files once the worker has finished
                    threading.Thread(
                        target=self._close_after,
                        args=(threading.current_thread(),),
                        name=f"iotic_app-close-{self._session.agent_id}",
                        daemon=True,
                    ).start()
                else:
                    self.transport.close()
                    self.dispatcher.give_back()

    def _close_after(self, worker: threading.Thread) -> None:
        worker.join()
        with self._lock:
            if self._session.live is None:  # not started again meanwhile
                self.transport.close()
                self.dispatcher.give_back()

    # --- failure ----------------------------------------------------------------------------

    @property
    def failure(self) -> BaseException | None:
        """What made the client fail for good, or None."""
        return self._failure

    def add_failure_listener(self, listener: FailureListener) -> None:
        """Call *listener* once the client fails for good (at once if it has failed)."""
        with self._failure_lock:
            failure = self._failure
            if failure is None:
                self._failure_listeners.append(listener)
                return
        self._call_listener(listener, failure)

    def failed(self, exc: BaseException) -> None:
        """The transport failed for good (any thread, often the network's): keep *exc* and
        call the listeners on a thread of the client's own."""
        with self._failure_lock:
            if self._failure is not None:
                return
            self._failure = exc
            listeners, self._failure_listeners = self._failure_listeners, []
        if listeners:
            threading.Thread(
                target=self._report_failure,
                args=(listeners, exc),
                name=f"iotic_app-failed-{self._session.agent_id}",
                daemon=True,
            ).start()

    def _report_failure(self, listeners: list[FailureListener], exc: BaseException) -> None:
        for listener in listeners:
            self._call_listener(listener, exc)

    def _call_listener(self, listener: FailureListener, exc: BaseException) -> None:
        try:
            listener(exc)
        except Exception:
            logger.exception(
                "client of agent %r: a failure listener (%r) raised",
                self._session.agent_id,
                listener,
            )
