"""The iotic_app exception family: each class also inherits the matching builtin."""

from __future__ import annotations

__all__ = [
    "IOTAccessDenied",
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


class IOTSyncTimeout(IoticAppError, TimeoutError):
    """A synchronous request got no answer in time.

    A ``TimeoutError``, so ``RetryingThingRunner`` retries it.
    """


class IOTUnknown(IoticAppError, LookupError):
    """The thing or point named does not exist (or is not visible to this agent)."""


class IOTAccessDenied(IoticAppError, PermissionError):
    """The agent tried to change a thing that belongs to another agent."""


class SessionTakenOver(IoticAppError, RuntimeError):
    """Another process connected as this agent and took its session over; this one stopped.

    Not a ``ConnectionError``: ``RetryingThingRunner`` does not retry it (the two processes
    would knock each other off for ever). Run one process per agent name.
    """
