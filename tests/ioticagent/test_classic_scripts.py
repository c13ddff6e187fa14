"""Classic scripts, imports ported by substitution alone, run as processes; judged by output."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest_mqtt import StockMqttSpace
from test_imports import port

CLASSIC = Path(__file__).parent / "classic"
SCRIPTS = ["share_basic.py", "follow_basic.py"]
SEARCH_SCRIPTS = ["share_props.py", "follow_search_local.py", "follow_search_global_property.py"]


def _ported(folder: Path, url: Callable[[str], str], scripts: list[str] = SCRIPTS) -> None:
    """Each script with its import lines ported (nothing else changed), and agent1.ini and
    agent2.ini: two agents of one owner, as the classic pairs ran (share_basic as agent1,
    follow_basic as agent2, naming the feed by ``(lid, pid)``)."""
    for name in scripts:
        lines = (CLASSIC / name).read_text().splitlines()
        (folder / name).write_text("\n".join(port(line) for line in lines) + "\n")
    for agent in ("agent1", "agent2"):
        (folder / f"{agent}.ini").write_text(f"[agent]\nurl = {url(agent)}\nowner = examples\n")


def _ported_owned(folder: Path, url: Callable[[str], str]) -> None:
    """The search scripts, ported, with agent1.ini and agent2.ini: two agents of one owner."""
    _ported(folder, url, SEARCH_SCRIPTS)
    for agent in ("agent1", "agent2"):
        (folder / f"{agent}.ini").write_text(f"[agent]\nurl = {url(agent)}\nowner = plant\n")


def _run(folder: Path, *args: str) -> list[str]:
    """The script's output lines, but for ``live ...`` ones, judged apart: on MQTT a new follow
    gets the feed's last sample (the broker keeps it), and where sharer and follower are one
    agent, the follower's process also publishes again the sharer's values of the outbox's
    replay window (docs/mqtt.md), so it may see some of them live, in order; local:// has
    neither."""
    done = subprocess.run(
        [sys.executable, *args], cwd=folder, capture_output=True, text=True, timeout=45
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    live = [line for line in lines if line.startswith("live ")]
    assert live == sorted(set(live)) and set(live) <= {f"live {n}" for n in range(1, 6)}, live
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
    _ported(tmp_path, lambda agent: f"local://classic-pair?agent={agent}")
    both = (
        "import runpy; runpy.run_path('share_basic.py', run_name='__main__'); "
        "runpy.run_path('follow_basic.py', run_name='__main__')"
    )
    assert _run(tmp_path, "-c", both) == EXPECTED_SHARE + EXPECTED_FOLLOW


def test_the_pair_on_mqtt_as_two_processes(tmp_path: Path) -> None:
    """On a stock Mosquitto: share_basic's process ends, then follow_basic's starts."""
    pytest.importorskip("paho")
    space = StockMqttSpace()
    _ported(tmp_path, space.url)
    assert _run(tmp_path, "share_basic.py") == EXPECTED_SHARE
    assert _run(tmp_path, "follow_basic.py") == EXPECTED_FOLLOW


EXPECTED_SHARE_PROPS = [
    f"created {lid} public {public} properties "
    "[('http://iotics.com/ns#category', ['http://iotics.com/categories#Example'])]"
    for lid, public in (("share_basic", True), ("share_private", False), ("share_pointless", True))
] + [f"shared {n}" for n in range(1, 4)]
EXPECTED_SEARCH_LOCAL = [
    "public ['share basic example']",
    "own ['share basic example', 'share basic private']",
    "followed share basic example stores True recent [1, 2, 3]",
    "followed share basic private stores True recent [1, 2, 3]",
    "reduced [['Feed'], ['Feed']]",
    "located [('share basic example', (52.427, 0.327)), ('share basic private', (52.427, 0.327))]",
    "minimal 2",
]
EXPECTED_SEARCH_PROPERTY = [
    "public ['share basic example']",
    "followed share basic example recent [1, 2, 3]",
    "own 2",
    "with pointless 2",
    "located ['share basic example']",
]


def test_the_search_scripts_on_local_in_one_process(tmp_path: Path) -> None:
    """share_props (agent1), then follow_search_local and follow_search_global_property (agent2,
    of the same owner), in one interpreter: local:// is one process's space."""
    _ported_owned(tmp_path, lambda agent: f"local://classic-search?agent={agent}")
    runs = "; ".join(f"runpy.run_path({name!r}, run_name='__main__')" for name in SEARCH_SCRIPTS)
    assert _run(tmp_path, "-c", f"import runpy; {runs}") == (
        EXPECTED_SHARE_PROPS + EXPECTED_SEARCH_LOCAL + EXPECTED_SEARCH_PROPERTY
    )


@pytest.mark.needs_directory  # its space gets a directory
def test_the_search_scripts_on_mqtt_as_processes(tmp_path: Path) -> None:
    """On a stock Mosquitto: share_props' process ends, then each follower's runs."""
    pytest.importorskip("paho")
    space = StockMqttSpace()
    _ported_owned(tmp_path, space.url)
    assert _run(tmp_path, "share_props.py") == EXPECTED_SHARE_PROPS
    assert _run(tmp_path, "follow_search_local.py") == EXPECTED_SEARCH_LOCAL
    assert _run(tmp_path, "follow_search_global_property.py") == EXPECTED_SEARCH_PROPERTY


EXPECTED_BRIDGE = [
    "mqtt port None timeout 5",
    "entity created bridged agent2 True",
    "entity duplicated bridged agent2 True",
    "point created bridged temp",
    "share ('complete', None)",
    "tags ('complete', None)",
    "tag list ('complete', {'tags': {'en': ['hello']}})",
    "mine ['bridged']",
    "all [('bridged', 'agent2', False), ('share_basic', 'agent1', True), "
    "('share_pointless', 'agent1', True), ('share_private', 'agent1', False)]",
    "delete deleted bridged",
    "delete again failed True",
    "rename failed",
]


def _ported_bridge(folder: Path, url: Callable[[str], str]) -> None:
    """share_props (agent1) and bridge_requests (agent2, same owner; its ini has a [mqtt]
    section, which IOT.Config drops as 0.7.0's did, and an [iot] one, which it keeps)."""
    _ported_owned(folder, url)
    _ported(folder, url, ["share_props.py", "bridge_requests.py"])
    for agent in ("agent1", "agent2"):
        (folder / f"{agent}.ini").write_text(
            f"[agent]\nurl = {url(agent)}\nowner = plant\n\n[mqtt]\nport = 1884\n\n"
            "[iot]\nsync_request_timeout = 5\n"
        )


def test_the_bridge_requests_script_on_local_in_one_process(tmp_path: Path) -> None:
    _ported_bridge(tmp_path, lambda agent: f"local://classic-bridge?agent={agent}")
    runs = "; ".join(
        f"runpy.run_path({name!r}, run_name='__main__')"
        for name in ("share_props.py", "bridge_requests.py")
    )
    assert _run(tmp_path, "-c", f"import runpy; {runs}") == EXPECTED_SHARE_PROPS + EXPECTED_BRIDGE


def test_the_bridge_requests_script_on_mqtt_as_processes(tmp_path: Path) -> None:
    pytest.importorskip("paho")
    _ported_bridge(tmp_path, StockMqttSpace().url)
    assert _run(tmp_path, "share_props.py") == EXPECTED_SHARE_PROPS
    assert _run(tmp_path, "bridge_requests.py") == EXPECTED_BRIDGE
