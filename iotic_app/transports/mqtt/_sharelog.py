"""The share log: two append-only files that shares write, moved into the table in batches."""

# ``Outbox.append`` writes one record to the share log (a single write() call: in the kernel, so it
# survives a kill -9 of the process, though not a power cut; there is no fsync per share, see
# docs/mqtt.md) and returns; the sender thread moves the log into the table now and then. The
# two files are written in turn: a commit takes the rows of the active file and makes the other
# (empty) one active, so appends never wait for a commit; the taken file is emptied after the
# commit. A record is ``seq, retain, len(topic), len(body)`` (little-endian ``<QBII``), the topic
# (UTF-8), the body, and a CRC-32 of all that. At open, whole records of both files are moved
# into the table (``INSERT OR IGNORE``: a crash between a commit and the file's truncation leaves
# copies, which are ignored); a torn last record (the process died inside its write, so that
# share() never returned) is skipped with a warning. Damage elsewhere costs only the damaged
# bytes: reading resynchronises on the next whole record (valid CRC, a higher sequence number),
# and the warning says which sequence numbers the skipped bytes held.

from __future__ import annotations

import contextlib
import errno
import logging
import os
import struct
import zlib
from pathlib import Path

from iotic_app.transports.mqtt._fileio import open_log, write_error

__all__ = ["Row", "ShareLog"]

logger = logging.getLogger("iotic_app.mqtt")

Row = tuple[int, str, bytes, bool]  # seq, topic, body, retain

_HEAD = struct.Struct("<QBII")  # seq, retain, len(topic), len(body)
_CRC = struct.Struct("<I")


class ShareLog:
    """The share log: two append-only files written in turn.

    Records go to the active file; :meth:`take` hands the rows written so far to a committer
    and makes the other (empty) file active, so appends never wait for a commit; :meth:`taken`
    empties the taken file after the commit. Not thread-safe: the outbox holds its locks.
    """

    def __init__(self, database: Path) -> None:
        self.paths = tuple(database.with_name(f"{database.name}.shares.{i}") for i in (0, 1))
        self._fds: list[int] = []
        try:
            for path in self.paths:
                self._fds.append(open_log(path, "share log"))
        except BaseException:  # the second cannot be opened: close the first
            self.close()
            raise
        self._active = 0
        self.rows: list[Row] = []  # written to the files, not yet taken

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
            raise write_error(path, exc.errno, exc.strerror) from None
        if written != len(record):  # a full disk mid-record
            self._cut(fd, written)
            raise write_error(path, errno.ENOSPC, "No space left on device")
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
        fds: list[int] = []
        try:
            for path in self.paths:
                fds.append(open_log(path, "share log"))
                os.ftruncate(fds[-1], 0)
        except BaseException:  # keep the open files (the rows still reach the table), retry later
            for fd in fds:
                os.close(fd)
            raise
        old, self._fds = self._fds, fds
        for fd in old:
            os.close(fd)
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
