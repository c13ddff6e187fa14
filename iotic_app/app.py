"""App: an agent written as plain functions, run by a ThingRunner subclass made from them."""

from __future__ import annotations

import contextlib
import functools
import inspect
import math
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, TypeVar, overload

import attrs

from iotic_app._log import describe, runner_logger
from iotic_app.runner import (
    ExcInfo,
    RetryingThingRunner,
    RunContext,
    SupportsStartStop,
    ThingRunner,
    check_background,
    check_retry_timeout,
    check_timeout,
    is_network_failure,
    supports_start_stop,
)

if TYPE_CHECKING:
    from iotic_app._config import AgentConfig, ConfigLike
    from iotic_app.retry import RetryPolicy

__all__ = ["App"]

F = TypeVar("F", bound=Callable[..., Any])

#: The parameters each kind of handler may declare, by name.
_RUN_PARAMS = frozenset({"runner", "client", "app"})
_PARAMS: Mapping[str, frozenset[str]] = {
    "startup": _RUN_PARAMS,
    "main": _RUN_PARAMS,
    "every": _RUN_PARAMS,
    "shutdown": _RUN_PARAMS | {"exc_info"},
    "on_exception": _RUN_PARAMS | {"ctx", "exc_info"},
}


class _Handler:
    """A registered function and how to call it with the values it asked for."""

    __slots__ = ("contexts", "func", "keywords", "positional")

    def __init__(
        self,
        func: Callable[..., Any],
        positional: tuple[str, ...],
        keywords: tuple[str, ...],
        contexts: frozenset[RunContext] = frozenset(RunContext),
    ) -> None:
        self.func = func
        self.positional = positional
        self.keywords = keywords
        self.contexts = contexts

    @classmethod
    def from_function(
        cls, hook: str, func: object, contexts: frozenset[RunContext] = frozenset(RunContext)
    ) -> _Handler:
        """Check *func*'s parameters against what *hook* supplies.

        Raises:
            TypeError: *func* is not callable, or asks for a parameter the App cannot supply.
        """
        if not callable(func):
            raise TypeError(f"app.{hook} needs a function, got {func!r}")
        allowed = _PARAMS[hook]
        positional: list[str] = []
        keywords: list[str] = []
        try:
            signature = inspect.signature(func)
        except (TypeError, ValueError):  # some builtins have no signature: call them bare
            return cls(func, (), (), contexts)
        for param in signature.parameters.values():
            if param.kind is param.VAR_POSITIONAL:
                continue
            if param.kind is param.VAR_KEYWORD:
                keywords.extend(sorted(allowed - set(positional) - set(keywords)))
                continue
            if param.name not in allowed:
                if param.default is not param.empty:
                    continue
                raise TypeError(
                    f"{hook} handler {_name_of(func)}() has a parameter {param.name!r} that the "
                    f"App cannot supply; {hook} handlers may declare any of "
                    f"{', '.join(sorted(allowed))}"
                )
            (positional if param.kind is param.POSITIONAL_ONLY else keywords).append(param.name)
        return cls(func, tuple(positional), tuple(keywords), contexts)

    def replaces(self, old: _Handler) -> bool:
        """Whether registering this handler replaces *old* rather than adding to it.

        It does for the same function again, and for a notebook cell run again: the same
        module and qualified name, compiled anew (a new code object). Functions that share one
        code object (made by one factory) are different handlers; lambdas always are.
        """
        if _same_callable(self.func, old.func):
            return True
        key = _key_of(self.func)
        if key is None or key != _key_of(old.func):
            return False
        code = _code_of(self.func)
        return code is not None and code is not _code_of(old.func)

    def __call__(self, values: Mapping[str, Any]) -> Any:
        if self.positional:
            return self.func(
                *[values[name] for name in self.positional],
                **{name: values[name] for name in self.keywords},
            )
        return self.func(**{name: values[name] for name in self.keywords})


def _name_of(func: object) -> str:
    return str(getattr(func, "__qualname__", None) or getattr(func, "__name__", None) or func)


