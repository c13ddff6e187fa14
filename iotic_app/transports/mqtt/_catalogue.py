"""The MQTT catalogue: the thing documents this agent needs, looked up through exact topics."""

# Design note
# -----------
# An agent's cost does not grow with the space: it holds its own things (``ROOT/AGENT/+/meta``),
# its owner's memberships (``ROOT/_owner/OWNER/+``) and those members' things
# (``ROOT/MEMBER/+/meta``), subscribed with wildcards, and nothing else until asked. A guid it
# does not hold is looked up (:meth:`Catalogue.find`): the exact retained pointer
# ``ROOT/_guid/GUID`` (``{"v": 2, "agent": AGENT, "lid": LID}``, published by the owner), a
# sync, then the exact ``ROOT/AGENT/LID/meta`` it names and a sync (two round trips; none when
# held). The looked-up thing stays subscribed, so its changes keep arriving; at most ``keep``
# of them are, the least recently used unsubscribed first (never one a follow needs).
#
# A "sync" (a marker published to the client's own reply topic and waited for) makes sure the
# catalogue holds everything the broker had sent when it returns: the broker sends a
# subscription's retained messages right after its SUBACK, before a later marker.
#
# The transport's network thread fills the catalogue (``on_meta``, ``on_pointer``,
# ``on_member``, ``on_status``); ``clear`` runs when a connection comes up, before it
# subscribes again to everything in :meth:`filters`. Readers on other threads take no lock.
#
# Identity comes from the topic, never from a document or a pointer: ``ROOT/AGENT/LID/meta`` is
# agent AGENT's thing LID (with the documented ACL only AGENT may write there), and its guids
# are derived from those two. A pointer is a hint: if the document it leads to holds neither
# the guid looked up as its thing guid nor as a point guid, the guid is unknown (a forged or
# stale pointer can hide a guid, never resolve it to another agent's thing). A document that
# claims another agent, lid or guid, or that does not parse into the documented fields, types
# and ranges, is logged and left out.
#
# Owners: a document of agent AGENT may name an owner OWNER (its guids are then OWNER's, from
# OWNER and LID). The catalogue takes that claim only while the broker retains the membership
# ``ROOT/_owner/OWNER/AGENT`` (subscribed exactly when such a document comes); until then the
# document is kept aside, unused, and it is taken when the membership comes. A document whose
# guid another agent's document already holds (two agents of one owner, one lid) is left out.
#
# Search: the catalogue answers scope ``localOwn`` (the owner's things, all held here); every
# other search goes to the directory (``directory``, a process next to the broker).

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

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
    meta_topic_identity,
    parse_pointer,
    parse_thing_doc,
    parse_wire,
    seg,
)

if TYPE_CHECKING:
    from iotic_app.transports.mqtt._conn import Conn
    from iotic_app.transports.mqtt._link import Link

__all__ = ["KEEP", "Catalogue", "meta_of", "no_directory"]

logger = logging.getLogger("iotic_app.mqtt")

#: How many looked-up things stay subscribed at most (the least recently used go first).
KEEP = 10_000

_GUID_RE = re.compile(r"[0-9a-f]{32}")


def no_directory(query: Query) -> Any:
    """The search of a client without a directory: raises, saying how to start one.

    Raises:
            IOTUnknown: always.
    """
    raise IOTUnknown(
        f"search in scope {query.scope!r} needs a directory: no iotic_app directory answers on "
        "this broker. Start one next to the broker with `iotic-app directory --config URL` "
        "(see docs/mqtt.md, \"Search and the directory\"); scope 'localOwn' needs none"
    )


