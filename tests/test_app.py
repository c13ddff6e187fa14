"""App: handlers as plain functions, and the ThingRunner subclass generated from them."""

from __future__ import annotations

import functools
import logging
import math
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from iotic_app import App, LinkException, RetryingThingRunner, RunContext, ThingRunner
from iotic_app.runner import ExcInfo
from tests.conftest import RecordingClient


@pytest.fixture
def app(client: RecordingClient) -> App:
    return App(client=client, retry_timeout=0)


def test_decorators_return_the_function_unchanged(app: App) -> None:
    def f() -> None: ...

    assert app.startup(f) is f
    assert app.main(f) is f
    assert app.shutdown(f) is f
    assert app.on_exception(f) is f
    assert app.on_exception()(f) is f
    assert app.on_exception(RunContext.MAIN)(f) is f
    assert app.startup()(f) is f
    assert app.shutdown()(f) is f


def test_full_lifecycle_order(app: App, log: list[str]) -> None:
    attempts = []

    @app.startup
    def setup(client: RecordingClient) -> None:
        log.append(f"setup started={client.started}")

    @app.main
    def loop(runner: ThingRunner) -> None:
        log.append("main")
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("sensor glitch")

    @app.on_exception(RunContext.MAIN)
    def glitch(exc_info: ExcInfo) -> bool:
        log.append(f"on_exception {exc_info[0].__name__}")
        return issubclass(exc_info[0], OSError)

    @app.shutdown
    def bye(exc_info: ExcInfo | None, client: RecordingClient) -> None:
        log.append(f"shutdown {exc_info} started={client.started}")

    app.run()
    assert log == [
        "client.start",
        "setup started=True",
        "main",
        "on_exception OSError",
        "client.stop",
        "client.start",
        "main",
        "shutdown None started=True",
        "client.stop",
    ]
    assert app.exception is None
    assert app.shutdown_requested


def test_handlers_get_only_the_parameters_they_declare(app: App, client: RecordingClient) -> None:
    seen: dict[str, Any] = {}

    @app.startup
    def no_params() -> None:
        seen["none"] = True

    @app.startup
    def all_params(runner: ThingRunner, client: RecordingClient, app: App) -> None:
        seen["startup"] = (runner, client, app)

    @app.main
    def loop(app, /, *, runner):  # type: ignore[no-untyped-def]
        seen["main"] = (app, runner)
        raise ValueError("x")

    @app.on_exception
    def handler(ctx: RunContext, exc_info: ExcInfo, **rest: Any) -> None:
        seen["on_exception"] = (ctx, exc_info[0], sorted(rest))

    @app.shutdown
    def bye(exc_info: ExcInfo | None, unused: int = 3) -> bool:
        seen["shutdown"] = (exc_info and exc_info[0], unused)
        return True

    app.run()
    runner = app.runner
    assert seen == {
        "none": True,
        "startup": (runner, client, app),
        "main": (app, runner),
        "on_exception": (RunContext.MAIN, ValueError, ["app", "client", "runner"]),
        "shutdown": (ValueError, 3),
    }


@pytest.mark.parametrize(
    ("hook", "param"),
    [("startup", "exc_info"), ("main", "ctx"), ("shutdown", "ctx"), ("on_exception", "thing")],
)
def test_a_parameter_the_app_cannot_supply_is_a_type_error_at_decoration(
    app: App, hook: str, param: str
) -> None:
    namespace: dict[str, Any] = {}
    exec(f"def handler({param}): pass", namespace)
    with pytest.raises(TypeError, match=rf"handler\(\) has a parameter '{param}'"):
        getattr(app, hook)(namespace["handler"])


@pytest.mark.parametrize("hook", ["startup", "main", "shutdown", "on_exception"])
def test_a_handler_that_is_not_callable_is_a_type_error(app: App, hook: str) -> None:
    with pytest.raises(TypeError, match=rf"app.{hook} needs a function, got 42"):
        getattr(app, f"register_{hook}")(42)


def test_several_startups_run_in_order_and_a_retry_runs_them_all_again(
    app: App, log: list[str]
) -> None:
    fail = [True]

    @app.startup
    def first() -> None:
        log.append("first")

    @app.startup
    def second() -> None:
        log.append("second")
        if fail:
            fail.pop()
            raise ConnectionError("flaky")

    @app.on_exception(RunContext.ON_STARTUP)
    def retry() -> bool:
        return True

    app.register_main(lambda: None)
    app.run()
    assert [line for line in log if not line.startswith("client")] == [
        "first",
        "second",
        "first",
        "second",
    ]


