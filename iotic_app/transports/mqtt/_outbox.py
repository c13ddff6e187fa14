"""The MQTT agent's durable outbox and delivery ledger: one sqlite file per agent."""

# Design note
# -----------
# * One file per agent, ``<folder>/<agent_id>.sqlite`` (WAL journal, synchronous=NORMAL), and
#   next to it the share log, ``<agent_id>.sqlite.shares.0`` and ``.1``. ``append`` writes one
#   record to the share log (a single write() call: in the kernel, so it survives a kill -9 of
#   the process, though not a power cut; there is no fsync per share, see docs/mqtt.md) and
#   returns. The sender thread moves the log into the table now and then, many rows in one
#   transaction, and every reader of the table does so first. A commit per share cost about
#   50 us on the share path, and competed for the GIL with the thread that sends the value.
# * The share log's two files are written in turn: a commit takes the rows of the active file
#   and makes the other (empty) one active, so appends never wait for a commit; the taken file
#   is emptied after the commit. A record is ``seq, retain, len(topic), len(body)``
#   (little-endian ``<QBII``), the topic (UTF-8), the body, and a CRC-32 of all that. At open,
#   whole records of both files are moved into the table (``INSERT OR IGNORE``: a crash between
#   a commit and the file's truncation leaves copies, which are ignored); a torn last record
#   (the process died inside its write, so that share() never returned) is skipped with a
#   warning. Damage elsewhere costs only the damaged bytes: reading resynchronises on the next
#   whole record (valid CRC, a higher sequence number), and the warning says which sequence
#   numbers the skipped bytes held. A share writes its rows (the value, and its feed's recent
#   list) in one write(): stored together, or (OSError, a full disk) not at all.
# * Rows get increasing sequence numbers, never reused (AUTOINCREMENT keeps the highest ever
#   stored, also after deletes; a share logs its rows before it publishes them). Together with
#   the file's random ``epoch`` they are the sharer's sequence numbers that followers use to drop
#   redelivered duplicates.
# * One process at a time: an exclusive flock on ``<agent_id>.sqlite.lock`` (holding the
#   holder's pid), taken before anything is read and let go last at close(). A process that
#   takes the session over waits for it (the old one's sender closes its outbox when pushed
#   off), so it continues the old one's sequence numbers and sends what the old one stored.
# * Storage faults: a commit that fails (a full disk) keeps its rows in the share log and in
#   memory; reads (``after``, ``requeue``, ``retained``) then read the table and the log's rows
#   without writing, and acknowledgements wait in memory (``_unsaved``), so the link still
#   comes up and sends. ``check_files`` (the sender thread, every second) makes files deleted
#   while open again: the database by sqlite's backup of the open one, the share log from the
#   rows not yet committed, the ledger log from its pending entries.
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
# * The ledger (``seen``) keeps, per source (the transport names one per followed feed and
#   sharer epoch), the last sequence number delivered to user code, so a follower restarted
#   after a kill -9 does not deliver a value twice. Each delivery is
#   appended at once to a small log file next to the database (one write() call, which survives
#   a kill -9); ``flush_seen`` moves the log into the table now and then.

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import sqlite3
import struct
import sys
import threading
import time
import uuid
import zlib
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path

__all__ = ["DEFAULT_LIMIT", "Outbox", "OutboxInUse", "default_folder"]

logger = logging.getLogger("iotic_app.mqtt")

DEFAULT_LIMIT = 1_000_000

DEFAULT_REPLAY = 5.0

_MAX_SEQ = 2**63 - 1  # sqlite's largest INTEGER: what the ledger can store

_HEAD = struct.Struct("<QBII")  # seq, retain, len(topic), len(body)
_CRC = struct.Struct("<I")
# Rows per INSERT or UPDATE statement. One statement for many rows, not executemany(): sqlite
# lets go of the GIL once per statement, and a loop that takes and drops it per row starves
# the threads that share and send (they wait to be scheduled while this one takes it back).
_CHUNK = 200

Row = tuple[int, str, bytes, bool]

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


