"""The MQTT agent's durable outbox and delivery ledger: one sqlite file per agent."""

# Design note
# -----------
# * One file per agent, ``<folder>/<agent_id>.sqlite`` (``_outbox_db``), and next to it the
#   share log (``_sharelog``: ``.shares.0`` and ``.1``), the ledger's log (``_ledger``:
#   ``.seen``) and the lock file (``_outbox_files``: one process at a time). ``append`` writes
#   one record to the share log and returns; the sender thread moves the log into the table now
#   and then, many rows in one transaction, and every reader of the table does so first. A
#   commit per share cost about 50 us on the share path, and competed for the GIL with the
#   thread that sends the value. A share writes its rows (the value, and its feed's recent list)
#   in one write(): stored together, or (OSError, a full disk) not at all.
# * Rows get increasing sequence numbers, never reused (AUTOINCREMENT keeps the highest ever
#   stored, also after deletes; a share logs its rows before it publishes them). Together with
#   the file's random ``epoch`` they are the sharer's sequence numbers that followers use to drop
#   redelivered duplicates.
# * Storage faults: a commit that fails (a full disk) keeps its rows in the share log and in
#   memory; reads (``after``, ``requeue``, ``retained``) then read the table and the log's rows
#   without writing, and acknowledgements wait in memory (``_unsaved``), so the link still
#   comes up and sends. ``check_files`` makes files deleted while open again
#   (``_outbox_files``).
# * Bound: at most ``limit`` rows wait. When a share finds the outbox full, the oldest waiting row
#   is dropped, a warning is logged (once per 1,000 drops) and ``dropped`` counts it; share()
#   itself never fails because the link is down. The default bound is 1,000,000 rows.
# * Replay window: a broker may acknowledge a value and then die (kill -9, power) before it
#   forwarded or saved it (Mosquitto saves its database every ``autosave_interval``). So an
#   acknowledged row is kept while it is younger than ``replay`` seconds (default 5) counted
#   back from the latest acknowledgement the broker sent (the last moment it is known to have
#   been alive), and ``requeue()``, at every new connection and so also at the first one of a
#   new run, makes those rows wait again: they are published again, however long the broker
#   was away; followers drop the copies they already have by sequence number. Rows older than
#   that were acknowledged by a broker that stayed up ``replay`` seconds more: forgotten.
# * The last retained message of each topic is also kept (``retained``, updated with each
#   commit of the share log), so what a feed's ``/recent`` list held survives a restart of the
#   sharer: the next run's list goes on from it (``retained()``; ``forget()`` when a feed is
#   deleted).
# * The follower's ledger (``Ledger``) shares the file; the outbox opens, checks and closes it
#   with the rest (``last_seen``, ``mark_seen``, ``flush_seen``).

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Iterable
from pathlib import Path

from iotic_app.transports.mqtt._fileio import OutboxInUse, open_error
from iotic_app.transports.mqtt._outbox_db import (
    counts,
    delete_acked_up_to,
    delete_oldest_waiting,
    delete_retained,
    first_kept,
    insert_rows,
    mark_acked,
    read_epoch,
    requeue_acked,
    retained_body,
    rows_after,
)
from iotic_app.transports.mqtt._outbox_files import OutboxFiles, default_folder
from iotic_app.transports.mqtt._sharelog import Row

__all__ = ["DEFAULT_LIMIT", "DEFAULT_REPLAY", "Outbox", "OutboxInUse", "default_folder"]

logger = logging.getLogger("iotic_app.mqtt")

DEFAULT_LIMIT = 1_000_000

DEFAULT_REPLAY = 5.0


