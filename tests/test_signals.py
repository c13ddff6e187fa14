"""Real signals to a real agent subprocess: SIGTERM and SIGINT shut down, a second one exits."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest
from _agentproc import AgentProcess

pytestmark = pytest.mark.timeout(30)

#: A foreground agent that says where it is; BLOCK makes its shutdown handler hang.
AGENT = """
import time
from iotic_app import App

app = App(config="local://signals-test")

@app.startup
def hello():
    print("startup: done", flush=True)

@app.main
def wait(runner):
    print("main: waiting", flush=True)
    runner.wait_for_shutdown()
    print("main: returned", flush=True)

@app.shutdown
def bye(exc_info):
    print(f"shutdown: {{exc_info!r}}", flush=True)
    if {block}:
        print("shutdown: blocking", flush=True)
        time.sleep(60)
        print("shutdown: unblocked", flush=True)

if __name__ == "__main__":
    app.run()
    print("run: returned", flush=True)
"""

#: How each launcher reports a KeyboardInterrupt that escaped ``app.run()``.
INTERRUPTED = {
    "cli": 130,  # the CLI's documented status
    "script": -signal.SIGINT,  # Python re-raises an uncaught KeyboardInterrupt as SIGINT
}


def _launch(tmp_path: Path, launcher: str, *, block: bool) -> AgentProcess:
    path = tmp_path / ("blocking_agent.py" if block else "agent.py")
    path.write_text(AGENT.format(block=block))
    if launcher == "cli":
        return AgentProcess(["-m", "iotic_app", "run", str(path)], cwd=tmp_path)
    return AgentProcess(["-u", str(path)], cwd=tmp_path)


@pytest.mark.parametrize("launcher", ["cli", "script"])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_shuts_down_gracefully(
    tmp_path: Path, launcher: str, signum: signal.Signals
) -> None:
    with _launch(tmp_path, launcher, block=False) as agent:
        agent.expect("main: waiting")
        agent.signal(signum)
        code = agent.wait()
        out = "".join(agent.stdout)
        assert code == 0, agent.output()
        assert "shutdown: None\n" in out, agent.output()
        assert "Traceback" not in "".join(agent.stderr), agent.output()
        if launcher == "script":
            assert out.endswith("run: returned\n"), "run() returns normally"


@pytest.mark.parametrize("launcher", ["cli", "script"])
@pytest.mark.parametrize(
    ("first", "second"),
    [
        (signal.SIGINT, signal.SIGINT),
        (signal.SIGTERM, signal.SIGINT),
        (signal.SIGTERM, signal.SIGTERM),
    ],
    ids=["INT-INT", "TERM-INT", "TERM-TERM"],
)
def test_a_second_signal_while_shutting_down_exits_at_once(
    tmp_path: Path, launcher: str, first: signal.Signals, second: signal.Signals
) -> None:
    with _launch(tmp_path, launcher, block=True) as agent:
        agent.expect("main: waiting")
        agent.signal(first)
        agent.expect("shutdown: blocking")
        sent = time.monotonic()
        agent.signal(second)
        code = agent.wait()
        elapsed = time.monotonic() - sent
        assert code == INTERRUPTED[launcher], agent.output()
        # The handler sleeps for 60 s: anything near that means the signal did not cut it short.
        assert elapsed < 10, agent.output()
        out = "".join(agent.stdout)
        assert "shutdown: unblocked" not in out
        assert "run: returned" not in out


#: A foreground agent that stops at one POINT of its run and says so; there it holds, in plain
#: Python code, until the runner says a shutdown was requested (start-up, main, on_exception) or,
#: where a shutdown is under way already, until the test creates the file "release".
POINTS_AGENT = """
import logging
import os
import sys
import time
from iotic_app import App

POINT = {point!r}


def say(text):  # one write per line: the signal watcher logs from a thread of its own
    sys.stdout.write(text + "\\n")
    sys.stdout.flush()


def hold(where, runner=None):
    say(f"at: {{where}}")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if runner is not None and runner.shutdown_requested:
            break
        if runner is None and os.path.exists("release"):
            break
        time.sleep(0.005)
    asked = None if runner is None else runner.shutdown_requested
    say(f"left: {{where}} shutdown_requested={{asked}}")


class SayingClient:
    started = False

    def start(self):
        if POINT == "client start":
            hold("client start")
        self.started = True
        say("client: started")

    def stop(self):
        if POINT == "client stop" and self.started:
            hold("client stop")
        self.started = False
        say("client: stopped")


class Say(logging.Handler):
    def emit(self, record):
        say("log: " + record.getMessage())


runner_log = logging.getLogger("iotic_app.runner")
runner_log.addHandler(Say())
runner_log.setLevel(logging.INFO)

app = App(client=SayingClient(), retry_timeout=30, name="points")


@app.startup
def setup(runner):
    if POINT == "startup":
        hold("startup", runner)


