"""py-IoticAgent's Core.Exceptions: the link errors (LinkException is iotic_app's)."""

from __future__ import annotations

from iotic_app.exceptions import LinkException

__all__ = ["LinkException", "LinkShutdownException"]


class LinkShutdownException(LinkException):
    """The client was shut down (0.7.0's name; a ``LinkException``, so caught with it).

    iotic_app does not raise it: a request on a stopped client is a plain ``LinkException``.
    """
