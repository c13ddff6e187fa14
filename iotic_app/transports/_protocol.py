"""The boundary between the client API layer and a transport (local space, MQTT, ...)."""

# Design note
# -----------
# The API layer (``Client``, ``Thing``, ``Feed``, ``Control``, ``RemoteFeed``, ``RemoteControl``,
# metadata, templates, parsing, argument checking, the "stopped client raises LinkException" rule)
# is the same for every transport. A transport only moves data and keeps the space's state; it
# implements :class:`Transport` below and never calls user code.
#
# * Identity: the transport is made from an :class:`~iotic_app._config.AgentConfig`; every thing
#   it creates belongs to ``config.agent_id``. Guids are stable names derived with
#   :func:`thing_guid` / :func:`point_guid`, so an agent restarted in another process (MQTT) keeps
#   its guids and followers keep following.
# * Handles: ``create_thing`` / ``create_point`` return opaque references (:class:`ThingRef`,
#   :class:`PointRef`; anything with ``lid``/``guid`` or ``pid``/``kind``/``guid``) that the API
#   layer hands back on later calls. An MQTT transport can keep prebuilt topic names in them;
#   the share path then does no lookups.
# * Deliveries: the API layer owns one :class:`Sink` per client (a dispatcher with a worker
#   thread). The transport gives incoming data to ``sink.push(token, item)``, where *token* is the
#   object the API layer passed to ``follow``/``attach``/``create_point`` and *item* is a
#   :data:`Sample` for feed data or a :class:`ControlRequest`. ``push`` never blocks and never runs
#   user code, so it is safe on a network thread (paho's loop) or on a sharer's thread. User
#   callbacks run only on the sink's worker, never on the transport's threads, never under a lock.
# * A transport never calls user code. Data that needs bookkeeping around its delivery (MQTT:
#   decode, drop duplicates, record in the ledger, acknowledge to the broker) goes to
#   ``sink.receive(receiver, item)``: the worker asks ``receiver.accept(item)`` (transport code)
#   what to deliver to which tokens, runs those callbacks itself (one that raises is logged, the
#   others still run), then calls ``receiver.settle(item, note, outcome)`` with an
#   :class:`Outcome`, whatever the callbacks did: raised, took minutes, or the client was stopped
#   meanwhile. So acknowledgement and dedup bookkeeping never depend on user code.
# * Subscriptions are kept in the space, per thing: a follow or attach outlives the client and the
#   process that made it, until ``unsubscribe`` (or the thing's or point's deletion). A client that
#   starts later (another process, or another ``Client`` of the agent) sees them in
#   ``list_connections`` and in ``unbound()``; their values are held for them (in order, up to a
#   limit that is logged when reached) until a token is bound: by ``subscribe`` of the same thing
#   and target (a restore script's follow again) or by ``bind`` (the API layer binds one that
#   hands values to the catch-all). The point's owner sees its followers (``followers``), and a
#   client that ``watch``-es gets :class:`Subscribed` and :class:`FollowerCount` events.
# * Requests that need an answer (``tell``, ``search``, ``describe``, ``recent``) are synchronous
#   calls on the transport: the MQTT transport does request/response with a correlation id and
#   raises :class:`~iotic_app.exceptions.IOTSyncTimeout` when no answer comes in its sync timeout,
#   and :class:`~iotic_app.exceptions.LinkException` while the link is down. ``tell`` itself maps a
#   missing confirmation to ``'timeout'`` (as the original did) instead of raising.
# * Errors: unknown thing/point -> ``IOTUnknown``; another agent's private point or a change to
#   another agent's thing -> ``IOTAccessDenied``; link down -> ``LinkException``. Argument checking
#   is done by the API layer before the transport is called.
# * Lifecycle: ``start(sink)`` connects (raises ``LinkException`` if it cannot), ``stop()``
#   disconnects; a stopped transport can be started again and must keep the agent's follows and
#   controls (persistent session): data shared to a stopped follower is delivered after the next
#   ``start``. Local: the space keeps pushing into the stopped client's sink, which holds up to
#   ``queue_limit`` items (then drops the oldest, with a warning). MQTT: the broker queues them
#   in the QoS 1 persistent session. ``Sink.push`` must therefore accept items while stopped.
#   ``close()`` stops and releases everything the transport holds (files, threads, sockets); a
#   later ``start`` opens them again. ``stop()`` and ``close()`` are idempotent, safe from any
#   thread and never join the thread they are called from; they return promptly also while the
#   transport is reconnecting (every wait of a connection attempt ends when stop is asked).
# * Failure: a transport that fails for good (MQTT: another process took the agent's session
#   over) reports it once with ``sink.fail(exc)`` and then raises *exc*'s kind from every call;
#   ``fail`` never blocks and never runs user code (the client calls its failure listeners on a
#   thread of its own).

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, NamedTuple, Protocol, TypeAlias

