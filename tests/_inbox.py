"""A follow callback that records the data it gets and lets a test wait for a value."""

from __future__ import annotations

import threading
from typing import Any

import pytest

PATIENCE = 10.0


class Inbox:
    """A follow callback that records the data and lets a test wait for a value."""

    def __init__(self) -> None:
        self.data: list[Any] = []
        self.cond = threading.Condition()

    def __call__(self, args: dict[str, Any]) -> None:
        with self.cond:
            self.data.append(args["data"])
            self.cond.notify_all()

    def wait_for(self, value: Any) -> list[Any]:
        """Wait (up to PATIENCE s) until *value* came; return everything that came so far."""
        with self.cond:
            if not self.cond.wait_for(lambda: value in self.data, PATIENCE):
                pytest.fail(f"expected {value!r}, got {self.data!r}")
            return list(self.data)


class Numbered:
    """A follow callback that records each value's ``n`` (values shared as ``{"n": N}``) and
    lets a test wait for a count of them."""

    def __init__(self, patience: float = PATIENCE) -> None:
        self.got: list[Any] = []
        self.cond = threading.Condition()
        self.patience = patience

    def __call__(self, args: dict[str, Any]) -> None:
        with self.cond:
            self.got.append(args["data"]["n"])
            self.cond.notify_all()

    def wait_for(self, count: int) -> list[Any]:
        """Wait (up to *patience* s) until *count* values came; return them all."""
        with self.cond:
            done = self.cond.wait_for(lambda: len(self.got) >= count, self.patience)
            assert done, f"{len(self.got)} of {count} values; the last: {self.got[-5:]}"
            return list(self.got)
