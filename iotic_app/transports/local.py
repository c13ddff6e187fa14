"""The embedded in-process space behind ``local://``: thread-safe, no server."""

from __future__ import annotations

import threading
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeAlias

from iotic_app._config import AgentConfig
from iotic_app.exceptions import IOTAccessDenied, IOTUnknown, LinkException
from iotic_app.transports._handles import PointHandle, ThingHandle
from iotic_app.transports._protocol import (
    CONTROL,
    FEED,
    ControlRequest,
    Delivery,
    Meta,
    PointKind,
    Sample,
    Sink,
    Target,
    TellResult,
    ValueSpec,
    point_guid,
    thing_guid,
)
from iotic_app.transports._search import Candidate, label_of, search

__all__ = ["LocalTransport", "get_space"]

_Entry: TypeAlias = "tuple[Callable[[Delivery, Any], None], Delivery]"
"""A follower of a feed: its sink's bound ``push`` (taken once, when it follows) and its token."""


class _Thing(ThingHandle):
    """A thing in the space (also the transport's ThingRef)."""

    __slots__ = ("agent", "points", "subs")

    def __init__(self, agent: str, lid: str, guid: str) -> None:
        super().__init__(lid, guid)
        self.agent = agent
        self.points: dict[tuple[str, str], _Point] | None = None  # made on first use, as subs
        self.subs: dict[str, _Sub] | None = None


class _Point(PointHandle[Sample]):
    """A feed or control in the space (also the transport's PointRef)."""

    __slots__ = ("followers", "groups", "handler")

    thing: _Thing

    def __init__(self, thing: _Thing, kind: PointKind, pid: str, guid: str) -> None:
        super().__init__(thing, kind, pid, guid)
        # copy-on-write tuple, so share() reads it without the lock
        self.followers: tuple[_Entry, ...] = ()
        self.groups: dict[str, _Group] | None = None  # follows with group=: one member each
        self.handler: tuple[Sink, Delivery] | None = None


class _Group:
    """The followers of a feed in one group: each sample goes to one of them, in turn."""

    __slots__ = ("members", "turn")

    def __init__(self) -> None:
        self.members: tuple[_Entry, ...] = ()  # copy-on-write
        self.turn = 0

    def pick(self) -> _Entry | None:
        """The member whose turn it is (None once the last one left)."""
        members = self.members
        if not members:
            return None
        self.turn += 1
        return members[self.turn % len(members)]


class _Sub:
    """A follow or attach of a thing to a point."""

    __slots__ = ("entry", "group", "kind", "point", "subid", "thing")

    def __init__(
        self,
        subid: str,
        thing: _Thing,
        point: _Point,
        entry: _Entry,
        group: str | None = None,
    ) -> None:
        self.subid = subid
        self.thing = thing
        self.point = point
        self.kind = point.kind
        self.entry = entry
        self.group = group


class _Waiter:
    """A tell waiting for its confirmation."""

    __slots__ = ("event", "result")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.result: TellResult | None = None


class Space:
    """One named in-process space: every thing, point and follow of the agents using it."""

    def __init__(self, name: str) -> None:
        """Make an empty space called *name*."""
        self.name = name
        self.lock = threading.Lock()
        self.things: dict[str, _Thing] = {}
        self.agents: dict[str, dict[str, _Thing]] = {}
        self.points: dict[str, _Point] = {}
        self.waiters: dict[str, _Waiter] = {}


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


def _candidate(thing: _Thing) -> Candidate:
    """A thing of the space as search sees it."""
    points = list((thing.points or {}).values())
    texts: list[str] = [*thing.tags]
    resources: list[_Thing | _Point] = [thing, *points]
    for res in resources:
        texts.extend((res.labels or {}).values())
        texts.extend((res.descriptions or {}).values())
    for point in points:
        texts.extend(point.tags)
    return Candidate(
        guid=thing.guid,
        labels=thing.labels,
        location=thing.location,
        texts=texts,
        units={value.unit for point in points for value in point.values},
        points=[(point.guid, point.labels, point.kind) for point in points],
    )


