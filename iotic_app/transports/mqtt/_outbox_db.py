"""The outbox's sqlite file: its tables, a connection that writes, one that checkpoints."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

from iotic_app.transports.mqtt._sharelog import Row

__all__ = [
    "OutboxDb",
    "counts",
    "delete_acked_up_to",
    "delete_oldest_waiting",
    "delete_retained",
    "first_kept",
    "insert_rows",
    "mark_acked",
    "read_epoch",
    "requeue_acked",
    "retained_body",
    "rows_after",
]

# Rows per INSERT or UPDATE statement. One statement for many rows, not executemany(): sqlite
# lets go of the GIL once per statement, and a loop that takes and drops it per row starves
# the threads that share and send (they wait to be scheduled while this one takes it back).
_CHUNK = 200

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    body BLOB NOT NULL,
    retain INTEGER NOT NULL DEFAULT 0,
    acked_at REAL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS retained (
    topic TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS seen (
    source TEXT PRIMARY KEY,
    epoch TEXT NOT NULL,
    seq INTEGER NOT NULL
);
"""


class OutboxDb:
    """The sqlite file *path* (WAL journal, synchronous=NORMAL), opened or created.

    ``conn`` reads and writes (hold ``lock``); ``bg`` only checkpoints (hold ``bg_lock``), so
    the fsync of a checkpoint never runs inside a share's commit. ``closed`` is set by
    :meth:`close`. Take ``lock`` before ``bg_lock``.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()  # the connection that reads and writes
        self.bg_lock = threading.Lock()  # the one that checkpoints (no lock on writers)
        self.closed = False
        self.conn = _connect(path)
        try:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.executescript(_SCHEMA)
            self.bg = _connect(path)
        except BaseException:
            self.conn.close()
            raise

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A transaction on ``conn``: committed at the end, rolled back on an exception (also
        when the commit fails, a full disk say)."""
        db = self.conn
        db.execute("BEGIN")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        try:
            db.execute("COMMIT")
        except sqlite3.Error:  # a full disk, say: the transaction is still open
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise

    def checkpoint(self) -> None:
        """Checkpoint the WAL into the database file (this is where the fsync happens)."""
        with self.bg_lock:
            if not self.closed:
                self.bg.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def restore(self) -> None:
        """The file was deleted: copy the open database into a new file at its path and use
        that one (hold both locks)."""
        staging = self.path.with_name(self.path.name + ".restoring")
        staging.unlink(missing_ok=True)
        target = sqlite3.connect(str(staging))
        try:
            self.conn.backup(target)
        finally:
            target.close()
        self.bg.close()
        self.conn.close()
        for suffix in ("-wal", "-shm"):
            self.path.with_name(self.path.name + suffix).unlink(missing_ok=True)
        os.replace(staging, self.path)
        self.conn = _connect(self.path)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.bg = _connect(self.path)

    def close(self) -> None:
        """Close both connections (hold both locks, or be the only user)."""
        self.closed = True
        self.bg.close()
        self.conn.close()


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30.0)
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA wal_autocheckpoint=0")
    return db


def insert_rows(db: sqlite3.Connection, rows: list[Row]) -> None:
    """Insert share-log rows (again, after a crash between a commit and its truncation: the
    copies are ignored), _CHUNK rows per statement, and keep each topic's last retained one."""
    last: dict[str, tuple[int, bytes]] = {}
    for at in range(0, len(rows), _CHUNK):
        chunk = rows[at : at + _CHUNK]
        db.execute(
            "INSERT OR IGNORE INTO outbox (seq, topic, body, retain) VALUES "
            + ",".join(["(?,?,?,?)"] * len(chunk)),
            [value for row in chunk for value in row],
        )
    for seq, topic, body, retain in rows:
        if retain:
            last[topic] = (seq, body)
    if last:
        db.executemany(
            "INSERT INTO retained (topic, seq, body) VALUES (?, ?, ?) ON CONFLICT(topic) DO "
            "UPDATE SET seq = excluded.seq, body = excluded.body WHERE excluded.seq > retained.seq",
            [(topic, seq, body) for topic, (seq, body) in last.items()],
        )


