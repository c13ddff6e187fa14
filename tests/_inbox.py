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
