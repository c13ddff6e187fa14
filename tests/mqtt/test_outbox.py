"""The durable outbox: order, acks, the bound's policy, and surviving a kill -9."""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest

from iotic_app.transports.mqtt import _outbox_files
from iotic_app.transports.mqtt._outbox import Outbox, OutboxInUse, default_folder


def test_append_reads_back_in_order_and_ack_removes(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "a.sqlite", replay=0)
    seqs = [box.append(f"t/{i}", f"v{i}".encode()) for i in range(5)]
    assert seqs == sorted(seqs) and len(set(seqs)) == 5
    assert box.depth == 5
    assert [(s, t, b) for s, t, b, _ in box.after(0, 10)] == [
        (s, f"t/{i}", f"v{i}".encode()) for i, s in enumerate(seqs)
    ]
    assert [row[0] for row in box.after(seqs[1], 2)] == seqs[2:4]
    box.ack(seqs[:3])
    assert box.depth == 2
    assert [row[0] for row in box.after(0, 10)] == seqs[3:]
    box.ack([seqs[0]])  # acking twice changes nothing
    assert box.depth == 2
    box.close()


def test_sequence_numbers_never_reused_and_epoch_kept(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    box = Outbox(path)
    first = box.append("t", b"1")
    box.ack([first])
    epoch = box.epoch
    box.close()
    again = Outbox(path)
    assert again.epoch == epoch
    assert again.depth == 0
    assert again.append("t", b"2") > first
    again.close()
    other = Outbox(tmp_path / "b.sqlite")
    assert other.epoch != epoch
    other.close()


def test_share_log_is_read_acked_and_moved_into_the_table(tmp_path: Path) -> None:
    """Rows wait in the share log until a flush, an ack or a read moves them: all see them."""
    path = tmp_path / "a.sqlite"
    box = Outbox(path, replay=0)
    seqs = [box.append("t", str(i).encode(), retain=bool(i % 2)) for i in range(4)]
    assert _log_size(tmp_path) > 0
    box.ack(seqs[:1])  # acked while only in the log
    assert box.depth == 3
    assert _log_size(tmp_path) == 0
    later = box.append("t", b"4")
    assert [(s, b, r) for s, _, b, r in box.after(0, 10)] == [
        (seqs[1], b"1", True),
        (seqs[2], b"2", False),
        (seqs[3], b"3", True),
        (later, b"4", False),
    ]
    box.append("t", b"5")
    box.flush()
    assert _log_size(tmp_path) == 0
    box.close()


def _crash_copy(box: Outbox, to: Path) -> Path:
    """Copy *box*'s files as a kill -9 would leave them, and return the copy's path."""
    to.mkdir()
    for file in box.path.parent.glob(box.path.name + "*"):
        shutil.copy(file, to / file.name)
    return to / box.path.name


def test_appends_after_a_commit_go_to_the_other_file(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "a.sqlite")
    first = box.append("t", b"1")
    box.flush()  # takes file 0 in; file 1 is written now
    second = box.append("t", b"2")
    assert (tmp_path / "a.sqlite.shares.0").stat().st_size == 0
    assert (tmp_path / "a.sqlite.shares.1").stat().st_size > 0
    copy = Outbox(_crash_copy(box, tmp_path / "crashed"))
    assert [row[0] for row in copy.after(0, 10)] == [first, second]
    copy.close()
    box.close()


def test_a_failed_commit_loses_no_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    box = Outbox(tmp_path / "a.sqlite")
    box.append("t", b"1")

    def broken(db: object, rows: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(_outbox_files, "insert_rows", broken)  # where commits take the log in
    with pytest.raises(sqlite3.OperationalError):
        box.flush()
    monkeypatch.undo()
    box.append("t", b"2")
    copy = Outbox(_crash_copy(box, tmp_path / "crashed"))  # a crash now: both on disk
    assert [row[2] for row in copy.after(0, 10)] == [b"1", b"2"]
    copy.close()
    assert [row[2] for row in box.after(0, 10)] == [b"1", b"2"]  # and the next commit has both
    assert box.depth == 2
    box.close()


def _log_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.glob("a.sqlite.shares.*"))


def test_batches_larger_than_one_statement(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "a.sqlite", replay=60)
    seqs = [box.append("t", str(i).encode()) for i in range(450)]
    assert [row[0] for row in box.after(0, 1000)] == seqs
    box.ack(seqs[:430])
    assert box.depth == 20
    assert box.requeue() == seqs[0] - 1
    assert box.depth == 450
    box.ack(seqs)  # again, and the rest
    assert box.depth == 0
    box.close()


def test_torn_record_at_the_end_of_the_share_log_is_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A crash inside a record's write (its share() never returned) loses only that record."""
    path = tmp_path / "a.sqlite"
    box = Outbox(path)
    box.append("t", b"kept")
    log = tmp_path / "a.sqlite.shares.0"
    whole = log.read_bytes()
    box.append("t", b"torn")
    torn = log.read_bytes()[len(whole) :]
    # the process dies: nothing flushed, and the second record half written
    copy = _crash_copy(box, tmp_path / "crashed")
    box.close()
    with open(copy.with_name(log.name), "r+b") as f:
        f.truncate(len(whole) + len(torn) // 2)
    with caplog.at_level(logging.WARNING, logger="iotic_app.mqtt"):
        again = Outbox(copy)
    assert [row[2] for row in again.after(0, 10)] == [b"kept"]
    assert "torn by a crash" in caplog.text
    assert _log_size(copy.parent) == 0
    again.close()


def test_log_taken_in_twice_after_a_crash_between_commit_and_truncate(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    log = tmp_path / "a.sqlite.shares.0"
    box = Outbox(path)
    seqs = [box.append("t", str(i).encode()) for i in range(3)]
    copy = log.read_bytes()
    box.flush()
    box.close()
    log.write_bytes(copy)  # as if the process died after the commit, before the truncation
    again = Outbox(path)
    assert [row[0] for row in again.after(0, 10)] == seqs
    assert again.depth == 3
    assert again.append("t", b"3") == seqs[-1] + 1
    again.close()


def test_full_outbox_drops_oldest_with_warning_and_count(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    box = Outbox(tmp_path / "a.sqlite", limit=3)
    with caplog.at_level(logging.WARNING, logger="iotic_app.mqtt"):
        seqs = [box.append("t", str(i).encode()) for i in range(5)]
    assert box.depth == 3
    assert box.dropped == 2
    assert [row[2] for row in box.after(0, 10)] == [b"2", b"3", b"4"]
    assert [row[0] for row in box.after(0, 10)] == seqs[2:]
    assert "is full" in caplog.text and "dropped the oldest" in caplog.text
    box.close()


def test_acked_rows_are_kept_for_the_replay_window(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "a.sqlite", replay=5)
    seqs = [box.append("t", str(i).encode()) for i in range(5)]
    assert box.requeue() == seqs[0] - 1
    box.ack(seqs[:2], at=100.0)
    box.ack(seqs[2:4], at=103.0)  # within 5 s of each other: nothing forgotten yet
    assert box.depth == 1
    assert [row[0] for row in box.after(0, 10)] == seqs
    box.ack(seqs[4:], at=106.0)  # the broker was alive 5 s after the first two: forgotten
    assert [row[0] for row in box.after(0, 10)] == seqs[2:]
    box.close()


def test_a_new_connection_resends_what_was_acked_within_the_window_before_the_last_ack(
    tmp_path: Path,
) -> None:
    """However long ago: the window is counted back from the latest acknowledgement (the last
    moment the broker is known to have been alive), not from the reconnect."""
    path = tmp_path / "a.sqlite"
    box = Outbox(path, replay=5)
    seqs = [box.append("t", str(i).encode()) for i in range(5)]
    box.ack(seqs[:2], at=1000.0)
    box.ack(seqs[2:4], at=1000.0 + 5.5)  # years ago; a second batch 5.5 s after the first
    assert box.depth == 1
    assert box.requeue() == seqs[2] - 1  # the first two: forgotten; the rest wait again
    assert box.depth == 3
    assert [row[0] for row in box.after(seqs[2] - 1, 10)] == seqs[2:]
    assert box.requeue() == seqs[2] - 1  # nothing acked since: the same again
    box.ack(seqs[2:])
    box.close()
    again = Outbox(path, replay=5)  # a new run: resends the last window of the last run
    assert again.depth == 0
    assert again.requeue() == seqs[2] - 1
    assert again.depth == 3
    again.close()


def test_nothing_is_replayed_with_a_zero_window(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "a.sqlite", replay=0)
    seqs = [box.append("t", str(i).encode()) for i in range(3)]
    box.ack(seqs)
    assert box.requeue() == seqs[-1]
    assert box.after(seqs[-1], 10) == []
    later = box.append("t", b"3")
    assert box.requeue() == later - 1
    assert box.after(0, 10) == [(later, "t", b"3", False)]
    box.close()


def test_ledger_remembers_last_seen(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    box = Outbox(path)
    assert box.last_seen("feed") is None
    box.mark_seen("feed", "e1", 7)
    box.mark_seen("feed", "e1", 9)
    box.close()
    assert Outbox(path).last_seen("feed") == ("e1", 9)


def test_append_that_returned_survives_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    script = (
        "import os, signal, sys\n"
        "from iotic_app.transports.mqtt._outbox import Outbox\n"
        "box = Outbox(sys.argv[1])\n"
        "for i in range(500):\n"
        "    box.append('t', str(i).encode())\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(path)], timeout=30)
    assert done.returncode == -9
    assert _log_size(tmp_path) > 0  # nothing moved them into the table yet
    box = Outbox(path)
    assert [row[2] for row in box.after(0, 1000)] == [str(i).encode() for i in range(500)]
    box.close()


def test_one_outbox_open_at_a_time(tmp_path: Path) -> None:
    """The outbox is locked while open: a second opener (another process of the agent) waits
    for it up to *wait* seconds, then fails naming it; once closed it opens at once."""
    path = tmp_path / "a.sqlite"
    box = Outbox(path)
    first = box.append("t", b"1")
    with pytest.raises(OutboxInUse, match=r"a\.sqlite' is in use by another client in this"):
        Outbox(path, wait=0.05)
    box.close()
    box.close()  # idempotent
    with pytest.raises(ValueError, match="is closed"):
        box.append("t", b"2")
    again = Outbox(path)
    assert again.append("t", b"2") == first + 1
    again.close()


def test_bad_limit_and_unopenable_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"outbox limit must be a positive int, got 0"):
        Outbox(tmp_path / "a.sqlite", limit=0)
    with pytest.raises(ValueError, match=r"outbox replay must be a non-negative number, got -1"):
        Outbox(tmp_path / "a.sqlite", replay=-1)
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OSError, match=r"cannot open the outbox file .*file/x/a.sqlite"):
        Outbox(blocker / "x" / "a.sqlite")


def test_default_folder_is_per_user(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert default_folder() == tmp_path / "iotic_app" / "outbox"
    monkeypatch.delenv("XDG_STATE_HOME")
    assert default_folder() == Path.home() / ".local" / "state" / "iotic_app" / "outbox"
    assert Outbox.for_agent("a1", tmp_path).path == tmp_path / "a1.sqlite"
    assert os.path.exists(tmp_path / "a1.sqlite")


def test_ledger_entry_survives_kill_9_before_any_flush(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    script = (
        "import os, signal, sys\n"
        "from iotic_app.transports.mqtt._outbox import Outbox\n"
        "box = Outbox(sys.argv[1])\n"
        "for i in range(1, 101):\n"
        "    box.mark_seen('feed/a', 'e1', i)\n"
        "box.mark_seen('feed/b', 'e2', 7)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(path)], timeout=30)
    assert done.returncode == -9
    box = Outbox(path)
    assert box.last_seen("feed/a") == ("e1", 100)
    assert box.last_seen("feed/b") == ("e2", 7)
    box.close()


def test_junk_inside_the_share_log_skips_only_the_junk(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Damage inside the share log loses only the damaged bytes: the records after them, whose
    share() had returned, are kept, and the warning says exactly what was skipped."""
    path = tmp_path / "a.sqlite"
    box = Outbox(path)
    seqs = [box.append("t", f"v{i}".encode()) for i in range(6)]
    copy = _crash_copy(box, tmp_path / "crashed")  # killed before the log went into the table
    box.close()
    log = copy.with_name(copy.name + ".shares.0")
    raw = log.read_bytes()
    size = len(raw) // 6
    # the third record is overwritten with junk, and junk is inserted after the fifth
    junk = b"\xff" * size
    damaged = raw[: 2 * size] + junk + raw[3 * size : 5 * size] + b"junk!" + raw[5 * size :]
    log.write_bytes(damaged)
    with caplog.at_level(logging.WARNING, logger="iotic_app.mqtt"):
        again = Outbox(copy)
    kept = [row[2] for row in again.after(0, 10)]
    assert kept == [b"v0", b"v1", b"v3", b"v4", b"v5"]
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2, messages
    assert f"skipped {size} bytes at offset {2 * size}" in messages[0]
    assert f"sequence number {seqs[2]} is lost" in messages[0]
    assert f"skipped 5 bytes at offset {5 * size}" in messages[1]
    assert "no value is lost" in messages[1]
    assert all(str(log) in m for m in messages)
    again.close()


@pytest.mark.parametrize("which", ["tuned", "stock"])
def test_recent_history_survives_a_sharer_restart(which: str, tmp_path: Path) -> None:
    """save_recent keeps what earlier runs of the sharer shared (it is kept in the outbox)."""
    from conftest_mqtt import shared_broker_url, stock_broker_url

    from iotic_app.client import Client

    base = shared_broker_url() if which == "tuned" else stock_broker_url()
    root = f"test-{uuid.uuid4().hex[:12]}"
    sharer_url = f"{base}?agent=sharer&root={root}&outbox={tmp_path / 'sbox'}"
    reader_url = f"{base}?agent=reader&root={root}&outbox={tmp_path / 'rbox'}"
    with Client(sharer_url) as sharer:
        thing = sharer.create_thing("src")
        thing.set_public()
        feed = thing.create_feed("f", save_recent=10)
        for n in range(5):
            feed.share({"n": n})
        guid = feed.guid
    with Client(sharer_url) as sharer:  # the next run of the sharer
        feed = sharer.create_thing("src").create_feed("f", save_recent=10)
        for n in range(5, 7):
            feed.share({"n": n})
        with Client(reader_url) as reader:
            remote = reader.create_thing("sink").follow(guid)
            assert [r["data"]["n"] for r in remote.get_recent(10)] == list(range(7))


def test_last_retained_body_per_topic_is_kept_until_forgotten(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    box = Outbox(path)
    box.append("t", b"1", retain=True)
    box.append("t", b"2", retain=True)
    box.append("t", b"not retained")
    box.append("u", b"3", retain=True)
    assert box.retained("t") == b"2"  # also before the share log went into the table
    copy = Outbox(_crash_copy(box, tmp_path / "crashed"))  # and after a kill -9
    assert (copy.retained("t"), copy.retained("u"), copy.retained("v")) == (b"2", b"3", None)
    copy.close()
    box.forget(["t"])
    box.close()
    again = Outbox(path)
    assert (again.retained("t"), again.retained("u")) == (None, b"3")
    again.close()


def test_ledger_of_a_closed_outbox_is_still_kept(tmp_path: Path) -> None:
    """A callback that runs on after the client stopped (and closed the outbox) still has its
    delivery recorded and read, without opening the outbox again (no files stay open)."""
    path = tmp_path / "a.sqlite"
    box = Outbox(path)
    box.mark_seen("feed", "e1", 3)
    box.close()
    fds = len(os.listdir("/proc/self/fd"))
    assert box.last_seen("feed") == ("e1", 3)
    box.mark_seen("feed", "e1", 4)
    assert box.last_seen("feed") == ("e1", 4)
    assert len(os.listdir("/proc/self/fd")) == fds
    again = Outbox(path)
    assert again.last_seen("feed") == ("e1", 4)
    again.close()


def test_replay_window_option(tmp_path: Path) -> None:
    from iotic_app.client import Client

    base = f"mqtt://127.0.0.1:1?agent=a&outbox={tmp_path}"
    transport: Any = Client(base + "&replay_window=30")._transport
    assert transport.settings.replay_window == 30.0
    assert Client(base + "&replay_window=0")._transport.settings.replay_window == 0  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match=r"'replay_window' .* from 0 to 86400 .*, got '-1'"):
        Client(base + "&replay_window=-1")


def test_a_restarted_sharer_numbers_its_values_on_from_the_last_run(tmp_path: Path) -> None:
    """A feed's value numbers ``n`` (followers count gaps with them) go on across a restart of
    the sharer, as its sequence numbers do, instead of starting at 1 again."""
    from conftest_mqtt import shared_broker_url

    from iotic_app.client import Client

    base = shared_broker_url()
    root = f"test-{uuid.uuid4().hex[:12]}"
    url = f"{base}?agent=sharer&root={root}&outbox={tmp_path / 'sbox'}"
    for _run in range(2):
        with Client(url) as sharer:
            feed = sharer.create_thing("src").create_feed("f")
            for n in range(3):
                feed.share({"n": n})
    host, port = base.split("//")[1].split(":")
    retained = subprocess.run(
        ["mosquitto_sub", "-h", host, "-p", port, "-t", f"{root}/sharer/src/feed/f", "-C", "1"],
        capture_output=True,
        timeout=10,
        check=True,
    ).stdout
    assert json.loads(retained)["n"] == 6


def test_a_share_log_that_cannot_open_its_second_file_closes_the_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from iotic_app.transports.mqtt import _sharelog

    opened: list[tuple[int, tuple[int, int]]] = []
    real_open_log = _sharelog.open_log

    def open_log(path: Path, what: str) -> int:
        if opened:
            raise OSError(28, f"cannot open the {what} {str(path)!r} (No space left on device)")
        fd = real_open_log(path, what)
        st = os.fstat(fd)
        opened.append((fd, (st.st_dev, st.st_ino)))
        return fd

    monkeypatch.setattr(_sharelog, "open_log", open_log)
    with pytest.raises(OSError, match=r"a\.sqlite\.shares\.1"):
        _sharelog.ShareLog(tmp_path / "a.sqlite")
    [(fd, file_id)] = opened
    try:
        st = os.fstat(fd)
        still_open = (st.st_dev, st.st_ino) == file_id
    except OSError:  # closed
        still_open = False
    assert not still_open, "the first share-log file was left open"


class _RecordingLock:
    """A lock that records, at each acquire, the locks of *edges* its thread already holds."""

    _held = threading.local()

    def __init__(self, name: str, edges: set[tuple[str, str]]) -> None:
        self.name = name
        self._edges = edges
        self._lock = threading.Lock()

    def _stack(self) -> list[str]:
        stack: list[str] | None = getattr(self._held, "stack", None)
        if stack is None:
            stack = self._held.stack = []
        return stack

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        stack = self._stack()
        self._edges.update((held, self.name) for held in stack)
        got = self._lock.acquire(blocking, timeout)
        if got:
            stack.append(self.name)
        return got

    def release(self) -> None:
        self._stack().remove(self.name)
        self._lock.release()

    def locked(self) -> bool:
        return self._lock.locked()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


#: The order the outbox's locks are taken in (see _outbox_files.py); a lock is never taken while
#: a later one is held, so no two threads can wait for each other.
_LOCK_ORDER = ["db", "bg", "append", "ledger"]


def test_the_outbox_takes_its_locks_in_one_order(tmp_path: Path) -> None:
    """Defect: Ledger.flush took the ledger's lock, then the database's; check_files takes the
    database's, then the ledger's: two threads could each wait for the other."""
    box = Outbox(tmp_path / "a.sqlite", replay=0)
    edges: set[tuple[str, str]] = set()
    box._db.lock = _RecordingLock("db", edges)  # type: ignore[assignment]
    box._db.bg_lock = _RecordingLock("bg", edges)  # type: ignore[assignment]
    box._lock = _RecordingLock("append", edges)  # type: ignore[assignment]
    box._ledger.lock = _RecordingLock("ledger", edges)  # type: ignore[assignment]
    seq = box.append("t", b"1", retain=True)
    box.mark_seen("feed", "e1", 1)
    box.flush()
    box.flush_seen()
    box.after(0, 10)
    box.ack([seq])
    box.requeue()
    box.retained("t")
    box.maintain()
    box.mark_seen("feed", "e1", 2)
    for path in (box._ledger.path, box.path):  # deleted: check_files makes them again
        path.unlink()
    box.check_files()
    box.close()
    assert ("db", "ledger") in edges and ("db", "bg") in edges  # the check saw them nest
    out_of_order = sorted((a, b) for a, b in edges if _LOCK_ORDER.index(a) > _LOCK_ORDER.index(b))
    assert out_of_order == []


def test_a_share_log_that_cannot_reopen_its_second_file_keeps_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from iotic_app.transports.mqtt import _sharelog

    log = _sharelog.ShareLog(tmp_path / "a.sqlite")
    try:
        log.write_many([(1, "t/1", b"one", False)])
        log.take()  # file 1 is the active one now
        real_open_log = _sharelog.open_log
        calls: list[Path] = []

        def open_log(path: Path, what: str) -> int:
            calls.append(path)
            if len(calls) == 2:
                raise OSError(28, f"cannot open the {what} {str(path)!r} (No space left on device)")
            return real_open_log(path, what)

        monkeypatch.setattr(_sharelog, "open_log", open_log)
        with pytest.raises(OSError, match=r"a\.sqlite\.shares\.1"):
            log.reopen()
        # the failed reopen leaves the log whole: a share is still written (it raised IndexError)
        log.write_many([(2, "t/2", b"two", False)])
        assert [row[0] for row in log.rows] == [2]
        log.reopen()  # the next check makes both files again
        log.write_many([(3, "t/3", b"three", False)])
        assert [row[0] for row in log.recover()] == [2, 3]
    finally:
        log.close()


class _CloseFirstLock:
    """The database's lock, but the first time it is taken another thread closes the outbox
    first: a close() that ran between a method's ``closed`` check and its taking the lock."""

    def __init__(self, box: Outbox) -> None:
        self.real = box._db.lock
        self.box = box
        self.armed = True

    def __enter__(self) -> bool:
        if self.armed:
            self.armed = False
            closer = threading.Thread(target=self.box.close)
            closer.start()
            closer.join(10)
        return self.real.__enter__()

    def __exit__(self, *exc: object) -> None:
        self.real.__exit__(*exc)


@pytest.mark.parametrize("call", ["ack", "flush", "after"])
@pytest.mark.timeout(20)
def test_a_close_racing_an_ack_flush_or_read_is_taken_as_closed(tmp_path: Path, call: str) -> None:
    """Defect: ack(), flush() and after() checked ``closed`` before taking the database's lock;
    a close() in between (the sender thread letting the outbox go after a takeover, while
    paho's thread marks the PUBACKs of the lost connection) made them raise sqlite3's
    ProgrammingError on the closed database instead of doing nothing, as on a closed outbox."""
    box = Outbox(tmp_path / "a.sqlite", replay=0)
    seq = box.append("t", b"1")
    if call == "after":  # in the table, not only in the share log (read from memory)
        box.flush()
    box._db.lock = _CloseFirstLock(box)  # type: ignore[assignment]
    if call == "ack":
        box.ack([seq])
    elif call == "flush":
        box.flush()
    else:
        assert box.after(0, 10) == []
    assert box.closed
    box = Outbox(tmp_path / "a.sqlite", replay=0)  # the value waits for the next open
    assert [row[0] for row in box.after(0, 10)] == [seq]
    box.close()


def test_rows_still_in_the_share_log_are_read_from_memory_and_equal_the_tables(
    tmp_path: Path,
) -> None:
    """after() serves rows that are all still in the share log without a commit (the
    sender keeping up with shares), and gives what the table would give."""
    box = Outbox(tmp_path / "a.sqlite", replay=0)
    try:
        seqs = [box.append("t", b"%d" % n) for n in range(10)]
        box.flush()  # 0-9 in the table
        seqs += [box.append("t", b"%d" % n) for n in range(10, 30)]  # 10-29 in the log
        from_log = box.after(seqs[12], 5)
        assert box._log.rows  # nothing was committed for it
        assert [r[0] for r in from_log] == seqs[13:18]
        mixed = box.after(seqs[5], 10)  # reaches into the table: the committing path
        assert [r[0] for r in mixed] == seqs[6:16]
        box.flush()
        assert box.after(seqs[12], 5) == from_log
        assert box.after(seqs[-1], 5) == []
    finally:
        box.close()
