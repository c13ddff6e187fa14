"""The follower's ledger: per source, the last sequence number that reached user code."""

# The ledger (the ``seen`` table of the outbox's file) keeps, per source (the transport names
# one per followed feed and sharer epoch), the last sequence number delivered to user code, so a
# follower restarted after a kill -9 does not deliver a value twice. Each delivery is appended at
# once to a small log file next to the database (one write() call, which survives a kill -9);
# ``flush`` moves the log into the table now and then, and an open takes in what a killed run
# left in the log.

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

from iotic_app.transports.mqtt._fileio import open_log
from iotic_app.transports.mqtt._outbox_db import OutboxDb

__all__ = ["Ledger"]

_MAX_SEQ = 2**63 - 1  # sqlite's largest INTEGER: what the ledger can store
_PREFIXES = 4096  # checked (source, epoch) pairs remembered (then the memory starts again)


class Ledger:
    """The ledger of the outbox database *db*, with its log file *path*; see the module note.

    Thread-safe: ``lock`` guards the log; the table is written under the database's lock.
    Take the database's locks before ``lock`` (the order of ``_outbox_files``).
    """

    def __init__(self, db: OutboxDb, path: Path) -> None:
        """Open (or create) the log file; :meth:`recover` takes in what it holds."""
        self._db = db
        self.path = path
        self.lock = threading.Lock()
        self._pending: dict[str, tuple[str, int]] = {}  # logged, not yet in the table
        self.closed = False
        self._fd = open_log(path, "ledger file")
        self._prefixes: dict[tuple[str, str], bytes] = {}  # checked (source, epoch): line head

    def last_seen(self, source: str) -> tuple[str, int] | None:
        """Return ``(epoch, seq)`` last delivered from *source*, or None."""
        pending = self._pending.get(source)
        if pending is not None:
            return pending
        query = "SELECT epoch, seq FROM seen WHERE source = ?"
        with self._db.lock:
            if self._db.closed:  # a callback that ran on after stop(): read the file itself
                db = sqlite3.connect(str(self._db.path))
                try:
                    row = db.execute(query, (source,)).fetchone()
                finally:
                    db.close()
            else:
                row = self._db.conn.execute(query, (source,)).fetchone()
        return None if row is None else (str(row[0]), int(row[1]))

    def mark_seen(self, source: str, epoch: str, seq: int) -> None:
        """Record that *seq* of *source* (of the sharer's *epoch*) reached user code.

        One append to the ledger log (durable against a kill -9 when this returns); the table
        is updated by :meth:`flush`.

        Raises:
            ValueError: *seq* is not an int from 0 to 2**63 - 1, or *source* or *epoch* holds
                a tab, a newline or another unprintable character (the log is one line each).
        """
        if type(seq) is not int or not 0 <= seq <= _MAX_SEQ:
            raise ValueError(f"seq must be an int from 0 to 2**63 - 1, got {seq!r:.40}")
        key = (source, epoch)
        prefix = self._prefixes.get(key)
        if prefix is None:  # checked once per source and epoch (the hot path: one lookup)
            for what, text in (("source", source), ("epoch", epoch)):
                if not isinstance(text, str) or not text.isprintable() or "\t" in text:
                    raise ValueError(
                        f"{what} must be a printable str without tabs, got {text!r:.80}"
                    )
            prefix = f"{source}\t{epoch}\t".encode()
            if len(self._prefixes) >= _PREFIXES:
                self._prefixes.clear()
            self._prefixes[key] = prefix
        line = b"%s%d\n" % (prefix, seq)
        with self.lock:
            if self.closed:  # a callback that ran on after stop(): the next open takes it in
                fd = open_log(self.path, "ledger file")
                try:
                    os.write(fd, line)
                finally:
                    os.close(fd)
                self._pending[source] = (epoch, seq)
                return
            os.write(self._fd, line)
            self._pending[source] = (epoch, seq)

    def flush(self) -> None:
        """Move the ledger log into the table and empty the log."""
        if not self._pending:  # the sender thread's round: no lock taken for nothing
            return
        with self._db.lock, self.lock:  # the database's lock first: see _outbox_files
            if not self._pending or self.closed:
                return
            pending, self._pending = self._pending, {}
            self._mark_many((t, e, s) for t, (e, s) in pending.items())
            os.ftruncate(self._fd, 0)

    def recover(self) -> None:
        """At open: take what the log holds (a previous run killed) into the table."""
        size = os.fstat(self._fd).st_size
        if not size:
            return
        os.lseek(self._fd, 0, os.SEEK_SET)
        raw = os.read(self._fd, size).decode("utf-8", "replace")
        found: dict[str, tuple[str, int]] = {}
        for line in raw.split("\n"):
            parts = line.split("\t")
            # a torn last line, or one no version of mark_seen writes now, is skipped
            seq = parts[2] if len(parts) == 3 else ""
            if seq.isascii() and seq.isdigit() and int(seq) <= _MAX_SEQ:
                found[parts[0]] = (parts[1], int(seq))
        with self._db.lock:
            self._mark_many((t, e, s) for t, (e, s) in found.items())
        os.ftruncate(self._fd, 0)

    def _mark_many(self, items: Iterable[tuple[str, str, int]]) -> None:
        """Record several ``(source, epoch, seq)`` at once, in one transaction (hold the
        database's lock)."""
        rows = list(items)
        if not rows:
            return
        with self._db.transaction() as db:
            db.executemany(
                "INSERT INTO seen (source, epoch, seq) VALUES (?, ?, ?) ON CONFLICT(source) "
                "DO UPDATE SET epoch = excluded.epoch, seq = excluded.seq",
                rows,
            )

    def reopen(self) -> None:
        """The log file was deleted: make it again, holding the entries not yet in the table
        (hold ``lock``)."""
        os.close(self._fd)
        self._fd = open_log(self.path, "ledger file")
        lines = [f"{s}\t{e}\t{q}\n" for s, (e, q) in self._pending.items()]
        if lines:
            os.write(self._fd, "".join(lines).encode())

    def close(self) -> None:
        """Close the log file; later entries go to the file itself (see :meth:`mark_seen`)."""
        self.closed = True
        os.close(self._fd)
