"""ThingRunner and RetryingThingRunner: the documented semantics and the fixed defects."""

from __future__ import annotations

import logging
import math
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import pytest

from iotic_app import IOTSyncTimeout, LinkException, RetryingThingRunner, RunContext, ThingRunner
from iotic_app.exceptions import SessionTakenOver
from iotic_app.retry import Fixed
from iotic_app.runner import ExcInfo
from tests.conftest import RecordingClient

Step = Callable[["Scripted"], Any]


def raise_(exc: BaseException) -> Step:
    def step(runner: Scripted) -> Any:
        raise exc

    return step


def returns(value: Any) -> Step:
    return lambda runner: value


class Scripted(ThingRunner):
    """Records every hook call in the client's log; each hook plays its script, step by step."""

    def __init__(
        self,
        client: RecordingClient,
        *,
        startup: list[Step] | None = None,
        main: list[Step] | None = None,
        on_exception: list[Step] | None = None,
        on_shutdown: list[Step] | None = None,
        retry_timeout: float = 0,
    ) -> None:
        super().__init__(retry_timeout=retry_timeout, client=client)
        self.log = client.log
        self.fake = client
        self.scripts: dict[str, Iterator[Step]] = {
            name: iter(steps or [])
            for name, steps in [
                ("on_startup", startup),
                ("main", main),
                ("on_exception", on_exception),
                ("on_shutdown", on_shutdown),
            ]
        }
        self.exc_infos: list[ExcInfo | None] = []

    def _play(self, name: str) -> Any:
        step = next(self.scripts[name], None)
        return None if step is None else step(self)

    def on_startup(self) -> Any:
        self.log.append(f"on_startup client_started={self.fake.started}")
        return self._play("on_startup")

    def main(self) -> Any:
        self.log.append("main")
        return self._play("main")

    def on_exception(self, ctx: RunContext, exc_info: ExcInfo) -> Any:
        self.log.append(f"on_exception {ctx.value} {exc_info[0].__name__}")
        return self._play("on_exception")

    def on_shutdown(self, exc_info: ExcInfo | None) -> Any:
        self.exc_infos.append(exc_info)
        name = None if exc_info is None else exc_info[0].__name__
        self.log.append(f"on_shutdown {name} client_started={self.fake.started}")
        return self._play("on_shutdown")


def test_run_context_has_exactly_the_documented_members() -> None:
    assert [(m.name, m.value) for m in RunContext] == [
        ("MAIN", "main"),
        ("ON_STARTUP", "on_startup"),
    ]


def test_base_main_returns_at_once_and_client_is_started_then_stopped(
    client: RecordingClient,
) -> None:
    runner = ThingRunner(client=client)
    assert runner.client is client
    runner.run()
    assert client.log == ["client.start", "client.stop"]
    assert runner.shutdown_requested