class _ShareLog:
    """The share log: two append-only files written in turn.

    Records go to the active file; :meth:`take` hands the rows written so far to a committer
    and makes the other (empty) file active, so appends never wait for a commit; :meth:`taken`
    empties the taken file after the commit. Not thread-safe: the outbox holds its locks.
    """

    def __init__(self, database: Path) -> None:
        self.paths = tuple(database.with_name(f"{database.name}.shares.{i}") for i in (0, 1))
        self._fds = [_open_log(path, "share log") for path in self.paths]
        self._active = 0
        self.rows: list[Row] = []  # written to the files, not yet taken

    def write(self, row: Row) -> None:
        """Append *row*'s record to the active file (one write() call)."""
        self.write_many([row])

    def write_many(self, rows: list[Row]) -> None:
        """Append the records of *rows* to the active file in one write() call: all of them
        are stored, or (an OSError) none."""
        record = b""
        for seq, topic, body, retain in rows:
            raw = topic.encode()
            one = _HEAD.pack(seq, retain, len(raw), len(body)) + raw + body
            record += one + _CRC.pack(zlib.crc32(one))
        fd = self._fds[self._active]
        path = str(self.paths[self._active])
        try:
            written = os.write(fd, record)
        except OSError as exc:  # nothing written
            raise _write_error(path, exc.errno, exc.strerror) from None
        if written != len(record):  # a full disk mid-record
            self._cut(fd, written)
            raise _write_error(path, errno.ENOSPC, "No space left on device")
        self.rows.extend(rows)

    @staticmethod
    def _cut(fd: int, tail: int) -> None:
        """Remove a partly written last record, so that later ones stay readable."""
        with contextlib.suppress(OSError):
            size = os.fstat(fd).st_size
            os.ftruncate(fd, max(0, size - tail))

    def reopen(self) -> None:
        """A file was deleted: make both again, and write the rows not yet committed into
        the active one."""
        for fd in self._fds:
            os.close(fd)
        self._fds = []
        for path in self.paths:
            self._fds.append(_open_log(path, "share log"))
            os.ftruncate(self._fds[-1], 0)
        rows, self.rows = self.rows, []
        if rows:
            self.write_many(rows)

    def take(self) -> tuple[list[Row], int]:
        """Return the rows written so far and the file holding them; switch files."""
        rows, self.rows = self.rows, []
        which, self._active = self._active, 1 - self._active
        return rows, which

    def taken(self, which: int) -> None:
        """The rows of file *which* are committed: empty it."""
        os.ftruncate(self._fds[which], 0)

    def untake(self, rows: list[Row]) -> None:
        """A commit of taken *rows* failed: keep them for the next take (their records stay
        on disk until a later commit takes them in)."""
        self.rows[:0] = rows

    def recover(self) -> list[Row]:
        """Return the rows both files hold (at open, after a crash).

        Bytes that are not a valid record (a record torn by a crash at the end, or damage
        anywhere) are skipped with a warning that says where and which sequence numbers they
        cost; reading goes on with the next valid record after them.
        """
        rows: list[Row] = []
        for fd, path in zip(self._fds, self.paths, strict=True):
            size = os.fstat(fd).st_size
            os.lseek(fd, 0, os.SEEK_SET)
            raw = os.read(fd, size) if size else b""
            pos = 0
            bad: int | None = None  # where skipped bytes began
            last: int | None = None  # the sequence number of the last valid record
            while pos < len(raw):
                row, end = _parse(raw, pos, last)
                if row is None:
                    if bad is None:
                        bad = pos
                    pos += 1
                    continue
                if bad is not None:
                    _warn_skipped(path, bad, pos - bad, last, row[0])
                    bad = None
                rows.append(row)
                last = row[0]
                pos = end
            if bad is not None:
                _warn_skipped(path, bad, len(raw) - bad, last, None)
        return rows

    def clear(self) -> None:
        """Empty both files."""
        for fd in self._fds:
            os.ftruncate(fd, 0)

    def close(self) -> None:
        for fd in self._fds:
            os.close(fd)


