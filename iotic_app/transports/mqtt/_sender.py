"""The MQTT sender: shares into the outbox and out to the broker, PUBACKs back into the outbox."""

# Design note
# -----------
# Shares go through the durable outbox (``_outbox.py``): share() writes the row to the outbox's
# share log, then publishes it (when the link is up and nothing waits before it), and never
# fails because the link is down. A sender thread moves the log into the outbox's table,
# publishes waiting rows in order with at most WINDOW unacknowledged, and marks them on PUBACK
# (in batches). Each connection is a fresh engine, so after a reconnect the outbox alone
# decides what is resent, in order, starting with what the broker acknowledged within the replay
# window (a broker killed after a PUBACK may have lost it).
#
# A broker's PUBACK times are kept (``_last_ack_at``): the outbox counts its replay window back
# from the latest one. A share stores its value and its feed's recent list in one write (both
# or, an OSError naming the file, neither). When another process takes the session over,
# ``release()`` has the sender thread close the outbox (flushing the share log into the table),
# so the new process opens it and goes on from it; later shares raise ``SessionTakenOver``.
#
# The send lock keeps the outbox's order and each connection's ``inflight``: share() appends
# and publishes under it, the sender thread takes PUBACKs and publishes the backlog under it.
# The outbox's own commits (``ack``) run outside it, so share() never waits for one.

from __future__ import annotations

import logging
import threading
import time as _time
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from iotic_app.exceptions import IOTUnknown
from iotic_app.transports.mqtt._conn import Conn
from iotic_app.transports.mqtt._json import from_json, to_json
from iotic_app.transports.mqtt._outbox import Outbox
from iotic_app.transports.mqtt._payload import encode_sample
from iotic_app.transports.mqtt._session import taken_over_error
from iotic_app.transports.mqtt._sharelog import Row

__all__ = ["Link", "Sender"]

logger = logging.getLogger("iotic_app.mqtt")

_ACK_BATCH = 256
_QUEUED = 10_000  # rows of a backlog kept in memory (also at most half the outbox's limit)
_ACK_PERIOD = 0.1  # PUBACKs into the outbox table at least this often (fewer commits: less jitter)
_CHECKPOINT_PERIOD = 10.0
_LOGS_PERIOD = 1.0  # the share log and the ledger log into their tables, at least this often


class Link(Protocol):
    """What the sender uses of the link in service (``_link.Link``): public names only."""

    @property
    def conn(self) -> Conn | None:
        """The connection in service (it may be down since), or None."""
        ...

    @property
    def failure(self) -> BaseException | None:
        """The last background failure kept, or None."""
        ...

    def keep_failure(self, exc: BaseException) -> None:
        """Keep a background failure for whoever asks."""
        ...

    def is_connected(self) -> bool:
        """Whether the link to the broker is up."""
        ...


