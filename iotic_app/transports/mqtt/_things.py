"""The agent's own things and points: made, changed and deleted as retained metadata."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import attrs

from iotic_app.exceptions import IOTUnknown
from iotic_app.transports._protocol import (
    CONTROL,
    FEED,
    Delivery,
    Meta,
    PointKind,
    Property,
    ValueSpec,
    lid_taken,
    point_guid,
    thing_guid,
)
from iotic_app.transports.mqtt._catalogue import Catalogue
from iotic_app.transports.mqtt._conn import Conn
from iotic_app.transports.mqtt._delivery import Deliverer
from iotic_app.transports.mqtt._engine import MQTTV5
from iotic_app.transports.mqtt._handles import Point, Route, Thing
from iotic_app.transports.mqtt._kept import Kept
from iotic_app.transports.mqtt._link import Link
from iotic_app.transports.mqtt._names import Names
from iotic_app.transports.mqtt._sender import Sender
from iotic_app.transports.mqtt._thingdoc import encode_pointer, encode_thing_doc, seg

__all__ = ["Things"]

logger = logging.getLogger("iotic_app.mqtt")


class Things:
    """The agent's things and points, findable by lid, guid and control topic; each change
    is published as the thing's retained ``meta`` (the broker keeps them between runs)."""

    def __init__(
        self,
        names: Names,
        lock: threading.RLock,
        link: Link,
        sender: Sender,
        catalogue: Catalogue,
        deliveries: Deliverer,
        kept: Kept,
    ) -> None:
        """Start with none (an earlier run's come from the catalogue: :meth:`adopt_own`).

        Args:
            names: The agent's names.
            lock: Guards the agent's things, follows and routes (shared with their parts).
            link: The link their metadata goes out on.
            sender: Keeps the feeds' history (in the outbox).
            catalogue: All things the broker retains (this agent's among them).
            deliveries: Where a deleted thing's follows end.
            kept: The things' follows the broker keeps (restored into adopted things).
        """
        self.agent_id = names.agent_id
        self._names = names
        self.owner = names.owner
        self._base = names.base
        self._lock = lock
        self._broker = link
        self._sender = sender
        self._catalogue = catalogue
        self._deliveries = deliveries
        self._kept = kept
        self._things: dict[str, Thing] = {}
        self._by_guid: dict[str, Point] = {}  # the agent's own points
        self._by_control_topic: dict[str, Point] = {}
        self._batches = threading.local()  # this thread's open batch, if any (see batch())
        self._pointed: dict[str, set[str]] = {}  # lid -> the guids whose pointers it published

    def _link(self) -> Conn:
        return self._broker.require()

    def _batch(self) -> _Batch | None:
        """This thread's open batch, or None."""
        batch: _Batch | None = getattr(self._batches, "open", None)
        return batch

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Publish the metadata this thread changes in the block once per thing, at its end.

        Each changed thing's document goes out once, all of them back to back, and their
        PUBACKs are awaited together; things made in the block are checked (one lid per
        owner) after one sync. The end of the block publishes even when the block raised (what
        changed in memory reaches the broker), then the block's exception propagates. A block
        inside another publishes with the outer one.

        Raises:
            IOTAccessDenied, LinkException, IOTSyncTimeout: at the end, a publish failed (the
                first failure; the others are logged).
            IOTUnknown: at the end, another agent of the owner had made a thing of the same
                lid (the thing is withdrawn, as ``create_thing`` does).
        """
        if self._batch() is not None:
            yield
            return
        self._link()  # the link is up: LinkException now rather than at the end
        batch = self._batches.open = _Batch()
        try:
            yield
        finally:
            self._batches.open = None
            self._publish_batch(batch)

    def _publish_batch(self, batch: _Batch) -> None:
        """Publish what *batch* collected (see :meth:`batch`)."""
        things = [t for t in batch.changed.values() if not t.deleted]
        if not things:
            return
        conn = self._link()
        pending = []
        for thing in things:
            pending += self._send_meta(conn, thing)
        errors: list[BaseException] = []
        for mid, what in pending:
            try:
                self._broker.check(conn, mid, what)
            except Exception as exc:  # each publish is checked, every failure reported
                errors.append(exc)
        created = [t for t in things if t.lid in batch.created]
        if created and not errors:
            self._broker.sync()
            for thing in created:
                try:
                    self._check_lid(conn, thing)
                except Exception as exc:
                    errors.append(exc)
        if errors:
            for other in errors[1:]:
                logger.warning("agent %r: at the end of a batch, also: %s", self.agent_id, other)
            raise errors[0]

    def _check_lid(self, conn: Conn, thing: Thing) -> None:
        """After a sync: if another agent of the owner holds *thing*'s guid (two agents made
        the lid at once; every client takes the document the broker passed on first), withdraw
        this agent's document, point the guid at the winner's, forget the thing and raise
        ``IOTUnknown``."""
        with self._lock:
            other = self._catalogue.docs.get(thing.guid)
        if other is None or other.agent == self.agent_id:
            return
        with self._lock:
            self._things.pop(thing.lid, None)
            self._pointed.pop(thing.lid, None)
        self._broker.publish_sync(
            conn, f"{thing.base}/meta", b"", True, f"withdraw thing {thing.lid!r}"
        )
        # both pointed the guid at their own thing: point it at the winner's
        body = encode_pointer(other.agent, other.lid)
        self._broker.publish_sync(conn, self._pointer(thing.guid), body, True, "repoint")
        raise lid_taken(self.owner, thing.lid, other.agent, self.agent_id)

    def _publish_meta(self, thing: Thing) -> None:
        """Publish the thing's document, then the pointers of its guids that changed; wait
        for the broker's answers (one round trip). In a batch: at the batch's end."""
        batch = self._batch()
        if batch is not None:
            batch.changed[thing.lid] = thing
            return
        conn = self._link()
        for mid, what in self._send_meta(conn, thing):
            self._broker.check(conn, mid, what)

    def _send_meta(self, conn: Conn, thing: Thing) -> list[tuple[int, str]]:
        """Publish the thing's document, then the pointers of its guids that changed, without
        waiting; returns ``(mid, what)`` of each, for ``Link.check``."""
        body = encode_thing_doc(thing.doc(self.agent_id, self.owner))
        what = f"update thing {thing.lid!r}"
        pending = [self._broker.publish_async(conn, f"{thing.base}/meta", body, what)]
        pending += self._publish_pointers(conn, thing)
        return pending

    def _guids(self, thing: Thing) -> set[str]:
        with self._lock:
            if thing.deleted:
                return set()
            return {thing.guid} | {p.guid for p in thing.points.values() if not p.deleted}

    def _publish_pointers(
        self, conn: Conn, thing: Thing, again: bool = False
    ) -> list[tuple[int, str]]:
        """Publish the pointers ``ROOT/_guid/GUID`` of *thing*'s guids that are new (*again*:
        all of them), and clear those of its guids that are gone, without waiting.

        Returns:
            ``(mid, what)`` of each publish, for ``Link.check``.
        """
        guids = self._guids(thing)
        with self._lock:
            before = set() if again else self._pointed.get(thing.lid, set())
            if guids:
                self._pointed[thing.lid] = guids
            else:
                self._pointed.pop(thing.lid, None)
        body = encode_pointer(self.agent_id, thing.lid)
        pending = [
            self._broker.publish_async(conn, self._pointer(guid), body, f"point {guid} at it")
            for guid in sorted(guids - before)
        ]
        pending += [
            self._broker.publish_async(conn, self._pointer(guid), b"", f"clear pointer {guid}")
            for guid in sorted(before - guids)
        ]
        return pending

    def _pointer(self, guid: str) -> str:
        return f"{self._names.root}/_guid/{guid}"

    def adopt_own(self) -> None:
        """Take the agent's things that the broker keeps (an earlier run) into memory, with
        the follows and attaches their ``subs`` records keep (values held until bound)."""
        adopted: list[Thing] = []
        routes: list[Route] = []
        fresh: list[Route] = []

        def hold(topic: str, group: str | None) -> Route:
            route, new = self._deliveries.route(topic, group)
            routes.append(route)
            if new:
                fresh.append(route)
            return route

        with self._lock:
            for doc in list(self._catalogue.docs.values()):
                if doc.agent != self.agent_id or doc.lid in self._things:
                    continue
                if doc.owner != self.owner:  # made while the agent belonged to another owner
                    continue
                self._things[doc.lid] = thing = Thing.from_doc(doc, self._index)
                self._pointed[doc.lid] = {doc.guid} | {p["guid"] for p in doc.points}
                self._kept.restore(thing, hold)
                adopted.append(thing)
            for route in routes:
                self._deliveries.go_live(route)
        for thing in adopted:  # their feeds' history, from the outbox
            for point in list(thing.points.values()):
                self._sender.load_history(point)
        conn = self._broker.conn
        if fresh and conn is not None:  # the broker keeps them in the session, unless it lost it
            v5 = self.protocol_v5
            for mid, what in self._broker.subscribe_async(
                conn, [(route.filter, 1, not v5) for route in fresh]
            ):
                self._broker.check(conn, mid, what)

    @property
    def protocol_v5(self) -> bool:
        """Whether the agent speaks MQTT 5."""
        return self._names.settings.protocol == MQTTV5

    def own_things(self) -> list[Thing]:
        """The agent's things in memory (not deleted)."""
        with self._lock:
            return [t for t in self._things.values() if not t.deleted]

    def republish_lost(self, conn: Conn) -> list[tuple[int, str]]:
        """Publish again the metadata of the agent's things that the broker no longer retains
        (a broker restarted without persistence forgets every thing).

        Returns:
            ``(mid, what)`` of each publish, for ``Link.check``.
        """
        with self._lock:
            things = [t for t in self._things.values() if not t.deleted]
        pending = []
        for thing in things:
            topic = f"{thing.base}/meta"
            if topic in self._catalogue.by_topic:
                continue
            logger.warning(
                "agent %r: the broker had lost thing %r (restarted without persistence?); "
                "publishing its metadata again",
                self.agent_id,
                thing.lid,
            )
            body = encode_thing_doc(thing.doc(self.agent_id, self.owner))
            pending.append(
                self._broker.publish_async(conn, topic, body, f"publish thing {thing.lid!r} again")
            )
            pending += self._publish_pointers(conn, thing, again=True)
        return pending

    def control_filters(self) -> list[tuple[str, int, bool]]:
        """The agent's controls' ``(topic, qos, retained)``, to subscribe to on connecting."""
        with self._lock:
            return [
                (point.topic, 1, True)
                for thing in self._things.values()
                for point in thing.points.values()
                if point.kind == CONTROL
            ]

    @staticmethod
    def _own(ref: Any) -> Thing:
        thing: Thing = ref if isinstance(ref, Thing) else ref.thing
        if thing.deleted or (isinstance(ref, Point) and ref.deleted):
            what = f"point {ref.pid!r} of thing" if isinstance(ref, Point) else "thing"
            raise IOTUnknown(f"{what} {thing.lid!r} was deleted")
        return thing

    def own(self, ref: Any) -> Thing:
        """The agent's thing that *ref* (a thing or point of its) is or belongs to.

        Raises:
            IOTUnknown: it was deleted.
        """
        return self._own(ref)

    def mine(self, lid: str, kind: PointKind, pid: str) -> Point | None:
        """The agent's own feed or control *pid* of thing *lid*, or None."""
        thing = self._things.get(lid)
        return None if thing is None else thing.points.get((kind, pid))

    def control(self, topic: str) -> Point | None:
        """The agent's control on *topic*, or None (the engine's network thread)."""
        return self._by_control_topic.get(topic)

    # --- things ---------------------------------------------------------------------------

    def create_thing(self, lid: str) -> Thing:
        """Create the agent's thing *lid* (its meta is retained on the broker), or return it."""
        self._link()
        with self._lock:
            thing = self._things.get(lid)
            if thing is not None:
                return thing
        batch = self._batch()
        if batch is None or not batch.synced:  # in a batch, the first sync serves them all
            self._broker.sync()
            if batch is not None:
                batch.synced = True
        self.adopt_own()
        with self._lock:
            thing = self._things.get(lid)
            if thing is not None:
                return thing
            guid = thing_guid(self.owner, lid)
            other = self._catalogue.docs.get(guid)
            if other is not None and other.agent != self.agent_id:
                raise lid_taken(self.owner, lid, other.agent, self.agent_id)
            thing = Thing(lid, guid, f"{self._base}/{seg(lid)}")
            self._things[lid] = thing
        if batch is not None:  # published and checked at the end of the batch
            batch.created.add(lid)
            self._publish_meta(thing)
            return thing
        try:
            # Two agents of the owner may both have passed the check above at once: after a
            # sync the loser finds the winner's document and withdraws its own. The sync's
            # marker follows the document on the connection: one round trip for both.
            conn = self._link()
            pending = self._send_meta(conn, thing)
            self._broker.sync(conn)
            for mid, what in pending:
                self._broker.check(conn, mid, what)
            self._check_lid(conn, thing)
        except BaseException:
            with self._lock:
                self._things.pop(lid, None)
            raise
        return thing

    def get_thing(self, lid: str) -> Thing:
        """Return the agent's thing *lid*; ``IOTUnknown`` if there is none."""
        self._link()
        thing = self._things.get(lid)
        if thing is None:
            self._broker.sync()
            self.adopt_own()
            thing = self._things.get(lid)
        if thing is None:
            raise IOTUnknown(f"agent {self.agent_id!r} has no thing {lid!r}")
        return thing

    def delete_thing(self, thing: Any) -> None:
        """Delete a thing: clear its retained meta and last values, drop its follows."""
        conn = self._link()
        own = self._own(thing)
        for sub in list(own.subs.values()):
            self._deliveries.drop_sub(sub)
        for point in list(own.points.values()):
            self._drop_point(conn, point)
        self._broker.publish_sync(conn, f"{own.base}/meta", b"", True, f"delete thing {own.lid!r}")
        with self._lock:
            self._things.pop(own.lid, None)
            own.deleted = True
        for mid, what in self._publish_pointers(conn, own):
            self._broker.check(conn, mid, what)

    def list_things(self, *, all_agents: bool = False) -> list[str]:
        """Return the lids of the agent's things; with *all_agents*, then those of the other
        agents of its owner that the catalogue holds (their membership proven)."""
        self._broker.sync()
        self.adopt_own()
        with self._lock:
            lids = list(self._things)
        if all_agents:
            docs = list(self._catalogue.docs.values())
            mine = set(lids)
            lids += [d.lid for d in docs if d.owner == self.owner and d.lid not in mine]
        return lids

    # --- points ---------------------------------------------------------------------------

    def create_point(
        self, thing: Any, kind: PointKind, pid: str, save_recent: int, token: Delivery | None
    ) -> Point:
        """Create (or return) a feed or control; see ``Transport.create_point``."""
        conn = self._link()
        own = self._own(thing)
        with self._lock:
            point = own.points.get((kind, pid))
            new = point is None
            if point is None:
                point = Point(own, kind, pid, point_guid(own.guid, kind, pid))
                own.points[(kind, pid)] = point
                self._index(point)
            changed = new
            if save_recent > 0 and save_recent != point.save_recent:
                point.save_recent = save_recent
                point.recent = deque(point.recent or (), maxlen=save_recent)
                changed = True
            if token is not None:
                point.token = token
        self._sender.load_history(point)  # what earlier runs shared (kept in the outbox)
        if kind == CONTROL and (new or token is not None):
            self._broker.subscribe(conn, point.topic, 1, retained=True)
        if changed:
            self._publish_meta(own)
        return point

    def get_point(self, thing: Any, kind: PointKind, pid: str) -> Point:
        """Return an existing feed or control; ``IOTUnknown`` if there is none."""
        self._link()
        own = self._own(thing)
        point = own.points.get((kind, pid))
        if point is None:
            raise IOTUnknown(f"thing {own.lid!r} has no {kind.lower()} {pid!r}")
        return point

    def delete_point(self, point: Any) -> None:
        """Delete a feed or control: its retained values go, its meta is updated."""
        conn = self._link()
        own = self._own(point)
        self._drop_point(conn, point)
        self._publish_meta(own)

    def _drop_point(self, conn: Conn, point: Point) -> None:
        with self._lock:
            point.thing.points.pop((point.kind, point.pid), None)
            self._by_guid.pop(point.guid, None)
            self._by_control_topic.pop(point.topic, None)
            point.deleted = True
            point.token = None
        if point.kind == FEED:
            self._sender.forget(point)
            conn.engine.publish(point.topic, b"", 1, True)
            if point.save_recent > 1:
                conn.engine.publish(point.topic + "/recent", b"", 1, True)
        else:
            self._broker.unsubscribe(conn, point.topic)

    # --- metadata ---------------------------------------------------------------------------

    def read_meta(self, ref: Any) -> Meta:
        """Return the metadata of one of the agent's things or points."""
        self._link()
        self._own(ref)
        meta: Meta = ref.meta()
        return meta

    def write_meta(
        self,
        ref: Any,
        labels: Mapping[str, str],
        descriptions: Mapping[str, str],
        location: tuple[float, float] | None,
    ) -> None:
        """Replace labels, descriptions and (things) location; retained on the broker."""
        self._link()
        own = self._own(ref)
        with self._lock:
            ref.write_meta(labels, descriptions, location)
        self._publish_meta(own)

    def change_tags(self, ref: Any, add: Sequence[str], remove: Sequence[str]) -> None:
        """Add and remove tags."""
        self._link()
        own = self._own(ref)
        with self._lock:
            ref.change_tags(add, remove)
        self._publish_meta(own)

    def set_public(self, thing: Any, public: bool) -> None:
        """Make a thing public or private."""
        self._link()
        own = self._own(thing)
        with self._lock:
            own.public = public
        self._publish_meta(own)

    def read_properties(self, thing: Any) -> tuple[Property, ...]:
        """Return the properties of one of the agent's things."""
        self._link()
        props: tuple[Property, ...] = self._own(thing).properties
        return props

    def update_properties(
        self, thing: Any, update: Callable[[tuple[Property, ...]], tuple[Property, ...]]
    ) -> None:
        """Replace the thing's properties with ``update(current)``; retained on the broker."""
        self._link()
        own = self._own(thing)
        with self._lock:
            own.properties = update(own.properties)
        self._publish_meta(own)

    def add_value(self, point: Any, spec: ValueSpec) -> None:
        """Declare (or replace) a value on a point."""
        self._link()
        own = self._own(point)
        with self._lock:
            point.add_value(spec)
        self._publish_meta(own)

    def remove_value(self, point: Any, label: str | None) -> None:
        """Remove a declared value (None: all) of a point."""
        self._link()
        own = self._own(point)
        with self._lock:
            point.values = tuple(v for v in point.values if label is not None and v.label != label)
        self._publish_meta(own)

    def own_point(self, guid: str) -> Point | None:
        """The agent's own point *guid*, or None."""
        return self._by_guid.get(guid)

    def _index(self, point: Point) -> None:
        """Make one of the agent's points findable by guid (and a control by topic)."""
        self._by_guid[point.guid] = point
        if point.kind == CONTROL:
            self._by_control_topic[point.topic] = point

    def values(self, guid: str) -> tuple[ValueSpec, ...]:
        """Return the values a point declares (own, or from the catalogue)."""
        own = self.own_point(guid)
        if own is not None:
            return own.values
        return self._catalogue.values(guid)


@attrs.define
class _Batch:
    """What one thread's ``Things.batch()`` block collected."""

    changed: dict[str, Thing] = attrs.Factory(dict)  # lid -> a thing whose document changed
    created: set[str] = attrs.Factory(set)  # lids made in the block (checked at its end)
    synced: bool = False  # the block's first create_thing synced
