"""ThingRunner: the start-up, main loop, retry and shutdown lifecycle of an agent."""

from __future__ import annotations

import contextlib
import enum
import inspect
import sys
import threading
import time
from collections.abc import Iterator
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from iotic_app._log import runner_logger as _log
from iotic_app.exceptions import IOTSyncTimeout, LinkException

if TYPE_CHECKING:
    import asyncio
    import weakref
    from collections.abc import Awaitable

    from iotic_app._aio import LoopOwner
    from iotic_app._config import ConfigLike
    from iotic_app.retry import RetryPolicy

__all__ = ["ExcInfo", "RetryingThingRunner", "RunContext", "SupportsStartStop", "ThingRunner"]

#: The ``(type, value, traceback)`` triple of ``sys.exc_info()`` for a raised exception.
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]

#: Failures that ``RetryingThingRunner`` retries: the link and timeouts.
NETWORK_FAILURES: tuple[type[BaseException], ...] = (
    LinkException,
    IOTSyncTimeout,
    ConnectionError,
    TimeoutError,
)

#: How long interpreter exit waits for each background run to shut down gracefully.
EXIT_STOP_TIMEOUT = 10.0


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


def is_network_failure(exc: BaseException) -> bool:
    """Whether *exc* is a link or timeout failure that a retrying runner retries."""
    return isinstance(exc, NETWORK_FAILURES)


