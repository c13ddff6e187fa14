"""Subscriptions kept on the broker: each thing's follows and attaches, and its points' followers.

Two retained records, each written only by the agent the broker lets write it:

* ``ROOT/AGENT/LID/subs``: the follows and attaches of agent AGENT's thing LID (``{"v": 1,
  "subs": {SUBID: {"kind", "guid", "topic", "group"}}}``), read by AGENT alone (the ACL's
  ``readwrite ROOT/%u/#``). A later process of the agent restores them from it
  (:meth:`Kept.restore`): ``list_connections`` shows them, and their values are held for them
  (:class:`~iotic_app.transports._held.Held`) until the script follows again or binds them.
* ``ROOT/_followers/TARGET/AGENT/LID/POINTGUID``: agent AGENT's thing LID follows (or is
  attached to) TARGET's point POINTGUID (``{"v": 1, "kind": "Feed"|"Control"}``), written by
  AGENT (``write ROOT/_followers/+/%u/#``), read by TARGET alone (``read ROOT/_followers/%u/#``).
  TARGET lists its followers and counts them from these (:class:`Followers`).

Identity comes from the topic, never from the payload: a record names the writer's own thing,
and the follower's guid is the one the catalogue holds for that thing (a record for a thing the
catalogue does not hold, or for a private point of another owner, is not counted).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import attrs

from iotic_app.transports._held import Held
from iotic_app.transports._protocol import (
    CONTROL,
    FEED,
    Delivery,
    FollowerCount,
    PointKind,
    Sink,
    Subscribed,
    point_guid,
    thing_guid,
)
from iotic_app.transports.mqtt._catalogue import Catalogue
from iotic_app.transports.mqtt._handles import Point, Sub, Thing
from iotic_app.transports.mqtt._json import from_json
from iotic_app.transports.mqtt._names import Names
from iotic_app.transports.mqtt._thingdoc import meta_topic_identity, seg

__all__ = ["MAX_SUBS_BYTES", "PENDING_LIMIT", "Followers", "Kept", "KeptSub", "subid_of"]

logger = logging.getLogger("iotic_app.mqtt")

#: The largest ``subs`` record a thing may have (only its agent writes it): a follow that would
#: make it larger is refused.
MAX_SUBS_BYTES = 16 << 20

_GUID_RE = re.compile(r"[0-9a-f]{32}")
_GROUP_RE = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,63}")


def subid_of(thing_guid: str, point_guid: str) -> str:
    """The id of thing *thing_guid*'s follow of (or attach to) point *point_guid*."""
    return uuid.uuid5(uuid.UUID(thing_guid), point_guid).hex


@attrs.frozen
class KeptSub:
    """One follow or attach as the thing's retained ``subs`` record keeps it."""

    kind: PointKind
    guid: str
    topic: str
    group: str | None


def _parse_subs(root: str, raw: bytes) -> dict[str, KeptSub]:
    """Parse and check a ``subs`` record (``ValueError`` says what is wrong)."""
    if len(raw) > MAX_SUBS_BYTES:
        raise ValueError(f"the record has {len(raw)} bytes, more than {MAX_SUBS_BYTES}")
    doc = from_json(raw)
    if not isinstance(doc, dict) or doc.get("v") != 1 or not isinstance(doc.get("subs"), dict):
        raise ValueError('not {"v": 1, "subs": {...}}')
    kept: dict[str, KeptSub] = {}
    for subid, entry in doc["subs"].items():
        if not _GUID_RE.fullmatch(subid) or not isinstance(entry, dict):
            raise ValueError(f"subscription {subid!r} is not an id with an object")
        kind, guid, topic, group = (entry.get(k) for k in ("kind", "guid", "topic", "group"))
        if kind not in (FEED, CONTROL) or not isinstance(guid, str) or not _GUID_RE.fullmatch(guid):
            raise ValueError(f"subscription {subid!r}: kind or guid is not valid")
        parts = topic.split("/") if isinstance(topic, str) else []
        if (
            not isinstance(topic, str)
            or not topic.startswith(root + "/")
            or len(parts) != root.count("/") + 5
            or parts[-2] != ("feed" if kind == FEED else "control")
            or not topic.isprintable()
            or "+" in topic
            or "#" in topic
        ):
            raise ValueError(f"subscription {subid!r}: topic {topic!r} is not a point's topic")
        if group is not None and (not isinstance(group, str) or not _GROUP_RE.fullmatch(group)):
            raise ValueError(f"subscription {subid!r}: group {group!r} is not valid")
        kept[subid] = KeptSub(kind, guid, topic, group)
    return kept