class LocalTransport:
    """The ``local://`` transport: talks to an in-process :class:`Space` by direct calls."""

    def __init__(self, config: AgentConfig) -> None:
        """Prepare to use the space *config.space* as *config.agent_id* (nothing happens yet).

        Args:
            config: The parsed config.
        """
        self.agent_id = config.agent_id
        self._space_name = config.space
        self._space: Space | None = None
        self._sink: Sink | None = None
        self._connected = False

    # --- lifecycle --------------------------------------------------------------------------

    def start(self, sink: Sink) -> None:
        """Join the space; deliveries go to *sink* (the client's dispatcher).

        Args:
            sink: Where the agent's feed data and control requests go.
        """
        self._space = get_space(self._space_name)
        self._sink = sink
        self._connected = True

    def stop(self) -> None:
        """Leave the space; follows and controls stay, data for them queues in the sink."""
        self._connected = False

    def close(self) -> None:
        """Leave the space, as :meth:`stop` does: the embedded space holds no file, thread or
        socket of the client's (its follows and controls stay for a later start)."""
        self.stop()

    def outbox_depth(self) -> None:
        """None: the embedded space delivers at once and has no outbox."""
        return None

    def values_missed(self) -> int:
        """0: the embedded space never drops a value on its way to a follower's sink."""
        return 0

    def is_connected(self) -> bool:
        """Whether started.

        Returns:
            True when started.
        """
        return self._connected

    def _s(self) -> Space:
        space = self._space
        if space is None or not self._connected:
            raise LinkException(f"agent {self.agent_id!r} is not connected to the local space")
        return space

    def _own(self, ref: Any) -> _Thing:
        thing: _Thing = ref if isinstance(ref, _Thing) else ref.thing
        if thing.agent != self.agent_id:
            raise IOTAccessDenied(
                f"thing {thing.lid!r} belongs to agent {thing.agent!r}, not {self.agent_id!r}"
            )
        if thing.deleted or (isinstance(ref, _Point) and ref.deleted):
            what = f"point {ref.pid!r} of thing" if isinstance(ref, _Point) else "thing"
            raise IOTUnknown(f"{what} {thing.lid!r} was deleted")
        return thing

    def _visible(self, space: Space, guid: str, kind: PointKind | None) -> _Point:
        point = space.points.get(guid)
        if point is None or point.deleted:
            raise IOTUnknown(f"no point with guid {guid!r} in the space")
        if kind is not None and point.kind != kind:
            hint = "attach to a control" if point.kind == CONTROL else "follow a feed"
            raise IOTUnknown(f"point {guid!r} is a {point.kind}, not a {kind} ({hint})")
        owner = point.thing
        if owner.agent != self.agent_id and not owner.public:
            raise IOTAccessDenied(
                f"point {guid!r} belongs to agent {owner.agent!r} and its thing is not public"
            )
        return point

    # --- things -----------------------------------------------------------------------------

    def create_thing(self, lid: str) -> _Thing:
        """Create the agent's thing *lid* or return the existing one."""
        space = self._s()
        with space.lock:
            mine = space.agents.get(self.agent_id)
            if mine is None:
                mine = space.agents[self.agent_id] = {}
            thing = mine.get(lid)
            if thing is None:
                thing = _Thing(self.agent_id, lid, thing_guid(self.agent_id, lid))
                mine[lid] = thing
                space.things[thing.guid] = thing
            return thing

    def get_thing(self, lid: str) -> _Thing:
        """Return the agent's thing *lid*; IOTUnknown if there is none."""
        space = self._s()
        thing = space.agents.get(self.agent_id, {}).get(lid)
        if thing is None:
            raise IOTUnknown(f"agent {self.agent_id!r} has no thing {lid!r}")
        return thing

    def delete_thing(self, thing: Any) -> None:
        """Delete a thing, its points, and its follows and attaches."""
        space = self._s()
        with space.lock:
            own = self._own(thing)
            for point in list((own.points or {}).values()):
                self._drop_point(space, point)
            for sub in list((own.subs or {}).values()):
                self._drop_sub(sub)
            del space.agents[self.agent_id][own.lid]
            del space.things[own.guid]
            own.deleted = True

    def list_things(self) -> list[str]:
        """Return the agent's lids in creation order."""
        space = self._s()
        with space.lock:
            return list(space.agents.get(self.agent_id, {}))

    # --- points -----------------------------------------------------------------------------

    def create_point(
        self, thing: Any, kind: PointKind, pid: str, save_recent: int, token: Delivery | None
    ) -> _Point:
        """Create or return a feed or control; see ``Transport.create_point``."""
        space = self._s()
        with space.lock:
            own = self._own(thing)
            points = own.points
            if points is None:
                points = own.points = {}
            point = points.get((kind, pid))
            if point is None:
                point = _Point(own, kind, pid, point_guid(own.guid, kind, pid))
                points[(kind, pid)] = point
                space.points[point.guid] = point
            if save_recent > 0 and save_recent != point.save_recent:
                point.save_recent = save_recent
                point.recent = deque(point.recent or (), maxlen=save_recent)
                if point.last is not None and not point.recent:
                    point.recent.append(point.last)
            if token is not None:
                assert self._sink is not None
                point.handler = (self._sink, token)
            return point

    def get_point(self, thing: Any, kind: PointKind, pid: str) -> _Point:
        """Return an existing feed or control; IOTUnknown if there is none."""
        self._s()
        own = self._own(thing)
        point = (own.points or {}).get((kind, pid))
        if point is None:
            raise IOTUnknown(f"thing {own.lid!r} has no {kind.lower()} {pid!r}")
        return point

    def delete_point(self, point: Any) -> None:
        """Delete a point and its followers' subscriptions."""
        space = self._s()
        with space.lock:
            self._own(point)
            self._drop_point(space, point)

    def _drop_point(self, space: Space, point: _Point) -> None:
        for thing in list(space.things.values()):
            for sub in list((thing.subs or {}).values()):
                if sub.point is point:
                    self._drop_sub(sub)
        if point.thing.points is not None:
            del point.thing.points[(point.kind, point.pid)]
        del space.points[point.guid]
        point.deleted = True
        point.followers = ()
        point.groups = None
        point.handler = None

    def _drop_sub(self, sub: _Sub) -> None:
        point = sub.point
        group = None if point.groups is None or sub.group is None else point.groups.get(sub.group)
        if group is not None:
            group.members = tuple(entry for entry in group.members if entry is not sub.entry)
            if not group.members:
                point.groups = {k: v for k, v in (point.groups or {}).items() if v is not group}
        else:
            point.followers = tuple(e for e in point.followers if e is not sub.entry)
        if sub.thing.subs is not None:
            sub.thing.subs.pop(sub.subid, None)

    # --- metadata ---------------------------------------------------------------------------

    def read_meta(self, ref: Any) -> Meta:
        """Return a thing's or point's metadata."""
        self._s()
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
        """Replace labels, descriptions and (things) location."""
        space = self._s()
        with space.lock:
            self._own(ref)
            ref.write_meta(labels, descriptions, location)

    def change_tags(self, ref: Any, add: Sequence[str], remove: Sequence[str]) -> None:
        """Add and remove tags."""
        space = self._s()
        with space.lock:
            self._own(ref)
            ref.change_tags(add, remove)

    def set_public(self, thing: Any, public: bool) -> None:
        """Set a thing's public flag."""
        space = self._s()
        with space.lock:
            self._own(thing).public = public

    def add_value(self, point: Any, spec: ValueSpec) -> None:
        """Declare (or replace) a value on a point."""
        space = self._s()
        with space.lock:
            self._own(point)
            point.add_value(spec)

    def values(self, guid: str) -> tuple[ValueSpec, ...]:
        """Return the values of a visible point."""
        return self._visible(self._s(), guid, None).values

    # --- data -------------------------------------------------------------------------------

    def share(self, point: Any, data: Any, mime: str | None, time: datetime) -> None:
        """Share one sample: keep it as last/recent and queue it for every follower."""
        if point.deleted or not self._connected:
            if not self._connected:
                raise LinkException(f"agent {self.agent_id!r} is not connected")
            raise IOTUnknown(f"feed {point.pid!r} of thing {point.thing.lid!r} was deleted")
        sample = (data, mime, time)
        point.last = sample
        recent = point.recent
        if recent is not None:
            recent.append(sample)
        for push, token in point.followers:  # the hot path of every share
            push(token, sample)
        groups = point.groups
        if groups:
            for group in groups.values():
                member = group.pick()
                if member is not None:
                    push, token = member
                    push(token, sample)

    def subscribe(
        self,
        thing: Any,
        kind: PointKind,
        target: Target,
        token: Delivery,
        group: str | None = None,
    ) -> tuple[str, str]:
        """Follow a feed or attach to a control; see ``Transport.subscribe``."""
        space = self._s()
        with space.lock:
            own = self._own(thing)
            if isinstance(target, tuple):
                lid, pid = target
                owner = space.agents.get(self.agent_id, {}).get(lid)
                point = None if owner is None else (owner.points or {}).get((kind, pid))
                if point is None:
                    raise IOTUnknown(f"agent {self.agent_id!r} has no {kind.lower()} {target!r}")
            else:
                point = self._visible(space, target, kind)
            subid = uuid.uuid5(uuid.UUID(own.guid), point.guid).hex
            subs = own.subs
            if subs is None:
                subs = own.subs = {}
            old = subs.get(subid)
            if old is not None:
                self._drop_sub(old)
            assert self._sink is not None
            entry: _Entry = (self._sink.push, token)
            subs[subid] = _Sub(subid, own, point, entry, group)
            if kind == FEED and group is not None:
                groups = dict(point.groups or {})  # copy-on-write, as followers
                members = groups.get(group) or _Group()
                members.members = (*members.members, entry)
                groups[group] = members
                point.groups = groups
            elif kind == FEED:
                point.followers = (*point.followers, entry)
            return subid, point.guid

    def unsubscribe(self, thing: Any, sub_id: str) -> None:
        """Remove a follow or attach."""
        space = self._s()
        with space.lock:
            own = self._own(thing)
            sub = (own.subs or {}).get(sub_id)
            if sub is None:
                raise IOTUnknown(f"thing {own.lid!r} has no subscription {sub_id!r}")
            self._drop_sub(sub)

    def list_connections(self, thing: Any) -> dict[str, dict[str, str]]:
        """Return a thing's follows and attaches."""
        space = self._s()
        with space.lock:
            own = self._own(thing)
            return {
                sub.subid: {"type": sub.kind, "guid": sub.point.guid}
                for sub in (own.subs or {}).values()
            }

    def recent(self, guid: str, count: int) -> list[Sample]:
        """Return up to *count* latest samples of a visible feed, oldest first."""
        point = self._visible(self._s(), guid, FEED)
        if point.recent is not None:
            samples = list(point.recent)
        else:
            samples = [] if point.last is None else [point.last]
        return samples[-count:]

    # --- controls ---------------------------------------------------------------------------

    def _request(
        self, guid: str, sub_id: str, data: Any, mime: str | None, rid: str, confirm: bool
    ) -> tuple[Sink, Delivery, ControlRequest] | None:
        point = self._visible(self._s(), guid, CONTROL)
        handler = point.handler
        if handler is None:
            return None
        request = ControlRequest(data, mime, sub_id, point.thing.lid, point.pid, rid, confirm)
        return handler[0], handler[1], request

    def ask(self, guid: str, sub_id: str, data: Any, mime: str | None) -> None:
        """Queue a request for the control's owner (kept while it is stopped)."""
        found = self._request(guid, sub_id, data, mime, uuid.uuid4().hex, False)
        if found is not None:
            sink, token, request = found
            sink.push(token, request)

    def tell(
        self, guid: str, sub_id: str, data: Any, mime: str | None, timeout: float
    ) -> TellResult:
        """Send a request and wait for its confirmation."""
        space = self._s()
        rid = uuid.uuid4().hex
        found = self._request(guid, sub_id, data, mime, rid, True)
        if found is None or not found[0].running:
            return "unreachable"
        sink, token, request = found
        waiter = _Waiter()
        with space.lock:
            space.waiters[rid] = waiter
        try:
            sink.push(token, request)
            waiter.event.wait(timeout)
        finally:
            with space.lock:
                space.waiters.pop(rid, None)
        return waiter.result if waiter.result is not None else "timeout"

    def confirm_tell(self, request_id: str, success: bool) -> None:
        """Answer a tell; unknown or expired ids are ignored."""
        space = self._s()
        with space.lock:
            waiter = space.waiters.get(request_id)
            if waiter is None or waiter.result is not None:
                return
            waiter.result = True if success else "failed"
        waiter.event.set()

    # --- search and describe ----------------------------------------------------------------

    def search(
        self,
        text: str | None,
        location: tuple[float, float, float] | None,
        unit: str | None,
        limit: int,
        offset: int,
    ) -> dict[str, Any]:
        """Search public things; see ``Client.search``."""
        space = self._s()
        with space.lock:
            return search(
                (_candidate(thing) for thing in space.things.values() if thing.public),
                text,
                location,
                unit,
                limit,
                offset,
            )

    def describe(self, guid: str) -> dict[str, Any] | None:
        """Describe a visible thing or point, or return None."""
        space = self._s()
        with space.lock:
            thing = space.things.get(guid)
            if thing is not None:
                if thing.agent != self.agent_id and not thing.public:
                    return None
                return {
                    "type": "Thing",
                    "guid": thing.guid,
                    "lid": thing.lid,
                    "agent": thing.agent,
                    "public": thing.public,
                    "label": label_of(thing.labels),
                    "labels": dict(thing.labels or {}),
                    "description": label_of(thing.descriptions),
                    "descriptions": dict(thing.descriptions or {}),
                    "location": thing.location,
                    "tags": sorted(thing.tags),
                    "points": [
                        {"guid": p.guid, "pid": p.pid, "type": p.kind, "label": label_of(p.labels)}
                        for p in (thing.points or {}).values()
                    ],
                }
            point = space.points.get(guid)
            if point is None or (point.thing.agent != self.agent_id and not point.thing.public):
                return None
            return {
                "type": point.kind,
                "guid": point.guid,
                "pid": point.pid,
                "thing": point.thing.guid,
                "label": label_of(point.labels),
                "labels": dict(point.labels or {}),
                "description": label_of(point.descriptions),
                "descriptions": dict(point.descriptions or {}),
                "tags": sorted(point.tags),
                "values": [v.as_dict() for v in point.values],
                "recent": point.save_recent,
            }
