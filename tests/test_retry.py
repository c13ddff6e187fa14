"""Retry policies: fixed waits, backoff with jitter and a cap, attempt and time limits."""

from __future__ import annotations

import itertools
import logging
import math
from typing import Any

import pytest

from iotic_app import App, ThingRunner
from iotic_app.retry import Backoff, Fixed, RetryPolicy, as_policy
from tests.conftest import RecordingClient


def test_a_number_means_a_fixed_wait() -> None:
    policy = as_policy(2.5)
    assert policy == Fixed(2.5)
    assert [policy.delay(n, 1000.0) for n in (1, 2, 50)] == [2.5, 2.5, 2.5]


def test_a_policy_is_used_as_it_is() -> None:
    policy = Backoff()
    assert as_policy(policy) is policy
    assert isinstance(policy, RetryPolicy) and isinstance(Fixed(), RetryPolicy)


def test_backoff_grows_exponentially_within_jitter_and_is_capped() -> None:
    policy = Backoff(initial=1, maximum=10, multiplier=2, jitter=0.5)
    for attempt, base in [(1, 1), (2, 2), (3, 4), (4, 8)]:
        for _ in range(20):
            delay = policy.delay(attempt, 0)
            assert delay is not None and base <= delay <= base + 0.5
    assert policy.delay(5, 0) == 10
    assert policy.delay(10_000, 0) == 10  # no overflow


def test_backoff_jitter_spreads_the_waits() -> None:
    delays = {Backoff(initial=1, jitter=1).delay(1, 0) for _ in range(20)}
    assert len(delays) > 1


@pytest.mark.parametrize("policy", [Fixed(1, max_attempts=3), Backoff(max_attempts=3)])
def test_max_attempts_counts_the_first_attempt(policy: Fixed | Backoff) -> None:
    assert policy.delay(1, 0) is not None
    assert policy.delay(2, 0) is not None
    assert policy.delay(3, 0) is None


@pytest.mark.parametrize("policy", [Fixed(1, max_time=10), Backoff(max_time=10)])
def test_max_time_since_the_first_failure(policy: Fixed | Backoff) -> None:
    assert policy.delay(1, 9.9) is not None
    assert policy.delay(1, 10) is None


@pytest.mark.parametrize(
    ("factory", "error", "match"),
    [
        (
            lambda: Fixed(-1),
            ValueError,
            r"seconds must be a non-negative number of seconds, got -1",
        ),
        (
            lambda: Fixed(max_attempts=0),
            ValueError,
            r"max_attempts must be a whole number >= 1 .* 0",
        ),
        (lambda: Fixed(max_attempts=2.5), TypeError, r"max_attempts .* got 2.5"),
        (lambda: Fixed(max_attempts="2"), TypeError, r"max_attempts .* got '2'"),
        (lambda: Backoff(initial=math.nan), ValueError, r"initial must be .* got nan"),
        (lambda: Backoff(multiplier=0), ValueError, r"multiplier must be a positive number .* 0"),
        (lambda: Backoff(max_time=-3), ValueError, r"max_time must be .* or None, got -3"),
        (lambda: Backoff(jitter="1"), TypeError, r"jitter must be .* got '1'"),
        (lambda: Backoff(maximum=None), TypeError, r"maximum must be .* got None"),
        (lambda: Backoff(initial=True), TypeError, r"initial must be .* got True"),
    ],
)
def test_bad_policy_arguments_name_the_argument(
    factory: Any, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match) as info:
        factory()
    assert type(info.value) is error


