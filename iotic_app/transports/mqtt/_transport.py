"""The ``mqtt://`` / ``mqtts://`` transport: the client API on an MQTT broker, with paho-mqtt."""

# Design note (the user-facing version is docs/mqtt.md)
# -----------------------------------------------------
# Topics (``ROOT`` is ``iotic`` unless the ``root`` option says otherwise; lids and pids are
# percent-encoded so that '/', '+', '#' and '%' cannot break the layout):
#
#   ROOT/AGENT/LID/meta              retained JSON: the thing, its points and their values
#   ROOT/AGENT/LID/feed/PID          a feed's values (QoS 1, retained: the last value)
#   ROOT/AGENT/LID/feed/PID/recent   retained JSON list of the last save_recent values
#   ROOT/AGENT/LID/control/PID       requests to a control (QoS 1)
#   ROOT/AGENT/_status               retained "online" / "offline" (also the will)
#   ROOT/AGENT/_session/CLIENT_ID    retained claim: which process holds the agent's session
#   ROOT/_reply/CLIENT_ID            tell confirmations and this client's sync markers
#
# Every client keeps a catalogue of all things from the retained ``meta`` topics
# (``_catalogue.py``): search, describe, values and guid -> topic lookups are local reads.
#
# Shares go through the durable outbox and the sender thread (``_sender.py``): share()
# never fails because the link is down, and after a reconnect the outbox alone decides what is
# resent, in order.
# Payloads carry the sharer's outbox ``epoch`` and ``seq`` and the value's number ``n`` on its
# feed; a follower drops any value whose seq it has already delivered (in memory, and in its
# ledger: a log appended before each ack), so redeliveries never reach a callback twice, and
# counts the values a gap in ``n`` says it never got (``values_missed``).
#
# The transport never calls user code. A value goes from paho's thread to the client's worker
# as it came (``sink.receive``): there ``_accept_feed`` decodes and checks it and drops
# duplicates, the worker runs the follows' callbacks, and ``_settle_feed`` records the value in
# the ledger and acknowledges it (manual PUBACK) on the connection it came in on, whatever the
# callbacks did. So a follower killed mid-way gets the rest again from its session, and a
# callback that raises or is slow never leaves a value unacknowledged (the broker sends only so
# many unacknowledged values: Mosquitto 20). A value that came on a connection that has closed
# since is not acknowledged: the broker sends it again on the next, and that copy is.
#
# Connections: start() claims the session on a side connection, then connects as the agent
# (MQTT 5, clean start off, session expiry); a supervisor thread reconnects, waiting as
# ``RECONNECT`` (an ``iotic_app.retry.Backoff``) says, after reading the claim on a side
# connection (another process's claim: stop, and report ``SessionTakenOver`` to the sink). Every
# wait of an attempt (side connections' included) ends when stop() is asked, and the attempt
# closes what it made; stop() never joins the thread it runs on. close() also closes the outbox.

from __future__ import annotations

