"""py-IoticAgent's IOT.Exceptions: iotic_app's exception classes under 0.7.0's names."""

# IOTException, IOTSyncTimeout, IOTUnknown, IOTAccessDenied and LinkException are iotic_app's
# own classes (iotic_app.exceptions), so `except IOTUnknown` in a ported script catches what
# the client raises and `except IOTException` catches every request failure. The other four
# 0.7.0 failure classes (one per QAPI failure code) have no counterpart that iotic_app
# raises: where 0.7.0's container answered MALFORMED, iotic_app's client raises TypeError or
# ValueError before sending. They are defined here, under IOTException and the matching
# builtin, so that a script naming them still imports and catches everything it did.

from __future__ import annotations

from iotic_app.exceptions import (
    IOTAccessDenied,
    IOTException,
    IOTSyncTimeout,
    IOTUnknown,
    LinkException,
)
from iotic_app.ioticagent.Core.Exceptions import LinkShutdownException

__all__ = [
    "IOTAccessDenied",
    "IOTClientError",
    "IOTException",
    "IOTInternalError",
    "IOTMalformed",
    "IOTNotAllowed",
    "IOTSyncTimeout",
    "IOTUnknown",
    "LinkException",
    "LinkShutdownException",
]


class IOTMalformed(IOTException, ValueError):
    """The request's arguments were invalid (0.7.0: QAPI failure code MALFORMED)."""


class IOTNotAllowed(IOTException, RuntimeError):
    """The request is not supported here, e.g. a feature not enabled (code NOTALLOWED)."""


class IOTInternalError(IOTException, RuntimeError):
    """The space failed internally (code INTERNALERROR)."""


class IOTClientError(IOTException, RuntimeError):
    """The agent itself failed unexpectedly."""
