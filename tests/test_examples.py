"""The client examples run as scripts on the embedded space, end by themselves, print results."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_example(name: str, *args: str) -> str:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("IOTIC_APP_CONFIG", None)
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / name), *args],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout


def test_share_basic() -> None:
    out = run_example("share_basic.py", "--count", "3", "--interval", "0.01")
    assert re.findall(r"shared count=(\d+)", out) == ["1", "2", "3"]
    assert "agent 'share_basic'" in out


def test_follow_basic_starts_a_demo_sharer_and_receives() -> None:
    out = run_example("follow_basic.py", "--count", "3")
    assert "starting a demo sharer" in out
    received = [int(n) for n in re.findall(r"\[follow\] count=(\d+)", out)]
    assert len(received) == 3 and received == sorted(received)
    assert f"received {received}" in out


def test_offer_control_serves_the_demo_switcher() -> None:
    out = run_example("offer_control.py", "--count", "3")
    assert re.findall(r"\[lamp\] tell: switch (on|off)", out) == ["on", "off", "on"]
    assert re.findall(r"\[switch\] tell on=(\w+): (\w+)", out) == [
        ("True", "True"),
        ("False", "True"),
        ("True", "True"),
    ]
    assert "done after 3 requests" in out


def test_attach_control_tells_and_asks() -> None:
    out = run_example("attach_control.py", "--count", "2")
    assert "starting a demo lamp" in out
    assert re.findall(r"\[switch\] tell on=(\w+): (\w+)", out) == [
        ("True", "True"),
        ("False", "True"),
    ]
    assert "ask on=False sent" in out


def test_search_things() -> None:
    out = run_example("search_things.py")
    assert "text 'weather': 3 found" in out
    assert "within 500 km of Brussels: 2 found" in out
    assert "unit percent: 1 found" in out
    assert "Oslo humidity station" in out


def test_share_and_follow_prints_what_arrives() -> None:
    out = run_example("share_and_follow.py", "--count", "4", "--interval", "0.01")
    received = [int(n) for n in re.findall(r"\[follow\] count=(\d+)", out)]
    assert len(received) == 4
    assert received == list(range(received[0], received[0] + 4))  # in order, none lost
    assert out.rstrip().endswith("[main] both agents stopped")


@pytest.mark.parametrize(
    "name",
    [
        "share_basic.py",
        "follow_basic.py",
        "offer_control.py",
        "attach_control.py",
        "search_things.py",
        "share_and_follow.py",
    ],
)
def test_examples_accept_config(name: str) -> None:
    out = run_example(name, "--help")
    assert "--config" in out