def _key_of(func: Callable[..., Any]) -> tuple[str, str] | None:
    """What names *func* across notebook cell re-runs: module and qualified name (None for
    lambdas and for callables without a qualified name)."""
    qualname = getattr(func, "__qualname__", None)
    if not isinstance(qualname, str) or "<lambda>" in qualname:
        return None
    return (getattr(func, "__module__", None) or "", qualname)


def _code_of(func: Callable[..., Any]) -> object:
    """The code object of *func*, or of the function it wraps (``functools.wraps``)."""
    with contextlib.suppress(ValueError):  # a cycle of __wrapped__
        func = inspect.unwrap(func)
    return getattr(func, "__code__", None)


def _same_callable(a: Callable[..., Any], b: Callable[..., Any]) -> bool:
    """*a* is *b*, or both are the same bound method (``obj.f`` makes a new object each time)."""
    return a is b or (inspect.ismethod(a) and inspect.ismethod(b) and a == b)


def _replace_or_append(handlers: list[_Handler], new: _Handler) -> None:
    for i, old in enumerate(handlers):
        if new.replaces(old):
            handlers[i] = new
            return
    handlers.append(new)


def _check_contexts(contexts: Iterable[object]) -> frozenset[RunContext]:
    checked = []
    for ctx in contexts:
        if not isinstance(ctx, RunContext):
            raise TypeError(
                "app.on_exception contexts must be RunContext members "
                f"(RunContext.ON_STARTUP, RunContext.MAIN), got {ctx!r}"
            )
        checked.append(ctx)
    return frozenset(checked or RunContext)


class _Hooks(NamedTuple):
    """What one run of an App runs: a snapshot taken when its runner class is made."""

    app: App
    startup: tuple[_Handler, ...]
    main: _Handler | None
    shutdown: tuple[_Handler, ...]
    on_exception: tuple[_Handler, ...]
    every: tuple[tuple[_Handler, float], ...]
    retrying: bool
    #: The hooks that the base class implements itself (not ThingRunner's no-op defaults).
    base_hooks: frozenset[str]


class _AppRunner(ThingRunner):
    """Calls an App's handlers from the ThingRunner methods; mixed in before the base class."""

    _hooks: ClassVar[_Hooks]

    def stop_on_start(self) -> None:
        """Have ``run()`` begin with the stop already requested: ``App.stop()`` came between
        making this runner and its run (which clears an earlier stop)."""
        self._stop_on_start = True

    def _values(self, **extra: Any) -> dict[str, Any]:
        return {"runner": self, "client": self.client, "app": self._hooks.app, **extra}

    def on_startup(self) -> Any:
        hooks = self._hooks
        if "on_startup" in hooks.base_hooks:
            self._resolve(super().on_startup())
        if hooks.startup:
            values = self._values()
            for handler in hooks.startup:
                self._resolve(handler(values))

    def main(self) -> Any:
        hooks = self._hooks
        values = self._values()
        call_main: Callable[[], Any] | None = None
        if hooks.main is not None:
            call_main = functools.partial(hooks.main, values)
        elif "main" in hooks.base_hooks:
            call_main = super().main
        if not hooks.every:
            if call_main is None:
                # No main anywhere: an agent that only reacts to callbacks runs until stopped.
                self.wait_for_shutdown()
                return None
            return call_main()  # a coroutine is awaited by the runner, cancellably
        from iotic_app._periodic import ScheduleThread, run_schedule

        if call_main is None:
            run_schedule(hooks.every, values, self, self._resolve)
            return None
        schedule = ScheduleThread(hooks.every, values, self)
        schedule.start()
        try:
            result = self._resolve(call_main(), main=True)
        finally:
            schedule.stop()
        if schedule.failure is not None:
            raise schedule.failure
        return result

    def on_exception(self, ctx: RunContext, exc_info: ExcInfo) -> Any:
        values = self._values(ctx=ctx, exc_info=exc_info)
        for handler in self._hooks.on_exception:
            if ctx in handler.contexts:
                decision = self._resolve(handler(values))
                if decision is not None:
                    return decision
        if self._hooks.retrying and is_network_failure(exc_info[1]):
            return True
        return self._resolve(super().on_exception(ctx, exc_info))

    def on_shutdown(self, exc_info: ExcInfo | None) -> Any:
        values = self._values(exc_info=exc_info)
        swallow = False
        errors: list[Exception] = []
        for handler in reversed(self._hooks.shutdown):
            try:
                swallow = bool(self._resolve(handler(values))) or swallow
            except Exception as exc:  # every handler runs; the first failure is raised below
                errors.append(exc)
        if "on_shutdown" in self._hooks.base_hooks:
            try:
                swallow = bool(self._resolve(super().on_shutdown(exc_info))) or swallow
            except Exception as exc:
                errors.append(exc)
        if errors:
            first, *others = errors
            for other in others:
                _log_extra_failure(other)
            raise first
        return swallow


