"""The client supervision of a runner: renewed, watched for failure, stopped and closed."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from iotic_app._checks import supports_start_stop
from iotic_app._log import describe
from iotic_app._log import runner_logger as _log
from iotic_app._registries import failure_route

if TYPE_CHECKING:
    from iotic_app._config import ConfigLike
    from iotic_app._registries import FailureRoute
    from iotic_app._run_events import RunEvents
    from iotic_app.runner import ClientFactory, SupportsStartStop, ThingRunner


class ClientSupervisor:
    """What a runner does with its client from one run to the next.

    A client that the runner made from its config is closed when each run ends, and replaced at
    the next run when it has failed for good. While a run is going, the client's failure for
    good (reported from one of its threads) ends the attempt, and is kept for the run to raise
    as if main had raised it.
    """

    def __init__(
        self,
        client: SupportsStartStop,
        *,
        made: bool,
        factory: ClientFactory | None,
        name: str,
        events: RunEvents,
    ) -> None:
        self.client = client
        self._made = made  # closed when a run ends: nobody else has it
        self._factory = factory
        self._name = name
        self._events = events
        self._lock = threading.Lock()
        self._in_run = False
        self._failure: BaseException | None = None  # the client failed for good
        self._route: FailureRoute | None = None

    @classmethod
    def given_or_made(
        cls,
        client: SupportsStartStop | None,
        config: ConfigLike,
        factory: ClientFactory | None,
        name: str,
        events: RunEvents,
    ) -> ClientSupervisor:
        """The client given to runner *name*, or else one that *factory* makes from *config*.

        Raises:
            TypeError: *client* has no ``start()``/``stop()``, or there is no *factory*.
            Exception: What *factory* raised (ValueError or TypeError for a bad *config*).
        """
        made = client is None
        if client is None:
            if factory is None:  # pragma: no cover - `import iotic_app` wires the default
                raise TypeError(f"{name} has no client_factory to make a client")
            client = factory(config)
        elif not supports_start_stop(client):
            raise TypeError(
                f"client must be an object with start() and stop() methods, got {client!r}"
            )
        return cls(client, made=made, factory=factory, name=name, events=events)

    @property
    def failed(self) -> bool:
        """Whether the client has failed for good in this run, and the run has not taken it."""
        return self._failure is not None

    def begin(self) -> None:
        """A run is starting: forget a failure of the last one, and take failures again."""
        with self._lock:
            self._failure = None
            self._in_run = True

    def end(self) -> None:
        """The run has ended: a failure from now on is none of its business."""
        with self._lock:
            self._in_run = False

    def watch(self, runner: ThingRunner) -> None:
        """At the start of *runner*'s run: renew the client if needed, then watch it."""
        client: Any = self.client
        factory = self._factory
        if self._made and factory is not None and getattr(client, "failure", None) is not None:
            # the client made for an earlier run failed for good (another process had the
            # session), and stays failed: this run gets a new one, as an App's does
            self.client = factory(client.config)
        self._route = failure_route(self.client)
        if self._route is not None:
            self._route.add(runner, self._failed)

    def unwatch(self, runner: ThingRunner) -> None:
        """At the end of *runner*'s run: stop watching the client."""
        route, self._route = self._route, None
        if route is not None:
            route.discard(runner)

    def in_callback(self) -> bool:
        """Whether the calling thread is running one of the client's callbacks."""
        in_callback = getattr(self.client, "in_callback", None)
        return bool(in_callback()) if callable(in_callback) else False

    def take_failure(self) -> BaseException | None:
        """The client's failure for good, if any; the run handles it from now on."""
        with self._lock:
            exc, self._failure = self._failure, None
        return exc

    def raise_failure(self) -> None:
        """Raise the client's failure for good, if any (see take_failure)."""
        exc = self.take_failure()
        if exc is not None:
            raise exc

    def stop(self, started: bool, *, retrying: bool) -> Exception | None:
        """Stop the client if *started*; return what stop() raised (logged), unless *retrying*."""
        if not started:
            return None
        try:
            self.client.stop()
        except Exception as exc:
            _log().error("client.stop() raised %s", describe(exc), exc_info=exc)
            return None if retrying else exc
        return None

    def close(self) -> None:
        """At the end of a run: close the client if the runner made it (errors are logged)."""
        if not self._made:
            return
        close = getattr(self.client, "close", None)
        if not callable(close):
            return
        try:
            close()
        except Exception as exc:
            _log().error("client.close() raised %s", describe(exc), exc_info=exc)

    def _failed(self, exc: BaseException) -> None:
        """The client failed for good (called from one of its threads): end the attempt so
        that the run goes on as if main had raised *exc*."""
        with self._lock:
            if not self._in_run or self._failure is not None:
                return
            self._failure = exc
        _log().error("%s: the client failed for good: %s", self._name, describe(exc))
        self._events.interrupt()
