"""RunningApp: an app running on a PrivateSpace, seen and driven through an observer thing."""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from iotic_app._config import ConfigLike
from iotic_app.app import App
from iotic_app.client import Client, Feed, RemoteControl, RemoteFeed
from iotic_app.exceptions import IOTUnknown, LinkException
from iotic_app.transports import TellResult

if TYPE_CHECKING:
    from iotic_app.testing import PrivateSpace


#: The thing through which a RunningApp follows the app's own feeds (in the app's agent).
OBSERVER_LID = "iotic-app-testing-observer"

# What to call after the start-up of each app in a ``with`` block (its RunningApp's
# ``_started_up``); read by the start-up hook below.
_ACTIVE: weakref.WeakKeyDictionary[App, Callable[[Client], None]] = weakref.WeakKeyDictionary()


def _iotic_app_testing_started(app: App, client: Client) -> None:
    """Start-up handler registered on apps run by ``PrivateSpace.run``; idle outside of it."""
    started_up = _ACTIVE.get(app)
    if started_up is not None:
        started_up(client)


class RunningApp:
    """An app running on a ``PrivateSpace``: share into its follows, tell or ask its controls,
    read what it shared.

    Made by ``PrivateSpace.run`` or ``run_app``; use it only inside their ``with`` block. To
    see the app's shares, and to reach its controls, it follows and attaches through one more
    thing of the app's agent, ``iotic-app-testing-observer``, which therefore shows in
    ``client.list()``.
    """

    def __init__(self, space: PrivateSpace, app: App, agent: str, timeout: float) -> None:
        """Remember what to run; ``__enter__`` runs it."""
        self.space = space
        self.app = app
        self.agent = agent
        self.timeout = timeout
        self._config: ConfigLike = None
        self._started = threading.Event()
        self._startup_error: BaseException | None = None
        self._observer: Client | None = None
        self._lock = threading.Condition()
        self._shared: dict[tuple[str, str], list[Any]] = {}
        self._follows: dict[tuple[str, str], RemoteFeed] = {}
        self._controls: dict[tuple[str, str], RemoteControl] = {}
        self._tick = threading.Event()  # never set: the pause between checks in _wait_until

    # -- what the test uses ---------------------------------------------------------------------

    @property
    def client(self) -> Client:
        """The app's client in the current run (a ``Client`` on the private space)."""
        runner = self.app.runner
        if runner is None:  # pragma: no cover - the with block always has a run
            raise RuntimeError("the app has not run")
        client: Client = runner.client  # made by the default client_factory: a Client
        return client

    def follows(self) -> list[str]:
        """Return the guids of the feeds the app's things follow, sorted."""
        client = self.client
        guids = set()
        for lid in client.list():
            if lid == OBSERVER_LID:
                continue
            for connection in client.get_thing(lid).list_connections().values():
                if connection["type"] == "Feed":
                    guids.add(connection["guid"])
        return sorted(guids)

    def share_into(
        self,
        data: Any,
        *,
        feed: Feed | None = None,
        mime: str | None = None,
        timeout: float | None = None,
    ) -> None:
        """Share *data* on a peer feed that the app follows, once the app follows it.

        Args:
            data: What to share (dict, str, bytes with a *mime*, or a template).
            feed: One of the peer's feeds (``space.feed(...)``); by default the one peer feed
                the app follows.
            mime: The data's mime type.
            timeout: Seconds to wait for the app to follow *feed* (default: the run's timeout).

        Raises:
            ValueError: *feed* is None and the app follows no peer feed, or several.
            TimeoutError: The app did not follow *feed* in time.
        """
        timeout = self.timeout if timeout is None else timeout
        if feed is None:
            feed = self._only_peer_feed()
        elif not isinstance(feed, Feed):
            raise TypeError(f"feed must be a Feed made by space.feed(...), got {feed!r}")
        guid = feed.guid
        if not self._wait_until(lambda: guid in self.follows(), timeout):
            raise TimeoutError(
                f"the app did not follow feed {guid!r} within {timeout} s; it follows "
                f"{self.follows()!r} (status: {self.app.status})"
            )
        feed.share(data, mime=mime)

    def shared(self, lid: str, pid: str) -> list[Any]:
        """Return the data the app has shared on its feed *pid* of thing *lid*, oldest first.

        Feeds that exist when start-up ends are watched from then on, with the value shared
        during start-up (the last one) first. A feed made later is watched from the first call
        naming it, starting with its last value.

        Raises:
            IOTUnknown: The app has no such feed.
        """
        self._observe(lid, pid)
        with self._lock:
            return list(self._shared[(lid, pid)])

    def wait_shared(
        self, lid: str, pid: str, count: int = 1, timeout: float | None = None
    ) -> list[Any]:
        """Wait until the app has shared at least *count* values on *lid*/*pid*; return them all.

        Args:
            lid: The app's thing.
            pid: Its feed.
            count: How many values to wait for.
            timeout: Seconds to wait (default: the run's timeout).

        Returns:
            ``shared(lid, pid)`` once it holds *count* values.

        Raises:
            TimeoutError: Fewer values arrived in time (the message lists them).
            IOTUnknown: The app did not create the feed in time.
            BaseException: The app failed while waiting.
        """
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        if not self._wait_until(lambda: self._has_point(lid, pid, "feed"), timeout):
            raise IOTUnknown(f"the app has no feed {pid!r} on thing {lid!r} after {timeout} s")
        self._observe(lid, pid)
        key = (lid, pid)
        with self._lock:
            while len(self._shared[key]) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"the app shared {len(self._shared[key])} of {count} values on "
                        f"{lid!r}/{pid!r} within {timeout} s: {self._shared[key]!r}"
                    )
                self._raise_if_failed()
                self._lock.wait(min(remaining, 0.05))
            return list(self._shared[key])

    def tell(
        self,
        lid: str,
        pid: str,
        data: Any,
        *,
        mime: str | None = None,
        timeout: float | None = None,
    ) -> TellResult:
        """Tell the app's control *pid* of thing *lid*, and return its answer.

        The request comes from the app's own agent (through the observer thing), so the
        control's thing need not be public.

        Args:
            lid: The app's thing.
            pid: Its control.
            data: The request's data (dict, str, bytes with a *mime*, or a template).
            mime: The data's mime type.
            timeout: Seconds to wait for the control to exist and then for its answer
                (default: the run's timeout).

        Returns:
            True when the app confirmed success; ``'failed'`` when it confirmed failure (or its
            callback raised); ``'timeout'`` when it did not confirm in time.

        Raises:
            IOTUnknown: The app did not create the control in time.
        """
        timeout = self.timeout if timeout is None else timeout
        return self._control(lid, pid, timeout).tell(data, timeout=timeout, mime=mime)

    def ask(
        self,
        lid: str,
        pid: str,
        data: Any,
        *,
        mime: str | None = None,
        timeout: float | None = None,
    ) -> None:
        """Ask the app's control *pid* of thing *lid*: send a request that needs no answer.

        Args and raises as for :meth:`tell`; *timeout* is how long to wait for the control.
        """
        timeout = self.timeout if timeout is None else timeout
        self._control(lid, pid, timeout).ask(data, mime=mime)

    # -- running ----------------------------------------------------------------------------------

    def __enter__(self) -> RunningApp:
        """Point the app at the space, run it, and wait for its start-up to finish."""
        app = self.app
        if app in _ACTIVE:
            raise RuntimeError(f"{app!r} is already running in a PrivateSpace")
        self._config = app.config
        app.config = self.space.config(self.agent)
        observer = Client(self.space.config(self.agent))
        observer.start()
        self._observer = observer
        _ACTIVE[app] = self._started_up
        app.register_startup(_iotic_app_testing_started)
        try:
            app.run(background=True)
        except BaseException:
            self._close(stop=False)  # e.g. already running elsewhere: not ours to stop
            raise
        try:
            if not self._wait_until(self._started.is_set, self.timeout):
                raise TimeoutError(
                    f"the app did not finish start-up within {self.timeout} s "
                    f"(status: {app.status})"
                )
            if self._startup_error is not None:
                raise self._startup_error
        except BaseException:
            self._close(stop=True)
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the app and put its config back; raise what it failed with, if anything."""
        stopped = self._close(stop=True)
        if exc is not None:
            return
        if not stopped:
            raise TimeoutError(
                f"the app did not stop within {self.timeout} s (status: {self.app.status})"
            )
        failure = self.app.exception
        if failure is not None:
            raise failure

    def _close(self, *, stop: bool) -> bool:
        stopped = self.app.stop(self.timeout) if stop else True
        _ACTIVE.pop(self.app, None)
        self.app.config = self._config
        observer, self._observer = self._observer, None
        if observer is not None:
            observer.stop()
        with self._lock:
            self._lock.notify_all()
        return stopped

    def _started_up(self, client: Client) -> None:
        """In the app's run thread, after its start-up handlers: watch every feed it has."""
        try:
            for lid, pid in _feeds_of(client).values():
                self._observe(lid, pid)
        except BaseException as exc:  # reported by __enter__, never a failure of the app
            self._startup_error = exc
        finally:
            self._started.set()

    def _observe(self, lid: str, pid: str) -> None:
        key = (lid, pid)
        with self._lock:
            if key in self._follows:
                return
            observer = self._observer
            if observer is None:
                raise RuntimeError("RunningApp is only usable inside its with block")
            records: list[Any] = []

            def record(args: dict[str, Any]) -> None:
                with self._lock:
                    records.append(args["data"])
                    self._lock.notify_all()

            thing = observer.create_thing(OBSERVER_LID)
            remote = thing.follow((lid, pid), callback=record)
            last = remote.get_last()
            if last is not None:
                records.append(last["data"])
            self._shared[key] = records
            self._follows[key] = remote

    def _control(self, lid: str, pid: str, timeout: float) -> RemoteControl:
        """The observer thing's attachment to the app's control *lid*/*pid* (made once)."""
        key = (lid, pid)
        with self._lock:
            remote = self._controls.get(key)
        if remote is not None:
            return remote
        if not self._wait_until(lambda: self._has_point(lid, pid, "control"), timeout):
            raise IOTUnknown(f"the app has no control {pid!r} on thing {lid!r} after {timeout} s")
        observer = self._observer
        if observer is None:
            raise RuntimeError("RunningApp is only usable inside its with block")
        remote = observer.create_thing(OBSERVER_LID).attach((lid, pid))
        with self._lock:
            return self._controls.setdefault(key, remote)

    def _has_point(self, lid: str, pid: str, kind: Literal["feed", "control"]) -> bool:
        """Whether the app's thing *lid* exists and has a feed (or control) *pid*."""
        try:
            thing = self.client.get_thing(lid)
            if kind == "feed":
                thing.get_feed(pid)
            else:
                thing.get_control(pid)
        except IOTUnknown:
            return False
        return True

    def _only_peer_feed(self) -> Feed:
        peer = self.space.peer
        mine = _feeds_of(peer)
        followed: list[str] = []

        def found() -> bool:
            followed[:] = [guid for guid in self.follows() if guid in mine]
            return bool(followed)

        self._wait_until(found, self.timeout)
        if len(followed) != 1:
            raise ValueError(
                f"feed=None needs the app to follow exactly one of the peer's feeds, but it "
                f"follows {len(followed)} of them ({followed!r}); pass feed=space.feed(...)"
            )
        lid, pid = mine[followed[0]]
        return peer.get_thing(lid).get_feed(pid)

    def _raise_if_failed(self) -> None:
        runner = self.app.runner
        if runner is not None and not runner.is_running() and runner.exception is not None:
            raise runner.exception

    def _wait_until(self, condition: Callable[[], bool], timeout: float) -> bool:
        """Check *condition* until it holds, the app ends, or *timeout* passes.

        The app has no event for "start-up finished" or "now follows X", so this checks every
        few milliseconds; a failure of the app is raised at once.
        """
        deadline = time.monotonic() + timeout
        while True:
            self._raise_if_failed()
            if _holds(condition):
                return True
            runner = self.app.runner
            if runner is not None and not runner.is_running():
                return _holds(condition)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self._tick.wait(min(remaining, 0.005))


def _holds(condition: Callable[[], bool]) -> bool:
    """Whether *condition* holds; False while the app's client is down (between attempts)."""
    try:
        return condition()
    except LinkException:
        return False


def _feeds_of(client: Client) -> dict[str, tuple[str, str]]:
    """The feeds of *client*'s agent (but the observer's): ``{guid: (thing lid, pid)}``."""
    feeds: dict[str, tuple[str, str]] = {}
    for lid, info in client.list().items():
        if lid == OBSERVER_LID:
            continue
        described = client.describe(info["guid"]) or {}
        for point in described.get("points", ()):
            if point["type"] == "Feed":
                feeds[point["guid"]] = (lid, point["pid"])
    return feeds
