"""Attack on issue 14: the directory service on a broker list, when the first broker dies."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest_directory import StartDirectory

from iotic_app import Client

pytestmark = pytest.mark.timeout(120)


def test_the_directory_moves_to_the_next_broker_and_answers_there(
    two_brokers: Any, start_directory: StartDirectory, tmp_path: Path
) -> None:
    a, b = two_brokers
    listed = f"mqtt://127.0.0.1:{a.port},127.0.0.1:{b.port}"
    service = start_directory(listed, name="dir1")
    with (
        Client(f"{listed}?agent=alice&outbox={tmp_path / 'alice'}") as alice,
        Client(f"{listed}?agent=bob&outbox={tmp_path / 'bob'}") as bob,
    ):
        thing = alice.create_thing("pump")
        with thing.get_meta() as meta:
            meta.set_label("River pump")
        thing.set_public()
        deadline = time.monotonic() + 20
        pause = threading.Event()
        while thing.guid not in list(bob.search(text="river")):
            assert time.monotonic() < deadline, "not found on A"
            pause.wait(0.1)
        a.kill()
        deadline = time.monotonic() + 30
        found: list[Any] = []
        while time.monotonic() < deadline:
            try:
                found = list(bob.search(text="river"))
            except Exception as exc:
                found = [repr(exc)]
            if thing.guid in found:
                break
            pause.wait(0.2)
        assert thing.guid in found, (found, repr(service), service.settings.where)
        assert service.settings.port == b.port
