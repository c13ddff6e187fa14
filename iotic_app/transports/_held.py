"""A kept follow's way to its token: values wait here while no token of this client holds it."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from iotic_app.transports._protocol import Delivery

__all__ = ["HELD_LIMIT", "Held"]

logger = logging.getLogger("iotic_app.client")

#: How many values a kept follow holds while nothing is bound to it; then the oldest go (logged).
HELD_LIMIT = 100_000

_FLUSH = object()


class Held:
    """The token a transport gives the sink for one kept follow: it hands each value to the
    token bound to the follow, and keeps the values (in order) while none is.

    ``_deliver`` runs on the sink's worker, one item at a time, as every token's does; ``hold``
    may run on any thread (the local space's sharers, while no client of the agent is started);
    ``bind`` on the caller's. The deque makes the three safe together without a lock: appends
    and pops are atomic, and only the worker pops.
    """

    __slots__ = ("dropped", "items", "limit", "name", "token")

    def __init__(self, name: str, token: Delivery | None = None, limit: int = HELD_LIMIT) -> None:
        """Hold values of the follow *name* (for the log) until *token* is bound.

        Args:
            name: What the log calls the follow (agent, thing and feed).
            token: The token the values go to now, or None to hold them.
            limit: How many values to hold at most (the oldest go first).
        """
        self.name = name
        self.token = token
        self.limit = limit
        self.items: deque[Any] = deque()
        self.dropped = 0

    def bind(self, token: Delivery | None, push: Callable[[Delivery, Any], None] | None) -> None:
        """Hand the values to *token* from now on (None: hold them again); with *push* (the
        sink's), the held ones go at once, else with the next value."""
        self.token = token
        if token is not None and push is not None and self.items:
            push(self, _FLUSH)

    def hold(self, item: Any) -> None:
        """Keep *item* for the token to come (any thread)."""
        items = self.items
        items.append(item)
        if len(items) > self.limit:
            try:
                items.popleft()
            except IndexError:  # the worker drained them meanwhile
                return
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 10_000 == 0:
                logger.warning(
                    "%s: holding %d values for a follow that nothing in this process has "
                    "followed again or bound to a catch-all yet; dropped the oldest (%d so far)",
                    self.name,
                    self.limit,
                    self.dropped,
                )

    def give_back(self, item: Any) -> None:
        """Take back *item*, which a client's queue held for this follow and never delivered
        (the client closed): it waits again, before the values held since. A client closing
        hands its undelivered items back newest first."""
        if item is not _FLUSH:
            self.items.appendleft(item)

    def _deliver(self, item: Any) -> None:
        """Hand *item* (and first anything held) to the bound token, or hold it (the worker)."""
        token = self.token
        if token is None:
            if item is not _FLUSH:
                self.hold(item)
            return
        items = self.items
        while items:
            try:
                held = items.popleft()
            except IndexError:
                break
            try:
                token._deliver(held)
            except Exception:
                logger.exception(
                    "%s: a callback raised on a held value; delivery goes on", self.name
                )
        if item is not _FLUSH:
            token._deliver(item)

    def __len__(self) -> int:
        """How many values are held."""
        return len(self.items)