class Outbox:
    """Values waiting for the broker's PUBACK, in order, on disk; see the module's design note.

    Thread-safe. Two locks: one for appends (the share log, the depth), held for microseconds;
    one for the sqlite connection, held through commits. Take the second before the first.
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
        self._db_lock = threading.Lock()  # the connection that reads and writes
        self._bg_lock = threading.Lock()  # the one that checkpoints (no lock on writers)
        self._acked: deque[tuple[float, int]] = deque()  # (ack time, highest seq) per batch
        self.closed = False
        self._unsaved: list[tuple[float, list[int]]] = []  # acks a full disk kept out
        self._failed: str | None = None  # the last storage failure logged (once each)
        self._seen_lock = threading.Lock()
        self._seen_pending: dict[str, tuple[str, int]] = {}
        self._seen_path = self.path.with_name(self.path.name + ".seen")
        self._lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._lock_fd = _lock(self._lock_path, wait)  # before anything is read
            self._db = self._connect()
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
            # checkpoints (which fsync) run in maintain(), never in a share's commit
            self._bg = self._connect()
            self._log = _ShareLog(self.path)
            self._seen_fd = _open_log(self._seen_path, "ledger file")
            with self._transaction() as db:
                _insert(db, self._log.recover())
            self._log.clear()
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
            last = self._db.execute(
                "SELECT seq FROM sqlite_sequence WHERE name = 'outbox'"
            ).fetchone()
            self.last_seq: int = 0 if last is None else int(last[0])
            self._inodes = self._file_ids()
        except OutboxInUse:
            raise
        except (OSError, sqlite3.Error) as exc:
            self._close_files()
            raise _open_error(self.path, exc) from None

    def _file_ids(self) -> dict[Path, tuple[int, int]]:
        """(device, inode) of each file the outbox keeps open."""
        ids = {}
        for path in (self.path, *self._log.paths, self._seen_path):
            st = os.stat(path)
            ids[path] = (st.st_dev, st.st_ino)
        return ids

    def check_files(self) -> None:
        """Make the files again if one was deleted (or replaced) while the outbox is open, from
        what is open, so that nothing is lost; log an error naming the file (call now and then,
        off the share path). An error if they cannot be made: logged, and raised.

        Raises:
            OSError: a file could not be made again (the message names it).
        """
        gone = []
        for path, ident in self._inodes.items():
            try:
                st = os.stat(path)
                same = (st.st_dev, st.st_ino) == ident
            except FileNotFoundError:
                same = False
            if not same:
                gone.append(path)
        if not gone or self.closed:
            return
        with self._db_lock, self._bg_lock, self._lock, self._seen_lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                if self.path in gone:
                    self._restore_database()
                if any(p in gone for p in self._log.paths):
                    self._log.reopen()
                if self._seen_path in gone:
                    os.close(self._seen_fd)
                    self._seen_fd = _open_log(self._seen_path, "ledger file")
                    lines = [f"{s}\t{e}\t{q}\n" for s, (e, q) in self._seen_pending.items()]
                    if lines:
                        os.write(self._seen_fd, "".join(lines).encode())
                self._inodes = self._file_ids()
            except (OSError, sqlite3.Error) as exc:
                error = OSError(
                    errno.EIO,
                    f"the outbox file {str(gone[0])!r} was deleted while the client ran and "
                    f"cannot be made again ({exc}): the values waiting are held in memory "
                    "only; make its folder writable, or stop this client to send what it can "
                    "and start it again",
                )
                self._storage_failed("files deleted", error)
                raise error from None
        logger.error(
            "outbox %s: %s deleted while the client ran; made again from the open files, "
            "nothing is lost. Keep the outbox folder away from cleaners of temporary files "
            "(or set the option 'outbox' to another folder)",
            self.path,
            ", ".join(str(p) for p in gone),
        )

    def _restore_database(self) -> None:
        """Copy the open (deleted) database into a new file at its path; use that one."""
        staging = self.path.with_name(self.path.name + ".restoring")
        staging.unlink(missing_ok=True)
        target = sqlite3.connect(str(staging))
        try:
            self._db.backup(target)
        finally:
            target.close()
        self._bg.close()
        self._db.close()
        for suffix in ("-wal", "-shm"):
            self.path.with_name(self.path.name + suffix).unlink(missing_ok=True)
        os.replace(staging, self.path)
        self._db = self._connect()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._bg = self._connect()

    def _close_files(self) -> None:
        """Close whatever is open (idempotent)."""
        for name in ("_bg", "_db"):
            db = self.__dict__.pop(name, None)
            if db is not None:
                db.close()
        log = self.__dict__.pop("_log", None)
        if log is not None:
            log.close()
        for name in ("_seen_fd", "_lock_fd"):  # the lock last: others may open it then
            fd = self.__dict__.pop(name, None)
            if fd is not None:
                os.close(fd)

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
        if self.closed:
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
            with self._db_lock, self._committing():
                pass

    def _drop_oldest(self) -> None:
        """Drop the oldest waiting row: the bound's policy."""
        with self._db_lock, self._committing() as db:
            db.execute(
                "DELETE FROM outbox WHERE seq = "
                "(SELECT MIN(seq) FROM outbox WHERE acked_at IS NULL)"
            )
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

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._db
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

    @contextlib.contextmanager
    def _committing(self) -> Iterator[sqlite3.Connection]:
        """A transaction that first takes in the share log (hold the connection's lock)."""
        with self._lock:
            rows, which = self._log.take() if self._log.rows else ([], None)
        try:
            with self._transaction() as db:
                _insert(db, rows)
                yield db
        except BaseException:
            with self._lock:
                self._log.untake(rows)
            raise
        if which is not None:
            self._log.taken(which)

    def after(self, seq: int, count: int) -> list[Row]:
        """Return up to *count* kept messages with a sequence number above *seq*, in order.

        Kept messages are the waiting ones and those acknowledged within the replay window.
        Works on a full disk too (then the share log's rows are read from memory).

        Returns:
            ``[(seq, topic, body, retain), ...]``.
        """
        query = "SELECT seq, topic, body, retain FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?"
        if self.closed:
            return []
        try:
            with self._db_lock, self._committing() as db:
                rows = db.execute(query, (seq, count)).fetchall()
            logged: list[Row] = []
        except sqlite3.OperationalError as exc:  # a full disk: read what is there
            self._storage_failed("moving the share log into the table", exc)
            with self._db_lock:
                rows = self._db.execute(query, (seq, count)).fetchall()
                with self._lock:
                    logged = [row for row in self._log.rows if row[0] > seq][:count]
        found = [(int(s), str(t), bytes(b), bool(r)) for s, t, b, r in rows]
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
        with self._db_lock:  # one writing connection: no sqlite lock waits (they sleep)
            if batch:
                self._unsaved.append((now, batch))
            acked = list(self._acked)
            try:
                with self._committing() as db:
                    changed = 0
                    for when, seqs_at in self._unsaved:
                        changed += _mark_acked(db, seqs_at, when)
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
            self._db.execute(
                "DELETE FROM outbox WHERE seq <= ? AND acked_at IS NOT NULL", (cutoff,)
            )

    def requeue(self) -> int:
        """A new connection: make the rows acknowledged within the replay window before the
        latest acknowledgement wait again (the broker that acknowledged them may have died
        before saving them), forget older acknowledged rows, and return the sequence number
        to send after (every row in the table goes out again, in order)."""
        with contextlib.suppress(sqlite3.OperationalError):
            self.ack([])  # acks a full disk kept out, if there is room now
        try:
            with self._db_lock, self._committing() as db:
                latest = db.execute("SELECT MAX(acked_at) FROM outbox").fetchone()[0]
                changed = 0
                if latest is not None:
                    db.execute(
                        "DELETE FROM outbox WHERE acked_at IS NOT NULL AND acked_at <= ?",
                        (latest - self.replay,),
                    )
                    before = db.total_changes
                    db.execute("UPDATE outbox SET acked_at = NULL WHERE acked_at IS NOT NULL")
                    changed = db.total_changes - before
                first = db.execute("SELECT MIN(seq) FROM outbox").fetchone()[0]
                self._acked.clear()
                with self._lock:
                    self._depth += changed
                    last = self.last_seq
        except sqlite3.OperationalError as exc:  # a full disk: resend the same, change nothing
            self._storage_failed("making acknowledged values wait again", exc)
            with self._db_lock:
                latest = self._db.execute("SELECT MAX(acked_at) FROM outbox").fetchone()[0]
                first = self._db.execute(
                    "SELECT MIN(seq) FROM outbox WHERE acked_at IS NULL OR acked_at > ?",
                    (-1.0 if latest is None else latest - self.replay,),
                ).fetchone()[0]
                with self._lock:
                    logged = [row[0] for row in self._log.rows]
                    last = self.last_seq
            if logged:
                first = min(logged) if first is None else min(first, *logged)
        return last if first is None else int(first) - 1

    def retained(self, topic: str) -> bytes | None:
        """Return the body of the last retained message stored for *topic* (by this run or an
        earlier one), or None."""
        with self._lock:
            for _, logged, body, retain in reversed(self._log.rows):
                if retain and logged == topic:
                    return body
        with self._db_lock:
            row = self._db.execute("SELECT body FROM retained WHERE topic = ?", (topic,)).fetchone()
        return None if row is None else bytes(row[0])

    def forget(self, topics: Iterable[str]) -> None:
        """Forget the last retained messages of *topics* (a deleted feed)."""
        with self._db_lock, self._committing() as db:
            db.executemany("DELETE FROM retained WHERE topic = ?", [(t,) for t in topics])

    def maintain(self) -> None:
        """Checkpoint the WAL into the database file (call now and then from a background
        thread: this is where the fsync happens)."""
        with self._bg_lock:
            if not self.closed:
                self._bg.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def last_seen(self, source: str) -> tuple[str, int] | None:
        """Return ``(epoch, seq)`` last delivered from *source*, or None."""
        pending = self._seen_pending.get(source)
        if pending is not None:
            return pending
        query = "SELECT epoch, seq FROM seen WHERE source = ?"
        with self._db_lock:
            if self.closed:  # a callback that ran on after stop(): read the file itself
                db = sqlite3.connect(str(self.path))
                try:
                    row = db.execute(query, (source,)).fetchone()
                finally:
                    db.close()
            else:
                row = self._db.execute(query, (source,)).fetchone()
        return None if row is None else (str(row[0]), int(row[1]))

    def mark_seen(self, source: str, epoch: str, seq: int) -> None:
        """Record that *seq* of *source* (of the sharer's *epoch*) reached user code.

        One append to the ledger log (durable against a kill -9 when this returns); the table
        is updated by :meth:`flush_seen`.

        Raises:
            ValueError: *seq* is not an int from 0 to 2**63 - 1, or *source* or *epoch* holds
                a tab, a newline or another unprintable character (the log is one line each).
        """
        if type(seq) is not int or not 0 <= seq <= _MAX_SEQ:
            raise ValueError(f"seq must be an int from 0 to 2**63 - 1, got {seq!r:.40}")
        for what, text in (("source", source), ("epoch", epoch)):
            if not isinstance(text, str) or not text.isprintable() or "\t" in text:
                raise ValueError(f"{what} must be a printable str without tabs, got {text!r:.80}")
        line = f"{source}\t{epoch}\t{seq}\n".encode()
        with self._seen_lock:
            if self.closed:  # a callback that ran on after stop(): the next open takes it in
                fd = _open_log(self._seen_path, "ledger file")
                try:
                    os.write(fd, line)
                finally:
                    os.close(fd)
                self._seen_pending[source] = (epoch, seq)
                return
            os.write(self._seen_fd, line)
            self._seen_pending[source] = (epoch, seq)

    def flush_seen(self) -> None:
        """Move the ledger log into the table and empty the log."""
        with self._seen_lock:
            if not self._seen_pending or self.closed:
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
            # a torn last line, or one no version of mark_seen writes now, is skipped
            seq = parts[2] if len(parts) == 3 else ""
            if seq.isascii() and seq.isdigit() and int(seq) <= _MAX_SEQ:
                found[parts[0]] = (parts[1], int(seq))
        self.mark_seen_many((t, e, s) for t, (e, s) in found.items())
        os.ftruncate(self._seen_fd, 0)

    def mark_seen_many(self, items: Iterable[tuple[str, str, int]]) -> None:
        """Record several ``(source, epoch, seq)`` at once, in one transaction."""
        rows = list(items)
        if not rows:
            return
        with self._db_lock, self._transaction() as db:
            db.executemany(
                "INSERT INTO seen (source, epoch, seq) VALUES (?, ?, ?) ON CONFLICT(source) "
                "DO UPDATE SET epoch = excluded.epoch, seq = excluded.seq",
                rows,
            )

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
        with self._db_lock, self._lock, self._bg_lock:
            self.closed = True
            self._close_files()


