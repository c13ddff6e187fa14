"""The client's dispatcher: one FIFO, one worker thread, and the network threads' hand-off."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from iotic_app.client import _dispatch
from iotic_app.client._dispatch import Dispatcher
from iotic_app.transports._protocol import Outcome

pytestmark = pytest.mark.timeout(20)


class Recorder:
    """A delivery token that records what reaches it, and on which thread."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self.threads: set[str] = set()
        self.arrived = threading.Condition()

    def _deliver(self, item: Any) -> None:
        with self.arrived:
            self.items.append(item)
            self.threads.add(threading.current_thread().name)
            self.arrived.notify_all()

    def wait(self, count: int) -> list[Any]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.items) >= count, 5), self.items
            return list(self.items)


def _idle(dispatcher: Dispatcher) -> None:
    deadline = time.monotonic() + 5
    while not dispatcher.idle:
        assert time.monotonic() < deadline, "the worker did not go idle"
        time.sleep(0.001)


def test_push_and_hand_off_deliver_in_order_on_the_worker() -> None:
    dispatcher = Dispatcher("test-worker")
    dispatcher.start()
    token = Recorder()
    for n in range(100):
        (dispatcher.push if n % 2 else dispatcher.hand_off)(token, n)
    assert token.wait(100) == list(range(100))
    assert token.threads == {"test-worker"}
    dispatcher.stop()


def test_hand_off_returns_once_the_idle_worker_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """It waits for the worker's signal, not for its time limit (made 10 s here)."""
    monkeypatch.setattr(_dispatch, "HAND_OFF_WAIT", 10.0)
    dispatcher = Dispatcher("test-worker")
    dispatcher.start()
    token = Recorder()
    dispatcher.push(token, "woke it: leaves a signal nobody waited for")
    token.wait(1)
    for n in range(5):
        _idle(dispatcher)
        began = time.monotonic()
        dispatcher.hand_off(token, n)
        assert time.monotonic() - began < 2
    assert token.wait(6)[1:] == [0, 1, 2, 3, 4]
    dispatcher.stop()


def test_hand_off_to_a_stopped_dispatcher_keeps_the_item_and_does_not_wait(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_dispatch, "HAND_OFF_WAIT", 10.0)
    dispatcher = Dispatcher("test-worker")
    token = Recorder()
    began = time.monotonic()
    dispatcher.hand_off(token, "kept")
    assert time.monotonic() - began < 2
    dispatcher.start()
    assert token.wait(1) == ["kept"]
    dispatcher.stop()


class Receiver:
    """A transport's receiver: accepts items for its tokens, records how each was settled."""

    def __init__(self, *tokens: Any) -> None:
        self.tokens = tokens
        self.settled: list[tuple[Any, Any, Any]] = []
        self.done = threading.Condition()

    def accept(self, item: Any) -> Any:
        return None if item == "duplicate" else (self.tokens, item, f"note {item}")

    def settle(self, item: Any, note: Any, outcome: Any) -> None:
        with self.done:
            self.settled.append((item, note, outcome))
            self.done.notify_all()

    def wait(self, count: int) -> list[tuple[Any, Any, Any]]:
        with self.done:
            assert self.done.wait_for(lambda: len(self.settled) >= count, 5), self.settled
            return list(self.settled)


class Raising(Recorder):
    def _deliver(self, item: Any) -> None:
        super()._deliver(item)
        raise RuntimeError(f"callback failed on {item!r}")


def test_receive_delivers_to_every_token_and_settles_whatever_they_did() -> None:
    raising, recorder = Raising(), Recorder()
    receiver = Receiver(raising, recorder)
    dispatcher = Dispatcher("test-receive")
    dispatcher.start()
    try:
        for item in ("a", "duplicate", "b"):
            dispatcher.receive(receiver, item)
        settled = receiver.wait(3)
    finally:
        dispatcher.stop()
    assert raising.items == recorder.items == ["a", "b"]
    assert settled == [
        ("a", "note a", Outcome(1, 1)),
        ("duplicate", None, Outcome(0, 0)),
        ("b", "note b", Outcome(1, 1)),
    ]


def test_a_restarted_worker_waits_for_the_callback_the_last_one_is_still_in() -> None:
    busy, release = threading.Event(), threading.Event()
    order: list[str] = []

    class Slow:
        def _deliver(self, item: Any) -> None:
            order.append(f"start {item}")
            if item == 1:
                busy.set()
                release.wait(5)
            order.append(f"end {item}")

    dispatcher = Dispatcher("test-restart")
    dispatcher.start()
    try:
        dispatcher.push(Slow(), 1)
        assert busy.wait(5)
        dispatcher.stop(timeout=0.01)  # gives up waiting: the callback is still running
        dispatcher.push(Slow(), 2)
        dispatcher.start()
        recorder = Recorder()
        dispatcher.push(recorder, "after")
        with recorder.arrived:
            assert not recorder.arrived.wait_for(lambda: recorder.items, 0.2)
        release.set()
        recorder.wait(1)
    finally:
        release.set()
        dispatcher.stop()
    assert order == ["start 1", "end 1", "start 2", "end 2"]


def test_give_back_returns_kept_follows_items_and_logs_the_rest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A client that closes with undelivered items: a kept follow's values go back to its Held
    (before what it held since, in order); others are dropped with a warning."""
    import logging

    from iotic_app.transports._held import Held

    dispatcher = Dispatcher("test-worker")
    held = Held("a follow")
    held.hold("newer")

    class Plain:
        def _deliver(self, item: Any) -> None:
            raise AssertionError("not delivered after close")

    for item in ("v1", "v2"):
        dispatcher.push(held, item)
    dispatcher.push(Plain(), "request")
    with caplog.at_level(logging.WARNING, logger="iotic_app.client"):
        dispatcher.give_back()
    assert list(held.items) == ["v1", "v2", "newer"]
    assert "closed with 1 undelivered items" in caplog.text
