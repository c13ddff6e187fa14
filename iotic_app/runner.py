"""ThingRunner: the start-up, main loop, retry and shutdown lifecycle of an agent."""

from __future__ import annotations

import contextlib
import enum
import threading
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
from iotic_app._registries import exit_stopper
from iotic_app._run_events import RunEvents
from iotic_app._run_hooks import HookLoop
from iotic_app._run_supervisor import ClientSupervisor

if TYPE_CHECKING:
    from iotic_app._config import ConfigLike
    from iotic_app._run_lifecycle import Lifecycle
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
        factory = type(self).client_factory if client_factory is None else client_factory
        name = type(self).__name__
        self.__events = RunEvents()  # what stop() sets and the run's waits wait on
        self.__wake = self.__events.wake  # what wait_for_shutdown() waits on
        self.__supervisor = ClientSupervisor.given_or_made(
            client, config, factory, name, self.__events
        )
        self.__hooks = HookLoop(f"iotic-app-{name}", self.__events)
        self.__lock = threading.Lock()
        self.__done = threading.Event()
        self.__done.set()
        self.__owned: set[int] = set()  # threads of the run: stop() from them never waits
        self.__exception: BaseException | None = None
        self.__lifecycle: Lifecycle | None = None  # of the current run
        self.__attempts = 0  # of the last run
        self.__signals: StopOnSignals | None = None  # of a foreground run

    # -- the documented API -------------------------------------------------------------------

    @property
    def client(self) -> Any:
        """The client in use by this runner: the one made from *config* (an ``iotic_app.Client``
        unless ``client_factory`` says otherwise), or the object given as ``client=``.

        Typed ``Any``: the runner needs only ``start()`` and ``stop()`` of it, and the agent
        uses whatever its client offers.
        """
        return self.__supervisor.client

    @property
    def retry_timeout(self) -> float | RetryPolicy:
        """What waits before a retry: seconds, or a policy from ``iotic_app.retry``."""
        return self.__retry_timeout

    @property
    def shutdown_requested(self) -> bool:
        """Whether ``stop()`` was called, the run or its client failed for good, or ``main()``
        has finished."""
        return self.__events.shutdown.is_set() or self.__supervisor.failed

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
        lifecycle = self.__lifecycle
        return self.__attempts if lifecycle is None else lifecycle.attempts

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
            # set at once when an App's stop() came before this run began
            self.__events.reset(stop=self._stop_on_start)
            self.__exception = None
            self.__attempts = 0
            self.__supervisor.begin()
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
            self.__supervisor.end()
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
        self.__events.request_stop()
        if self.__done.is_set():
            return True
        if threading.get_ident() in self.__owned or self.__supervisor.in_callback():
            return False  # in a thread of the run
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

    def end_attempt(self) -> None:
        """Wake ``main()`` and every ``wait_for_shutdown()`` so this attempt ends, without
        requesting shutdown (``shutdown_requested`` stays False; the next attempt waits again).

        ``App`` uses it when an ``@app.every`` function fails: main's wait ends, and the
        failure then counts as main's.
        """
        self.__wake.interrupt(cancel_main=False)

    def _resolve(self, result: Any, *, main: bool = False) -> Any:
        """Return *result*, or what it resolves to when it is awaitable (run on our loop)."""
        return self.__hooks.resolve(result, self.thread_of_run, main=main)

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
            self.__supervisor.end()
            self.__done.set()
            exit_stopper.discard(self)

    def __run(self) -> None:
        from iotic_app._run_lifecycle import Lifecycle

        lifecycle = Lifecycle(
            self, self.__supervisor, self.__events, self.__hooks, self.__policy, self.__signals
        )
        self.__lifecycle = lifecycle
        try:
            lifecycle.run()
        finally:  # the lifecycle holds the runner: no cycle is left once the run has ended
            self.__attempts = lifecycle.attempts
            self.__lifecycle = None

    def __on_signal(self, signum: int) -> None:
        """The first SIGINT or SIGTERM of a foreground run (called from the signal watcher)."""
        import signal

        _log().info(
            "%s: %s, shutting down (again to exit at once)",
            type(self).__name__,
            signal.Signals(signum).name,
        )
        self.__events.request_stop()


class RetryingThingRunner(ThingRunner):
    """A ``ThingRunner`` that retries ``on_startup()`` and ``main()`` after network failures only.

    Retries ``LinkException``, ``IOTSyncTimeout`` and every builtin ``ConnectionError`` and
    ``TimeoutError``, after ``retry_timeout`` seconds; anything else ends the run.
    """

    def on_exception(self, ctx: RunContext, exc_info: ExcInfo) -> Any:
        """Retry network and timeout failures; re-raise everything else."""
        return is_network_failure(exc_info[1])
