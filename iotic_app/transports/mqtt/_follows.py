"""The agent's follows of feeds and attaches to controls (the broker's subscriptions)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from iotic_app.exceptions import IOTAccessDenied, IOTUnknown
from iotic_app.transports._held import Held
from iotic_app.transports._protocol import (
    FEED,
    Delivery,
    PointKind,
    Target,
    ThingRef,
    point_guid,
    thing_guid,
)
from iotic_app.transports.mqtt._catalogue import Catalogue, meta_of
from iotic_app.transports.mqtt._conn import Conn
from iotic_app.transports.mqtt._delivery import Deliverer
from iotic_app.transports.mqtt._engine import MQTTV5
from iotic_app.transports.mqtt._handles import Sub, Thing
from iotic_app.transports.mqtt._kept import MAX_SUBS_BYTES, Followers, Kept, KeptSub, subid_of
from iotic_app.transports.mqtt._link import Link
from iotic_app.transports.mqtt._names import Names
from iotic_app.transports.mqtt._thingdoc import seg
from iotic_app.transports.mqtt._things import Things

__all__ = ["Follows"]

logger = logging.getLogger("iotic_app.mqtt")


def _in(group: str | None) -> str:
    """How a message names a follow's group."""
    return "in no group" if group is None else f"in group {group!r}"