import binascii
import contextlib
import json
import logging
import os
import socket
import ssl
import threading
import time
import uuid
from collections import deque
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import attrs
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from iotic_app._config import AgentConfig
from iotic_app.exceptions import (
    IOTAccessDenied,
    IOTSyncTimeout,
    IOTUnknown,
    LinkException,
    SessionTakenOver,
)
from iotic_app.retry import Backoff
from iotic_app.transports._protocol import (
    CONTROL,
    FEED,
    Accepted,
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
from iotic_app.transports.mqtt._catalogue import Catalogue
from iotic_app.transports.mqtt._conn import (
    DENIED,
    SELECT_LIMIT,
    WINDOW,
    Claim,
    Conn,
    close_side,
    close_sockets_of,
    release_client_id,
    take_client_id,
    unselectable_fd,
)
from iotic_app.transports.mqtt._handles import Item, Point, Route, Sub, Thing
from iotic_app.transports.mqtt._outbox import Outbox, OutboxInUse
from iotic_app.transports.mqtt._sender import Sender
from iotic_app.transports.mqtt._settings import MqttSettings
from iotic_app.transports.mqtt._wire import (
    decode_sample,
    encode_sample,
    feed_stamp,
    from_json,
    parse_reply,
    parse_request,
    seg,
)

__all__ = ["MqttSettings", "MqttTransport"]

logger = logging.getLogger("iotic_app.mqtt")

SESSION_EXPIRY = 7 * 24 * 3600
# The waits before each reconnect: 25-50 ms first, doubling to at most 0.5 s, so a returning
# broker is used again within about half a second (the runner's retry policies, on the link).
RECONNECT = Backoff(initial=0.025, maximum=0.5, multiplier=2, jitter=0.025)
START_RETRY = attrs.evolve(RECONNECT, max_attempts=3)  # pushed off while starting: a few tries
SYNC_TIMEOUT = 10.0
#: How long values for a follow of an earlier run wait for this run to follow again (seconds).
HELD_FOR = 30.0
_HELD_LIMIT = 100_000
#: A value of the same sharer epoch is a duplicate when its seq is at most this far below the
#: last one delivered; further below, it starts the feed's sequence again (a forged or
#: out-of-range seq cannot silence a feed for longer than this many of the sharer's values).
DUPLICATE_WINDOW = 100_000
#: Control requests waiting for the agent's callbacks: at most this many, and this many bytes
#: (requests are acknowledged when they arrive, so the broker does not hold them back); past
#: either bound a request is refused (logged; a tell gets "failed"), so that no sender can make
#: the agent's memory grow without bound.
REQUESTS_WAITING = 1_000
REQUEST_BYTES_WAITING = 64 * 1024 * 1024


def _ledger_source(topic: str, epoch: str) -> str:
    """The ledger's name for one epoch of a feed (an epoch holds no ``@``)."""
    return f"{epoch}@{topic}"


class _Requests:
    """The receiver of the agent's control requests (``Receiver`` in the protocol): it
    counts what waits for the callbacks, so that ``_on_request`` can refuse past the bounds."""

    __slots__ = ("bytes", "count", "lock")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0
        self.bytes = 0

    def admit(self, size: int) -> bool:
        """Count a request of *size* bytes in, unless that would pass a bound (network thread)."""
        with self.lock:
            if self.count >= REQUESTS_WAITING or self.bytes + size > REQUEST_BYTES_WAITING:
                return False
            self.count += 1
            self.bytes += size
            return True

    def accept(self, item: tuple[Delivery, ControlRequest, int]) -> Accepted | None:
        token, request, size = item
        return (token,), request, size

    def settle(self, item: tuple[Delivery, ControlRequest, int], note: Any, outcome: Any) -> None:
        with self.lock:
            self.count -= 1
            self.bytes -= item[2]


class _Held:
    """Values of one topic that arrived for a follow this run has not made (acknowledged)."""

    __slots__ = ("items", "since")

    def __init__(self, since: float) -> None:
        self.since = since
        self.items: list[Item] = []


class MqttTransport:
    """The MQTT transport; see the module's design note and docs/mqtt.md."""

    def __init__(self, config: AgentConfig) -> None:
        """Check *config*'s MQTT settings; nothing connects until :meth:`start`.

        Args:
            config: A parsed ``mqtt://`` or ``mqtts://`` config.

        Raises:
            ValueError: an option is not valid, or a file it names cannot be read.
        """
        self.agent_id = config.agent_id
        self.settings = MqttSettings.from_config(config)
        self._root = self.settings.root
        self._levels = self._root.count("/")
        self._base = f"{self._root}/{seg(self.agent_id)}"
        self._reply_topic = ""
        self._status_topic = f"{self._base}/_status"
        self._session_topic = ""
        self._instance = uuid.uuid4().hex  # this process's claim on the agent's session
        # Claims count up: a takeover claims one more than the claim it found, so a claim
        # that a broker restarted from an older snapshot brings back is told apart as stale.
        self._generation = 0
        self._session_owner: Claim | None = None
        self._sink: Sink | None = None
        self._conn: Conn | None = None
        self._lock = threading.RLock()  # own things, subs, routes
        self._stopping = threading.Event()
        self._sender = Sender(self.agent_id, self, self._stopping, self._open_outbox)
        self._outbox_wait = 0.0  # for another process of the agent to let the outbox go
        self._link_thread: threading.Thread | None = None
        self._attempt: Conn | None = None  # the connection being made (stop() wakes it)
        self._side_waits: set[threading.Event] = set()  # side connections' waits (the same)
        self._status_lock = threading.Lock()  # "online" and "offline" go out in order
        self._taken_over = False
        self._last_connack: int | None = None
        self._failure: BaseException | None = None
        self._things: dict[str, Thing] = {}
        self._by_guid: dict[str, Point] = {}  # the agent's own points
        self._by_control_topic: dict[str, Point] = {}
        self._routes: dict[str, Route] = {}
        # the last value delivered, per feed and sharer epoch: (seq, n) (the worker)
        self._seen: dict[tuple[str, str], tuple[int, int | None]] = {}
        self._catalogue = Catalogue(self.agent_id, self._root, self._sync)
        self._waiters: dict[str, list[Any]] = {}  # request id -> [event, result]
        # the id of a received tell (ours) -> its reply topic and the requester's request id
        self._requests: dict[str, tuple[str | None, str | None]] = {}
        self._waiting = _Requests()  # control requests handed to the worker, not yet run
        self._syncs: dict[str, threading.Event] = {}
        # a get_recent() call's id -> (the feed's topic, the retained copies that came): one
        # entry per call, so that any number of threads may fetch the same feed at once
        self._fetches: dict[str, tuple[str, dict[str, bytes]]] = {}
        self._unrouted: dict[str, _Held] = {}  # values for follows of an earlier run
        self._unfollowed: set[str] = set()  # topics this run stopped following
        self._held_timer: threading.Timer | None = None
        self.held_for = HELD_FOR
        self.reconnects = 0
        self._values_missed = 0  # values of followed feeds the broker never delivered
        self.values_released = 0  # values for follows of an earlier run, dropped

    def __repr__(self) -> str:
        """Show where and as whom, never the password."""
        s = self.settings
        scheme = "mqtts" if s.tls else "mqtt"
        return f"MqttTransport({scheme}://{s.host}:{s.port}, client_id={s.client_id!r})"

    # --- lifecycle ------------------------------------------------------------------------

    @property
    def outbox(self) -> Outbox:
        """The agent's outbox (opened on first start)."""
        return self._sender.outbox

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
        if self._taken_over:
            raise self._taken_over_error()
        s = self.settings
        if self._link_thread is not None:
            return
        cid = take_client_id(s.host, s.port, self.agent_id)
        try:
            if cid != s.client_id:
                self.settings = s = attrs.evolve(s, client_id=cid)
                self._close_outbox()
            self._reply_topic = f"{self._root}/_reply/{seg(cid)}"
            self._session_topic = f"{self._base}/_session/{seg(cid)}"
            self._sink = sink
            self._outbox_wait = 0.0
            # open it now: errors surface in start(); when another process of the agent has
            # it, the takeover below makes that one let go, and _bring_up waits for that
            with contextlib.suppress(OutboxInUse):
                self._sender.open()
            self._outbox_wait = 2.0 * s.connect_timeout
            self._stopping.clear()
            self._claim_first()
            failures = 0
            while True:
                try:
                    self._connect(initial=True)
                    break
                except LinkException:
                    # pushed off while coming up (the process we take over reconnected
                    # before it saw our claim): try again soon, a few times
                    failures += 1
                    delay = START_RETRY.delay(failures, 0.0)
                    if self._last_connack != 0 or delay is None or self._stopping.wait(delay):
                        raise
        except BaseException:
            self._stopping.set()
            release_client_id(s.host, s.port, cid)
            raise
        self._link_thread = threading.Thread(
            target=self._supervise, name=f"iotic_app-mqtt-{self.agent_id}", daemon=True
        )
        self._link_thread.start()
        self._sender.start()

    def stop(self) -> None:
        """Deliver what waits (while the link allows), publish "offline", disconnect, and stop
        the threads (idempotent, safe from any thread, prompt also while reconnecting). What
        the broker has not acknowledged stays in the outbox."""
        sender = self._sender
        if not self._stopping.is_set() and self._link_thread is not None:
            sender.drain(self.settings.connect_timeout)
        self._stopping.set()  # from here on, every wait of a connection attempt ends at once
        self._wake_attempts()
        sender.kick.set()
        self._disarm_held()
        conn = self._conn
        if conn is not None:
            self._close_conn(conn, offline=True)
        link = self._link_thread
        if link is not None and link is not threading.current_thread():
            link.join(self.settings.connect_timeout + 1)  # a blocking TCP/TLS connect at most
        sender.join(10)
        self._link_thread = None
        for made in {self._conn, self._attempt} - {None, conn}:
            assert made is not None
            self._close_conn(made, offline=True)  # what the supervisor made meanwhile
        self._conn = None
        sender.flush_acks()
        sender.write_logs()
        sender.close_outbox()  # another client of the agent may open it now
        release_client_id(self.settings.host, self.settings.port, self.settings.client_id)

    def close(self) -> None:
        """Stop, then close the outbox's files (idempotent); the next start opens them again."""
        self.stop()
        self._close_outbox()

    def _close_outbox(self) -> None:
        outbox, self._sender.opened = self._sender.opened, None
        if outbox is not None:
            outbox.close()

    def _close_conn(self, conn: Conn, offline: bool) -> None:
        """Say "offline" (when *offline* and the connection is up), disconnect, stop its
        network thread and close its socket; wakes whatever waits on *conn*."""
        paho = conn.paho
        with conn.closing:
            if offline and conn.connack == 0 and paho.is_connected():
                try:
                    with self._status_lock:
                        info = paho.publish(self._status_topic, b"offline", qos=1, retain=True)
                    info.wait_for_publish(1.0)
                    self._sender.lost(conn)  # the PUBACKs that came in so far
                except (OSError, ValueError, RuntimeError):  # pragma: no cover - link just went
                    pass
            paho.disconnect()
            self._wake(conn)
            paho.loop_stop()
            sock = paho.socket()
            if isinstance(sock, socket.socket):
                sock.close()

    def _wake(self, conn: Conn) -> None:
        """Mark *conn* closed and wake every wait on it (syncs and tells fail at once)."""
        conn.closed.set()
        conn.answered.set()
        with conn.cond:
            conn.cond.notify_all()
        for event in list(self._syncs.values()):
            event.set()
        for waiter in list(self._waiters.values()):
            waiter[0].set()

    def _wake_attempts(self) -> None:
        """End the waits of a connection attempt in progress (stop() was asked)."""
        for event in list(self._side_waits):
            event.set()
        attempt = self._attempt
        if attempt is not None:
            self._wake(attempt)

    def is_connected(self) -> bool:
        """Whether the link to the broker is up."""
        conn = self._conn
        return conn is not None and conn.ready.is_set() and not conn.closed.is_set()

    def values_missed(self) -> int:
        """Values of followed feeds the broker never delivered (gaps in their numbers)."""
        return self._values_missed

    def outbox_depth(self) -> int:
        """Shares not yet acknowledged by the broker (0 before the outbox is opened)."""
        outbox = self._sender.opened
        return 0 if outbox is None else outbox.depth

    def _link(self) -> Conn:
        conn = self._conn
        if self._taken_over:
            raise self._taken_over_error()
        if conn is None or not conn.ready.is_set() or conn.closed.is_set():
            raise LinkException(
                f"agent {self.agent_id!r}: the link to the MQTT broker "
                f"{self.settings.host}:{self.settings.port} is down"
            )
        return conn

    def _new_paho(self, client_id: str | None = None) -> mqtt.Client:
        s = self.settings
        v5 = s.protocol == mqtt.MQTTv5
        paho = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or s.client_id,
            clean_session=None if v5 else False,
            protocol=MQTTProtocolVersion(s.protocol),
            reconnect_on_failure=False,
            manual_ack=True,
        )
        paho.connect_timeout = s.connect_timeout
        paho.max_inflight_messages_set(0)
        paho.max_queued_messages_set(0)
        if s.username is not None:
            paho.username_pw_set(s.username, s.password)
        if s.tls:
            paho.tls_set(
                ca_certs=s.ca_file,
                certfile=s.cert_file,
                keyfile=s.key_file,
                cert_reqs=ssl.CERT_REQUIRED,
            )
        if client_id is None:
            paho.will_set(self._status_topic, b"offline", qos=1, retain=True)
        paho.suppress_exceptions = True
        return paho

    def _claim_payload(self) -> bytes:
        claim = {"instance": self._instance, "generation": self._generation, "pid": os.getpid()}
        return json.dumps(claim).encode()

    def _is_taken_over_by(self, claim: Claim | None) -> bool:
        """Whether *claim* is another process's newer claim (an older one is stale)."""
        if claim is None or claim.instance == self._instance:
            return False
        return (claim.generation, claim.instance) > (self._generation, self._instance)

    def _peek_claim(self, claim: bool = False) -> Claim | None:
        """Read the session claim on a connection of its own (not as the agent, so reading it
        pushes nobody off); with *claim*, then claim the session there (one generation more).

        Returns:
            The claim the broker had; None when there is none or the broker cannot be reached.

        Raises:
            LinkException: with *claim*, the broker did not answer within the connect timeout
                (or stop() was asked meanwhile).
        """
        s = self.settings
        cid = f"{s.client_id}~{'claim' if claim else 'peek'}-{uuid.uuid4().hex[:8]}"
        marker_topic = f"{self._root}/_reply/{seg(cid)}"
        read = threading.Event()  # the claim there is was read (or the link dropped)
        claimed = threading.Event()  # our claim's PUBACK (or the link dropped)
        found: list[Claim] = []
        answers: list[int] = []

        def on_message(msg: mqtt.MQTTMessage) -> None:
            if msg.topic == self._session_topic and msg.payload and not read.is_set():
                current = Claim.parse(bytes(msg.payload))
                if current is not None:
                    found.append(current)
            elif msg.topic == marker_topic:
                read.set()

        def on_connect(c: mqtt.Client, code: ReasonCode) -> None:
            answers.append(code.value)
            if code.value:
                read.set()
                return
            c.subscribe([(self._session_topic, 0), (marker_topic, 0)])
            c.publish(marker_topic, b"peek", qos=0)

        def on_disconnect() -> None:
            read.set()
            claimed.set()

        paho = self._new_paho(cid)
        paho.on_connect = lambda c, u, f, rc, p: on_connect(c, rc)
        paho.on_message = lambda c, u, m: on_message(m)
        paho.on_publish = lambda c, u, mid, rc, p: claimed.set()
        paho.on_disconnect = lambda c, u, f, rc, p: on_disconnect()
        if not self._open_side(paho):
            return None  # with claim: _connect says what is wrong, with the whole message
        try:
            if not self._side_wait(read, s.connect_timeout) and claim:
                if self._stopping.is_set():
                    raise LinkException(f"agent {self.agent_id!r}: stopped while connecting")
                raise LinkException(
                    f"agent {self.agent_id!r}: no answer from the MQTT broker at "
                    f"{s.host}:{s.port} within {s.connect_timeout:g} s"
                )
            current = found[-1] if found else None
            if claim and answers == [0]:  # the broker answers: claim one more than there is
                self._generation = 1 if current is None else current.generation + 1
                claimed.clear()  # the marker's on_publish (QoS 0) came before it came back
                paho.publish(self._session_topic, self._claim_payload(), qos=1, retain=True)
                self._side_wait(claimed, s.connect_timeout)
        finally:
            close_side(paho)
        return current

    def _open_side(self, paho: mqtt.Client) -> bool:
        """Connect a short-lived side connection (a clean session) and start its loop.

        Returns:
            False when the broker cannot be reached (the agent's own connection says why).
        """
        s = self.settings
        try:
            if s.protocol == mqtt.MQTTv5:
                paho.connect(s.host, s.port, s.keepalive, clean_start=True)
            else:
                paho.connect(s.host, s.port, s.keepalive)
        except (OSError, ssl.SSLError) as exc:
            close_sockets_of(exc)
            return False
        paho.loop_start()
        fd = unselectable_fd(paho)
        if fd is not None:
            close_side(paho)
            raise LinkException(self._too_many_files(fd))
        return True

    def _too_many_files(self, fd: int) -> str:
        return (
            f"agent {self.agent_id!r}: cannot use a connection to the MQTT broker: it got file "
            f"descriptor {fd}, and paho-mqtt's network loop (select()) takes descriptors below "
            f"{SELECT_LIMIT} only; this process has too many files or sockets open (clients "
            "no longer used can be closed with client.close())"
        )

    def _stop_taken_over(self) -> None:
        """Another process took the session over: stop for good, say so, report it."""
        with self._lock:
            if self._taken_over:
                return
            self._taken_over = True
        self._sender.release()  # before stopping: the sender lets the outbox go first
        self._stopping.set()
        self._sender.kick.set()
        logger.error(
            "agent %r: another process connected with the same agent id (%r) and took the "
            "MQTT session over; this client stops. Run one process per agent name.",
            self.agent_id,
            self.settings.client_id,
        )
        if self._sink is not None:
            self._sink.fail(self._taken_over_error())

    def _taken_over_error(self) -> SessionTakenOver:
        return SessionTakenOver(
            f"agent {self.agent_id!r}: another process took this MQTT session over; "
            "run one process per agent name"
        )

    def _side_wait(self, done: threading.Event, timeout: float) -> bool:
        """Wait for a side connection's *done* (stop() ends the wait); True when it came."""
        self._side_waits.add(done)
        try:
            if self._stopping.is_set():
                return False
            return done.wait(timeout) and not self._stopping.is_set()
        finally:
            self._side_waits.discard(done)

    def _claim_first(self) -> None:
        """Claim the agent's session on a connection of its own, before the session's.

        Connecting with the agent's client id pushes off a process that holds the session; when
        that one reconnects it finds this claim and stops (see ``_bring_up``). Claiming first
        means it finds the claim even when this process is slow to come up.
        """
        self._peek_claim(claim=True)

    def _connect(self, initial: bool) -> None:
        """Make one connection and bring it into service; raise LinkException on failure.

        Every wait in here ends when stop() is asked (it wakes ``_attempt``); what this made is
        closed again on any failure.
        """
        s = self.settings
        paho = self._new_paho()
        conn = Conn(paho)
        paho.on_connect = lambda c, u, f, rc, p: self._on_connect(conn, rc, p)
        paho.on_disconnect = lambda c, u, f, rc, p: self._on_disconnect(conn, rc)
        paho.on_message = lambda c, u, m: self._on_message(conn, m)
        on_ack = self._sender.on_ack
        paho.on_publish = lambda c, u, mid, rc, p: on_ack(conn, mid, rc)
        paho.on_subscribe = lambda c, u, mid, rcs, p: on_ack(conn, mid, max(rcs))
        paho.on_unsubscribe = lambda c, u, mid, rcs, p: on_ack(conn, mid, 0)
        errors: list[str] = []  # paho's socket errors until the CONNACK: say what went wrong
        paho.on_log = lambda c, u, level, buf: (
            errors.append(buf) if level == mqtt.MQTT_LOG_ERR else None
        )
        where = f"{s.host}:{s.port}"
        props = None
        if s.protocol == mqtt.MQTTv5:
            props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            props.SessionExpiryInterval = SESSION_EXPIRY
        self._last_connack = None
        self._attempt = conn
        try:
            if self._stopping.is_set() and not initial:
                raise LinkException(f"agent {self.agent_id!r}: stopped while connecting")
            try:
                if props is not None:
                    paho.connect(s.host, s.port, s.keepalive, clean_start=False, properties=props)
                else:  # 3.1.1: clean_session=False was given to the client
                    paho.connect(s.host, s.port, s.keepalive)
            except ssl.SSLError as exc:
                close_sockets_of(exc)
                raise LinkException(
                    f"agent {self.agent_id!r}: TLS handshake with {where} failed: {exc}"
                    f"{_tls_hint(str(exc), where)}"
                ) from None
            except OSError as exc:
                close_sockets_of(exc)
                hint = ""
                if s.tls and isinstance(exc, ConnectionResetError):
                    hint = _tls_hint("reset", where)
                raise LinkException(
                    f"agent {self.agent_id!r}: cannot connect to the MQTT broker at {where}: "
                    f"{exc}{hint}"
                ) from exc
            sock = paho.socket()
            if isinstance(sock, socket.socket):  # small packets (PUBACKs, values) go out at once
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            paho.loop_start()
            fd = unselectable_fd(paho)
            if fd is not None:
                raise LinkException(self._too_many_files(fd))
            answered = conn.answered.wait(s.connect_timeout)
            if self._stopping.is_set() and not initial:
                raise LinkException(f"agent {self.agent_id!r}: stopped while connecting")
            if not answered:
                raise LinkException(
                    f"agent {self.agent_id!r}: no answer from the MQTT broker at {where} within "
                    f"{s.connect_timeout:g} s"
                )
            if conn.connack is None:
                raise LinkException(self._closed_unanswered(where, errors))
            if conn.connack:
                reason = ReasonCode(PacketTypes.CONNACK, identifier=conn.connack)
                hint = ""
                if conn.connack in (0x86, 0x87, 4, 5):
                    hint = " (check the user name and password or certificate in the config)"
                raise LinkException(
                    f"agent {self.agent_id!r}: the MQTT broker at {where} refused the "
                    f"connection: {reason}{hint}"
                )
            paho.on_log = None  # paho formats every log line for on_log: not on the share path
            self._bring_up(conn, initial)
        except BaseException:
            if self._conn is conn:
                self._conn = None
                self._sender.lost(conn)
            self._close_conn(conn, offline=self._stopping.is_set())
            raise
        finally:
            self._attempt = None

    def _closed_unanswered(self, where: str, errors: list[str]) -> str:
        """What to say when the broker closed the link before its CONNACK."""
        error = f" ({errors[-1]})" if errors else ""
        if self.settings.tls:
            hint = (
                ": it may require a client certificate, or have refused this one (check "
                "cert_file and key_file, and that the broker trusts the CA that signed them)"
            )
        else:
            hint = f": if {where} is a TLS listener, use mqtts:// (and ca_file)"
        return (
            f"agent {self.agent_id!r}: the MQTT broker at {where} closed the connection "
            f"without answering{error}{hint}"
        )

    def _bring_up(self, conn: Conn, initial: bool) -> None:
        """Subscribe everything, load the catalogue, claim the session, resend the outbox.

        On a reconnect, a session claim of another process (made while this one was away)
        means it took the session over: stop, say so, and do not fight back. Things of this
        agent that the broker lost (restarted without persistence) are published again.
        Requests go out back to back, and their answers are checked after the sync's marker
        came back (the broker answers in order): a few round trips, however many follows.
        """
        claim = self._claim_payload()
        pending: list[tuple[int, str]] = []  # (mid, what): checked once the sync came back
        if initial:  # claim at once, so that a process we take over from sees it
            pending.append(self._publish_async(conn, self._session_topic, claim, "claim"))
        self._session_owner = None
        self._catalogue.clear()
        v5 = self.settings.protocol == mqtt.MQTTv5
        filters: list[tuple[str, int, bool]] = [
            (self._session_topic, 0, True),
            (self._reply_topic, 1, True),
            (f"{self._root}/+/+/meta", 0, True),
            (f"{self._root}/+/_status", 0, True),
        ]
        with self._lock:
            for thing in self._things.values():
                for point in thing.points.values():
                    if point.kind == CONTROL:
                        filters.append((point.topic, 1, True))
            filters += [(route.filter, 1, not v5) for route in self._routes.values()]
        self._sender.replay()
        self._conn = conn
        pending += self._subscribe_async(conn, filters)
        self._sync(conn)
        for mid, what in pending:
            self._check(conn, mid, what)
        if not initial and self._is_taken_over_by(self._session_owner):
            self._stop_taken_over()
            raise self._taken_over_error()
        pending = []
        if not initial:
            pending.append(self._publish_async(conn, self._session_topic, claim, "claim"))
        self._adopt_own()
        pending += self._republish_lost(conn)
        with self._status_lock:  # never "online" after stop() said "offline"
            if self._stopping.is_set():
                raise LinkException(f"agent {self.agent_id!r}: stopped while connecting")
            pending.append(self._publish_async(conn, self._status_topic, b"online", "online"))
        for mid, what in pending:
            self._check(conn, mid, what)
        conn.ready.set()
        self._sender.kick.set()

    def _republish_lost(self, conn: Conn) -> list[tuple[int, str]]:
        """Publish again the metadata of the agent's things that the broker no longer retains
        (a broker restarted without persistence forgets every thing).

        Returns:
            ``(mid, what)`` of each publish, for ``_check``.
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
            body = json.dumps(thing.doc(self.agent_id), separators=(",", ":")).encode()
            pending.append(
                self._publish_async(conn, topic, body, f"publish thing {thing.lid!r} again")
            )
        return pending

    def _on_connect(self, conn: Conn, rc: ReasonCode, props: Properties | None) -> None:
        conn.connack = rc.value
        self._last_connack = rc.value
        conn.answered.set()
        if rc.value == 0:
            if props is not None and hasattr(props, "ReceiveMaximum"):
                conn.receive_max = min(WINDOW, int(props.ReceiveMaximum))
            conn.connected.set()
        else:
            conn.closed.set()

    def _on_disconnect(self, conn: Conn, rc: ReasonCode) -> None:
        conn.disconnect_reason = rc.value
        self._wake(conn)
        if rc.value == 0x8E:
            # Someone connected with this client id: another process of this agent, or a
            # foreign CONNECT. Only a newer claim on the session topic (which under the ACL
            # only the agent's own user may write) makes it a takeover: the supervisor reads
            # the claim before reconnecting and stops only if it is another process's.
            logger.warning(
                "agent %r: the broker closed the session because another connection used the "
                "client id %r; reading the session claim before reconnecting",
                self.agent_id,
                self.settings.client_id,
            )
        self._sender.kick.set()

    def _supervise(self) -> None:
        """Reconnect, waiting as ``RECONNECT`` says between tries, while not stopping."""
        failures = 0  # in a row; losing the link counts as one
        while not self._stopping.is_set():
            conn = self._conn
            if conn is not None:
                conn.closed.wait()
                if self._stopping.is_set():
                    return
                logger.warning(
                    "agent %r: lost the link to the MQTT broker; reconnecting", self.agent_id
                )
                self._conn = None
                self._sender.lost(conn)
                self._close_conn(conn, offline=False)
                failures = 1
            delay = RECONNECT.delay(max(failures, 1), 0.0)
            if self._stopping.wait(RECONNECT.maximum if delay is None else delay):
                return
            try:
                if self._is_taken_over_by(self._peek_claim()):
                    self._stop_taken_over()
                    return
                self._connect(initial=False)
            except SessionTakenOver:
                return
            except Exception as exc:
                failures += 1
                if self._stopping.is_set():
                    return
                if isinstance(exc, LinkException):
                    logger.info("agent %r: reconnect failed (%s)", self.agent_id, exc)
                else:  # a bug: keep it for whoever asks, keep trying
                    self._failure = exc
                    logger.exception("agent %r: reconnect failed", self.agent_id)
                continue
            self.reconnects += 1
            failures = 0

    # --- acknowledgements, subscriptions, sync ----------------------------------------------

    def _subscribe(self, conn: Conn, topic: str, qos: int, retained: bool) -> None:
        if self.settings.protocol == mqtt.MQTTv5:
            options = SubscribeOptions(qos=qos, retainHandling=0 if retained else 2)
            rc, mid = conn.paho.subscribe(topic, options=options)
        else:
            rc, mid = conn.paho.subscribe(topic, qos)
        if rc != mqtt.MQTT_ERR_SUCCESS or mid is None:
            raise LinkException(f"agent {self.agent_id!r}: subscribe to {topic!r} failed: {rc}")
        self._check(conn, mid, f"subscribe to {topic!r}")

    def _subscribe_async(
        self, conn: Conn, filters: Sequence[tuple[str, int, bool]]
    ) -> list[tuple[int, str]]:
        """Subscribe to ``(topic, qos, retained)`` filters, up to 100 per SUBSCRIBE, without
        waiting for the SUBACKs.

        Returns:
            ``(mid, what)`` of each SUBSCRIBE, for ``_check``.
        """
        v5 = self.settings.protocol == mqtt.MQTTv5
        pending = []
        for at in range(0, len(filters), 100):
            chunk = filters[at : at + 100]
            topics: list[tuple[str, Any]] = [
                (t, SubscribeOptions(qos=q, retainHandling=0 if r else 2) if v5 else q)
                for t, q, r in chunk
            ]
            rc, mid = conn.paho.subscribe(topics)
            what = "subscribe to " + ", ".join(repr(t) for t, _, _ in chunk[:3])
            if len(chunk) > 3:
                what += f" and {len(chunk) - 3} more"
            if rc != mqtt.MQTT_ERR_SUCCESS or mid is None:
                raise LinkException(f"agent {self.agent_id!r}: {what} failed: {rc}")
            pending.append((mid, what))
        return pending

    def _publish_async(self, conn: Conn, topic: str, body: bytes, what: str) -> tuple[int, str]:
        """Publish retained at QoS 1 without waiting; returns ``(mid, what)`` for ``_check``."""
        info = conn.paho.publish(topic, body, qos=1, retain=True)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise LinkException(f"agent {self.agent_id!r}: {what} failed: link down")
        return info.mid, what

    def _unsubscribe(self, conn: Conn, topic: str) -> None:
        rc, mid = conn.paho.unsubscribe(topic)
        if rc == mqtt.MQTT_ERR_SUCCESS and mid is not None:
            self._check(conn, mid, f"unsubscribe from {topic!r}")

    def _publish_sync(self, conn: Conn, topic: str, body: bytes, retain: bool, what: str) -> None:
        info = conn.paho.publish(topic, body, qos=1, retain=retain)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise LinkException(f"agent {self.agent_id!r}: {what} failed: link down")
        self._check(conn, info.mid, what)

    def _check(self, conn: Conn, mid: int, what: str) -> None:
        code = conn.result(mid, SYNC_TIMEOUT)
        if code is None:
            if conn.closed.is_set():
                raise LinkException(f"agent {self.agent_id!r}: {what}: the link went down")
            raise IOTSyncTimeout(f"agent {self.agent_id!r}: {what}: no answer in {SYNC_TIMEOUT} s")
        if code >= 0x80:
            if code in DENIED or code == 0x80:
                raise IOTAccessDenied(
                    f"agent {self.agent_id!r}: the broker denied {what} "
                    f"(reason code 0x{code:02X}); see the broker's ACL"
                )
            raise LinkException(
                f"agent {self.agent_id!r}: {what} failed (reason code 0x{code:02X})"
            )

    def _sync(self, conn: Conn | None = None) -> None:
        """Wait until this client has processed everything the broker sent before now."""
        conn = conn or self._link()
        marker = uuid.uuid4().hex
        event = threading.Event()
        self._syncs[marker] = event
        try:
            body = json.dumps({"sync": marker}).encode()
            conn.paho.publish(self._reply_topic, body, qos=0)
            if not event.wait(SYNC_TIMEOUT) or (marker in self._syncs and conn.closed.is_set()):
                if conn.closed.is_set():
                    raise LinkException(f"agent {self.agent_id!r}: the link went down")
                raise IOTSyncTimeout(f"agent {self.agent_id!r}: no sync from the broker")
        finally:
            self._syncs.pop(marker, None)

    # --- incoming ---------------------------------------------------------------------------

    def _on_message(self, conn: Conn, msg: mqtt.MQTTMessage) -> None:
        topic = msg.topic
        route = self._routes.get(topic)
        if route is not None and not msg.retain:
            self._on_feed(conn, route, msg)
            return
        levels = topic.count("/") - self._levels
        if route is not None or (levels == 4 and topic.rsplit("/", 2)[-2] == "feed"):
            # A feed value is known by its topic, not by the retain flag: some brokers (aedes)
            # set it on values they kept for an offline session. Only a retained copy that a
            # subscription just made brought is not a new value: get_recent's, and on
            # MQTT 3.1.1 (which cannot ask for none) every follow's.
            v5 = self.settings.protocol == mqtt.MQTTv5
            new = not msg.retain or (v5 and not self._fetching(topic))
            if new and (route is not None or msg.qos):  # QoS 0 unfollowed: get_recent's
                self._on_feed(conn, route, msg)
                return
        if self._unrouted and self._held_timer is None:
            self._arm_held()
        try:
            if topic == self._reply_topic:
                self._on_reply(bytes(msg.payload))
            elif topic == self._session_topic:
                self._session_owner = Claim.parse(bytes(msg.payload)) if msg.payload else None
            elif levels == 3 and topic.endswith("/meta"):
                self._catalogue.on_meta(topic, bytes(msg.payload))
            elif levels == 2 and topic.endswith("/_status"):
                self._catalogue.on_status(topic, bytes(msg.payload))
            elif "/control/" in topic and topic.startswith(self._base + "/"):
                self._on_request(topic, bytes(msg.payload))
            else:  # a retained copy a get_recent() asked for, or a newer one since
                for feed, found in list(self._fetches.values()):
                    if topic in (feed, feed + "/recent"):
                        found[topic] = bytes(msg.payload)
        except Exception:
            logger.warning("skipped a bad message on %r: %.120r", topic, msg.payload, exc_info=True)
        if msg.qos:
            conn.paho.ack(msg.mid, msg.qos)

    def _fetching(self, topic: str) -> bool:
        """Whether a get_recent of *topic*'s feed is under way (its subscription brings the
        retained last value)."""
        return any(topic == feed for feed, _ in list(self._fetches.values()))

    def _on_feed(self, conn: Conn, route: Route | None, msg: mqtt.MQTTMessage) -> None:
        """A value of a followed feed (network thread): hand it to the worker as it came, for
        ``_accept_feed`` and ``_settle_feed``; the less done here, the sooner the worker,
        woken by the hand-off, gets to it."""
        item: Item = (msg.topic, msg.payload, conn, msg.mid if msg.qos else 0)
        sink = self._sink
        if route is not None and route.live and sink is not None:
            sink.receive(route, item)
            return
        with self._lock:  # rare: no follow (yet) for this topic; see subscribe()
            route = self._routes.get(msg.topic)
            if route is not None:
                if route.live and sink is not None:
                    sink.receive(route, item)
                else:  # the follow is being made: subscribe() hands these on first
                    route.held.append(item)
                return
            if msg.topic in self._unfollowed:  # in flight when this run unfollowed it
                logger.debug("dropped a value of %r, which this run unfollowed", msg.topic)
                self._settle_feed(item, None)
                return
            self._hold(item)

    def _hold(self, item: Item) -> None:
        """Keep a value for a follow an earlier run made and this one has not (yet): the
        broker still has the subscription. Acknowledged at once, so that it never holds up
        other follows, and kept up to ``held_for`` seconds for a follow (under the lock)."""
        topic = item[0]
        self._settle_feed(item, None)  # the acknowledgement
        held = self._unrouted.get(topic)
        if held is None:
            held = self._unrouted[topic] = _Held(time.monotonic())
        if len(held.items) < _HELD_LIMIT:
            held.items.append((topic, item[1], item[2], 0))
        else:
            self.values_released += 1
            logger.warning(
                "agent %r: holding %d values of %r for a follow of an earlier run; dropped one",
                self.agent_id,
                _HELD_LIMIT,
                topic,
            )
        if self._held_timer is None:
            self._arm_held()

    def _arm_held(self) -> None:
        """Start the timer that releases held values (when none runs)."""
        with self._lock:
            if self._held_timer is not None or not self._unrouted or self._stopping.is_set():
                return
            since = min(held.since for held in self._unrouted.values())
            wait = max(0.0, since + self.held_for - time.monotonic())
            timer = threading.Timer(wait, self._release_held)
            timer.name = f"iotic_app-mqtt-held-{self.agent_id}"
            timer.daemon = True
            self._held_timer = timer
        timer.start()

    def _disarm_held(self) -> None:
        """Stop the release timer (at stop; held values stay for the next start)."""
        with self._lock:
            timer, self._held_timer = self._held_timer, None
        if timer is not None:
            timer.cancel()
            if timer is not threading.current_thread():
                timer.join(1.0)

    def _release_held(self) -> None:
        """Drop held values that no follow claimed within ``held_for`` seconds, log how many,
        and remove the earlier run's subscription from the broker (the timer's thread)."""
        now = time.monotonic()
        with self._lock:
            if self._held_timer is not threading.current_thread():
                return  # disarmed meanwhile
            self._held_timer = None
            expired = [t for t, h in self._unrouted.items() if now - h.since >= self.held_for]
            released = [(topic, len(self._unrouted.pop(topic).items)) for topic in expired]
        for topic, count in released:
            self.values_released += count
            logger.warning(
                "agent %r: released %d value(s) of %r: they came for a follow that an earlier "
                "run made and this run did not make within %g s (they are dropped, and the "
                "subscription is removed from the broker)",
                self.agent_id,
                count,
                topic,
                self.held_for,
            )
            conn = self._conn
            if conn is not None and conn.ready.is_set() and not conn.closed.is_set():
                try:
                    self._unsubscribe(conn, topic)
                except Exception:  # the link went down: the next value is held again
                    logger.debug("could not unsubscribe from %r", topic, exc_info=True)
        self._arm_held()

    def _accept_feed(self, route: Route, item: Item) -> Accepted | None:
        """Decode a value, check it and drop it if it is a duplicate (the client's worker;
        no user code). Returns the follows to deliver it to, the sample and the ledger's note,
        or None (then ``_settle_feed`` only acknowledges it)."""
        topic, raw, _, _ = item
        try:
            payload = from_json(raw)
            sample = decode_sample(payload)
            stamp = feed_stamp(payload)
        except (ValueError, TypeError, binascii.Error) as exc:
            logger.warning(
                "skipped a value on %r that is not an iotic_app feed payload (%s): %.120r",
                topic,
                exc,
                bytes(raw),
            )
            return None
        if stamp is None or not topic.isprintable():
            # a foreign publisher's value: nothing to deduplicate by (nor a topic that the
            # ledger's one-line records cannot hold)
            return route.tokens, sample, None
        epoch, seq, number = stamp
        # Each of a feed's epochs (one per sharer outbox) is checked on its own: a broker
        # restored from an older snapshot may resend an earlier outbox's value between the
        # current one's, which must neither pass as new nor turn the current checks off.
        key = (topic, epoch)
        last = self._seen.get(key)
        if last is None:
            known = self.outbox.last_seen(_ledger_source(topic, epoch))
            if known is None:  # the ledger of a version that kept one epoch per feed
                known = self.outbox.last_seen(topic)
                known = known if known is not None and known[0] == epoch else None
            last = None if known is None else (known[1], None)
        if last is not None:
            if last[0] - DUPLICATE_WINDOW < seq <= last[0]:
                return None  # a redelivered duplicate
            if seq <= last[0]:
                logger.warning(
                    "feed %r: seq %d is far below the last one delivered (%d): taken as the "
                    "start of a new sequence (a forged value, or a sharer whose outbox was reset)",
                    topic,
                    seq,
                    last[0],
                )
            elif number is not None and last[1] is not None and number > last[1] + 1:
                self._missed(route, topic, number - last[1] - 1)
        self._seen[key] = (seq, number)
        return route.tokens, sample, (epoch, seq)

    def _missed(self, route: Route, topic: str, count: int) -> None:
        """A gap in a feed's value numbers: values the broker never delivered."""
        if route.group is not None:  # a group's followers split the values: gaps are normal
            return
        self._values_missed += count
        logger.warning(
            "agent %r: %d value(s) of %r never arrived (the broker dropped them; Mosquitto "
            "keeps at most max_queued_messages, default 1,000, for a follower that falls "
            "behind or is offline): %d missed in all",
            self.agent_id,
            count,
            topic,
            self._values_missed,
        )

    def _settle_feed(self, item: Item, note: tuple[str, int] | None) -> None:
        """Record a delivered value in the ledger (*note*: its epoch and seq), then
        acknowledge it on the connection it came in on, whatever its callbacks did."""
        topic, _, conn, mid = item
        try:
            if note is not None:
                epoch, seq = note  # in the ledger before the ack: see the design note
                self.outbox.mark_seen(_ledger_source(topic, epoch), epoch, seq)
        finally:
            if mid and not conn.closed.is_set():
                conn.paho.ack(mid, 1)

    def _on_reply(self, raw: bytes) -> None:
        """A message on this client's reply topic (anyone may write there): a sync marker or a
        tell's confirmation, each matched to its own call by marker or request id."""
        try:
            kind, key, result = parse_reply(raw)
        except ValueError as exc:
            logger.warning("ignored a message on the reply topic (%s): %.120r", exc, raw)
            return
        if kind == "sync":
            event = self._syncs.get(key)
            if event is not None:
                event.set()
            return
        waiter = self._waiters.get(key)
        if waiter is not None and waiter[1] is None:
            waiter[1] = result
            waiter[0].set()

    def _on_request(self, topic: str, raw: bytes) -> None:
        """A request to one of the agent's controls (network thread): checked, then handed to
        the client (a tell's reply topic and id are kept under an id of this request's own)."""
        point = self._by_control_topic.get(topic)
        if point is None:
            return
        try:
            req = parse_request(self._root, raw)
        except (ValueError, TypeError) as exc:
            logger.warning("refused a request on %r (%s): %.120r", topic, exc, raw)
            return
        if point.token is None or self._sink is None:
            if req.confirm:
                self._reply(req.reply, req.rid, "unreachable")
            return
        if not self._waiting.admit(len(raw)):
            logger.warning(
                "agent %r: refused a request on %r: %d requests (%d bytes) already wait for "
                "the control callbacks (at most %d, %d bytes)",
                self.agent_id,
                topic,
                self._waiting.count,
                self._waiting.bytes,
                REQUESTS_WAITING,
                REQUEST_BYTES_WAITING,
            )
            if req.confirm:
                self._reply(req.reply, req.rid, "failed")
            return
        request_id = uuid.uuid4().hex
        if req.confirm:
            with self._lock:
                self._requests[request_id] = (req.reply, req.rid)
                if len(self._requests) > 10_000:
                    self._requests.pop(next(iter(self._requests)))
        request = ControlRequest(
            req.data, req.mime, req.sub, point.thing.lid, point.pid, request_id, req.confirm
        )
        self._sink.receive(self._waiting, (point.token, request, len(raw)))

    def _reply(self, topic: str | None, rid: str | None, result: TellResult) -> None:
        """Answer a tell on its reply topic (checked by ``parse_request``: the reply namespace)."""
        conn = self._conn
        if conn is None or topic is None:
            return
        body = json.dumps({"rid": rid, "result": result}).encode()
        try:
            conn.paho.publish(topic, body, qos=1)
        except ValueError as exc:  # pragma: no cover - parse_request let a bad topic through
            logger.warning("could not answer a tell on %r: %s", topic, exc)

    # --- the sender -------------------------------------------------------------------------

    def share(self, point: Any, data: Any, mime: str | None, time: datetime) -> None:
        """Share one sample: into the outbox (on disk when this returns), then to the broker.

        Never fails because the link is down: the value waits in the outbox.

        Raises:
            SessionTakenOver: another process took the agent's session over.
        """
        if self._taken_over:
            raise self._taken_over_error()
        self._sender.share(point, data, mime, time)

    # --- things ---------------------------------------------------------------------------

    def _publish_meta(self, thing: Thing) -> None:
        conn = self._link()
        body = json.dumps(thing.doc(self.agent_id), separators=(",", ":")).encode()
        self._publish_sync(conn, f"{thing.base}/meta", body, True, f"update thing {thing.lid!r}")

    def _adopt_own(self) -> None:
        """Take the agent's things that the broker keeps (an earlier run) into memory."""
        adopted: list[Thing] = []
        with self._lock:
            for doc in list(self._catalogue.docs.values()):
                if doc.agent != self.agent_id or doc.lid in self._things:
                    continue
                self._things[doc.lid] = thing = Thing.from_doc(doc, self._index)
                adopted.append(thing)
        for thing in adopted:  # their feeds' history, from the outbox
            for point in list(thing.points.values()):
                self._sender.load_history(point)

    def _own(self, ref: Any) -> Thing:
        thing: Thing = ref if isinstance(ref, Thing) else ref.thing
        if thing.deleted or (isinstance(ref, Point) and ref.deleted):
            what = f"point {ref.pid!r} of thing" if isinstance(ref, Point) else "thing"
            raise IOTUnknown(f"{what} {thing.lid!r} was deleted")
        return thing

    def create_thing(self, lid: str) -> Thing:
        """Create the agent's thing *lid* (its meta is retained on the broker), or return it."""
        self._link()
        with self._lock:
            thing = self._things.get(lid)
            if thing is not None:
                return thing
        self._sync()
        self._adopt_own()
        with self._lock:
            thing = self._things.get(lid)
            if thing is not None:
                return thing
            thing = Thing(lid, thing_guid(self.agent_id, lid), f"{self._base}/{seg(lid)}")
            self._things[lid] = thing
        try:
            self._publish_meta(thing)
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
            self._sync()
            self._adopt_own()
            thing = self._things.get(lid)
        if thing is None:
            raise IOTUnknown(f"agent {self.agent_id!r} has no thing {lid!r}")
        return thing

    def delete_thing(self, thing: Any) -> None:
        """Delete a thing: clear its retained meta and last values, drop its follows."""
        conn = self._link()
        own = self._own(thing)
        for sub in list(own.subs.values()):
            self._drop_sub(sub)
        for point in list(own.points.values()):
            self._drop_point(conn, point)
        self._publish_sync(conn, f"{own.base}/meta", b"", True, f"delete thing {own.lid!r}")
        with self._lock:
            self._things.pop(own.lid, None)
            own.deleted = True

    def list_things(self) -> list[str]:
        """Return the lids of the agent's things."""
        self._sync()
        self._adopt_own()
        with self._lock:
            return list(self._things)

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
            self._subscribe(conn, point.topic, 1, retained=True)
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
            conn.paho.publish(point.topic, b"", qos=1, retain=True)
            if point.save_recent > 1:
                conn.paho.publish(point.topic + "/recent", b"", qos=1, retain=True)
        else:
            self._unsubscribe(conn, point.topic)

    # --- metadata ---------------------------------------------------------------------------

    def read_meta(self, ref: Any) -> Meta:
        """Return the metadata of one of the agent's things or points."""
        self._link()
        own = self._own(ref)
        return Meta(
            labels=dict(ref.labels),
            descriptions=dict(ref.descriptions),
            location=own.location if ref is own else None,
            tags=tuple(sorted(ref.tags)),
            public=own.public,
        )

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
            ref.labels = dict(labels)
            ref.descriptions = dict(descriptions)
            if ref is own:
                own.location = location
        self._publish_meta(own)

    def change_tags(self, ref: Any, add: Sequence[str], remove: Sequence[str]) -> None:
        """Add and remove tags."""
        self._link()
        own = self._own(ref)
        with self._lock:
            ref.tags = (ref.tags | frozenset(add)) - frozenset(remove)
        self._publish_meta(own)

    def set_public(self, thing: Any, public: bool) -> None:
        """Make a thing public or private."""
        self._link()
        own = self._own(thing)
        with self._lock:
            own.public = public
        self._publish_meta(own)

    def add_value(self, point: Any, spec: ValueSpec) -> None:
        """Declare (or replace) a value on a point."""
        self._link()
        own = self._own(point)
        with self._lock:
            kept = tuple(v for v in point.values if v.label != spec.label)
            point.values = (*kept, spec)
        self._publish_meta(own)

    def _own_point(self, guid: str) -> Point | None:
        return self._by_guid.get(guid)

    def _index(self, point: Point) -> None:
        """Make one of the agent's points findable by guid (and a control by topic)."""
        self._by_guid[point.guid] = point
        if point.kind == CONTROL:
            self._by_control_topic[point.topic] = point

    def values(self, guid: str) -> tuple[ValueSpec, ...]:
        """Return the values a point declares (own, or from the catalogue)."""
        own = self._own_point(guid)
        if own is not None:
            return own.values
        return self._catalogue.values(guid)

    # --- follows and attaches ---------------------------------------------------------------

    def subscribe(
        self, thing: Any, kind: PointKind, target: Target, token: Delivery, group: str | None = None
    ) -> tuple[str, str]:
        """Follow a feed or attach to a control; see ``Transport.subscribe``.

        Args:
            thing: The following thing.
            kind: ``'Feed'`` or ``'Control'``.
            target: A point guid or ``(lid, pid)`` of the agent's own.
            token: Where the feed's values go.
            group: Share the feed's values among the followers in this group (MQTT 5 shared
                subscription ``$share/GROUP/...``).
        """
        if group is not None and self.settings.protocol != mqtt.MQTTv5:
            raise ValueError(
                f"group={group!r} needs MQTT 5 shared subscriptions, but this client's protocol "
                "is 3.1.1: set protocol = 5 in the config, or follow without a group"
            )
        conn = self._link()
        own = self._own(thing)
        if isinstance(target, tuple):
            lid, pid = target
            mine = self._things.get(lid)
            point = None if mine is None else mine.points.get((kind, pid))
            if point is None:
                raise IOTUnknown(f"agent {self.agent_id!r} has no {kind.lower()} {target!r}")
            guid, topic = point.guid, point.topic
        else:
            point = self._own_point(target)
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
            with self._lock:
                route = self._routes.get(topic)
                fresh = route is None
                if route is None:
                    route = Route(self, topic, group)
                    earlier = self._unrouted.pop(topic, None)
                    if earlier is not None:  # acknowledged already (see _hold)
                        route.held = earlier.items
                    self._unfollowed.discard(topic)
                    self._routes[topic] = route
            if fresh:
                try:
                    v5 = self.settings.protocol == mqtt.MQTTv5
                    self._subscribe(conn, route.filter, 1, retained=not v5)
                except BaseException:
                    with self._lock:
                        self._routes.pop(topic, None)
                    raise
        with self._lock:
            old = own.subs.get(subid)
            if old is not None and old.route is not route:
                self._drop_sub(old, unsubscribe=False)
            own.subs[subid] = Sub(subid, own, kind, guid, route, token)
            if route is not None:
                # one assignment: the worker reads the tokens without the lock
                kept = (
                    route.tokens
                    if old is None
                    else tuple(t for t in route.tokens if t is not old.token)
                )
                route.tokens = (*kept, token)
                held, route.held = route.held, []
                if held and self._sink is not None:
                    for item in held:  # before any newer value (see _on_feed)
                        self._sink.receive(route, item)
                route.live = True
        return subid, guid

    def _drop_sub(self, sub: Sub, unsubscribe: bool = True) -> None:
        with self._lock:
            sub.thing.subs.pop(sub.subid, None)
            route = sub.route
            if route is None:
                return
            route.tokens = tuple(t for t in route.tokens if t is not sub.token)
            if route.tokens or not unsubscribe:
                return
            self._routes.pop(route.topic, None)
            self._unfollowed.add(route.topic)
        conn = self._conn
        if conn is not None and conn.connected.is_set() and not conn.closed.is_set():
            self._unsubscribe(conn, route.filter)

    def unsubscribe(self, thing: Any, sub_id: str) -> None:
        """Remove a follow or attach."""
        self._link()
        own = self._own(thing)
        sub = own.subs.get(sub_id)
        if sub is None:
            raise IOTUnknown(f"thing {own.lid!r} has no subscription {sub_id!r}")
        self._drop_sub(sub)

    def list_connections(self, thing: Any) -> dict[str, dict[str, str]]:
        """Return a thing's follows and attaches."""
        self._link()
        own = self._own(thing)
        return {s.subid: {"type": s.kind, "guid": s.guid} for s in own.subs.values()}

    def recent(self, guid: str, count: int) -> list[Sample]:
        """Return up to *count* latest samples of a feed (from the broker's retained copies)."""
        conn = self._link()
        own = self._own_point(guid)
        if own is not None:
            topic = own.topic
        else:
            doc, point = self._catalogue.find(guid, FEED)
            topic = f"{doc.base}/feed/{seg(str(point['pid']))}"
        found = self._fetch_retained(conn, topic)
        samples: list[Sample] = []
        raw_list = found.get(topic + "/recent")
        if raw_list:
            samples = self._recent_samples(topic, raw_list)
        elif found.get(topic):
            samples = self._recent_samples(topic, b"[" + found[topic] + b"]")
        return samples[-count:]

    def _fetch_retained(self, conn: Conn, topic: str) -> dict[str, bytes]:
        """Return the retained messages on *topic* and *topic*/recent (or newer ones that came
        before the sync marker), fetched for this call alone: a subscription, a sync, an
        unsubscription; see ``_on_message``."""
        call = uuid.uuid4().hex
        found: dict[str, bytes] = {}
        self._fetches[call] = (topic, found)
        filt = topic + "/#"
        try:
            self._subscribe(conn, filt, 0, retained=True)
            self._sync(conn)
            # another call's subscription to the same filter may outlive this one: harmless,
            # each call counts only the retained copies sent before its own sync marker
            self._unsubscribe(conn, filt)
        finally:
            self._fetches.pop(call, None)
        return found

    def _recent_samples(self, topic: str, raw: bytes) -> list[Sample]:
        """The samples in a retained ``recent`` list; what is not a valid one is logged and
        skipped."""
        try:
            items = from_json(raw)
            if not isinstance(items, list):
                raise ValueError("not a JSON list")
        except ValueError as exc:
            logger.warning("skipped the recent values of %r (%s): %.120r", topic, exc, raw)
            return []
        samples: list[Sample] = []
        for item in items:
            try:
                samples.append(decode_sample(item))
            except (ValueError, TypeError, binascii.Error) as exc:
                logger.warning("skipped a recent value of %r (%s): %.120r", topic, exc, item)
        return samples

    # --- controls ---------------------------------------------------------------------------

    def _control_topic(self, guid: str) -> tuple[str, str]:
        own = self._own_point(guid)
        if own is not None:
            if own.kind != CONTROL:
                raise IOTUnknown(f"point {guid!r} is a Feed, not a Control")
            return own.topic, self.agent_id
        doc, point = self._catalogue.find(guid, CONTROL)
        return f"{doc.base}/control/{seg(str(point['pid']))}", doc.agent

    def ask(self, guid: str, sub_id: str, data: Any, mime: str | None) -> None:
        """Send a request to a control (QoS 1), expecting no answer."""
        conn = self._link()
        topic, _ = self._control_topic(guid)
        body = json.loads(encode_sample(data, mime, datetime.now(timezone.utc)))
        body.update(sub=sub_id, rid=uuid.uuid4().hex, confirm=False)
        self._publish_sync(conn, topic, json.dumps(body).encode(), False, f"ask {guid!r}")

    def tell(
        self, guid: str, sub_id: str, data: Any, mime: str | None, timeout: float
    ) -> TellResult:
        """Send a request and wait up to *timeout* s for the control's confirmation."""
        conn = self._link()
        topic, owner = self._control_topic(guid)
        self._sync(conn)
        if owner != self.agent_id and not self._catalogue.online.get(seg(owner), False):
            return "unreachable"
        rid = uuid.uuid4().hex
        body = json.loads(encode_sample(data, mime, datetime.now(timezone.utc)))
        body.update(sub=sub_id, rid=rid, confirm=True, reply=self._reply_topic)
        waiter: list[Any] = [threading.Event(), None]
        self._waiters[rid] = waiter
        try:
            self._publish_sync(conn, topic, json.dumps(body).encode(), False, f"tell {guid!r}")
            waiter[0].wait(timeout)
        finally:
            self._waiters.pop(rid, None)
        if waiter[1] is None and conn.closed.is_set():
            raise LinkException(f"agent {self.agent_id!r}: the link went down during a tell")
        result: TellResult = waiter[1] if waiter[1] is not None else "timeout"
        return result

    def confirm_tell(self, request_id: str, success: bool) -> None:
        """Answer a tell this agent received (unknown ids are ignored)."""
        self._link()
        with self._lock:
            found = self._requests.pop(request_id, None)
        if found is not None:
            self._reply(*found, True if success else "failed")

    # --- search and describe ----------------------------------------------------------------

    def search(
        self,
        text: str | None,
        location: tuple[float, float, float] | None,
        unit: str | None,
        limit: int,
        offset: int,
    ) -> dict[str, Any]:
        """Search the public things in the catalogue."""
        return self._catalogue.search(text, location, unit, limit, offset)

    def describe(self, guid: str) -> dict[str, Any] | None:
        """Describe a thing or point visible to this agent, or return None."""
        return self._catalogue.describe(guid)


def _tls_hint(error: str, where: str) -> str:
    """A likely cause of the TLS failure *error* (ssl's message), for the LinkException."""
    text = error.lower()
    if "verify failed" in text:
        return " (check ca_file: it must hold the CA that signed the broker's certificate)"
    if "certificate" in text or "unknown ca" in text or "alert" in text:
        return (
            " (the broker refused the client certificate: check cert_file and key_file, and "
            "that the broker trusts the CA that signed them)"
        )
    if any(word in text for word in ("wrong version", "reset", "eof", "record", "packet")):
        return f" (is {where} a plain MQTT listener? mqtts:// needs the broker's TLS port)"
    return ""
