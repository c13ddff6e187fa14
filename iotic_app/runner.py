"""ThingRunner: the start-up, main loop, retry and shutdown lifecycle of an agent."""

from __future__ import annotations

import enum
import logging
import math
import sys
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from iotic_app.exceptions import IOTSyncTimeout, LinkException

if TYPE_CHECKING:
    from iotic_app._config import ConfigLike

__all__ = ["ExcInfo", "RetryingThingRunner", "RunContext", "SupportsStartStop", "ThingRunner"]

logger = logging.getLogger("iotic_app.runner")

#: The ``(type, value, traceback)`` triple of ``sys.exc_info()`` for a raised exception.
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]

#: Failures that ``RetryingThingRunner`` retries: the link and timeouts.
NETWORK_FAILURES: tuple[type[BaseException], ...] = (
    LinkException,
    IOTSyncTimeout,
    ConnectionError,
    TimeoutError,
)


class RunContext(enum.Enum):
    """Where in the run an exception happened; passed to ``ThingRunner.on_exception``."""

    MAIN = "main"
    ON_STARTUP = "on_startup"


@runtime_checkable
class SupportsStartStop(Protocol):
    """What a runner needs of a client: ``start()`` and ``stop()``."""

    def start(self) -> Any:
        """Connect; raise on failure."""

    def stop(self) -> Any:
        """Disconnect; safe to call more than once."""


def check_retry_timeout(retry_timeout: object) -> float:
    """Return *retry_timeout* as seconds, or raise ``ValueError`` saying what is allowed.

    Raises:
        ValueError: unless *retry_timeout* is a non-negative, finite int or float.
    """
    if (
        isinstance(retry_timeout, bool)
        or not isinstance(retry_timeout, (int, float))
        or not math.isfinite(retry_timeout)
        or retry_timeout < 0
    ):
        raise ValueError(
            f"retry_timeout must be a non-negative number of seconds (int or float), "
            f"got {retry_timeout!r}"
        )
    return float(retry_timeout)


def is_network_failure(exc: BaseException) -> bool:
    """Whether *exc* is a link or timeout failure that a retrying runner retries."""
    return isinstance(exc, NETWORK_FAILURES)


