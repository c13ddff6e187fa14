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
#
# Owners: a document of agent AGENT may name an owner OWNER (its guids are then OWNER's, from
# OWNER and LID). The catalogue takes that claim only while the broker retains the membership
# ``ROOT/_owner/OWNER/AGENT`` (with the documented ACL only a user granted that topic, i.e. an
# agent the broker's administrator enrolled in OWNER, may write it); until then the document is
# kept aside, unused, and it is taken when the membership comes. A document whose guid another
# agent's document already holds (two agents of one owner, one lid) is left out too.

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import attrs

from iotic_app.exceptions import IOTAccessDenied, IOTUnknown
from iotic_app.transports._describe import describe_point, describe_thing
from iotic_app.transports._protocol import CONTROL, PointKind, Query, ValueSpec
from iotic_app.transports._search import search
from iotic_app.transports.mqtt._docsearch import candidate as _candidate
from iotic_app.transports.mqtt._messages import parse_status
from iotic_app.transports.mqtt._thingdoc import (
    ThingDoc,
    member_topic_identity,
    parse_thing_doc,
)

__all__ = ["Catalogue"]

logger = logging.getLogger("iotic_app.mqtt")


class Catalogue:
    """What the broker retains about all things and agents, as seen by one agent."""

    def __init__(
        self, agent_id: str, root: str, sync: Callable[[], None], owner: str | None = None
    ) -> None:
        """Start empty; the transport fills the catalogue from the broker.

        Args:
            agent_id: The agent that looks (it sees its owner's things and others' public ones).
            root: The topic root.
            sync: Waits until the transport has processed all the broker sent before now.
            owner: The agent's owner (default: the agent itself).
        """
        self.agent_id = agent_id
        self.owner = agent_id if owner is None else owner
        self.root = root
        self.owners = f"{root}/_owner/"
        self.members: set[tuple[str, str]] = set()  # (owner, agent) the broker retains
        self.aside: dict[str, ThingDoc] = {}  # meta topic -> a doc whose owner is not proven
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
        self.members.clear()
        self.aside.clear()

    def on_meta(self, topic: str, raw: bytes) -> None:
        """A retained meta document on *topic* (the network thread); empty: the thing is gone."""
        self._forget(topic)
        if not raw:
            return
        try:
            doc = parse_thing_doc(self.root, topic, raw)
        except ValueError as exc:
            logger.warning("ignored the thing document on %r: %s", topic, exc)
            return
        if doc.owner != doc.agent and (doc.owner, doc.agent) not in self.members:
            self.aside[topic] = doc  # taken if the broker retains the membership
            return
        self._take(topic, doc)

    def on_member(self, topic: str, raw: bytes) -> None:
        """A retained ``ROOT/_owner/OWNER/AGENT`` (the network thread): AGENT belongs to OWNER;
        empty: no longer."""
        try:
            owner, agent = member_topic_identity(self.owners, topic)
        except ValueError as exc:
            logger.warning("ignored the message on %r: %s", topic, exc)
            return
        if raw:
            self.members.add((owner, agent))
            for where, doc in list(self.aside.items()):
                if (doc.owner, doc.agent) == (owner, agent):
                    del self.aside[where]
                    self._take(where, doc)
        else:
            self.members.discard((owner, agent))
            for where, guid in list(self.by_topic.items()):
                doc = self.docs[guid]
                if (doc.owner, doc.agent) == (owner, agent):
                    self._forget(where)
                    self.aside[where] = doc

    def _forget(self, topic: str) -> None:
        """Drop the document on *topic* (used or aside)."""
        self.aside.pop(topic, None)
        old = self.by_topic.pop(topic, None)
        if old is not None:
            doc = self.docs.pop(old, None)
            if doc is not None:
                for point in doc.points:
                    self.points.pop(point["guid"], None)

    def _take(self, topic: str, doc: ThingDoc) -> None:
        """Use *doc*, unless another agent's document holds its guid (one lid per owner)."""
        held = self.docs.get(doc.guid)
        if held is not None and held.base + "/meta" != topic:
            logger.warning(
                "ignored the thing document on %r: owner %r's thing %r is agent %r's",
                topic,
                doc.owner,
                doc.lid,
                held.agent,
            )
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
        if not self.sees(doc):
            raise IOTAccessDenied(
                f"point {guid!r} belongs to agent {doc.agent!r} and its thing is not public"
            )
        return doc, point

    def sees(self, doc: ThingDoc) -> bool:
        """Whether this agent sees *doc*'s thing: its owner's (any of its agents') or public."""
        return doc.public or doc.owner == self.owner or doc.agent == self.agent_id

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
        return search(self.owner, (_candidate(doc) for doc in docs), query)

    def describe(self, guid: str) -> dict[str, Any] | None:
        """Describe a thing or point visible to this agent (after a sync), or return None."""
        self._sync()
        doc = self.docs.get(guid)
        if doc is not None:
            if not self.sees(doc):
                return None
            return describe_thing(doc, [_DocPoint.of(p) for p in doc.points])
        found = self.points.get(guid)
        if found is None:
            return None
        doc, point = found
        if not self.sees(doc):
            return None
        values = point.get("values") or ()
        return describe_point(
            _DocPoint.of(point), doc.guid, values, int(point.get("save_recent") or 0)
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