class Sender:
    """The outbox of one agent and the thread that moves it to the broker and back."""

    def __init__(
        self,
        agent_id: str,
        link: Link,
        stopping: threading.Event,
        open_outbox: Callable[[], Outbox],
    ) -> None:
        self.agent_id = agent_id
        self._link = link
        self._stopping = stopping
        self._open_outbox = open_outbox
        self.opened: Outbox | None = None
        self._send_lock = threading.Lock()  # outbox order, inflight
        self._handed = 0  # highest seq handed to the current connection
        # The rows shared while a backlog waits, as stored (newest last): the sender sends from
        # here while they follow on what it handed, instead of reading the outbox's table
        # (a window of 20, stock Mosquitto's, made that a commit and a query per 20 values).
        self._queued: deque[Row] = deque()
        self._backlog = True
        # topic -> seq of its newest row shared in this run: a row sent from a backlog goes
        # out retained only when it is still its feed's newest (see _pump)
        self._newest: dict[str, int] = {}
        # topic -> the last seq stored when its feed was deleted: those rows are not sent
        # (they would bring back the retained copy that the delete cleared)
        self._deleted: dict[str, int] = {}
        # the broker's Maximum Packet Size as its last connection said (None: no limit set):
        # a larger value is refused by share(), also while the link is down
        self._limit: int | None = None
        self._to_ack: list[int] = []
        self._last_ack_at = 0.0  # time.time() of the broker's latest acknowledgement
        self._to_ack_at = 0.0  # ... when the ack batch was taken
        self._acks_flushed = 0.0
        self.kick = threading.Event()  # wakes the sender thread
        self._release = False  # taken over: let the outbox go (see release())
        self._thread: threading.Thread | None = None

    @property
    def outbox(self) -> Outbox:
        """The agent's outbox (opened on first use; after :meth:`close_outbox` the closed one,
        until :meth:`open` opens it again).

        Raises:
            SessionTakenOver: another process took the session, and so the outbox, over.
        """
        opened = self.opened
        if opened is not None and opened.closed and self._release:
            raise taken_over_error(self.agent_id, " (and the outbox with it)")
        return opened if opened is not None else self.open()

    def open(self) -> Outbox:
        """Open the outbox unless it is open (at start, and before resending from it)."""
        opened = self.opened
        if opened is None or opened.closed:
            self.opened = opened = self._open_outbox()
        return opened

    def release(self) -> None:
        """Another process took the session over: let the outbox go, so that it goes on from
        it (its sequence numbers, what waits). The sender thread closes it (this may be called
        from the engine's network thread); later shares raise ``SessionTakenOver``."""
        self._release = True
        self.kick.set()

    def close_outbox(self) -> None:
        """Close the outbox (at stop: another client of the agent may open it then)."""
        with self._send_lock:
            if self.opened is not None:
                self.opened.close()

    def start(self) -> None:
        """Start the sender thread."""
        self._thread = threading.Thread(
            target=self._send_loop, name=f"iotic_app-mqtt-send-{self.agent_id}", daemon=True
        )
        self._thread.start()

    def join(self, timeout: float) -> None:
        """Wait up to *timeout* s for the sender thread to end (not from the thread itself)."""
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        self._thread = None

    def replay(self) -> None:
        """A new connection: send what waits, and what the broker acknowledged within the
        replay window before its latest acknowledgement (see ``Outbox.requeue``)."""
        with self._send_lock:
            self._handed = self.open().requeue()
            self._backlog = True
            self._queued.clear()  # the table has them all, in order

    def lost(self, conn: Conn) -> None:
        """Keep the PUBACKs that *conn* got before it went down."""
        with self._send_lock:
            self._take_acks(conn)
        self.flush_acks()

    def on_ack(self, conn: Conn, mid: int, value: int) -> None:
        """A PUBACK, SUBACK or UNSUBACK on *conn* (the network thread)."""
        self._last_ack_at = _time.time()  # the broker was alive then
        with conn.cond:
            conn.acked[mid] = value
            conn.cond.notify_all()
        if self._backlog:  # the sender waits for room in the window
            self.kick.set()

    def share(self, point: Any, data: Any, mime: str | None, time: datetime) -> None:
        """Share one sample: into the outbox (on disk when this returns), then to the broker.

        Never fails because the link is down: the value waits in the outbox.

        Raises:
            OSError: the outbox cannot store it (a full disk, say; the message names the
                file); nothing was stored or changed.
        """
        if point.deleted:
            raise IOTUnknown(f"feed {point.pid!r} of thing {point.thing.lid!r} was deleted")
        body = encode_sample(data, mime, time)
        with self._send_lock:
            outbox = self.outbox  # SessionTakenOver once another process has it
            body = point.stamp(body)  # the value's number on its feed, in share order
            messages = [(point.topic, body, True)]
            recent = point.recent
            if recent is not None:  # the list with this value, kept once it is stored
                kept = list(recent)[1:] if len(recent) == recent.maxlen else list(recent)
                doc = b"[" + b",".join([*kept, body]) + b"]"
                messages.append((point.topic + "/recent", doc, True))
            try:
                self._check_size(messages)
                seqs = outbox.append_many(messages)  # one write(): both stored, or neither
            except BaseException:
                point.number -= 1  # not stored: the next value takes its number (no gap)
                raise
            point.last = (data, mime, time)
            if recent is not None:
                recent.append(body)
            rows = [(seq, t, b, r) for seq, (t, b, r) in zip(seqs, messages, strict=True)]
            newest = self._newest
            for seq, topic, _body, _retain in rows:
                newest[topic] = seq
            # on disk first (the outbox's share log: a few microseconds), then out
            conn = self._link.conn
            if (
                not self._backlog
                and conn is not None
                and conn.connected.is_set()
                and not conn.closed.is_set()
                and len(conn.inflight) < conn.receive_max
            ):
                refused = [error for row in rows if (error := self._send(conn, *row))]
                if refused:  # dropped from the outbox: the broker can never take it
                    raise ValueError(refused[0])
                return
            self._backlog = True
            queued = self._queued
            if len(queued) + len(rows) <= min(_QUEUED, outbox.limit // 2):
                queued.extend(rows)  # (the outbox never drops these: they are its newest)
            else:
                queued.clear()  # too many: from the table
        self.kick.set()

    def load_history(self, point: Any) -> None:
        """Go on from what an earlier run of the agent left in the outbox for feed *point*:
        its value numbers (followers count gaps with them) and its ``/recent`` list, so that
        both survive a restart of the sharer."""
        if point.number == 0:
            last = self.outbox.retained(point.topic)
            try:
                number = from_json(last).get("n") if last else None
            except (ValueError, AttributeError):
                number = None
            if type(number) is int and number > 0:
                with self._send_lock:
                    point.number = max(point.number, number)
        if point.recent is None or point.recent:
            return
        doc = self.outbox.retained(point.topic + "/recent")
        if not doc:
            return
        try:
            items = from_json(doc)
            if not isinstance(items, list):
                raise ValueError("not a JSON list")
            bodies = [to_json(item) for item in items]
        except ValueError as exc:
            logger.warning(
                "agent %r: the recent values of %r kept in the outbox %s cannot be read (%s); "
                "the feed's history starts again",
                self.agent_id,
                point.topic,
                self.outbox.path,
                exc,
            )
            return
        with self._send_lock:
            if not point.recent:
                point.recent.extend(bodies)

    def forget(self, point: Any) -> None:
        """Feed *point* was deleted: forget its kept last value and history."""
        with self._send_lock:
            last = self.opened.last_seq if self.opened is not None else 0
            for topic in (point.topic, point.topic + "/recent"):
                self._newest.pop(topic, None)
                self._deleted[topic] = last
        if self.opened is not None:
            self.opened.forget([point.topic, point.topic + "/recent"])

    def _check_size(self, messages: list[tuple[str, bytes, bool]]) -> None:
        """Refuse a value the broker would refuse (its last known Maximum Packet Size)."""
        limit = self._limit
        if limit is None:
            return
        for topic, body, _retain in messages:
            # the frame's epoch and seq, and MQTT's fixed header, topic length and packet id
            size = len(topic.encode()) + len(body) + len(self.outbox.epoch) + 48
            if size > limit:
                raise ValueError(
                    f"agent {self.agent_id!r}: a value of {len(body):,} bytes on {topic!r} is "
                    f"larger than the broker's maximum packet size, {limit:,} bytes (its "
                    "CONNACK); nothing was stored"
                )

    def _frame(self, seq: int, body: bytes) -> bytes:
        head = b'{"epoch":"%s","seq":%d,' % (self.outbox.epoch.encode(), seq)
        return head + body[1:] if body.startswith(b"{") else body

    def _send(self, conn: Conn, seq: int, topic: str, body: bytes, retain: bool) -> str | None:
        """Publish outbox row *seq* on *conn* (under the send lock).

        Returns:
            None, or why the engine refused it (larger than the broker's maximum packet
            size): then it is dropped from the outbox, logged, never sent again.
        """
        cut = self._deleted.get(topic)
        if cut is not None and seq <= cut:  # its feed was deleted meanwhile: dropped
            self._handed = seq
            self._to_ack.append(seq)
            return None
        try:
            mid = conn.engine.publish(topic, self._frame(seq, body), 1, retain)
        except ValueError as exc:
            self._handed = seq
            self._to_ack.append(seq)  # out of the outbox with the next ack batch
            error = f"agent {self.agent_id!r}: share on {topic!r} dropped: {exc}"
            logger.error("%s", error)
            return error
        if mid is not None:
            conn.inflight[mid] = seq
        self._handed = seq
        return None

    def _send_loop(self) -> None:
        """Move PUBACKs to the outbox and publish the backlog, WINDOW at a time; checkpoint
        the outbox file now and then (off the share path)."""
        link = self._link
        checkpointed = logs_written = _time.monotonic()
        while True:
            self.kick.wait(_ACK_PERIOD)
            self.kick.clear()
            if self._release:
                self.close_outbox()
            if self._stopping.is_set():
                return
            # while PUBACKs come in, their commits take the share log along (see _pump)
            if _time.monotonic() - logs_written > _LOGS_PERIOD:
                logs_written = _time.monotonic()
                try:
                    if self.opened is not None:
                        self.opened.check_files()
                    self.write_logs()
                except Exception as exc:  # a full disk, say: the logs keep all; retried later
                    if type(exc) is not type(link.failure):
                        logger.exception(
                            "agent %r: moving the outbox logs into the table failed",
                            self.agent_id,
                        )
                    link.keep_failure(exc)
            if _time.monotonic() - checkpointed > _CHECKPOINT_PERIOD and self.opened is not None:
                checkpointed = _time.monotonic()
                try:
                    self.opened.maintain()
                except Exception:  # a busy file: the next round tries again
                    logger.debug("outbox checkpoint failed", exc_info=True)
            conn = link.conn
            if conn is None or not conn.connected.is_set() or conn.closed.is_set():
                continue
            try:
                self._pump(conn)
            except Exception as exc:  # keep it; the next kick tries again
                link.keep_failure(exc)
                logger.exception("agent %r: sending from the outbox failed", self.agent_id)

    def _pump(self, conn: Conn) -> None:
        outbox = self.outbox
        with self._send_lock:
            self._limit = conn.engine.max_packet_size()
            self._take_acks(conn)
            acked = self._due_acks(conn)
            acked_at = self._to_ack_at
            room = conn.receive_max - len(conn.inflight)
            if self._backlog and room > 0 and not conn.closed.is_set():
                rows = self._from_queue(room) or outbox.after(self._handed, room)
                # A row goes out retained only while it is its feed's newest (or, for rows of
                # an earlier run, the window's last of its feed): the broker would replace
                # the others in its store at once, and a clustered broker such as NATS
                # replicates each retained message (ten times the cost of a plain one).
                newest = self._newest
                last = {row[1]: i for i, row in enumerate(rows) if row[3]}
                with conn.engine.corked():  # one write for the lot
                    for i, (seq, topic, body, retain) in enumerate(rows):
                        if retain:
                            known = newest.get(topic)
                            retain = seq == known if known is not None else last[topic] == i
                        self._send(conn, seq, topic, body, retain)
                if len(rows) < room:
                    self._backlog = False
                elif len(conn.inflight) < conn.receive_max:  # rows dropped, not sent: more
                    self.kick.set()
        if acked:  # the commit, outside the send lock: share() does not wait for it
            outbox.ack(acked, acked_at)

    def _from_queue(self, room: int) -> list[Row]:
        """Up to *room* queued rows when they follow on the last one handed, else [] (under
        the send lock)."""
        queued, handed = self._queued, self._handed
        while queued and queued[0][0] <= handed:
            queued.popleft()
        if not queued or queued[0][0] != handed + 1:
            return []
        return [queued.popleft() for _ in range(min(room, len(queued)))]

    def _take_acks(self, conn: Conn) -> None:
        """Move *conn*'s PUBACKs of shared values to the ack batch (under the send lock)."""
        inflight = conn.inflight
        with conn.cond:
            done = [(mid, conn.acked.pop(mid)) for mid in list(conn.acked) if mid in inflight]
        for mid, code in done:
            seq = inflight.pop(mid)
            if code >= 0x80:
                logger.error(
                    "agent %r: the broker refused a shared value (reason code 0x%02X); "
                    "dropped it (check the broker's ACL)",
                    self.agent_id,
                    code,
                )
            self._to_ack.append(seq)
        if done:
            self._to_ack_at = self._last_ack_at

    def _due_acks(self, conn: Conn) -> list[int]:
        """Return the ack batch when it is due for the outbox, else [] (under the send lock)."""
        now = _time.monotonic()
        # not at once when nothing is in flight any more: with a small window (stock
        # Mosquitto's 20) that was a commit every 20 values; a quiet sharer's come within
        # _ACK_PERIOD (the sender thread's wait), a busy one's in batches
        if len(self._to_ack) >= _ACK_BATCH or (
            self._to_ack and now - self._acks_flushed > _ACK_PERIOD
        ):
            self._acks_flushed = now
            batch, self._to_ack = self._to_ack, []
            return batch
        return []

    def write_logs(self) -> None:
        """Move the share log and the ledger log into their tables (sender thread, and at
        stop)."""
        if self.opened is not None and not self.opened.closed:
            self.opened.flush()
            self.opened.flush_seen()

    def flush_acks(self) -> None:
        """Mark the PUBACKs in the ack batch in the outbox now."""
        with self._send_lock:
            batch, self._to_ack = self._to_ack, []
            at = self._to_ack_at
        if batch and self.opened is not None:
            self.opened.ack(batch, at)

    def drain(self, timeout: float) -> None:
        """Give the sender up to *timeout* s to have every waiting share acknowledged."""
        outbox = self.opened
        if outbox is None or outbox.closed:
            return
        deadline = _time.monotonic() + timeout
        pause = threading.Event()
        self.kick.set()
        while self._link.is_connected() and _time.monotonic() < deadline:
            self.flush_acks()
            if not outbox.depth:
                return
            self.kick.set()  # the sender moves the PUBACKs that came in meanwhile
            pause.wait(0.005)
        if outbox.depth:
            logger.warning(
                "agent %r: stopping with %d share(s) not yet acknowledged by the broker; they "
                "stay in the outbox and go out at the next start",
                self.agent_id,
                outbox.depth,
            )
