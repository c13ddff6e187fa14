"""py-IoticAgent's IOT.RemotePoint: the feeds a thing follows and the controls it attaches to."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from iotic_app.client import RemoteControl as _ModernRemoteControl
from iotic_app.client import RemoteFeed as _ModernRemoteFeed

# 0.7.0's module imported these; kept, so `from IoticAgent.IOT.RemotePoint import *` binds them.
from iotic_app.ioticagent.Core.compat import Empty, Queue, monotonic
from iotic_app.ioticagent.IOT._adapt import feed_args
from iotic_app.ioticagent.IOT.Exceptions import IOTSyncTimeout
from iotic_app.ioticagent.IOT.Point import PointDataObject

__all__ = [
    "Empty",
    "IOTSyncTimeout",
    "PointDataObject",
    "Queue",
    "RemoteControl",
    "RemoteFeed",
    "RemotePoint",
    "monotonic",
]


class RemotePoint:
    """A follow or attach of one of the agent's things (over iotic_app's remote point)."""

    def __init__(self, client: Any, subid: str, pointid: str, lid: str) -> None:
        """Made by ``Thing.follow``/``attach``: *client* is iotic_app's RemoteFeed/Control."""
        self._remote = client
        self.__subid = subid
        self.__guid = pointid
        self.__lid = lid

    @property
    def subid(self) -> str:
        """The subscription's id."""
        return self.__subid

    @property
    def guid(self) -> str:
        """The remote point's guid."""
        return self.__guid

    @property
    def lid(self) -> str:
        """The local id of the thing that follows or attaches."""
        return self.__lid

    def __repr__(self) -> str:
        """Show guid, subscription id and the following thing's lid."""
        return f"{type(self).__name__}(guid={self.guid!r}, subid={self.subid!r}, lid={self.lid!r})"


class RemoteFeed(RemotePoint):
    """A feed one of the agent's things follows."""

    _remote: _ModernRemoteFeed

    def get_last(self) -> dict[str, Any] | None:
        """The last sample ``{'data', 'mime', 'time'}`` (time naive UTC), or None."""
        return next(self.get_recent(1), None)

    def get_recent(self, count: int) -> Iterator[dict[str, Any]]:
        """Up to *count* of the latest samples, oldest first (0: none), as 0.7.0 iterated them.

        Raises:
            ValueError: *count* is negative.
        """
        if isinstance(count, int) and not isinstance(count, bool) and count < 0:
            raise ValueError(f"count must be a non-negative int, got {count!r}")
        samples = [] if count == 0 else self._remote.get_recent(count)
        return iter([feed_args(sample) for sample in samples])

    def simulate(self, data: Any, mime: str | None = None) -> None:
        """Deliver *data* to this follow's callbacks as if the feed had shared it (time now;
        nothing is sent): on the client's worker, after what has arrived so far."""
        self._remote.simulate(data, mime)


class RemoteControl(RemotePoint):
    """A control one of the agent's things is attached to: ask or tell it."""

    _remote: _ModernRemoteControl

    def get_template(self) -> Any:
        """A template of the control's values, to fill in and ask or tell."""
        return self._remote.get_template()

    def ask(self, data: Any, mime: str | None = None) -> None:
        """Send a request; no confirmation."""
        self._remote.ask(data, mime)

    def tell(self, data: Any, timeout: float = 10, mime: str | None = None) -> bool | str:
        """Send a request and wait: True, or ``'timeout'``, ``'unreachable'``, ``'failed'``."""
        result: bool | str = self._remote.tell(data, timeout, mime)
        return result
