"""Local storage faults of the MQTT outbox: a read-only folder, a full disk, a damaged file, a
file deleted while the client runs. Each gives a clear error naming the file and what to do,
and loses nothing that can be recovered."""

from __future__ import annotations

import errno
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from broker import Broker

from iotic_app.client import Client

PATIENCE = 20.0


def _mount(where: Path, options: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root, to mount a small tmpfs")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True
    )
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A folder on a tmpfs of 1 MiB of its own, that a test may fill."""
    where = tmp_path / "disk"
    where.mkdir()
    _mount(where, "size=1m")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(disk: Path) -> Path:
    """Fill *disk* up to the last byte; return the filler file (delete it to free the disk)."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for size in (65536, 4096, 512, 64, 1):
            while True:
                try:
                    os.write(fd, b"\0" * size)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC
                    break
    finally:
        os.close(fd)
    return filler


def wait_for(check: Any, what: str, timeout: float = PATIENCE) -> None:
    pause = threading.Event()
    for _ in range(int(timeout / 0.01)):
        if check():
            return
        pause.wait(0.01)
    pytest.fail(f"timed out waiting for {what}")


def wait_for_broker_save(broker: Broker) -> None:
    """Wait until Mosquitto's autosave wrote its database after now."""
    since = time.time()
    db = broker.directory / "broker.db"
    wait_for(lambda: db.exists() and db.stat().st_mtime > since, "broker autosave")


class Collector:
    def __init__(self) -> None:
        self.received: list[int] = []
        self.cond = threading.Condition()

    def __call__(self, args: dict[str, Any]) -> None:
        with self.cond:
            self.received.append(args["data"])
            self.cond.notify_all()

    def wait(self, count: int) -> list[int]:
        with self.cond:
            self.cond.wait_for(lambda: len(self.received) >= count, PATIENCE)
            return list(self.received)


def test_read_only_outbox_folder_fails_start_naming_the_file(
    broker_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    _mount(folder, "ro,size=64k")
    try:
        client = Client(f"{broker_url}?agent=ro_agent&outbox={folder}")
        with pytest.raises(OSError) as caught:
            client.start()
        message = str(caught.value)
        assert str(folder / "ro_agent.sqlite") in message
        assert "writable" in message and "'outbox'" in message
        assert not client.is_connected()
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_damaged_outbox_file_fails_start_naming_the_file(broker_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "box"
    folder.mkdir()
    (folder / "bad_agent.sqlite").write_bytes(b"this is not an sqlite database" * 100)
    client = Client(f"{broker_url}?agent=bad_agent&outbox={folder}")
    with pytest.raises(OSError) as caught:
        client.start()
    message = str(caught.value)
    assert str(folder / "bad_agent.sqlite") in message
    assert "damaged" in message and "move it aside" in message
    assert (folder / "bad_agent.sqlite").exists()  # left for the user to look at


def test_full_disk_share_raises_naming_the_file_and_the_link_still_delivers(
    own_broker: Broker, small_disk: Path, tmp_path: Path
) -> None:
    """On a full disk share() raises OSError naming the share log (nothing is stored then);
    every share that returned is delivered, also across a reconnect while the disk is full."""
    got = Collector()
    sharer = Client(f"{own_broker.url}?agent=sharer&outbox={small_disk}")
    follower = Client(f"{own_broker.url}?agent=follower&outbox={tmp_path / 'fbox'}")
    returned: list[int] = []
    with sharer, follower:
        thing = sharer.create_thing("src")
        thing.set_public()
        feed = thing.create_feed("f", save_recent=5)
        follower.create_thing("sink").follow(feed.guid, callback=got)
        wait_for_broker_save(own_broker)  # the follower's session survives the kill below
        n = 0
        for _ in range(5):
            feed.share(n)
            returned.append(n)
            n += 1
        filler = fill(small_disk)
        own_broker.kill()
        failure: OSError | None = None
        for _ in range(10_000):  # until the disk is full for the share log too
            try:
                feed.share(n)
            except OSError as exc:
                failure = exc
                break
            returned.append(n)
            n += 1
        assert failure is not None, "share() never reported the full disk"
        assert str(small_disk / "sharer.sqlite.shares.") in str(failure)
        assert "not stored" in str(failure)
        own_broker.start()
        wait_for(sharer.is_connected, "the sharer to reconnect on a full disk")
        assert got.wait(len(returned)) == returned
        filler.unlink()  # space again: shares are stored and go out as before
        for m in range(n + 1, n + 4):
            feed.share(m)
            returned.append(m)
        assert got.wait(len(returned)) == returned


def test_outbox_folder_deleted_while_running_is_made_again_and_loses_nothing(
    own_broker: Broker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A cleaner deletes the outbox folder while values wait in it (the broker is away): the
    client makes its files again from what it has open, says so, and the next run sends all."""
    import logging
    import shutil

    folder = tmp_path / "sbox"
    sharer_url = f"{own_broker.url}?agent=sharer&outbox={folder}"
    got = Collector()
    follower = Client(f"{own_broker.url}?agent=follower&outbox={tmp_path / 'fbox'}")
    sharer = Client(sharer_url)
    with follower:
        with sharer:
            thing = sharer.create_thing("src")
            thing.set_public()
            feed = thing.create_feed("f", save_recent=20)
            follower.create_thing("sink").follow(feed.guid, callback=got)
            wait_for_broker_save(own_broker)  # the follower's session survives the kill
            own_broker.kill()
            for n in range(5):
                feed.share(n)
            sharer._transport._outbox.flush()  # type: ignore[attr-defined]
            with caplog.at_level(logging.ERROR, logger="iotic_app.mqtt"):
                shutil.rmtree(folder)
                for n in range(5, 10):
                    feed.share(n)
                wait_for(lambda: "deleted while the client ran" in caplog.text, "the files again")
            assert f"{folder / 'sharer.sqlite'}" in caplog.text and "deleted" in caplog.text
        own_broker.start()
        with Client(sharer_url):  # the next run finds every waiting value
            assert got.wait(10) == list(range(10))
