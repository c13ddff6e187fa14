"""Argument checks shared by ThingRunner and App, and what counts as a network failure."""

from __future__ import annotations

from typing import TYPE_CHECKING

from iotic_app.exceptions import IOTSyncTimeout, LinkException

if TYPE_CHECKING:
    from iotic_app.retry import RetryPolicy

#: Failures that ``RetryingThingRunner`` retries: the link and timeouts.
NETWORK_FAILURES: tuple[type[BaseException], ...] = (
    LinkException,
    IOTSyncTimeout,
    ConnectionError,
    TimeoutError,
)


def supports_start_stop(client: object) -> bool:
    """Whether *client* has callable ``start`` and ``stop`` (cheaper than a Protocol check)."""
    return callable(getattr(client, "start", None)) and callable(getattr(client, "stop", None))


def check_retry_timeout(retry_timeout: object) -> RetryPolicy:
    """Return the retry policy *retry_timeout* stands for, or raise saying why.

    Raises:
        TypeError: *retry_timeout* is neither an int or float nor a policy from
            ``iotic_app.retry``.
        ValueError: *retry_timeout* is a negative, infinite or NaN number.
    """
    from iotic_app.retry import as_policy  # here: `import iotic_app` stays light

    return as_policy(retry_timeout)


def check_timeout(timeout: object) -> float | None:
    """Return *timeout* as seconds to wait (None: for ever, also for ``math.inf``).

    Raises:
        TypeError: *timeout* is neither None nor an int or float.
        ValueError: *timeout* is negative or NaN.
    """
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise TypeError(f"timeout must be None or a number of seconds, got {timeout!r}")
    seconds = float(timeout)
    if not seconds >= 0:
        raise ValueError(
            f"timeout must be None or a non-negative number of seconds, got {timeout!r}"
        )
    return None if seconds == float("inf") else seconds


def check_background(background: object) -> None:
    """Raise TypeError unless *background* is a bool (``"no"`` would run in the background)."""
    if type(background) is not bool:
        raise TypeError(f"background must be True or False, got {background!r}")


def is_network_failure(exc: BaseException) -> bool:
    """Whether *exc* is a link or timeout failure that a retrying runner retries."""
    return isinstance(exc, NETWORK_FAILURES)
