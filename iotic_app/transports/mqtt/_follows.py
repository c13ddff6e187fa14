"""The agent's follows of feeds and attaches to controls (the broker's subscriptions)."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import paho.mqtt.client as mqtt

from iotic_app.exceptions import IOTUnknown
from iotic_app.transports._protocol import FEED, Delivery, PointKind, Target, point_guid, thing_guid
from iotic_app.transports.mqtt._catalogue import Catalogue
from iotic_app.transports.mqtt._delivery import Deliverer
from iotic_app.transports.mqtt._handles import Sub
from iotic_app.transports.mqtt._link import Link
from iotic_app.transports.mqtt._names import Names
from iotic_app.transports.mqtt._thingdoc import seg
from iotic_app.transports.mqtt._things import Things

__all__ = ["Follows"]


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
    ) -> None:
        """Start with none; *lock* guards the agent's things, follows and routes."""
        self._names = names
        self._lock = lock
        self._link = link
        self._things = things
        self._deliveries = deliveries
        self._catalogue = catalogue

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
        if group is not None and names.settings.protocol != mqtt.MQTTv5:
            raise ValueError(
                f"group={group!r} needs MQTT 5 shared subscriptions, but this client's protocol "
                "is 3.1.1: set protocol = 5 in the config, or follow without a group"
            )
        conn = self._link.require()
        own = self._things.own(thing)
        if isinstance(target, tuple):  # a point of the owner's things (any of its agents')
            lid, pid = target
            point = self._things.mine(lid, kind, pid)
            if point is not None:
                guid, topic = point.guid, point.topic
            else:  # another agent's of the owner (the agent's own owner too: its name's)
                guid = point_guid(thing_guid(names.owner, lid), kind, pid)
                try:
                    doc, found = self._catalogue.find(guid, kind)
                except IOTUnknown:
                    raise IOTUnknown(self._no_point(kind, target)) from None
                part = "feed" if kind == FEED else "control"
                topic = f"{doc.base}/{part}/{seg(str(found['pid']))}"
        else:
            point = self._things.own_point(target)
            if point is not None:
                if point.kind != kind:
                    raise IOTUnknown(f"point {target!r} is a {point.kind}, not a {kind}")
                guid, topic = point.guid, point.topic
            else:
                doc, found = self._catalogue.find(target, kind)
                guid = target
                part = "feed" if kind == FEED else "control"
                topic = f"{doc.base}/{part}/{seg(str(found['pid']))}"
        subid = uuid.uuid5(uuid.UUID(own.guid), guid).hex
        route = None
        if kind == FEED:
            route, fresh = self._deliveries.route(topic, group)
            if fresh:
                try:
                    v5 = names.settings.protocol == mqtt.MQTTv5
                    self._link.subscribe(conn, route.filter, 1, retained=not v5)
                except BaseException:
                    self._deliveries.unroute(topic)
                    raise
        with self._lock:
            old = own.subs.get(subid)
            if old is not None and old.route is not route:
                self._deliveries.drop_sub(old, unsubscribe=False)
            own.subs[subid] = Sub(subid, own, kind, guid, route, token)
            if route is not None:
                # one assignment: the worker reads the tokens without the lock
                kept = (
                    route.tokens
                    if old is None
                    else tuple(t for t in route.tokens if t is not old.token)
                )
                route.tokens = (*kept, token)
                self._deliveries.go_live(route)
        return subid, guid

    def _no_point(self, kind: PointKind, target: tuple[str, str]) -> str:
        """Why ``(lid, pid)`` *target* names no point of the agent's owner."""
        names = self._names
        if names.owner == names.agent_id:
            return f"agent {names.agent_id!r} has no {kind.lower()} {target!r}"
        return (
            f"owner {names.owner!r} (of agent {names.agent_id!r}) has no {kind.lower()} {target!r}"
        )

    def unsubscribe(self, thing: Any, sub_id: str) -> None:
        """Remove a follow or attach."""
        self._link.require()
        own = self._things.own(thing)
        sub = own.subs.get(sub_id)
        if sub is None:
            raise IOTUnknown(f"thing {own.lid!r} has no subscription {sub_id!r}")
        self._deliveries.drop_sub(sub)

    def list_connections(self, thing: Any) -> dict[str, dict[str, str]]:
        """Return a thing's follows and attaches."""
        self._link.require()
        own = self._things.own(thing)
        return {s.subid: {"type": s.kind, "guid": s.guid} for s in own.subs.values()}