# The value types live in _types; they are named here too, as everything that crosses the seam.
from iotic_app.transports._types import (
    CONTROL,
    FEED,
    MAX_PROPERTIES,
    MAX_PROPERTY_IRI,
    MAX_PROPERTY_TEXT,
    ControlRequest,
    FollowerCount,
    Meta,
    PointKind,
    Property,
    PropObject,
    Query,
    Sample,
    SearchScopeName,
    SearchTypeName,
    Subscribed,
    Target,
    TellResult,
    ValueSpec,
    copy_data,
    lid_taken,
    point_guid,
    property_key,
    thing_guid,
)

__all__ = [
    "CONTROL",
    "FEED",
    "MAX_PROPERTIES",
    "MAX_PROPERTY_IRI",
    "MAX_PROPERTY_TEXT",
    "ControlRequest",
    "Delivery",
    "FollowerCount",
    "Meta",
    "Outcome",
    "PointKind",
    "PointRef",
    "PropObject",
    "Property",
    "Query",
    "Receiver",
    "Sample",
    "SearchScopeName",
    "SearchTypeName",
    "Sink",
    "Subscribed",
    "Target",
    "TellResult",
    "ThingRef",
    "Transport",
    "ValueSpec",
    "copy_data",
    "lid_taken",
    "point_guid",
    "property_key",
    "thing_guid",
]


class ThingRef(Protocol):
    """A transport's handle on one of the agent's things."""

    @property
    def lid(self) -> str:
        """The thing's local id."""

    @property
    def guid(self) -> str:
        """The thing's guid."""


class PointRef(Protocol):
    """A transport's handle on a feed or control of one of the agent's things."""

    @property
    def pid(self) -> str:
        """The point's id."""

    @property
    def guid(self) -> str:
        """The point's guid."""

    @property
    def kind(self) -> PointKind:
        """``'Feed'`` or ``'Control'``."""


class Delivery(Protocol):
    """What the API layer gives the transport as a token: the sink calls ``_deliver``.

    The name keeps its underscore on purpose: the tokens are the user's own objects (``Control``,
    ``RemoteFeed``, ...), and ``_deliver`` is for the sink's worker, not for the user to call.
    """

    def _deliver(self, item: Any) -> None:
        """Hand *item* to user code; runs on the sink's worker thread."""


class Outcome(NamedTuple):
    """What the sink's worker did with an item a :class:`Receiver` accepted.

    Attributes:
        ran: Callbacks that returned.
        raised: Callbacks that raised (each logged).
    """

    ran: int
    raised: int


Accepted: TypeAlias = tuple[Sequence[Delivery], Any, Any]
"""What ``Receiver.accept`` returns: the tokens, the data to hand each, and a note for
``settle``."""


class Receiver(Protocol):
    """A transport's handle on incoming data that needs bookkeeping around its delivery.

    Runs on the sink's worker, one item at a time, in arrival order; never calls user code.
    """

    def accept(self, item: Any) -> Accepted | None:
        """Decode *item* and decide: ``(tokens, data, note)`` to deliver *data* to each token,
        or None when there is nothing to deliver (a duplicate, a payload that is not valid)."""

    def settle(self, item: Any, note: Any, outcome: Outcome) -> None:
        """Do the bookkeeping of *item* after its callbacks ran, whatever they did (*note* is
        what ``accept`` returned with the data, None when it returned None)."""


