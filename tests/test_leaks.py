"""Many background runs leak no threads, sockets or file descriptors, on the embedded space and
on MQTT; stop() ends a waiting main at once; Client.close() releases everything."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from broker import Broker
from conftest_mqtt import MqttSpace

from iotic_app import App, ThingRunner
from iotic_app.client import Client

# 1,000 runs each. On MQTT a run costs ~10-15 ms (a side connection to claim the session, the
# session's connection, "offline", disconnect), so MQTT runs one kind of main (the kinds differ
# in the runner only, which the embedded space covers). IOTIC_APP_LEAK_CYCLES overrides it.
CYCLES = int(os.environ.get("IOTIC_APP_LEAK_CYCLES", "1000"))
FD_DIR = Path("/proc/self/fd")

needs_proc = pytest.mark.skipif(not FD_DIR.is_dir(), reason="counts descriptors in /proc/self/fd")


class LocalSpace:
    """A fresh embedded space per test."""

    def __init__(self) -> None:
        self.name = f"leaks-{uuid.uuid4().hex[:12]}"

    def url(self, agent: str) -> str:
        return f"local://{self.name}?agent={agent}"


SPACES: dict[str, Callable[[], Any]] = {"local": LocalSpace, "mqtt": MqttSpace}


@pytest.fixture(params=sorted(SPACES))
def space(request: pytest.FixtureRequest) -> Any:
    """The embedded space, or a fresh topic root on the session's Mosquitto."""
    return SPACES[request.param]()


def _fd_count() -> int:
    gc.collect()
    return len(os.listdir(FD_DIR))


def _fds() -> list[str]:
    """What each open descriptor is: a file's path, or 'socket:', 'pipe:', ... (inodes left
    out: a restarted broker's stderr is another pipe, not one more)."""
    found = []
    for fd in os.listdir(FD_DIR):
        try:
            target = os.readlink(FD_DIR / fd)
        except OSError:  # the descriptor listdir itself used
            continue
        found.append(target.partition("[")[0] if target.endswith("]") else target)
    return sorted(found)


def _sync_app(started: threading.Event, url: str) -> App:
    app = App(config=url)

    @app.main
    def loop(runner: ThingRunner) -> None:
        started.set()
        runner.wait_for_shutdown()

    return app


def _async_app(started: threading.Event, url: str) -> App:
    app = App(config=url)

    @app.main
    async def loop(runner: ThingRunner) -> None:
        started.set()
        await runner.wait_for_shutdown_async()

    return app


def _sleeping_async_app(started: threading.Event, url: str) -> App:
    app = App(config=url)

    @app.main
    async def loop() -> None:
        started.set()
        await asyncio.sleep(3600)  # stop() cancels it

    return app


def _periodic_app(started: threading.Event, url: str) -> App:
    app = App(config=url)

    @app.every(3600)
    def tick() -> None:
        started.set()

    return app


MAINS: dict[str, Callable[[threading.Event, str], App]] = {
    "sync": _sync_app,
    "async": _async_app,
    "async-sleep": _sleeping_async_app,
    "every": _periodic_app,
}


def _cycle(app: App, started: threading.Event) -> None:
    started.clear()
    app.run(background=True)
    assert started.wait(5), "main did not start"
    assert app.stop(5), "the run did not end"
    assert app.exception is None, app.exception


class Census:
    """Threads and descriptors now; :meth:`check` fails when more are left later."""

    def __init__(self) -> None:
        self.threads = set(threading.enumerate())
        self.fds = _fds()

    def check(self, what: str) -> None:
        leftover = [t for t in threading.enumerate() if t not in self.threads]
        deadline = time.monotonic() + 5
        for thread in leftover:  # a run's thread may still be returning after stop() said "ended"
            thread.join(max(deadline - time.monotonic(), 0))
        alive = [t.name for t in leftover if t.is_alive()]
        assert alive == [], f"{len(alive)} threads outlived {what}: {alive[:5]}"
        gc.collect()
        after = _fds()
        extra = list(after)
        for fd in self.fds:
            if fd in extra:
                extra.remove(fd)
        assert extra == [], f"{len(extra)} descriptors leaked in {what}: {extra[:8]}"


@needs_proc
@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("kind", "space"),
    [("sync", "local"), ("async", "local"), ("every", "local"), ("sync", "mqtt")],
    indirect=["space"],
)
def test_background_run_stop_cycles_leak_no_threads_or_fds(kind: str, space: Any) -> None:
    started = threading.Event()
    app = MAINS[kind](started, space.url(f"leaks-{kind}"))
    _cycle(app, started)  # warm up: lazy imports and process-wide threads come into being here

    census = Census()
    for _ in range(CYCLES):
        _cycle(app, started)
    census.check(f"{CYCLES} runs")


