"""The MQTT agent's durable outbox and delivery ledger: one sqlite file per agent."""

# Design note
# -----------
# * One file per agent, ``<folder>/<agent_id>.sqlite`` (WAL journal, synchronous=NORMAL): every
#   ``append`` is its own committed transaction, written to the WAL file before it returns, so a
#   share() that returned survives a kill -9 of the process (not a power cut: there is no fsync
#   per share, see docs/mqtt.md).
# * Rows get increasing sequence numbers (AUTOINCREMENT: never reused, also after deletes and
#   restarts). Together with the file's random ``epoch`` they are the sharer's sequence numbers
#   that followers use to drop redelivered duplicates.
# * Bound: at most ``limit`` rows wait. When a share finds the outbox full, the oldest waiting row
#   is dropped, a warning is logged (once per 1,000 drops) and ``dropped`` counts it; share()
#   itself never fails because the link is down. The default bound is 1,000,000 rows.
# * Replay window: a broker may acknowledge a value and then die (kill -9, power) before it
#   forwarded or saved it (Mosquitto saves its database every ``autosave_interval``). So an
#   acknowledged row is kept ``replay`` seconds more (default 5) and, after every reconnect,
#   everything acknowledged within that window is published again; followers drop the copies
#   they already have by sequence number.
# * The ledger (``seen``) keeps, per followed feed, the last sequence number delivered to user
#   code, so a follower restarted after a kill -9 does not deliver a value twice. Each delivery is
#   appended at once to a small log file next to the database (one write() call, which survives
#   a kill -9); ``flush_seen`` moves the log into the table now and then.

from __future__ import annotations

import logging
import os
import sqlite3
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable
from pathlib import Path

__all__ = ["DEFAULT_LIMIT", "Outbox", "default_folder"]

logger = logging.getLogger("iotic_app.mqtt")

DEFAULT_LIMIT = 1_000_000