def _parse(raw: bytes, pos: int, last: int | None) -> tuple[Row | None, int]:
    """Parse the share-log record at *pos* of *raw*; return ``(row, end)``, or ``(None, pos)``
    when the bytes there are not a whole valid record (one that follows sequence number
    *last*, when given: records of a file have increasing numbers)."""
    if pos + _HEAD.size + _CRC.size > len(raw):
        return None, pos
    seq, retain, tlen, blen = _HEAD.unpack_from(raw, pos)
    start = pos + _HEAD.size
    end = start + tlen + blen
    if retain > 1 or seq <= (last or 0) or end + _CRC.size > len(raw):
        return None, pos
    if _CRC.unpack_from(raw, end)[0] != zlib.crc32(raw[pos:end]):
        return None, pos
    try:
        topic = raw[start : start + tlen].decode()
    except UnicodeDecodeError:
        return None, pos
    return (seq, topic, raw[start + tlen : end], bool(retain)), end + _CRC.size


def _warn_skipped(path: Path, at: int, count: int, before: int | None, after: int | None) -> None:
    """Say exactly what recovering the share log *path* skipped."""
    if after is None:
        logger.warning(
            "share log %s: skipped %d bytes at offset %d, its end, that are not a whole record: "
            "a record torn by a crash, whose share() had not returned (or damage to the file)",
            path,
            count,
            at,
        )
        return
    if before is None or after == before + 1:
        lost = "no value is lost"
    elif after == before + 2:
        lost = f"the row with sequence number {before + 1} is lost"
    else:
        lost = f"the rows with sequence numbers {before + 1} to {after - 1} are lost"
    if before is None and after > 1:
        lost = f"rows before sequence number {after} may be lost"
    logger.warning(
        "share log %s: skipped %d bytes at offset %d that are not a valid record (damage to "
        "the file); %s, the records after them are kept",
        path,
        count,
        at,
        lost,
    )