class Follows:
    """Follows and attaches of the agent's things: a follow subscribes to the feed's topic
    (one subscription and route per topic, however many follow it)."""

    def __init__(
        self,
        names: Names,
        lock: threading.RLock,
        link: Link,
        things: Things,
        deliveries: Deliverer,
        catalogue: Catalogue,
        kept: Kept,
        followers: Followers,
    ) -> None:
        """Start with none; *lock* guards the agent's things, follows and routes; *kept*
        records them on the broker, *followers* knows who follows the agent's points."""
        self._names = names
        self._lock = lock
        self._link = link
        self._things = things
        self._deliveries = deliveries
        self._catalogue = catalogue
        self._kept = kept
        self._followers = followers

    def subscribe(
        self, thing: Any, kind: PointKind, target: Target, token: Delivery, group: str | None = None
    ) -> tuple[str, str]:
        """Follow a feed or attach to a control; see ``Transport.subscribe``.

        Args:
            thing: The following thing.
            kind: ``'Feed'`` or ``'Control'``.
            target: A point guid, or ``(lid, pid)`` of the owner's things (any of its agents').
            token: Where the feed's values go.
            group: Share the feed's values among the followers in this group (MQTT 5 shared
                subscription ``$share/GROUP/...``).
        """
        names = self._names
        if group is not None and names.settings.protocol != MQTTV5:
            raise ValueError(
                f"group={group!r} needs MQTT 5 shared subscriptions, but this client's protocol "
                "is 3.1.1: set protocol = 5 in the config, or follow without a group"
            )
        conn = self._link.require()
        own = self._things.own(thing)
        try:
            guid, topic = self._resolve(kind, target)
        except IOTUnknown:
            # the restore idiom: follow again what list_connections lists, also a kept follow
            # of a point the broker no longer has (its values, if it comes back, are held)
            kept = own.subs.get(subid_of(own.guid, target)) if isinstance(target, str) else None
            if kept is None or kept.kind != kind:
                raise
            guid, topic = kept.guid, kept.topic
        subid = subid_of(own.guid, guid)
        sink = self._deliveries.sink
        push = None if sink is None else sink.push
        with self._lock:
            old = own.subs.get(subid)
            if old is not None:
                if group is not None and group != old.group:
                    raise ValueError(
                        f"group={group!r}: thing {own.lid!r} follows {guid} "
                        f"{_in(old.group)} already; unfollow it first to follow it in another"
                    )
                group = old.group
                if old.topic == topic:  # kept (maybe from an earlier run), or made again
                    old.token.bind(token, push)
                    return subid, guid
            route = self._deliveries.routes.get(topic) if kind == FEED else None
            if route is not None and route.group != group:
                raise ValueError(
                    f"group={group!r}: agent {names.agent_id!r} follows {guid} "
                    f"{_in(route.group)} already (from another of its things), and on MQTT "
                    "an agent's follows of one feed share one subscription: follow it in "
                    "the same group"
                )
        # new, or the point moved (its thing to another agent of its owner: a new topic); a
        # moved follow keeps its earlier route too, whose queued values still reach it
        held = Held(self._kept.name(own, guid), token) if old is None else old.token
        if old is not None:
            held.bind(token, push)
        route = None
        if kind == FEED:
            route, fresh = self._deliveries.route(topic, group)
            if fresh:
                try:
                    v5 = names.settings.protocol == MQTTV5
                    self._link.subscribe(conn, route.filter, 1, retained=not v5)
                except BaseException:
                    self._deliveries.unroute(topic)
                    raise
        sub = Sub(subid, own, kind, guid, route, held, topic, group)
        with self._lock:
            if old is not None:  # (moved back to an earlier topic: that route is the one now)
                earlier = (old.route, *old.former)
                sub.former = tuple(r for r in earlier if r is not None and r is not route)
            own.subs[subid] = sub
            if route is not None:
                if held not in route.tokens:
                    # one assignment: the worker reads the tokens without the lock
                    route.tokens = (*route.tokens, held)
                self._deliveries.go_live(route)
        try:  # a moved follow tells the point's new agent, and the old one that it ended
            self._publish(own, new=sub, gone=[] if old is None else [old])
        except BaseException:
            if old is None:  # not in place: the follow raised; the broker's records are put
                self._deliveries.drop_sub(sub)  # right as soon as it takes them
                held.bind(None, None)
                self._publish_soon(own, sub)
            raise
        if old is None:
            self._followers.tell_subscribed(sub)
        return subid, guid

    def _publish_soon(self, thing: Thing, gone: Sub) -> None:
        """After a follow that raised: publish *thing*'s record without it and clear its
        followers record, without waiting (a slow broker takes them after the ones that
        timed out; a link that is down is put right by ``reconcile`` when it is back)."""
        try:
            self._send(thing, None, [gone])
        except Exception:  # the link is down: reconcile puts it right when it is back
            logger.debug("could not put back the records of thing %r", thing.lid, exc_info=True)

    def _resolve(self, kind: PointKind, target: Target) -> tuple[str, str]:
        """The guid and topic of the point *target* names (``IOTUnknown`` if none)."""
        names = self._names
        part = "feed" if kind == FEED else "control"
        if isinstance(target, tuple):  # a point of the owner's things (any of its agents')
            lid, pid = target
            point = self._things.mine(lid, kind, pid)
            if point is not None:
                return point.guid, point.topic
            # another agent's of the owner (the agent's own owner too: its name's)
            guid = point_guid(thing_guid(names.owner, lid), kind, pid)
            try:
                doc, found = self._catalogue.find(guid, kind)
            except IOTUnknown:
                raise IOTUnknown(self._no_point(kind, target)) from None
            return guid, f"{doc.base}/{part}/{seg(str(found['pid']))}"
        point = self._things.own_point(target)
        if point is not None:
            if point.kind != kind:
                raise IOTUnknown(f"point {target!r} is a {point.kind}, not a {kind}")
            return point.guid, point.topic
        doc, found = self._catalogue.find(target, kind)
        if kind != FEED:  # an attach: its tells ask whether the control's agent is online
            self._catalogue.status_soon(doc.agent)
        return target, f"{doc.base}/{part}/{seg(str(found['pid']))}"

    def _publish(self, thing: Thing, new: Sub | None = None, gone: Sequence[Sub] = ()) -> None:
        """Publish *thing*'s ``subs`` record, and the ``_followers`` record of its *new*
        follow (or clear those of the *gone* ones), retained; wait for the broker's answers.

        A followers record the broker denies (an ACL without the ``_followers`` lines) is
        logged: the follow itself stands, only its point's owner does not see it.
        """
        conn, mine, theirs = self._send(thing, new, gone)
        self._link.check(conn, *mine)
        for mid, what in theirs:
            try:
                self._link.check(conn, mid, what)
            except IOTAccessDenied as exc:
                logger.warning("%s (its owner will not list this follower)", exc)

    def _send(
        self, thing: Thing, new: Sub | None, gone: Sequence[Sub]
    ) -> tuple[Conn, tuple[int, str], list[tuple[int, str]]]:
        """Publish the records of :meth:`_publish` without waiting.

        Returns:
            The connection, and ``(mid, what)`` of the ``subs`` record and of each
            ``_followers`` record, for ``Link.check``.
        """
        kept, link = self._kept, self._link
        with kept.publishing:  # in the order the records were made
            conn = link.require()
            body = kept.body(thing)
            if len(body) > MAX_SUBS_BYTES:
                raise ValueError(
                    f"thing {thing.lid!r} has {len(thing.subs)} follows and attaches: their "
                    f"record would have {len(body):,} bytes, more than {MAX_SUBS_BYTES:,}; "
                    "follow from another thing"
                )
            what = f"record the subscriptions of thing {thing.lid!r}"
            mine = link.publish_async(conn, kept.topic(thing), body, what)
            theirs = [
                link.publish_async(
                    conn,
                    kept.follower_topic(thing.lid, sub),
                    b"" if sub is not new else kept.follower_body(sub),
                    f"tell the owner of {sub.guid} about the follow",
                )
                for sub in (*gone, *([] if new is None else [new]))
            ]
        return conn, mine, theirs

    def _no_point(self, kind: PointKind, target: tuple[str, str]) -> str:
        """Why ``(lid, pid)`` *target* names no point of the agent's owner."""
        names = self._names
        if names.owner == names.agent_id:
            return f"agent {names.agent_id!r} has no {kind.lower()} {target!r}"
        return (
            f"owner {names.owner!r} (of agent {names.agent_id!r}) has no {kind.lower()} {target!r}"
        )

    def unsubscribe(self, thing: Any, sub_id: str) -> None:
        """Remove a follow or attach (also one an earlier run made): nothing more reaches its
        token, and the broker's records of it go."""
        self._link.require()
        own = self._things.own(thing)
        sub = own.subs.get(sub_id)
        if sub is None:
            raise IOTUnknown(f"thing {own.lid!r} has no subscription {sub_id!r}")
        self._deliveries.drop_sub(sub)
        sub.token.bind(None, None)
        self._publish(own, gone=[sub])

    def forget_thing(self, thing: Any) -> None:
        """Drop the follows and attaches of a thing that is being deleted, and their records."""
        self._link.require()
        own = self._things.own(thing)
        with self._lock:
            subs = list(own.subs.values())
        for sub in subs:
            self._deliveries.drop_sub(sub)
            sub.token.bind(None, None)
        self._publish(own, gone=subs)

    def list_connections(self, thing: Any) -> dict[str, dict[str, str]]:
        """Return a thing's follows and attaches (those an earlier run made too)."""
        self._link.require()
        own = self._things.own(thing)
        with self._lock:
            return {s.subid: {"type": s.kind, "guid": s.guid} for s in own.subs.values()}

    def unbound(self) -> list[tuple[ThingRef, str, PointKind, str]]:
        """Return the agent's follows and attaches that no token of this client holds."""
        self._link.require()
        things = self._things.own_things()
        with self._lock:
            return [
                (thing, sub.subid, sub.kind, sub.guid)
                for thing in things
                for sub in thing.subs.values()
                if sub.token.token is None
            ]

    def bind(self, thing: Any, sub_id: str, token: Delivery) -> None:
        """Deliver a kept follow's values (the held ones first) to *token*."""
        self._link.require()
        own = self._things.own(thing)
        sink = self._deliveries.sink
        with self._lock:
            sub = own.subs.get(sub_id)
            if sub is None:
                raise IOTUnknown(f"thing {own.lid!r} has no subscription {sub_id!r}")
            sub.token.bind(token, None if sink is None else sink.push)

    def followers(self, point: Any) -> dict[str, str]:
        """Return ``{sub_id: follower thing guid}`` of one of the agent's points."""
        self._link.require()
        self._things.own(point)
        return self._followers.of(point)

    def wanted(self) -> list[str]:
        """While a connection comes up, after the broker's records came: the exact topics the
        catalogue should hold before they are used (the follower things the ``_followers``
        records name, the memberships the ``subs`` records' follows need)."""
        return self._followers.wanted() + self._kept.wanted_members()

    def pinned(self) -> set[str]:
        """The meta topics of the things the agent's follows and attaches are of (the
        catalogue keeps them subscribed)."""
        root = self._names.root
        with self._lock:
            topics = [s.topic for t in self._things.own_things() for s in t.subs.values()]
        return {meta for meta in map(lambda t: meta_of(root, t), topics) if meta is not None}

    def coming_up(self) -> list[tuple[str, int, bool]]:
        """A connection comes up: forget the broker's records (it sends them all again).

        Returns:
            The ``(filter, qos, retained)`` of the agent's records, to subscribe to.
        """
        self._kept.clear()
        self._followers.begin()
        return [(f"{self._kept.prefix}+/subs", 0, True), (f"{self._followers.prefix}#", 0, True)]

    def came_up(self, conn: Conn, tell: bool) -> list[tuple[int, str]]:
        """The broker's records are in and the things adopted: tell (*tell*: a reconnect to a
        broker that kept its state) the follower counts that changed while away, and publish
        again what the broker lacks.

        Returns:
            ``(mid, what)`` of each publish, for ``Link.check``.
        """
        self._followers.end(tell)
        return self.reconcile(conn)

    def reconcile(self, conn: Conn) -> list[tuple[int, str]]:
        """Publish again the records the broker lost or missed (a broker restarted without
        persistence, or a change made while the link was down): each thing's ``subs`` record
        where the broker's differs from this process's, and its follows' ``_followers``
        records.

        Returns:
            ``(mid, what)`` of each publish, for ``Link.check``.
        """
        kept, link = self._kept, self._link
        pending = []
        with kept.publishing:
            for thing in self._things.own_things():
                with self._lock:
                    subs = dict(thing.subs)
                    have = {
                        subid: KeptSub(s.kind, s.guid, s.topic, s.group)
                        for subid, s in subs.items()
                    }
                broker = kept.records.get(thing.lid, {})
                if have == broker:
                    continue
                what = f"record the subscriptions of thing {thing.lid!r} again"
                pending.append(link.publish_async(conn, kept.topic(thing), kept.body(thing), what))
                for subid, sub in subs.items():
                    if subid not in broker:
                        what = f"tell the owner of {sub.guid} about the follow again"
                        topic = kept.follower_topic(thing.lid, sub)
                        pending.append(
                            link.publish_async(conn, topic, kept.follower_body(sub), what)
                        )
                for subid, gone in broker.items():
                    if subid not in subs:
                        what = f"tell the owner of {gone.guid} the follow ended"
                        topic = kept.follower_topic(thing.lid, gone)
                        pending.append(link.publish_async(conn, topic, b"", what))
        return pending

    def held_at_close(self) -> None:
        """Log the values still held for follows nothing in this process followed again or
        bound to a catch-all (they were acknowledged to the broker: closing drops them)."""
        for thing in self._things.own_things():
            for sub in list(thing.subs.values()):
                if sub.token.token is None and len(sub.token):
                    logger.warning(
                        "%s: closing with %d value(s) held for it that nothing in this "
                        "process followed again or bound to a catch-all; they are dropped",
                        sub.token.name,
                        len(sub.token),
                    )