#: How many sequence numbers one share can publish before it commits them (a value and its
#: ``/recent`` document), with room to spare.
UNCOMMITTED_AT_MOST = 16
DEFAULT_REPLAY = 5.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    body BLOB NOT NULL,
    retain INTEGER NOT NULL DEFAULT 0,
    acked_at REAL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS seen (
    source TEXT PRIMARY KEY,
    epoch TEXT NOT NULL,
    seq INTEGER NOT NULL
);
"""


def default_folder() -> Path:
    """Return the per-user default outbox folder.

    ``$XDG_STATE_HOME/iotic_app/outbox`` (``~/.local/state/iotic_app/outbox``) on Linux and
    other POSIX systems, ``%LOCALAPPDATA%\\iotic_app\\outbox`` on Windows.

    Returns:
        The folder (not created here).
    """
    if sys.platform == "win32":  # pragma: no cover - not tested on Windows
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    else:
        state = os.environ.get("XDG_STATE_HOME")
        base = Path(state) if state else Path.home() / ".local" / "state"
    return base / "iotic_app" / "outbox"


class Outbox:
    """Values waiting for the broker's PUBACK, in order, on disk; see the module's design note.

    Thread-safe: one connection, guarded by a lock.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        limit: int = DEFAULT_LIMIT,
        replay: float = DEFAULT_REPLAY,
    ) -> None:
        """Open (or create) the outbox file *path*.

        Args:
            path: The sqlite file.
            limit: How many rows may wait at most (a positive int).
            replay: How many seconds an acknowledged row is kept for replay after a reconnect.

        Raises:
            ValueError: *limit* is not a positive int.
            OSError: the file cannot be created or opened (the message names it).
        """
        if type(limit) is not int or limit <= 0:
            raise ValueError(f"outbox limit must be a positive int, got {limit!r}")
        self.path = Path(path)
        self.limit = limit
        self.replay = replay
        self.dropped = 0
        self._lock = threading.Lock()  # the connection that reads and writes
        self._bg_lock = threading.Lock()  # the one that checkpoints (no lock on writers)
        self._count_lock = threading.Lock()
        self._acked: deque[tuple[float, int]] = deque()  # (ack time, highest seq) per batch
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = self._connect()
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
            # checkpoints (which fsync) run in maintain(), never in a share's commit
            self._bg = self._connect()
        except (OSError, sqlite3.Error) as exc:
            raise OSError(f"cannot open the outbox file {str(self.path)!r}: {exc}") from None
        self._seen_lock = threading.Lock()
        self._seen_pending: dict[str, tuple[str, int]] = {}
        self._seen_path = self.path.with_name(self.path.name + ".seen")
        try:
            self._seen_fd = os.open(self._seen_path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as exc:
            raise OSError(f"cannot open the ledger file {str(self._seen_path)!r}: {exc}") from None
        self._recover_seen()
        row = self._db.execute("SELECT value FROM meta WHERE key = 'epoch'").fetchone()
        if row is None:
            epoch = uuid.uuid4().hex[:16]
            self._db.execute("INSERT INTO meta (key, value) VALUES ('epoch', ?)", (epoch,))
        else:
            epoch = row[0]
        self.epoch: str = epoch
        self._depth: int = self._db.execute(
            "SELECT COUNT(*) FROM outbox WHERE acked_at IS NULL"
        ).fetchone()[0]
        last = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").fetchone()
        # A share publishes before it commits, so a kill -9 between the two leaves numbers that
        # went out but were never stored. Skip past them: a reused number would make followers
        # drop a new value as a duplicate of the lost one; a gap is harmless to them.
        self.last_seq: int = (0 if last is None else int(last[0])) + UNCOMMITTED_AT_MOST

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(
            str(self.path), check_same_thread=False, isolation_level=None, timeout=30.0
        )
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA wal_autocheckpoint=0")
        return db

    @classmethod
    def for_agent(
        cls,
        agent_id: str,
        folder: str | os.PathLike[str] | None = None,
        limit: int = DEFAULT_LIMIT,
        replay: float = DEFAULT_REPLAY,
    ) -> Outbox:
        """Open the outbox of agent *agent_id* in *folder* (default: :func:`default_folder`).

        Args:
            agent_id: The agent's name (a valid file name, as config checks).
            folder: The outbox folder.
            limit: The bound; see :class:`Outbox`.

        Returns:
            The outbox.
        """
        where = default_folder() if folder is None else Path(folder)
        return cls(where / f"{agent_id}.sqlite", limit, replay)

    @property
    def depth(self) -> int:
        """How many values wait for the broker's acknowledgement."""
        return self._depth

    def reserve(self) -> int:
        """Return the next sequence number, for an :meth:`append` that follows (callers
        serialise reserve + append themselves, as the MQTT sender does under its lock)."""
        self.last_seq += 1
        return self.last_seq

    def append(self, topic: str, body: bytes, retain: bool = False, seq: int | None = None) -> int:
        """Store one message at the end; committed when this returns.

        When the outbox is full the oldest row is dropped first (see the module note).

        Args:
            topic: The MQTT topic.
            body: The payload.
            retain: Whether to publish it retained.
            seq: A number from :meth:`reserve`, or None for the next one.

        Returns:
            The message's sequence number.
        """
        with self._lock:
            if seq is None:
                seq = self.reserve()
            db = self._db
            if self._depth >= self.limit:
                db.execute(
                    "DELETE FROM outbox WHERE seq = "
                    "(SELECT MIN(seq) FROM outbox WHERE acked_at IS NULL)"
                )
                with self._count_lock:
                    self._depth -= 1
                self.dropped += 1
                if self.dropped % 1000 == 1:
                    logger.warning(
                        "outbox %s is full (%d values wait for the broker): dropped the oldest; "
                        "%d dropped so far",
                        self.path,
                        self.limit,
                        self.dropped,
                    )
            cursor = db.execute(
                "INSERT INTO outbox (seq, topic, body, retain) VALUES (?, ?, ?, ?)",
                (seq, topic, body, int(retain)),
            )
            stored = cursor.lastrowid
            assert stored is not None
            with self._count_lock:
                self._depth += 1
            self.last_seq = max(self.last_seq, stored)
            return stored

    def after(self, seq: int, count: int) -> list[tuple[int, str, bytes, bool]]:
        """Return up to *count* kept messages with a sequence number above *seq*, in order.

        Kept messages are the waiting ones and those acknowledged within the replay window.

        Returns:
            ``[(seq, topic, body, retain), ...]``.
        """
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, topic, body, retain FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
                (seq, count),
            ).fetchall()
        return [(int(s), str(t), bytes(b), bool(r)) for s, t, b, r in rows]

    def ack(self, seqs: Iterable[int]) -> None:
        """Mark the messages *seqs* acknowledged by the broker; forget those acknowledged
        longer ago than the replay window."""
        now = time.time()
        batch = [(now, s) for s in seqs]
        if not batch:
            return
        with self._lock:  # one writing connection: no sqlite lock waits (they sleep)
            db = self._db
            db.execute("BEGIN")
            try:
                before = db.total_changes
                db.executemany(
                    "UPDATE outbox SET acked_at = ? WHERE seq = ? AND acked_at IS NULL", batch
                )
                changed = db.total_changes - before
                self._acked.append((now, max(s for _, s in batch)))
                self._purge(now)
            finally:
                db.execute("COMMIT")
        with self._count_lock:
            self._depth -= changed

    def _purge(self, now: float) -> None:
        """Forget acknowledged rows older than the window (a primary-key range: cheap)."""
        cutoff = 0
        acked = self._acked
        while acked and acked[0][0] <= now - self.replay:
            cutoff = max(cutoff, acked.popleft()[1])
        if cutoff:
            self._db.execute(
                "DELETE FROM outbox WHERE seq <= ? AND acked_at IS NOT NULL", (cutoff,)
            )

    def maintain(self) -> None:
        """Checkpoint the WAL into the database file (call now and then from a background
        thread: this is where the fsync happens)."""
        with self._bg_lock:
            self._bg.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def replay_start(self) -> int:
        """Return the sequence number to resend after: the last one acknowledged before the
        replay window, so waiting rows and recently acknowledged ones go out again."""
        with self._lock:
            row = self._db.execute(
                "SELECT MIN(seq) FROM outbox WHERE acked_at IS NULL OR acked_at >= ?",
                (time.time() - self.replay,),
            ).fetchone()
        return 0 if row is None or row[0] is None else int(row[0]) - 1

    def last_seen(self, source: str) -> tuple[str, int] | None:
        """Return ``(epoch, seq)`` last delivered from *source*, or None."""
        pending = self._seen_pending.get(source)
        if pending is not None:
            return pending
        with self._lock:
            row = self._db.execute(
                "SELECT epoch, seq FROM seen WHERE source = ?", (source,)
            ).fetchone()
        return None if row is None else (str(row[0]), int(row[1]))

    def mark_seen(self, source: str, epoch: str, seq: int) -> None:
        """Record that *seq* of *source* (of the sharer's *epoch*) reached user code.

        One append to the ledger log (durable against a kill -9 when this returns); the table
        is updated by :meth:`flush_seen`.
        """
        line = f"{source}\t{epoch}\t{seq}\n".encode()
        with self._seen_lock:
            os.write(self._seen_fd, line)
            self._seen_pending[source] = (epoch, seq)

    def flush_seen(self) -> None:
        """Move the ledger log into the table and empty the log."""
        with self._seen_lock:
            if not self._seen_pending:
                return
            pending, self._seen_pending = self._seen_pending, {}
            self.mark_seen_many((t, e, s) for t, (e, s) in pending.items())
            os.ftruncate(self._seen_fd, 0)

    def _recover_seen(self) -> None:
        """At open: take what the log holds (a previous run killed) into the table."""
        size = os.fstat(self._seen_fd).st_size
        if not size:
            return
        os.lseek(self._seen_fd, 0, os.SEEK_SET)
        raw = os.read(self._seen_fd, size).decode("utf-8", "replace")
        found: dict[str, tuple[str, int]] = {}
        for line in raw.split("\n"):
            parts = line.split("\t")
            if len(parts) == 3 and parts[2].isdigit():  # a torn last line is skipped
                found[parts[0]] = (parts[1], int(parts[2]))
        self.mark_seen_many((t, e, s) for t, (e, s) in found.items())
        os.ftruncate(self._seen_fd, 0)

    def mark_seen_many(self, items: Iterable[tuple[str, str, int]]) -> None:
        """Record several ``(source, epoch, seq)`` at once, in one transaction."""
        rows = list(items)
        if not rows:
            return
        with self._lock:
            db = self._db
            db.execute("BEGIN")
            try:
                db.executemany(
                    "INSERT INTO seen (source, epoch, seq) VALUES (?, ?, ?) ON CONFLICT(source) "
                    "DO UPDATE SET epoch = excluded.epoch, seq = excluded.seq",
                    rows,
                )
            finally:
                db.execute("COMMIT")

    def close(self) -> None:
        """Close the file (idempotent)."""
        self.flush_seen()
        with self._lock, self._bg_lock:
            self._bg.close()
            self._db.close()
            os.close(self._seen_fd)