@pytest.mark.timeout(20)
@pytest.mark.parametrize("kind", list(MAINS))
def test_stop_returns_promptly_for_a_waiting_main(kind: str, space: Any) -> None:
    started = threading.Event()
    app = MAINS[kind](started, space.url(f"stop-{kind}"))
    app.run(background=True)
    assert started.wait(5), "main did not start"
    begin = time.monotonic()
    ended = app.stop(5)
    elapsed = time.monotonic() - begin
    assert ended, "the run did not end"
    # Generous: this catches hangs and missed wake-ups; benchmarks/ measures the real latency.
    assert elapsed < 1, f"stop() took {elapsed:.3f} s"
    assert app.exception is None, app.exception
    assert app.status.state == "stopped", app.status


def _use(client: Client, n: int) -> None:
    thing = client.create_thing("t")
    feed = thing.create_feed("f")
    got = threading.Event()
    thing.follow(feed.guid, callback=lambda args: got.set())
    feed.share({"n": n})
    assert got.wait(5), "the follow got nothing"


@needs_proc
@pytest.mark.timeout(60)
def test_close_releases_files_threads_and_sockets_and_start_reopens(space: Any) -> None:
    url = space.url("closer")
    with Client(url) as client:  # warm up
        _use(client, 0)
    census = Census()
    for n in range(20):
        with Client(url) as client:
            _use(client, n)
        assert not client.is_connected()
    census.check("20 clients closed by `with`")

    client = Client(url)
    client.start()
    _use(client, 1)
    client.close()
    client.close()  # idempotent
    census.check("close()")
    client.start()  # a closed client starts again: its things are still there
    assert client.list() != {}
    _use(client, 2)
    client.stop()
    client.close()
    client.stop()
    census.check("stop(), close(), stop()")


@pytest.fixture
def stopped_broker(own_broker: Broker) -> Iterator[Broker]:
    """*own_broker*, resumed at the end if the test left it SIGSTOPped."""
    yield own_broker
    process = own_broker.process
    if process is not None and process.poll() is None:
        process.send_signal(signal.SIGCONT)


def _wait(check: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {check}"
        pause.wait(0.005)


@needs_proc
@pytest.mark.timeout(60)
def test_stop_during_reconnect_returns_promptly_and_leaves_no_connection(
    stopped_broker: Broker, tmp_path: Path
) -> None:
    """Start/stop cycles interrupted by broker outages: stop() lands while the client
    reconnects (the broker back but frozen, or coming back), returns at once and leaves no
    thread, socket or file behind."""
    broker = stopped_broker
    url = f"{broker.url}?agent=outage&outbox={tmp_path / 'outbox'}&connect_timeout=5"
    client = Client(url)
    with client:  # warm up
        client.create_thing("t")
    census = Census()
    for n in range(6):
        client.start()
        client.create_thing("t").create_feed("f").share({"n": n})
        broker.kill()
        _wait(lambda: not client.is_connected())
        broker.start()
        assert broker.process is not None
        if n % 2 == 0:
            # frozen: the reconnect's TCP connect succeeds, the broker never answers
            broker.process.send_signal(signal.SIGSTOP)
            attempts = client._transport.reconnects  # type: ignore[attr-defined]
            pause = threading.Event()
            pause.wait(0.2)  # let the supervisor be inside an attempt (any point will do)
            began = time.monotonic()
            client.stop()
            elapsed = time.monotonic() - began
            broker.process.send_signal(signal.SIGCONT)
            assert client._transport.reconnects == attempts  # type: ignore[attr-defined]
        else:
            # coming back: stop() at once, while the supervisor connects and brings it up
            began = time.monotonic()
            client.stop()
            elapsed = time.monotonic() - began
        assert elapsed < 1, f"stop() during a reconnect took {elapsed:.2f} s"
        assert not client.is_connected()
    client.close()
    census.check("6 start/stop cycles with outages")


@needs_proc
@pytest.mark.timeout(120)
@pytest.mark.parametrize("space", ["local", "mqtt"], indirect=True)
def test_classic_client_and_runner_cycles_leak_no_threads_or_fds(space: Any) -> None:
    """The compat IOT.Client (with a thing, a follow and a catch-all) and the compat
    ThingRunner, started and stopped again and again, leave no threads or descriptors."""
    from iotic_app.ioticagent.IOT import Client as ClassicClient
    from iotic_app.ioticagent.ThingRunner import ThingRunner as ClassicRunner

    url = space.url("leaks-classic")

    class Runner(ClassicRunner):
        def main(self) -> None:
            self.client.create_thing("r").create_feed("f").share({"n": 1})

    def cycle() -> None:
        with ClassicClient(url) as client:
            client.register_catchall_feeddata(lambda args: None)
            thing = client.create_thing("t")
            feed = thing.create_feed("f")
            thing.follow(feed.guid)
            feed.share({"n": 1})
        Runner(config=url).run()

    cycle()  # warm up
    cycles = min(CYCLES, 100)  # two connections a cycle on MQTT
    census = Census()
    for _ in range(cycles):
        cycle()
    census.check(f"{cycles} classic cycles")
