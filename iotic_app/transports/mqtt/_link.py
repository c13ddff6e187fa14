"""The link in service: its connection, and the calls on it that wait for the broker's answer."""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from collections.abc import Iterator, Sequence

from iotic_app.exceptions import IOTAccessDenied, IOTSyncTimeout, LinkException
from iotic_app.transports.mqtt._conn import DENIED, Conn
from iotic_app.transports.mqtt._names import Names
from iotic_app.transports.mqtt._session import Session

__all__ = ["SYNC_TIMEOUT", "Link"]

SYNC_TIMEOUT = 10.0


class Link:
    """The connection in service (the sender's ``Link``; the supervisor puts one in service
    and takes it out) and the subscribe, publish and sync calls made on a connection."""

    def __init__(self, names: Names, session: Session) -> None:
        """Start with no connection in service."""
        self._names = names
        self._session = session
        self._conn: Conn | None = None  # the connection in service, or None
        self._failure: BaseException | None = None  # a background failure (see the sender)
        self._syncs: dict[str, threading.Event] = {}  # sync marker -> its wait
        self._waits: set[threading.Event] = set()  # other waits for answers (tells)

    @property
    def conn(self) -> Conn | None:
        """The connection in service (it may be down since), or None."""
        return self._conn

    def serve(self, conn: Conn | None) -> None:
        """Put *conn* in service (None: none is)."""
        self._conn = conn

    @property
    def failure(self) -> BaseException | None:
        """The last background failure kept (see :meth:`keep_failure`), or None."""
        return self._failure

    def keep_failure(self, exc: BaseException) -> None:
        """Keep a background failure (a bug, a full disk) for whoever asks."""
        self._failure = exc

    def is_connected(self) -> bool:
        """Whether the link to the broker is up."""
        conn = self._conn
        return conn is not None and conn.ready.is_set() and not conn.closed.is_set()

    def require(self) -> Conn:
        """The connection in service, when it is up.

        Raises:
            SessionTakenOver: another process took the agent's session over.
            LinkException: the link is down.
        """
        conn = self._conn
        self._session.check()
        if conn is None or not conn.ready.is_set() or conn.closed.is_set():
            s = self._names.settings
            raise LinkException(
                f"agent {self._names.agent_id!r}: the link to the MQTT broker {s.where} is down"
            )
        return conn

    def wake(self, conn: Conn) -> None:
        """Mark *conn* closed and wake every wait on it (syncs and tells fail at once)."""
        conn.closed.set()
        conn.answered.set()
        with conn.cond:
            conn.cond.notify_all()
        for event in list(self._syncs.values()):
            event.set()
        for event in list(self._waits):
            event.set()

    @contextlib.contextmanager
    def woken(self, event: threading.Event) -> Iterator[None]:
        """While in the block, a connection that closes sets *event* (see :meth:`wake`)."""
        self._waits.add(event)
        try:
            yield
        finally:
            self._waits.discard(event)

    def subscribe(self, conn: Conn, topic: str, qos: int, retained: bool) -> None:
        """Subscribe to *topic* and wait for the SUBACK (*retained*: with its retained copy)."""
        mid = conn.engine.subscribe([(topic, qos, retained)])
        if mid is None:
            raise LinkException(
                f"agent {self._names.agent_id!r}: subscribe to {topic!r} failed: link down"
            )
        self.check(conn, mid, f"subscribe to {topic!r}")

    def subscribe_async(
        self, conn: Conn, filters: Sequence[tuple[str, int, bool]]
    ) -> list[tuple[int, str]]:
        """Subscribe to ``(topic, qos, retained)`` filters, up to 100 per SUBSCRIBE, without
        waiting for the SUBACKs.

        Returns:
            ``(mid, what)`` of each SUBSCRIBE, for :meth:`check`.
        """
        pending = []
        for at in range(0, len(filters), 100):
            chunk = filters[at : at + 100]
            mid = conn.engine.subscribe(chunk)
            what = "subscribe to " + ", ".join(repr(t) for t, _, _ in chunk[:3])
            if len(chunk) > 3:
                what += f" and {len(chunk) - 3} more"
            if mid is None:
                raise LinkException(f"agent {self._names.agent_id!r}: {what} failed: link down")
            pending.append((mid, what))
        return pending

    def publish_async(self, conn: Conn, topic: str, body: bytes, what: str) -> tuple[int, str]:
        """Publish retained at QoS 1 without waiting; returns ``(mid, what)`` for :meth:`check`."""
        mid = conn.engine.publish(topic, body, 1, True)
        if mid is None:
            raise LinkException(f"agent {self._names.agent_id!r}: {what} failed: link down")
        return mid, what

    def unsubscribe(self, conn: Conn, topic: str) -> None:
        """Unsubscribe from *topic* and wait for the UNSUBACK (nothing when the link is down)."""
        mid = conn.engine.unsubscribe([topic])
        if mid is not None:
            self.check(conn, mid, f"unsubscribe from {topic!r}")

    def publish_sync(self, conn: Conn, topic: str, body: bytes, retain: bool, what: str) -> None:
        """Publish at QoS 1 and wait for the PUBACK."""
        mid = conn.engine.publish(topic, body, 1, retain)
        if mid is None:
            raise LinkException(f"agent {self._names.agent_id!r}: {what} failed: link down")
        self.check(conn, mid, what)

    def check(self, conn: Conn, mid: int, what: str) -> None:
        """Wait for the broker's answer to *mid* (*what* it was) and raise if it refused."""
        agent_id = self._names.agent_id
        code = conn.result(mid, SYNC_TIMEOUT)
        if code is None:
            if conn.closed.is_set():
                raise LinkException(f"agent {agent_id!r}: {what}: the link went down")
            raise IOTSyncTimeout(f"agent {agent_id!r}: {what}: no answer in {SYNC_TIMEOUT} s")
        if code >= 0x80:
            if code in DENIED or code == 0x80:
                raise IOTAccessDenied(
                    f"agent {agent_id!r}: the broker denied {what} "
                    f"(reason code 0x{code:02X}); see the broker's ACL"
                )
            raise LinkException(f"agent {agent_id!r}: {what} failed (reason code 0x{code:02X})")

    def sync(self, conn: Conn | None = None) -> None:
        """Wait until this client has processed everything the broker sent before now (on
        *conn*, by default the connection in service)."""
        conn = conn or self.require()
        agent_id = self._names.agent_id
        marker = uuid.uuid4().hex
        event = threading.Event()
        self._syncs[marker] = event
        try:
            body = json.dumps({"sync": marker}).encode()
            conn.engine.publish(self._names.reply, body, 0, False)
            if not event.wait(SYNC_TIMEOUT) or (marker in self._syncs and conn.closed.is_set()):
                if conn.closed.is_set():
                    raise LinkException(f"agent {agent_id!r}: the link went down")
                raise IOTSyncTimeout(f"agent {agent_id!r}: no sync from the broker")
        finally:
            self._syncs.pop(marker, None)

    def synced(self, marker: str) -> None:
        """A sync marker came back (from the reply topic): end its wait."""
        event = self._syncs.get(marker)
        if event is not None:
            event.set()
