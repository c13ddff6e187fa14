"""The client's dispatcher: one FIFO, one worker thread, and the network threads' hand-off."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from iotic_app.client import _dispatch
from iotic_app.client._dispatch import Dispatcher

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