class Kept:
    """The agent's own ``subs`` records: read from the broker (the router), restored into the
    things adopted from an earlier run, and published as the things' follows change."""

    def __init__(self, names: Names, lock: threading.RLock, catalogue: Catalogue) -> None:
        """Hold none yet; *lock* guards the agent's things, follows and routes; *catalogue*
        says which agents belong to which owner (a record's topic must name its guid)."""
        self._names = names
        self._catalogue = catalogue
        self._lock = lock
        self.prefix = f"{names.base}/"
        #: lid -> the follows its ``subs`` record keeps (what the broker sent since connecting).
        self.records: dict[str, dict[str, KeptSub]] = {}
        # Published in the order made: a newer record never goes out before an older one.
        self.publishing = threading.Lock()

    def topic(self, thing: Thing) -> str:
        """The thing's ``subs`` record topic."""
        return f"{thing.base}/subs"

    def is_record(self, topic: str, levels: int) -> bool:
        """Whether *topic* (of *levels* levels beyond the root) is one of the agent's ``subs``."""
        return levels == 3 and topic.endswith("/subs") and topic.startswith(self.prefix)

    def clear(self) -> None:
        """Forget what the broker sent (a new connection: it sends it all again)."""
        self.records.clear()

    def on_record(self, topic: str, raw: bytes) -> None:
        """A retained ``subs`` record of one of the agent's things (the engine's network thread)."""
        _, lid = meta_topic_identity(self._names.root, topic[: -len("subs")] + "meta")
        if not raw:
            self.records.pop(lid, None)
            return
        try:
            self.records[lid] = _parse_subs(self._names.root, raw)
        except ValueError as exc:
            logger.warning("skipped the subscriptions record %r: %s", topic, exc)

    def _names_guid(self, kept: KeptSub) -> bool:
        """Whether *kept*'s topic is the topic of its guid (a forged record's may not be):
        the guid of the point the topic names, for the topic's agent or an owner it belongs to."""
        root = self._names.root
        agent, lid_seg, _, pid_seg = kept.topic[len(root) + 1 :].split("/")
        lid, pid = unquote(lid_seg), unquote(pid_seg)
        owners = {agent} | {owner for owner, member in self._catalogue.members if member == agent}
        return any(point_guid(thing_guid(o, lid), kept.kind, pid) == kept.guid for o in owners)

    def wanted_members(self) -> list[str]:
        """The membership filters (``ROOT/_owner/+/AGENT``) that :meth:`restore` needs to check
        the records' follows of points of agents that belong to another owner."""
        root = self._names.root
        wanted: set[str] = set()
        for kept in (k for record in list(self.records.values()) for k in record.values()):
            agent, lid_seg, _, pid_seg = kept.topic[len(root) + 1 :].split("/")
            own = point_guid(thing_guid(agent, unquote(lid_seg)), kept.kind, unquote(pid_seg))
            if own != kept.guid:
                wanted.add(f"{root}/_owner/+/{agent}")
        return sorted(wanted)

    def restore(self, thing: Thing, hold: Callable[[str, str | None], Any]) -> None:
        """Give *thing* (adopted from an earlier run) the follows and attaches its record keeps,
        each with a :class:`Held` that no token is bound to: their values wait in it.

        Args:
            thing: The adopted thing (under the lock).
            hold: ``hold(topic, group)`` puts a feed's Held on the topic's route and returns
                the route.
        """
        for subid, kept in self.records.get(thing.lid, {}).items():
            if subid in thing.subs or subid != subid_of(thing.guid, kept.guid):
                continue
            if not self._names_guid(kept):
                logger.warning(
                    "skipped subscription %s of thing %r: its topic %r is not the topic of %s",
                    subid,
                    thing.lid,
                    kept.topic,
                    kept.guid,
                )
                continue
            held = Held(self.name(thing, kept.guid))
            sub = Sub(subid, thing, kept.kind, kept.guid, None, held, kept.topic, kept.group)
            thing.subs[subid] = sub
            if kept.kind == FEED:
                sub.route = hold(kept.topic, kept.group)
                route = sub.route
                route.tokens = (*route.tokens, held)

    def name(self, thing: Thing, guid: str) -> str:
        """What the log calls thing *thing*'s follow of *guid*."""
        return f"agent {self._names.agent_id!r}, thing {thing.lid!r}, follow of {guid}"

    def body(self, thing: Thing) -> bytes:
        """The thing's ``subs`` record now (b'' when it has none: the record is cleared)."""
        with self._lock:
            subs = {
                sub.subid: {
                    "kind": sub.kind,
                    "guid": sub.guid,
                    "topic": sub.topic,
                    "group": sub.group,
                }
                for sub in thing.subs.values()
            }
        if not subs or thing.deleted:
            return b""
        return json.dumps({"v": 1, "subs": subs}, separators=(",", ":")).encode()

    def follower_topic(self, lid: str, kept: KeptSub | Sub) -> str:
        """The ``_followers`` record of thing *lid*'s follow *kept* (under the followed
        point's agent)."""
        names = self._names
        target = kept.topic[len(names.root) + 1 :].split("/", 1)[0]
        return f"{names.root}/_followers/{target}/{seg(names.agent_id)}/{seg(lid)}/{kept.guid}"

    @staticmethod
    def follower_body(kept: KeptSub | Sub) -> bytes:
        """The ``_followers`` record's payload of the follow *kept*."""
        return b'{"v":1,"kind":"%s"}' % kept.kind.encode()


