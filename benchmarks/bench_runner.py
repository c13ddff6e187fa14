"""Runner benchmarks: App overhead against a hand-written ThingRunner, start and stop latency.

Run from the repository root::

    python benchmarks/bench_runner.py            # about 10 s
    python benchmarks/bench_runner.py --quick    # fewer samples, for a smoke test

Everything runs on the embedded space (``local://``), in one process, so the numbers compare like
with like. Prints a Markdown table; the exit status is 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from iotic_app import App, ThingRunner
from iotic_app.client import AgentConfig

#: Shares per run in the overhead comparison: the "agent work" both runners do.
SHARES = 200


# -- framework overhead: the same agent written both ways -------------------------------------


class HandWritten(ThingRunner):
    """The agent as a classic ThingRunner subclass."""

    def on_startup(self) -> None:
        self.feed = self.client.create_thing("bench").create_feed("counter")

    def main(self) -> None:
        feed = self.feed
        for i in range(SHARES):
            if self.shutdown_requested:
                break
            feed.share({"i": i})

    def on_shutdown(self, exc_info: Any) -> None:
        self.feed = None


def _app_agent() -> App:
    """The same agent as an App."""
    app = App(config="local://bench-overhead-app")
    state: dict[str, Any] = {}

    @app.startup
    def setup(client: Any) -> None:
        state["feed"] = client.create_thing("bench").create_feed("counter")

    @app.main
    def loop(runner: ThingRunner) -> None:
        feed = state["feed"]
        for i in range(SHARES):
            if runner.shutdown_requested:
                break
            feed.share({"i": i})

    @app.shutdown
    def bye() -> None:
        state.pop("feed", None)

    return app


def _empty_app() -> App:
    app = App(config="local://bench-overhead-empty-app")

    @app.main
    def loop() -> None:
        pass

    return app


def _timed(run: Callable[[], object]) -> float:
    begin = time.perf_counter()
    run()
    return time.perf_counter() - begin


def overhead(rounds: int) -> dict[str, float]:
    """Median seconds per foreground run, App and hand-written, interleaved to share any drift."""
    app = _app_agent()
    empty = _empty_app()

    # The App parses its config once and hands the parsed config to each run; the hand-written
    # runners get theirs parsed too, so that only the framework's own work is compared.
    hand_config = AgentConfig.parse("local://bench-overhead-hand")
    bare_config = AgentConfig.parse("local://bench-overhead-bare")

    def hand() -> None:
        HandWritten(config=hand_config).run()

    def bare() -> None:
        ThingRunner(config=bare_config).run()

    for run in (app.run, hand, empty.run, bare):  # warm up
        for _ in range(20):
            run()
    times: dict[str, list[float]] = {"app": [], "hand": [], "empty_app": [], "bare": []}
    for _ in range(rounds):
        times["app"].append(_timed(app.run))
        times["hand"].append(_timed(hand))
        times["empty_app"].append(_timed(empty.run))
        times["bare"].append(_timed(bare))
    return {name: statistics.median(samples) for name, samples in times.items()}


# -- start and stop latency -------------------------------------------------------------------


def _latency_app(kind: str, first_line: list[float], started: threading.Event) -> App:
    app = App(config=f"local://bench-latency-{kind}")
    if kind == "sync":

        @app.main
        def wait(runner: ThingRunner) -> None:
            first_line.append(time.perf_counter())
            started.set()
            runner.wait_for_shutdown()

    else:

        @app.main
        async def wait_async(runner: ThingRunner) -> None:
            first_line.append(time.perf_counter())
            started.set()
            await runner.wait_for_shutdown_async()

    return app


def latency(kind: str, samples: int) -> tuple[list[float], list[float]]:
    """Seconds from ``run(background=True)`` to main's first line, and for ``stop()`` to return."""
    first_line: list[float] = []
    started = threading.Event()
    app = _latency_app(kind, first_line, started)
    starts: list[float] = []
    stops: list[float] = []
    for i in range(samples + 20):
        first_line.clear()
        started.clear()
        begin = time.perf_counter()
        app.run(background=True)
        if not started.wait(5):
            raise RuntimeError(f"{kind} main did not start: {app.status}")
        stop_begin = time.perf_counter()
        if not app.stop(5):
            raise RuntimeError(f"{kind} run did not stop: {app.status}")
        stop_end = time.perf_counter()
        if i >= 20:  # the first runs warm up imports and caches
            starts.append(first_line[0] - begin)
            stops.append(stop_end - stop_begin)
    return starts, stops


def percentile(samples: list[float], q: float) -> float:
    """The *q*-th percentile (0-100) of *samples*, nearest rank."""
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and print a Markdown table; return 1 if a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer samples (a smoke test)")
    args = parser.parse_args(argv)
    rounds, samples = (30, 100) if args.quick else (300, 1000)

    gc.collect()
    medians = overhead(rounds)
    ratio = medians["app"] / medians["hand"] - 1
    rows: list[tuple[str, str, str, bool]] = [
        (
            f"Overhead: App vs hand-written ThingRunner ({SHARES} shares/run, median of {rounds})",
            f"{ratio * 100:+.1f} % ({_ms(medians['app'])} vs {_ms(medians['hand'])})",
            "within 5 %",
            abs(ratio) <= 0.05,
        ),
        (
            f"Fixed cost per run: empty App vs bare ThingRunner (median of {rounds})",
            f"{_ms(medians['empty_app'])} vs {_ms(medians['bare'])}",
            "(informative)",
            True,
        ),
    ]
    for kind in ("sync", "async"):
        starts, stops = latency(kind, samples)
        p50, p99 = percentile(starts, 50), percentile(starts, 99)
        rows.append(
            (
                f"Start latency, {kind} main: run(background=True) to main's first line",
                f"p50 {_ms(p50)}, p99 {_ms(p99)}",
                "< 5 ms (p50)",
                p50 < 0.005,
            )
        )
        p50, p99 = percentile(stops, 50), percentile(stops, 99)
        rows.append(
            (
                f"Stop latency, {kind} main waiting on the runner: stop() to return",
                f"p50 {_ms(p50)}, p99 {_ms(p99)}",
                "p99 < 5 ms",
                p99 < 0.005,
            )
        )

    print(f"Python {sys.version.split()[0]}, {samples} latency samples per row, embedded space")
    print()
    print("| Measure | Result | Target | Met |")
    print("|---|---|---|---|")
    for measure, result, target, met in rows:
        print(f"| {measure} | {result} | {target} | {'yes' if met else 'NO'} |")
    return 0 if all(met for *_, met in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
