"""App.status, repr(app), app.restart() and the graceful stop of background runs at exit."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from iotic_app import App, ThingRunner
from iotic_app.app import AppStatus
from tests.conftest import RecordingClient


class ConnectedClient(RecordingClient):
    """Says whether it is connected and how deep its outbox is, as the real clients do."""

    outbox_depth = 7

    def is_connected(self) -> bool:
        return self.started


def test_status_through_a_run(log: list[str]) -> None:
    app = App(client=ConnectedClient(log), name="sensor")
    assert app.status == AppStatus("not started")
    assert repr(app) == "<App 'sensor': not started>"
    in_main = threading.Event()

    @app.main
    def loop(runner: ThingRunner) -> None:
        in_main.set()
        runner.wait_for_shutdown(10)

    app.run(background=True)
    assert in_main.wait(5)
    assert app.status == AppStatus("running", None, 1, True, 7)
    assert repr(app) == "<App 'sensor': running, attempts=1, connected=True, outbox_depth=7>"
    assert app.stop(5)
    assert app.status == AppStatus("stopped", None, 1, False, 7)


def test_status_of_a_failed_run_says_why(client: RecordingClient) -> None:
    app = App(client=client, retry_timeout=0)
    app.register_main(lambda: {}["sensor"])
    app.run(background=True)
    assert app.runner is not None and app.runner.stop(5)
    status = app.status
    assert (status.state, status.reason, status.attempts) == ("failed", "KeyError: 'sensor'", 1)
    assert status.connected is None and status.outbox_depth is None
    assert "failed (KeyError: 'sensor')" in repr(app)


def test_status_counts_attempts(client: RecordingClient) -> None:
    app = App(client=client, retry_timeout=0, retrying=True)
    failures = [ConnectionError("a"), ConnectionError("b")]

    @app.main
    def loop() -> None:
        if failures:
            raise failures.pop()

    app.run()
    assert app.status.attempts == 3 and app.status.state == "stopped"


def test_restart_stops_and_starts_fresh(client: RecordingClient) -> None:
    app = App(client=client)
    starts: list[ThingRunner] = []
    in_main = threading.Event()

    @app.main
    def loop(runner: ThingRunner) -> None:
        starts.append(runner)
        in_main.set()
        runner.wait_for_shutdown(10)

    app.restart()  # nothing running yet: just starts
    assert in_main.wait(5)
    in_main.clear()
    app.restart()
    assert in_main.wait(5)
    assert len(starts) == 2 and starts[0] is not starts[1]
    assert not starts[0].is_running() and starts[1].is_running()
    assert app.stop(5)


def test_restart_refuses_when_the_run_does_not_stop_in_time(client: RecordingClient) -> None:
    app = App(client=client)
    release = threading.Event()
    in_main = threading.Event()

    @app.main
    def stubborn() -> None:
        in_main.set()
        release.wait(10)

    app.run(background=True)
    assert in_main.wait(5)
    with pytest.raises(RuntimeError, match=r"did not stop within 0.01 s"):
        app.restart(timeout=0.01)
    release.set()
    assert app.stop(5)


def test_background_runs_are_stopped_gracefully_at_interpreter_exit(tmp_path: Path) -> None:
    script = tmp_path / "agent.py"
    script.write_text(
        textwrap.dedent(
            """
            import sys, threading
            from iotic_app import App

            class Client:
                def start(self): print("connected", flush=True)
                def stop(self): print("client stopped", flush=True)

            app = App(client=Client())
            ready = threading.Event()

            @app.main
            def loop(runner):
                ready.set()
                runner.wait_for_shutdown()

            @app.shutdown
            def bye(exc_info):
                print("on_shutdown", exc_info, flush=True)

            app.run(background=True)
            ready.wait(5)
            print("script ends", flush=True)
            """
        )
    )
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=30, check=True
    )
    assert out.stdout.splitlines() == [
        "connected",
        "script ends",
        "on_shutdown None",
        "client stopped",
    ]


def test_status_of_an_embedded_space_app_has_no_outbox() -> None:
    app = App(config="local://status-test?agent=s")
    app.register_main(lambda runner: runner.wait_for_shutdown(10))
    app.run(background=True)
    try:
        assert app.status.state in {"running", "stopping"}
        assert app.status.outbox_depth is None
    finally:
        assert app.stop(5)
