"""Classic scripts, imports ported by substitution alone, run as processes; judged by output."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest_mqtt import StockMqttSpace
from test_imports import port

CLASSIC = Path(__file__).parent / "classic"
SCRIPTS = ["share_basic.py", "follow_basic.py"]


def _ported(folder: Path, url: str) -> None:
    """Each script with its import lines ported (nothing else changed), and its agent1.ini."""
    for name in SCRIPTS:
        lines = (CLASSIC / name).read_text().splitlines()
        (folder / name).write_text("\n".join(port(line) for line in lines) + "\n")
    (folder / "agent1.ini").write_text(f"[agent]\nurl = {url}\n")


def _run(folder: Path, *args: str) -> list[str]:
    """The script's output lines, but for ``live ...`` ones: the last sample arrives at a new
    follow on MQTT (the broker keeps it) and not on local://, so it is judged apart."""
    done = subprocess.run(
        [sys.executable, *args], cwd=folder, capture_output=True, text=True, timeout=45
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert {line for line in lines if line.startswith("live ")} <= {"live 5"}
    return [line for line in lines if not line.startswith("live ")]


EXPECTED_SHARE = [
    "labels ['\"Share basic example\"@en'] descriptions ['\"Shares a counter\"@en']",
    "created feed share_basic share_basic_feed",
    *[f"shared {n}" for n in range(1, 6)],
]
EXPECTED_FOLLOW = [
    "following [True]",
    *[f"recent {n} fresh True" for n in range(1, 6)],
    "none []",
    "point Point Counter feed [('count', 'Random Counter', True, True)]",
    "thing Entity Share basic example Shares a counter 52.427 0.327 ['example', 'share'] [True]",
]


def test_the_pair_on_local_in_one_process(tmp_path: Path) -> None:
    """local:// is one process's space: share_basic then follow_basic, run in one interpreter."""
    _ported(tmp_path, "local://classic-pair?agent=agent1")
    both = (
        "import runpy; runpy.run_path('share_basic.py', run_name='__main__'); "
        "runpy.run_path('follow_basic.py', run_name='__main__')"
    )
    assert _run(tmp_path, "-c", both) == EXPECTED_SHARE + EXPECTED_FOLLOW


def test_the_pair_on_mqtt_as_two_processes(tmp_path: Path) -> None:
    """On a stock Mosquitto: share_basic's process ends, then follow_basic's starts."""
    pytest.importorskip("paho")
    _ported(tmp_path, StockMqttSpace().url("agent1"))
    assert _run(tmp_path, "share_basic.py") == EXPECTED_SHARE
    assert _run(tmp_path, "follow_basic.py") == EXPECTED_FOLLOW
