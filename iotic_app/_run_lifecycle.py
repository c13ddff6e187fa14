"""One run of a ThingRunner: its attempts, the retries between them, and its shutdown."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any

from iotic_app._log import describe
from iotic_app._log import runner_logger as _log
from iotic_app._run_hooks import is_cancellation
from iotic_app._run_retry import RetryStreak
from iotic_app.runner import RunContext

if TYPE_CHECKING:
    from iotic_app._run_events import RunEvents
    from iotic_app._run_hooks import HookLoop
    from iotic_app._run_supervisor import ClientSupervisor
    from iotic_app._signals import StopOnSignals
    from iotic_app.retry import RetryPolicy
    from iotic_app.runner import ExcInfo, ThingRunner


class Lifecycle:
    """Runs a runner's hooks for one run, as ``ThingRunner`` documents: attempts, then shutdown.

    Each attempt starts the client, runs ``on_startup()`` (until it has once succeeded), then
    ``main()``; ``on_exception()`` decides about a failure, and ``on_shutdown()`` ends a run
    whose start-up succeeded, before the client is stopped. The hooks are looked up on the
    runner when called, so a subclass's own methods are the ones that run.
    """

    def __init__(
        self,
        runner: ThingRunner,
        supervisor: ClientSupervisor,
        events: RunEvents,
        hooks: HookLoop,
        policy: RetryPolicy,
        signals: StopOnSignals | None,
    ) -> None:
        self._runner = runner
        self._supervisor = supervisor
        self._hooks = hooks
        self._shutdown = events.shutdown  # stop() was called, or the run is ending
        self._wake = events.wake  # what wait_for_shutdown() waits on: also attempt ends
        self._pause = events.pause  # what a retry wait waits on: stop(), client failure
        self._policy = policy
        self._signals = signals  # of a foreground run
        self._name = type(runner).__name__
        #: How many attempts this run has made.
        self.attempts = 0

    def run(self) -> None:
        """Run: attempts, then shutdown, then the client is let go; raise what ended the run."""
        _log().info("%s starting", self._name)
        self._supervisor.watch(self._runner)
        try:
            with self._runner.thread_of_run():
                self._make_attempts()
        finally:
            self._supervisor.unwatch(self._runner)
            self._hooks.close()
            self._supervisor.close()

    def _make_attempts(self) -> None:
        """Make attempts until one ends the run, then shut down; raise what ended it."""
        name = self._name
        client = self._supervisor.client
        started_up = False
        client_started = False
        failure: ExcInfo | None = None  # what ends the run, if anything
        interrupted = False  # stop() or Ctrl+C ended a retry wait: never re-raise
        streak = RetryStreak(self._policy, name)
        while True:
            ctx = RunContext.MAIN if started_up else RunContext.ON_STARTUP
            self.attempts += 1
            attempt_started = time.monotonic()
            self._wake.main_cancelled = False
            self._wake.clear()
            if self._shutdown.is_set() or self._supervisor.failed:
                self._wake.set()  # stop() or a client failure may have raced with the clear
            try:
                self._supervisor.raise_failure()  # the client failed for good in the retry wait
                client.start()
                client_started = True
                _log().info("%s connected", name)
                if not started_up:
                    self._call(self._runner.on_startup)
                    started_up = True
                    ctx = RunContext.MAIN
                    self._supervisor.raise_failure()
                self._call(self._runner.main, main=True)
                self._supervisor.raise_failure()
            except KeyboardInterrupt as interrupt:
                self._exit_at_once(interrupt)
                _log().info("%s: KeyboardInterrupt, shutting down", name)
            except BaseException as caught:
                exc = self._supervisor.take_failure() or caught  # the cause of what main raised
                if self._wake.main_cancelled and exc is caught and is_cancellation(exc):
                    _log().info("%s: async main cancelled by stop()", name)
                    break
                failure = (type(exc), exc, exc.__traceback__)
                if not isinstance(exc, Exception):  # SystemExit and the like: never retried
                    break
                streak.add(ctx, attempt_started, time.monotonic())
                try:
                    delay = streak.delay(ctx, exc) if self._ask_on_exception(ctx, failure) else None
                except KeyboardInterrupt as interrupt:  # in on_exception: shut down
                    self._exit_at_once(interrupt)
                    _log().info("%s: KeyboardInterrupt in on_exception, shutting down", name)
                    interrupted = True
                    break
                if delay is not None:
                    # The client stays started through the wait (so an on_shutdown after a
                    # stop() in the wait has it started); the retry stops and restarts it.
                    _log().info(
                        "%s retrying %s in %.3g s after %s", name, ctx.value, delay, describe(exc)
                    )
                    self._pause.clear()  # set by what ends a wait: stop(), a client failure
                    try:
                        if not self._shutdown.is_set() and not self._supervisor.failed:
                            self._pause.wait(delay)
                    except KeyboardInterrupt as interrupt:
                        self._exit_at_once(interrupt)
                        self._shutdown.set()
                    interrupted = self._shutdown.is_set()
                    if not interrupted:
                        self._supervisor.stop(client_started, retrying=True)
                        client_started = False
                        failure = None
                        continue
            break
        self._shutdown.set()
        self._wake.set()
        self._finish(client_started, started_up, failure, interrupted)

    def _call(self, method: Any, *args: Any, main: bool = False) -> Any:
        return self._runner._resolve(method(*args), main=main)

    def _exit_at_once(self, interrupt: KeyboardInterrupt) -> None:
        """Re-raise *interrupt* when a second signal raised it: no graceful shutdown then."""
        signals = self._signals
        if signals is not None and signals.exiting:
            raise interrupt

    def _ask_on_exception(self, ctx: RunContext, exc_info: ExcInfo) -> bool:
        try:
            return bool(self._call(self._runner.on_exception, ctx, exc_info))
        except Exception as exc:
            _log().error(
                "on_exception raised %s while handling %s; not retrying",
                describe(exc),
                describe(exc_info[1]),
                exc_info=exc,
            )
            _add_note(exc_info[1], f"on_exception raised {describe(exc)} (logged)")
            return False

    def _finish(
        self, client_started: bool, started_up: bool, failure: ExcInfo | None, interrupted: bool
    ) -> None:
        # A KeyboardInterrupt from here on (a second Ctrl+C or SIGTERM) escapes at once.
        name = self._name
        swallow = interrupted
        shutdown_error: BaseException | None = None
        if started_up:
            try:
                swallow = bool(self._call(self._runner.on_shutdown, failure)) or swallow
            except Exception as exc:
                shutdown_error = exc
                _log().error("%s: on_shutdown raised %s", name, describe(exc), exc_info=exc)
        stop_error = self._supervisor.stop(client_started, retrying=False)
        if failure is not None and not swallow:
            original = failure[1]
            if shutdown_error is not None:
                _add_note(original, f"on_shutdown raised {describe(shutdown_error)} (logged)")
            _log().info("%s shut down after %s", name, describe(original))
            raise original
        _log().info("%s shut down", name)
        if shutdown_error is not None:
            raise shutdown_error
        if stop_error is not None:
            raise stop_error


def _add_note(exc: BaseException, note: str) -> None:
    if sys.version_info >= (3, 11):
        exc.add_note(note)
