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
# (``_mqtt_catalogue.py``): search, describe, values and guid -> topic lookups are local reads.
#
# Shares go through the durable outbox and the sender thread (``_mqtt_sender.py``): share()
# never fails because the link is down, and after a reconnect the outbox alone decides what is
# resent, in order.
# Payloads carry the sharer's outbox ``epoch`` and ``seq``; a follower drops any value whose seq
# it has already delivered (in memory, and in its ledger: a log appended before each ack), so
# redeliveries never reach a callback twice. Followers acknowledge a value (manual PUBACK) only
# after its callbacks ran, so a follower killed mid-way gets the rest again from its session.
#
# Connections: start() claims the session on a side connection, then connects as the agent
# (MQTT 5, clean start off, session expiry); a supervisor thread reconnects with backoff and
# jitter after reading the claim on a side connection (another process's claim: stop).

from __future__ import annotations

import binascii
import contextlib
import json
import logging
import os
import random
import socket
import ssl
import threading
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
from iotic_app.client._mqtt_catalogue import Catalogue
from iotic_app.client._mqtt_conn import (
    DENIED,
    WINDOW,
    Claim,
    Conn,
    close_side,
    close_sockets_of,
    release_client_id,
    take_client_id,
)
from iotic_app.client._mqtt_handles import Point, Route, Sub, Thing
from iotic_app.client._mqtt_sender import Sender
from iotic_app.client._mqtt_settings import MqttSettings
from iotic_app.client._mqtt_wire import (
    decode_sample,
    encode_sample,
    from_json,
    seg,
)
from iotic_app.client._outbox import Outbox, OutboxInUse
from iotic_app.client._transport import (
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
from iotic_app.exceptions import (
    IOTAccessDenied,
    IOTSyncTimeout,
    IOTUnknown,
    LinkException,
    SessionTakenOver,
)

__all__ = ["MqttSettings", "MqttTransport"]

logger = logging.getLogger("iotic_app.mqtt")

SESSION_EXPIRY = 7 * 24 * 3600
BACKOFF_MIN = 0.05
BACKOFF_MAX = 0.5  # so a returning broker is used again within about 0.5 s
SYNC_TIMEOUT = 10.0
_HELD_LIMIT = 100_000


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
        self._taken_over = False
        self._last_connack: int | None = None
        self._failure: BaseException | None = None
        self._things: dict[str, Thing] = {}
        self._by_guid: dict[str, Point] = {}  # the agent's own points
        self._by_control_topic: dict[str, Point] = {}
        self._routes: dict[str, Route] = {}
        self._seen: dict[str, tuple[str, int]] = {}  # the last value delivered, per feed (worker)
        self._catalogue = Catalogue(self.agent_id, self._sync)
        self._waiters: dict[str, list[Any]] = {}  # request id -> [event, result]
        self._requests: dict[str, str] = {}  # request id of a received tell -> reply topic
        self._syncs: dict[str, threading.Event] = {}
        self._fetches: dict[str, list[tuple[str, bytes]]] = {}
        self._unrouted: dict[str, list[tuple[Any, ...]]] = {}
        self.reconnects = 0

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
            raise SessionTakenOver(
                f"agent {self.agent_id!r}: another process took this MQTT session over; "
                "run one process per agent name"
            )
        s = self.settings
        if self._conn is not None:
            return
        cid = take_client_id(s.host, s.port, self.agent_id)
        try:
            if cid != s.client_id:
                self.settings = s = attrs.evolve(s, client_id=cid)
                if self._sender.opened is not None:
                    self._sender.opened.close()
                    self._sender.opened = None
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
            for attempt in range(3):
                try:
                    self._connect(initial=True)
                    break
                except LinkException:
                    # pushed off while coming up (the process we take over reconnected
                    # before it saw our claim): try again at once, a few times
                    if self._last_connack != 0 or attempt == 2:
                        raise
        except BaseException:
            release_client_id(s.host, s.port, cid)
            raise
        self._link_thread = threading.Thread(
            target=self._supervise, name=f"iotic_app-mqtt-{self.agent_id}", daemon=True
        )
        self._link_thread.start()
        self._sender.start()

    def stop(self) -> None:
        """Deliver what waits (while the link allows), publish "offline", disconnect, and stop
        the threads (idempotent). What the broker has not acknowledged stays in the outbox."""
        sender = self._sender
        if not self._stopping.is_set():
            sender.drain(self.settings.connect_timeout)
        self._stopping.set()
        sender.kick.set()
        conn = self._conn
        if conn is not None and conn.connected.is_set():
            try:
                info = conn.paho.publish(self._status_topic, b"offline", qos=1, retain=True)
                conn.result(info.mid, 1.0)
                sender.flush_acks()
                conn.paho.disconnect()
            except (OSError, ValueError):  # pragma: no cover - link already gone
                pass
        link = self._link_thread
        if link is not None and link is not threading.current_thread():
            link.join(10)
        sender.join(10)
        self._link_thread = None
        if conn is not None:
            conn.paho.loop_stop()
            conn.closed.set()
            with conn.cond:
                conn.cond.notify_all()
        self._conn = None
        sender.flush_acks()
        sender.write_logs()
        sender.close_outbox()  # another client of the agent may open it now
        release_client_id(self.settings.host, self.settings.port, self.settings.client_id)

    def is_connected(self) -> bool:
        """Whether the link to the broker is up."""
        conn = self._conn
        return conn is not None and conn.ready.is_set() and not conn.closed.is_set()

    @property
    def outbox_depth(self) -> int:
        """Shares not yet acknowledged by the broker (0 before the outbox is opened)."""
        outbox = self._sender.opened
        return 0 if outbox is None else outbox.depth

    def _link(self) -> Conn:
        conn = self._conn
        if conn is None or not conn.ready.is_set() or conn.closed.is_set():
            if self._taken_over:
                raise SessionTakenOver(
                    f"agent {self.agent_id!r}: another process took this MQTT session over; "
                    "run one process per agent name"
                )
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

    def _peek_claim(self) -> Claim | None:
        """Read the session claim on a connection of its own (not as the agent, so reading it
        pushes nobody off); None when there is none or the broker cannot be reached."""
        s = self.settings
        cid = f"{s.client_id}~peek-{uuid.uuid4().hex[:8]}"
        marker_topic = f"{self._root}/_reply/{seg(cid)}"
        done = threading.Event()
        found: list[Claim] = []

        def on_message(msg: mqtt.MQTTMessage) -> None:
            if msg.topic == self._session_topic and msg.payload:
                claim = Claim.parse(bytes(msg.payload))
                if claim is not None:
                    found.append(claim)
            elif msg.topic == marker_topic:
                done.set()

        def on_connect(c: mqtt.Client, code: ReasonCode) -> None:
            if code.value:
                done.set()
                return
            c.subscribe([(self._session_topic, 0), (marker_topic, 0)])
            c.publish(marker_topic, b"peek", qos=0)

        paho = self._new_paho(cid)
        paho.on_connect = lambda c, u, f, rc, p: on_connect(c, rc)
        paho.on_message = lambda c, u, m: on_message(m)
        paho.on_disconnect = lambda c, u, f, rc, p: done.set()
        if not self._open_side(paho):
            return None
        try:
            done.wait(s.connect_timeout)
        finally:
            close_side(paho)
        return found[-1] if found else None

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
        return True

    def _stop_taken_over(self) -> None:
        self._taken_over = True
        self._sender.release()  # before stopping: the sender lets the outbox go first
        self._stopping.set()
        logger.error(
            "agent %r: another process connected with the same agent id (%r) and took the "
            "MQTT session over; this client stops. Run one process per agent name.",
            self.agent_id,
            self.settings.client_id,
        )

    def _claim_first(self) -> None:
        """Claim the agent's session on a connection of its own, before the session's.

        Connecting with the agent's client id pushes off a process that holds the session; when
        that one reconnects it finds this claim and stops (see ``_bring_up``). Claiming first
        means it finds the claim even when this process is slow to come up.
        """
        s = self.settings
        done = threading.Event()
        result: list[int] = []
        paho = self._new_paho(f"{s.client_id}~claim-{uuid.uuid4().hex[:8]}")

        def answered(code: ReasonCode) -> None:
            result.append(code.value)
            done.set()

        paho.on_connect = lambda c, u, f, rc, p: answered(rc)
        paho.on_publish = lambda c, u, mid, rc, p: answered(rc)
        paho.on_disconnect = lambda c, u, f, rc, p: done.set()
        if not self._open_side(paho):
            return  # _connect says what is wrong, with the whole message
        try:
            if not done.wait(s.connect_timeout):
                raise LinkException(
                    f"agent {self.agent_id!r}: no answer from the MQTT broker at "
                    f"{s.host}:{s.port} within {s.connect_timeout:g} s"
                )
            if result == [0]:  # the broker answers: read the claim there is, claim one more
                current = self._peek_claim()
                self._generation = 1 if current is None else current.generation + 1
                done.clear()
                paho.publish(self._session_topic, self._claim_payload(), qos=1, retain=True)
                done.wait(s.connect_timeout)
        finally:
            close_side(paho)

    def _connect(self, initial: bool) -> None:
        """Make one connection and bring it into service; raise LinkException on failure."""
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
        where = f"{s.host}:{s.port}"
        props = None
        if s.protocol == mqtt.MQTTv5:
            props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            props.SessionExpiryInterval = SESSION_EXPIRY
        try:
            if props is not None:
                paho.connect(s.host, s.port, s.keepalive, clean_start=False, properties=props)
            else:  # 3.1.1: clean_session=False was given to the client
                paho.connect(s.host, s.port, s.keepalive)
        except ssl.SSLError as exc:
            close_sockets_of(exc)
            raise LinkException(
                f"agent {self.agent_id!r}: TLS handshake with {where} failed: {exc}"
            ) from None
        except OSError as exc:
            raise LinkException(
                f"agent {self.agent_id!r}: cannot connect to the MQTT broker at {where}: {exc}"
            ) from exc
        sock = paho.socket()
        if isinstance(sock, socket.socket):  # small packets (PUBACKs, values) go out at once
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        paho.loop_start()
        if not conn.answered.wait(s.connect_timeout) or conn.connack is None:
            paho.loop_stop()
            raise LinkException(
                f"agent {self.agent_id!r}: no answer from the MQTT broker at {where} within "
                f"{s.connect_timeout:g} s"
            )
        if conn.connack:
            paho.loop_stop()
            reason = ReasonCode(PacketTypes.CONNACK, identifier=conn.connack)
            hint = ""
            if conn.connack in (0x86, 0x87, 4, 5):
                hint = " (check the user name and password or certificate in the config)"
            raise LinkException(
                f"agent {self.agent_id!r}: the MQTT broker at {where} refused the connection: "
                f"{reason}{hint}"
            )
        try:
            self._bring_up(conn, initial)
        except BaseException:
            paho.disconnect()
            paho.loop_stop()
            raise

    def _bring_up(self, conn: Conn, initial: bool) -> None:
        """Subscribe everything, load the catalogue, claim the session, resend the outbox.

        On a reconnect, a session claim of another process (made while this one was away)
        means it took the session over: stop, say so, and do not fight back.
        """
        paho = conn.paho
        claim = self._claim_payload()
        if initial:  # claim at once, so that a process we take over from sees it
            self._publish_sync(conn, self._session_topic, claim, True, "claim the session")
        self._session_owner = None
        self._catalogue.clear()
        v5 = self.settings.protocol == mqtt.MQTTv5
        filters: list[tuple[str, int]] = [
            (self._session_topic, 0),
            (self._reply_topic, 1),
            (f"{self._root}/+/+/meta", 0),
            (f"{self._root}/+/_status", 0),
        ]
        with self._lock:
            for thing in self._things.values():
                for point in thing.points.values():
                    if point.kind == CONTROL:
                        filters.append((point.topic, 1))
            routes = list(self._routes.values())
        self._sender.replay()
        self._conn = conn
        for topic, qos in filters:
            self._subscribe(conn, topic, qos, retained=True)
        for route in routes:
            self._subscribe(conn, route.filter, 1, retained=not v5)
        self._sync(conn)
        if not initial and self._is_taken_over_by(self._session_owner):
            self._stop_taken_over()
            raise SessionTakenOver(
                f"agent {self.agent_id!r}: another process took this MQTT session over; "
                "run one process per agent name"
            )
        if not initial:
            self._publish_sync(conn, self._session_topic, claim, True, "claim the session")
        self._adopt_own()
        info = paho.publish(self._status_topic, b"online", qos=1, retain=True)
        conn.result(info.mid, SYNC_TIMEOUT)
        conn.ready.set()
        self._sender.kick.set()

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
        conn.closed.set()
        conn.answered.set()
        with conn.cond:
            conn.cond.notify_all()
        for event in list(self._syncs.values()):
            event.set()
        for waiter in list(self._waiters.values()):
            waiter[0].set()
        if rc.value == 0x8E:  # session taken over
            self._taken_over = True
            self._sender.release()  # before stopping: the sender lets the outbox go first
            logger.error(
                "agent %r: another process connected with the same agent id (%r) and took the "
                "MQTT session over; this client stops. Run one process per agent name.",
                self.agent_id,
                self.settings.client_id,
            )
            self._stopping.set()
        self._sender.kick.set()

    def _supervise(self) -> None:
        """Reconnect with exponential backoff and jitter while not stopping."""
        delay = BACKOFF_MIN
        while not self._stopping.is_set():
            conn = self._conn
            if conn is not None:
                conn.closed.wait()
                if self._stopping.is_set():
                    return
                conn.paho.loop_stop()
                logger.warning(
                    "agent %r: lost the link to the MQTT broker; reconnecting", self.agent_id
                )
                self._conn = None
                self._sender.lost(conn)
            if self._stopping.wait(delay / 2 + random.uniform(0, delay / 2)):
                return
            if self._is_taken_over_by(self._peek_claim()):
                self._stop_taken_over()
                return
            try:
                self._connect(initial=False)
            except SessionTakenOver:
                return
            except LinkException as exc:
                delay = min(BACKOFF_MAX, delay * 2)
                logger.info(
                    "agent %r: reconnect failed (%s); next try within %.2f s",
                    self.agent_id,
                    exc,
                    delay,
                )
                continue
            except Exception as exc:  # a bug: keep it for whoever asks, keep trying
                self._failure = exc
                logger.exception("agent %r: reconnect failed", self.agent_id)
                delay = min(BACKOFF_MAX, delay * 2)
                continue
            self.reconnects += 1
            delay = BACKOFF_MIN

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
        if levels == 4 and not msg.retain and topic.rsplit("/", 2)[-2] == "feed":
            # a value for a follow of an earlier run, not made again yet: keep it unacked
            self._on_feed(conn, None, msg)
            return
        try:
            if topic == self._reply_topic:
                self._on_reply(bytes(msg.payload))
            elif topic == self._session_topic:
                self._session_owner = Claim.parse(bytes(msg.payload)) if msg.payload else None
            elif levels == 3 and topic.endswith("/meta"):
                self._catalogue.on_meta(topic, bytes(msg.payload))
            elif levels == 2 and topic.endswith("/_status"):
                agent = topic[len(self._root) + 1 : -len("/_status")]
                self._catalogue.online[agent] = msg.payload == b"online"
            elif "/control/" in topic and topic.startswith(self._base + "/"):
                self._on_request(topic, bytes(msg.payload))
            else:
                for prefix, found in list(self._fetches.items()):
                    if topic.startswith(prefix):
                        found.append((topic, bytes(msg.payload)))
        except Exception:
            logger.warning("skipped a bad message on %r: %.120r", topic, msg.payload, exc_info=True)
        if msg.qos:
            conn.paho.ack(msg.mid, msg.qos)

    def _on_feed(self, conn: Conn, route: Route | None, msg: mqtt.MQTTMessage) -> None:
        """A value of a followed feed (network thread): queue it as it came, for the worker
        to decode and deliver (see ``_deliver_feed``); the less done here, the sooner the
        worker, woken by the push, gets to it."""
        item = (msg.topic, msg.payload, conn.paho, msg.mid if msg.qos else 0)
        sink = self._sink
        if route is not None and route.tokens and sink is not None:
            sink.hand_off(route, item)
            return
        with self._lock:  # rare: no follow (yet) for this topic; see subscribe()
            route = self._routes.get(msg.topic)
            if route is not None and route.tokens and sink is not None:
                sink.push(route, item)
                return
            held = route.held if route is not None else self._unrouted.setdefault(msg.topic, [])
            if len(held) < _HELD_LIMIT:
                held.append(item)
            else:
                logger.warning("agent %r: holding too many values of %r", self.agent_id, msg.topic)

    def _deliver_feed(self, route: Route, item: tuple[str, bytes, mqtt.Client, int]) -> None:
        """Decode a queued value, drop it if it is a duplicate, else run the follows'
        callbacks, record it in the ledger and acknowledge it (the client's worker thread)."""
        topic, raw, paho, mid = item
        try:
            payload = from_json(raw)
            sample = decode_sample(payload)
            epoch = payload.get("epoch")
            seq = payload.get("seq")
            if not isinstance(epoch, str) or type(seq) is not int:
                epoch, seq = None, None
        except (ValueError, TypeError, binascii.Error) as exc:
            logger.warning(
                "skipped a value on %r that is not an iotic_app feed payload (%s): %.120r",
                topic,
                exc,
                raw,
            )
            self._delivered(topic, None, None, paho, mid)
            return
        if epoch is not None and seq is not None:
            last = self._seen.get(topic)
            if last is None:
                last = self.outbox.last_seen(topic)
            if last is not None and last[0] == epoch and seq <= last[1]:
                self._delivered(topic, None, None, paho, mid)  # a redelivered duplicate
                return
            self._seen[topic] = (epoch, seq)
        for token in route.tokens:
            token._deliver(sample)
        self._delivered(topic, epoch, seq, paho, mid)

    def _delivered(
        self, topic: str, epoch: str | None, seq: int | None, paho: mqtt.Client, mid: int
    ) -> None:
        if epoch is not None and seq is not None:
            self.outbox.mark_seen(topic, epoch, seq)  # before the ack: see the design note
        if mid:
            conn = self._conn
            if conn is not None and conn.paho is paho:
                paho.ack(mid, 1)

    def _on_reply(self, raw: bytes) -> None:
        payload = json.loads(raw)
        if "sync" in payload:
            event = self._syncs.get(payload["sync"])
            if event is not None:
                event.set()
            return
        waiter = self._waiters.get(payload.get("rid"))
        if waiter is not None and waiter[1] is None:
            result = payload.get("result")
            waiter[1] = (
                True
                if result is True
                else (result if result in ("failed", "unreachable") else "failed")
            )
            waiter[0].set()

    def _on_request(self, topic: str, raw: bytes) -> None:
        point = self._by_control_topic.get(topic)
        if point is None:
            return
        try:
            payload = json.loads(raw)
            if not isinstance(payload, dict) or "data" not in payload:
                raise ValueError("not a JSON object with a 'data' key")
            data, mime, _ = decode_sample({**payload, "time": None})
        except (ValueError, TypeError, binascii.Error) as exc:
            logger.warning("skipped a request on %r (%s): %.120r", topic, exc, raw)
            return
        rid = str(payload.get("rid") or uuid.uuid4().hex)
        confirm = bool(payload.get("confirm")) and isinstance(payload.get("reply"), str)
        reply = payload.get("reply")
        if point.token is None or self._sink is None:
            if confirm:
                self._reply(reply, rid, "unreachable")
            return
        if confirm and isinstance(reply, str):
            self._requests[rid] = reply
            if len(self._requests) > 10_000:
                self._requests.pop(next(iter(self._requests)))
        request = ControlRequest(
            data, mime, str(payload.get("sub") or ""), point.thing.lid, point.pid, rid, confirm
        )
        self._sink.hand_off(point.token, request)

    def _reply(self, topic: Any, rid: str, result: Any) -> None:
        conn = self._conn
        if conn is None or not isinstance(topic, str):
            return
        body = json.dumps({"rid": rid, "result": result}).encode()
        conn.paho.publish(topic, body, qos=1)

    # --- the sender -------------------------------------------------------------------------

    def share(self, point: Any, data: Any, mime: str | None, time: datetime) -> None:
        """Share one sample: into the outbox (on disk when this returns), then to the broker.

        Never fails because the link is down: the value waits in the outbox.
        """
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
                self._sender.load_recent(point)

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
        self._sender.load_recent(point)  # what earlier runs shared (kept in the outbox)
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
                    route.held = self._unrouted.pop(topic, [])
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
            if old is not None:
                self._drop_sub(old, unsubscribe=False)
            sub = Sub(subid, own, kind, guid, route, token)
            own.subs[subid] = sub
            if route is not None:
                held, route.held = route.held, []
                if held and self._sink is not None:
                    for item in held:  # before any newer value (see _on_feed)
                        self._sink.push(route, item)
                route.tokens = (*route.tokens, token)
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
        found: list[tuple[str, bytes]] = []
        self._fetches[topic] = found
        filt = topic + "/#"
        try:
            self._subscribe(conn, filt, 0, retained=True)
            self._sync(conn)
            self._unsubscribe(conn, filt)
        finally:
            self._fetches.pop(topic, None)
        by_topic = dict(found)
        raw_list = by_topic.get(topic + "/recent")
        samples: list[Sample] = []
        if raw_list:
            for item in json.loads(raw_list):
                samples.append(decode_sample(item))
        elif by_topic.get(topic):
            samples.append(decode_sample(json.loads(by_topic[topic])))
        return samples[-count:]

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
        topic = self._requests.pop(request_id, None)
        if topic is not None:
            self._reply(topic, request_id, True if success else "failed")

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
