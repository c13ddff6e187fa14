"""ThingRunner: the start-up, main loop, retry and shutdown lifecycle of an agent."""

from __future__ import annotations

import contextlib
import enum
import inspect
import sys
import threading
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

# Importable from here, as before the checks had a module of their own.
from iotic_app._checks import NETWORK_FAILURES as NETWORK_FAILURES
from iotic_app._checks import check_background as check_background
from iotic_app._checks import check_retry_timeout as check_retry_timeout
from iotic_app._checks import check_timeout as check_timeout
from iotic_app._checks import is_network_failure as is_network_failure
from iotic_app._checks import supports_start_stop as supports_start_stop
from iotic_app._log import describe
from iotic_app._log import runner_logger as _log
from iotic_app._registries import EXIT_STOP_TIMEOUT as EXIT_STOP_TIMEOUT
from iotic_app._registries import exit_stopper, failure_route
from iotic_app._wakeup import Wakeup
from iotic_app.exceptions import SessionTakenOver

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Awaitable

    from iotic_app._aio import LoopOwner
    from iotic_app._config import ConfigLike
    from iotic_app._signals import StopOnSignals
    from iotic_app.retry import RetryPolicy

__all__ = [
    "ClientFactory",
    "ExcInfo",
    "RetryingThingRunner",
    "RunContext",
    "SupportsStartStop",
    "ThingRunner",
]

#: The ``(type, value, traceback)`` triple of ``sys.exc_info()`` for a raised exception.
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class RunContext(enum.Enum):
    """Where in the run an exception happened; passed to ``ThingRunner.on_exception``."""

    MAIN = "main"
    ON_STARTUP = "on_startup"


class SupportsStartStop(Protocol):
    """What a runner needs of a client: ``start()`` and ``stop()`` (see supports_start_stop)."""

    def start(self) -> Any:
        """Connect; raise on failure."""

    def stop(self) -> Any:
        """Disconnect; safe to call more than once."""


#: What makes a runner's client from its ``config`` when none is given (see
#: ``ThingRunner.client_factory``); ``iotic_app`` wires in one that makes an ``iotic_app.Client``.
ClientFactory = Callable[["ConfigLike"], SupportsStartStop]