def describe(exc: BaseException) -> str:
    """``'TypeName: message'`` for logs."""
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


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
    the client is still started, and the client is stopped last. Any of the four may be an
    ``async def``: it then runs on an event loop owned by the runner's thread.

    In the foreground in the main thread, SIGTERM shuts down gracefully as Ctrl+C does, and a
    second Ctrl+C (or SIGTERM) while shutting down lets ``KeyboardInterrupt`` out at once.
    Background runs still going at interpreter exit are stopped gracefully.

    Args:
        config: Where and as whom to connect; see ``iotic_app.Client``. Ignored when *client*
            is given.
        retry_timeout: Seconds to wait before a retry (a non-negative int or float), or a
            policy from ``iotic_app.retry`` (backoff, attempt and time limits).
        client: Any object with ``start()`` and ``stop()``; by default a ``Client(config)``.

    Raises:
        ValueError: *retry_timeout* is a negative, infinite or NaN number, or *config* is not
            valid.
        TypeError: *retry_timeout* is neither a number nor a policy, *client* has no
            ``start()``/``stop()``, or *config* has the wrong type.
    """

    def __init__(
        self,
        config: ConfigLike = None,
        retry_timeout: float | RetryPolicy = 15,
        *,
        client: SupportsStartStop | None = None,
    ) -> None:
        self.__policy = check_retry_timeout(retry_timeout)
        self.__retry_timeout = retry_timeout
        if client is None:
            from iotic_app.client import Client  # imported here: `import iotic_app` stays light

            client = Client(config)
        elif not supports_start_stop(client):
            raise TypeError(
                f"client must be an object with start() and stop() methods, got {client!r}"
            )
        self.__client = client
        self.__shutdown = threading.Event()  # stop() was called, or the run is ending
        self.__wake = threading.Event()  # what wait_for_shutdown() waits on: also attempt ends
        self.__lock = threading.Lock()
        self.__done = threading.Event()
        self.__done.set()
        self.__owned: set[int] = set()  # threads of the run: stop() from them never waits
        self.__exception: BaseException | None = None
        self.__attempts = 0
        self.__loop: LoopOwner | None = None
        self.__waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Future[Any]]] = set()
        self.__main_task: tuple[asyncio.AbstractEventLoop, asyncio.Future[Any]] | None = None
        self.__main_cancelled = False

    # -- the documented API -------------------------------------------------------------------

    @property
    def client(self) -> Any:
        """The client in use by this runner."""
        return self.__client

    @property
    def retry_timeout(self) -> float | RetryPolicy:
        """What waits before a retry: seconds, or a policy from ``iotic_app.retry``."""
        return self.__retry_timeout

    @property
    def shutdown_requested(self) -> bool:
        """Whether ``stop()`` was called, the run failed for good, or ``main()`` has finished."""
        return self.__shutdown.is_set()

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
    def _attempts(self) -> int:
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
            BaseException: In the foreground, whatever ended the run, unless ``on_shutdown()``
                returned truthy. ``KeyboardInterrupt``, SIGTERM and ``stop()`` end it
                gracefully.
        """
        with self.__lock:
            if not self.__done.is_set():
                raise RuntimeError(
                    f"{type(self).__name__} is already running; call stop() first, "
                    "or wait for the run to end"
                )
            self.__done.clear()
            self.__shutdown.clear()
            self.__wake.clear()
            self.__exception = None
            self.__attempts = 0
            if background:
                _exit_stopper.add(self)
                threading.Thread(
                    target=self.__run_in_background,
                    name=f"iotic-app-{type(self).__name__}",
                    daemon=True,
                ).start()
                return
        try:
            with _SigtermAsKeyboardInterrupt():
                self.__run()
        except BaseException as exc:
            self.__exception = exc
            raise
        finally:
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
        """
        self.__shutdown.set()
        self.__interrupt(cancel_main=True)
        if self.__done.is_set():
            return True
        if self.__in_thread_of_run():
            return False
        return self.__done.wait(timeout)

    def wait_for_shutdown(self, timeout: float | None = None) -> bool:
        """Block until shutdown is requested or *timeout* seconds pass.

        Returns:
            True if shutdown was requested, False on timeout.
        """
        return self.__wake.wait(timeout)

    async def wait_for_shutdown_async(self, timeout: float | None = None) -> bool:
        """Wait, without blocking the event loop, until shutdown is requested or *timeout* passes.

        For ``async def`` handlers: ``while not await runner.wait_for_shutdown_async(5): ...``

        Returns:
            True if shutdown was requested, False on timeout.
        """
        from iotic_app._aio import wait_event

        return await wait_event(self.__add_waiter, self.__remove_waiter, timeout)

    # -- for App and subclasses ---------------------------------------------------------------

    @contextlib.contextmanager
    def _thread_of_run(self) -> Iterator[None]:
        """Count the calling thread as one of the run's for the block: ``stop()`` from it
        then never waits for the run (which may be waiting for this thread)."""
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

    def _end_attempt(self) -> None:
        """Wake ``main()`` so this attempt ends, without requesting shutdown.

        ``App`` uses it when a periodic function fails: the failure then counts as main's.
        """
        self.__interrupt(cancel_main=False)

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
            _exit_stopper.discard(self)

    def __run(self) -> None:
        name = type(self).__name__
        _log().info("%s starting", name)
        try:
            with self._thread_of_run():
                self.__lifecycle(name)
        finally:
            if self.__loop is not None:
                self.__loop.close()
                self.__loop = None

    def __lifecycle(self, name: str) -> None:
        client = self.__client
        started_up = False
        failure: ExcInfo | None = None  # what ends the run, if anything
        interrupted = False  # stop() or Ctrl+C ended a retry wait: never re-raise
        streak = 0  # attempts failed in a row, for the retry policy
        streak_started = 0.0
        last_ctx: RunContext | None = None
        while True:
            ctx = RunContext.MAIN if started_up else RunContext.ON_STARTUP
            client_started = False
            self.__attempts += 1
            attempt_started = time.monotonic()
            self.__wake.clear()
            if self.__shutdown.is_set():  # stop() may have raced with the clear
                self.__wake.set()
            try:
                client.start()
                client_started = True
                _log().info("%s connected", name)
                if not started_up:
                    self.__call(self.on_startup)
                    started_up = True
                    ctx = RunContext.MAIN
                self.__call(self.main, main=True)
            except KeyboardInterrupt:
                _log().info("%s: KeyboardInterrupt, shutting down", name)
            except BaseException as exc:
                if self.__main_cancelled and not isinstance(exc, Exception):
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
                delay = self.__retry_delay(ctx, failure, streak, now - streak_started)
                if delay is not None:
                    self.__stop_client(client, client_started, retrying=True)
                    _log().info(
                        "%s retrying %s in %.3g s after %s", name, ctx.value, delay, describe(exc)
                    )
                    try:
                        interrupted = self.__shutdown.wait(delay)
                    except KeyboardInterrupt:
                        interrupted = True
                    if not interrupted:
                        failure = None
                        continue
                    client_started = False
            break
        self.__shutdown.set()
        self.__wake.set()
        self.__finish(name, client, client_started, started_up, failure, interrupted)

    def __retry_delay(
        self, ctx: RunContext, failure: ExcInfo, streak: int, elapsed: float
    ) -> float | None:
        if not self.__ask_on_exception(ctx, failure):
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

            self.__loop = LoopOwner(f"iotic-app-{type(self).__name__}", self._thread_of_run)
        if not main:
            return self.__loop.run(awaitable)
        self.__main_cancelled = False
        try:
            return self.__loop.run(awaitable, self.__set_main_task)
        finally:
            with self.__lock:
                self.__main_task = None

    def __set_main_task(self, loop: asyncio.AbstractEventLoop, task: asyncio.Future[Any]) -> None:
        with self.__lock:
            self.__main_task = (loop, task)
        if self.__wake.is_set():  # stop() came before the task existed
            self.__interrupt(cancel_main=self.__shutdown.is_set())

    def __add_waiter(self, loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any]) -> bool:
        with self.__lock:
            if self.__wake.is_set():
                return True
            self.__waiters.add((loop, future))
            return False

    def __remove_waiter(self, loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any]) -> None:
        with self.__lock:
            self.__waiters.discard((loop, future))

    def __interrupt(self, *, cancel_main: bool) -> None:
        """Wake every waiter; with *cancel_main*, cancel an async main not waiting on us."""
        self.__wake.set()
        with self.__lock:
            waiters = list(self.__waiters)
            main_task = self.__main_task
        if not waiters and main_task is None:
            return
        from iotic_app._aio import cancel, resolve

        for loop, future in waiters:
            resolve(loop, future)
        if cancel_main and main_task is not None:
            loop, task = main_task
            if not any(waiter_loop is loop for waiter_loop, _ in waiters):
                self.__main_cancelled = True
                cancel(loop, task)


class RetryingThingRunner(ThingRunner):
    """A ``ThingRunner`` that retries ``on_startup()`` and ``main()`` after network failures only.

    Retries ``LinkException``, ``IOTSyncTimeout`` and every builtin ``ConnectionError`` and
    ``TimeoutError``, after ``retry_timeout`` seconds; anything else ends the run.
    """

    def on_exception(self, ctx: RunContext, exc_info: ExcInfo) -> Any:
        """Retry network and timeout failures; re-raise everything else."""
        return is_network_failure(exc_info[1])


class _SigtermAsKeyboardInterrupt:
    """In the main thread, make SIGTERM raise ``KeyboardInterrupt`` as Ctrl+C does."""

    def __init__(self) -> None:
        self._previous: Any = None
        self._installed = False

    def __enter__(self) -> None:
        if threading.current_thread() is threading.main_thread():
            import signal

            try:
                self._previous = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
                self._installed = True
            except ValueError:  # an embedded interpreter may refuse
                pass

    def __exit__(self, *exc: object) -> None:
        if self._installed:
            import signal

            signal.signal(signal.SIGTERM, self._previous)


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    import signal

    raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")


class _ExitStopper:
    """Stops background runs gracefully at interpreter exit, so their on_shutdown runs."""

    def __init__(self) -> None:
        self._runners: weakref.WeakSet[ThingRunner] | None = None  # made on first use
        self._lock = threading.Lock()

    def add(self, runner: ThingRunner) -> None:
        with self._lock:
            if self._runners is None:
                import atexit
                import weakref

                self._runners = weakref.WeakSet()
                atexit.register(self.stop_all)
            self._runners.add(runner)

    def discard(self, runner: ThingRunner) -> None:
        with self._lock:
            if self._runners is not None:
                self._runners.discard(runner)

    def stop_all(self) -> None:
        with self._lock:
            runners = list(self._runners or ())
        for runner in runners:  # ask them all first, so they shut down side by side
            runner.stop(0)
        for runner in runners:
            if not runner.stop(EXIT_STOP_TIMEOUT):
                _log().warning("%s did not stop within %g s at exit", runner, EXIT_STOP_TIMEOUT)


_exit_stopper = _ExitStopper()


def _add_note(exc: BaseException, note: str) -> None:
    if sys.version_info >= (3, 11):
        exc.add_note(note)
