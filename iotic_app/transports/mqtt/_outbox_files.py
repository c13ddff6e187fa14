"""The files an outbox keeps open: opened, committed, made again if deleted, closed together."""

# The database (``_outbox_db``), the share log (``_sharelog``), the ledger's log (``_ledger``)
# and the lock file (``_fileio``) sit side by side in the outbox folder. ``check`` (the sender
# thread, every second) makes files deleted while open again, from what is open: the database
# by sqlite's backup of the open one, the share log from the rows not yet committed, the ledger
# log from its pending entries. ``committing`` is how the share log's rows reach the table: a
# transaction that takes them in first, and leaves them in the log if it fails.
#
# Lock order. The outbox's four locks are always taken in this order, and none is taken while a
# later one is held, so that no two threads can each wait for the other:
#   1. ``OutboxDb.lock``     the connection that reads and writes (held through commits)
#   2. ``OutboxDb.bg_lock``  the connection that checkpoints
#   3. ``Outbox._lock``      appends: the share log, the depth (``append_lock`` here)
#   4. ``Ledger.lock``       the ledger's log
# Any of them may be taken alone (a share takes 3 only, a delivery's ledger entry 4 only).

from __future__ import annotations

import contextlib
import errno
import logging
import os
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from iotic_app.transports.mqtt._fileio import OutboxInUse, lock_file, open_error
from iotic_app.transports.mqtt._ledger import Ledger
from iotic_app.transports.mqtt._outbox_db import OutboxDb, insert_rows
from iotic_app.transports.mqtt._sharelog import ShareLog

__all__ = ["OutboxFiles", "default_folder"]

logger = logging.getLogger("iotic_app.mqtt")


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


class OutboxFiles:
    """The files of the outbox database *path*: ``db``, ``log`` (the share log), ``ledger``,
    and the lock file, taken first and let go last."""

    def __init__(self, path: Path, wait: float) -> None:
        """Take the lock (waiting up to *wait* s for another process), then open the rest.

        Raises:
            OutboxInUse: another process has the outbox open.
            OSError: a file cannot be created or opened (the message names it).
        """
        self.path = path
        try:
            with contextlib.ExitStack() as opened:  # on a failure, closes what was opened
                path.parent.mkdir(parents=True, exist_ok=True)
                lock = path.with_name(path.name + ".lock")
                self._lock_fd = lock_file(lock, wait)  # before anything is read
                opened.callback(os.close, self._lock_fd)
                self.db = OutboxDb(path)
                opened.callback(self.db.close)
                self.log = ShareLog(path)
                opened.callback(self.log.close)
                self.ledger = Ledger(self.db, path.with_name(path.name + ".seen"))
                opened.callback(self.ledger.close)
                self._inodes = self._file_ids()
                opened.pop_all()
        except OutboxInUse:
            raise
        except (OSError, sqlite3.Error) as exc:
            raise open_error(path, exc) from None

    def _file_ids(self) -> dict[Path, tuple[int, int]]:
        """(device, inode) of each file kept open."""
        ids = {}
        for path in (self.path, *self.log.paths, self.ledger.path):
            st = os.stat(path)
            ids[path] = (st.st_dev, st.st_ino)
        return ids

    @contextlib.contextmanager
    def committing(self, append_lock: threading.Lock) -> Iterator[sqlite3.Connection]:
        """A transaction that first takes in the share log's rows (hold ``db.lock``;
        *append_lock* guards the share log): on a failure they stay in the log."""
        with append_lock:
            rows, which = self.log.take() if self.log.rows else ([], None)
        try:
            with self.db.transaction() as db:
                insert_rows(db, rows)
                yield db
        except BaseException:
            with append_lock:
                self.log.untake(rows)
            raise
        if which is not None:
            self.log.taken(which)

    def check(
        self, append_lock: threading.Lock, failed: Callable[[str, BaseException], None]
    ) -> None:
        """Make the files again if one was deleted (or replaced) while open, from what is
        open, so that nothing is lost; log an error naming the file. *append_lock* guards the
        share log; *failed* is told when the files cannot be made again.

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
        if not gone or self.db.closed:
            return
        with self.db.lock, self.db.bg_lock, append_lock, self.ledger.lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                if self.path in gone:
                    self.db.restore()
                if any(p in gone for p in self.log.paths):
                    self.log.reopen()
                if self.ledger.path in gone:
                    self.ledger.reopen()
                self._inodes = self._file_ids()
            except (OSError, sqlite3.Error) as exc:
                error = OSError(
                    errno.EIO,
                    f"the outbox file {str(gone[0])!r} was deleted while the client ran and "
                    f"cannot be made again ({exc}): the values waiting are held in memory "
                    "only; make its folder writable, or stop this client to send what it can "
                    "and start it again",
                )
                failed("files deleted", error)
                raise error from None
        logger.error(
            "outbox %s: %s deleted while the client ran; made again from the open files, "
            "nothing is lost. Keep the outbox folder away from cleaners of temporary files "
            "(or set the option 'outbox' to another folder)",
            self.path,
            ", ".join(str(p) for p in gone),
        )

    def close(self) -> None:
        """Close them all, the lock file last (hold the database's locks and the append lock;
        idempotent)."""
        if self.db.closed:
            return
        self.db.close()
        self.log.close()
        self.ledger.close()
        os.close(self._lock_fd)  # last: another process may open the outbox then
