"""Classic scripts that rely on the subscriptions the space keeps (restore by list_connections,
the catch-all of a kept follow, subscription callbacks, list_followers), imports ported by
substitution alone; each step a process of its own on a stock Mosquitto, all in one
interpreter on local:// (one process's space), judged by what they print."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest_mqtt import StockMqttSpace
from test_imports import port

CLASSIC = Path(__file__).parent / "classic"
SCRIPTS = [
    "kept_share.py",
    "kept_follow.py",
    "kept_restore.py",
    "kept_catchall.py",
    "kept_watch.py",
    "kept_watch_follow.py",
]

#: (script, arguments, what it prints)
STEPS: list[tuple[str, tuple[str, ...], list[str]]] = [
    ("kept_share.py", (), ["followers 0 []"]),
    (
        "kept_follow.py",
        (),
        ["subscribed RemoteFeed True kept_follow", "connections [(True, True)]"],
    ),
    ("kept_share.py", ("1", "3"), ["followers 1 [True]", "shared 1", "shared 2", "shared 3"]),
    ("kept_restore.py", (), ["re-following 32", "restored 1", "restored 2", "restored 3"]),
    ("kept_share.py", ("4", "5"), ["followers 1 [True]", "shared 4", "shared 5"]),
    ("kept_catchall.py", (), ["catchall 4 fresh True", "catchall 5 fresh True"]),
]
EXPECTED_WATCH = ["ready", "subscription True kept_watch counter 1", "followers 1"]


def _ported(folder: Path, url: str) -> None:
    """The scripts with their import lines ported, and agent1.ini, agent2.ini (one owner)."""
    for name in SCRIPTS:
        lines = (CLASSIC / name).read_text().splitlines()
        (folder / name).write_text("\n".join(port(line) for line in lines) + "\n")
    for agent in ("agent1", "agent2"):
        (folder / f"{agent}.ini").write_text(
            f"[agent]\nurl = {url.replace('AGENT', agent)}\nowner = plant\n"
        )


def _lines(done: subprocess.CompletedProcess[str]) -> list[str]:
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_restore_catchall_and_followers_on_mqtt_as_processes(tmp_path: Path) -> None:
    pytest.importorskip("paho")
    _ported(tmp_path, StockMqttSpace().url("AGENT"))
    for script, args, expected in STEPS:
        done = subprocess.run(
            [sys.executable, script, *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=40,
        )
        assert _lines(done) == expected, (script, done.stderr[-2000:])


def test_restore_catchall_and_followers_on_local_in_one_process(tmp_path: Path) -> None:
    _ported(tmp_path, "local://classic-kept?agent=AGENT")
    program = "import runpy, sys\n" + "".join(
        f"sys.argv = [{script!r}, *{list(args)!r}]; print('--', {script!r})\n"
        f"runpy.run_path({script!r}, run_name='__main__')\n"
        for script, args, _ in STEPS
    )
    done = subprocess.run(
        [sys.executable, "-c", program], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    expected = [line for script, _, lines in STEPS for line in (f"-- {script}", *lines)]
    assert _lines(done) == expected, done.stderr[-2000:]


def test_the_subscription_callback_on_mqtt_as_two_processes(tmp_path: Path) -> None:
    pytest.importorskip("paho")
    _ported(tmp_path, StockMqttSpace().url("AGENT"))
    with subprocess.Popen(
        [sys.executable, "kept_watch.py"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as watcher:
        try:
            assert watcher.stdout is not None
            assert watcher.stdout.readline() == "ready\n"
            follow = subprocess.run(
                [sys.executable, "kept_watch_follow.py"],
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=40,
            )
            assert _lines(follow) == ["followed"]
            out, err = watcher.communicate(timeout=40)
        finally:
            watcher.kill()
    assert watcher.returncode == 0, err
    assert ["ready", *out.splitlines()] == EXPECTED_WATCH


def test_the_subscription_callback_on_local_in_one_process(tmp_path: Path) -> None:
    _ported(tmp_path, "local://classic-watch?agent=AGENT")
    program = """\
import runpy, sys, threading

ready = threading.Event()
real = sys.stdout


class Tee:
    # whole lines per thread (print writes its parts one by one), and 'ready' seen

    def __init__(self):
        self.parts = {}
        self.lock = threading.Lock()

    def write(self, text):
        me = threading.get_ident()
        with self.lock:
            line = self.parts.get(me, '') + text
            *done, self.parts[me] = line.split('\\n')
            for whole in done:
                real.write(whole + '\\n')
                if whole == 'ready':
                    ready.set()
        return len(text)

    def flush(self):
        real.flush()


sys.stdout = Tee()
watcher = threading.Thread(target=runpy.run_path, args=('kept_watch.py',),
                           kwargs={'run_name': '__main__'})
watcher.start()
assert ready.wait(20)
runpy.run_path('kept_watch_follow.py', run_name='__main__')
watcher.join(30)
"""
    done = subprocess.run(
        [sys.executable, "-c", program], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert sorted(_lines(done)) == sorted([*EXPECTED_WATCH, "followed"]), done.stderr[-2000:]