def _base_hooks(base: type[ThingRunner]) -> frozenset[str]:
    """The hooks that *base* implements itself, rather than inheriting ThingRunner's."""
    names = ("on_startup", "main", "on_shutdown")
    return frozenset(
        name for name in names if getattr(base, name) is not getattr(ThingRunner, name)
    )


def _log_extra_failure(exc: Exception) -> None:
    runner_logger().error("a shutdown handler raised %s", describe(exc), exc_info=exc)


def _check_interval(seconds: object) -> float:
    """*seconds* as a float; a ``TypeError`` unless an int or float, a ``ValueError`` unless
    positive and finite."""
    if isinstance(seconds, (int, float)) and not isinstance(seconds, bool):
        if math.isfinite(seconds) and seconds > 0:
            return float(seconds)
        error: type[Exception] = ValueError
    else:
        error = TypeError
    raise error(f"app.every(seconds) needs a positive, finite number of seconds, got {seconds!r}")


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


@attrs.frozen
class AppStatus:
    """What ``App.status`` reports: the state of the current or last run.

    Attributes:
        state: ``'not started'``, ``'running'``, ``'stopping'``, ``'stopped'`` or ``'failed'``.
        reason: Why it failed (``'TypeName: message'``), else None.
        attempts: Attempts made by the current or last run (1 when nothing was retried).
        connected: Whether the client is connected, or None where the client cannot tell.
        outbox_depth: Shares waiting to be delivered, or None where the client has no outbox.
        values_missed: Feed values that never reached this client's callbacks (see
            ``Client.values_missed``), or None where the client cannot tell.
    """

    state: str
    reason: str | None = None
    attempts: int = 0
    connected: bool | None = None
    outbox_depth: int | None = None
    values_missed: int | None = None

    def __str__(self) -> str:
        parts = [self.state if self.reason is None else f"{self.state} ({self.reason})"]
        if self.state != "not started":
            parts.append(f"attempts={self.attempts}")
        if self.connected is not None:
            parts.append(f"connected={self.connected}")
        if self.outbox_depth is not None:
            parts.append(f"outbox_depth={self.outbox_depth}")
        if self.values_missed:
            parts.append(f"values_missed={self.values_missed}")
        return ", ".join(parts)


def _client_probe(client: Any, name: str) -> Any:
    """The value of *client*'s attribute or no-argument method *name*, or None."""
    try:
        value = getattr(client, name, None)
        return value() if callable(value) else value
    except Exception:  # a status query never fails because the client cannot answer
        return None


