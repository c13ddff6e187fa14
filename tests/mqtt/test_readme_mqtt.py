"""README's "On an MQTT broker" commands, as a user runs them: a directory, then the sharer and
the follower, each its own process, on a stock Mosquitto."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from broker import Broker

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(90)


def test_readme_mqtt_pair_with_a_directory(stock_broker: Broker, tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT), XDG_DATA_HOME=str(tmp_path), HOME=str(tmp_path))
    env.pop("IOTIC_APP_CONFIG", None)
    url = stock_broker.url
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert 'iotic-app directory --config "mqtt://127.0.0.1:1883"' in readme
    directory = subprocess.Popen(
        [sys.executable, "-m", "iotic_app", "directory", "--config", url],
        env=env,
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert directory.stderr is not None
        for line in directory.stderr:  # its log says when it serves
            if "resynced" in line:
                break
        else:
            pytest.fail(f"the directory ended: {directory.wait()}")
        share = [sys.executable, "examples/share_basic.py", "--config", f"{url}?agent=sharer"]
        sharer = subprocess.Popen(
            [*share, "--count", "0", "--interval", "0.05"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            follow = [
                sys.executable,
                "examples/follow_basic.py",
                "--config",
                f"{url}?agent=follower",
            ]
            follower = subprocess.run(
                [*follow, "--count", "3", "--wait", "30"],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=60,
            )
        finally:
            sharer.send_signal(signal.SIGINT)
            sharer.wait(20)
        assert follower.returncode == 0, follower.stderr
        assert "Traceback" not in follower.stderr, follower.stderr
        done = r"\[follow\] done: received \[\d+, \d+, \d+\]"
        assert re.search(done, follower.stdout), follower.stdout
    finally:
        directory.send_signal(signal.SIGINT)
        directory.communicate(timeout=20)  # reads the rest of its log and closes the pipe