class OwnPrivateNames(Scripted):
    """A user subclass with private names of its own, some the same as the runner's helpers."""

    def __init__(self, client: RecordingClient, **scripts: Any) -> None:
        super().__init__(client, **scripts)
        self.__client = self.__supervisor = "mine"
        self.__events = self.__hooks = self.__lifecycle = self.__attempts = "mine"
        self._client = self._events = self._hooks = self._lifecycle = "mine"
        self._runner = self._policy = self._signals = self._attempts = self._supervisor = "mine"

    def _call(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the runner called the subclass's _call")

    def _finish(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the runner called the subclass's _finish")

    def mine(self) -> list[str]:
        return [self.__client, self.__events, self.__lifecycle, self.__attempts, self._attempts]


def test_a_subclass_private_names_do_not_clash_with_the_runner(client: RecordingClient) -> None:
    runner = OwnPrivateNames(
        client, main=[raise_(LinkException("down"))], on_exception=[returns(True)]
    )
    runner.run()
    assert runner.log == [
        "client.start",
        "on_startup client_started=True",
        "main",
        "on_exception main LinkException",
        "client.stop",
        "client.start",
        "main",
        "on_shutdown None client_started=True",
        "client.stop",
    ]
    assert runner.client is client
    assert runner.attempts == 2
    assert runner.mine() == ["mine"] * 5


def test_graceful_run_calls_on_shutdown_before_the_client_stops(client: RecordingClient) -> None:
    runner = Scripted(client)
    runner.run()
    assert runner.log == [
        "client.start",
        "on_startup client_started=True",
        "main",
        "on_shutdown None client_started=True",
        "client.stop",
    ]
    assert runner.exc_infos == [None]
    assert runner.exception is None


def test_failure_for_good_runs_on_shutdown_with_client_started_then_reraises(
    client: RecordingClient,
) -> None:
    boom = ValueError("boom")
    runner = Scripted(client, main=[raise_(boom)])
    with pytest.raises(ValueError, match="boom") as info:
        runner.run()
    assert info.value is boom
    assert runner.log == [
        "client.start",
        "on_startup client_started=True",
        "main",
        "on_exception main ValueError",
        "on_shutdown ValueError client_started=True",
        "client.stop",
    ]
    exc_info = runner.exc_infos[0]
    assert exc_info is not None and exc_info[1] is boom and exc_info[2] is not None
    assert runner.exception is boom
    assert runner.shutdown_requested


def test_truthy_on_shutdown_swallows_the_exception(client: RecordingClient) -> None:
    runner = Scripted(client, main=[raise_(ValueError("x"))], on_shutdown=[returns(True)])
    runner.run()
    assert runner.log[-1] == "client.stop"
    assert runner.exception is None


def test_retry_of_main_reconnects_and_does_not_rerun_startup(client: RecordingClient) -> None:
    runner = Scripted(client, main=[raise_(ValueError("once"))], on_exception=[returns(True)])
    runner.run()
    assert runner.log == [
        "client.start",
        "on_startup client_started=True",
        "main",
        "on_exception main ValueError",
        "client.stop",
        "client.start",
        "main",
        "on_shutdown None client_started=True",
        "client.stop",
    ]


def test_retry_of_startup_runs_startup_again(client: RecordingClient) -> None:
    runner = Scripted(client, startup=[raise_(OSError("no"))], on_exception=[returns(1)])
    runner.run()
    assert runner.log == [
        "client.start",
        "on_startup client_started=True",
        "on_exception on_startup OSError",
        "client.stop",
        "client.start",
        "on_startup client_started=True",
        "main",
        "on_shutdown None client_started=True",
        "client.stop",
    ]


def test_startup_failure_for_good_skips_on_shutdown(client: RecordingClient) -> None:
    runner = Scripted(client, startup=[raise_(KeyError("k"))])
    with pytest.raises(KeyError):
        runner.run()
    assert runner.log == [
        "client.start",
        "on_startup client_started=True",
        "on_exception on_startup KeyError",
        "client.stop",
    ]
    assert runner.exc_infos == []


def test_client_start_failure_counts_in_the_attempts_context(log: list[str]) -> None:
    failures = iter([LinkException("down"), None, LinkException("down again")])

    def fail_start() -> None:
        exc = next(failures, None)
        if exc is not None:
            raise exc

    client = RecordingClient(log, fail_start)
    runner = Scripted(
        client,
        main=[raise_(ValueError("retry me"))],
        on_exception=[returns(True), returns(True), returns(True)],
    )
    runner.run()
    assert log == [
        "client.start",
        "on_exception on_startup LinkException",
        "client.start",
        "on_startup client_started=True",
        "main",
        "on_exception main ValueError",
        "client.stop",
        "client.start",
        "on_exception main LinkException",
        "client.start",
        "main",
        "on_shutdown None client_started=True",
        "client.stop",
    ]


@pytest.mark.parametrize("started_up", [True, False])
def test_keyboard_interrupt_is_a_graceful_shutdown(
    client: RecordingClient, started_up: bool
) -> None:
    if started_up:
        runner = Scripted(client, main=[raise_(KeyboardInterrupt())])
    else:
        runner = Scripted(client, startup=[raise_(KeyboardInterrupt())])
    runner.run()  # does not raise
    assert not any(line.startswith("on_exception") for line in runner.log)
    assert runner.exc_infos == ([None] if started_up else [])
    assert runner.log[-1] == "client.stop"
    assert runner.exception is None


def test_exception_in_on_exception_is_logged_and_never_hides_the_original(
    client: RecordingClient, caplog: pytest.LogCaptureFixture
) -> None:
    original = ValueError("original")
    runner = Scripted(client, main=[raise_(original)], on_exception=[raise_(RuntimeError("bad"))])
    with pytest.raises(ValueError) as info:
        runner.run()
    assert info.value is original
    record = next(r for r in caplog.records if "on_exception raised" in r.getMessage())
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None and isinstance(record.exc_info[1], RuntimeError)
    assert "on_shutdown ValueError client_started=True" in runner.log


def test_exception_in_on_shutdown_is_logged_and_never_hides_the_original(
    client: RecordingClient, caplog: pytest.LogCaptureFixture
) -> None:
    original = ValueError("original")
    runner = Scripted(client, main=[raise_(original)], on_shutdown=[raise_(RuntimeError("bad"))])
    with pytest.raises(ValueError) as info:
        runner.run()
    assert info.value is original
    record = next(r for r in caplog.records if "on_shutdown raised" in r.getMessage())
    assert record.exc_info is not None and isinstance(record.exc_info[1], RuntimeError)
    assert runner.log[-1] == "client.stop"


def test_exception_in_on_shutdown_after_a_graceful_run_propagates(
    client: RecordingClient,
) -> None:
    runner = Scripted(client, on_shutdown=[raise_(RuntimeError("bad"))])
    with pytest.raises(RuntimeError, match="bad"):
        runner.run()
    assert runner.log[-1] == "client.stop"


NETWORK = [
    LinkException("link"),
    IOTSyncTimeout("sync"),
    ConnectionError("conn"),
    ConnectionRefusedError("refused"),
    ConnectionResetError("reset"),
    TimeoutError("timeout"),
    TimeoutError("socket timeout"),
]
OTHER = [ValueError("v"), OSError("os"), KeyError("k"), RuntimeError("r")]


@pytest.mark.parametrize("exc", NETWORK, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("where", ["startup", "main"])
def test_retrying_runner_retries_network_and_timeout_failures(
    client: RecordingClient, exc: BaseException, where: str
) -> None:
    class Retrying(RetryingThingRunner):
        failed = False

        def _fail_once(self, name: str) -> None:
            if name == where and not self.failed:
                self.failed = True
                raise exc

        def on_startup(self) -> None:
            self._fail_once("startup")

        def main(self) -> None:
            self._fail_once("main")

    runner = Retrying(client=client, retry_timeout=0)
    runner.run()
    assert client.log == ["client.start", "client.stop"] * 2


@pytest.mark.parametrize("exc", OTHER, ids=lambda e: type(e).__name__)
def test_retrying_runner_reraises_everything_else(
    client: RecordingClient, exc: BaseException
) -> None:
    class Retrying(RetryingThingRunner):
        def main(self) -> None:
            raise exc

    with pytest.raises(type(exc)):
        Retrying(client=client, retry_timeout=0).run()
    assert client.log == ["client.start", "client.stop"]


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (-1, ValueError),
        (-0.5, ValueError),
        (math.nan, ValueError),
        (math.inf, ValueError),
        ("5", TypeError),
        (None, TypeError),
        (True, TypeError),
        ([1], TypeError),
        (Fixed, TypeError),  # the class, not a policy
    ],
)
def test_bad_retry_timeout_is_a_type_or_value_error_naming_it(
    value: object, error: type[Exception]
) -> None:
    match = r"retry_timeout must be .* got " + re.escape(repr(value))
    with pytest.raises(error, match=match) as info:
        ThingRunner(retry_timeout=value, client=RecordingClient([]))  # type: ignore[arg-type]
    assert type(info.value) is error


@pytest.mark.parametrize("value", [0, 0.25, 3, 15.0])
def test_good_retry_timeout_is_accepted(value: float) -> None:
    assert ThingRunner(retry_timeout=value, client=RecordingClient([])).retry_timeout == value


def test_retry_waits_retry_timeout(client: RecordingClient) -> None:
    runner = Scripted(
        client, main=[raise_(ValueError("x"))], on_exception=[returns(True)], retry_timeout=0.2
    )
    started = time.monotonic()
    runner.run()
    assert time.monotonic() - started >= 0.2


def test_client_without_start_and_stop_is_rejected() -> None:
    with pytest.raises(TypeError, match=r"client must be an object with start\(\) and stop\(\)"):
        ThingRunner(client=object())  # type: ignore[arg-type]


def test_stop_without_a_run_sets_the_flag_and_run_clears_it(client: RecordingClient) -> None:
    runner = Scripted(client)
    assert not runner.shutdown_requested
    assert runner.stop() is True
    assert runner.shutdown_requested
    seen: list[bool] = []
    runner.scripts["main"] = iter([lambda r: seen.append(r.shutdown_requested)])
    runner.run()
    assert seen == [False]
    assert runner.shutdown_requested  # main finished


def test_wait_for_shutdown_times_out_then_sees_stop(client: RecordingClient) -> None:
    runner = ThingRunner(client=client)
    assert runner.wait_for_shutdown(0.01) is False
    runner.stop()
    assert runner.wait_for_shutdown(0) is True
    assert runner.wait_for_shutdown() is True


class Waiter(ThingRunner):
    """The documented shape of a main loop: wait on the runner between iterations."""

    def __init__(self, client: RecordingClient) -> None:
        super().__init__(client=client)
        self.in_main = threading.Event()
        self.shutdowns: list[ExcInfo | None] = []

    def main(self) -> None:
        self.in_main.set()
        while True:
            if self.wait_for_shutdown(1):
                break

    def on_shutdown(self, exc_info: ExcInfo | None) -> None:
        self.shutdowns.append(exc_info)


def test_background_run_returns_at_once_and_stop_ends_it(client: RecordingClient) -> None:
    runner = Waiter(client)
    runner.run(background=True)
    assert runner.in_main.wait(5)
    assert runner.is_running()
    assert runner.stop(timeout=5) is True
    assert not runner.is_running()
    assert runner.shutdowns == [None]
    assert client.log == ["client.start", "client.stop"]
    assert runner.stop() is True  # idempotent


def test_stop_with_short_timeout_reports_a_run_still_ending(client: RecordingClient) -> None:
    release = threading.Event()

    class Slow(Waiter):
        def on_shutdown(self, exc_info: ExcInfo | None) -> None:
            release.wait(5)

    runner = Slow(client)
    runner.run(background=True)
    assert runner.in_main.wait(5)
    assert runner.stop(timeout=0.01) is False
    release.set()
    assert runner.stop(timeout=5) is True


def test_stop_interrupts_a_retry_wait_and_on_shutdown_gets_the_failure(
    client: RecordingClient,
) -> None:
    """Defect 2: on_shutdown runs once, with the waiting failure, and nothing is re-raised."""
    waiting = threading.Event()
    failure = ConnectionError("link down")

    class Failing(RetryingThingRunner):
        shutdowns: ClassVar[list[ExcInfo | None]] = []

        def main(self) -> None:
            raise failure

        def on_exception(self, ctx: RunContext, exc_info: ExcInfo) -> Any:
            waiting.set()
            return super().on_exception(ctx, exc_info)

        def on_shutdown(self, exc_info: ExcInfo | None) -> None:
            self.shutdowns.append(exc_info)

    runner = Failing(client=client, retry_timeout=60)
    runner.run(background=True)
    assert waiting.wait(5)
    started = time.monotonic()
    assert runner.stop(timeout=5) is True
    assert time.monotonic() - started < 1
    assert len(runner.shutdowns) == 1
    shutdown_exc_info = runner.shutdowns[0]
    assert shutdown_exc_info is not None and shutdown_exc_info[1] is failure
    assert runner.exception is None
    assert client.log == ["client.start", "client.stop"]


def test_stop_from_another_thread_never_makes_a_foreground_run_raise(
    client: RecordingClient,
) -> None:
    waiting = threading.Event()

    class Failing(ThingRunner):
        def main(self) -> None:
            raise TimeoutError("slow")

        def on_exception(self, ctx: RunContext, exc_info: ExcInfo) -> bool:
            waiting.set()
            return True

    runner = Failing(client=client, retry_timeout=60)
    stopper = threading.Thread(target=lambda: waiting.wait(5) and runner.stop())
    stopper.start()
    runner.run()  # returns normally
    stopper.join(5)
    assert runner.exception is None


def test_background_failure_is_kept_and_logged(
    client: RecordingClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Defect 3: the exception of a background run is never lost with the thread."""
    boom = ValueError("lost?")
    runner = Scripted(client, main=[raise_(boom)])
    runner.run(background=True)
    assert runner.stop(timeout=5) is True
    assert runner.exception is boom
    record = next(r for r in caplog.records if "background run ended" in r.getMessage())
    assert record.levelno == logging.ERROR and record.exc_info is not None
    assert record.exc_info[1] is boom


def test_background_run_that_ended_can_run_again_without_stop(client: RecordingClient) -> None:
    """Defect 4: a finished background run needs no stop() before the next run."""
    runner = Scripted(client)
    for _ in range(3):
        runner.run(background=True)
        assert runner.wait_for_shutdown(5)
        deadline = time.monotonic() + 5
        while runner.is_running() and time.monotonic() < deadline:
            runner.stop(timeout=0.1)
    assert runner.log.count("main") == 3


def test_run_while_running_is_a_runtime_error(client: RecordingClient) -> None:
    runner = Waiter(client)
    runner.run(background=True)
    try:
        assert runner.in_main.wait(5)
        with pytest.raises(RuntimeError, match="already running; call stop"):
            runner.run(background=True)
        with pytest.raises(RuntimeError, match="already running"):
            runner.run()
    finally:
        assert runner.stop(5)


@pytest.mark.parametrize("where", ["main", "on_startup", "on_shutdown", "on_exception"])
@pytest.mark.parametrize("background", [False, True])
def test_stop_from_the_runners_own_thread_returns_at_once(
    client: RecordingClient, where: str, background: bool
) -> None:
    """Defect 5: stop() inside main or a handler neither deadlocks nor raises."""
    results: list[bool] = []

    class SelfStopping(ThingRunner):
        def _maybe_stop(self, name: str) -> None:
            if name == where:
                results.append(self.stop(timeout=30))

        def on_startup(self) -> None:
            self._maybe_stop("on_startup")

        def main(self) -> None:
            self._maybe_stop("main")
            if where == "on_exception":
                raise ConnectionError("so that on_exception runs")
            if where != "on_shutdown":
                self.wait_for_shutdown(30)

        def on_exception(self, ctx: RunContext, exc_info: ExcInfo) -> bool:
            self._maybe_stop("on_exception")
            return True

        def on_shutdown(self, exc_info: ExcInfo | None) -> None:
            self._maybe_stop("on_shutdown")

    runner = SelfStopping(client=client, retry_timeout=30)
    started = time.monotonic()
    runner.run(background=background)
    assert runner.stop(timeout=10) is True
    assert time.monotonic() - started < 5
    assert results == [False]  # the run was still going when stop() returned
    assert runner.exception is None


def test_seed_document_example_runs_in_background_and_stops(client: RecordingClient) -> None:
    class MyRunner(ThingRunner):
        def __init__(self, other: str, arguments: str, config: Any = None) -> None:
            super().__init__(config=config, client=client)
            self.args = (other, arguments)
            self.loops = 0

        def main(self) -> None:
            while True:
                self.loops += 1
                if self.wait_for_shutdown(1):
                    break

    runner = MyRunner("other", "arguments")
    runner.run(background=True)
    assert runner.stop(timeout=5)
    assert runner.loops >= 1


# -- the client during a retry wait (defect 1 with defect 2) -----------------------------------


def test_on_shutdown_after_stop_interrupts_a_retry_wait_has_the_client_started(
    client: RecordingClient,
) -> None:
    """Fix 1 holds after fix 2: the client stays started through the wait, so on_shutdown
    after an interrupted wait runs with it started; a retry stops it and starts it again."""
    waiting = threading.Event()
    started_in_wait: list[bool] = []

    class Failing(Scripted):
        def on_exception(self, ctx: RunContext, exc_info: ExcInfo) -> Any:
            super().on_exception(ctx, exc_info)
            waiting.set()
            return True

    runner = Failing(client, main=[raise_(ConnectionError("link down"))], retry_timeout=60)
    runner.run(background=True)
    assert waiting.wait(5)
    started_in_wait.append(client.started)
    assert runner.stop(timeout=5) is True
    assert started_in_wait == [True]
    assert runner.log == [
        "client.start",
        "on_startup client_started=True",
        "main",
        "on_exception main ConnectionError",
        "on_shutdown ConnectionError client_started=True",
        "client.stop",
    ]
    assert runner.exception is None


# -- per-run state -----------------------------------------------------------------------------


def test_keyboard_interrupt_in_on_exception_shuts_down_with_the_failure(
    client: RecordingClient,
) -> None:
    """As a stop() in the retry wait: on_shutdown once, with the failure; run() does not raise."""
    runner = Scripted(
        client, main=[raise_(ValueError("boom"))], on_exception=[raise_(KeyboardInterrupt())]
    )
    runner.run()
    assert runner.log == [
        "client.start",
        "on_startup client_started=True",
        "main",
        "on_exception main ValueError",
        "on_shutdown ValueError client_started=True",
        "client.stop",
    ]
    assert runner.exception is None


# -- a client that fails for good (SessionTakenOver) -------------------------------------------


class FailingClient(RecordingClient):
    """A client with the failure-listener seam: ``fail(exc)`` fires the listeners from a
    thread of its own, as a real client does when another process takes its session over."""

    def __init__(self, log: list[str]) -> None:
        super().__init__(log)
        self.listeners: list[Callable[[BaseException], None]] = []
        self.failure: BaseException | None = None

    def add_failure_listener(self, listener: Callable[[BaseException], None]) -> None:
        self.listeners.append(listener)

    def fail(self, exc: BaseException) -> None:
        self.failure = exc

        def fire() -> None:
            for listener in list(self.listeners):
                listener(exc)

        thread = threading.Thread(target=fire, name="fake-client-network")
        thread.start()
        thread.join(5)


def _taken_over() -> BaseException:
    from iotic_app.exceptions import SessionTakenOver

    return SessionTakenOver("another process connected as agent 'x'")


@pytest.mark.parametrize("runner_class", [ThingRunner, RetryingThingRunner])
def test_a_client_that_fails_for_good_ends_a_main_that_only_shares(
    log: list[str], runner_class: type[ThingRunner]
) -> None:
    from iotic_app.exceptions import SessionTakenOver

    client = FailingClient(log)
    sharing = threading.Event()
    asked: list[tuple[RunContext, type[BaseException]]] = []
    shutdowns: list[ExcInfo | None] = []

    class Sharer(runner_class):  # type: ignore[valid-type, misc]
        def main(self) -> None:
            sharing.set()
            while not self.wait_for_shutdown(0.01):  # shares, never raises
                pass

        def on_exception(self, ctx: RunContext, exc_info: ExcInfo) -> Any:
            asked.append((ctx, exc_info[0]))
            return super().on_exception(ctx, exc_info)

        def on_shutdown(self, exc_info: ExcInfo | None) -> None:
            shutdowns.append(exc_info)

    runner = Sharer(client=client, retry_timeout=0)
    runner.run(background=True)
    assert sharing.wait(5)
    failure = _taken_over()
    client.fail(failure)
    assert runner.stop(timeout=5) is True
    assert runner.exception is failure
    assert asked == [(RunContext.MAIN, SessionTakenOver)]  # asked once: never retried
    assert len(shutdowns) == 1 and shutdowns[0] is not None and shutdowns[0][1] is failure
    assert log == ["client.start", "client.stop"]


def test_a_client_failure_ends_a_foreground_run_which_raises_it(log: list[str]) -> None:
    client = FailingClient(log)

    class Sharer(ThingRunner):
        def main(self) -> None:
            threading.Thread(target=client.fail, args=(_taken_over(),)).start()
            self.wait_for_shutdown(10)

    runner = Sharer(client=client)
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="another process connected") as info:
        runner.run()
    assert time.monotonic() - started < 5
    assert type(info.value).__name__ == "SessionTakenOver"
    assert runner.exception is info.value


def test_a_client_failure_cancels_an_async_main_and_is_what_ends_the_run(log: list[str]) -> None:
    import asyncio

    client = FailingClient(log)

    class Sharer(ThingRunner):
        async def main(self) -> None:
            threading.Thread(target=client.fail, args=(_taken_over(),)).start()
            await asyncio.sleep(10)  # not waiting on the runner: cancelled

    runner = Sharer(client=client)
    with pytest.raises(RuntimeError, match="another process connected"):
        runner.run()


def test_a_client_failure_during_start_up_is_main_s_failure_after_it(log: list[str]) -> None:
    client = FailingClient(log)
    asked: list[RunContext] = []
    shutdowns: list[ExcInfo | None] = []

    class Sharer(ThingRunner):
        def on_startup(self) -> None:
            client.fail(_taken_over())

        def main(self) -> None:
            log.append("main")

        def on_exception(self, ctx: RunContext, exc_info: ExcInfo) -> Any:
            asked.append(ctx)
            return False

        def on_shutdown(self, exc_info: ExcInfo | None) -> None:
            shutdowns.append(exc_info)

    with pytest.raises(RuntimeError, match="another process connected"):
        Sharer(client=client).run()
    assert "main" not in log
    assert asked == [RunContext.MAIN]
    assert len(shutdowns) == 1


def test_a_client_failure_between_runs_or_in_another_run_does_not_leak(log: list[str]) -> None:
    client = FailingClient(log)
    runner = Waiter(client)
    client.fail(_taken_over())  # no run going: nothing to end
    runner.run(background=True)
    assert runner.in_main.wait(5)
    assert runner.stop(5) is True
    assert runner.exception is None
    assert len(client.listeners) == 1
    for _ in range(3):  # each run of an App makes a runner: the client gets one listener only
        other = Waiter(client)
        other.run(background=True)
        assert other.stop(5) is True
    assert len(client.listeners) == 1


# -- closing the client the runner made ------------------------------------------------------


class ClosingClient:
    """Stands in for iotic_app.Client where the runner makes one: records start/stop/close."""

    made: ClassVar[list[ClosingClient]] = []

    def __init__(self, config: Any = None) -> None:
        self.log: list[str] = []
        self.made.append(self)

    def start(self) -> None:
        self.log.append("start")

    def stop(self) -> None:
        self.log.append("stop")

    def close(self) -> None:
        self.log.append("close")


def test_the_runner_closes_a_client_it_made_and_runs_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import iotic_app.client

    ClosingClient.made.clear()
    monkeypatch.setattr(iotic_app.client, "Client", ClosingClient)
    runner = ThingRunner(config="local://closing")
    runner.run()
    (made,) = ClosingClient.made
    assert made.log == ["start", "stop", "close"]
    runner.run()  # defect 4: a run that ended can run again; start() reopens a closed client
    assert made.log == ["start", "stop", "close"] * 2


def test_the_runner_does_not_close_a_client_it_was_given() -> None:
    given = ClosingClient()
    ThingRunner(client=given).run()
    assert given.log == ["start", "stop"]


def test_a_real_client_made_by_the_runner_is_closed_and_reopens() -> None:
    closed: list[bool] = []
    runner = ThingRunner(config="local://closing-real?agent=a")
    real_close = runner.client.close
    runner.client.close = lambda: (closed.append(True), real_close())  # type: ignore[method-assign]
    runner.run()
    runner.run()
    assert closed == [True, True]
    assert runner.exception is None


def test_a_client_failure_for_good_is_never_retried(
    log: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    """A handler that would retry everything: a client's failure for good (another process has
    the session) cannot be retried, so the run ends with it, saying why, instead of retrying
    a start() that can never succeed, for ever."""
    client = FailingClient(log)
    asked: list[type[BaseException]] = []

    class RetryEverything(ThingRunner):
        def main(self) -> None:
            client.fail(_taken_over())
            self.wait_for_shutdown(5)

        def on_exception(self, ctx: RunContext, exc_info: ExcInfo) -> bool:
            asked.append(exc_info[0])
            return True

    runner = RetryEverything(client=client, retry_timeout=0.01)
    with caplog.at_level(logging.WARNING, logger="iotic_app"), pytest.raises(SessionTakenOver):
        runner.run()
    assert asked == [SessionTakenOver]
    assert log == ["client.start", "client.stop"]
    assert "cannot be retried" in caplog.text


def test_a_runner_whose_client_failed_for_good_runs_again_with_a_new_one() -> None:
    """The client a runner made failed for good in run 1 (another process had the session);
    run 2 of the same runner gets a new client instead of failing at once with the old error."""
    runs: list[str] = []

    class Agent(ThingRunner):
        def main(self) -> None:
            runs.append(repr(self.client.failure))
            if len(runs) == 1:
                self.client._life.dispatcher.fail(_taken_over())  # as the MQTT transport reports it
                self.wait_for_shutdown(5)

    runner = Agent(config=f"local://rerun-{uuid.uuid4().hex[:8]}?agent=a")
    first = runner.client
    with pytest.raises(SessionTakenOver):
        runner.run()
    runner.run()
    assert runs == ["None", "None"]
    assert runner.client is not first and first.failure is not None


# -- the client factory and the runner's public API for App and _periodic ----------------------


class ConfigClient(RecordingClient):
    """A RecordingClient that records close() and the config it was made from."""

    def __init__(self, log: list[str], config: object = None) -> None:
        super().__init__(log)
        self.config = config

    def close(self) -> None:
        self.log.append("client.close")


def test_without_client_or_factory_the_runner_makes_an_iotic_app_client() -> None:
    from iotic_app.client import Client

    runner = ThingRunner(config=f"local://factory-{uuid.uuid4().hex[:8]}?agent=a")
    assert type(runner.client) is Client
    runner.run()  # main returns at once; the client the runner made is closed


def test_a_client_factory_argument_makes_the_client_from_config(log: list[str]) -> None:
    made: list[ConfigClient] = []

    def factory(config: object) -> ConfigClient:
        made.append(ConfigClient(log, config))
        return made[-1]

    runner = ThingRunner(config="local://x", client_factory=factory)
    assert made == [runner.client] and made[0].config == "local://x"
    runner.run()
    assert log == ["client.start", "client.stop", "client.close"]  # made by the runner: closed


def test_a_subclass_client_factory_is_used(log: list[str]) -> None:
    class Agent(ThingRunner):
        client_factory = staticmethod(lambda config: ConfigClient(log, config))

    runner = Agent(config="local://y")
    assert isinstance(runner.client, ConfigClient) and runner.client.config == "local://y"
    runner.run()
    assert log == ["client.start", "client.stop", "client.close"]


def test_attempts_counts_the_attempts_of_the_run(client: RecordingClient) -> None:
    class Flaky(ThingRunner):
        def main(self) -> None:
            if self.attempts < 3:
                raise LinkException("down")

        def on_exception(self, ctx: RunContext, exc_info: ExcInfo) -> bool:
            return True

    runner = Flaky(client=client, retry_timeout=0)
    assert runner.attempts == 0
    runner.run()
    assert runner.attempts == 3


def test_end_attempt_wakes_the_wait_without_requesting_shutdown(client: RecordingClient) -> None:
    seen: list[tuple[bool, bool]] = []

    class Agent(ThingRunner):
        def main(self) -> None:
            threading.Timer(0.05, self.end_attempt).start()
            seen.append((self.wait_for_shutdown(5), self.shutdown_requested))

    Agent(client=client).run()
    assert seen == [(True, False)]


def test_stop_from_a_thread_of_the_run_returns_at_once(client: RecordingClient) -> None:
    returned: list[bool] = []

    class Agent(ThingRunner):
        def main(self) -> None:
            def worker() -> None:
                with self.thread_of_run():
                    returned.append(self.stop(5))  # main waits for this thread: no waiting

            thread = threading.Thread(target=worker)
            thread.start()
            thread.join(5)
            assert not thread.is_alive()

    Agent(client=client).run()
    assert returned == [False]