def _insert(db: sqlite3.Connection, rows: list[Row]) -> None:
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


def _mark_acked(db: sqlite3.Connection, seqs: list[int], now: float) -> int:
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


class OutboxInUse(OSError):
    """Another process has the outbox open."""


def _lock(path: Path, wait: float) -> int:
    """Take the outbox's lock file *path* (an exclusive ``flock``), waiting up to *wait* s
    for a process that holds it; write this process's id into it; return its descriptor."""
    fd = _open_log(path, "lock file")
    deadline = time.monotonic() + wait
    pause = threading.Event()
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
                os.close(fd)
                who = (
                    "another client in this process"
                    if holder == str(os.getpid())
                    else f"another process (pid {holder})"
                )
                raise OutboxInUse(
                    errno.EBUSY,
                    f"the outbox {str(path.with_suffix(''))!r} is in use by {who} of the same "
                    "agent: run one process per agent name, or give each its own folder (the "
                    "option 'outbox')",
                ) from None
            pause.wait(0.02)
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    return fd


def _write_error(path: str, code: int | None, reason: str | None) -> OSError:
    return OSError(
        code or errno.EIO,
        f"cannot write the share log {path!r} ({reason}): this value was not stored and will "
        "not be sent; free space on its disk (or set the option 'outbox' to another folder) "
        "and share it again",
    )