class _RunState:
    """An App's mutable run state (a plain object: runs set it without attrs' hooks)."""

    __slots__ = ("busy", "lock", "parsed_config", "runner", "runner_class", "stop_requested")

    def __init__(self) -> None:
        self.runner_class: type[_AppRunner] | None = None  # made again after a registration
        self.runner: _AppRunner | None = None  # of the current or last run
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
    _startup: list[_Handler] = attrs.field(init=False, repr=False, factory=list)
    _main: _Handler | None = attrs.field(init=False, repr=False, default=None)
    _shutdown: list[_Handler] = attrs.field(init=False, repr=False, factory=list)
    _on_exception: list[_Handler] = attrs.field(init=False, repr=False, factory=list)
    _every: list[tuple[_Handler, float]] = attrs.field(init=False, repr=False, factory=list)
    _state: _RunState = attrs.field(init=False, repr=False, factory=_RunState)

    @config.validator
    def _check_config(self, attribute: attrs.Attribute[Any], config: object) -> None:
        from iotic_app._config import parse_config  # here: `import iotic_app` stays light

        parsed = parse_config(config)  # type: ignore[arg-type]  # it raises the clear error
        # Kept, so each run does not parse it again; None stays None: $IOTIC_APP_CONFIG is
        # read afresh by each run.
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
        self._register(self._startup, _Handler.from_function("startup", func))

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
        handler = _Handler.from_function("main", func)
        with self._state.lock:
            current = self._main
            if current is not None and not handler.replaces(current):
                raise TypeError(
                    f"app already has a main, {_name_of(current.func)}(); an app has exactly "
                    f"one main, so {_name_of(func)}() cannot be registered too (only the same "
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
        self._register(self._shutdown, _Handler.from_function("shutdown", func))

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
        contexts = _check_contexts(args)

        def decorator(func: F) -> F:
            self._register(
                self._on_exception, _Handler.from_function("on_exception", func, contexts)
            )
            return func

        return decorator

    def register_on_exception(self, func: Callable[..., Any], *contexts: RunContext) -> None:
        """Register *func* as an exception handler for *contexts* (default: all).

        The twin of ``@app.on_exception(*contexts)``.
        """
        handler = _Handler.from_function("on_exception", func, _check_contexts(contexts))
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
        interval = _check_interval(seconds)

        def decorator(func: F) -> F:
            self.register_every(func, interval)
            return func

        return decorator

    def register_every(self, func: Callable[..., Any], seconds: float) -> None:
        """Register *func* to run every *seconds*; the twin of ``@app.every(seconds)``."""
        interval = _check_interval(seconds)
        handler = _Handler.from_function("every", func)
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

    def _register(self, handlers: list[_Handler], handler: _Handler) -> None:
        with self._state.lock:
            _replace_or_append(handlers, handler)
            self._state.runner_class = None

    # -- running ------------------------------------------------------------------------------

    @property
    def runner_class(self) -> type[ThingRunner]:
        """The ThingRunner subclass that runs the handlers registered so far."""
        return self._runner_class()

    def _runner_class(self) -> type[_AppRunner]:
        with self._state.lock:
            if self._state.runner_class is None:
                base = self.base or (RetryingThingRunner if self.retrying else ThingRunner)
                hooks = _Hooks(
                    app=self,
                    startup=tuple(self._startup),
                    main=self._main,
                    shutdown=tuple(self._shutdown),
                    on_exception=tuple(self._on_exception),
                    every=tuple(self._every),
                    retrying=self.retrying,
                    base_hooks=_base_hooks(base),
                )
                name = f"{self.name or 'App'}Runner".replace(" ", "_")
                self._state.runner_class = type(
                    name, (_AppRunner, base), {"_hooks": hooks, "__module__": __name__}
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
        runner = self._state.runner
        if runner is None:
            return AppStatus("not started")
        running = runner.is_running()
        exception = runner.exception
        if running:
            state = "stopping" if runner.shutdown_requested else "running"
        else:
            state = "failed" if exception is not None else "stopped"
        client = runner.client
        connected = _client_probe(client, "is_connected")
        depth = _client_probe(client, "outbox_depth")
        missed = _client_probe(client, "values_missed")
        return AppStatus(
            state=state,
            reason=None if exception is None else describe(exception),
            attempts=runner.attempts,
            connected=connected if isinstance(connected, bool) else None,
            outbox_depth=depth if isinstance(depth, int) else None,
            values_missed=missed if isinstance(missed, int) else None,
        )

    def __repr__(self) -> str:
        name = "" if self.name is None else f" {self.name!r}"
        return f"<App{name}: {self.status}>"
