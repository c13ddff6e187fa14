"""Control requests: those the agent's controls receive and answer, and asks and tells it sends."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from datetime import datetime, timezone
from typing import Any

from iotic_app.exceptions import IOTUnknown, LinkException
from iotic_app.transports._protocol import (
    CONTROL,
    Accepted,
    ControlRequest,
    Delivery,
    Sink,
    TellResult,
)
from iotic_app.transports.mqtt._catalogue import Catalogue
from iotic_app.transports.mqtt._link import Link
from iotic_app.transports.mqtt._messages import parse_reply, parse_request
from iotic_app.transports.mqtt._names import Names
from iotic_app.transports.mqtt._payload import encode_sample
from iotic_app.transports.mqtt._thingdoc import seg
from iotic_app.transports.mqtt._things import Things

__all__ = ["REQUESTS_WAITING", "REQUEST_BYTES_WAITING", "Requests"]

logger = logging.getLogger("iotic_app.mqtt")

#: Control requests waiting for the agent's callbacks: at most this many, and this many bytes
#: (requests are acknowledged when they arrive, so the broker does not hold them back); past
#: either bound a request is refused (logged; a tell gets "failed"), so that no sender can make
#: the agent's memory grow without bound.
REQUESTS_WAITING = 1_000
REQUEST_BYTES_WAITING = 64 * 1024 * 1024


class _Waiting:
    """The receiver of the agent's control requests (``Receiver`` in the protocol): it
    counts what waits for the callbacks, so that ``on_request`` can refuse past the bounds."""

    __slots__ = ("bytes", "count", "lock")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0
        self.bytes = 0

    def admit(self, size: int) -> bool:
        """Count a request of *size* bytes in, unless that would pass a bound (network thread)."""
        with self.lock:
            if self.count >= REQUESTS_WAITING or self.bytes + size > REQUEST_BYTES_WAITING:
                return False
            self.count += 1
            self.bytes += size
            return True

    def accept(self, item: tuple[Delivery, ControlRequest, int]) -> Accepted | None:
        token, request, size = item
        return (token,), request, size

    def settle(self, item: tuple[Delivery, ControlRequest, int], note: Any, outcome: Any) -> None:
        with self.lock:
            self.count -= 1
            self.bytes -= item[2]


class Requests:
    """Requests to controls: the agent's controls' (handed to the sink, a tell answered when
    the client confirms it) and the asks and tells this agent sends (matched to their answer
    on the reply topic)."""

    def __init__(self, names: Names, link: Link, things: Things, catalogue: Catalogue) -> None:
        """Start with nothing waiting."""
        self._names = names
        self._link = link
        self._things = things
        self._catalogue = catalogue
        #: The sink requests go to (set at start).
        self.sink: Sink | None = None
        self._lock = threading.Lock()  # _requests
        self._waiters: dict[str, list[Any]] = {}  # request id -> [event, result]
        # the id of a received tell (ours) -> its reply topic and the requester's request id
        self._requests: dict[str, tuple[str | None, str | None]] = {}
        self._waiting = _Waiting()  # control requests handed to the worker, not yet run

    # --- incoming (the engine's network thread) ------------------------------------------

    def on_reply(self, raw: bytes) -> None:
        """A message on this client's reply topic (anyone may write there): a sync marker or a
        tell's confirmation, each matched to its own call by marker or request id."""
        try:
            kind, key, result = parse_reply(raw)
        except ValueError as exc:
            logger.warning("ignored a message on the reply topic (%s): %.120r", exc, raw)
            return
        if kind == "sync":
            self._link.synced(key)
            return
        waiter = self._waiters.get(key)
        if waiter is not None and waiter[1] is None:
            waiter[1] = result
            waiter[0].set()

    def on_request(self, topic: str, raw: bytes) -> None:
        """A request to one of the agent's controls (network thread): checked, then handed to
        the client (a tell's reply topic and id are kept under an id of this request's own)."""
        point = self._things.control(topic)
        if point is None:
            return
        try:
            req = parse_request(self._names.root, raw)
        except (ValueError, TypeError) as exc:
            logger.warning("refused a request on %r (%s): %.120r", topic, exc, raw)
            return
        if point.token is None or self.sink is None:
            if req.confirm:
                self._reply(req.reply, req.rid, "unreachable")
            return
        if not self._waiting.admit(len(raw)):
            logger.warning(
                "agent %r: refused a request on %r: %d requests (%d bytes) already wait for "
                "the control callbacks (at most %d, %d bytes)",
                self._names.agent_id,
                topic,
                self._waiting.count,
                self._waiting.bytes,
                REQUESTS_WAITING,
                REQUEST_BYTES_WAITING,
            )
            if req.confirm:
                self._reply(req.reply, req.rid, "failed")
            return
        request_id = uuid.uuid4().hex
        if req.confirm:
            with self._lock:
                self._requests[request_id] = (req.reply, req.rid)
                if len(self._requests) > 10_000:
                    self._requests.pop(next(iter(self._requests)))
        request = ControlRequest(
            req.data, req.mime, req.sub, point.thing.lid, point.pid, request_id, req.confirm
        )
        self.sink.receive(self._waiting, (point.token, request, len(raw)))

    def _reply(self, topic: str | None, rid: str | None, result: TellResult) -> None:
        """Answer a tell on its reply topic (checked by ``parse_request``: the reply namespace)."""
        conn = self._link.conn
        if conn is None or topic is None:
            return
        body = json.dumps({"rid": rid, "result": result}).encode()
        try:
            conn.engine.publish(topic, body, 1, False)
        except ValueError as exc:  # pragma: no cover - parse_request let a bad topic through
            logger.warning("could not answer a tell on %r: %s", topic, exc)

    # --- outgoing ---------------------------------------------------------------------------

    def _control_topic(self, guid: str) -> tuple[str, str]:
        own = self._things.own_point(guid)
        if own is not None:
            if own.kind != CONTROL:
                raise IOTUnknown(f"point {guid!r} is a Feed, not a Control")
            return own.topic, self._names.agent_id
        doc, point = self._catalogue.find(guid, CONTROL)
        return f"{doc.base}/control/{seg(str(point['pid']))}", doc.agent

    def ask(self, guid: str, sub_id: str, data: Any, mime: str | None) -> None:
        """Send a request to a control (QoS 1), expecting no answer."""
        conn = self._link.require()
        topic, _ = self._control_topic(guid)
        body = json.loads(encode_sample(data, mime, datetime.now(timezone.utc)))
        body.update(sub=sub_id, rid=uuid.uuid4().hex, confirm=False)
        self._link.publish_sync(conn, topic, json.dumps(body).encode(), False, f"ask {guid!r}")

    def tell(
        self, guid: str, sub_id: str, data: Any, mime: str | None, timeout: float
    ) -> TellResult:
        """Send a request and wait up to *timeout* s for the control's confirmation."""
        link = self._link
        conn = link.require()
        topic, owner = self._control_topic(guid)
        pending = self._catalogue.status_of(conn, owner)  # its retained status: before the sync
        link.sync(conn)
        for mid, what in pending:
            link.check(conn, mid, what)
        if owner != self._names.agent_id and not self._catalogue.online.get(seg(owner), False):
            return "unreachable"
        rid = uuid.uuid4().hex
        body = json.loads(encode_sample(data, mime, datetime.now(timezone.utc)))
        body.update(sub=sub_id, rid=rid, confirm=True, reply=self._names.reply)
        waiter: list[Any] = [threading.Event(), None]
        self._waiters[rid] = waiter
        try:
            with link.woken(waiter[0]):
                link.publish_sync(conn, topic, json.dumps(body).encode(), False, f"tell {guid!r}")
                waiter[0].wait(timeout)
        finally:
            self._waiters.pop(rid, None)
        if waiter[1] is None and conn.closed.is_set():
            raise LinkException(f"agent {self._names.agent_id!r}: the link went down during a tell")
        result: TellResult = waiter[1] if waiter[1] is not None else "timeout"
        return result

    def confirm_tell(self, request_id: str, success: bool) -> None:
        """Answer a tell this agent received (unknown ids are ignored)."""
        self._link.require()
        with self._lock:
            found = self._requests.pop(request_id, None)
        if found is not None:
            self._reply(*found, True if success else "failed")