class Sink(Protocol):
    """Where a transport puts incoming data: the client's dispatcher."""

    def push(self, token: Delivery, item: Any) -> None:
        """Queue *item* for *token*; never blocks, never runs user code.

        A transport that pushes often (the local space, once per follower and share) may take
        the bound method once, when the follow is made, and call that.
        """

    @property
    def running(self) -> bool:
        """Whether the sink's worker is delivering (a request that waits for an answer, such
        as a ``tell``, cannot get one from a client whose worker is stopped)."""

    def fail(self, exc: BaseException) -> None:
        """The transport failed for good with *exc* (e.g. ``SessionTakenOver``); never blocks,
        never runs user code. Called at most once per failure, from any thread."""

    def receive(self, receiver: Receiver, item: Any) -> None:
        """Queue *item* for *receiver*, from a network thread (the client's dispatcher lets the
        worker it woke run at once): the worker accepts it, delivers it and settles it (see
        :class:`Receiver`); never runs user code here."""


class Transport(Protocol):
    """What a transport implements; see the module's design note.

    Every method but ``start``, ``stop``, ``close`` and ``is_connected`` may raise
    ``LinkException`` when the link is down.
    """

    agent_id: str

    def start(self, sink: Sink) -> None:
        """Connect and (re)start delivering to *sink*; raise ``LinkException`` on failure."""

    def stop(self) -> None:
        """Disconnect; keep follows and controls for the next ``start``. Idempotent, prompt,
        safe from any thread."""

    def close(self) -> None:
        """Stop, then release every file, thread and socket; a later ``start`` reopens them.
        Idempotent, prompt, safe from any thread."""

    def is_connected(self) -> bool:
        """Whether the link is up."""

    def outbox_depth(self) -> int | None:
        """Shares not yet acknowledged by the space, or None where the transport has no outbox."""

    def values_missed(self) -> int:
        """Values for this agent's follows that the space never delivered (gaps it could see)."""

    def batch(self) -> AbstractContextManager[None]:
        """A block whose metadata changes (this thread's) reach the space at its end, with as
        few round trips as the transport can manage; see ``Client.batch``."""

    def create_thing(self, lid: str) -> ThingRef:
        """Create the agent's thing *lid*, or return the existing one."""

    def get_thing(self, lid: str) -> ThingRef:
        """Return the agent's thing *lid*; ``IOTUnknown`` if there is none."""

    def delete_thing(self, thing: ThingRef) -> None:
        """Delete the thing, its points and its follows/attaches."""

    def list_things(self, *, all_agents: bool = False) -> list[str]:
        """Return the lids of the agent's things, in creation order; with *all_agents*, of the
        things of every agent of its owner (lids are unique per owner)."""

    def create_point(
        self, thing: ThingRef, kind: PointKind, pid: str, save_recent: int, token: Delivery | None
    ) -> PointRef:
        """Create (or return) a feed or control; a control's requests go to *token*.

        For an existing point, a *save_recent* > 0 updates how many samples are kept, and a
        *token* replaces the control's request handler.
        """

    def get_point(self, thing: ThingRef, kind: PointKind, pid: str) -> PointRef:
        """Return an existing feed or control; ``IOTUnknown`` if there is none."""

    def delete_point(self, point: PointRef) -> None:
        """Delete a feed or control and its followers' subscriptions."""

    def read_meta(self, ref: ThingRef | PointRef) -> Meta:
        """Return the current metadata of a thing or point."""

    def write_meta(
        self,
        ref: ThingRef | PointRef,
        labels: Mapping[str, str],
        descriptions: Mapping[str, str],
        location: tuple[float, float] | None,
    ) -> None:
        """Replace the labels, descriptions and (things only) location."""

    def change_tags(
        self, ref: ThingRef | PointRef, add: Sequence[str], remove: Sequence[str]
    ) -> None:
        """Add and remove tags."""

    def set_public(self, thing: ThingRef, public: bool) -> None:
        """Make a thing public (found by search, followed by others) or private."""

    def add_value(self, point: PointRef, spec: ValueSpec) -> None:
        """Declare a value on a point (replacing one with the same label)."""

    def remove_value(self, point: PointRef, label: str | None) -> None:
        """Remove the value *label* a point declares (None: all of them; none such: nothing)."""

    def values(self, guid: str) -> tuple[ValueSpec, ...]:
        """Return the values the point *guid* declares (own or visible remote point)."""

    def share(self, point: PointRef, data: Any, mime: str | None, time: datetime) -> None:
        """Share one sample on a feed: to its followers, and to its last/recent store.

        *data* is already a private copy (or immutable) and checked by the API layer.
        """

    def subscribe(
        self,
        thing: ThingRef,
        kind: PointKind,
        target: Target,
        token: Delivery,
        group: str | None = None,
    ) -> tuple[str, str]:
        """Follow a feed or attach to a control on behalf of *thing*.

        Feed samples go to ``sink.push(token, sample)`` from the moment this returns. Doing it
        again for the same thing and target replaces the token; the follow keeps its group
        (*group* None or the same; another raises ``ValueError``: unfollow first). For a
        follow the space kept from an earlier client, the values held for it reach *token*
        first, in order. Followers of a feed with the same *group*
        share its samples: each sample reaches one of them. A new follow or attach (not one
        the space had) is reported to the watcher as :class:`Subscribed`.

        Returns:
            ``(subscription id, target point guid)``.
        """

    def unsubscribe(self, thing: ThingRef, sub_id: str) -> None:
        """Remove a follow or attach; nothing more reaches its token. Unknown ids: IOTUnknown."""

    def list_connections(self, thing: ThingRef) -> dict[str, dict[str, str]]:
        """Return ``{sub_id: {'type': 'Feed'|'Control', 'guid': target guid}}``: every follow and
        attach the space keeps for *thing*, also those an earlier client or process made."""

    def unbound(self) -> list[tuple[ThingRef, str, PointKind, str]]:
        """Return the follows and attaches the space keeps for the agent's things that no token
        of this transport holds (made by an earlier client or process), as ``(thing, sub_id,
        kind, target guid)``; their feed values are held for them (see ``bind``)."""

    def bind(self, thing: ThingRef, sub_id: str, token: Delivery) -> None:
        """Deliver the kept follow *sub_id*'s values to *token* from now on, the values held for
        it first, in order; for an attach, only remember *token*. Unknown ids: IOTUnknown."""

    def followers(self, point: PointRef) -> dict[str, str]:
        """Return ``{sub_id: follower thing guid}``: the things that follow (a feed) or are
        attached to (a control) one of the agent's points, whoever's they are."""

    def watch(self, token: Delivery | None) -> None:
        """Send the agent's subscription events to ``sink.push(token, event)`` (None: send
        none): :class:`Subscribed` when one of its things makes a new follow or attach,
        :class:`FollowerCount` when the number of things following or attached to one of its
        points changes (whoever's things they are). Events come while started, in order."""

    def recent(self, guid: str, count: int) -> list[Sample]:
        """Return up to *count* of the latest samples of feed *guid*, oldest first."""

    def ask(self, guid: str, sub_id: str, data: Any, mime: str | None) -> None:
        """Send a request to control *guid*, expecting no answer."""

    def tell(
        self, guid: str, sub_id: str, data: Any, mime: str | None, timeout: float
    ) -> TellResult:
        """Send a request to control *guid* and wait up to *timeout* s for its confirmation."""

    def confirm_tell(self, request_id: str, success: bool) -> None:
        """Answer a tell this agent received (unknown or expired ids are ignored)."""

    def search(self, query: Query) -> Any:
        """Search the things *query* names; see ``Client.search`` and its variants for the
        result's shapes."""

    def read_properties(self, thing: ThingRef) -> tuple[Property, ...]:
        """Return the semantic properties of one of the agent's things."""

    def update_properties(
        self, thing: ThingRef, update: Callable[[tuple[Property, ...]], tuple[Property, ...]]
    ) -> None:
        """Replace a thing's properties with ``update(current)`` (atomic; *update* is the
        client's own pure function, never user code); kept where other agents see them."""

    def describe(self, guid: str) -> dict[str, Any] | None:
        """Describe a thing or point visible to this agent, or return None."""