class ThingRunner:
    """Automates starting, running and stopping an agent, in the foreground or background.

    Subclass it and implement ``main()`` (and optionally ``on_startup()``, ``on_shutdown()`` and
    ``on_exception()``)::

        class MyRunner(ThingRunner):
            def main(self):
                while not self.wait_for_shutdown(1):
                    ...  # do stuff here

        MyRunner(config="local://").run()   # foreground, blocking

    Each attempt starts the client, runs ``on_startup()`` (until it has once succeeded), then
    ``main()``. When either raises, ``on_exception()`` decides: truthy waits ``retry_timeout``
    seconds (``stop()`` interrupts the wait) and tries again with a fresh connection; falsy ends
    the run. ``on_shutdown()`` runs once at the end of every run whose start-up succeeded, while
    the client is still started (it stays started through a retry wait), and the client is
    stopped last. Any of the four may be an ``async def``: it then runs on an event loop owned
    by the runner's thread.

    In the foreground in the main thread, the first Ctrl+C or SIGTERM asks the run to stop, as
    ``stop()`` does (nothing is raised where it lands); a second one lets ``KeyboardInterrupt``
    out of ``run()`` at once. A client that fails for good (``SessionTakenOver``) ends the run
    as if ``main()`` had raised its exception. A client made by the runner is closed when the
    run ends.
    Background runs still going at interpreter exit are stopped gracefully.

    Args:
        config: Where and as whom to connect; see ``iotic_app.Client``. Ignored when *client*
            is given.
        retry_timeout: Seconds to wait before a retry (a non-negative int or float), or a
            policy from ``iotic_app.retry`` (backoff, attempt and time limits).
        client: Any object with ``start()`` and ``stop()``; by default the one that
            *client_factory* makes from *config* (a ``Client(config)``), which the runner
            closes when a run ends (a client given here is left open). When it has
            ``add_failure_listener()``, its failure for good ends the run.
        client_factory: What makes the client when *client* is not given; by default the
            class's ``client_factory``.

    Raises:
        ValueError: *retry_timeout* is a negative, infinite or NaN number, or *config* is not
            valid.
        TypeError: *retry_timeout* is neither a number nor a policy, *client* has no
            ``start()``/``stop()``, or *config* has the wrong type.
    """

    #: What makes the client from *config* when none is given: called with the config, it
    #: returns an object with ``start()`` and ``stop()``. The package top (``iotic_app``) sets
    #: it to make an ``iotic_app.Client``, so this module never imports the client; a subclass
    #: may set its own.
    client_factory: ClassVar[ClientFactory | None] = None

    #: Set by an App whose stop() came between making this runner and its run() (see App.stop).
    _stop_on_start = False

    def __init__(
        self,
        config: ConfigLike = None,
        retry_timeout: float | RetryPolicy = 15,
        *,
        client: SupportsStartStop | None = None,
        client_factory: ClientFactory | None = None,
    ) -> None:
        self.__policy = check_retry_timeout(retry_timeout)
        self.__retry_timeout = retry_timeout
        self.__made_client = client is None  # closed when a run ends: nobody else has it
        factory = type(self).client_factory if client_factory is None else client_factory
        self.__client_factory = factory
        if client is None:
            if factory is None:  # pragma: no cover - `import iotic_app` wires the default
                raise TypeError(f"{type(self).__name__} has no client_factory to make a client")
            client = factory(config)
        elif not supports_start_stop(client):
            raise TypeError(
                f"client must be an object with start() and stop() methods, got {client!r}"
            )
        self.__client = client
        self.__shutdown = threading.Event()  # stop() was called, or the run is ending
        self.__wake = Wakeup()  # what wait_for_shutdown() waits on: also attempt ends
        self.__lock = threading.Lock()
        self.__done = threading.Event()
        self.__done.set()
        self.__owned: set[int] = set()  # threads of the run: stop() from them never waits
        self.__exception: BaseException | None = None
        self.__attempts = 0
        self.__loop: LoopOwner | None = None
        self.__client_failure: BaseException | None = None  # the client failed for good
        self.__pause = threading.Event()  # what a retry wait waits on: stop(), client failure
        self.__signals: StopOnSignals | None = None  # of a foreground run

    # -- the documented API -------------------------------------------------------------------

    @property
    def client(self) -> Any:
        """The client in use by this runner: the one made from *config* (an ``iotic_app.Client``
        unless ``client_factory`` says otherwise), or the object given as ``client=``.

        Typed ``Any``: the runner needs only ``start()`` and ``stop()`` of it, and the agent
        uses whatever its client offers.
        """
        return self.__client

    @property
    def retry_timeout(self) -> float | RetryPolicy:
        """What waits before a retry: seconds, or a policy from ``iotic_app.retry``."""
        return self.__retry_timeout

    @property
    def shutdown_requested(self) -> bool:
        """Whether ``stop()`` was called, the run or its client failed for good, or ``main()``
        has finished."""
        return self.__shutdown.is_set() or self.__client_failure is not None

    @property
    def exception(self) -> BaseException | None:
        """The exception that ended the current or last run, else None.

        A background run cannot raise to its caller, so this is where its failure is kept.
        """
        return self.__exception

    def is_running(self) -> bool:
        """Whether a run (foreground or background) is in progress."""
        return not self.__done.is_set()

    @property
    def attempts(self) -> int:
        """How many attempts the current or last run has made (1 when nothing was retried)."""
        return self.__attempts

    def on_startup(self) -> Any:
        """One-off tasks to perform straight after the client has started."""

    def main(self) -> Any:
        """Application logic; return (or raise) to end the run.

        Should return soon after ``shutdown_requested`` becomes True; ``wait_for_shutdown()``
        is the way to wait between iterations. The base implementation returns at once.
        """

    def on_exception(self, ctx: RunContext, exc_info: ExcInfo) -> Any:
        """Decide whether to retry after an exception in ``on_startup()`` or ``main()``.

        Args:
            ctx: Where the exception happened.
            exc_info: ``(type, value, traceback)`` of the exception.

        Returns:
            Truthy to retry after ``retry_timeout`` seconds, falsy (the default) to end the run
            and re-raise. ``KeyboardInterrupt`` never reaches this method: it shuts down.
        """
        return False

    def on_shutdown(self, exc_info: ExcInfo | None) -> Any:
        """One-off tasks to perform just before the client is stopped.

        Called once at the end of every run whose ``on_startup()`` succeeded.

        Args:
            exc_info: The exception that ended the run, or None if it ended gracefully
                (including ``KeyboardInterrupt``). After ``stop()`` interrupted a retry wait,
                the failure that was waiting for its retry.

        Returns:
            Truthy to swallow *exc_info*'s exception; falsy (the default) re-raises it.
        """
        return False

    def run(self, background: bool = False) -> None:
        """Run the start-up, main and shutdown hooks, retrying as ``on_exception()`` says.

        Args:
            background: Run in a daemon thread and return at once; ``stop()`` ends the run and
                ``exception`` keeps a failure.

        Raises:
            RuntimeError: A run of this runner is still going.
            TypeError: *background* is not a bool.
            BaseException: In the foreground, whatever ended the run, unless ``on_shutdown()``
                returned truthy. ``KeyboardInterrupt``, a first SIGINT or SIGTERM and
                ``stop()`` end it gracefully; a second signal lets ``KeyboardInterrupt`` out.
        """
        check_background(background)
        with self.__lock:
            if not self.__done.is_set():
                raise RuntimeError(
                    f"{type(self).__name__} is already running; call stop() first, "
                    "or wait for the run to end"
                )
            self.__done.clear()
            self.__shutdown.clear()
            self.__wake.clear()
            self.__pause.clear()
            self.__exception = None
            self.__attempts = 0
            self.__wake.main_cancelled = False
            self.__client_failure = None
            if self._stop_on_start:  # an App's stop() came before this run began
                self.__shutdown.set()
                self.__wake.set()
                self.__pause.set()
            if background:
                exit_stopper.add(self)
                threading.Thread(
                    target=self.__run_in_background,
                    name=f"iotic-app-{type(self).__name__}",
                    daemon=True,
                ).start()
                return
        from iotic_app._signals import StopOnSignals

        try:
            with StopOnSignals(self.__on_signal) as self.__signals:
                self.__run()
        except BaseException as exc:
            self.__exception = exc
            raise
        finally:
            self.__signals = None
            self.__done.set()

    def stop(self, timeout: float | None = None) -> bool:
        """Request the run to stop, waiting at most *timeout* seconds for it to end.

        Safe from any thread, and idempotent. From a thread of the run itself it requests the
        stop and returns at once, without waiting (the run may have to wait for that thread):
        ``main()`` and the other hooks, an ``@app.every`` function, an async handler on the
        runner's event loop thread, and the client's callbacks (follow, control, catchall).
        Without a run it only sets ``shutdown_requested``. An async main waiting on anything
        but the runner is cancelled.

        Returns:
            True if the run has ended (or none was going), False if it is still ending.

        Raises:
            TypeError, ValueError: *timeout* is not None or a non-negative number.
        """
        timeout = check_timeout(timeout)
        self.__request_stop()
        if self.__done.is_set():
            return True
        if self.__in_thread_of_run():
            return False
        return self.__done.wait(timeout)

    def wait_for_shutdown(self, timeout: float | None = None) -> bool:
        """Block until shutdown is requested or *timeout* seconds pass.

        Returns:
            True if shutdown was requested, False on timeout.

        Raises:
            TypeError, ValueError: *timeout* is not None or a non-negative number.
        """
        if timeout is not None:
            timeout = check_timeout(timeout)
        return self.__wake.wait(timeout)

    async def wait_for_shutdown_async(self, timeout: float | None = None) -> bool:
        """Wait, without blocking the event loop, until shutdown is requested or *timeout* passes.

        For ``async def`` handlers: ``while not await runner.wait_for_shutdown_async(5): ...``

        Returns:
            True if shutdown was requested, False on timeout.
        """
        from iotic_app._aio import wait_event

        wake = self.__wake
        return await wait_event(wake.add_waiter, wake.remove_waiter, check_timeout(timeout))

    # -- for App and subclasses ---------------------------------------------------------------

    @contextlib.contextmanager
    def thread_of_run(self) -> Iterator[None]:
        """Count the calling thread as one of the run's for the block: ``stop()`` from it
        then never waits for the run (which may be waiting for this thread).

        For a thread of the agent's own that ``main()`` waits for::

            def worker():
                with runner.thread_of_run():
                    ...  # runner.stop() here requests the stop and returns at once
        """
        ident = threading.get_ident()
        with self.__lock:
            self.__owned.add(ident)
        try:
            yield
        finally:
            with self.__lock:
                self.__owned.discard(ident)

    def __in_thread_of_run(self) -> bool:
        if threading.get_ident() in self.__owned:
            return True
        in_callback = getattr(self.__client, "in_callback", None)
        return bool(in_callback()) if callable(in_callback) else False

    def end_attempt(self) -> None:
        """Wake ``main()`` and every ``wait_for_shutdown()`` so this attempt ends, without
        requesting shutdown (``shutdown_requested`` stays False; the next attempt waits again).

        ``App`` uses it when an ``@app.every`` function fails: main's wait ends, and the
        failure then counts as main's.
        """
        self.__wake.interrupt(cancel_main=False)

    def _resolve(self, result: Any, *, main: bool = False) -> Any:
        """Return *result*, or what it resolves to when it is awaitable (run on our loop)."""
        if result is None or result is True or result is False or not inspect.isawaitable(result):
            return result
        return self.__await(result, main=main)

    # -- the lifecycle --------------------------------------------------------------------------

    def __run_in_background(self) -> None:
        try:
            self.__run()
        except BaseException as exc:
            self.__exception = exc
            _log().error(
                "%s background run ended with %s", type(self).__name__, describe(exc), exc_info=exc
            )
        finally:
            self.__done.set()
            exit_stopper.discard(self)

    def __run(self) -> None:
        name = type(self).__name__
        _log().info("%s starting", name)
        client: Any = self.__client
        factory = self.__client_factory
        if (
            self.__made_client
            and factory is not None
            and getattr(client, "failure", None) is not None
        ):
            # the client made for an earlier run failed for good (another process had the
            # session), and stays failed: this run gets a new one, as an App's does
            self.__client = factory(client.config)
        route = failure_route(self.__client)
        if route is not None:
            route.add(self, self.__client_failed)
        try:
            with self.thread_of_run():
                self.__lifecycle(name)
        finally:
            if route is not None:
                route.discard(self)
            if self.__loop is not None:
                self.__loop.close()
                self.__loop = None
            if self.__made_client:
                self.__close_client()

    def __lifecycle(self, name: str) -> None:
        client = self.__client
        started_up = False
        client_started = False
        failure: ExcInfo | None = None  # what ends the run, if anything
        interrupted = False  # stop() or Ctrl+C ended a retry wait: never re-raise
        streak = 0  # attempts failed in a row, for the retry policy
        streak_started = 0.0
        last_ctx: RunContext | None = None
        while True:
            ctx = RunContext.MAIN if started_up else RunContext.ON_STARTUP
            self.__attempts += 1
            attempt_started = time.monotonic()
            self.__wake.main_cancelled = False
            self.__wake.clear()
            if self.__shutdown.is_set() or self.__client_failure is not None:
                self.__wake.set()  # stop() or a client failure may have raced with the clear
            try:
                self.__raise_client_failure()  # the client failed for good in the retry wait
                client.start()
                client_started = True
                _log().info("%s connected", name)
                if not started_up:
                    self.__call(self.on_startup)
                    started_up = True
                    ctx = RunContext.MAIN
                    self.__raise_client_failure()
                self.__call(self.main, main=True)
                self.__raise_client_failure()
            except KeyboardInterrupt as interrupt:
                self.__exit_at_once(interrupt)
                _log().info("%s: KeyboardInterrupt, shutting down", name)
            except BaseException as caught:
                exc = self.__take_client_failure() or caught  # the cause of what main raised
                if self.__wake.main_cancelled and exc is caught and _is_cancellation(exc):
                    _log().info("%s: async main cancelled by stop()", name)
                    break
                failure = (type(exc), exc, exc.__traceback__)
                if not isinstance(exc, Exception):  # SystemExit and the like: never retried
                    break
                now = time.monotonic()
                if ctx is not last_ctx or now - attempt_started >= self.__policy.reset_after:
                    streak, streak_started = 0, attempt_started
                streak += 1
                last_ctx = ctx
                try:
                    delay = self.__retry_delay(ctx, failure, streak, now - streak_started)
                except KeyboardInterrupt as interrupt:  # in on_exception: shut down
                    self.__exit_at_once(interrupt)
                    _log().info("%s: KeyboardInterrupt in on_exception, shutting down", name)
                    interrupted = True
                    break
                if delay is not None:
                    # The client stays started through the wait (so an on_shutdown after a
                    # stop() in the wait has it started); the retry stops and restarts it.
                    _log().info(
                        "%s retrying %s in %.3g s after %s", name, ctx.value, delay, describe(exc)
                    )
                    self.__pause.clear()  # set by what ends a wait: stop(), a client failure
                    try:
                        if not self.__shutdown.is_set() and self.__client_failure is None:
                            self.__pause.wait(delay)
                    except KeyboardInterrupt as interrupt:
                        self.__exit_at_once(interrupt)
                        self.__shutdown.set()
                    interrupted = self.__shutdown.is_set()
                    if not interrupted:
                        self.__stop_client(client, client_started, retrying=True)
                        client_started = False
                        failure = None
                        continue
            break
        self.__shutdown.set()
        self.__wake.set()
        self.__finish(name, client, client_started, started_up, failure, interrupted)

    # -- stop requests, signals and client failures -------------------------------------------

    def __request_stop(self) -> None:
        """What ``stop()`` does without waiting: safe from any thread, never blocks for long."""
        self.__shutdown.set()
        self.__pause.set()
        self.__wake.interrupt(cancel_main=True)

    def __exit_at_once(self, interrupt: KeyboardInterrupt) -> None:
        """Re-raise *interrupt* when a second signal raised it: no graceful shutdown then."""
        signals = self.__signals
        if signals is not None and signals.exiting:
            raise interrupt

    def __on_signal(self, signum: int) -> None:
        """The first SIGINT or SIGTERM of a foreground run (called from the signal watcher)."""
        import signal

        _log().info(
            "%s: %s, shutting down (again to exit at once)",
            type(self).__name__,
            signal.Signals(signum).name,
        )
        self.__request_stop()

    def __client_failed(self, exc: BaseException) -> None:
        """The client failed for good (called from one of its threads): end the attempt so
        that the run goes on as if main had raised *exc*."""
        with self.__lock:
            if self.__done.is_set() or self.__client_failure is not None:
                return
            self.__client_failure = exc
        _log().error("%s: the client failed for good: %s", type(self).__name__, describe(exc))
        self.__pause.set()
        self.__wake.interrupt(cancel_main=True)

    def __take_client_failure(self) -> BaseException | None:
        with self.__lock:
            exc, self.__client_failure = self.__client_failure, None
        return exc

    def __raise_client_failure(self) -> None:
        exc = self.__take_client_failure()
        if exc is not None:
            raise exc

    def __close_client(self) -> None:
        close = getattr(self.__client, "close", None)
        if not callable(close):
            return
        try:
            close()
        except Exception as exc:
            _log().error("client.close() raised %s", describe(exc), exc_info=exc)

    def __retry_delay(
        self, ctx: RunContext, failure: ExcInfo, streak: int, elapsed: float
    ) -> float | None:
        if not self.__ask_on_exception(ctx, failure):
            return None
        if isinstance(failure[1], SessionTakenOver):
            _log().warning(
                "%s: on_exception asked to retry %s, which cannot be retried (another process "
                "has the agent's session; run one process per agent name): shutting down",
                type(self).__name__,
                describe(failure[1]),
            )
            return None
        delay = self.__policy.delay(streak, elapsed)
        if delay is None:
            _log().warning(
                "%s giving up on %s after %d attempt(s) in a row in %.3g s: %s",
                type(self).__name__,
                ctx.value,
                streak,
                elapsed,
                describe(failure[1]),
            )
        return delay

    def __finish(
        self,
        name: str,
        client: SupportsStartStop,
        client_started: bool,
        started_up: bool,
        failure: ExcInfo | None,
        interrupted: bool,
    ) -> None:
        # A KeyboardInterrupt from here on (a second Ctrl+C or SIGTERM) escapes at once.
        swallow = interrupted
        shutdown_error: BaseException | None = None
        if started_up:
            try:
                swallow = bool(self.__call(self.on_shutdown, failure)) or swallow
            except Exception as exc:
                shutdown_error = exc
                _log().error("%s: on_shutdown raised %s", name, describe(exc), exc_info=exc)
        stop_error = self.__stop_client(client, client_started, retrying=False)
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

    def __ask_on_exception(self, ctx: RunContext, exc_info: ExcInfo) -> bool:
        try:
            return bool(self.__call(self.on_exception, ctx, exc_info))
        except Exception as exc:
            _log().error(
                "on_exception raised %s while handling %s; not retrying",
                describe(exc),
                describe(exc_info[1]),
                exc_info=exc,
            )
            _add_note(exc_info[1], f"on_exception raised {describe(exc)} (logged)")
            return False

    def __stop_client(
        self, client: SupportsStartStop, started: bool, *, retrying: bool
    ) -> Exception | None:
        if not started:
            return None
        try:
            client.stop()
        except Exception as exc:
            _log().error("client.stop() raised %s", describe(exc), exc_info=exc)
            return None if retrying else exc
        return None

    # -- async support --------------------------------------------------------------------------

    def __call(self, method: Any, *args: Any, main: bool = False) -> Any:
        return self._resolve(method(*args), main=main)

    def __await(self, awaitable: Awaitable[Any], *, main: bool) -> Any:
        if self.__loop is None:
            from iotic_app._aio import LoopOwner

            self.__loop = LoopOwner(f"iotic-app-{type(self).__name__}", self.thread_of_run)
        if not main:
            return self.__loop.run(awaitable)
        self.__wake.main_cancelled = False
        try:
            return self.__loop.run(awaitable, self.__set_main_task)
        finally:
            self.__wake.set_main_task(None)

    def __set_main_task(self, loop: asyncio.AbstractEventLoop, task: asyncio.Future[Any]) -> None:
        self.__wake.set_main_task((loop, task))
        if self.__wake.is_set():  # stop() came before the task existed
            self.__wake.interrupt(cancel_main=self.__shutdown.is_set())


class RetryingThingRunner(ThingRunner):
    """A ``ThingRunner`` that retries ``on_startup()`` and ``main()`` after network failures only.

    Retries ``LinkException``, ``IOTSyncTimeout`` and every builtin ``ConnectionError`` and
    ``TimeoutError``, after ``retry_timeout`` seconds; anything else ends the run.
    """

    def on_exception(self, ctx: RunContext, exc_info: ExcInfo) -> Any:
        """Retry network and timeout failures; re-raise everything else."""
        return is_network_failure(exc_info[1])


def _is_cancellation(exc: BaseException) -> bool:
    """Whether *exc* is ``asyncio.CancelledError`` (asyncio is imported by then, if at all)."""
    asyncio = sys.modules.get("asyncio")
    return asyncio is not None and isinstance(exc, asyncio.CancelledError)


def _add_note(exc: BaseException, note: str) -> None:
    if sys.version_info >= (3, 11):
        exc.add_note(note)
