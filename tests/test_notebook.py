"""An App in a real Jupyter kernel: cells run in the background, again, restarted, shut down."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")  # else jupyter_core warns on import
nbformat = pytest.importorskip("nbformat", reason="notebook tests need nbformat (test extra)")
nbclient = pytest.importorskip("nbclient", reason="notebook tests need nbclient (test extra)")
pytest.importorskip("ipykernel", reason="notebook tests need ipykernel (test extra)")

pytestmark = pytest.mark.timeout(60)

REPO = Path(__file__).resolve().parent.parent

SETUP = """
import sys, threading, time, pathlib
sys.path.insert(0, {repo!r})
from iotic_app import App

print("executable", sys.executable)
MARK = pathlib.Path({mark!r})
app = App(config="local://notebook-test", name="nb")
runners = []
main_running = threading.Event()

@app.main
def loop(runner):
    runners.append(runner)
    main_running.set()
    runner.wait_for_shutdown()

@app.shutdown
def bye(runner, exc_info):
    with MARK.open("a") as f:
        f.write(f"shutdown of run {{runners.index(runner)}}: {{exc_info!r}}\\n")
"""

RUN = "app.run(background=True)"

CHECK_RUNNING = """
assert main_running.wait(10), "main did not start"
assert app.status.state == "running", app.status
print("status", app.status)
print("repr", repr(app))
"""

RESTART = """
first = app.runner
main_running.clear()
app.restart()
assert main_running.wait(10), "main did not start again"
assert app.runner is not first and not first.is_running()
assert runners == [first, app.runner]
assert MARK.read_text() == "shutdown of run 0: None\\n", MARK.read_text()
assert app.status.state == "running", app.status
print("restarted", repr(app))
"""

FAILED = """
bad = App(config="local://notebook-test", name="bad")

@bad.main
def boom():
    raise ValueError("sensor on fire")

bad.run(background=True)
assert bad.stop(10), "the failing run did not end"
assert isinstance(bad.exception, ValueError)
assert bad.status.state == "failed", bad.status
print("failed", repr(bad))
"""


def _cell(source: str, *, raises: bool = False) -> Any:
    cell = nbformat.v4.new_code_cell(textwrap.dedent(source).strip())
    if raises:
        cell.metadata["tags"] = ["raises-exception"]
    return cell


def _text(cell: Any) -> str:
    return "".join(out.get("text", "") for out in cell.outputs if out.output_type == "stream")


@pytest.fixture
def python3_kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The "python3" kernel, pinned to this interpreter whatever other kernelspecs exist."""
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "Python 3", "language": "python"})
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))  # searched first
    return "python3"


def test_an_app_in_a_real_kernel(tmp_path: Path, python3_kernel: str) -> None:
    mark = tmp_path / "shutdown.txt"
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        _cell(SETUP.format(repo=str(REPO), mark=str(mark))),
        _cell(f"t0 = time.monotonic()\n{RUN}\nprint('returned', time.monotonic() - t0)"),
        _cell(CHECK_RUNNING),
        _cell(RUN, raises=True),  # the same cell run again while the app runs
        _cell(RESTART),
        _cell(FAILED),
        # Left running: shutting the kernel down must still run the shutdown handler.
    ]
    client = nbclient.NotebookClient(
        nb,
        timeout=30,
        kernel_name=python3_kernel,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError if any cell not tagged raises-exception fails

    setup, run, running, again, restart, failed = nb.cells
    assert f"executable {sys.executable}\n" in _text(setup), "the kernel runs this interpreter"

    returned = float(_text(run).split()[-1])
    assert returned < 1, "app.run(background=True) returns at once"

    text = _text(running)
    assert "status running, attempts=1" in text
    assert "repr <App 'nb': running, attempts=1" in text

    errors = [out for out in again.outputs if out.output_type == "error"]
    assert len(errors) == 1, again.outputs
    assert errors[0].ename == "RuntimeError"
    assert "already running" in errors[0].evalue
    assert "stop()" in errors[0].evalue, "the message says what to do"

    assert "restarted <App 'nb': running" in _text(restart)
    assert "failed <App 'bad': failed (ValueError: sensor on fire)" in _text(failed)

    # nbclient has shut the kernel down: the run left going was stopped gracefully at exit.
    assert mark.read_text().splitlines() == [
        "shutdown of run 0: None",
        "shutdown of run 1: None",
    ]
