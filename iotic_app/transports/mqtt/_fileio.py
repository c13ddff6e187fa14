"""Opening the outbox's files: a lock file (one process per agent), append-only logs, errors."""

# One process at a time: an exclusive flock on ``<agent_id>.sqlite.lock`` (holding the holder's
# pid), taken before anything is read and let go last at close. A process that takes the
# session over waits for it (the old one's sender closes its outbox when pushed off), so it
# continues the old one's sequence numbers and sends what the old one stored.

from __future__ import annotations

import errno
import fcntl
import os
import sqlite3
import threading
import time
from pathlib import Path

__all__ = ["OutboxInUse", "lock_file", "open_error", "open_log", "write_error"]


class OutboxInUse(OSError):
    """Another process has the outbox open."""


def lock_file(path: Path, wait: float) -> int:
    """Take the outbox's lock file *path* (an exclusive ``flock``), waiting up to *wait* s
    for a process that holds it; write this process's id into it; return its descriptor."""
    fd = open_log(path, "lock file")
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


def write_error(path: str, code: int | None, reason: str | None) -> OSError:
    return OSError(
        code or errno.EIO,
        f"cannot write the share log {path!r} ({reason}): this value was not stored and will "
        "not be sent; free space on its disk (or set the option 'outbox' to another folder) "
        "and share it again",
    )


def open_error(path: Path, exc: BaseException) -> OSError:
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
        return exc  # open_log's, which names its file
    code = exc.errno if isinstance(exc, OSError) and exc.errno else errno.EIO
    return OSError(
        code,
        f"cannot open the outbox file {str(path)!r} ({text}): check that its folder is "
        "writable by this user and its disk has room, or set the option 'outbox' to another "
        "folder",
    )


def open_log(path: Path, what: str) -> int:
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
