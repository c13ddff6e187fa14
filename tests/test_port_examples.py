"""benchmarks/port_examples.py on small classic scripts of its own: each verdict, both brokers."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest_mqtt import need_mosquitto

REPO = Path(__file__).resolve().parent.parent
TOOL = REPO / "benchmarks" / "port_examples.py"
CLASSIC = Path(__file__).parent / "ioticagent" / "classic"

CASES = [
    {
        "script": "tiny_alive.py",
        "inis": ["Tiny.ini"],
        "expect": [r"Connected\? \.\.\. True", r"\(guid\): [0-9a-f]{32}", "Main running"],
    },
    {"script": "tiny_needs_lib.py", "inis": ["Tiny.ini"], "expect": ["Connected"]},
    {"script": "tiny_alive.py", "inis": ["Tiny.ini"], "expect": ["a line it never prints"]},
    {"script": "tiny_alive.py", "space": "follows a hard-coded Iotic Space guid"},
    {  # the evidence is in the output of a partner stopped before it: not the script's
        "script": "tiny_quiet.py",
        "inis": ["Tiny.ini"],
        "partners": [{"script": "tiny_alive.py", "stop": True, "ready": "Main running"}],
        "expect": ["Main running"],
    },
]


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("port_examples", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["port_examples"] = module
    spec.loader.exec_module(module)
    return module


def _measure(tmp_path: Path, broker: str) -> dict[str, Any]:
    cases = tmp_path / "cases.json"
    cases.write_text(json.dumps(CASES))
    argv = [sys.executable, str(TOOL), "--examples", str(CLASSIC), "--cases", str(cases)]
    argv += ["--broker", broker, "--timeout", "3", "--grace", "10", "--json"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=50, check=True)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _verdicts(result: dict[str, Any]) -> list[str]:
    return [outcome["verdict"] for outcome in result["outcomes"]]


EXPECTED = [
    "works",
    "missing dependency not_a_module_anyone_has",
    "runs-but-does-nothing",
    "needs the Iotic Space",
    "runs-but-does-nothing",
]


@pytest.mark.timeout(60)
def test_each_verdict_on_local(tmp_path: Path) -> None:
    result = _measure(tmp_path, "local")
    assert _verdicts(result) == EXPECTED
    assert result["totals"]["works"] == 1 and result["totals"]["in_scope"] == 4


@pytest.mark.timeout(60)
def test_each_verdict_on_a_stock_mosquitto(tmp_path: Path) -> None:
    need_mosquitto()
    assert _verdicts(_measure(tmp_path, "mqtt")) == EXPECTED


def test_the_substitution_touches_import_lines_only() -> None:
    tool = _tool()
    text = "from IoticAgent import IOT\n  import IoticAgent.Units\nprint('IoticAgent')\n"
    assert tool.port(text) == (
        "from iotic_app.ioticagent import IOT\n  import iotic_app.ioticagent.Units\n"
        "print('IoticAgent')\n"
    )


def test_a_traceback_is_the_failing_scripts() -> None:
    tool = _tool()
    stderr = (
        "noise\nTraceback (most recent call last):\n"
        '  File "/tmp/x/_launch.py", line 22, in _run\n'
        '  File "share_basic.py", line 17, in <module>\n'
        "    from rdflib.namespace import Namespace\n"
        "ModuleNotFoundError: No module named 'rdflib'\n"
    )
    assert tool.tracebacks(stderr) == [
        (["_launch.py", "share_basic.py"], "ModuleNotFoundError: No module named 'rdflib'")
    ]


@pytest.mark.timeout(60)
def test_a_case_own_broker_is_taken_in_turns(tmp_path: Path) -> None:
    """Two cases needing one fixed port (mqtt_bridge's 127.0.0.1:1883) do not clash: the
    second waits for the first's broker to close, then gets its own on that port."""
    import socket
    import threading

    from broker import free_port

    need_mosquitto()
    tool = _tool()
    port = free_port()
    second_up = threading.Event()

    def second() -> None:
        with tool._own_broker(tmp_path / "b", port) as own:
            assert own.port == port
            second_up.set()

    with tool._own_broker(tmp_path / "a", port) as own:
        assert own.port == port
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
        thread = threading.Thread(target=second)
        thread.start()
        assert not second_up.wait(1.0)  # waits for the lock the first holds
    assert second_up.wait(20)
    thread.join(20)
    with tool._own_broker(tmp_path / "c", None) as nothing:
        assert nothing is None