class Catalogue:
    """The thing documents and agent statuses this agent needs, as the broker retains them."""

    def __init__(
        self,
        agent_id: str,
        root: str,
        sync: Callable[[], None],
        owner: str | None = None,
        *,
        link: Link | None = None,
        directory: Callable[[Query], Any] = no_directory,
        keep: int = KEEP,
    ) -> None:
        """Start empty; the transport fills the catalogue from the broker.

        Args:
            agent_id: The agent that looks (it sees its owner's things and others' public ones).
            root: The topic root.
            sync: Waits until the transport has processed all the broker sent before now.
            owner: The agent's owner (default: the agent itself).
            link: The link lookups subscribe on (None: nothing is looked up; for tests).
            directory: Answers searches of scopes other than ``localOwn``.
            keep: How many looked-up things stay subscribed at most.
        """
        self.agent_id = agent_id
        self.owner = agent_id if owner is None else owner
        self.root = root
        self.owners = f"{root}/_owner/"
        self.pointer_prefix = f"{root}/_guid/"
        self.wire_topic = f"{root}/_wire"
        self.members: set[tuple[str, str]] = set()  # (owner, agent) the broker retains
        self.aside: dict[str, ThingDoc] = {}  # meta topic -> a doc whose owner is not proven
        self._sync = sync
        self._link = link
        self._directory = directory
        self.keep = keep
        self.docs: dict[str, ThingDoc] = {}  # thing guid -> doc
        self.by_topic: dict[str, str] = {}  # meta topic -> thing guid
        self.points: dict[str, tuple[ThingDoc, dict[str, Any]]] = {}  # point guid -> doc, point
        self.online: dict[str, bool] = {}  # agent (a topic segment) -> its status is "online"
        self.pointers: dict[str, str] = {}  # guid -> the meta topic its pointer names
        self.refused: dict[str, str] = {}  # meta topic -> why its document was not taken
        self.wire: int | None = None  # the retained ROOT/_wire's "v" (None: none, or junk)
        #: Called with the meta topic of each document taken (the network thread).
        self.on_doc: Callable[[str], None] | None = None
        #: The meta topics the agent's follows need (never unsubscribed); set by the transport.
        self.pinned: Callable[[], set[str]] = set
        self._lock = threading.Lock()  # what is subscribed
        # every topic subscribed for this agent's catalogue (resubscribed on each connection)
        self._subscribed: dict[str, None] = dict.fromkeys(self._base_filters())
        # looked-up meta topic -> the pointer topics that led to it (least recently used first)
        self._looked: OrderedDict[str, set[str]] = OrderedDict()
        self._fresh = False  # the network thread subscribed something since take_fresh()

    def _base_filters(self) -> list[str]:
        own = [f"{self.root}/{seg(self.agent_id)}/+/meta", f"{self.owners}{seg(self.owner)}/+"]
        if self.owner != self.agent_id:  # the owner's own agent (named like it) needs none
            own.append(f"{self.root}/{seg(self.owner)}/+/meta")
            # its own membership by name too: brokers that send retained copies to exact
            # filters only (RabbitMQ before 3.13) send it, so the start sees it kept
            own.append(f"{self.owners}{seg(self.owner)}/{seg(self.agent_id)}")
        return [*own, self.wire_topic]

    def filters(self) -> list[tuple[str, int, bool]]:
        """The ``(filter, qos, retained)`` to subscribe to on connecting: the agent's own and
        its owner's members' things, and every looked-up thing, pointer and status."""
        with self._lock:
            return [(topic, 0, True) for topic in self._subscribed]

    def clear(self) -> None:
        """Forget what the broker sent (a new connection: it sends it all again)."""
        self.docs.clear()
        self.by_topic.clear()
        self.points.clear()
        self.online.clear()
        self.members.clear()
        self.aside.clear()
        self.pointers.clear()
        self.refused.clear()
        self.wire = None

    def take_fresh(self) -> bool:
        """Whether the network thread subscribed something since the last call (its retained
        messages come after a sync made from now on)."""
        fresh, self._fresh = self._fresh, False
        return fresh

    # --- subscribing --------------------------------------------------------------------

    def _subscribe_soon(self, topics: list[str]) -> None:
        """Subscribe to *topics* without waiting (any thread; nothing when the link is down)."""
        link = self._link
        with self._lock:
            new = [t for t in topics if t not in self._subscribed]
            self._subscribed.update(dict.fromkeys(new))
        conn = None if link is None else link.conn
        if not new or link is None or conn is None:
            return
        self._fresh = True
        try:
            link.subscribe_async(conn, [(t, 0, True) for t in new])
        except Exception:  # the link is down: the next connection subscribes them
            logger.debug("could not subscribe to %r yet", new, exc_info=True)

    def _unsubscribe_soon(self, topics: list[str]) -> None:
        link = self._link
        with self._lock:
            for topic in topics:
                self._subscribed.pop(topic, None)
        conn = None if link is None else link.conn
        if conn is not None:
            for topic in topics:
                conn.engine.unsubscribe([topic])

    def subscribe_now(self, conn: Conn, topics: list[str]) -> list[tuple[int, str]]:
        """Subscribe to *topics* (those not subscribed yet, and each of *topics* again when it
        is; its retained copy comes again) without waiting.

        Returns:
            ``(mid, what)`` of each SUBSCRIBE, for ``Link.check`` after a sync.
        """
        assert self._link is not None
        with self._lock:
            self._subscribed.update(dict.fromkeys(topics))
        return self._link.subscribe_async(conn, [(t, 0, True) for t in topics])

    def look_soon(self, agent: str, lid: str) -> None:
        """Look up agent *agent*'s thing *lid* without waiting (any thread): its document comes
        later (``on_doc`` says when)."""
        topic = f"{self.root}/{agent}/{seg(lid)}/meta"
        if topic in self.by_topic:
            return
        self._remember(topic, None)
        self._subscribe_soon([topic])

    def _remember(self, meta: str, pointer: str | None) -> None:
        """Keep *meta* (and the *pointer* that led to it) among the looked-up things, the most
        recently used; unsubscribe the least recently used beyond ``keep``."""
        evicted: list[str] = []
        # (asked before the lock: the follows' lock is taken while asking)
        pinned = self.pinned() if len(self._looked) >= self.keep else set()
        with self._lock:
            looked = self._looked
            ptrs = looked.pop(meta, set())
            if pointer is not None:
                ptrs.add(pointer)
            looked[meta] = ptrs
            if len(looked) <= self.keep:
                return
            for topic in list(looked):
                if len(looked) <= self.keep:
                    break
                if topic in pinned or topic == meta:
                    continue
                evicted.append(topic)
                evicted.extend(looked.pop(topic))
        for topic in evicted:
            if topic.endswith("/meta"):
                if not self._covered(topic):  # (a wildcard brings its changes still)
                    self._forget(topic)
            else:
                self.pointers.pop(topic[len(self.pointer_prefix) :], None)
        self._unsubscribe_soon(evicted)

    def _covered(self, meta: str) -> bool:
        """Whether the thing on *meta* is subscribed with a wildcard (the agent's own, its
        owner's or one of its owner's members')."""
        agent = meta[len(self.root) + 1 :].split("/", 1)[0]
        return agent in (seg(self.agent_id), seg(self.owner)) or (self.owner, agent) in (
            self.members
        )

    def _touch(self, doc: ThingDoc) -> None:
        meta = doc.base + "/meta"
        with self._lock:
            if meta in self._looked:
                self._looked.move_to_end(meta)

    def looked_up(self) -> int:
        """How many looked-up things are subscribed now."""
        return len(self._looked)

    # --- what the broker sends (the network thread) -------------------------------------

    def on_wire(self, raw: bytes) -> None:
        """The retained ``ROOT/_wire``: the wire version of the space."""
        try:
            self.wire = parse_wire(raw) if raw else None
        except ValueError as exc:  # junk (anyone the ACL lets write there): no version at all
            logger.warning(
                "ignored the space's wire version on %r (%s): treated as none", self.wire_topic, exc
            )
            self.wire = None

    def on_pointer(self, topic: str, raw: bytes) -> None:
        """A retained ``ROOT/_guid/GUID``: where guid GUID's document is (a hint)."""
        guid = topic[len(self.pointer_prefix) :]
        if not raw:
            self.pointers.pop(guid, None)
            return
        try:
            if not _GUID_RE.fullmatch(guid):
                raise ValueError("not a guid")
            self.pointers[guid] = parse_pointer(self.root, raw)
        except ValueError as exc:
            self.pointers.pop(guid, None)
            logger.warning("ignored the pointer on %r: %s", topic, exc)

    def on_meta(self, topic: str, raw: bytes) -> None:
        """A retained meta document on *topic* (the network thread); empty: the thing is gone."""
        self._forget(topic)
        self.refused.pop(topic, None)
        if not raw:
            return
        try:
            doc = parse_thing_doc(self.root, topic, raw)
        except ValueError as exc:
            logger.warning("ignored the thing document on %r: %s", topic, exc)
            self.refused[topic] = str(exc)
            return
        if doc.owner != doc.agent and (doc.owner, doc.agent) not in self.members:
            self.aside[topic] = doc  # taken if the broker retains the membership
            self._subscribe_soon([f"{self.owners}{seg(doc.owner)}/{seg(doc.agent)}"])
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
        things = f"{self.root}/{agent}/+/meta"
        if raw:
            self.members.add((owner, agent))
            if owner == self.owner and agent != self.agent_id:
                self._subscribe_soon([things])  # the owner's member's things: all of them
            for where, doc in list(self.aside.items()):
                if (doc.owner, doc.agent) == (owner, agent):
                    del self.aside[where]
                    self._take(where, doc)
        else:
            self.members.discard((owner, agent))
            if owner == self.owner and things not in self._base_filters():
                self._unsubscribe_soon([things])
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
        on_doc = self.on_doc
        if on_doc is not None:
            on_doc(topic)

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

    # --- lookups (the client's threads) -----------------------------------------------

    def status_of(self, conn: Conn, agent: str) -> list[tuple[int, str]]:
        """Subscribe to agent *agent*'s exact ``_status`` unless it is (a sync after this
        brings it; :attr:`online` then says).

        Returns:
            ``(mid, what)`` of the SUBSCRIBE, for ``Link.check`` after the sync.
        """
        topic = f"{self.root}/{seg(agent)}/_status"
        with self._lock:
            if topic in self._subscribed:
                return []
        return self.subscribe_now(conn, [topic])

    def status_soon(self, agent: str) -> None:
        """Subscribe to agent *agent*'s exact ``_status`` without waiting (an attach: a later
        tell finds it there)."""
        self._subscribe_soon([f"{self.root}/{seg(agent)}/_status"])

    def _held(self, guid: str) -> ThingDoc | None:
        doc = self.docs.get(guid)
        if doc is None:
            found = self.points.get(guid)
            doc = None if found is None else found[0]
        return doc

    def lookup(self, guid: str) -> ThingDoc | None:
        """Look up *guid* (a thing's or a point's) through its pointer and the document it names
        (two round trips), unless it is held; return its thing's document, or None."""
        doc = self._held(guid)
        if doc is not None:
            self._touch(doc)
            return doc
        link = self._link
        if link is None:
            self._sync()
            return self._held(guid)
        if not _GUID_RE.fullmatch(guid):
            return None
        conn = link.require()
        pointer = self.pointer_prefix + guid
        pending = self.subscribe_now(conn, [pointer])  # again if it is: its retained comes again
        link.sync(conn)
        for mid, what in pending:
            link.check(conn, mid, what)
        doc = self._held(guid)  # (it may have come meanwhile)
        meta = self.pointers.get(guid)
        if doc is None and meta is not None:
            self._remember(meta, pointer)
            pending = self.subscribe_now(conn, [meta])
            link.sync(conn)
            for mid, what in pending:
                link.check(conn, mid, what)
            if meta in self.aside:  # its owner's membership was asked for when it came
                link.sync(conn)
            doc = self._held(guid)
            if doc is None:
                why = self.refused.get(meta)
                if why is not None:
                    raise IOTUnknown(f"guid {guid!r}: {why}")
                if meta in self.by_topic:
                    logger.warning(
                        "agent %r: the pointer of guid %s names %r, whose document has no such "
                        "guid (a forged or stale pointer): the guid is unknown",
                        self.agent_id,
                        guid,
                        meta,
                    )
        if doc is None:
            with self._lock:
                remembered = any(pointer in ptrs for ptrs in self._looked.values())
            if not remembered:
                self._unsubscribe_soon([pointer])
        return doc

    def find(self, guid: str, kind: PointKind | None) -> tuple[ThingDoc, dict[str, Any]]:
        """Return the thing document and point of *guid* (looked up if it is not held).

        Raises:
            IOTUnknown: there is no such point, or it is not of *kind*.
            IOTAccessDenied: the point is another agent's and its thing is not public.
        """
        found = self.points.get(guid)
        if found is None:
            self.lookup(guid)
            found = self.points.get(guid)
        else:
            self._touch(found[0])
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
        """Return the values a point declares (looked up if it is not held)."""
        _, point = self.find(guid, None)
        return tuple(
            ValueSpec(v["label"], v["type"], v.get("lang"), v.get("description"), v.get("unit"))
            for v in point.get("values") or ()
        )

    def search(self, query: Query) -> Any:
        """Search: scope ``localOwn`` in the catalogue (after a sync: it holds all the owner's
        things), any other through the directory."""
        if query.scope != "localOwn":
            if self._link is not None:
                self._link.require()  # a link that is down says so first
            return self._directory(query)
        self._sync()
        docs = [doc for doc in list(self.docs.values()) if doc.owner == self.owner]
        return search(self.owner, (_candidate(doc) for doc in docs), query)

    def describe(self, guid: str) -> dict[str, Any] | None:
        """Describe a thing or point visible to this agent (after a sync; looked up if it is
        not held), or return None."""
        if self._held(guid) is not None:
            self._sync()  # a change made before this call is in
        try:
            self.lookup(guid)
        except IOTUnknown:
            return None
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


def meta_of(root: str, topic: str) -> str | None:
    """The meta topic of the thing a point's *topic* (``ROOT/AGENT/LID/feed|control/PID``) is
    of, or None."""
    parts = topic[len(root) + 1 :].split("/")
    if len(parts) != 4:
        return None
    try:
        meta_topic_identity(root, f"{root}/{parts[0]}/{parts[1]}/meta")
    except ValueError:
        return None
    return f"{root}/{parts[0]}/{parts[1]}/meta"


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