class Outbox:
    """Values waiting for the broker's PUBACK, in order, on disk; see the module's design note.

    Thread-safe. Two locks: its own for appends (the share log, the depth), held for
    microseconds; the database's (``OutboxDb.lock``), held through commits. Take the second
    before the first (the order of all the outbox's locks is in ``_outbox_files``).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        limit: int = DEFAULT_LIMIT,
        replay: float = DEFAULT_REPLAY,
        wait: float = 0.0,
    ) -> None:
        """Open (or create) the outbox file *path*, taking in what its share log holds.

        Args:
            path: The sqlite file.
            limit: How many rows may wait at most (a positive int).
            replay: How many seconds an acknowledged row is kept for replay after a reconnect.
            wait: How many seconds to wait for another process that has the outbox open.

        Raises:
            ValueError: *limit* is not a positive int.
            OutboxInUse: another process has it open (and did not let go within *wait*).
            OSError: a file cannot be created or opened (the message names it).
        """
        if type(limit) is not int or limit <= 0:
            raise ValueError(f"outbox limit must be a positive int, got {limit!r}")
        if not isinstance(replay, (int, float)) or not replay >= 0:
            raise ValueError(f"outbox replay must be a non-negative number, got {replay!r}")
        self.path = Path(path)
        self.limit = limit
        self.replay = replay
        self.dropped = 0
        self._lock = threading.Lock()  # appends: the share log, depth, last_seq
        self._acked: deque[tuple[float, int]] = deque()  # (ack time, highest seq) per batch
        self._unsaved: list[tuple[float, list[int]]] = []  # acks a full disk kept out
        self._failed: str | None = None  # the last storage failure logged (once each)
        files = self._files = OutboxFiles(self.path, wait)
        self._db, self._log, self._ledger = files.db, files.log, files.ledger
        try:
            with self._db.transaction() as db:
                insert_rows(db, self._log.recover())
            self._log.clear()
            self._ledger.recover()
            self.epoch: str = read_epoch(self._db.conn)
            self._depth, self.last_seq = counts(self._db.conn)
        except (OSError, sqlite3.Error) as exc:
            files.close()
            raise open_error(self.path, exc) from None

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has closed the files."""
        return self._db.closed

    def check_files(self) -> None:
        """Make the files again if one was deleted (or replaced) while the outbox is open, from
        what is open, so that nothing is lost; log an error naming the file (call now and then,
        off the share path). An error if they cannot be made: logged, and raised.

        Raises:
            OSError: a file could not be made again (the message names it).
        """
        self._files.check(self._lock, self._storage_failed)

    @classmethod
    def for_agent(
        cls,
        agent_id: str,
        folder: str | os.PathLike[str] | None = None,
        limit: int = DEFAULT_LIMIT,
        replay: float = DEFAULT_REPLAY,
        wait: float = 0.0,
    ) -> Outbox:
        """Open the outbox of agent *agent_id* in *folder* (default: :func:`default_folder`).

        Args:
            agent_id: The agent's name (a valid file name, as config checks).
            folder: The outbox folder.
            limit: The bound; see :class:`Outbox`.
            replay: The replay window; see :class:`Outbox`.
            wait: See :class:`Outbox`.

        Returns:
            The outbox.
        """
        where = default_folder() if folder is None else Path(folder)
        return cls(where / f"{agent_id}.sqlite", limit, replay, wait)

    @property
    def depth(self) -> int:
        """How many values wait for the broker's acknowledgement."""
        return self._depth

    def append(self, topic: str, body: bytes, retain: bool = False) -> int:
        """Store one message at the end: in the share log when this returns.

        When the outbox is full the oldest waiting row is dropped first (see the module note).

        Args:
            topic: The MQTT topic.
            body: The payload.
            retain: Whether to publish it retained.

        Returns:
            The message's sequence number.

        Raises:
            OSError: the share log cannot be written (a full disk, say); nothing was stored.
            ValueError: the outbox is closed.
        """
        return self.append_many([(topic, body, retain)])[0]

    def append_many(self, messages: list[tuple[str, bytes, bool]]) -> list[int]:
        """Store ``(topic, body, retain)`` messages at the end, all or (an OSError) none, in
        one write() to the share log; return their sequence numbers (see :meth:`append`)."""
        if self._db.closed:  # the share path: not through the property
            raise ValueError(f"the outbox {str(self.path)!r} is closed")
        for _ in range(self._depth + len(messages) - self.limit):
            self._drop_oldest()
        with self._lock:
            first = self.last_seq + 1
            rows = [(first + i, t, b, r) for i, (t, b, r) in enumerate(messages)]
            self._log.write_many(rows)
            self._depth += len(rows)
            self.last_seq = rows[-1][0]
        return [row[0] for row in rows]

    def flush(self) -> None:
        """Move the share log into the table, in one transaction, and empty the log."""
        if not self.closed and self._log.rows:
            with self._db.lock:
                if self._db.closed:  # a close() came in between: its flush took them in
                    return
                with self._committing():
                    pass

    def _drop_oldest(self) -> None:
        """Drop the oldest waiting row: the bound's policy."""
        with self._db.lock, self._committing() as db:
            delete_oldest_waiting(db)
        with self._lock:
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

    def _committing(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """A transaction that first takes in the share log (hold the database's lock)."""
        return self._files.committing(self._lock)

    def logged_after(self, seq: int, count: int) -> list[Row] | None:
        """Up to *count* rows above *seq* when all of them are still in the share log (a
        sender keeping up with shares): read from memory, no commit; else None."""
        with self._lock:
            log = self._log.rows  # its seqs have no gaps
            start = seq + 1 - log[0][0] if log else -1
            return log[start : start + count] if start >= 0 else None

    def after(self, seq: int, count: int) -> list[Row]:
        """Return up to *count* kept messages with a sequence number above *seq*, in order.

        Kept messages are the waiting ones and those acknowledged within the replay window.
        Works on a full disk too (then the share log's rows are read from memory).

        Returns:
            ``[(seq, topic, body, retain), ...]``.
        """
        if self.closed:
            return []
        in_log = self.logged_after(seq, count)
        if in_log is not None:
            return in_log
        try:
            with self._db.lock:
                if self._db.closed:  # a close() came in between
                    return []
                with self._committing() as db:
                    found = rows_after(db, seq, count)
            logged: list[Row] = []
        except sqlite3.OperationalError as exc:  # a full disk: read what is there
            self._storage_failed("moving the share log into the table", exc)
            with self._db.lock:
                if self._db.closed:
                    return []
                found = rows_after(self._db.conn, seq, count)
                with self._lock:
                    logged = [row for row in self._log.rows if row[0] > seq][:count]
        if logged:
            found = sorted({row[0]: row for row in [*found, *logged]}.values())[:count]
        return found

    def _storage_failed(self, what: str, exc: BaseException) -> None:
        """Log a storage failure (once until another kind happens): what, which file, what
        to do, and that nothing is lost while the process runs."""
        text = f"{what}: {exc}"
        if text == self._failed:
            return
        self._failed = text
        logger.error(
            "outbox %s: %s (a full disk?); the values wait in memory and in the share log, "
            "and go out as usual; free space on its disk",
            self.path,
            text,
        )

    def ack(self, seqs: Iterable[int], at: float | None = None) -> None:
        """Mark the messages *seqs* acknowledged by the broker; forget those acknowledged
        longer than the replay window before. Also moves the share log into the table.

        Args:
            seqs: Their sequence numbers.
            at: When the broker sent the newest of these acknowledgements (``time.time()``;
                default now): the broker was alive then.
        """
        now = time.time() if at is None else at
        batch = list(seqs)
        if (not batch and not self._unsaved) or self.closed:
            return
        with self._db.lock:  # one writing connection: no sqlite lock waits (they sleep)
            if self._db.closed:  # a close() came in between (closed is checked above unlocked)
                return
            if batch:
                self._unsaved.append((now, batch))
            acked = list(self._acked)
            try:
                with self._committing() as db:
                    changed = 0
                    for when, seqs_at in self._unsaved:
                        changed += mark_acked(db, seqs_at, when)
                        self._acked.append((when, max(seqs_at)))
                    self._purge(now)
            except sqlite3.OperationalError as exc:  # a full disk: kept for the next try
                self._acked = deque(acked)
                self._storage_failed("marking acknowledged values", exc)
                return
            self._unsaved.clear()
            with self._lock:
                self._depth -= changed
        self._failed = None

    def _purge(self, now: float) -> None:
        """Forget rows acknowledged on this connection more than the window before *now*, when
        the broker was still alive (a primary-key range: cheap)."""
        cutoff = 0
        acked = self._acked
        while acked and acked[0][0] <= now - self.replay:
            cutoff = max(cutoff, acked.popleft()[1])
        if cutoff:
            delete_acked_up_to(self._db.conn, cutoff)

    def requeue(self) -> int:
        """A new connection: make the rows acknowledged within the replay window before the
        latest acknowledgement wait again (the broker that acknowledged them may have died
        before saving them), forget older acknowledged rows, and return the sequence number
        to send after (every row in the table goes out again, in order)."""
        with contextlib.suppress(sqlite3.OperationalError):
            self.ack([])  # acks a full disk kept out, if there is room now
        try:
            with self._db.lock, self._committing() as db:
                changed = requeue_acked(db, self.replay)
                first = first_kept(db, self.replay)  # every row now: none is acknowledged
                self._acked.clear()
                with self._lock:
                    self._depth += changed
                    last = self.last_seq
        except sqlite3.OperationalError as exc:  # a full disk: resend the same, change nothing
            self._storage_failed("making acknowledged values wait again", exc)
            with self._db.lock:
                first = first_kept(self._db.conn, self.replay)
                with self._lock:
                    logged = [row[0] for row in self._log.rows]
                    last = self.last_seq
            if logged:
                first = min(logged) if first is None else min(first, *logged)
        return last if first is None else first - 1

    def retained(self, topic: str) -> bytes | None:
        """Return the body of the last retained message stored for *topic* (by this run or an
        earlier one), or None."""
        with self._lock:
            for _, logged, body, retain in reversed(self._log.rows):
                if retain and logged == topic:
                    return body
        with self._db.lock:
            return retained_body(self._db.conn, topic)

    def forget(self, topics: Iterable[str]) -> None:
        """Forget the last retained messages of *topics* (a deleted feed)."""
        with self._db.lock, self._committing() as db:
            delete_retained(db, topics)

    def maintain(self) -> None:
        """Checkpoint the WAL into the database file (call now and then from a background
        thread: this is where the fsync happens)."""
        self._db.checkpoint()

    def last_seen(self, source: str) -> tuple[str, int] | None:
        """Return ``(epoch, seq)`` last delivered from *source*, or None (the ledger's)."""
        return self._ledger.last_seen(source)

    def mark_seen(self, source: str, epoch: str, seq: int) -> None:
        """Record in the ledger that *seq* of *source* (of the sharer's *epoch*) reached user
        code: durable against a kill -9 when this returns (see ``_ledger.Ledger.mark_seen``).

        Raises:
            ValueError: *seq*, *source* or *epoch* cannot be stored (the message says why).
        """
        self._ledger.mark_seen(source, epoch, seq)

    def flush_seen(self) -> None:
        """Move the ledger's log into its table and empty the log."""
        self._ledger.flush()

    def close(self) -> None:
        """Move both logs into the table and close the files (idempotent). When the logs
        cannot be moved (a full disk, say), their records stay in the log files, which the
        next open takes in."""
        if self.closed:
            return
        try:
            self.flush()
            self.flush_seen()
        except (OSError, sqlite3.Error) as exc:
            logger.warning(
                "outbox %s: could not move the share log into the table at close (%s); its "
                "records stay in %s and .1 and are taken in at the next start",
                self.path,
                exc,
                self._log.paths[0],
            )
        with self._db.lock, self._db.bg_lock, self._lock:  # the order of _outbox_files
            self._files.close()
