"""Test an App in a few lines: run it on a private space, share into it, tell it, read its shares.

Example, for an agent that follows a feed tagged ``numbers`` and shares each number doubled on its
``doubler``/``out`` feed::

    from iotic_app.testing import PrivateSpace

    from myagent import app

    def test_doubles_what_it_follows():
        with PrivateSpace() as space:
            numbers = space.feed("numbers", "n", tags=["numbers"])  # before the app starts
            with space.run(app) as agent:
                agent.share_into({"n": 21})
                assert agent.wait_shared("doubler", "out") == [{"n": 42}]

``run_app(app)`` is the short form when the test needs no feeds of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from types import TracebackType

from iotic_app._running_app import OBSERVER_LID as OBSERVER_LID
from iotic_app._running_app import RunningApp
from iotic_app.app import App
from iotic_app.client import Client, Feed

__all__ = ["PrivateSpace", "RunningApp", "run_app"]

#: The agent name of a PrivateSpace's own client (``space.peer``).
PEER_AGENT = "tester"


class PrivateSpace:
    """A fresh embedded space (``local://iotic-app-test-…``) for the length of a ``with`` block.

    Nothing outside the block shares it, so tests do not see each other's things. ``peer`` is a
    started client of another agent (``tester``) in the space, for the test's own things.

    Example::

        with PrivateSpace() as space:
            sensor = space.feed("sensor", "temp", tags=["temperature"])
            with space.run(app) as agent:
                agent.share_into({"celsius": 21.5}, feed=sensor)

    Args:
        name: The space's name; by default a new unique one.
    """

    def __init__(self, name: str | None = None) -> None:
        """Choose the space's name; nothing starts until the ``with`` block."""
        self.name = name if name is not None else f"iotic-app-test-{uuid.uuid4().hex[:12]}"
        self.url = f"local://{self.name}"
        self._peer: Client | None = None

    def config(self, agent: str) -> str:
        """Return the config URL of agent *agent* in this space.

        Args:
            agent: The agent's name.

        Returns:
            ``local://NAME?agent=AGENT``.
        """
        return f"{self.url}?agent={agent}"

    @property
    def peer(self) -> Client:
        """The test's own client (agent ``tester``), started for the length of the block.

        Raises:
            RuntimeError: Used outside the ``with`` block.
        """
        if self._peer is None:
            raise RuntimeError("PrivateSpace.peer is only available inside its with block")
        return self._peer

    def feed(
        self,
        lid: str,
        pid: str,
        *,
        tags: Iterable[str] = (),
        label: str | None = None,
        public: bool = True,
        save_recent: int = 0,
    ) -> Feed:
        """Create (or return) a feed of the peer's thing *lid*, for the app to find and follow.

        Create it before ``run()`` when the app looks for it during its start-up.

        Args:
            lid: The peer's thing.
            pid: The feed's id.
            tags: Tags for the thing, so that the app's search finds it.
            label: A label for the thing.
            public: Make the thing public (other agents can only follow public feeds).
            save_recent: How many recent samples the feed keeps.

        Returns:
            The feed; ``share()`` on it, or pass it to ``RunningApp.share_into``.
        """
        thing = self.peer.create_thing(lid)
        tags = [tags] if isinstance(tags, str) else list(tags)
        if tags:
            thing.create_tag(tags)
        if label is not None:
            with thing.get_meta() as meta:
                meta.set_label(label)
        if public:
            thing.set_public(True)
        return thing.create_feed(pid, save_recent=save_recent)

    @contextmanager
    def run(self, app: App, *, agent: str = "app", timeout: float = 10.0) -> Iterator[RunningApp]:
        """Run *app* in the background in this space, as agent *agent*, for a ``with`` block.

        The block starts once the app's start-up handlers have finished. On leaving it the app
        is stopped (its shutdown handlers run) and its config is put back; if the app failed
        meanwhile, its exception is raised there. The first run registers one more start-up
        handler on *app*, which does nothing outside these blocks.

        Args:
            app: The app. It must not have a ``client`` of its own (it runs on this space).
            agent: The app's agent name in the space.
            timeout: Seconds to wait for start-up, and for the app to stop.

        Yields:
            The running app.

        Raises:
            ValueError: *app* has a ``client`` of its own.
            TimeoutError: Start-up or stop took longer than *timeout*.
            RuntimeError: *app* is already running.
            BaseException: What the app failed with.
        """
        if app.client is not None:
            raise ValueError(
                f"app.client must be None to run the app on a private space, got {app.client!r}"
            )
        running = RunningApp(self, app, agent, timeout)
        with running:
            yield running

    def __enter__(self) -> PrivateSpace:
        """Start the peer client."""
        peer = Client(self.config(PEER_AGENT))
        peer.start()
        self._peer = peer
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the peer client."""
        peer, self._peer = self._peer, None
        if peer is not None:
            peer.stop()


@contextmanager
def run_app(app: App, *, agent: str = "app", timeout: float = 10.0) -> Iterator[RunningApp]:
    """Run *app* on a fresh ``PrivateSpace`` for the length of a ``with`` block.

    Example::

        def test_shares_a_reading():
            with run_app(app) as agent:
                assert agent.wait_shared("sensor", "temp") == [{"celsius": 21.5}]

    Args:
        app: The app (without a ``client`` of its own).
        agent: The app's agent name.
        timeout: Seconds to wait for start-up, and for the app to stop.

    Yields:
        The running app; ``running.space.peer`` is the test's own client.
    """
    with PrivateSpace() as space, space.run(app, agent=agent, timeout=timeout) as running:
        yield running