def mark_acked(db: sqlite3.Connection, seqs: list[int], now: float) -> int:
    """Mark *seqs* acknowledged at *now*, _CHUNK per statement; return how many changed."""
    before = db.total_changes
    for at in range(0, len(seqs), _CHUNK):
        chunk = seqs[at : at + _CHUNK]
        db.execute(
            "UPDATE outbox SET acked_at = ? WHERE acked_at IS NULL AND seq IN ("
            + ",".join("?" * len(chunk))
            + ")",
            [now, *chunk],
        )
    return db.total_changes - before


# --- the outbox's statements (the Outbox holds the locks and runs them in its transactions) ---


def read_epoch(db: sqlite3.Connection) -> str:
    """The file's random epoch, made at its first open."""
    row = db.execute("SELECT value FROM meta WHERE key = 'epoch'").fetchone()
    if row is not None:
        return str(row[0])
    epoch = uuid.uuid4().hex[:16]
    db.execute("INSERT INTO meta (key, value) VALUES ('epoch', ?)", (epoch,))
    return epoch


def counts(db: sqlite3.Connection) -> tuple[int, int]:
    """How many rows wait for an acknowledgement, and the highest sequence number ever stored
    (0 for none)."""
    depth = db.execute("SELECT COUNT(*) FROM outbox WHERE acked_at IS NULL").fetchone()[0]
    last = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").fetchone()
    return int(depth), 0 if last is None else int(last[0])


def rows_after(db: sqlite3.Connection, seq: int, count: int) -> list[Row]:
    """Up to *count* rows with a sequence number above *seq*, in order."""
    rows = db.execute(
        "SELECT seq, topic, body, retain FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
        (seq, count),
    ).fetchall()
    return [(int(s), str(t), bytes(b), bool(r)) for s, t, b, r in rows]


def delete_oldest_waiting(db: sqlite3.Connection) -> None:
    """Delete the oldest row that waits for an acknowledgement."""
    db.execute(
        "DELETE FROM outbox WHERE seq = (SELECT MIN(seq) FROM outbox WHERE acked_at IS NULL)"
    )


def delete_acked_up_to(db: sqlite3.Connection, cutoff: int) -> None:
    """Delete the acknowledged rows up to sequence number *cutoff* (a primary-key range)."""
    db.execute("DELETE FROM outbox WHERE seq <= ? AND acked_at IS NOT NULL", (cutoff,))


def requeue_acked(db: sqlite3.Connection, replay: float) -> int:
    """Delete the rows acknowledged more than *replay* s before the latest acknowledgement and
    make the other acknowledged ones wait again; return how many wait again."""
    latest = db.execute("SELECT MAX(acked_at) FROM outbox").fetchone()[0]
    if latest is None:
        return 0
    db.execute(
        "DELETE FROM outbox WHERE acked_at IS NOT NULL AND acked_at <= ?", (latest - replay,)
    )
    before = db.total_changes
    db.execute("UPDATE outbox SET acked_at = NULL WHERE acked_at IS NOT NULL")
    return db.total_changes - before


def first_kept(db: sqlite3.Connection, replay: float) -> int | None:
    """The lowest sequence number of the rows that wait or were acknowledged within *replay* s
    before the latest acknowledgement, or None (no such row)."""
    latest = db.execute("SELECT MAX(acked_at) FROM outbox").fetchone()[0]
    first = db.execute(
        "SELECT MIN(seq) FROM outbox WHERE acked_at IS NULL OR acked_at > ?",
        (-1.0 if latest is None else latest - replay,),
    ).fetchone()[0]
    return None if first is None else int(first)


def retained_body(db: sqlite3.Connection, topic: str) -> bytes | None:
    """The body of the last retained row stored for *topic*, or None."""
    row = db.execute("SELECT body FROM retained WHERE topic = ?", (topic,)).fetchone()
    return None if row is None else bytes(row[0])


def delete_retained(db: sqlite3.Connection, topics: Iterable[str]) -> None:
    """Forget the last retained rows of *topics*."""
    db.executemany("DELETE FROM retained WHERE topic = ?", [(t,) for t in topics])
