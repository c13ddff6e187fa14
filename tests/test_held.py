"""Held: the token of a kept follow holds its values until one is bound, in order, bounded."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from iotic_app.transports._held import Held


class Token:
    def __init__(self, fail_on: Any = None) -> None:
        self.got: list[Any] = []
        self.fail_on = fail_on

    def _deliver(self, item: Any) -> None:
        if item == self.fail_on:
            raise RuntimeError(f"callback failed on {item!r}")
        self.got.append(item)


def test_values_wait_until_a_token_is_bound_then_go_first_in_order() -> None:
    held = Held("f")
    for n in range(3):
        held._deliver(n)
    assert len(held) == 3
    token = Token()
    pushed: list[tuple[Any, Any]] = []
    held.bind(token, lambda tok, item: pushed.append((tok, item)))
    assert token.got == [] and len(pushed) == 1  # the flush goes through the sink
    tok, flush = pushed[0]
    tok._deliver(flush)
    assert token.got == [0, 1, 2]
    held._deliver(3)
    assert token.got == [0, 1, 2, 3] and len(held) == 0


def test_a_value_after_binding_goes_after_the_held_ones() -> None:
    held = Held("f")
    held._deliver("old")
    token = Token()
    held.bind(token, None)  # no push: the held ones go with the next value
    held._deliver("new")
    assert token.got == ["old", "new"]


def test_hold_from_another_thread_and_unbinding_hold_again() -> None:
    token = Token()
    held = Held("f", token)
    held._deliver(1)
    held.bind(None, None)
    held.hold(2)  # the local space's sharer, while no client is started
    held._deliver(3)
    assert token.got == [1] and list(held.items) == [2, 3]


def test_the_oldest_go_past_the_limit_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    held = Held("agent 'a', thing 't', follow of g", limit=2)
    with caplog.at_level(logging.WARNING, "iotic_app.client"):
        for n in range(4):
            held._deliver(n)
    assert list(held.items) == [2, 3] and held.dropped == 2
    (record,) = caplog.records  # one warning, not one per value
    assert "follow of g" in record.getMessage() and "dropped the oldest" in record.getMessage()


def test_a_callback_that_raises_on_a_held_value_does_not_lose_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    held = Held("f")
    for n in range(3):
        held._deliver(n)
    token = Token(fail_on=1)
    held.bind(token, None)
    with caplog.at_level(logging.ERROR, "iotic_app.client"):
        held._deliver(3)
    assert token.got == [0, 2, 3]
    assert "raised on a held value" in caplog.text