def test_a_runner_gives_up_after_the_limit_as_if_on_exception_said_no(
    client: RecordingClient, caplog: pytest.LogCaptureFixture
) -> None:
    asked: list[int] = []

    class Flaky(ThingRunner):
        def main(self) -> None:
            raise ConnectionError(f"attempt {len(asked) + 1}")

        def on_exception(self, ctx: Any, exc_info: Any) -> bool:
            asked.append(1)
            return True

        def on_shutdown(self, exc_info: Any) -> None:
            client.log.append(f"on_shutdown {exc_info[1]}")

    caplog.set_level(logging.INFO, logger="iotic_app")
    runner = Flaky(client=client, retry_timeout=Fixed(0, max_attempts=3))
    with pytest.raises(ConnectionError, match="attempt 3"):
        runner.run()
    assert len(asked) == 3
    assert client.log == ["client.start", "client.stop"] * 2 + [
        "client.start",
        "on_shutdown attempt 3",
        "client.stop",
    ]
    assert any("giving up on main after 3 attempt(s)" in r.getMessage() for r in caplog.records)
    assert runner.attempts == 3


def test_app_accepts_a_policy_and_the_retry_log_says_why_and_when(
    client: RecordingClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="iotic_app")
    app = App(client=client, retrying=True, retry_timeout=Backoff(initial=0, jitter=0))
    failures = [TimeoutError("slow broker")]

    @app.main
    def loop() -> None:
        if failures:
            raise failures.pop()

    app.run()
    messages = [r.getMessage() for r in caplog.records]
    assert any("retrying main in 0 s after TimeoutError: slow broker" in m for m in messages)


def test_a_new_count_starts_after_startup_succeeds(client: RecordingClient) -> None:
    """Startup failures and main failures are counted apart."""
    fails = {"startup": 2, "main": 2}

    class Runner(ThingRunner):
        def on_startup(self) -> None:
            if fails["startup"]:
                fails["startup"] -= 1
                raise ConnectionError("startup")

        def main(self) -> None:
            if fails["main"]:
                fails["main"] -= 1
                raise ConnectionError("main")

        def on_exception(self, ctx: Any, exc_info: Any) -> bool:
            return True

    Runner(client=client, retry_timeout=Fixed(0, max_attempts=3)).run()
    assert fails == {"startup": 0, "main": 0}


def test_app_retry_timeout_is_validated_on_assignment() -> None:
    app = App(client=RecordingClient([]))
    app.retry_timeout = Fixed(1)
    with pytest.raises(ValueError, match="retry_timeout must be"):
        app.retry_timeout = -2
    with pytest.raises(TypeError, match="retry_timeout must be"):
        app.retry_timeout = "2"  # type: ignore[assignment]


# -- iterating a policy's waits (what a reconnect loop uses) -----------------------------------


def test_backoff_delays_iterate_per_attempt_capped() -> None:
    waits = Backoff(initial=0.05, maximum=0.5, multiplier=2, jitter=0).delays()
    assert [next(waits) for _ in range(6)] == [0.05, 0.1, 0.2, 0.4, 0.5, 0.5]


def test_backoff_delays_have_jitter_within_bounds() -> None:
    policy = Backoff(initial=1, maximum=100, multiplier=2, jitter=0.5)
    runs = [list(itertools.islice(policy.delays(), 4)) for _ in range(20)]
    for run in runs:
        for wait, base in zip(run, [1, 2, 4, 8], strict=True):
            assert base <= wait <= base + 0.5
    assert len({run[0] for run in runs}) > 1  # spread, so agents do not retry in step


@pytest.mark.parametrize("policy", [Fixed(1, max_attempts=3), Backoff(max_attempts=3)])
def test_delays_end_when_the_attempts_are_used_up(policy: Fixed | Backoff) -> None:
    assert len(list(policy.delays())) == 2  # three attempts: two waits between them


@pytest.mark.parametrize("policy", [Fixed(1, max_time=10), Backoff(jitter=0, max_time=10)])
def test_delays_end_when_the_time_is_up_on_the_clock_given(policy: Fixed | Backoff) -> None:
    now = [100.0]
    waits = policy.delays(clock=lambda: now[0])
    assert next(waits) == 1  # the clock starts at the first next(): the first failure
    now[0] += 9.9
    assert next(waits) is not None
    now[0] += 0.1
    assert next(waits, None) is None


def test_delays_start_afresh_with_a_new_iterator() -> None:
    policy = Fixed(0.5, max_attempts=2)
    assert list(policy.delays()) == [0.5]
    assert list(policy.delays()) == [0.5]
