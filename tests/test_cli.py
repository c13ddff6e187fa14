"""The ``iotic-app`` command line, run as users run it: in a subprocess."""

from __future__ import annotations

import re
import shutil
import sys
import textwrap
from pathlib import Path

import pytest
from _agentproc import run_to_end

pytestmark = pytest.mark.timeout(30)

#: An agent that reports what the command line set up, then ends by itself.
AGENT = """
import sys
from iotic_app import App

import helper  # a sibling module: the file's directory must be importable

app = App(config="local://cli-test")

@app.main
def report(app):
    print("name", __name__)
    print("argv0", sys.argv[0])
    print("config", app.config)
    print("retry_timeout", repr(app.retry_timeout))
    print("helper", helper.VALUE)

@app.shutdown
def bye(exc_info):
    print("shutdown", exc_info)

if __name__ == "__main__":
    print("the __main__ block ran")
    app.run()
"""

#: One compact line per log record: date, time, level, logger, message.
LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (DEBUG|INFO|WARNING|ERROR|CRITICAL) [\w.]+: "
)


@pytest.fixture
def agent(tmp_path: Path) -> Path:
    """An agent file in its own directory, with a sibling module it imports."""
    directory = tmp_path / "agents"
    directory.mkdir()
    (directory / "helper.py").write_text("VALUE = 42\n")
    path = directory / "agent.py"
    path.write_text(AGENT)
    return path


def _write(path: Path, source: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path


def _lines(text: str) -> dict[str, str]:
    return dict(line.split(" ", 1) for line in text.splitlines() if " " in line)


def test_run_a_file_finds_its_app_and_imports_it_not_as_main(agent: Path, tmp_path: Path) -> None:
    code, out, err = run_to_end(["-m", "iotic_app", "run", str(agent)], cwd=tmp_path)
    assert code == 0, err
    assert "the __main__ block ran" not in out
    seen = _lines(out)
    assert seen["name"] != "__main__"
    assert Path(seen["argv0"]) == agent
    assert seen["config"] == "local://cli-test"
    assert seen["retry_timeout"] == "15"
    assert seen["helper"] == "42"
    assert seen["shutdown"] == "None"


def test_log_lines_are_compact_and_info_by_default(agent: Path, tmp_path: Path) -> None:
    code, _, err = run_to_end(["-m", "iotic_app", "run", str(agent)], cwd=tmp_path)
    assert code == 0, err
    records = [line for line in err.splitlines() if line.strip()]
    assert records, "the runner logs at least one INFO line when it starts"
    assert all(LOG_LINE.match(line) for line in records), err
    assert any(" INFO iotic_app.runner: " in line for line in records), err
    assert not any(" DEBUG " in line for line in records), err


def test_log_level_warning_hides_info(agent: Path, tmp_path: Path) -> None:
    code, _, err = run_to_end(
        ["-m", "iotic_app", "run", str(agent), "--log-level", "warning"], cwd=tmp_path
    )
    assert code == 0, err
    assert " INFO " not in err


def test_options_set_the_app(agent: Path, tmp_path: Path) -> None:
    code, out, err = run_to_end(
        [
            "-m",
            "iotic_app",
            "run",
            f"{agent}:app",
            "--config",
            "local://other?agent=bob",
            "--retry-timeout",
            "0.5",
        ],
        cwd=tmp_path,
    )
    assert code == 0, err
    seen = _lines(out)
    assert seen["config"] == "local://other?agent=bob"
    assert seen["retry_timeout"] == "0.5"


def test_relative_path_from_the_current_directory(agent: Path) -> None:
    code, out, err = run_to_end(
        ["-m", "iotic_app", "run", "agents/agent.py"], cwd=agent.parent.parent
    )
    assert code == 0, err
    assert _lines(out)["helper"] == "42"


def test_path_name_chooses_among_several_apps(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "two.py",
        """
        from iotic_app import App
        first = App(config="local://cli-two")
        second = App(config="local://cli-two")

        @first.main
        def one():
            print("first ran")

        @second.main
        def two():
            print("second ran")
        """,
    )
    code, out, err = run_to_end(["-m", "iotic_app", "run", f"{path}:second"], cwd=tmp_path)
    assert (code, out) == (0, "second ran\n"), err

    code, out, err = run_to_end(["-m", "iotic_app", "run", str(path)], cwd=tmp_path)
    assert code == 2
    assert out == ""
    assert "several App objects" in err
    assert f"{path}:first" in err and f"{path}:second" in err


def test_one_app_under_two_names_is_one_app(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "alias.py",
        """
        from iotic_app import App
        app = App(config="local://cli-alias")
        application = app

        @app.main
        def hello():
            print("hello")
        """,
    )
    code, out, err = run_to_end(["-m", "iotic_app", "run", str(path)], cwd=tmp_path)
    assert (code, out) == (0, "hello\n"), err


def test_a_factory_function_makes_the_app(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "factory.py",
        """
        from iotic_app import App

        def build_app(greeting="hello"):
            app = App(config="local://cli-factory")

            @app.main
            def hello():
                print(greeting, "from a factory")

            return app
        """,
    )
    code, out, err = run_to_end(["-m", "iotic_app", "run", f"{path}:build_app"], cwd=tmp_path)
    assert (code, out) == (0, "hello from a factory\n"), err

    code, out, err = run_to_end(["-m", "iotic_app", "run", str(path)], cwd=tmp_path)
    assert code == 2
    assert "name a function that returns one: path:FUNCTION" in err


def test_package_module_name(tmp_path: Path) -> None:
    _write(tmp_path / "mypkg" / "__init__.py", "")
    _write(
        tmp_path / "mypkg" / "agent.py",
        """
        from iotic_app import App
        app = App(config="local://cli-pkg")

        @app.main
        def hello():
            print("hello from", __name__)
        """,
    )
    for target in ("mypkg.agent:app", "mypkg.agent"):
        code, out, err = run_to_end(["-m", "iotic_app", "run", target], cwd=tmp_path)
        assert (code, out) == (0, "hello from mypkg.agent\n"), err


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("none.py", "no App found at module level in 'none.py'"),
        ("none.py:app", "'none.py' has no attribute 'app'"),
        ("notapp.py:app", "notapp.py:app must be an iotic_app.App or a function that returns"),
        ("notapp.py:factory", "notapp.py:factory() must return an iotic_app.App, got str 'x'"),
        ("missing.py", "no such file: 'missing.py'"),
        ("no_such_pkg.agent:app", "no module named 'no_such_pkg.agent'"),
    ],
)
def test_bad_targets_are_usage_errors(tmp_path: Path, target: str, message: str) -> None:
    _write(tmp_path / "none.py", "x = 1\n")
    _write(tmp_path / "notapp.py", "app = 3\ndef factory():\n    return 'x'\n")
    code, out, err = run_to_end(["-m", "iotic_app", "run", target], cwd=tmp_path)
    assert code == 2
    assert out == ""
    assert "usage:" in err
    assert message in err


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--retry-timeout", "-1"], "argument --retry-timeout: must be a non-negative number"),
        (["--retry-timeout", "soon"], "got 'soon'"),
        (["--retry-timeout", "nan"], "got 'nan'"),
        (["--log-level", "loud"], "argument --log-level: must be one of DEBUG, INFO"),
        (["--config", "bogus://x"], "argument --config: config 'bogus://x' has unknown scheme"),
        (["--config", "missing.ini"], "argument --config: config file 'missing.ini'"),
    ],
)
def test_bad_options_are_usage_errors(
    agent: Path, tmp_path: Path, options: list[str], message: str
) -> None:
    code, out, err = run_to_end(["-m", "iotic_app", "run", str(agent), *options], cwd=tmp_path)
    assert code == 2
    assert out == ""
    assert message in err


