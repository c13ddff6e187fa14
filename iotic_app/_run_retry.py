"""The retry delay of a run: its retry policy applied to the failures in a row."""

from __future__ import annotations

from typing import TYPE_CHECKING

from iotic_app._log import describe
from iotic_app._log import runner_logger as _log
from iotic_app.exceptions import SessionTakenOver

if TYPE_CHECKING:
    from iotic_app.retry import RetryPolicy
    from iotic_app.runner import RunContext


class RetryStreak:
    """The attempts of one run that failed in a row, and how long to wait before the next.

    A streak starts again when the failure is in another hook than the last one (on_startup,
    main), or when the attempt that failed ran for the policy's ``reset_after`` seconds.
    """

    def __init__(self, policy: RetryPolicy, name: str) -> None:
        self._policy = policy
        self._name = name
        self._count = 0  # attempts failed in a row, for the retry policy
        self._started = 0.0
        self._elapsed = 0.0
        self._ctx: RunContext | None = None

    def add(self, ctx: RunContext, attempt_started: float, now: float) -> None:
        """Count the failure at *now* of the attempt of *ctx* that began at *attempt_started*."""
        if ctx is not self._ctx or now - attempt_started >= self._policy.reset_after:
            self._count, self._started = 0, attempt_started
        self._count += 1
        self._ctx = ctx
        self._elapsed = now - self._started

    def delay(self, ctx: RunContext, exc: BaseException) -> float | None:
        """Seconds to wait before retrying after *exc*, which on_exception asked to retry; None
        when it cannot be retried or the policy gives up (both logged)."""
        if isinstance(exc, SessionTakenOver):
            _log().warning(
                "%s: on_exception asked to retry %s, which cannot be retried (another process "
                "has the agent's session; run one process per agent name): shutting down",
                self._name,
                describe(exc),
            )
            return None
        delay = self._policy.delay(self._count, self._elapsed)
        if delay is None:
            _log().warning(
                "%s giving up on %s after %d attempt(s) in a row in %.3g s: %s",
                self._name,
                ctx.value,
                self._count,
                self._elapsed,
                describe(exc),
            )
        return delay
