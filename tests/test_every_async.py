"""Periodic functions (@app.every) and async handlers."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from iotic_app import App, RunContext, ThingRunner
from iotic_app.runner import ExcInfo
from tests.conftest import RecordingClient


@pytest.fixture
def app(client: RecordingClient) -> App:
    return App(client=client, retry_timeout=0)


# -- every ------------------------------------------------------------------------------------


def test_every_runs_on_a_drift_free_schedule_without_a_main(app: App) -> None:
    times: list[float] = []
    enough = threading.Event()

    @app.every(0.05)
    def tick() -> None:
        times.append(time.monotonic())
        time.sleep(0.02)  # work that takes time must not push the schedule back
        if len(times) == 6:
            enough.set()

    app.run(background=True)
    assert enough.wait(5)
    assert app.stop(5)
    offsets = [t - times[0] for t in times[:6]]
    for i, offset in enumerate(offsets):
        assert offset >= i * 0.05 - 0.001  # never before its slot
    # Had each wait started after the work, the sixth call would be 5 * 0.02 s = 0.1 s late.
    assert offsets[5] < 5 * 0.05 + 0.05


def test_an_overrun_skips_missed_ticks_instead_of_bursting(app: App) -> None:
    calls: list[float] = []
    done = threading.Event()

    @app.every(0.01)
    def slow() -> None:
        calls.append(time.monotonic())
        if len(calls) == 1:
            time.sleep(0.055)  # misses the ticks at 0.01 ... 0.05
        if len(calls) == 3:
            done.set()

    app.run(background=True)
    assert done.wait(5)
    assert app.stop(5)
    assert calls[1] - calls[0] >= 0.055  # the next call waits for the overrun to end
    # and the one after keeps to the slots (0.07 s), instead of catching up in a burst
    assert calls[2] - calls[0] >= 0.07 - 0.001


def test_several_periodic_functions_beside_a_main(app: App, log: list[str]) -> None:
    seen = {"fast": threading.Event(), "slow": threading.Event()}

    @app.every(0.01)
    def fast(client: RecordingClient) -> None:
        assert client.started
        seen["fast"].set()

    @app.every(0.02)
    async def slow() -> None:
        await asyncio.sleep(0)
        seen["slow"].set()

    @app.main
    def loop(runner: ThingRunner) -> None:
        assert seen["fast"].wait(5) and seen["slow"].wait(5)
        log.append("main saw both")

    app.run()
    assert "main saw both" in log


def test_a_failing_periodic_function_is_a_failure_of_main(app: App, log: list[str]) -> None:
    failures = [OSError("sensor glitch")]

    @app.every(0.01)
    def read() -> None:
        if failures:
            raise failures.pop()
        log.append("read ok")
        app.stop(0)

    @app.on_exception(RunContext.MAIN)
    def retry(exc_info: ExcInfo) -> bool:
        log.append(f"on_exception {exc_info[1]}")
        return True

    app.run()
    lines = [line for line in log if not line.startswith("client")]
    assert lines[:2] == ["on_exception sensor glitch", "read ok"]


def test_a_periodic_failure_ends_a_running_main(app: App, log: list[str]) -> None:
    @app.every(0.01)
    def read() -> None:
        raise ValueError("broken sensor")

    @app.main
    def loop(runner: ThingRunner) -> None:
        runner.wait_for_shutdown(30)
        log.append("main woke")

    with pytest.raises(ValueError, match="broken sensor"):
        app.run()
    assert "main woke" in log
    assert not app.shutdown_requested or app.exception is not None


@pytest.mark.parametrize(
    ("seconds", "error"),
    [
        (0, ValueError),
        (-1, ValueError),
        (float("nan"), ValueError),
        (float("inf"), ValueError),
        ("1", TypeError),
        (None, TypeError),
        (True, TypeError),
    ],
)
def test_every_needs_a_positive_interval(app: App, seconds: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match=r"app.every\(seconds\) needs a positive") as info:
        app.every(seconds)
    assert type(info.value) is error
    with pytest.raises(error, match=r"seconds"):
        app.register_every(lambda: None, seconds)


def test_every_rejects_parameters_it_cannot_supply(app: App) -> None:
    with pytest.raises(TypeError, match=r"every handler .* has a parameter 'exc_info'"):

        @app.every(1)
        def tick(exc_info: Any) -> None: ...


def test_every_returns_the_function_and_a_cell_run_again_replaces_it(app: App) -> None:
    def tick() -> None: ...

    assert app.every(1)(tick) is tick
    for seconds in (2, 3):  # the cell run again: new code, the same qualified name
        cell = {"__name__": "__main__", "app": app, "seconds": seconds}
        exec("@app.every(seconds)\ndef tick():\n    pass\n", cell)
    assert [seconds for _, seconds in app._every] == [1.0, 3.0]


def test_every_functions_made_by_one_factory_all_register(app: App) -> None:
    def make() -> Any:
        def tick() -> None: ...

        return tick

    app.register_every(make(), 1)
    app.register_every(make(), 2)
    assert [seconds for _, seconds in app._every] == [1.0, 2.0]


# -- async ------------------------------------------------------------------------------------


def test_async_handlers_run_on_the_runners_own_loop(app: App, log: list[str]) -> None:
    loops: set[int] = set()
    caller_thread = threading.get_ident()

    async def note(what: str) -> None:
        loops.add(id(asyncio.get_running_loop()))
        assert threading.get_ident() != caller_thread
        log.append(what)

    @app.startup
    async def setup() -> None:
        await note("startup")

    @app.main
    async def loop(runner: ThingRunner) -> None:
        await note("main")
        raise OSError("once")

    @app.on_exception
    async def decide(exc_info: ExcInfo) -> bool:
        await note("on_exception")
        return False

    @app.shutdown
    async def bye(exc_info: ExcInfo | None) -> bool:
        await note(f"shutdown {exc_info and exc_info[0].__name__}")
        return True

    app.run(background=True)
    assert app.runner is not None and app.runner.stop(5)
    assert [line for line in log if not line.startswith("client")] == [
        "startup",
        "main",
        "on_exception",
        "shutdown OSError",
    ]
    assert len(loops) == 1
    assert app.exception is None


def test_async_subclass_methods_are_awaited(client: RecordingClient) -> None:
    class Async(ThingRunner):
        async def on_startup(self) -> None:
            client.log.append("on_startup")

        async def main(self) -> None:
            while not await self.wait_for_shutdown_async(0.001):
                client.log.append("tick")
                self.stop(0)

        async def on_shutdown(self, exc_info: ExcInfo | None) -> None:
            client.log.append("on_shutdown")

    Async(client=client).run()
    assert client.log == ["client.start", "on_startup", "tick", "on_shutdown", "client.stop"]


def test_wait_for_shutdown_async_times_out_without_blocking_the_loop(app: App) -> None:
    results: list[Any] = []

    @app.main
    async def loop(runner: ThingRunner) -> None:
        other = asyncio.ensure_future(asyncio.sleep(0, result="loop not blocked"))
        results.append(await runner.wait_for_shutdown_async(0.01))
        results.append(await other)

    app.run()
    assert results == [False, "loop not blocked"]


@pytest.mark.parametrize("waits_on_runner", [True, False])
def test_stop_ends_a_waiting_async_main_at_once(app: App, waits_on_runner: bool) -> None:
    in_main = threading.Event()
    ended: list[str] = []

    @app.main
    async def loop(runner: ThingRunner) -> None:
        in_main.set()
        try:
            if waits_on_runner:
                assert await runner.wait_for_shutdown_async() is True
            else:
                await asyncio.sleep(60)
            ended.append("returned")
        except asyncio.CancelledError:
            ended.append("cancelled")
            raise

    app.register_shutdown(lambda exc_info: ended.append(f"shutdown {exc_info}"))
    app.run(background=True)
    assert in_main.wait(5)
    started = time.monotonic()
    assert app.stop(5)
    assert time.monotonic() - started < 1
    expected = "returned" if waits_on_runner else "cancelled"
    assert ended == [expected, "shutdown None"]
    assert app.exception is None


def test_async_handlers_in_a_thread_that_runs_a_loop_use_a_loop_of_their_own(
    app: App, log: list[str]
) -> None:
    """A foreground run from inside a running loop (a notebook cell) does not disturb it."""

    @app.main
    async def loop() -> None:
        log.append("async main ran")

    async def notebook_cell() -> None:
        app.run()

    asyncio.run(notebook_cell())
    assert "async main ran" in log


def test_a_cancelled_async_main_leaves_nothing_for_the_next_run(client: RecordingClient) -> None:
    """Per-run state: the flag that a stop() cancelled the async main must not make the next
    run take a SystemExit (here from its start-up) for that cancellation and swallow it."""
    in_main = threading.Event()
    runs: list[int] = []

    class Runner(ThingRunner):
        def on_startup(self) -> None:
            runs.append(len(runs) + 1)
            if len(runs) == 2:
                raise SystemExit(3)

        async def main(self) -> None:
            in_main.set()
            await asyncio.sleep(30)  # not waiting on the runner: stop() cancels it

    runner = Runner(client=client, retry_timeout=0)
    runner.run(background=True)
    assert in_main.wait(5)
    assert runner.stop(5) is True
    assert runner.exception is None
    with pytest.raises(SystemExit):
        runner.run()
    assert runs == [1, 2]
