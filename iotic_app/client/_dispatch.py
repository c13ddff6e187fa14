"""The client's dispatcher: one FIFO and one worker thread that runs all user callbacks."""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import Any

from iotic_app.transports._protocol import Delivery, Outcome, Receiver

__all__ = ["Dispatcher"]

logger = logging.getLogger("iotic_app.client")

DEFAULT_QUEUE_LIMIT = 100_000

#: How long ``hand_off`` waits at most for the worker it woke to start running (seconds).
HAND_OFF_WAIT = 0.0003

# The dispatcher whose worker the current thread is (kept while that worker is being stopped).
_worker_of = threading.local()


class Dispatcher:
    """Queues ``(token, item)`` pairs and calls ``token._deliver(item)`` on a worker thread.

    One FIFO per client keeps each follower's data in order. ``push`` is cheap and lock-free
    (``deque.append`` is atomic) and wakes the worker only when it is idle; the worker drains the
    queue in a tight loop. Callbacks run on the worker, never under a lock; an exception from one
    is logged and delivery goes on. A network thread uses ``hand_off`` instead, which also waits
    (a fraction of a millisecond at most) for the worker it woke to run.

    A transport's data that needs bookkeeping around its delivery comes through
    :meth:`receive`: the worker asks the transport's receiver what to deliver, runs the
    callbacks, and always hands the receiver the outcome (see ``Receiver`` in
    ``transports/_protocol.py``), so the transport's acknowledgements never depend on user code.

    While stopped, items are kept (to be delivered after the next ``start``), at most
    *queue_limit* of them: beyond that the oldest are dropped, with a warning in the log and a
    count in :attr:`dropped` (and, over the dispatcher's life, :attr:`dropped_total`).
    A worker started again while the previous one is still in a callback (``stop()`` waited
    for it in vain) waits for that callback to return before it delivers anything, so
    callbacks never overlap and stay in order.
    """

    __slots__ = (
        "_begun",
        "_bell",
        "_gen",
        "_idle",
        "_last",
        "_lock",
        "_queue",
        "_running",
        "_thread",
        "_via",
        "dropped",
        "dropped_total",
        "name",
        "queue_limit",
    )

    def __init__(self, name: str, queue_limit: int = DEFAULT_QUEUE_LIMIT) -> None:
        """Make a stopped dispatcher.

        Args:
            name: The worker thread's name.
            queue_limit: How many items to keep at most while stopped.
        """
        self.name = name
        self._queue: deque[tuple[Delivery, Any]] = deque()
        self.queue_limit = queue_limit
        self._idle = False
        self.dropped = 0
        self.dropped_total = 0
        self._via = _Via(name)
        # A lock used as a doorbell: locked while nobody rang. The worker blocks acquiring it when
        # idle; push() releases it (C calls only, much cheaper than an Event on the hot path).
        self._bell = threading.Lock()
        self._bell.acquire()
        # Released by the worker when a ring woke it: what hand_off() waits for.
        self._begun = threading.Lock()
        self._begun.acquire()
        self._lock = threading.Lock()
        self._running = False
        self._gen = 0
        self._thread: threading.Thread | None = None
        self._last: threading.Thread | None = None  # the worker of the previous start

    @property
    def running(self) -> bool:
        """Whether the worker is delivering."""
        return self._running

    @property
    def idle(self) -> bool:
        """Whether the worker waits for work (its queue was empty when it last looked)."""
        return self._idle

    def push(self, token: Delivery, item: Any) -> None:
        """Queue *item* for *token*; never blocks, never runs user code.

        Args:
            token: The receiver; its ``_deliver(item)`` runs on the worker.
            item: The data.
        """
        self._queue.append((token, item))
        if self._idle:
            self._ring()
        elif not self._running:
            self._trim()

    def hand_off(self, token: Delivery, item: Any) -> None:
        """Queue *item* as :meth:`push` does; when that wakes the idle worker, wait until it
        runs (at most :data:`HAND_OFF_WAIT`), never running user code.

        For a network thread that has more work of its own after the push: while it waits it
        lets go of the GIL, so the worker takes it as soon as it wakes, instead of waiting for
        this thread to finish (on the benchmarks' machine, about 20 us less from arrival to
        callback).

        Args:
            token: The receiver; its ``_deliver(item)`` runs on the worker.
            item: The data.
        """
        if not self._idle:
            self.push(token, item)
            return
        begun = self._begun
        begun.acquire(blocking=False)  # a token left by an earlier wake
        self.push(token, item)  # rings the worker, unless another push just did
        begun.acquire(timeout=HAND_OFF_WAIT)

    def receive(self, receiver: Receiver, item: Any) -> None:
        """Queue *item* for a transport's *receiver*, as :meth:`hand_off` does.

        On the worker: ``receiver.accept(item)`` says what to deliver to which tokens, the
        callbacks run (one that raises is logged; the others still run), and then
        ``receiver.settle(item, note, outcome)`` runs whatever they did.

        Args:
            receiver: The transport's bookkeeping for *item*.
            item: The data, as the transport received it.
        """
        self.hand_off(self._via, (receiver, item))

    def give_back(self) -> None:
        """The client closed while stopped: hand each undelivered item back to its token, if
        the token can keep it (``give_back(item)``: a follow the space keeps, whose values wait
        for the agent's next client), newest first; log how many others are dropped. Items of
        a transport's receivers are left out: the broker sends them again."""
        with self._lock:
            if self._running:
                return
            items = list(self._queue)
            self._queue.clear()
        dropped = 0
        for token, item in reversed(items):
            if token is self._via:
                continue
            give_back = getattr(token, "give_back", None)
            if give_back is None:
                dropped += 1
            else:
                give_back(item)
        if dropped:
            logger.warning(
                "%s: closed with %d undelivered items (control requests, events); dropped",
                self.name,
                dropped,
            )

    def _ring(self) -> None:
        """Wake the idle worker (called by ``push`` when it is idle)."""
        self._idle = False
        try:  # noqa: SIM105 - a plain try is cheapest here, on the share path
            self._bell.release()
        except RuntimeError:  # already rung
            pass

    def _trim(self) -> None:
        queue = self._queue
        excess = len(queue) - self.queue_limit
        if excess <= 0:
            return
        with self._lock:
            if self._running:
                return
            excess = len(queue) - self.queue_limit
            for _ in range(max(0, excess)):
                try:
                    queue.popleft()
                except IndexError:  # pragma: no cover - drained concurrently
                    break
                if self.dropped == 0:
                    logger.warning(
                        "%s: client is stopped and holds %d undelivered items (queue_limit); "
                        "dropping the oldest",
                        self.name,
                        self.queue_limit,
                    )
                self.dropped += 1
                self.dropped_total += 1

    def start(self) -> None:
        """Start the worker (idempotent); items queued meanwhile are delivered first."""
        with self._lock:
            if self._running:
                return
            if self.dropped:
                logger.warning(
                    "%s: %d items were dropped while the client was stopped",
                    self.name,
                    self.dropped,
                )
                self.dropped = 0
            self._running = True
            self._gen += 1
            self._idle = False
            previous, self._last = self._last, None
            thread = threading.Thread(
                target=self._run, args=(self._gen, previous), name=self.name, daemon=True
            )
            self._thread = thread
        thread.start()

    def stop(self, timeout: float | None = 10.0) -> None:
        """Stop the worker (idempotent); undelivered items stay queued for the next start.

        Waits for a callback that is running to return (at most *timeout* seconds), except when
        called from a callback itself.

        Args:
            timeout: How long to wait for a running callback.
        """
        with self._lock:
            if not self._running:
                return
            self._running = False
            self._gen += 1
            thread = self._thread
            self._thread = None
            self._last = thread
        self._ring()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():
                logger.warning(
                    "%s: a callback is still running %.1f s after stop()", self.name, timeout or 0
                )

    def in_worker(self) -> bool:
        """Whether the calling thread is this dispatcher's worker (also while it is stopping).

        Returns:
            True on the worker thread.
        """
        return getattr(_worker_of, "dispatcher", None) is self

    def _run(self, gen: int, previous: threading.Thread | None) -> None:
        if previous is not None and previous is not threading.current_thread():
            previous.join()  # still in a callback: let it finish first (order, no overlap)
        _worker_of.dispatcher = self
        queue = self._queue
        popleft = queue.popleft
        bell = self._bell
        begun = self._begun
        while self._gen == gen:
            try:
                token, item = popleft()
            except IndexError:
                # idle: announce it, look once more (a push may have come in between), then wait
                # for the bell; a ring that came early only makes the next wait return at once
                self._idle = True
                if queue or self._gen != gen:
                    self._idle = False
                    continue
                bell.acquire()
                self._idle = False
                try:  # noqa: SIM105 - a plain try is cheapest here
                    begun.release()  # for hand_off()
                except RuntimeError:  # a token is there already
                    pass
                continue
            try:
                token._deliver(item)
            except Exception:
                logger.exception("%s: a callback raised; delivery goes on", self.name)


class _Via:
    """The worker's side of :meth:`Dispatcher.receive`: accept, deliver, settle."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def _deliver(self, entry: tuple[Receiver, Any]) -> None:
        receiver, item = entry
        note: Any = None
        ran = raised = 0
        try:
            accepted = receiver.accept(item)
            if accepted is not None:
                tokens, data, note = accepted
                for token in tokens:
                    try:
                        token._deliver(data)
                    except Exception:
                        raised += 1
                        logger.exception("%s: a callback raised; delivery goes on", self.name)
                    else:
                        ran += 1
        finally:  # the transport's bookkeeping, whatever the callbacks did
            receiver.settle(item, note, Outcome(ran, raised))
