"""The ``local://`` transport: one agent's calls on an in-process space (thread-safe)."""

from __future__ import annotations

import contextlib
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from iotic_app._config import AgentConfig
from iotic_app.exceptions import IOTAccessDenied, IOTUnknown, LinkException
from iotic_app.transports._describe import describe_point, describe_thing
from iotic_app.transports._local_space import (
    Point,
    Space,
    Thing,
    Waiter,
    candidate,
    get_space,
)
from iotic_app.transports._protocol import (
    CONTROL,
    FEED,
    ControlRequest,
    Delivery,
    Meta,
    PointKind,
    PointRef,
    Property,
    Query,
    Sample,
    Sink,
    Target,
    TellResult,
    ThingRef,
    ValueSpec,
)
from iotic_app.transports._search import search

__all__ = ["LocalTransport"]


class LocalTransport:
    """The ``local://`` transport: talks to an in-process :class:`Space` by direct calls."""

    def __init__(self, config: AgentConfig) -> None:
        """Prepare to use the space *config.space* as *config.agent_id* (nothing happens yet).

        Args:
            config: The parsed config.
        """
        self.agent_id = config.agent_id
        self.owner = config.owner
        self._space_name = config.space
        self._space: Space | None = None
        self._sink: Sink | None = None
        self._connected = False
        self._watch: Delivery | None = None

    # --- lifecycle --------------------------------------------------------------------------

    def start(self, sink: Sink) -> None:
        """Join the space; deliveries go to *sink* (the client's dispatcher).

        Args:
            sink: Where the agent's feed data and control requests go.
        """
        space = self._space = get_space(self._space_name)
        self._sink = sink
        with space.lock:
            space.take_over(self.agent_id, sink)
            if self._watch is not None:
                space.watchers[self.agent_id] = (sink, self._watch)
        self._connected = True

    def stop(self) -> None:
        """Leave the space; follows and controls stay, data for them queues in the sink."""
        self._connected = False
        space, sink = self._space, self._sink
        if space is not None:
            with space.lock:
                watcher = space.watchers.get(self.agent_id)
                if watcher is not None and watcher[0] is sink:
                    del space.watchers[self.agent_id]

    def close(self) -> None:
        """Leave the space; the embedded space holds no file, thread or socket of the client's.
        Its follows and controls stay in the space, which holds the follows' values for the
        agent's next client (this one started again, or another)."""
        self.stop()
        space, sink = self._space, self._sink
        if space is not None and sink is not None:
            with space.lock:
                space.let_go(self.agent_id, sink)

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

    def _own(self, ref: Any) -> Thing:
        thing: Thing = ref if isinstance(ref, Thing) else ref.thing
        if thing.agent != self.agent_id:
            raise IOTAccessDenied(
                f"thing {thing.lid!r} belongs to agent {thing.agent!r}, not {self.agent_id!r}"
            )
        if thing.deleted or (isinstance(ref, Point) and ref.deleted):
            what = f"point {ref.pid!r} of thing" if isinstance(ref, Point) else "thing"
            raise IOTUnknown(f"{what} {thing.lid!r} was deleted")
        return thing

    def _visible(self, space: Space, guid: str, kind: PointKind | None) -> Point:
        point = space.points.get(guid)
        if point is None or point.deleted:
            raise IOTUnknown(f"no point with guid {guid!r} in the space")
        if kind is not None and point.kind != kind:
            hint = "attach to a control" if point.kind == CONTROL else "follow a feed"
            raise IOTUnknown(f"point {guid!r} is a {point.kind}, not a {kind} ({hint})")
        owner = point.thing
        if not self._sees(owner):
            raise IOTAccessDenied(
                f"point {guid!r} belongs to agent {owner.agent!r} of owner {owner.owner!r} "
                "and its thing is not public"
            )
        return point

    def _sees(self, thing: Thing) -> bool:
        """Whether the agent sees *thing*: its owner's (any of its agents') or public."""
        return thing.public or thing.owner == self.owner or thing.agent == self.agent_id

    # --- things -----------------------------------------------------------------------------

    def batch(self) -> contextlib.AbstractContextManager[None]:
        """Nothing to gather: the embedded space applies each change at once, in memory."""
        self._s()
        return contextlib.nullcontext()

    def create_thing(self, lid: str) -> ThingRef:
        """Create the agent's thing *lid* or return the existing one."""
        space = self._s()
        with space.lock:
            return space.add_thing(self.agent_id, self.owner, lid)

    def get_thing(self, lid: str) -> ThingRef:
        """Return the agent's thing *lid*; IOTUnknown if there is none."""
        space = self._s()
        thing = space.agents.get(self.agent_id, {}).get(lid)
        if thing is None or thing.owner != self.owner:  # not one made under another owner
            raise IOTUnknown(f"agent {self.agent_id!r} has no thing {lid!r}")
        return thing

    def delete_thing(self, thing: Any) -> None:
        """Delete a thing, its points, and its follows and attaches."""
        space = self._s()
        with space.lock:
            space.drop_thing(self._own(thing))

    def list_things(self, *, all_agents: bool = False) -> list[str]:
        """Return the agent's lids in creation order (*all_agents*: its owner's)."""
        space = self._s()
        with space.lock:
            if all_agents:
                return list(space.owners.get(self.owner, {}))
            mine = space.agents.get(self.agent_id, {})
            return [lid for lid, thing in mine.items() if thing.owner == self.owner]

    # --- points -----------------------------------------------------------------------------

    def create_point(
        self, thing: Any, kind: PointKind, pid: str, save_recent: int, token: Delivery | None
    ) -> PointRef:
        """Create or return a feed or control; see ``Transport.create_point``."""
        space = self._s()
        with space.lock:
            point = space.add_point(self._own(thing), kind, pid)
            if save_recent > 0 and save_recent != point.save_recent:
                point.save_recent = save_recent
                point.recent = deque(point.recent or (), maxlen=save_recent)
                if point.last is not None and not point.recent:
                    point.recent.append(point.last)
            if token is not None:
                assert self._sink is not None
                point.handler = (self._sink, token)
            return point

    def get_point(self, thing: Any, kind: PointKind, pid: str) -> PointRef:
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
            space.drop_point(point)

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

    def remove_value(self, point: Any, label: str | None) -> None:
        """Remove a declared value (None: all) of a point."""
        space = self._s()
        with space.lock:
            self._own(point)
            point.values = tuple(v for v in point.values if label is not None and v.label != label)

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
                lid, pid = target  # a point of the owner's things (any of its agents')
                owner = space.owners.get(self.owner, {}).get(lid)
                point = None if owner is None else (owner.points or {}).get((kind, pid))
                if point is None:
                    raise IOTUnknown(self._no_point(kind, target))
            else:
                point = self._visible(space, target, kind)
            assert self._sink is not None
            return space.add_sub(own, point, self._sink, token, group), point.guid

    def _no_point(self, kind: PointKind, target: tuple[str, str]) -> str:
        """Why ``(lid, pid)`` *target* names no point of the agent's owner."""
        if self.owner == self.agent_id:
            return f"agent {self.agent_id!r} has no {kind.lower()} {target!r}"
        return f"owner {self.owner!r} (of agent {self.agent_id!r}) has no {kind.lower()} {target!r}"

    def unsubscribe(self, thing: Any, sub_id: str) -> None:
        """Remove a follow or attach."""
        space = self._s()
        with space.lock:
            own = self._own(thing)
            sub = (own.subs or {}).get(sub_id)
            if sub is None:
                raise IOTUnknown(f"thing {own.lid!r} has no subscription {sub_id!r}")
            space.drop_sub(sub)

    def list_connections(self, thing: Any) -> dict[str, dict[str, str]]:
        """Return a thing's follows and attaches."""
        space = self._s()
        with space.lock:
            own = self._own(thing)
            return {
                sub.subid: {"type": sub.kind, "guid": sub.point.guid}
                for sub in (own.subs or {}).values()
            }

    def unbound(self) -> list[tuple[ThingRef, str, PointKind, str]]:
        """Return the agent's kept follows and attaches that no token of this client holds."""
        space = self._s()
        with space.lock:
            return [
                (thing, sub.subid, sub.kind, sub.point.guid)
                for thing in space.agents.get(self.agent_id, {}).values()
                if thing.owner == self.owner
                for sub in (thing.subs or {}).values()
                if sub.held.token is None
            ]

    def bind(self, thing: Any, sub_id: str, token: Delivery) -> None:
        """Deliver a kept follow's values (the held ones first) to *token*."""
        space = self._s()
        with space.lock:
            own = self._own(thing)
            sub = (own.subs or {}).get(sub_id)
            if sub is None:
                raise IOTUnknown(f"thing {own.lid!r} has no subscription {sub_id!r}")
            assert self._sink is not None
            sub.held.bind(token, self._sink.push)

    def followers(self, point: Any) -> dict[str, str]:
        """Return the things that follow or are attached to one of the agent's points."""
        space = self._s()
        with space.lock:
            self._own(point)
            return {subid: sub.thing.guid for subid, sub in (point.subs or {}).items()}

    def watch(self, token: Delivery | None) -> None:
        """Send the agent's subscription events to *token* while started."""
        self._watch = token
        space, sink = self._space, self._sink
        if space is not None and sink is not None and self._connected:
            with space.lock:
                if token is None:
                    space.watchers.pop(self.agent_id, None)
                else:
                    space.watchers[self.agent_id] = (sink, token)

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
        waiter = Waiter()
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

    def search(self, query: Query) -> Any:
        """Search the things in the query's scope; see ``Client.search``."""
        space = self._s()
        with space.lock:
            return search(self.owner, (candidate(t) for t in space.things.values()), query)

    def read_properties(self, thing: Any) -> tuple[Property, ...]:
        """Return the properties of one of the agent's things."""
        space = self._s()
        with space.lock:
            props: tuple[Property, ...] = self._own(thing).properties
            return props

    def update_properties(
        self, thing: Any, update: Callable[[tuple[Property, ...]], tuple[Property, ...]]
    ) -> None:
        """Replace the thing's properties with ``update(current)``, in the space."""
        space = self._s()
        with space.lock:
            own = self._own(thing)
            own.properties = update(own.properties)

    def describe(self, guid: str) -> dict[str, Any] | None:
        """Describe a visible thing or point, or return None."""
        space = self._s()
        with space.lock:
            thing = space.things.get(guid)
            if thing is not None:
                if not self._sees(thing):
                    return None
                return describe_thing(thing, (thing.points or {}).values())
            point = space.points.get(guid)
            if point is None or not self._sees(point.thing):
                return None
            values = [v.as_dict() for v in point.values]
            return describe_point(point, point.thing.guid, values, point.save_recent)
