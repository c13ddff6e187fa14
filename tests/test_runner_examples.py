"""The runner examples run as scripts and print what they do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name: str, *args: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return out.stdout.splitlines()


def test_minimal_agent() -> None:
    lines = run_example("minimal_agent.py", "--count", "3", "--interval", "0")
    assert lines == [
        "started as agent minimal_agent: thing 'counter' with feed 'count'",
        "shared count=1",
        "shared count=2",
        "shared count=3",
        "shutting down",
    ]


def test_retrying_agent_retries_then_succeeds() -> None:
    lines = run_example("retrying_agent.py")
    assert lines[0] == "startup done (it is not re-run on retries)"
    assert sum("raising ConnectionError" in line for line in lines) == 2
    assert lines[-4:] == ["shared 21.5 C", "shared 21.7 C", "shared 21.6 C", "done"]


@pytest.mark.parametrize("name", ["classic_runner.py", "classic_app.py"])
def test_the_classic_agent_written_both_ways_behaves_the_same(name: str) -> None:
    assert run_example(name, "--count", "2") == [
        "on_startup: thing and feed created",
        "main: shared reading 1",
        "main: shared reading 2",
        "on_shutdown: clean",
    ]
