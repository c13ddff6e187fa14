"""The state of the embedded ``local://`` spaces: their things, points and follows."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any, TypeAlias

from iotic_app.transports._handles import PointHandle, ThingHandle
from iotic_app.transports._held import Held
from iotic_app.transports._protocol import (
    FEED,
    Delivery,
    FollowerCount,
    PointKind,
    Sample,
    Sink,
    Subscribed,
    TellResult,
    lid_taken,
    point_guid,
    thing_guid,
)
from iotic_app.transports._search import Candidate

__all__ = [
    "Entry",
    "Group",
    "Point",
    "Space",
    "Sub",
    "Thing",
    "Waiter",
    "candidate",
    "get_space",
]

Entry: TypeAlias = "tuple[Callable[[Delivery, Any], None], Delivery]"
"""A follower of a feed: its sink's bound ``push`` (taken once, when it follows) and its token
(the follow's :class:`Held`)."""


def _hold(token: Delivery, item: Any) -> None:
    """The ``push`` of a follow whose agent has no client started: the value waits in its Held."""
    assert isinstance(token, Held)
    token.hold(item)


class Thing(ThingHandle):
    """A thing in the space (also the transport's ThingRef): made, and changed, by *agent*; its
    lid is unique among *owner*'s things."""

    __slots__ = ("agent", "owner", "points", "subs")

    def __init__(self, agent: str, owner: str, lid: str, guid: str) -> None:
        super().__init__(lid, guid)
        self.agent = agent
        self.owner = owner
        self.points: dict[tuple[str, str], Point] | None = None  # made on first use, as subs
        self.subs: dict[str, Sub] | None = None


class Point(PointHandle[Sample]):
    """A feed or control in the space (also the transport's PointRef)."""

    __slots__ = ("followers", "groups", "handler", "subs")

    thing: Thing

    def __init__(self, thing: Thing, kind: PointKind, pid: str, guid: str) -> None:
        super().__init__(thing, kind, pid, guid)
        self.subs: dict[str, Sub] | None = None  # the follows or attaches of it, by id
        # copy-on-write tuple, so share() reads it without the lock
        self.followers: tuple[Entry, ...] = ()
        self.groups: dict[str, Group] | None = None  # follows with group=: one member each
        self.handler: tuple[Sink, Delivery] | None = None


class Group:
    """The followers of a feed in one group: each sample goes to one of them, in turn."""

    __slots__ = ("members", "turn")

    def __init__(self) -> None:
        self.members: tuple[Entry, ...] = ()  # copy-on-write
        self.turn = 0

    def pick(self) -> Entry | None:
        """The member whose turn it is (None once the last one left)."""
        members = self.members
        if not members:
            return None
        self.turn += 1
        return members[self.turn % len(members)]


class Sub:
    """A follow or attach of a thing to a point, kept in the space until it is removed.

    Its :attr:`held` is the token in the point's followers: it hands values to the token of the
    client that bound it (:attr:`sink`'s), and holds them while none is bound.
    """

    __slots__ = ("entry", "group", "held", "kind", "point", "sink", "subid", "thing")

    def __init__(
        self,
        subid: str,
        thing: Thing,
        point: Point,
        sink: Sink | None,
        held: Held,
        group: str | None = None,
    ) -> None:
        self.subid = subid
        self.thing = thing
        self.point = point
        self.kind = point.kind
        self.sink = sink
        self.held = held
        self.entry: Entry = (_hold, held) if sink is None else (sink.push, held)
        self.group = group


class Waiter:
    """A tell waiting for its confirmation."""

    __slots__ = ("event", "result")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.result: TellResult | None = None


class Space:
    """One named in-process space: every thing, point and follow of the agents using it.

    Its methods change the registry and the followers' tuples; call them holding :attr:`lock`.
    Who may do what (an agent's own things, public ones) is the transport's to check.
    """

    def __init__(self, name: str) -> None:
        """Make an empty space called *name*."""
        self.name = name
        self.lock = threading.Lock()
        self.things: dict[str, Thing] = {}
        self.agents: dict[str, dict[str, Thing]] = {}  # agent -> its things, by lid
        self.owners: dict[str, dict[str, Thing]] = {}  # owner -> its agents' things, by lid
        self.points: dict[str, Point] = {}
        self.waiters: dict[str, Waiter] = {}
        # agent -> where its started client wants its subscription events (Transport.watch)
        self.watchers: dict[str, tuple[Sink, Delivery]] = {}

    def add_thing(self, agent: str, owner: str, lid: str) -> Thing:
        """Return agent *agent*'s thing *lid*, made if it is new.

        Raises:
            IOTAccessDenied: another agent of *owner* has a thing *lid* (lids are unique per
                owner).
        """
        owned = self.owners.get(owner)
        if owned is None:
            owned = self.owners[owner] = {}
        thing = owned.get(lid)
        if thing is not None and thing.agent != agent:
            raise lid_taken(owner, lid, thing.agent, agent)
        if thing is None:
            old = self.agents.get(agent, {}).get(lid)
            if old is not None:  # made while the agent belonged to another owner: replaced,
                self.drop_thing(old)  # as on MQTT (one topic ROOT/AGENT/LID for both)
            thing = Thing(agent, owner, lid, thing_guid(owner, lid))
            owned[lid] = thing
            self.agents.setdefault(agent, {})[lid] = thing
            self.things[thing.guid] = thing
        return thing

    def drop_thing(self, thing: Thing) -> None:
        """Delete *thing*, its points, and its follows and attaches."""
        for point in list((thing.points or {}).values()):
            self.drop_point(point)
        for sub in list((thing.subs or {}).values()):
            self.drop_sub(sub)
        del self.agents[thing.agent][thing.lid]
        del self.owners[thing.owner][thing.lid]
        del self.things[thing.guid]
        thing.deleted = True

    def add_point(self, thing: Thing, kind: PointKind, pid: str) -> Point:
        """Return *thing*'s feed or control *pid*, made if it is new."""
        points = thing.points
        if points is None:
            points = thing.points = {}
        point = points.get((kind, pid))
        if point is None:
            point = Point(thing, kind, pid, point_guid(thing.guid, kind, pid))
            points[(kind, pid)] = point
            self.points[point.guid] = point
        return point

    def drop_point(self, point: Point) -> None:
        """Delete *point* and every follow and attach of it."""
        point.deleted = True  # first: its followers' counts are not reported as they go
        for sub in list((point.subs or {}).values()):
            self.drop_sub(sub)
        if point.thing.points is not None:
            del point.thing.points[(point.kind, point.pid)]
        del self.points[point.guid]
        point.followers = ()
        point.groups = None
        point.handler = None

    def add_sub(
        self, thing: Thing, point: Point, sink: Sink, token: Delivery, group: str | None
    ) -> str:
        """Make *thing* follow (a feed) or attach to (a control) *point*; feed samples go to
        *token* (through *sink*) from now on. A follow the space keeps already gets *token*
        (values held for it first); it keeps its group (another: ``ValueError``).

        Returns:
            The subscription's id.
        """
        subid = uuid.uuid5(uuid.UUID(thing.guid), point.guid).hex
        subs = thing.subs
        if subs is None:
            subs = thing.subs = {}
        old = subs.get(subid)
        if old is not None:
            if group is not None and group != old.group:
                where = "in no group" if old.group is None else f"in group {old.group!r}"
                raise ValueError(
                    f"group={group!r}: thing {thing.lid!r} follows {point.guid} {where} "
                    "already; unfollow it first to follow it in another"
                )
            self._move(old, sink)
            old.held.bind(token, sink.push)
            return subid
        name = f"agent {thing.agent!r}, thing {thing.lid!r}, follow of {point.guid}"
        sub = Sub(subid, thing, point, sink, Held(name, token), group)
        subs[subid] = sub
        self._link(sub)
        self._tell(thing.agent, Subscribed(thing.lid, subid, point.kind, point.guid))
        self._count(point)
        return subid

    def _link(self, sub: Sub) -> None:
        """Put *sub* among its point's followers (and in its group)."""
        point = sub.point
        point.subs = {**(point.subs or {}), sub.subid: sub}
        if point.kind != FEED:
            return
        if sub.group is not None:
            groups = dict(point.groups or {})  # copy-on-write, as followers
            members = groups.get(sub.group) or Group()
            members.members = (*members.members, sub.entry)
            groups[sub.group] = members
            point.groups = groups
        else:
            point.followers = (*point.followers, sub.entry)

    def _unlink(self, sub: Sub) -> None:
        """Take *sub* out of its point's followers (and its group)."""
        point = sub.point
        if point.subs is not None:
            point.subs = {k: v for k, v in point.subs.items() if v is not sub}
        group = None if point.groups is None or sub.group is None else point.groups.get(sub.group)
        if group is not None:
            group.members = tuple(entry for entry in group.members if entry is not sub.entry)
            if not group.members:
                point.groups = {k: v for k, v in (point.groups or {}).items() if v is not group}
        else:
            point.followers = tuple(e for e in point.followers if e is not sub.entry)

    def _move(self, sub: Sub, sink: Sink | None) -> None:
        """Send *sub*'s values through *sink* (None: hold them in the space) from now on.

        From one client's sink to another's, the follow gets a new Held: values already queued
        in the first sink still reach the first client's token, on its worker, never the new
        client's token on the old worker.
        """
        if sub.sink is sink:
            return
        self._unlink(sub)
        if sub.sink is not None and sink is not None:
            sub.held = Held(sub.held.name)
        sub.sink = sink
        sub.entry = (_hold, sub.held) if sink is None else (sink.push, sub.held)
        self._link(sub)

    def take_over(self, agent: str, sink: Sink) -> None:
        """A client of *agent* started with *sink*: the agent's follows that no client holds
        (their client closed) deliver through it, their values still held until it binds them.
        A follow another client of the agent still holds (stopped, or running beside this one)
        stays with it until this one follows it again."""
        for thing in self.agents.get(agent, {}).values():
            for sub in (thing.subs or {}).values():
                if sub.sink is None:
                    self._move(sub, sink)

    def let_go(self, agent: str, sink: Sink) -> None:
        """The client of *agent* with *sink* closed: its follows' values wait in the space."""
        for thing in self.agents.get(agent, {}).values():
            for sub in (thing.subs or {}).values():
                if sub.sink is sink:
                    sub.held.bind(None, None)
                    self._move(sub, None)

    def drop_sub(self, sub: Sub) -> None:
        """Remove a follow or attach; nothing more reaches its entry."""
        self._unlink(sub)
        sub.held.bind(None, None)
        if sub.thing.subs is not None:
            sub.thing.subs.pop(sub.subid, None)
        if not sub.point.deleted:
            self._count(sub.point)

    def _count(self, point: Point) -> None:
        """Tell the point's agent how many follow or attach it now."""
        count = len(point.subs or ())
        self._tell(point.thing.agent, FollowerCount(point.thing.lid, point.pid, point.kind, count))

    def _tell(self, agent: str, event: Subscribed | FollowerCount) -> None:
        """Queue *event* for *agent*'s watching client, if one is started."""
        watcher = self.watchers.get(agent)
        if watcher is not None:
            sink, token = watcher
            sink.push(token, event)


_SPACES: dict[str, Space] = {}
_SPACES_LOCK = threading.Lock()


def get_space(name: str) -> Space:
    """Return the process's space called *name*, making it on first use.

    Args:
        name: The space's name (``''`` for the default ``local://``).

    Returns:
        The space.
    """
    with _SPACES_LOCK:
        space = _SPACES.get(name)
        if space is None:
            space = _SPACES[name] = Space(name)
        return space


def candidate(thing: Thing) -> Candidate:
    """A thing of the space as search sees it."""
    points = list((thing.points or {}).values())
    texts: list[tuple[str | None, str]] = [(None, tag) for tag in thing.tags]
    resources: list[Thing | Point] = [thing, *points]
    for res in resources:
        texts.extend(res.labels.items())
        texts.extend(res.descriptions.items())
    for point in points:
        texts.extend((None, tag) for tag in point.tags)
    return Candidate(
        guid=thing.guid,
        owner=thing.owner,
        public=thing.public,
        labels=thing.labels,
        location=thing.location,
        texts=texts,
        units={value.unit for point in points for value in point.values},
        points=[(p.guid, p.labels, p.kind, p.save_recent > 0) for p in points],
        properties=thing.properties,
    )
