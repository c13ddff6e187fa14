"""Runs an App's ``@app.every`` functions on a monotonic, drift-free schedule."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from iotic_app.runner import ThingRunner

#: A periodic function's caller and its interval in seconds.
Job = tuple[Callable[[Mapping[str, Any]], Any], float]


def run_schedule(
    jobs: Sequence[Job],
    values: Mapping[str, Any],
    runner: ThingRunner,
    resolve: Callable[[Any], Any],
) -> None:
    """Call each job at once, then every interval after its first call, until the runner wakes.

    The times are fixed on the monotonic clock from the start (no drift); a call that overran
    skips the ticks it missed rather than running them in a burst. A job that raises ends the
    schedule with its exception.
    """
    start = time.monotonic()
    due = [start] * len(jobs)
    while True:
        for i, (job, interval) in enumerate(jobs):
            if due[i] <= time.monotonic():
                resolve(job(values))
                behind = time.monotonic() - due[i]
                due[i] += interval * (int(behind // interval) + 1)
        if runner.wait_for_shutdown(max(0.0, min(due) - time.monotonic())):
            return


class ScheduleThread:
    """Runs a schedule beside ``main()``; a failure wakes main so the attempt fails with it."""

    def __init__(self, jobs: Sequence[Job], values: Mapping[str, Any], runner: ThingRunner) -> None:
        self._jobs = jobs
        self._values = values
        self._runner = runner
        self.failure: BaseException | None = None
        self._thread = threading.Thread(target=self._serve, name="iotic-app-every", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _serve(self) -> None:
        from iotic_app._aio import LoopOwner

        loop = LoopOwner("iotic-app-every", self._runner.thread_of_run)
        try:
            with self._runner.thread_of_run():
                run_schedule(self._jobs, self._values, self._runner, _resolver(loop))
        except BaseException as exc:
            self.failure = exc
            self._runner.end_attempt()
        finally:
            loop.close()

    def stop(self) -> None:
        """End the schedule (main has returned) and wait for the thread."""
        self._runner.end_attempt()
        self._thread.join()


def _resolver(loop: Any) -> Callable[[Any], Any]:
    import inspect

    def resolve(result: Any) -> Any:
        return loop.run(result) if inspect.isawaitable(result) else result

    return resolve
