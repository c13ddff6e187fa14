"""The MQTT transport's handles: the agent's things and points, its follows, followed topics."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any, Protocol, TypeAlias

from iotic_app.transports._handles import PointHandle, ThingHandle
from iotic_app.transports._held import Held
from iotic_app.transports._protocol import (
    CONTROL,
    FEED,
    Accepted,
    Delivery,
    Outcome,
    PointKind,
    ValueSpec,
    point_guid,
    thing_guid,
)
from iotic_app.transports.mqtt._conn import Conn
from iotic_app.transports.mqtt._engine import Message
from iotic_app.transports.mqtt._thingdoc import WIRE_VERSION, ThingDoc, seg

__all__ = ["Feeds", "Item", "Point", "Route", "Sub", "Thing"]


# (topic, payload, the connection it came on, the message to acknowledge: None for QoS 0)
Item: TypeAlias = "tuple[str, bytes | bytearray, Conn, Message | None]"
"""One value as it came from the broker: topic, payload, the connection, the message id (0 for
nothing to acknowledge)."""


class Feeds(Protocol):
    """What a route uses of its deliverer (``_delivery.Deliverer``): public names only."""

    def accept_feed(self, route: Route, item: Item) -> Accepted | None:
        """Decode a value and drop duplicates (the client's worker thread, no user code)."""
        ...

    def settle_feed(self, item: Item, note: Any) -> None:
        """Record a value in the ledger and acknowledge it (the worker, after callbacks)."""
        ...


class Thing(ThingHandle):
    """One of the agent's things (the transport's ThingRef)."""

    __slots__ = ("base", "points", "subs")

    def __init__(self, lid: str, guid: str, base: str) -> None:
        super().__init__(lid, guid)
        self.base = base
        self.points: dict[tuple[str, str], Point] = {}
        self.subs: dict[str, Sub] = {}

    @classmethod
    def from_doc(cls, doc: ThingDoc, index: Callable[[Point], None]) -> Thing:
        """The thing and points in *doc* (the broker keeps it from an earlier run).

        *doc* is a checked catalogue document (``parse_thing_doc``): its agent and lid come
        from the topic it was published on; the guids are derived here again from those, so a
        thing never takes an identity its topic does not give it.

        Args:
            doc: One of the agent's things, from the catalogue.
            index: Called with each point as it is added to the thing.
        """
        thing = cls(doc.lid, thing_guid(doc.owner, doc.lid), doc.base)
        thing.public = doc.public
        thing.write_meta(doc.labels, doc.descriptions, doc.location)
        thing.tags = frozenset(doc.tags)
        thing.properties = doc.properties
        for p in doc.points:
            kind: PointKind = CONTROL if p["kind"] == CONTROL else FEED
            pid = str(p["pid"])
            point = Point(thing, kind, pid, point_guid(thing.guid, kind, pid))
            point.write_meta(p["labels"], p["descriptions"], None)
            point.tags = frozenset(p["tags"])
            point.values = tuple(
                ValueSpec(v["label"], v["type"], v["lang"], v["description"], v["unit"])
                for v in p["values"]
            )
            point.save_recent = int(p["save_recent"])
            if point.save_recent > 1:
                point.recent = deque(maxlen=point.save_recent)
            thing.points[(kind, point.pid)] = point
            index(point)
        return thing

    def doc(self, agent: str, owner: str | None = None) -> dict[str, Any]:
        """The thing's document (``owner`` only when the agent belongs to another owner)."""
        return {
            "v": WIRE_VERSION,
            "agent": agent,
            **({} if owner is None or owner == agent else {"owner": owner}),
            "lid": self.lid,
            "guid": self.guid,
            "public": self.public,
            "labels": dict(self.labels),
            "descriptions": dict(self.descriptions),
            "location": None if self.location is None else list(self.location),
            "tags": sorted(self.tags),
            "points": [p.doc() for p in self.points.values()],
            "properties": [
                [pred, list(obj) if isinstance(obj, tuple) else obj]
                for pred, obj in self.properties
            ],
        }


class Point(PointHandle[bytes]):
    """A feed or control of one of the agent's things (the transport's PointRef)."""

    __slots__ = ("number", "token", "topic")

    thing: Thing

    def __init__(self, thing: Thing, kind: PointKind, pid: str, guid: str) -> None:
        super().__init__(thing, kind, pid, guid)
        self.topic = f"{thing.base}/{'feed' if kind == FEED else 'control'}/{seg(pid)}"
        self.number = 0  # values shared on this feed by this process
        self.token: Delivery | None = None

    def stamp(self, body: bytes) -> bytes:
        """Return the encoded value *body* with the feed's next value number ``n`` (followers
        count gaps with it); call it in share order (the sender's lock)."""
        self.number += 1
        return b'{"n":%d,' % self.number + body[1:]

    def doc(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "pid": self.pid,
            "guid": self.guid,
            "labels": dict(self.labels),
            "descriptions": dict(self.descriptions),
            "tags": sorted(self.tags),
            "values": [v.as_dict() for v in self.values],
            "save_recent": self.save_recent,
        }


class Sub:
    """A follow or attach of one of the agent's things (kept on the broker: ``_kept.py``).

    Its :attr:`token` is the :class:`~iotic_app.transports._held.Held` on the route: it hands
    the values to the token the client bound, and holds them while none is (a follow restored
    from an earlier run that the script has not followed again).
    """

    __slots__ = ("former", "group", "guid", "kind", "route", "subid", "thing", "token", "topic")

    def __init__(
        self,
        subid: str,
        thing: Thing,
        kind: PointKind,
        guid: str,
        route: Route | None,
        token: Held,
        topic: str,
        group: str | None,
    ) -> None:
        self.subid = subid
        self.thing = thing
        self.kind: PointKind = kind
        self.guid = guid
        self.route = route
        self.token = token
        self.topic = topic  # the followed point's topic
        self.group = group
        # routes of the feed's earlier topics (its thing moved to another agent of its owner):
        # what the broker still sends on them (queued while away) reaches the follow too
        self.former: tuple[Route, ...] = ()


class Route:
    """One followed feed topic (the MQTT subscription) and the follows it feeds.

    It is the receiver the sink's worker asks about each value (``Receiver`` in the
    protocol): values arrive as they came from the broker; ``accept`` decodes them
    and drops duplicates, the worker runs every follow's callback, and ``settle`` records the
    value in the ledger and acknowledges it to the broker, whatever the callbacks did.
    """

    __slots__ = ("filter", "group", "held", "live", "tokens", "topic", "transport")

    def __init__(self, transport: Feeds, topic: str, group: str | None) -> None:
        self.transport = transport
        self.topic = topic
        self.group = group
        self.filter = topic if group is None else f"$share/{group}/{topic}"
        self.tokens: tuple[Delivery, ...] = ()
        self.held: list[Item] = []  # arrived while the follow was being made
        self.live = False  # its first follow is made: values go straight to the worker

    def accept(self, item: Item) -> Accepted | None:
        return self.transport.accept_feed(self, item)

    def settle(self, item: Item, note: Any, outcome: Outcome) -> None:
        self.transport.settle_feed(item, note)
