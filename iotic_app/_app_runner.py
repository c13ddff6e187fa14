"""The ThingRunner mixin that calls an App's registered handlers from the runner's hooks."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from iotic_app._checks import is_network_failure
from iotic_app._handlers import Handler
from iotic_app._log import describe, runner_logger
from iotic_app.runner import ExcInfo, RunContext, ThingRunner

if TYPE_CHECKING:
    from iotic_app.app import App


class Hooks(NamedTuple):
    """What one run of an App runs: a snapshot taken when its runner class is made."""

    app: App
    startup: tuple[Handler, ...]
    main: Handler | None
    shutdown: tuple[Handler, ...]
    on_exception: tuple[Handler, ...]
    every: tuple[tuple[Handler, float], ...]
    retrying: bool
    #: The hooks that the base class implements itself (not ThingRunner's no-op defaults).
    base_hooks: frozenset[str]


class HandlerRunner(ThingRunner):
    """Calls an App's handlers from the ThingRunner methods; mixed in before the base class."""

    _hooks: ClassVar[Hooks]

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


def base_hooks(base: type[ThingRunner]) -> frozenset[str]:
    """The hooks that *base* implements itself, rather than inheriting ThingRunner's."""
    names = ("on_startup", "main", "on_shutdown")
    return frozenset(
        name for name in names if getattr(base, name) is not getattr(ThingRunner, name)
    )


def _log_extra_failure(exc: Exception) -> None:
    runner_logger().error("a shutdown handler raised %s", describe(exc), exc_info=exc)
