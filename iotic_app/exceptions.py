"""The iotic_app exception family: each class also inherits the matching builtin."""

from __future__ import annotations

__all__ = [
    "IOTAccessDenied",
    "IOTSyncTimeout",
    "IOTUnknown",
    "IoticAppError",
    "LinkException",
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
