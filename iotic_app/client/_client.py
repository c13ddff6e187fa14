"""Client: the agent's connection to a space, and the entry point of the client API."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from types import TracebackType
from typing import Any

from iotic_app._config import AgentConfig, ConfigLike
from iotic_app.client import _lookup
from iotic_app.client._check import check_callback, check_flag, check_id, check_page
from iotic_app.client._dispatch import DEFAULT_QUEUE_LIMIT
from iotic_app.client._lifecycle import FailureListener, Lifecycle
from iotic_app.client._remotes import RemoteControl, RemoteFeed, simulate_feeddata
from iotic_app.client._searching import Searching
from iotic_app.client._session import Callback, Session
from iotic_app.client._subscriptions import Watcher, bind_kept_to_catchall
from iotic_app.client._thing import Thing
from iotic_app.transports._protocol import Delivery, Transport
from iotic_app.transports._types import thing_guid

__all__ = ["Client"]

# scheme -> "module:class" of its transport, imported only when a client of that scheme is made
# (so the MQTT library is not imported for local:// clients). Issue 4 adds "mqtt" and "mqtts".
TRANSPORTS: dict[str, str] = {
    "local": "iotic_app.transports.local:LocalTransport",
    "mqtt": "iotic_app.transports.mqtt:MqttTransport",
    "mqtts": "iotic_app.transports.mqtt:MqttTransport",
}


def _make_transport(config: AgentConfig) -> Transport:
    spec = TRANSPORTS.get(config.scheme)
    if spec is None:
        raise ValueError(f"config {config.url!r}: no transport for scheme {config.scheme!r}")
    module_name, _, class_name = spec.partition(":")
    factory = getattr(importlib.import_module(module_name), class_name)
    transport: Transport = factory(config)
    return transport


class Client(Searching):
    """An agent's connection to a space: things, feeds, controls, follows and search.

    ``Client(config)`` parses *config* at once (errors surface here) and connects on
    :meth:`start`. ``start()`` and ``stop()`` are idempotent, and a stopped client can be
    started again: its things, follows and controls keep working, and data shared to its follows
    while it was stopped is delivered after the restart (on ``local://`` up to ``queue_limit``
    items, default 100,000; beyond that the oldest are dropped with a warning in the log). While
    stopped, no callbacks run and every call that uses the space raises ``LinkException``.

    Callbacks (follows, controls, catchalls) run on the client's own worker thread, one at a
    time, in arrival order; one that raises is logged and delivery goes on.

    :meth:`close` stops the client and releases its files, threads and sockets (``with
    Client(...)`` closes it at the end); a closed client can be started again. ``stop()`` and
    ``close()`` are safe from any thread, a callback included.

    When the client fails for good (on MQTT: another process took the agent's session over),
    every call raises the failure (``SessionTakenOver``), :attr:`failure` holds it and the
    listeners given to :meth:`add_failure_listener` are called.

    Example::

        with Client("local://demo?agent=sensor") as client:
            thing = client.create_thing("boiler")
            thing.create_feed("temp").share({"celsius": 61.5})

    Args:
        config: None (``<script>.ini`` in the working directory, else ``$IOTIC_APP_CONFIG``,
            else ``local://``; see ``AgentConfig.parse``), a URL such as
            ``local://NAME?agent=AGENT``, a path to an .ini file with an ``[agent]`` section, or
            an ``AgentConfig``. Its ``lang`` (``?lang=de``) is the language of labels,
            descriptions and values given without one.

    Raises:
        TypeError, ValueError, FileNotFoundError: *config* is not valid.
        OSError: the .ini file cannot be read.
    """

    def __init__(self, config: ConfigLike = None) -> None:
        """Parse *config*; nothing connects until :meth:`start`."""
        self.config = AgentConfig.parse(config)
        self._transport = _make_transport(self.config)
        limit = (
            self.config.option_int("queue_limit", DEFAULT_QUEUE_LIMIT)
            if "queue_limit" in self.config.options
            else DEFAULT_QUEUE_LIMIT
        )
        # what the model objects use; its `live` is the started transport, None while stopped
        self._session = Session(self.config.agent_id, self.config.lang, self.config.owner)
        self._life = Lifecycle(self._transport, self._session, limit)
        self._session.push = self._life.dispatcher.push
        self._watcher = Watcher(self._session)  # given to the transport while a callback wants it

    # --- lifecycle --------------------------------------------------------------------------

    @property
    def agent_id(self) -> str:
        """The agent's name: owner of its things (from ``?agent=`` or the script's name)."""
        return self.config.agent_id

    def start(self) -> None:
        """Connect and start delivering callbacks (idempotent; also after :meth:`close`).

        Raises:
            LinkException: the space cannot be reached.
            SessionTakenOver: the client failed for good earlier (see :attr:`failure`).
        """
        self._life.start()
        bind_kept_to_catchall(self._session)

    def stop(self) -> None:
        """Disconnect and stop callbacks (idempotent; safe from any thread, a callback included).

        When it returns, no callback is running (unless it was called from one) and none will
        run until the next :meth:`start`. Called from a callback while another thread starts or
        stops the client, it asks that thread to stop the client and returns at once (waiting
        would deadlock: a stop waits for the running callback).
        """
        self._life.ask("stop")

    def close(self) -> None:
        """Stop, then release everything the client holds: its outbox files, threads and
        sockets (idempotent; safe from any thread, a callback included).

        Things, follows and controls stay: a later :meth:`start` opens what is needed again, so
        a runner may run the same client again.
        """
        self._life.ask("close")

    @property
    def failure(self) -> BaseException | None:
        """What made the client fail for good (e.g. ``SessionTakenOver``), or None."""
        return self._life.failure

    def add_failure_listener(self, listener: FailureListener) -> None:
        """Call *listener* with the exception once the client fails for good.

        The client calls each listener once, in the order added, on a thread of its own (not
        the worker that runs callbacks, so a busy callback does not delay it); a listener that
        raises is logged and the others still run. A listener added after the failure is
        called at once, on the calling thread (as ``concurrent.futures.Future`` does).

        Args:
            listener: Called with the exception, e.g. ``SessionTakenOver``.

        Raises:
            TypeError: *listener* is not callable.
        """
        if not callable(listener):
            raise TypeError(f"listener must be callable, got {listener!r}")
        self._life.add_failure_listener(listener)

    def in_callback(self) -> bool:
        """Whether the calling thread is this client's callback worker (a callback is running).

        ``ThingRunner.stop()`` asks it, so that a callback that stops the run does not wait
        for the run, which waits for the callback to return.
        """
        return self._life.dispatcher.in_worker()

    @property
    def outbox_depth(self) -> int | None:
        """Shares waiting in the outbox for the broker, or None where the transport has none.

        The embedded space delivers at once and has no outbox; on MQTT this counts the shares
        not yet acknowledged by the broker (also while the link is down).
        """
        return self._transport.outbox_depth()

    @property
    def values_missed(self) -> int:
        """Feed values (and requests) for this client's follows that never reached them.

        On MQTT: values the broker dropped (a stock Mosquitto keeps at most 1,000 for a follower
        that is offline or falls behind), counted from gaps in each feed's value numbers. On
        both transports: items dropped while the client was stopped (``queue_limit``). Each
        loss is also logged as a warning.
        """
        return self._life.dispatcher.dropped_total + self._transport.values_missed()

    def is_connected(self) -> bool:
        """Whether the client is started and its link is up.

        Returns:
            True when connected.
        """
        transport = self._session.live
        return transport is not None and transport.is_connected()

    def __enter__(self) -> Client:
        """Start the client."""
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the client (see :meth:`close`)."""
        self.close()

    def __repr__(self) -> str:
        """Show the URL and whether the client is started."""
        state = "started" if self._session.live is not None else "stopped"
        return f"Client({self.config.url!r}, {state})"

    # --- things -----------------------------------------------------------------------------

    def batch(self) -> AbstractContextManager[None]:
        """Gather this thread's metadata changes in a ``with`` block; the space gets each
        changed thing's document once, at the end of the block.

        On MQTT every call that changes metadata (``create_thing``, a ``get_meta()`` block,
        ``create_tag``, ``set_public``, ``create_feed``, ...) otherwise waits for the broker
        once; in a batch the documents go out back to back at the end and the broker's answers
        are awaited together, so provisioning many things costs a few round trips. Inside the
        block this agent's own objects show the changes at once; other agents (and this
        agent's ``describe`` and ``search``) see them when the block ends. The end publishes
        even when the block raised, then that exception propagates. Nested blocks publish with
        the outermost. On ``local://`` changes apply at once, in or out of a batch.

        Example::

            with client.batch():
                for n in range(1000):
                    thing = client.create_thing(f"sensor{n}")
                    thing.create_tag(["sensor"])
                    thing.create_feed("temp")
                    thing.set_public(True)

        Raises:
            LinkException: the client is stopped (on entering), or the link went down.
            IOTAccessDenied: at the end, the broker refused a document (the first refusal
                is raised, any others logged).
            IOTUnknown: at the end, another agent of the owner had made a thing of the same
                lid meanwhile (this agent's is withdrawn, as ``create_thing`` does).
        """
        return self._session.link().batch()

    def create_thing(self, lid: str) -> Thing:
        """Create a thing owned by this agent, or return the existing one with that lid.

        Args:
            lid: The thing's local id (1-64 printable characters).

        Returns:
            The thing (private until ``set_public()``).

        Raises:
            LinkException: the client is stopped.
            TypeError, ValueError: *lid* is not valid.
        """
        check_id("lid", lid)
        return Thing._construct(self._session, self._session.link().create_thing(lid))

    def get_thing(self, lid: str) -> Thing:
        """Return the agent's existing thing *lid*.

        Args:
            lid: The thing's local id.

        Returns:
            The thing.

        Raises:
            LinkException: the client is stopped.
            IOTUnknown: the agent has no such thing.
        """
        check_id("lid", lid)
        return Thing._construct(self._session, self._session.link().get_thing(lid))

    def delete_thing(self, lid: str) -> None:
        """Delete the agent's thing *lid* with its points, follows and attaches.

        Args:
            lid: The thing's local id.

        Raises:
            LinkException: the client is stopped.
            IOTUnknown: the agent has no such thing.
        """
        check_id("lid", lid)
        transport = self._session.link()
        transport.delete_thing(transport.get_thing(lid))

    def list(
        self, limit: int = 500, offset: int = 0, *, all_agents: bool = False
    ) -> dict[str, dict[str, Any]]:
        """List the agent's things, in creation order.

        Args:
            limit: At most this many.
            offset: Skip this many first.
            all_agents: List the things of every agent of the agent's owner (its own first),
                each with its ``'agent'`` (lids are unique per owner).

        Returns:
            ``{lid: {'guid': ..., 'public': bool}}``; with *all_agents*, ``{lid: {'guid',
            'public', 'agent'}}``.

        Raises:
            LinkException: the client is stopped.
            TypeError, ValueError: *limit*, *offset* or *all_agents* is not valid.
        """
        check_page(limit, offset)
        check_flag("all_agents", all_agents)
        transport = self._session.link()
        result: dict[str, dict[str, Any]] = {}
        if all_agents:
            for lid in transport.list_things(all_agents=True)[offset : offset + limit]:
                described = transport.describe(thing_guid(self._session.owner, lid))
                if described is not None:  # deleted meanwhile
                    entry = {"guid": described["guid"], "public": described["public"]}
                    result[lid] = {**entry, "agent": described["agent"]}
            return result
        for lid in transport.list_things()[offset : offset + limit]:
            ref = transport.get_thing(lid)
            result[lid] = {"guid": ref.guid, "public": transport.read_meta(ref).public}
        return result

    # --- describe -----------------------------------------------------------------------------

    def describe(self, guid_or_resource: object) -> dict[str, Any] | None:
        """Describe a thing or point: the agent's own, or a public one.

        Args:
            guid_or_resource: A guid, or a Thing, Feed, Control, RemoteFeed or RemoteControl.

        Returns:
            For a thing ``{'type': 'Thing', 'guid', 'lid', 'agent', 'public', 'label',
            'labels', 'description', 'descriptions', 'location', 'tags', 'points'}``; for a
            point ``{'type': 'Feed' or 'Control', 'guid', 'pid', 'thing', 'label', 'labels',
            'description', 'descriptions', 'tags', 'values', 'recent'}``; None when the guid is
            unknown or not visible to this agent.

        Raises:
            LinkException: the client is stopped.
            IOTSyncTimeout: the space did not answer in time (remote transports).
            TypeError, ValueError: *guid_or_resource* is not a guid or resource.
        """
        return _lookup.describe(self._session, guid_or_resource)

    # --- tells and catchalls ----------------------------------------------------------------

    def confirm_tell(self, args: Mapping[str, Any], success: bool) -> None:
        """Confirm a tell received by a control callback: the teller's ``tell`` returns.

        Args:
            args: The request dict the callback got.
            success: True: the teller gets True; False: it gets ``'failed'``.

        Raises:
            LinkException: the client is stopped.
            TypeError, ValueError: *args* is not a request dict or *success* not a bool.
        """
        if not isinstance(args, Mapping):
            raise TypeError(
                f"args must be the request dict given to a control callback, got {args!r}"
            )
        if not isinstance(args.get("requestId"), str):
            raise ValueError(
                "args must be the request dict given to a control callback (with its "
                f"'requestId'), got {args!r}"
            )
        if not isinstance(success, bool):
            raise TypeError(f"success must be a bool, got {success!r}")
        transport = self._session.link()
        if not args.get("confirm", False):
            raise ValueError(
                f"args is an ask (confirm is False), which takes no confirmation: {args!r}"
            )
        transport.confirm_tell(args["requestId"], success)

    def _push(self, token: Delivery, item: Any) -> None:
        """Queue *item* for *token* on the client's worker, after what is queued already (the
        classic layer's notifications use it)."""
        self._life.dispatcher.push(token, item)

    def simulate_feeddata(
        self, feed_guid: str, data: Any, mime: str | None = None, time: datetime | None = None
    ) -> None:
        """Deliver *data* as if feed *feed_guid* had shared it, to the callbacks of this
        client's follows of it (none: to the catch-all); nothing is sent. Queued on the
        client's worker, after what has arrived so far (see ``RemoteFeed.simulate``).

        Raises:
            TypeError, ValueError: an argument is not valid.
        """
        simulate_feeddata(self._session, feed_guid, data, mime, time)

    def register_catchall_feeddata(
        self, callback: Callback | None, callback_parsed: Callback | None = None
    ) -> None:
        """Receive data of this client's follows that have no callback of their own.

        These include the follows the space keeps for the agent's things that this client has
        not followed again (made by an earlier client or process): from the moment both a
        catch-all is registered and the client is started, their values go to it, those
        held for them first. Allowed while stopped (it only sets up this client). None removes
        it.

        Args:
            callback: Called with ``{'data', 'mime', 'pid', 'time'}``.
            callback_parsed: Called with the same plus ``'parsed'``, when the data parses.

        Raises:
            TypeError: a callback is not callable.
        """
        self._session.catchall_feed = check_callback("callback", callback)
        self._session.catchall_feed_parsed = check_callback("callback_parsed", callback_parsed)
        bind_kept_to_catchall(self._session)

    def register_catchall_controlreq(
        self, callback: Callback | None, callback_parsed: Callback | None = None
    ) -> None:
        """Receive requests for this client's controls that have no callback of their own.

        Allowed while stopped (it only sets up this client). None removes it.

        Args:
            callback: Called with the request dict.
            callback_parsed: Called with the request dict plus ``'parsed'``.

        Raises:
            TypeError: a callback is not callable.
        """
        self._session.catchall_control = check_callback("callback", callback)
        self._session.catchall_control_parsed = check_callback("callback_parsed", callback_parsed)

    # --- subscription events ----------------------------------------------------------------

    def register_callback_subscribed(
        self, callback: Callable[[RemoteFeed | RemoteControl], Any] | None
    ) -> None:
        """Be told when one of the agent's things makes a new follow or attach.

        *callback* gets the RemoteFeed or RemoteControl, on the client's worker (a follow again
        of one the space keeps is not new). Allowed while stopped. None removes it.

        Args:
            callback: Called with the new follow or attach.

        Raises:
            TypeError: *callback* is not callable.
        """
        self._session.subscribed = check_callback("callback", callback)
        self._watch()

    def register_callback_subscription(self, callback: Callback | None) -> None:
        """Be told when the number of things following (or attached to) one of the agent's
        points changes, whoever's things they are.

        *callback* gets ``{'type': 'Feed'|'Control', 'entityLid': thing lid, 'lid': pid,
        'subCount': count}`` on the client's worker. Allowed while stopped. None removes it.

        Args:
            callback: Called with each change.

        Raises:
            TypeError: *callback* is not callable.
        """
        self._session.subscription = check_callback("callback", callback)
        self._watch()

    def _watch(self) -> None:
        """Have the transport send subscription events while a callback wants them."""
        session = self._session
        wanted = session.subscribed is not None or session.subscription is not None
        self._transport.watch(self._watcher if wanted else None)
