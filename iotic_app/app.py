"""App: an agent written as plain functions, run by a ThingRunner subclass made from them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, overload

import attrs

from iotic_app._app_runner import HandlerRunner, Hooks, base_hooks
from iotic_app._app_status import AppStatus, status_of
from iotic_app._checks import (
    check_background,
    check_retry_timeout,
    check_timeout,
    supports_start_stop,
)
from iotic_app._handlers import (
    Handler,
    check_contexts,
    check_interval,
    name_of,
    replace_or_append,
)
from iotic_app.runner import RetryingThingRunner, RunContext, SupportsStartStop, ThingRunner

if TYPE_CHECKING:
    from iotic_app._config import AgentConfig, ConfigLike
    from iotic_app.retry import RetryPolicy

__all__ = ["App", "AppStatus"]

F = TypeVar("F", bound=Callable[..., Any])


def _check_base(instance: App, attribute: attrs.Attribute[Any], base: object) -> None:
    if base is not None and not (isinstance(base, type) and issubclass(base, ThingRunner)):
        raise TypeError(
            f"base must be a ThingRunner subclass (the class the app's runner is built on), "
            f"got {base!r}"
        )


def _check_client(instance: App, attribute: attrs.Attribute[Any], client: object) -> None:
    if client is not None and not supports_start_stop(client):
        raise TypeError(f"client must be an object with start() and stop() methods, got {client!r}")


def _check_retry_timeout(instance: App, attribute: attrs.Attribute[Any], value: object) -> None:
    check_retry_timeout(value)


class _RunState:
    """An App's mutable run state (a plain object: runs set it without attrs' hooks)."""

    __slots__ = ("busy", "lock", "parsed_config", "runner", "runner_class", "stop_requested")

    def __init__(self) -> None:
        self.runner_class: type[HandlerRunner] | None = None  # made again after a registration
        self.runner: HandlerRunner | None = None  # of the current or last run
        self.parsed_config: AgentConfig | None = None  # parsed once, not at every run
        self.busy = False  # a foreground run is going
        self.lock = threading.RLock()
        self.stop_requested = threading.Event()  # stop() before any run


@attrs.define(eq=False, repr=False)
class App:
    """An agent written as plain functions, run by a ThingRunner subclass made from them.

    Example::

        app = App(retrying=True)

        @app.main
        def loop(runner):
            while not runner.wait_for_shutdown(5):
                print("tick")

        app.run()                      # foreground; app.run(background=True) in a notebook

    Args:
        config: Where and as whom to connect, passed to the runner (see ``iotic_app.Client``).
        retry_timeout: Seconds to wait before a retry (a non-negative int or float), or a
            policy from ``iotic_app.retry``.
        retrying: Retry network and timeout failures, as ``RetryingThingRunner`` does.
        client: A client to use instead of making one from *config*.
        base: The ThingRunner subclass to build on (default ``ThingRunner``, or
            ``RetryingThingRunner`` with *retrying*). Its ``__init__`` must accept the
            ``config``, ``retry_timeout`` and ``client`` keywords.
        name: A name for logs and the background thread.

    Raises:
        TypeError: *base* is not a ThingRunner subclass, *client* has no start()/stop(),
            *retry_timeout* is neither a number nor a policy, or *config* has the wrong type.
        ValueError: *retry_timeout* is a negative, infinite or NaN number, or *config* is
            not valid (an unknown scheme, a bad option).
        FileNotFoundError: *config* names an .ini file that does not exist.
    """

    config: ConfigLike = attrs.field(default=None)
    retry_timeout: float | RetryPolicy = attrs.field(default=15, validator=_check_retry_timeout)
    retrying: bool = attrs.field(
        default=False, kw_only=True, validator=attrs.validators.instance_of(bool)
    )
    client: SupportsStartStop | None = attrs.field(
        default=None, kw_only=True, validator=_check_client
    )
    base: type[ThingRunner] | None = attrs.field(default=None, kw_only=True, validator=_check_base)
    name: str | None = attrs.field(
        default=None,
        kw_only=True,
        validator=attrs.validators.optional(attrs.validators.instance_of(str)),
    )

    # The registered handlers, and the state of runs: not arguments, not in repr.
    _startup: list[Handler] = attrs.field(init=False, repr=False, factory=list)
    _main: Handler | None = attrs.field(init=False, repr=False, default=None)
    _shutdown: list[Handler] = attrs.field(init=False, repr=False, factory=list)
    _on_exception: list[Handler] = attrs.field(init=False, repr=False, factory=list)
    _every: list[tuple[Handler, float]] = attrs.field(init=False, repr=False, factory=list)
    _state: _RunState = attrs.field(init=False, repr=False, factory=_RunState)

    @config.validator
    def _check_config(self, attribute: attrs.Attribute[Any], config: object) -> None:
        from iotic_app._config import parse_config  # here: `import iotic_app` stays light
        from iotic_app._config_lookup import _override_coming

        if config is None and _override_coming.get():  # `iotic-app run --config` sets it next
            self._state.parsed_config = None
            return
        # it raises the clear error; config=None is logged by each run's client, not here
        parsed = parse_config(config, announce=False)  # type: ignore[arg-type]
        # Kept, so each run does not parse it again; None stays None: the script's .ini and
        # $IOTIC_APP_CONFIG are read afresh by each run.
        self._state.parsed_config = None if config is None else parsed

    # -- registering handlers -------------------------------------------------------------------

    @overload
    def startup(self, func: F, /) -> F: ...
    @overload
    def startup(self, /) -> Callable[[F], F]: ...
    def startup(self, func: Callable[..., Any] | None = None, /) -> Any:
        """Register a start-up handler; several run in registration order.

        The handler may declare ``runner``, ``client`` and ``app`` parameters. One that raises
        fails the attempt, and a retry runs them all again. Use as ``@app.startup``::

            @app.startup
            def setup(client):
                client.create_thing("sensor")
        """
        return self._decorate(self.register_startup, func)

    def register_startup(self, func: Callable[..., Any]) -> None:
        """Register *func* as a start-up handler; the twin of ``@app.startup``."""
        self._register(self._startup, Handler.from_function("startup", func))

    @overload
    def main(self, func: F, /) -> F: ...
    @overload
    def main(self, /) -> Callable[[F], F]: ...
    def main(self, func: Callable[..., Any] | None = None, /) -> Any:
        """Register the app's one main function; the run ends when it returns.

        It may declare ``runner``, ``client`` and ``app``, and should return soon after
        ``runner.wait_for_shutdown()`` says so. Without a main the app runs until stopped::

            @app.main
            def loop(runner):
                while not runner.wait_for_shutdown(5):
                    ...

        Raises:
            TypeError: The app already has a different main.
        """
        return self._decorate(self.register_main, func)

    def register_main(self, func: Callable[..., Any]) -> None:
        """Register *func* as the main function; the twin of ``@app.main``."""
        handler = Handler.from_function("main", func)
        with self._state.lock:
            current = self._main
            if current is not None and not handler.replaces(current):
                raise TypeError(
                    f"app already has a main, {name_of(current.func)}(); an app has exactly "
                    f"one main, so {name_of(func)}() cannot be registered too (only the same "
                    "function, or a notebook cell run again, replaces it)"
                )
            self._main = handler
            self._state.runner_class = None

    @overload
    def shutdown(self, func: F, /) -> F: ...
    @overload
    def shutdown(self, /) -> Callable[[F], F]: ...
    def shutdown(self, func: Callable[..., Any] | None = None, /) -> Any:
        """Register a shutdown handler; all of them run, last registered first, even if one raises.

        It may declare ``runner``, ``client``, ``app`` and ``exc_info`` (None when the run ended
        gracefully). The run's exception is re-raised unless a handler returns truthy::

            @app.shutdown
            def bye(exc_info):
                print("failed" if exc_info else "done")
        """
        return self._decorate(self.register_shutdown, func)

    def register_shutdown(self, func: Callable[..., Any]) -> None:
        """Register *func* as a shutdown handler; the twin of ``@app.shutdown``."""
        self._register(self._shutdown, Handler.from_function("shutdown", func))

    @overload
    def on_exception(self, func: F, /) -> F: ...
    @overload
    def on_exception(self, *contexts: RunContext) -> Callable[[F], F]: ...
    def on_exception(self, *args: Any) -> Any:
        """Register a handler that decides whether to retry after an exception.

        Give the contexts it handles, or none for every context. Handlers for the failing
        context are asked in registration order; the first that returns something other than
        None decides (truthy: retry after ``retry_timeout``). The handler may declare
        ``runner``, ``client``, ``app``, ``ctx`` and ``exc_info``::

            @app.on_exception(RunContext.MAIN)
            def sensor_glitch(exc_info):
                return issubclass(exc_info[0], OSError)

        Raises:
            TypeError: A context is not a ``RunContext``.
        """
        if len(args) == 1 and callable(args[0]) and not isinstance(args[0], type):
            self.register_on_exception(args[0])
            return args[0]
        contexts = check_contexts(args)

        def decorator(func: F) -> F:
            self._register(
                self._on_exception, Handler.from_function("on_exception", func, contexts)
            )
            return func

        return decorator

    def register_on_exception(self, func: Callable[..., Any], *contexts: RunContext) -> None:
        """Register *func* as an exception handler for *contexts* (default: all).

        The twin of ``@app.on_exception(*contexts)``.
        """
        handler = Handler.from_function("on_exception", func, check_contexts(contexts))
        self._register(self._on_exception, handler)

    def every(self, seconds: float) -> Callable[[F], F]:
        """Register a function to run every *seconds* while the app runs.

        It runs once at the start of main, then on a monotonic, drift-free schedule (a call
        that overruns skips the ticks it missed). It may declare ``runner``, ``client`` and
        ``app``, and may be an ``async def``. A failure in it is a failure of main: the same
        ``on_exception`` and retry rules apply. Several may coexist, with or without a main::

            @app.every(10)
            def read_sensor(client):
                feed.share(sensor.read())

        Raises:
            TypeError: *seconds* is not an int or float.
            ValueError: *seconds* is not positive and finite.
        """
        interval = check_interval(seconds)

        def decorator(func: F) -> F:
            self.register_every(func, interval)
            return func

        return decorator

    def register_every(self, func: Callable[..., Any], seconds: float) -> None:
        """Register *func* to run every *seconds*; the twin of ``@app.every(seconds)``."""
        interval = check_interval(seconds)
        handler = Handler.from_function("every", func)
        with self._state.lock:
            for i, (old, _) in enumerate(self._every):
                if handler.replaces(old):
                    self._every[i] = (handler, interval)
                    break
            else:
                self._every.append((handler, interval))
            self._state.runner_class = None

    def _decorate(
        self, register: Callable[[Callable[..., Any]], None], func: Callable[..., Any] | None
    ) -> Any:
        if func is None:

            def decorator(func: F) -> F:
                register(func)
                return func

            return decorator
        register(func)
        return func

    def _register(self, handlers: list[Handler], handler: Handler) -> None:
        with self._state.lock:
            replace_or_append(handlers, handler)
            self._state.runner_class = None

    # -- running ------------------------------------------------------------------------------

    @property
    def runner_class(self) -> type[ThingRunner]:
        """The ThingRunner subclass that runs the handlers registered so far."""
        return self._runner_class()

    def _runner_class(self) -> type[HandlerRunner]:
        with self._state.lock:
            if self._state.runner_class is None:
                base = self.base or (RetryingThingRunner if self.retrying else ThingRunner)
                hooks = Hooks(
                    app=self,
                    startup=tuple(self._startup),
                    main=self._main,
                    shutdown=tuple(self._shutdown),
                    on_exception=tuple(self._on_exception),
                    every=tuple(self._every),
                    retrying=self.retrying,
                    base_hooks=base_hooks(base),
                )
                name = f"{self.name or 'App'}Runner".replace(" ", "_")
                self._state.runner_class = type(
                    name, (HandlerRunner, base), {"_hooks": hooks, "__module__": __name__}
                )
            return self._state.runner_class

    @property
    def runner(self) -> ThingRunner | None:
        """The runner of the current or last run, or None before the first run."""
        return self._state.runner

    def run(self, background: bool = False) -> None:
        """Make a fresh runner from the registered handlers and run it.

        Args:
            background: Return at once and run in a daemon thread (for notebooks); ``stop()``
                ends it and ``exception`` keeps a failure.

        Raises:
            RuntimeError: A run of this app is still going.
            TypeError: *background* is not a bool.
            BaseException: In the foreground, whatever ended the run (see ``ThingRunner.run``).
        """
        check_background(background)
        with self._state.lock:
            current = self._state.runner
            if self._state.busy or (current is not None and current.is_running()):
                raise RuntimeError(
                    f"{self!r} is already running; call app.stop() first, "
                    "or wait for the run to end"
                )
            config = self.config if self._state.parsed_config is None else self._state.parsed_config
            kwargs: dict[str, Any] = {"config": config, "retry_timeout": self.retry_timeout}
            if self.client is not None:
                kwargs["client"] = self.client
            runner = self._runner_class()(**kwargs)
            self._state.runner = runner
            self._state.stop_requested.clear()
            if background:
                runner.run(background=True)
                return
            self._state.busy = True
        try:
            runner.run()
        finally:
            self._state.busy = False

    def stop(self, timeout: float | None = None) -> bool:
        """Request the run to stop, waiting at most *timeout* seconds; see ``ThingRunner.stop``.

        Returns:
            True if the run has ended (or none was going), False if it is still ending.
        """
        timeout = check_timeout(timeout)
        with self._state.lock:  # not inside run()'s making of the runner
            runner = self._state.runner
            if runner is None:
                self._state.stop_requested.set()
                return True
            # run() may have made the runner and not yet started it (which clears a stop)
            runner.stop_on_start()
        return runner.stop(timeout)

    def wait_for_shutdown(self, timeout: float | None = None) -> bool:
        """Block until shutdown is requested or *timeout* seconds pass; True if requested."""
        runner = self._state.runner
        if runner is None:
            return self._state.stop_requested.wait(check_timeout(timeout))
        return runner.wait_for_shutdown(timeout)

    @property
    def shutdown_requested(self) -> bool:
        """Whether ``stop()`` was called, the run failed for good, or main has finished."""
        runner = self._state.runner
        if runner is None:
            return self._state.stop_requested.is_set()
        return runner.shutdown_requested

    @property
    def exception(self) -> BaseException | None:
        """The exception that ended the last run, else None (also for background runs)."""
        runner = self._state.runner
        return None if runner is None else runner.exception

    def restart(self, timeout: float | None = None) -> None:
        """Stop the current run (if any) and start a fresh one in the background.

        For a notebook cell run again: ``app.restart()`` instead of ``app.run(background=True)``.

        Raises:
            RuntimeError: The current run did not end within *timeout* seconds.
        """
        if not self.stop(timeout):
            raise RuntimeError(f"{self!r} did not stop within {timeout} s, so it was not restarted")
        self.run(background=True)

    @property
    def status(self) -> AppStatus:
        """The state of the current or last run: running, stopped, failed and why, and more."""
        return status_of(self._state.runner)

    def __repr__(self) -> str:
        name = "" if self.name is None else f" {self.name!r}"
        return f"<App{name}: {self.status}>"