def _open_error(path: Path, exc: BaseException) -> OSError:
    """The error for an outbox file *path* that cannot be opened: what and what to do."""
    text = str(exc)
    if isinstance(exc, sqlite3.DatabaseError) and ("not a database" in text or "malformed" in text):
        return OSError(
            errno.EIO,
            f"the outbox file {str(path)!r} is damaged ({text}): move it aside (or delete it) "
            "and start again with a new one; the values still waiting in it are then not sent "
            f"(sqlite3's '.recover' command may save them: sqlite3 {path} .recover)",
        )
    if isinstance(exc, OSError) and exc.filename is None and "cannot open the" in text:
        return exc  # _open_log's, which names its file
    code = exc.errno if isinstance(exc, OSError) and exc.errno else errno.EIO
    return OSError(
        code,
        f"cannot open the outbox file {str(path)!r} ({text}): check that its folder is "
        "writable by this user and its disk has room, or set the option 'outbox' to another "
        "folder",
    )


def _open_log(path: Path, what: str) -> int:
    """Open (or create) the append-only log *path*; the error names it as *what*."""
    try:
        return os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    except OSError as exc:
        raise OSError(
            exc.errno,
            f"cannot open the {what} {str(path)!r} ({exc.strerror}): check that its folder is "
            "writable by this user and its disk has room, or set the option 'outbox' to another "
            "folder",
        ) from None