def _describe(exc: BaseException) -> str:
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
    the client is still started, and the client is stopped last.

    Args:
        config: Where and as whom to connect; see ``iotic_app.Client``. Ignored when *client*
            is given.
        retry_timeout: Seconds to wait before a retry; a non-negative int or float.
        client: Any object with ``start()`` and ``stop()``; by default a ``Client(config)``.

    Raises:
        ValueError: *retry_timeout* or *config* is not valid.
        TypeError: *client* has no ``start()``/``stop()``, or *config* has the wrong type.
    """

    def __init__(
        self,
        config: ConfigLike = None,
        retry_timeout: float = 15,
        *,
        client: SupportsStartStop | None = None,
    ) -> None:
        self.__retry_timeout = check_retry_timeout(retry_timeout)
        if client is None:
            from iotic_app.client import Client  # imported here: `import iotic_app` stays light

            client = Client(config)
        elif not isinstance(client, SupportsStartStop):
            raise TypeError(
                f"client must be an object with start() and stop() methods, got {client!r}"
            )
        self.__client = client
        self.__shutdown = threading.Event()
        self.__lock = threading.Lock()
        self.__done = threading.Event()
        self.__done.set()
        self.__thread: threading.Thread | None = None
        self.__run_thread_id: int | None = None
        self.__exception: BaseException | None = None

    # -- the documented API -------------------------------------------------------------------

    @property
    def client(self) -> Any:
        """The client in use by this runner."""
        return self.__client

    @property
    def retry_timeout(self) -> float:
        """Seconds waited before a retry."""
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
                returned truthy. ``KeyboardInterrupt`` and ``stop()`` end it gracefully.
        """
        with self.__lock:
            if not self.__done.is_set():
                raise RuntimeError(
                    f"{type(self).__name__} is already running; call stop() first, "
                    "or wait for the run to end"
                )
            self.__done.clear()
            self.__shutdown.clear()
            self.__exception = None
            if background:
                thread = threading.Thread(
                    target=self.__run_in_background,
                    name=f"iotic-app-{type(self).__name__}",
                    daemon=True,
                )
                self.__thread = thread
                self.__run_thread_id = None
                thread.start()
                return
            self.__thread = None
        try:
            self.__run()
        except BaseException as exc:
            self.__exception = exc
            raise
        finally:
            self.__done.set()

    def stop(self, timeout: float | None = None) -> bool:
        """Request the run to stop, waiting at most *timeout* seconds for it to end.

        Safe from any thread, including the runner's own (from ``main()`` or a handler it
        returns at once), and idempotent. Without a run it only sets ``shutdown_requested``.

        Returns:
            True if the run has ended (or none was going), False if it is still ending.
        """
        self.__shutdown.set()
        if self.__done.is_set():
            return True
        if threading.get_ident() == self.__run_thread_id:
            return False
        return self.__done.wait(timeout)

    def wait_for_shutdown(self, timeout: float | None = None) -> bool:
        """Block until shutdown is requested or *timeout* seconds pass.

        Returns:
            True if shutdown was requested, False on timeout.
        """
        return self.__shutdown.wait(timeout)

    # -- the lifecycle --------------------------------------------------------------------------

    def __run_in_background(self) -> None:
        try:
            self.__run()
        except BaseException as exc:
            self.__exception = exc
            logger.error(
                "%s background run ended with %s", type(self).__name__, _describe(exc), exc_info=exc
            )
        finally:
            self.__done.set()

    def __run(self) -> None:
        self.__run_thread_id = threading.get_ident()
        client = self.__client
        started_up = False
        failure: ExcInfo | None = None  # what ends the run, if anything
        interrupted = False  # stop() or Ctrl+C ended a retry wait: never re-raise
        while True:
            ctx = RunContext.MAIN if started_up else RunContext.ON_STARTUP
            client_started = False
            try:
                client.start()
                client_started = True
                if not started_up:
                    self.on_startup()
                    started_up = True
                    ctx = RunContext.MAIN
                self.main()
            except KeyboardInterrupt:
                logger.info("KeyboardInterrupt: shutting down")
            except BaseException as exc:
                failure = (type(exc), exc, exc.__traceback__)
                if isinstance(exc, Exception) and self.__ask_on_exception(ctx, failure):
                    self.__stop_client(client, client_started, retrying=True)
                    logger.info(
                        "retrying %s in %g s after %s",
                        ctx.value,
                        self.__retry_timeout,
                        _describe(exc),
                    )
                    try:
                        interrupted = self.__shutdown.wait(self.__retry_timeout)
                    except KeyboardInterrupt:
                        interrupted = True
                    if not interrupted:
                        failure = None
                        continue
                    client_started = False
            break
        self.__shutdown.set()
        self.__finish(client, client_started, started_up, failure, interrupted)

    def __finish(
        self,
        client: SupportsStartStop,
        client_started: bool,
        started_up: bool,
        failure: ExcInfo | None,
        interrupted: bool,
    ) -> None:
        swallow = interrupted
        shutdown_error: BaseException | None = None
        if started_up:
            try:
                swallow = bool(self.on_shutdown(failure)) or swallow
            except KeyboardInterrupt:
                logger.info("KeyboardInterrupt during on_shutdown: shutting down")
            except Exception as exc:
                shutdown_error = exc
                logger.error("on_shutdown raised %s", _describe(exc), exc_info=exc)
        stop_error = self.__stop_client(client, client_started, retrying=False)
        if failure is not None and not swallow:
            original = failure[1]
            if shutdown_error is not None:
                _add_note(original, f"on_shutdown raised {_describe(shutdown_error)} (logged)")
            raise original
        if shutdown_error is not None:
            raise shutdown_error
        if stop_error is not None:
            raise stop_error

    def __ask_on_exception(self, ctx: RunContext, exc_info: ExcInfo) -> bool:
        try:
            return bool(self.on_exception(ctx, exc_info))
        except Exception as exc:
            logger.error(
                "on_exception raised %s while handling %s; not retrying",
                _describe(exc),
                _describe(exc_info[1]),
                exc_info=exc,
            )
            _add_note(exc_info[1], f"on_exception raised {_describe(exc)} (logged)")
            return False

    def __stop_client(
        self, client: SupportsStartStop, started: bool, *, retrying: bool
    ) -> Exception | None:
        if not started:
            return None
        try:
            client.stop()
        except Exception as exc:
            logger.error("client.stop() raised %s", _describe(exc), exc_info=exc)
            return None if retrying else exc
        return None


class RetryingThingRunner(ThingRunner):
    """A ``ThingRunner`` that retries ``on_startup()`` and ``main()`` after network failures only.

    Retries ``LinkException``, ``IOTSyncTimeout`` and every builtin ``ConnectionError`` and
    ``TimeoutError``, after ``retry_timeout`` seconds; anything else ends the run.
    """

    def on_exception(self, ctx: RunContext, exc_info: ExcInfo) -> Any:
        """Retry network and timeout failures; re-raise everything else."""
        return is_network_failure(exc_info[1])


def _add_note(exc: BaseException, note: str) -> None:
    if sys.version_info >= (3, 11):
        exc.add_note(note)