@app.main
def main(runner):
    if POINT == "main":
        hold("main", runner)
    if POINT in ("on_exception", "retry wait"):
        raise RuntimeError("boom")


@app.on_exception
def decide(runner, exc_info):
    if POINT == "on_exception":
        hold("on_exception", runner)
    return True  # retry after retry_timeout (30 s): only a stop ends the wait


@app.shutdown
def bye(exc_info):
    name = None if exc_info is None else exc_info[0].__name__
    say(f"shutdown: {{name}}")
    if POINT == "on_shutdown":
        hold("on_shutdown")


if __name__ == "__main__":
    app.run()
    say("run: returned")
"""

#: Where each point's marker comes from (the retry wait's is the runner's log line).
MARKERS = {
    "client start": "at: client start",
    "startup": "at: startup",
    "main": "at: main",
    "on_exception": "at: on_exception",
    "retry wait": "log: pointsRunner retrying main in 30 s after RuntimeError: boom",
    "on_shutdown": "at: on_shutdown",
    "client stop": "at: client stop",
}

#: What on_shutdown gets: None after a graceful end, the failure that was waiting to be retried.
SHUTDOWN_GETS = {
    "client start": "None",
    "startup": "None",
    "main": "None",
    "on_exception": "RuntimeError",
    "retry wait": "RuntimeError",
    "on_shutdown": "None",
    "client stop": "None",
}


def _launch_points(tmp_path: Path, launcher: str, point: str) -> AgentProcess:
    path = tmp_path / "points_agent.py"
    path.write_text(POINTS_AGENT.format(point=point))
    if launcher == "cli":
        return AgentProcess(["-m", "iotic_app", "run", str(path)], cwd=tmp_path)
    return AgentProcess(["-u", str(path)], cwd=tmp_path)


#: Every point through the CLI; a plain script where what a signal interrupted used to escape.
CASES = [("cli", point) for point in MARKERS] + [
    ("script", point) for point in ("on_exception", "on_shutdown", "client stop")
]


@pytest.mark.parametrize(("launcher", "point"), CASES, ids=[f"{p}-{w}" for w, p in CASES])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_at_any_point_ends_in_one_shutdown_and_a_stopped_client(
    tmp_path: Path, launcher: str, point: str, signum: signal.Signals
) -> None:
    with _launch_points(tmp_path, launcher, point) as agent:
        agent.expect(MARKERS[point])
        agent.signal(signum)
        (tmp_path / "release").touch()  # after the signal: it is pending by now
        code = agent.wait()
        out = agent.stdout
        assert code == 0, agent.output()
        assert [line for line in out if line.startswith("shutdown:")] == [
            f"shutdown: {SHUTDOWN_GETS[point]}\n"
        ], agent.output()
        assert out.count("client: started\n") == out.count("client: stopped\n") == 1, agent.output()
        events = [line for line in out if line.startswith(("shutdown:", "client:"))]
        assert events[-2:] == [f"shutdown: {SHUTDOWN_GETS[point]}\n", "client: stopped\n"], (
            agent.output()
        )
        if point in ("startup", "main", "on_exception"):
            # The first signal asked the runner to stop; nothing was raised where it landed.
            assert f"left: {point} shutdown_requested=True\n" in out, agent.output()
        if point in ("on_shutdown", "client stop", "client start"):
            assert f"left: {point} shutdown_requested=None\n" in out, agent.output()
        err = "".join(agent.stderr)
        assert "Traceback" not in err and "interrupted again" not in err, agent.output()
        if launcher == "script":
            assert out[-1] == "run: returned\n", agent.output()


@pytest.mark.parametrize("launcher", ["cli", "script"])
def test_a_second_signal_exits_at_once_where_the_first_is_not_heeded(
    tmp_path: Path, launcher: str
) -> None:
    """A main that never looks at the runner: the first SIGTERM only asks; the second exits."""
    path = tmp_path / "deaf_agent.py"
    path.write_text(
        "import time\n"
        "from iotic_app import App\n"
        "app = App(config='local://deaf')\n"
        "@app.main\n"
        "def main():\n"
        "    print('main: deaf', flush=True)\n"
        "    time.sleep(60)\n"
        "if __name__ == '__main__':\n"
        "    app.run()\n"
    )
    argv = ["-m", "iotic_app", "run", str(path)] if launcher == "cli" else ["-u", str(path)]
    with AgentProcess(argv, cwd=tmp_path) as agent:
        agent.expect("main: deaf")
        agent.signal(signal.SIGTERM)
        with pytest.raises(subprocess.TimeoutExpired):
            agent.proc.wait(0.5)  # asked, not killed: main goes on
        sent = time.monotonic()
        agent.signal(signal.SIGTERM)
        code = agent.wait()
        assert time.monotonic() - sent < 10
        assert code == INTERRUPTED[launcher], agent.output()