def test_shutdowns_run_last_first_even_when_one_raises(
    app: App, log: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    @app.main
    def loop() -> None:
        raise ValueError("main failed")

    @app.shutdown
    def a() -> None:
        log.append("a")

    @app.shutdown
    def b() -> None:
        log.append("b")
        raise RuntimeError("b failed")

    @app.shutdown
    def c() -> None:
        log.append("c")

    with pytest.raises(ValueError, match="main failed"):
        app.run()
    assert log == ["client.start", "c", "b", "a", "client.stop"]
    assert any(
        "b failed" in r.getMessage() or (r.exc_info and "b failed" in str(r.exc_info[1]))
        for r in caplog.records
    )
    assert isinstance(app.exception, ValueError)


def test_one_truthy_shutdown_swallows_the_exception(app: App) -> None:
    app.register_main(lambda: 1 / 0)
    app.register_shutdown(lambda: None)
    app.register_shutdown(lambda: True)
    app.run()
    assert app.exception is None


def test_exactly_one_main(app: App) -> None:
    @app.main
    def one() -> None: ...

    def two() -> None: ...

    with pytest.raises(TypeError, match=r"app already has a main, .*one\(\)"):
        app.main(two)
    with pytest.raises(TypeError, match="exactly one main"):
        app.main(lambda: None)


#: A notebook cell: each run of it compiles new code for functions with the same qualified names.
CELL = """
@app.startup
def setup():
    log.append(f"setup {label}")

@app.main
def loop():
    log.append(f"main {label}")

@app.on_exception
def handler():
    log.append(f"on_exception {label}")

@app.shutdown
def bye():
    log.append(f"shutdown {label}")

@app.every(60)
def tick():
    log.append(f"every {label}")
"""


def _run_cell(app: App, log: list[str], label: str, source: str = CELL) -> None:
    """Run *source* as a notebook does: compiled afresh, in the ``__main__`` module."""
    namespace = {"__name__": "__main__", "app": app, "log": log, "label": label}
    exec(compile(source, "<cell>", "exec"), namespace)


def test_a_cell_run_again_replaces_its_handlers(app: App, log: list[str]) -> None:
    _run_cell(app, log, "v1")
    _run_cell(app, log, "v2")
    assert len(app._every) == 1
    app.run()
    every = [line for line in log if line.startswith("every")]
    assert every in ([], ["every v2"])  # in a thread of its own, beside a main that returns
    assert [line for line in log if not line.startswith(("client", "every"))] == [
        "setup v2",
        "main v2",
        "shutdown v2",
    ]


def test_a_decorated_function_in_a_cell_run_again_is_replaced(app: App, log: list[str]) -> None:
    """functools.wraps: the wrapper's code is the decorator's, the same at every run."""

    def logged(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper() -> Any:
            return func()

        return wrapper

    source = "@app.startup\n@logged\ndef setup():\n    log.append(label)\n"
    for label in ("v1", "v2"):
        namespace = {"__name__": "__main__", "app": app, "log": log, "label": label}
        namespace["logged"] = logged
        exec(compile(source, "<cell>", "exec"), namespace)
    app.register_main(lambda: None)
    app.run()
    assert [line for line in log if not line.startswith("client")] == ["v2"]


def _factory(log: list[str], label: str) -> Callable[[], None]:
    def handler() -> None:
        log.append(label)

    return handler


def test_functions_made_by_one_factory_all_register(app: App, log: list[str]) -> None:
    for label in ("a", "b", "c"):
        app.register_startup(_factory(log, f"startup {label}"))
        app.register_shutdown(_factory(log, f"shutdown {label}"))
        app.register_on_exception(_factory(log, f"on_exception {label}"))

    @app.main
    def main() -> None:
        raise LinkException("down")

    with pytest.raises(LinkException):
        app.run()
    assert [line for line in log if not line.startswith("client")] == [
        "startup a",
        "startup b",
        "startup c",
        "on_exception a",
        "on_exception b",
        "on_exception c",
        "shutdown c",
        "shutdown b",
        "shutdown a",
    ]


def test_the_same_function_registered_again_is_registered_once(app: App, log: list[str]) -> None:
    handler = _factory(log, "once")
    app.register_startup(handler)
    app.register_startup(handler)
    app.register_main(handler)
    app.register_main(handler)  # the same main again: not a second main
    app.run()
    assert [line for line in log if not line.startswith("client")] == ["once", "once"]


def test_a_second_main_from_a_factory_is_a_type_error(app: App, log: list[str]) -> None:
    app.register_main(_factory(log, "first"))
    with pytest.raises(TypeError, match=r"app already has a main, .*handler\(\)"):
        app.register_main(_factory(log, "second"))
    app.run()
    assert [line for line in log if not line.startswith("client")] == ["first"]


def test_a_main_of_a_cell_run_again_replaces_it_but_another_is_refused(
    app: App, log: list[str]
) -> None:
    _run_cell(app, log, "v1")
    _run_cell(app, log, "v2")  # the same cell again: replaces
    with pytest.raises(TypeError, match="exactly one main"):
        _run_cell(app, log, "v3", "@app.main\ndef other():\n    pass\n")


def test_lambdas_are_always_added(app: App, log: list[str]) -> None:
    for name in ("x", "y"):
        app.register_startup(lambda name=name: log.append(name))  # type: ignore[misc]
    app.register_main(lambda: None)
    app.run()
    assert [line for line in log if not line.startswith("client")] == ["x", "y"]


def test_registering_during_a_run_takes_effect_at_the_next_run(app: App, log: list[str]) -> None:
    in_main = threading.Event()

    @app.main
    def loop(runner: ThingRunner) -> None:
        in_main.set()
        runner.wait_for_shutdown(10)

    app.run(background=True)
    assert in_main.wait(5)
    app.register_shutdown(lambda: log.append("late shutdown"))
    assert app.stop(5)
    assert "late shutdown" not in log
    in_main.clear()
    app.run(background=True)
    assert in_main.wait(5)
    assert app.stop(5)
    assert log.count("late shutdown") == 1


def test_on_exception_first_non_none_decides_in_registration_order(
    app: App, log: list[str]
) -> None:
    failures = [ValueError("a"), ValueError("b")]

    @app.main
    def loop() -> None:
        if failures:
            raise failures.pop(0)

    @app.on_exception(RunContext.ON_STARTUP)
    def startup_only() -> bool:
        log.append("startup_only")
        return False

    @app.on_exception(RunContext.MAIN)
    def undecided() -> None:
        log.append("undecided")

    @app.on_exception(RunContext.ON_STARTUP, RunContext.MAIN)
    def decides() -> bool:
        log.append("decides")
        return True

    @app.on_exception()
    def never_asked() -> bool:
        log.append("never asked")
        return False

    app.run()
    assert [line for line in log if not line.startswith("client")] == [
        "undecided",
        "decides",
        "undecided",
        "decides",
    ]


@pytest.mark.parametrize("retrying", [False, True])
def test_when_no_handler_decides_the_base_class_does(
    client: RecordingClient, retrying: bool
) -> None:
    app = App(client=client, retry_timeout=0, retrying=retrying)
    failures = [LinkException("down")]

    @app.main
    def loop() -> None:
        if failures:
            raise failures.pop()

    app.on_exception(lambda: None)
    if retrying:
        app.run()
        assert client.log == ["client.start", "client.stop"] * 2
    else:
        with pytest.raises(LinkException):
            app.run()


def test_retrying_app_does_not_retry_other_failures(client: RecordingClient) -> None:
    app = App(client=client, retry_timeout=0, retrying=True)
    app.register_main(lambda: {}["missing"])
    with pytest.raises(KeyError):
        app.run()


@pytest.mark.parametrize("bad", ["main", 1, None, ValueError])
def test_a_context_that_is_not_a_run_context_is_a_type_error(app: App, bad: object) -> None:
    with pytest.raises(TypeError, match="contexts must be RunContext members"):
        app.on_exception(bad)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="contexts must be RunContext members"):
        app.register_on_exception(lambda: None, bad)  # type: ignore[arg-type]


def test_runner_class_bases(client: RecordingClient) -> None:
    assert issubclass(App(client=client).runner_class, ThingRunner)
    assert not issubclass(App(client=client).runner_class, RetryingThingRunner)
    assert issubclass(App(client=client, retrying=True).runner_class, RetryingThingRunner)

    class Mine(ThingRunner):
        pass

    assert issubclass(App(client=client, base=Mine).runner_class, Mine)


def test_base_with_retrying_retries_network_failures(client: RecordingClient) -> None:
    log = client.log

    class Mine(ThingRunner):
        calls = 0

        def main(self) -> None:
            log.append("Mine.main")
            Mine.calls += 1
            if Mine.calls == 1:
                raise TimeoutError("slow")

    app = App(client=client, retry_timeout=0, base=Mine, retrying=True)
    app.run()  # no app main: the base's main runs, and is retried
    assert log.count("Mine.main") == 2
    with pytest.raises(TimeoutError):
        Mine.calls = 0
        App(client=client, retry_timeout=0, base=Mine).run()


def test_base_hooks_run_beside_the_apps(client: RecordingClient, log: list[str]) -> None:
    class Mine(ThingRunner):
        def on_startup(self) -> None:
            log.append("Mine.on_startup")

        def on_shutdown(self, exc_info: ExcInfo | None) -> None:
            log.append("Mine.on_shutdown")

    app = App(client=client, base=Mine)
    app.register_startup(lambda: log.append("app startup"))
    app.register_shutdown(lambda: log.append("app shutdown"))
    app.register_main(lambda: None)
    app.run()
    assert log == [
        "client.start",
        "Mine.on_startup",
        "app startup",
        "app shutdown",
        "Mine.on_shutdown",
        "client.stop",
    ]


def test_without_main_the_app_runs_until_stopped(app: App, log: list[str]) -> None:
    started = threading.Event()
    app.register_startup(started.set)
    app.run(background=True)
    assert started.wait(5)
    assert app.runner is not None and app.runner.is_running()
    assert not app.shutdown_requested
    assert app.stop(5) is True
    assert log == ["client.start", "client.stop"]


def test_stop_wait_and_flag_before_any_run(app: App) -> None:
    assert app.runner is None and app.exception is None
    assert not app.shutdown_requested
    assert app.wait_for_shutdown(0.01) is False
    assert app.stop() is True
    assert app.shutdown_requested and app.wait_for_shutdown(0) is True


def test_background_failure_is_kept_in_app_exception(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    boom = RuntimeError("sensor on fire")
    done = threading.Event()

    @app.main
    def loop() -> None:
        raise boom

    app.register_shutdown(done.set)
    app.run(background=True)
    assert done.wait(5)
    assert app.stop(5)
    assert app.exception is boom
    assert any(
        r.levelno == logging.ERROR and r.exc_info and r.exc_info[1] is boom for r in caplog.records
    )


def test_background_run_again_starts_a_fresh_runner_and_refuses_a_second_run(app: App) -> None:
    in_main = threading.Event()

    @app.main
    def loop(runner: ThingRunner) -> None:
        in_main.set()
        runner.wait_for_shutdown(10)

    app.run(background=True)
    assert in_main.wait(5)
    first = app.runner
    with pytest.raises(RuntimeError, match=r"already running; call app\.stop"):
        app.run(background=True)
    with pytest.raises(RuntimeError, match="already running"):
        app.run()
    assert app.stop(5)
    in_main.clear()
    app.run(background=True)
    assert in_main.wait(5)
    assert app.runner is not first
    assert not app.shutdown_requested
    assert app.stop(5)


def test_background_run_that_ended_by_itself_can_run_again(app: App, log: list[str]) -> None:
    app.register_main(lambda: log.append("main"))
    for _ in range(3):
        app.run(background=True)
        runner = app.runner
        assert runner is not None and runner.stop(5)
    assert log.count("main") == 3


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"base": int}, TypeError, r"base must be a ThingRunner subclass .* got <class 'int'>"),
        ({"base": "ThingRunner"}, TypeError, r"base must be a ThingRunner subclass"),
        ({"client": object()}, TypeError, r"client must be an object with start\(\) and stop"),
        ({"retry_timeout": -1}, ValueError, r"retry_timeout must be .* got -1"),
        ({"retry_timeout": "15"}, TypeError, r"retry_timeout must be .* got '15'"),
    ],
)
def test_bad_arguments_are_rejected_at_once(
    kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        App(**kwargs)


def test_app_passes_config_and_retry_timeout_to_the_runner(client: RecordingClient) -> None:
    app = App(client=client, retry_timeout=2.5)
    app.register_main(lambda: None)
    app.run()
    assert app.runner is not None
    assert app.runner.retry_timeout == 2.5
    assert app.runner.client is client


def test_plain_method_twins(app: App, log: list[str]) -> None:
    handlers: dict[str, Callable[..., Any]] = {
        "startup": lambda: log.append("startup"),
        "main": lambda: 1 / 0,
        "shutdown": lambda exc_info: log.append(f"shutdown {exc_info[0].__name__}") or True,
    }
    app.register_startup(handlers["startup"])
    app.register_main(handlers["main"])
    app.register_shutdown(handlers["shutdown"])
    app.register_on_exception(lambda ctx: log.append(f"on_exception {ctx.value}"), RunContext.MAIN)
    app.run()
    assert [line for line in log if not line.startswith("client")] == [
        "startup",
        "on_exception main",
        "shutdown ZeroDivisionError",
    ]


def test_keyboard_interrupt_in_main_runs_shutdown_with_none(app: App, log: list[str]) -> None:
    def loop() -> None:
        raise KeyboardInterrupt

    app.register_main(loop)
    app.register_on_exception(lambda: log.append("never"))
    app.register_shutdown(lambda exc_info: log.append(f"shutdown {exc_info}"))
    app.run()
    assert log == ["client.start", "shutdown None", "client.stop"]


@pytest.mark.parametrize(
    ("config", "error"),
    [("bogus://x", ValueError), ("/nonexistent/agent.ini", FileNotFoundError), (42, TypeError)],
)
def test_bad_config_is_rejected_where_the_app_is_made(config: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match="config"):
        App(config=config)


def test_config_is_checked_on_assignment_too(app: App) -> None:
    app.config = "local://elsewhere"
    with pytest.raises(ValueError, match="bogus"):
        app.config = "bogus://x"


@pytest.mark.parametrize(
    ("config", "error"),
    [("bogus://x", ValueError), ("/nonexistent/agent.ini", FileNotFoundError), (42, TypeError)],
)
def test_bad_config_is_rejected_where_the_runner_is_made(
    config: Any, error: type[Exception]
) -> None:
    with pytest.raises(error, match="config"):
        ThingRunner(config=config)


def test_a_client_failure_for_good_ends_a_background_app_and_status_says_so(
    log: list[str],
) -> None:
    from iotic_app.exceptions import SessionTakenOver
    from tests.test_runner import FailingClient

    client = FailingClient(log)
    app = App(client=client, retrying=True, retry_timeout=0, name="sharer")
    sharing = threading.Event()
    shutdowns: list[Any] = []

    @app.main
    def share(runner: Any) -> None:
        sharing.set()
        while not runner.wait_for_shutdown(0.01):
            pass

    @app.shutdown
    def bye(exc_info: Any) -> None:
        shutdowns.append(exc_info[0] if exc_info else None)

    app.run(background=True)
    assert sharing.wait(5)
    client.fail(SessionTakenOver("another process connected as agent 'sharer'"))
    assert app.stop(5) is True
    assert isinstance(app.exception, SessionTakenOver)
    assert app.status.state == "failed"
    assert app.status.reason is not None and app.status.reason.startswith("SessionTakenOver")
    assert shutdowns == [SessionTakenOver]
    assert log == ["client.start", "client.stop"]


def test_stop_between_making_the_runner_and_its_run_is_not_lost() -> None:
    """app.run() in one thread makes the runner, then runs it; an app.stop() from another
    thread landing between the two used to be cleared by the run, which then ran on."""
    made = threading.Event()
    stopped = threading.Event()
    waited: list[bool] = []

    class Slow(ThingRunner):
        def run(self, background: bool = False) -> None:
            made.set()
            stopped.wait(5)  # app.stop() lands here, before the run begins
            super().run(background)

    app = App(base=Slow)

    @app.main
    def main(runner: ThingRunner) -> None:
        waited.append(runner.wait_for_shutdown(5))

    thread = threading.Thread(target=app.run)
    thread.start()
    assert made.wait(5)
    app.stop(0)
    stopped.set()
    thread.join(5)
    assert not thread.is_alive()
    assert waited == [True]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda app: app.stop("1"), TypeError, "timeout must be None or a number.*'1'"),
        (lambda app: app.stop(True), TypeError, "timeout must be None or a number"),
        (lambda app: app.stop(-1), ValueError, "non-negative.*-1"),
        (lambda app: app.stop(math.nan), ValueError, "non-negative.*nan"),
        (lambda app: app.wait_for_shutdown("1"), TypeError, "timeout must be None"),
        (lambda app: app.run(background="no"), TypeError, "background must be True or False"),
        (lambda app: App(retrying="yes"), TypeError, "'retrying' must be"),
        (lambda app: App(name=5), TypeError, "'name' must be"),
    ],
)
def test_run_arguments_are_checked(call: Any, error: type[Exception], match: str) -> None:
    app = App(config=f"local://args-{uuid.uuid4().hex[:8]}?agent=a")
    with pytest.raises(error, match=match):
        call(app)


def test_an_infinite_timeout_waits_for_ever_like_none() -> None:
    app = App(config=f"local://inf-{uuid.uuid4().hex[:8]}?agent=a")

    @app.main
    def main(runner: ThingRunner) -> None:
        assert runner.wait_for_shutdown(math.inf)  # no OverflowError: waits until the stop

    app.run(background=True)
    assert app.stop(math.inf)
    assert app.exception is None
