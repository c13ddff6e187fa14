"""Retry policies: how long a runner waits before each retry, and when it gives up."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol, TypeGuard, runtime_checkable

import attrs

__all__ = ["Backoff", "Fixed", "RetryPolicy", "as_policy"]


@runtime_checkable
class RetryPolicy(Protocol):
    """What a runner asks before each retry; give one as ``retry_timeout``."""

    def delay(self, attempt: int, elapsed: float) -> float | None:
        """Seconds to wait before the next attempt, or None to give up.

        Args:
            attempt: How many attempts have failed in a row, the one just failed included
                (1 after the first failure).
            elapsed: Seconds since the first of those failures.
        """

    @property
    def reset_after(self) -> float:
        """An attempt that ran this many seconds before failing starts a new count."""


def _is_number(value: object) -> TypeGuard[int | float]:
    """An int or a float, not a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _seconds(name: str, *, allow_none: bool = False, positive: bool = False) -> Any:
    """An attrs validator: a finite, non-negative (or positive) int or float.

    A value of another type is a ``TypeError``; a negative, zero (with *positive*), infinite or
    NaN number a ``ValueError``.
    """

    def check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is None and allow_none:
            return
        if _is_number(value) and math.isfinite(value) and (value > 0 if positive else value >= 0):
            return
        kind = "a positive" if positive else "a non-negative"
        extra = " or None" if allow_none else ""
        error = ValueError if _is_number(value) else TypeError
        raise error(f"{name} must be {kind} number of seconds{extra}, got {value!r}")

    return check


def _max_attempts(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
        return
    error = ValueError if isinstance(value, int) and not isinstance(value, bool) else TypeError
    raise error(f"max_attempts must be a whole number >= 1 or None, got {value!r}")


def _delays(policy: RetryPolicy, clock: Callable[[], float]) -> Iterator[float]:
    start = clock()
    attempt = 1
    while (wait := policy.delay(attempt, clock() - start)) is not None:
        yield wait
        attempt += 1


def _gives_up(policy: Fixed | Backoff, attempt: int, elapsed: float) -> bool:
    if policy.max_attempts is not None and attempt >= policy.max_attempts:
        return True
    return policy.max_time is not None and elapsed >= policy.max_time


@attrs.frozen
class Fixed:
    """Wait the same number of seconds before every retry; what a plain ``retry_timeout`` means.

    Args:
        seconds: The wait before each retry.
        max_attempts: Give up once this many attempts in a row have failed (None: never).
        max_time: Give up once this many seconds have passed since the first failure.
        reset_after: An attempt that ran this long before failing starts a new count.

    Example::

        App(retry_timeout=Fixed(5, max_attempts=3))
    """

    seconds: float = attrs.field(default=15, validator=_seconds("seconds"))
    max_attempts: int | None = attrs.field(default=None, kw_only=True, validator=_max_attempts)
    max_time: float | None = attrs.field(
        default=None, kw_only=True, validator=_seconds("max_time", allow_none=True)
    )
    reset_after: float = attrs.field(default=60, kw_only=True, validator=_seconds("reset_after"))

    def delay(self, attempt: int, elapsed: float) -> float | None:
        """``seconds``, or None once a limit is reached."""
        return None if _gives_up(self, attempt, elapsed) else float(self.seconds)

    def delays(self, clock: Callable[[], float] = time.monotonic) -> Iterator[float]:
        """The wait before each retry in turn, until a limit is reached; see ``Backoff.delays``."""
        return _delays(self, clock)


@attrs.frozen
class Backoff:
    """Exponential backoff with jitter and a cap (as tenacity's ``wait_exponential_jitter``).

    The wait before retry *n* is ``min(maximum, initial * multiplier ** (n - 1) + U(0, jitter))``.

    Args:
        initial: The wait before the first retry, jitter aside.
        maximum: The cap on any wait.
        multiplier: The factor between one wait and the next.
        jitter: Up to this many random seconds are added to each wait, so that many agents
            do not reconnect in step.
        max_attempts: Give up once this many attempts in a row have failed (None: never).
        max_time: Give up once this many seconds have passed since the first failure.
        reset_after: An attempt that ran this long before failing starts a new count.

    Example::

        App(retrying=True, retry_timeout=Backoff(initial=1, maximum=60, max_time=3600))
    """

    initial: float = attrs.field(default=1, validator=_seconds("initial"))
    maximum: float = attrs.field(default=60, validator=_seconds("maximum"))
    multiplier: float = attrs.field(default=2, validator=_seconds("multiplier", positive=True))
    jitter: float = attrs.field(default=1, validator=_seconds("jitter"))
    max_attempts: int | None = attrs.field(default=None, kw_only=True, validator=_max_attempts)
    max_time: float | None = attrs.field(
        default=None, kw_only=True, validator=_seconds("max_time", allow_none=True)
    )
    reset_after: float = attrs.field(default=60, kw_only=True, validator=_seconds("reset_after"))

    def delay(self, attempt: int, elapsed: float) -> float | None:
        """The next wait, or None once a limit is reached."""
        if _gives_up(self, attempt, elapsed):
            return None
        import random  # here, not at the top: `import iotic_app` stays cheap

        try:
            base = float(self.initial) * float(self.multiplier) ** (attempt - 1)
        except OverflowError:
            base = math.inf
        return float(min(self.maximum, base + random.uniform(0, self.jitter)))

    def delays(self, clock: Callable[[], float] = time.monotonic) -> Iterator[float]:
        """The wait before each retry in turn: ``delay(1, 0)``, ``delay(2, elapsed)``, and so on.

        The iteration ends where ``delay()`` gives up (``max_attempts``; ``max_time`` counted on
        *clock* from the first ``next()``, which is the first failure). A loop that succeeds
        starts again with a fresh iterator. For a loop of one's own, such as a reconnect loop::

            for wait in Backoff(initial=0.05, maximum=0.5, jitter=0.05).delays():
                if stopping.wait(wait):      # an Event: stop() interrupts the wait
                    break
                if try_to_connect():
                    break

        Args:
            clock: Seconds on a monotonic clock (for tests).
        """
        return _delays(self, clock)


def as_policy(retry_timeout: object) -> RetryPolicy:
    """Turn a ``retry_timeout`` argument into a policy, or raise saying why.

    A number means ``Fixed(retry_timeout)``; a policy object is used as it is.

    Raises:
        TypeError: *retry_timeout* is neither an int or float nor a policy.
        ValueError: *retry_timeout* is a negative, infinite or NaN number.
    """
    if _is_number(retry_timeout):
        if math.isfinite(retry_timeout) and retry_timeout >= 0:
            return Fixed(retry_timeout)
        error: type[Exception] = ValueError
    elif isinstance(retry_timeout, RetryPolicy) and not isinstance(retry_timeout, type):
        return retry_timeout
    else:
        error = TypeError
    raise error(
        "retry_timeout must be a non-negative, finite number of seconds (int or float) "
        f"or a retry policy such as iotic_app.retry.Backoff(), got {retry_timeout!r}"
    )
