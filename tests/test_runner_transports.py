"""The runner on both transports: ``stop()`` from every thread a run owns returns at once and the
run ends; a client the runner made is closed when a run ends, and opens again for the next.

The threads: the run's own (main, start-up, shutdown, ``every`` without a main), an ``every`` job
beside a main, the event loop thread of async handlers (when the run's thread already runs a
loop), and the client's callback worker (a feed or a control callback).
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from conftest_mqtt import StockMqttSpace

from iotic_app import App
from iotic_app.client import Client

pytestmark = pytest.mark.timeout(60)

#: How long stop() may take to return when called from a thread of the run.
PROMPT = 1.0

#: How long the run may take to end after that (MQTT: a disconnect, an outbox to close).
ENDS_WITHIN = 5.0


class LocalSpace:
    def __init__(self) -> None:
        self.name = f"stop-{uuid.uuid4().hex[:12]}"

    def url(self, agent: str) -> str:
        return f"local://{self.name}?agent={agent}"


@pytest.fixture(params=["local", "mqtt"])
def space(request: pytest.FixtureRequest) -> Any:
    """An embedded space, or a fresh topic root and outbox on a Mosquitto with stock settings."""
    return LocalSpace() if request.param == "local" else StockMqttSpace()


class StopProbe:
    """Calls ``runner.stop()`` where a handler says, and times how long it took to return."""

    def __init__(self) -> None:
        self.returned = threading.Event()
        self.took: float | None = None
        self.result: bool | None = None
        self.thread: threading.Thread | None = None
        self.calls = 0

    def __call__(self, runner: Any) -> None:
        self.calls += 1
        if self.calls > 1:
            return
        self.thread = threading.current_thread()
        started = time.monotonic()
        self.result = runner.stop()  # no timeout: the call that deadlocked
        self.took = time.monotonic() - started
        self.returned.set()

    def check(self) -> None:
        assert self.returned.wait(ENDS_WITHIN), "stop() did not return"
        assert self.took is not None and self.took < PROMPT, f"stop() took {self.took:.2f} s"


def _agent_with_points(probe: StopProbe, where: str, app: App) -> dict[str, Any]:
    """Start-up: a thing with a feed the agent follows itself, and a control."""
    points: dict[str, Any] = {}

    @app.startup
    def make_points(runner: Any, client: Any) -> None:
        thing = client.create_thing("stopper")
        thing.set_public()
        feed = thing.create_feed("ticks")
        control = thing.create_control(
            "halt", callback=lambda args: probe(runner) if where == "control" else None
        )
        thing.follow(feed.guid, callback=lambda data: probe(runner) if where == "feed" else None)
        points["feed"] = feed
        points["control"] = control.guid

    return points


@pytest.fixture
def peer(space: Any) -> Iterator[Callable[[], Client]]:
    made: list[Client] = []

    def make() -> Client:
        client = Client(space.url(f"peer-{uuid.uuid4().hex[:6]}"))
        client.start()
        made.append(client)
        return client

    yield make
    for client in made:
        client.stop()


WHERE = ["main", "startup", "shutdown", "every-beside-main", "every-alone", "async-main"]


@pytest.mark.parametrize("where", WHERE)
def test_stop_from_a_thread_of_the_run_returns_at_once_and_the_run_ends(
    space: Any, where: str
) -> None:
    app = App(config=space.url("stopper"), name=f"stop-{where}")
    probe = StopProbe()
    if where == "startup":
        app.startup(probe)
    if where == "shutdown":
        app.shutdown(probe)
    if where == "every-beside-main" or where == "every-alone":
        app.every(0.01)(probe)
    if where in ("main", "every-beside-main", "startup", "shutdown"):

        @app.main
        def main(runner: Any) -> None:
            if where == "main":
                probe(runner)
            runner.wait_for_shutdown(ENDS_WITHIN if where != "shutdown" else 0)

    if where == "async-main":

        @app.main
        async def amain(runner: Any) -> None:
            probe(runner)
            await runner.wait_for_shutdown_async(ENDS_WITHIN)

    app.run(background=True)
    probe.check()
    assert app.stop(ENDS_WITHIN), f"the run did not end after stop() from {where}"
    assert app.exception is None
    assert probe.result is False or where == "shutdown"


@pytest.mark.parametrize("where", ["feed", "control"])
def test_stop_from_a_callback_returns_at_once_and_the_run_ends(
    space: Any, peer: Callable[[], Client], where: str
) -> None:
    app = App(config=space.url("stopper"), name=f"stop-{where}")
    probe = StopProbe()
    points = _agent_with_points(probe, where, app)
    ready = threading.Event()

    @app.main
    def main(runner: Any) -> None:
        ready.set()
        if where == "feed":
            points["feed"].share({"tick": 1})
        runner.wait_for_shutdown(ENDS_WITHIN * 2)

    app.run(background=True)
    assert ready.wait(ENDS_WITHIN)
    if where == "control":
        peer().create_thing("asker").attach(points["control"]).ask({"halt": True})
    probe.check()
    assert probe.thread is not threading.current_thread()
    ended = time.monotonic()
    assert app.stop(ENDS_WITHIN), f"the run did not end after stop() from a {where} callback"
    assert time.monotonic() - ended < ENDS_WITHIN
    assert app.exception is None


def test_stop_from_an_async_main_on_the_loop_thread_returns_at_once(space: Any) -> None:
    """A run whose thread already runs an event loop (a notebook's) runs async main on a loop
    thread of its own: stop() from there must not wait for the run, which waits for main."""
    app = App(config=space.url("stopper"), name="stop-loop-thread")
    probe = StopProbe()

    @app.main
    async def amain(runner: Any) -> None:
        probe(runner)
        await runner.wait_for_shutdown_async(ENDS_WITHIN)

    async def notebook() -> None:
        app.run()  # blocks this loop, as a notebook cell does

    host = threading.Thread(target=asyncio.run, args=(notebook(),), daemon=True)
    host.start()
    probe.check()
    assert probe.thread is not host
    host.join(ENDS_WITHIN)
    assert not host.is_alive(), "the run did not end"
    assert app.exception is None


def test_a_client_the_runner_made_is_closed_at_the_end_and_reopens_for_the_next_run(
    space: Any,
) -> None:
    """Defect 4 with close(): a runner that ended can run again on the client it made."""
    app = App(config=space.url("rerun"), name="rerun")
    shared: list[int] = []

    @app.main
    def main(client: Any) -> None:
        thing = client.create_thing("rerun")
        thing.create_feed("n").share({"run": len(shared)})
        shared.append(len(shared))

    runner = app.runner_class(config=space.url("rerun"), retry_timeout=0)
    closes: list[bool] = []
    close = runner.client.close
    runner.client.close = lambda: (closes.append(True), close())[-1]  # type: ignore[method-assign]
    for _ in range(3):
        runner.run()
        assert runner.exception is None
    assert shared == [0, 1, 2]
    assert closes == [True, True, True]
    assert not runner.client.is_connected()