#: How many ``_followers`` records wait at most for the point or follower thing they name (not
#: known yet: a point made again later, a thing's document on its way); beyond, they are dropped.
PENDING_LIMIT = 10_000


class Followers:
    """Who follows (or is attached to) the agent's points, from the ``_followers`` records the
    broker retains for it; tells the watching client when a point's count changes.

    A record counts for one of the agent's points of its kind, for a thing the catalogue holds
    under the record's agent and lid, and for a private point only when that thing's owner is
    the point's owner (checked when the followers are asked for: a thing made private, or an
    agent that left the owner, stops counting). A record for a point the agent does not have
    (yet), or for a thing the catalogue does not hold (yet), waits (up to
    :data:`PENDING_LIMIT` of them, then they are dropped and logged), so a flood of forged
    records costs a check each, neither memory nor a recount.
    """

    def __init__(
        self,
        names: Names,
        catalogue: Catalogue,
        own_point: Callable[[str], Point | None],
        lookup: Callable[[str, str], None] | None = None,
    ) -> None:
        """Know none yet; *own_point* finds one of the agent's points by guid; *lookup*
        ``(agent, lid)`` asks for a follower thing's document without waiting (it comes to
        :meth:`doc_came`)."""
        self._names = names
        self._catalogue = catalogue
        self._own_point = own_point
        self._lookup = lookup
        self.prefix = f"{names.root}/_followers/{seg(names.agent_id)}/"
        # point guid -> {record topic: (follower agent, follower lid, kind)}
        self._records: dict[str, dict[str, tuple[str, str, str]]] = {}
        self._pending: dict[str, dict[str, tuple[str, str, str]]] = {}  # not known yet
        self._waiting = 0  # records in _pending
        # while a connection comes up: record topic -> (agent, lid, point guid, kind)
        self._loading: dict[str, tuple[str, str, str, str]] | None = None
        self._counts: dict[str, int] = {}  # point guid -> the count last told
        self._lock = threading.RLock()
        self.dropped = 0  # records that did not count
        #: Where the watching client wants its events: (sink, token), or None.
        self.watcher: tuple[Sink, Delivery] | None = None

    def begin(self) -> None:
        """A connection comes up: the broker sends every record again (nothing told meanwhile)."""
        with self._lock:
            self._loading = {}

    def end(self, tell: bool) -> None:
        """The records are in (and the agent's things known): sort them, and tell (*tell*)
        the counts that changed while away. Without *tell* (the first connection, or a broker
        that lost its records and gets them again from each client) nothing is told, and the
        counts told before stay the ones later changes are told against."""
        with self._lock:  # a record that comes meanwhile waits for the lock
            loading, self._loading = self._loading or {}, None
            self._records, self._pending, self._waiting = {}, {}, 0
            for topic, (agent, lid, guid, kind) in loading.items():
                self._file(topic, agent, lid, guid, kind)
            guids = set(self._counts) | set(self._records)
        for guid in guids:
            self._recount(guid, tell)

    def wanted(self) -> list[str]:
        """While a connection comes up: the meta topics of the follower things the records
        that came name, whose documents the catalogue does not hold."""
        root = self._names.root
        with self._lock:
            loading = list((self._loading or {}).values())
        topics = {f"{root}/{agent}/{seg(lid)}/meta" for agent, lid, _, _ in loading}
        return sorted(t for t in topics if t not in self._catalogue.by_topic)

    def doc_came(self, meta: str) -> None:
        """The catalogue took the document on *meta* (network thread): the records that waited
        for that thing count now."""
        root = self._names.root
        agent, _, rest = meta[len(root) + 1 :].partition("/")
        lid = unquote(rest[: -len("/meta")])
        with self._lock:
            if self._loading is not None:
                return
            found = [
                (guid, topic, kind)
                for guid, waiting in self._pending.items()
                for topic, (a, b, kind) in waiting.items()
                if (a, b) == (agent, lid)
            ]
            for guid, topic, kind in found:
                self._unfile(topic, guid)
                self._file(topic, agent, lid, guid, kind)
        for guid in {guid for guid, _, _ in found}:
            self._recount(guid, True)

    def on_record(self, topic: str, raw: bytes) -> None:
        """A retained ``_followers`` record about one of the agent's points (network thread)."""
        parts = topic[len(self.prefix) :].split("/")
        if len(parts) != 3 or not _GUID_RE.fullmatch(parts[2]):
            self._drop(topic, "not AGENT/LID/GUID")
            return
        try:  # the follower's agent and lid, checked as its thing's meta topic would be
            root = self._names.root
            agent, lid = meta_topic_identity(root, f"{root}/{parts[0]}/{parts[1]}/meta")
        except ValueError as exc:
            self._drop(topic, str(exc))
            return
        guid = parts[2]
        kind: Any = ""
        if raw:
            try:
                payload = from_json(raw)
                kind = payload.get("kind") if isinstance(payload, dict) else None
            except (ValueError, TypeError):
                kind = None
            if kind not in (FEED, CONTROL):
                self._drop(topic, 'not {"v": 1, "kind": "Feed"|"Control"}')
                return
        with self._lock:
            loading = self._loading
            if loading is not None:
                if raw:
                    loading[topic] = (agent, lid, guid, kind)
                else:
                    loading.pop(topic, None)
                return
            counted = self._unfile(topic, guid)
            if raw:
                counted = self._file(topic, agent, lid, guid, kind) or counted
        if counted:  # a record that waits changes no count
            self._recount(guid, True)

    def point_made(self, guid: str) -> None:
        """One of the agent's points was made (again): its waiting records count now."""
        with self._lock:
            waiting = self._pending.pop(guid, {})
            self._waiting -= len(waiting)
            for topic, (agent, lid, kind) in waiting.items():
                self._file(topic, agent, lid, guid, kind)
        if waiting:
            self._recount(guid, True)

    def _file(self, topic: str, agent: str, lid: str, guid: str, kind: str) -> bool:
        """Keep a record among the point's (True), or let it wait (under the lock)."""
        point = self._own_point(guid)
        if point is not None and not point.deleted and point.kind != kind:
            self._drop(topic, f"point {guid} is not a {kind}")
            return False
        mine = point is not None and not point.deleted
        doc = self._doc(agent, lid)
        if mine and doc is not None:
            self._records.setdefault(guid, {})[topic] = (agent, lid, kind)
            return True
        if self._waiting < PENDING_LIMIT:
            self._pending.setdefault(guid, {})[topic] = (agent, lid, kind)
            self._waiting += 1
            if mine and doc is None and self._lookup is not None:
                self._lookup(agent, lid)  # its document comes to doc_came
        else:
            self._drop(topic, f"{PENDING_LIMIT} records wait already for their point or thing")
        return False

    def _unfile(self, topic: str, guid: str) -> bool:
        """Forget a record (under the lock); True if it was among the point's."""
        records = self._records.get(guid)
        if records is not None and records.pop(topic, None) is not None:
            if not records:
                del self._records[guid]
            return True
        waiting = self._pending.get(guid)
        if waiting is not None and waiting.pop(topic, None) is not None:
            self._waiting -= 1
            if not waiting:
                del self._pending[guid]
        return False

    def _doc(self, agent: str, lid: str) -> Any:
        """The catalogue's document of agent *agent*'s thing *lid*, or None."""
        catalogue = self._catalogue
        thing_guid = catalogue.by_topic.get(f"{self._names.root}/{agent}/{seg(lid)}/meta")
        return None if thing_guid is None else catalogue.docs.get(thing_guid)

    def _drop(self, topic: str, why: str) -> None:
        """Log a record that does not count (the first, then every 10,000th)."""
        self.dropped += 1
        if self.dropped == 1 or self.dropped % 10_000 == 0:
            logger.warning(
                "agent %r: a followers record that does not count (%s): %r (%d so far)",
                self._names.agent_id,
                why,
                topic,
                self.dropped,
            )

    def of(self, point: Point, recheck: bool = True) -> dict[str, str]:
        """``{sub_id: follower thing guid}`` of one of the agent's points (*recheck*: first
        take the waiting records whose thing the catalogue holds now)."""
        with self._lock:
            waiting = self._pending.get(point.guid) if recheck else None
            if waiting:  # a follower's document may have come since
                for topic, (agent, lid, kind) in list(waiting.items()):
                    if self._doc(agent, lid) is not None:
                        self._unfile(topic, point.guid)
                        self._file(topic, agent, lid, point.guid, kind)
            found = list(self._records.get(point.guid, {}).values())
        followers: dict[str, str] = {}
        for agent, lid, _ in found:
            doc = self._doc(agent, lid)
            if doc is None:  # the thing is gone (or no longer its owner's: kept aside)
                continue
            if not point.thing.public and doc.owner != self._names.owner:
                continue  # it cannot see the point (now)
            followers[subid_of(doc.guid, point.guid)] = doc.guid
        return followers

    def _recount(self, guid: str, tell: bool) -> None:
        """Count point *guid*'s followers; tell the watcher (*tell*) when the count changed."""
        point = self._own_point(guid)
        if point is None or point.deleted:
            with self._lock:
                self._counts.pop(guid, None)
            return
        count = len(self.of(point, recheck=False))
        with self._lock:
            before = self._counts.get(guid, 0)
            if not tell and guid in self._counts:
                return  # told against the count told before (see end)
            self._counts[guid] = count
        watcher = self.watcher
        if tell and count != before and watcher is not None:
            sink, token = watcher
            sink.push(token, FollowerCount(point.thing.lid, point.pid, point.kind, count))

    def tell_subscribed(self, sub: Sub) -> None:
        """Tell the watcher that one of the agent's things made the new follow or attach *sub*."""
        watcher = self.watcher
        if watcher is not None:
            sink, token = watcher
            sink.push(token, Subscribed(sub.thing.lid, sub.subid, sub.kind, sub.guid))