def test_no_command_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = run_to_end(["-m", "iotic_app"], cwd=tmp_path)
    assert code == 2
    assert "usage: python -m iotic_app" in err


def test_a_failing_main_exits_1_with_the_error_logged(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "failing.py",
        """
        from iotic_app import App
        app = App(config="local://cli-fail")

        @app.main
        def broken():
            raise RuntimeError("sensor on fire")

        @app.shutdown
        def bye(exc_info):
            print("shutdown saw", exc_info[0].__name__)
        """,
    )
    code, out, err = run_to_end(["-m", "iotic_app", "run", str(path)], cwd=tmp_path)
    assert code == 1
    assert out == "shutdown saw RuntimeError\n"
    assert re.search(r" ERROR iotic_app\.cli: .*RuntimeError: sensor on fire", err), err
    assert "Traceback" in err


def test_a_session_taken_over_ends_a_sharing_main_and_exits_1_naming_it(tmp_path: Path) -> None:
    """A main that only shares never raises: the client's failure for good ends the run."""
    path = _write(
        tmp_path / "sharer.py",
        """
        import threading
        from iotic_app import App
        from iotic_app.exceptions import SessionTakenOver

        class Client:  # as iotic_app.Client when another process takes the session over
            def __init__(self):
                self.listeners = []
            def add_failure_listener(self, listener):
                self.listeners.append(listener)
            def start(self):
                exc = SessionTakenOver("another process connected as agent 'sharer'")
                fire = lambda: [listener(exc) for listener in self.listeners]
                threading.Timer(0.05, fire).start()
            def stop(self):
                print("client stopped", flush=True)

        app = App(client=Client(), retrying=True, retry_timeout=0)

        @app.main
        def share(runner):
            while not runner.wait_for_shutdown(0.01):
                pass  # feed.share(...) returns normally and only queues

        @app.shutdown
        def bye(app, exc_info):
            print("shutdown saw", exc_info[0].__name__, flush=True)
        """,
    )
    code, out, err = run_to_end(["-m", "iotic_app", "run", str(path)], cwd=tmp_path)
    assert code == 1, err
    assert out == "shutdown saw SessionTakenOver\nclient stopped\n"
    assert re.search(r" ERROR iotic_app\.cli: .*SessionTakenOver: another process", err), err
    assert "retrying" not in err


