"""Many background runs leak no threads or file descriptors; stop() ends a waiting main at once."""

from __future__ import annotations

import asyncio
import gc
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from iotic_app import App, ThingRunner

CYCLES = 1000
FD_DIR = Path("/proc/self/fd")

needs_proc = pytest.mark.skipif(not FD_DIR.is_dir(), reason="counts descriptors in /proc/self/fd")


def _fd_count() -> int:
    gc.collect()
    return len(os.listdir(FD_DIR))


def _sync_app(started: threading.Event, name: str) -> App:
    app = App(config=f"local://{name}")

    @app.main
    def loop(runner: ThingRunner) -> None:
        started.set()
        runner.wait_for_shutdown()

    return app


def _async_app(started: threading.Event, name: str) -> App:
    app = App(config=f"local://{name}")

    @app.main
    async def loop(runner: ThingRunner) -> None:
        started.set()
        await runner.wait_for_shutdown_async()

    return app


def _sleeping_async_app(started: threading.Event, name: str) -> App:
    app = App(config=f"local://{name}")

    @app.main
    async def loop() -> None:
        started.set()
        await asyncio.sleep(3600)  # stop() cancels it

    return app


def _periodic_app(started: threading.Event, name: str) -> App:
    app = App(config=f"local://{name}")

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


@needs_proc
@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", ["sync", "async", "every"])
def test_background_run_stop_cycles_leak_no_threads_or_fds(kind: str) -> None:
    started = threading.Event()
    app = MAINS[kind](started, f"leaks-{kind}")
    _cycle(app, started)  # warm up: lazy imports and process-wide threads come into being here

    threads_before = set(threading.enumerate())
    fds_before = _fd_count()
    for _ in range(CYCLES):
        _cycle(app, started)

    leftover = [t for t in threading.enumerate() if t not in threads_before]
    deadline = time.monotonic() + 5
    for thread in leftover:  # a run's thread may still be returning after stop() said "ended"
        thread.join(max(deadline - time.monotonic(), 0))
    alive = [t.name for t in leftover if t.is_alive()]
    assert alive == [], f"{len(alive)} threads outlived {CYCLES} runs: {alive[:5]}"
    fds_after = _fd_count()
    assert fds_after <= fds_before, f"{fds_after - fds_before} descriptors leaked in {CYCLES} runs"


@pytest.mark.timeout(20)
@pytest.mark.parametrize("kind", list(MAINS))
def test_stop_returns_promptly_for_a_waiting_main(kind: str) -> None:
    started = threading.Event()
    app = MAINS[kind](started, f"stop-{kind}")
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
