"""The MQTT transport: the ``Transport`` protocol on its parts, and their lifecycle."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from iotic_app._config import AgentConfig
from iotic_app.transports._protocol import (
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
from iotic_app.transports.mqtt._catalogue import Catalogue
from iotic_app.transports.mqtt._conn import Conn, release_client_id, take_client_id
from iotic_app.transports.mqtt._delivery import Deliverer
from iotic_app.transports.mqtt._directory import Directory
from iotic_app.transports.mqtt._follows import Follows
from iotic_app.transports.mqtt._kept import Followers, Kept
from iotic_app.transports.mqtt._link import Link
from iotic_app.transports.mqtt._names import Names
from iotic_app.transports.mqtt._outbox import Outbox, OutboxInUse
from iotic_app.transports.mqtt._recent import Recent
from iotic_app.transports.mqtt._requests import Requests
from iotic_app.transports.mqtt._router import Router
from iotic_app.transports.mqtt._sender import Sender
from iotic_app.transports.mqtt._session import Session
from iotic_app.transports.mqtt._settings import MqttSettings
from iotic_app.transports.mqtt._supervisor import Supervisor
from iotic_app.transports.mqtt._things import Things

__all__ = ["MqttSettings", "MqttTransport"]


class MqttTransport:
    """The MQTT transport; see the package's design note and docs/mqtt.md.

    It builds its parts, each of one concern, wires them to each other, and hands each call
    of the ``Transport`` protocol to the part it is for; start, stop and close are its own.
    """

    def __init__(self, config: AgentConfig) -> None:
        """Check *config*'s MQTT settings; nothing connects until :meth:`start`.

        Args:
            config: A parsed ``mqtt://`` or ``mqtts://`` config.

        Raises:
            ValueError: an option is not valid, or a file it names cannot be read.
        """
        self.agent_id = config.agent_id
        self._names = names = Names(config)
        self._stopping = stopping = threading.Event()
        lock = threading.RLock()  # the agent's own things, their follows, the routes
        self._session = session = Session(names, stopping)
        self._link = link = Link(names, session)
        self._sender = sender = Sender(self.agent_id, link, stopping, self._open_outbox)
        self._outbox_wait = 0.0  # for another process of the agent to let the outbox go
        self._directory = directory = Directory(names, link)  # search beyond the owner's things
        self._catalogue = catalogue = Catalogue(
            self.agent_id, names.root, link.sync, names.owner, link=link, directory=directory.search
        )
        self._deliverer = deliverer = Deliverer(names, lock, stopping, link, sender)
        kept = Kept(names, lock, catalogue)
        self._things = things = Things(names, lock, link, sender, catalogue, deliverer, kept)
        self._followers = followers = Followers(
            names, catalogue, things.own_point, catalogue.look_soon
        )
        self._follows = follows = Follows(
            names, lock, link, things, deliverer, catalogue, kept, followers
        )
        catalogue.on_doc = followers.doc_came
        catalogue.pinned = follows.pinned
        self._watch: Delivery | None = None  # the client's token for subscription events
        self._recent = recent = Recent(link, things, catalogue)
        self._requests = requests = Requests(names, link, things, catalogue)
        router = Router(names, deliverer, requests, session, catalogue, recent, kept, followers)
        router.directory = directory
        self._supervisor = Supervisor(
            names,
            stopping,
            link,
            session,
            sender,
            catalogue,
            things,
            deliverer,
            follows,
            router.on_message,
        )
        self._supervisor.directory = directory

    def __repr__(self) -> str:
        """Show where and as whom, never the password."""
        s = self.settings
        scheme = "mqtts" if s.tls else "mqtt"
        return f"MqttTransport({scheme}://{s.listed}, client_id={s.client_id!r})"

    # --- lifecycle ------------------------------------------------------------------------

    def _open_outbox(self) -> Outbox:
        s = self.settings
        return Outbox.for_agent(
            s.client_id, s.outbox, s.outbox_limit, s.replay_window, self._outbox_wait
        )

    def start(self, sink: Sink) -> None:
        """Connect, restore subscriptions, resend the outbox; raise ``LinkException`` on failure.

        Args:
            sink: Where incoming data goes (the client's dispatcher).

        Raises:
            LinkException: the broker cannot be reached within the connect timeout, or refused
                the agent (the message says why).
            SessionTakenOver: this client was taken over earlier; make a new Client.
        """
        self._session.check()
        s = self.settings
        supervisor = self._supervisor
        if supervisor.running:
            return
        cid = take_client_id(self.agent_id)
        try:
            if self._names.use_client_id(cid):
                s = self.settings
                self._close_outbox()
            self._deliverer.sink = self._requests.sink = supervisor.sink = sink
            self._followers.watcher = None if self._watch is None else (sink, self._watch)
            self._outbox_wait = 0.0
            # open it now: errors surface in start(); when another process of the agent has
            # it, the takeover makes that one let go, and the bring-up waits for that
            with contextlib.suppress(OutboxInUse):
                self._sender.open()
            self._outbox_wait = 2.0 * s.connect_timeout
            self._stopping.clear()
            supervisor.come_up()
        except BaseException:
            self._stopping.set()
            release_client_id(cid)
            raise
        supervisor.start_thread()
        self._sender.start()

    def stop(self) -> None:
        """Deliver what waits (while the link allows), publish "offline", disconnect, and stop
        the threads (idempotent, safe from any thread, prompt also while reconnecting). What
        the broker has not acknowledged stays in the outbox."""
        sender = self._sender
        supervisor = self._supervisor
        if not self._stopping.is_set() and supervisor.running:
            sender.drain(self.settings.connect_timeout)
        self._stopping.set()  # from here on, every wait of a connection attempt ends at once
        self._followers.watcher = None  # subscription events come while started
        supervisor.wake_attempts()
        sender.kick.set()
        self._deliverer.disarm_held()
        closed = supervisor.end_thread()
        sender.join(10)
        supervisor.close_rest(closed)
        sender.flush_acks()
        sender.write_logs()
        sender.close_outbox()  # another client of the agent may open it now
        release_client_id(self.settings.client_id)

    def close(self) -> None:
        """Stop, then close the outbox's files (idempotent); the next start opens them again.
        Values held for follows that nothing followed again are logged: they are dropped."""
        self.stop()
        self._follows.held_at_close()
        self._close_outbox()

    def _close_outbox(self) -> None:
        outbox, self._sender.opened = self._sender.opened, None
        if outbox is not None:
            outbox.close()

    def is_connected(self) -> bool:
        """Whether the link to the broker is up."""
        return self._link.is_connected()

    def values_missed(self) -> int:
        """Values of followed feeds the broker never delivered (gaps in their numbers)."""
        return self._deliverer.values_missed

    def outbox_depth(self) -> int:
        """Shares not yet acknowledged by the broker (0 before the outbox is opened)."""
        outbox = self._sender.opened
        return 0 if outbox is None else outbox.depth

    # --- internal: for tests and diagnostics ------------------------------------------------

    @property
    def settings(self) -> MqttSettings:
        """The MQTT settings (the client id is the one in use once started)."""
        return self._names.settings

    @property
    def session_topic(self) -> str:
        """The topic of this client's session claim (known once started)."""
        return self._names.session

    @property
    def reconnects(self) -> int:
        """How many reconnects brought the link back into service."""
        return self._supervisor.reconnects

    # private, of the parts' own types: for tests that act on the outbox or the connection
    @property
    def _outbox(self) -> Outbox:
        """The agent's outbox (opened on first use)."""
        return self._sender.outbox

    @property
    def _conn_in_service(self) -> Conn | None:
        """The connection in service, or None (tests act on its socket and engine)."""
        return self._link.conn

    def is_stopping(self) -> bool:
        """Whether stop() was asked (or the session was taken over) and not started since."""
        return self._stopping.is_set()

    @property
    def held_for(self) -> float:
        """How long values for a follow of an earlier run wait for this run's (seconds)."""
        return self._deliverer.held_for

    @held_for.setter
    def held_for(self, seconds: float) -> None:
        self._deliverer.held_for = seconds

    @property
    def values_released(self) -> int:
        """Values for follows of an earlier run that this run did not make in time: dropped."""
        return self._deliverer.values_released

    def held(self) -> dict[str, int]:
        """How many values are held per topic for follows of an earlier run."""
        return self._deliverer.held()

    # --- the Transport protocol, by the part each call is for -------------------------------

    def share(self, point: Any, data: Any, mime: str | None, time: datetime) -> None:
        """Share one sample: into the outbox (on disk when this returns), then to the broker.

        Never fails because the link is down: the value waits in the outbox.

        Raises:
            SessionTakenOver: another process took the agent's session over.
        """
        if self._session.taken_over:
            raise self._session.error()
        self._sender.share(point, data, mime, time)

    def batch(self) -> AbstractContextManager[None]:
        """Publish this thread's metadata changes in the block once per thing, at its end."""
        return self._things.batch()

    def create_thing(self, lid: str) -> ThingRef:
        """Create the agent's thing *lid* (its meta is retained on the broker), or return it."""
        return self._things.create_thing(lid)

    def get_thing(self, lid: str) -> ThingRef:
        """Return the agent's thing *lid*; ``IOTUnknown`` if there is none."""
        return self._things.get_thing(lid)

    def delete_thing(self, thing: Any) -> None:
        """Delete a thing: drop its follows and their records, clear its retained meta and
        last values."""
        self._follows.forget_thing(thing)
        self._things.delete_thing(thing)

    def list_things(self, *, all_agents: bool = False) -> list[str]:
        """Return the lids of the agent's things (*all_agents*: of its owner's agents' too)."""
        return self._things.list_things(all_agents=all_agents)

    def create_point(
        self, thing: Any, kind: PointKind, pid: str, save_recent: int, token: Delivery | None
    ) -> PointRef:
        """Create (or return) a feed or control; see ``Transport.create_point``."""
        point = self._things.create_point(thing, kind, pid, save_recent, token)
        self._followers.point_made(point.guid)  # followers records that waited for it
        return point

    def get_point(self, thing: Any, kind: PointKind, pid: str) -> PointRef:
        """Return an existing feed or control; ``IOTUnknown`` if there is none."""
        return self._things.get_point(thing, kind, pid)

    def delete_point(self, point: Any) -> None:
        """Delete a feed or control: its retained values go, its meta is updated."""
        self._things.delete_point(point)

    def read_meta(self, ref: Any) -> Meta:
        """Return the metadata of one of the agent's things or points."""
        return self._things.read_meta(ref)

    def write_meta(
        self,
        ref: Any,
        labels: Mapping[str, str],
        descriptions: Mapping[str, str],
        location: tuple[float, float] | None,
    ) -> None:
        """Replace labels, descriptions and (things) location; retained on the broker."""
        self._things.write_meta(ref, labels, descriptions, location)

    def change_tags(self, ref: Any, add: Sequence[str], remove: Sequence[str]) -> None:
        """Add and remove tags."""
        self._things.change_tags(ref, add, remove)

    def set_public(self, thing: Any, public: bool) -> None:
        """Make a thing public or private."""
        self._things.set_public(thing, public)

    def read_properties(self, thing: Any) -> tuple[Property, ...]:
        """Return the properties of one of the agent's things."""
        return self._things.read_properties(thing)

    def update_properties(
        self, thing: Any, update: Callable[[tuple[Property, ...]], tuple[Property, ...]]
    ) -> None:
        """Replace the thing's properties with ``update(current)``; retained on the broker."""
        self._things.update_properties(thing, update)

    def add_value(self, point: Any, spec: ValueSpec) -> None:
        """Declare (or replace) a value on a point."""
        self._things.add_value(point, spec)

    def remove_value(self, point: Any, label: str | None) -> None:
        """Remove a declared value (None: all) of a point."""
        self._things.remove_value(point, label)

    def values(self, guid: str) -> tuple[ValueSpec, ...]:
        """Return the values a point declares (own, or from the catalogue)."""
        return self._things.values(guid)

    def subscribe(
        self, thing: Any, kind: PointKind, target: Target, token: Delivery, group: str | None = None
    ) -> tuple[str, str]:
        """Follow a feed or attach to a control; see ``Follows.subscribe``."""
        return self._follows.subscribe(thing, kind, target, token, group)

    def unsubscribe(self, thing: Any, sub_id: str) -> None:
        """Remove a follow or attach."""
        self._follows.unsubscribe(thing, sub_id)

    def list_connections(self, thing: Any) -> dict[str, dict[str, str]]:
        """Return a thing's follows and attaches."""
        return self._follows.list_connections(thing)

    def unbound(self) -> list[tuple[ThingRef, str, PointKind, str]]:
        """Return the agent's kept follows and attaches that no token of this client holds."""
        return self._follows.unbound()

    def bind(self, thing: Any, sub_id: str, token: Delivery) -> None:
        """Deliver a kept follow's values (the held ones first) to *token*."""
        self._follows.bind(thing, sub_id, token)

    def followers(self, point: Any) -> dict[str, str]:
        """Return the things that follow or are attached to one of the agent's points."""
        return self._follows.followers(point)

    def watch(self, token: Delivery | None) -> None:
        """Send the agent's subscription events to *token* while started (None: none)."""
        self._watch = token
        sink = self._deliverer.sink
        if self._supervisor.running and sink is not None and not self._stopping.is_set():
            self._followers.watcher = None if token is None else (sink, token)

    def recent(self, guid: str, count: int) -> list[Sample]:
        """Return up to *count* latest samples of a feed (from the broker's retained copies)."""
        return self._recent.recent(guid, count)

    def ask(self, guid: str, sub_id: str, data: Any, mime: str | None) -> None:
        """Send a request to a control (QoS 1), expecting no answer."""
        self._requests.ask(guid, sub_id, data, mime)

    def tell(
        self, guid: str, sub_id: str, data: Any, mime: str | None, timeout: float
    ) -> TellResult:
        """Send a request and wait up to *timeout* s for the control's confirmation."""
        return self._requests.tell(guid, sub_id, data, mime, timeout)

    def confirm_tell(self, request_id: str, success: bool) -> None:
        """Answer a tell this agent received (unknown ids are ignored)."""
        self._requests.confirm_tell(request_id, success)

    def search(self, query: Query) -> Any:
        """Search: scope ``localOwn`` in the catalogue, any other through the directory."""
        return self._catalogue.search(query)

    def describe(self, guid: str) -> dict[str, Any] | None:
        """Describe a thing or point visible to this agent, or return None."""
        return self._catalogue.describe(guid)