def test_a_package_whose_import_fails_is_not_reported_as_missing(tmp_path: Path) -> None:
    _write(tmp_path / "brokenpkg" / "__init__.py", "import no_such_dependency\n")
    _write(tmp_path / "brokenpkg" / "agent.py", "")
    code, out, err = run_to_end(["-m", "iotic_app", "run", "brokenpkg.agent:app"], cwd=tmp_path)
    assert out == ""
    assert code == 1
    assert "No module named 'no_such_dependency'" in err
    assert "usage:" not in err


def test_an_agent_that_fails_to_import_exits_1(tmp_path: Path) -> None:
    path = _write(tmp_path / "broken.py", "import no_such_module_anywhere\n")
    code, out, err = run_to_end(["-m", "iotic_app", "run", str(path)], cwd=tmp_path)
    assert code == 1
    assert out == ""
    assert "ERROR iotic_app.cli: cannot load" in err
    assert "no_such_module_anywhere" in err


def test_help(tmp_path: Path) -> None:
    code, out, _ = run_to_end(["-m", "iotic_app", "--help"], cwd=tmp_path)
    assert code == 0
    assert out.startswith("usage: python -m iotic_app")
    assert "run" in out

    code, out, _ = run_to_end(["-m", "iotic_app", "run", "--help"], cwd=tmp_path)
    assert code == 0
    for option in ("TARGET", "--config", "--log-level", "--retry-timeout", "path:NAME"):
        assert option.replace("path:NAME", "agent.py:NAME") in out


def _console_script() -> str | None:
    beside = Path(sys.executable).parent / "iotic-app"
    return str(beside) if beside.exists() else shutil.which("iotic-app")


@pytest.mark.skipif(_console_script() is None, reason="iotic-app is not installed (pip install .)")
def test_console_script(agent: Path, tmp_path: Path) -> None:
    script = _console_script()
    assert script is not None
    code, out, _ = run_to_end([script, "--help"], cwd=tmp_path)
    assert code == 0
    assert out.startswith("usage: iotic-app")
    code, out, err = run_to_end([script, "run", str(agent)], cwd=tmp_path)
    assert code == 0, err
    assert _lines(out)["helper"] == "42"


def test_retry_timeout_reaches_the_runner_and_retries_are_logged(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "flaky.py",
        """
        from iotic_app import App
        app = App(config="local://cli-flaky", retrying=True, retry_timeout=3600)
        attempts = []

        @app.startup
        def connect():
            attempts.append(1)
            if len(attempts) < 3:
                raise ConnectionError("broker away")

        @app.main
        def done():
            print("started after", len(attempts), "attempts")
        """,
    )
    code, out, err = run_to_end(
        ["-m", "iotic_app", "run", str(path), "--retry-timeout", "0"], cwd=tmp_path, timeout=20
    )
    assert (code, out) == (0, "started after 3 attempts\n"), err
    retries = [line for line in err.splitlines() if "retrying" in line]
    assert len(retries) == 2, err
    assert all(LOG_LINE.match(line) for line in retries), err
    assert all("ConnectionError: broker away" in line for line in retries), err
    assert all(" 0 s" in line for line in retries), err


def test_config_option_overrides_a_broken_script_ini(tmp_path: Path) -> None:
    """`--config` is how a classic script with a py-IoticAgent <script>.ini beside it is run:
    App() (config=None) must not fail on that .ini before the option replaces it."""
    _write(
        tmp_path / "share_basic.py",
        """
        from iotic_app import App

        app = App()

        @app.main
        def report(client):
            print("space", client.config.space)
        """,
    )
    secret = "s3cr3t-passwd"
    (tmp_path / "share_basic.ini").write_text(
        f"[agent]\nhost = h:5671\nepid = e\npasswd = {secret}\ntoken = t\n"
    )
    (tmp_path / "other.ini").write_text("[agent]\nurl = local://other_space\n")
    code, out, err = run_to_end(
        ["-m", "iotic_app", "run", "share_basic.py", "--config", "other.ini"], cwd=tmp_path
    )
    assert code == 0, err
    assert _lines(out)["space"] == "other_space"
    # without --config the script's .ini is still the one that fails, clearly
    code, _, err = run_to_end(["-m", "iotic_app", "run", "share_basic.py"], cwd=tmp_path)
    assert code == 1
    assert "py-IoticAgent" in err and secret not in err
