"""The iotic_app exception family: each class also inherits the matching builtin."""

from __future__ import annotations

__all__ = [
    "DirectoryUnavailable",
    "IOTAccessDenied",
    "IOTException",
    "IOTSyncTimeout",
    "IOTUnknown",
    "IoticAppError",
    "LinkException",
    "SessionTakenOver",
]


class IoticAppError(Exception):
    """Base class of every exception iotic_app raises on purpose."""


class LinkException(IoticAppError, ConnectionError):
    """The link to the space is down, or the client is not started.

    A ``ConnectionError``, so ``RetryingThingRunner`` retries it.
    """


class IOTException(IoticAppError):
    """A request to the space failed: the base of IOTSyncTimeout, IOTUnknown and IOTAccessDenied.

    py-IoticAgent's base class of that name, so ``except IOTException`` in a classic script
    catches each of them. As there, ``LinkException`` (the link, not a request, failed) is not
    one; nor is ``SessionTakenOver``.

    Args:
        msg: What went wrong.
        event: The request the failure belongs to, where there is one to name (py-IoticAgent
            gave its ``RequestEvent``); iotic_app itself leaves it None.
    """

    def __init__(self, msg: object, event: object = None) -> None:
        super().__init__(msg)
        self._event = event

    @property
    def event(self) -> object:
        """The request the failure belongs to, or None (iotic_app's own errors)."""
        return self._event


class IOTSyncTimeout(IOTException, TimeoutError):
    """A synchronous request got no answer in time.

    A ``TimeoutError``, so ``RetryingThingRunner`` retries it.
    """


class IOTUnknown(IOTException, LookupError):
    """The thing or point named does not exist (or is not visible to this agent)."""


class DirectoryUnavailable(IOTException, LookupError):
    """A search on MQTT found no directory to ask: none runs on the broker.

    A ``LookupError`` (there is nowhere to look things up), not a ``ConnectionError``: the
    link is up, and ``RetryingThingRunner`` does not retry it. Start a directory next to the
    broker: ``iotic-app directory --config mqtt://HOST:PORT``.
    """


class IOTAccessDenied(IOTException, PermissionError):
    """The agent tried to change a thing that belongs to another agent."""


class SessionTakenOver(IoticAppError, RuntimeError):
    """Another process connected as this agent and took its session over; this one stopped.

    Not a ``ConnectionError``: ``RetryingThingRunner`` does not retry it (the two processes
    would knock each other off for ever). Run one process per agent name.
    """
