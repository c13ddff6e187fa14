"""The MQTT catalogue: every thing's retained ``meta`` document and every agent's status."""

# Design note
# -----------
# Every client keeps a catalogue of all things from the retained ``meta`` topics: search,
# describe, values and guid -> topic lookups are local reads. A "sync" (a marker published to
# the client's own reply topic and waited for) makes sure the catalogue holds everything the
# broker had when the call began.
#
# The transport's network thread fills the catalogue (``on_meta``, ``on_status``); ``clear``
# runs when a connection comes up, before it subscribes. Readers on other threads take no lock.
#
# Identity comes from the topic, never from a document: ``ROOT/AGENT/LID/meta`` is agent
# AGENT's thing LID (with the documented ACL only AGENT may write there), and its guids are
# derived from those two. A document that claims another agent, lid or guid, or that does not
# parse into the documented fields, types and ranges, is logged and left out: it cannot take
# another agent's guids, redirect a follower, or break search for everyone.

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import attrs

from iotic_app.exceptions import IOTAccessDenied, IOTUnknown
from iotic_app.transports._describe import describe_point, describe_thing
from iotic_app.transports._protocol import CONTROL, PointKind, Query, ValueSpec
from iotic_app.transports._search import Candidate, search
from iotic_app.transports.mqtt._messages import parse_status
from iotic_app.transports.mqtt._thingdoc import ThingDoc, parse_thing_doc

__all__ = ["Catalogue"]

logger = logging.getLogger("iotic_app.mqtt")


class Catalogue:
    """What the broker retains about all things and agents, as seen by one agent."""

    def __init__(self, agent_id: str, root: str, sync: Callable[[], None]) -> None:
        """Start empty; the transport fills the catalogue from the broker.

        Args:
            agent_id: The agent that looks (it sees its own things and others' public ones).
            root: The topic root.
            sync: Waits until the transport has processed all the broker sent before now.
        """
        self.agent_id = agent_id
        self.root = root
        self._sync = sync
        self.docs: dict[str, ThingDoc] = {}  # thing guid -> doc
        self.by_topic: dict[str, str] = {}  # meta topic -> thing guid
        self.points: dict[str, tuple[ThingDoc, dict[str, Any]]] = {}  # point guid -> doc, point
        self.online: dict[str, bool] = {}  # agent (a topic segment) -> its status is "online"

    def clear(self) -> None:
        """Forget everything (a new connection: the broker sends it all again)."""
        self.docs.clear()
        self.by_topic.clear()
        self.points.clear()
        self.online.clear()

    def on_meta(self, topic: str, raw: bytes) -> None:
        """A retained meta document on *topic* (the network thread); empty: the thing is gone."""
        old = self.by_topic.pop(topic, None)
        if old is not None:
            doc = self.docs.pop(old, None)
            if doc is not None:
                for point in doc.points:
                    self.points.pop(point["guid"], None)
        if not raw:
            return
        try:
            doc = parse_thing_doc(self.root, topic, raw)
        except ValueError as exc:
            logger.warning("ignored the thing document on %r: %s", topic, exc)
            return
        self.docs[doc.guid] = doc
        self.by_topic[topic] = doc.guid
        for point in doc.points:
            self.points[point["guid"]] = (doc, point)

    def on_status(self, topic: str, raw: bytes) -> None:
        """A retained ``ROOT/AGENT/_status`` (the network thread); empty: forget the agent."""
        agent = topic[len(self.root) + 1 : -len("/_status")]
        if not raw:
            self.online.pop(agent, None)
            return
        try:
            self.online[agent] = parse_status(raw)
        except ValueError as exc:
            logger.warning("ignored the status on %r: %s", topic, exc)

    def find(self, guid: str, kind: PointKind | None) -> tuple[ThingDoc, dict[str, Any]]:
        """Return the thing document and point of *guid* (after a sync if it is not known yet).

        Raises:
            IOTUnknown: there is no such point, or it is not of *kind*.
            IOTAccessDenied: the point is another agent's and its thing is not public.
        """
        found = self.points.get(guid)
        if found is None:
            self._sync()
            found = self.points.get(guid)
        if found is None:
            raise IOTUnknown(f"no point with guid {guid!r} on the broker")
        doc, point = found
        if kind is not None and point.get("kind") != kind:
            hint = "attach to a control" if point.get("kind") == CONTROL else "follow a feed"
            raise IOTUnknown(f"point {guid!r} is a {point.get('kind')}, not a {kind} ({hint})")
        if doc.agent != self.agent_id and not doc.public:
            raise IOTAccessDenied(
                f"point {guid!r} belongs to agent {doc.agent!r} and its thing is not public"
            )
        return doc, point

    def values(self, guid: str) -> tuple[ValueSpec, ...]:
        """Return the values a point in the catalogue declares."""
        _, point = self.find(guid, None)
        return tuple(
            ValueSpec(v["label"], v["type"], v.get("lang"), v.get("description"), v.get("unit"))
            for v in point.get("values") or ()
        )

    def search(self, query: Query) -> Any:
        """Search the things of the query's scope in the catalogue (after a sync)."""
        self._sync()
        docs = list(self.docs.values())
        return search(self.agent_id, (_candidate(doc) for doc in docs), query)

    def describe(self, guid: str) -> dict[str, Any] | None:
        """Describe a thing or point visible to this agent (after a sync), or return None."""
        self._sync()
        doc = self.docs.get(guid)
        if doc is not None:
            if doc.agent != self.agent_id and not doc.public:
                return None
            return describe_thing(doc, [_DocPoint.of(p) for p in doc.points])
        found = self.points.get(guid)
        if found is None:
            return None
        doc, point = found
        if doc.agent != self.agent_id and not doc.public:
            return None
        values = point.get("values") or ()
        return describe_point(
            _DocPoint.of(point), doc.guid, values, int(point.get("save_recent") or 0)
        )


def _candidate(doc: ThingDoc) -> Candidate:
    """A catalogue document as search sees it."""
    texts: list[tuple[str | None, str]] = [(None, tag) for tag in doc.tags]
    texts.extend(doc.labels.items())
    texts.extend(doc.descriptions.items())
    for p in doc.points:
        texts.extend((p.get("labels") or {}).items())
        texts.extend((p.get("descriptions") or {}).items())
        texts.extend((None, tag) for tag in p.get("tags") or ())
    return Candidate(
        guid=doc.guid,
        agent=doc.agent,
        public=doc.public,
        labels=doc.labels,
        location=doc.location,
        texts=texts,
        units={v.get("unit") for p in doc.points for v in p.get("values") or ()},
        points=[
            (str(p["guid"]), p.get("labels") or {}, str(p["kind"]), (p.get("save_recent") or 0) > 0)
            for p in doc.points
        ],
        properties=doc.properties,
    )


@attrs.frozen
class _DocPoint:
    """A point of a catalogue document, as ``describe`` reads it."""

    kind: str
    guid: str
    pid: str
    labels: dict[str, str] | None
    descriptions: dict[str, str] | None
    tags: list[str]

    @classmethod
    def of(cls, p: dict[str, Any]) -> _DocPoint:
        """The view of the document's point *p* (checked by ``parse_thing_doc``)."""
        return cls(
            p["kind"],
            p["guid"],
            p["pid"],
            p.get("labels"),
            p.get("descriptions"),
            p.get("tags") or [],
        )
