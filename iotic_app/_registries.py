"""Process-wide registries of runs: client failures routed to runners, background runs at exit."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from iotic_app._log import runner_logger as _log

if TYPE_CHECKING:
    import weakref

    from iotic_app.runner import ThingRunner

#: How long interpreter exit waits for each background run to shut down gracefully.
EXIT_STOP_TIMEOUT = 10.0


class FailureRoute:
    """The one failure listener a runner registers on a client, for every run on it.

    An App makes a fresh runner for each run, all on one client when it was given one: the
    client gets one listener, which tells the runners that are running on it (through the
    bound method each gives, held weakly: a route never keeps a runner alive).
    """

    def __init__(self) -> None:
        self._listeners: dict[int, weakref.WeakMethod[Callable[[BaseException], None]]] = {}
        self._lock = threading.Lock()

    def add(self, runner: ThingRunner, listener: Callable[[BaseException], None]) -> None:
        """Tell *listener*, a bound method of *runner*, of the client's failure from now on."""
        import weakref

        with self._lock:
            self._listeners[id(runner)] = weakref.WeakMethod(listener)

    def discard(self, runner: ThingRunner) -> None:
        with self._lock:
            self._listeners.pop(id(runner), None)

    def __call__(self, exc: BaseException) -> None:
        with self._lock:
            listeners = [ref() for ref in self._listeners.values()]
        for listener in listeners:
            if listener is not None:
                listener(exc)


_routes: weakref.WeakKeyDictionary[Any, FailureRoute] | None = None
_routes_lock = threading.Lock()


def failure_route(client: object) -> FailureRoute | None:
    """The route of *client*'s failures to its runners, registered on first use; None when
    the client has no ``add_failure_listener``."""
    global _routes
    add_listener = getattr(client, "add_failure_listener", None)
    if not callable(add_listener):
        return None
    with _routes_lock:
        if _routes is None:
            import weakref

            _routes = weakref.WeakKeyDictionary()
        try:
            route = _routes.get(client)
        except TypeError:  # not weakly referenceable or not hashable: one listener per run
            route = None
        else:
            if route is not None:
                return route
        route = FailureRoute()
        add_listener(route)
        with contextlib.suppress(TypeError):
            _routes[client] = route
        return route


class ExitStopper:
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


exit_stopper = ExitStopper()
