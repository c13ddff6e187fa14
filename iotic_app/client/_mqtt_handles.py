"""The MQTT transport's handles: the agent's things and points, its follows, followed topics."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

import paho.mqtt.client as mqtt

from iotic_app.client._mqtt_wire import ThingDoc, seg
from iotic_app.client._transport import (
    CONTROL,
    FEED,
    Delivery,
    PointKind,
    Sample,
    ValueSpec,
    point_guid,
    thing_guid,
)

__all__ = ["Feeds", "Point", "Route", "Sub", "Thing"]


class Feeds(Protocol):
    """What a route uses of its transport (``MqttTransport``)."""

    def _deliver_feed(self, route: Route, item: tuple[str, bytes, mqtt.Client, int]) -> None:
        """Deliver one queued value of *route* (the client's worker thread)."""
        ...


class Thing:
    """One of the agent's things (the transport's ThingRef)."""

    __slots__ = (
        "base",
        "deleted",
        "descriptions",
        "guid",
        "labels",
        "lid",
        "location",
        "points",
        "public",
        "subs",
        "tags",
    )

    def __init__(self, lid: str, guid: str, base: str) -> None:
        self.lid = lid
        self.guid = guid
        self.base = base
        self.labels: dict[str, str] = {}
        self.descriptions: dict[str, str] = {}
        self.location: tuple[float, float] | None = None
        self.tags: frozenset[str] = frozenset()
        self.public = False
        self.points: dict[tuple[str, str], Point] = {}
        self.subs: dict[str, Sub] = {}
        self.deleted = False

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
        thing = cls(doc.lid, thing_guid(doc.agent, doc.lid), doc.base)
        thing.public = doc.public
        thing.labels = dict(doc.labels)
        thing.descriptions = dict(doc.descriptions)
        thing.location = doc.location
        thing.tags = frozenset(doc.tags)
        for p in doc.points:
            kind: PointKind = CONTROL if p["kind"] == CONTROL else FEED
            pid = str(p["pid"])
            point = Point(thing, kind, pid, point_guid(thing.guid, kind, pid))
            point.labels = dict(p["labels"])
            point.descriptions = dict(p["descriptions"])
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

    def doc(self, agent: str) -> dict[str, Any]:
        return {
            "v": 1,
            "agent": agent,
            "lid": self.lid,
            "guid": self.guid,
            "public": self.public,
            "labels": self.labels,
            "descriptions": self.descriptions,
            "location": None if self.location is None else list(self.location),
            "tags": sorted(self.tags),
            "points": [p.doc() for p in self.points.values()],
        }


class Point:
    """A feed or control of one of the agent's things (the transport's PointRef)."""

    __slots__ = (
        "deleted",
        "descriptions",
        "guid",
        "kind",
        "labels",
        "last",
        "pid",
        "recent",
        "save_recent",
        "tags",
        "thing",
        "token",
        "topic",
        "values",
    )

    def __init__(self, thing: Thing, kind: PointKind, pid: str, guid: str) -> None:
        self.thing = thing
        self.kind: PointKind = kind
        self.pid = pid
        self.guid = guid
        self.topic = f"{thing.base}/{'feed' if kind == FEED else 'control'}/{seg(pid)}"
        self.labels: dict[str, str] = {}
        self.descriptions: dict[str, str] = {}
        self.tags: frozenset[str] = frozenset()
        self.values: tuple[ValueSpec, ...] = ()
        self.save_recent = 0
        self.recent: deque[bytes] | None = None
        self.last: Sample | None = None
        self.token: Delivery | None = None
        self.deleted = False

    def doc(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "pid": self.pid,
            "guid": self.guid,
            "labels": self.labels,
            "descriptions": self.descriptions,
            "tags": sorted(self.tags),
            "values": [v.as_dict() for v in self.values],
            "save_recent": self.save_recent,
        }


class Sub:
    """A follow or attach of one of the agent's things."""

    __slots__ = ("guid", "kind", "route", "subid", "thing", "token")

    def __init__(
        self,
        subid: str,
        thing: Thing,
        kind: PointKind,
        guid: str,
        route: Route | None,
        token: Delivery,
    ) -> None:
        self.subid = subid
        self.thing = thing
        self.kind: PointKind = kind
        self.guid = guid
        self.route = route
        self.token = token


class Route:
    """One followed feed topic (the MQTT subscription) and the follows it feeds.

    It is the token the sink delivers to: values arrive as they came from the broker, and
    ``MqttTransport._deliver_feed`` decodes them, drops duplicates, runs every follow's
    callback, records the value in the ledger, then acknowledges it to the broker.
    """

    __slots__ = ("filter", "held", "tokens", "topic", "transport")

    def __init__(self, transport: Feeds, topic: str, group: str | None) -> None:
        self.transport = transport
        self.topic = topic
        self.filter = topic if group is None else f"$share/{group}/{topic}"
        self.tokens: tuple[Delivery, ...] = ()
        self.held: list[tuple[Any, ...]] = []

    def _deliver(self, item: tuple[str, bytes, mqtt.Client, int]) -> None:
        self.transport._deliver_feed(self, item)
