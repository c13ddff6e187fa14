"""Making the agent's connection and keeping it: connect, bring up, reconnect, shut down."""

from __future__ import annotations

import functools
import logging
import ssl
import threading
from collections.abc import Callable

import attrs
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode

from iotic_app.exceptions import IOTAccessDenied, LinkException, SessionTakenOver
from iotic_app.retry import Backoff
from iotic_app.transports._protocol import Sink
from iotic_app.transports.mqtt._catalogue import Catalogue
from iotic_app.transports.mqtt._conn import WINDOW, Conn, tls_hint, too_many_files
from iotic_app.transports.mqtt._delivery import Deliverer
from iotic_app.transports.mqtt._directory import Directory
from iotic_app.transports.mqtt._engine import MQTTV5, FdLimit, Message, new_engine
from iotic_app.transports.mqtt._follows import Follows
from iotic_app.transports.mqtt._link import Link
from iotic_app.transports.mqtt._names import Names
from iotic_app.transports.mqtt._probe import NOT_V5, not_v5_error, speaks_311
from iotic_app.transports.mqtt._sender import Sender
from iotic_app.transports.mqtt._session import Session
from iotic_app.transports.mqtt._thingdoc import WIRE_VERSION, encode_wire
from iotic_app.transports.mqtt._things import Things

__all__ = ["RECONNECT", "SESSION_EXPIRY", "START_RETRY", "Supervisor"]

logger = logging.getLogger("iotic_app.mqtt")

SESSION_EXPIRY = 7 * 24 * 3600
# The waits before each reconnect: 25-50 ms first, doubling to at most 0.5 s, so a returning
# broker is used again within about half a second (the runner's retry policies, on the link).
RECONNECT = Backoff(initial=0.025, maximum=0.5, multiplier=2, jitter=0.025)
START_RETRY = attrs.evolve(RECONNECT, max_attempts=3)  # pushed off while starting: a few tries


_V311_CONNACK = {
    1: "unacceptable protocol version",
    2: "identifier rejected",
    3: "server unavailable",
    4: "bad user name or password",
    5: "not authorized",
}


def connack_reason(code: int, v5: bool) -> str:
    """The name of CONNACK code *code* (MQTT 5's reason codes, or MQTT 3.1.1's return codes;
    an unknown one by its number)."""
    if not v5 and code in _V311_CONNACK:
        return f"{_V311_CONNACK[code]} ({code})"
    try:
        return str(ReasonCode(PacketTypes.CONNACK, identifier=code))
    except ValueError:  # not a CONNACK code of MQTT 5
        return f"reason code {code}"


class _Events:
    """One connection's engine events, for the supervisor and the router (see _engine.py)."""

    __slots__ = ("on_ack", "on_closed", "on_connack", "on_message")

    def __init__(self, supervisor: Supervisor, conn: Conn) -> None:
        self.on_connack = functools.partial(supervisor.on_connack, conn)
        self.on_closed = functools.partial(supervisor.on_closed, conn)
        self.on_message = functools.partial(supervisor.route, conn)
        self.on_ack = functools.partial(supervisor.on_ack, conn)


class Supervisor:
    """The agent's connection from first CONNECT to the last DISCONNECT: each attempt is
    brought into service (subscriptions, catalogue, claim, outbox) or closed again, and a
    thread reconnects while not stopping (see the package's design note)."""

    def __init__(
        self,
        names: Names,
        stopping: threading.Event,
        link: Link,
        session: Session,
        sender: Sender,
        catalogue: Catalogue,
        things: Things,
        deliverer: Deliverer,
        follows: Follows,
        on_message: Callable[[Conn, Message], None],
    ) -> None:
        """Connect nothing until :meth:`come_up`; *on_message* routes what comes in."""
        self._names = names
        self._stopping = stopping
        self._link = link
        self._session = session
        self._sender = sender
        self._catalogue = catalogue
        self._things = things
        self._deliverer = deliverer
        self._follows = follows
        #: Routes what comes in on a connection (the router's ``on_message``).
        self.route = on_message
        #: Where acknowledgements go (the sender's ``on_ack``).
        self.on_ack = sender.on_ack
        #: Where a takeover is reported (set at start).
        self.sink: Sink | None = None
        self._thread: threading.Thread | None = None
        self._attempt: Conn | None = None  # the connection being made (stop() wakes it)
        self._status_lock = threading.Lock()  # "online" and "offline" go out in order
        self._last_connack: int | None = None
        #: Search's directories: their filters are subscribed at bring-up (set by the transport).
        self.directory: Directory | None = None
        #: Reconnects that brought the link back into service (for tests and diagnostics).
        self.reconnects = 0
        #: Moves to the next broker of the list (for tests and diagnostics).
        self.failovers = 0
        self._moved = False  # moved since the last bring-up (see Conn.catch_up)
        self._pushed_off = False  # the last attempt's connection was closed by the broker

    @property
    def running(self) -> bool:
        """Whether the reconnecting thread was started (and :meth:`stop` has not ended it)."""
        return self._thread is not None

    def come_up(self) -> None:
        """Claim the session, connect and bring the connection into service, trying again
        a few times when pushed off; then start the thread that reconnects.

        Raises:
            LinkException: no connection could be brought into service.
        """
        failures = 0
        refused: list[LinkException] = []  # by each broker of the list in turn
        while True:
            self._pushed_off = False
            try:
                self._session.claim_first()  # on the broker tried (a silent one: the next)
                self._connect(initial=True)
                break
            except SessionTakenOver:
                raise
            except LinkException as exc:
                if self._pushed_off:
                    # pushed off while coming up (the process we take over reconnected
                    # before it saw our claim): try again soon, a few times
                    failures += 1
                    delay = START_RETRY.delay(failures, 0.0)
                    if delay is None or self._stopping.wait(delay):
                        raise
                    continue
                refused.append(exc)
                if len(refused) >= len(self._names.settings.addresses):
                    raise self._none_usable(refused) from exc
                if self._stopping.is_set():
                    raise
                self._fail_over(self._unprefixed(exc))

    def _none_usable(self, refused: list[LinkException]) -> LinkException:
        """The error of a start on which no broker of the list could be used."""
        if len(refused) == 1:
            return refused[0]
        each = "; ".join(self._unprefixed(exc) for exc in refused)
        return type(refused[-1])(
            f"agent {self._names.agent_id!r}: none of its {len(refused)} MQTT brokers could be "
            f"used: {each}"
        )

    def _unprefixed(self, exc: BaseException) -> str:
        """*exc*'s message without the ``agent 'NAME': `` it begins with."""
        return str(exc).removeprefix(f"agent {self._names.agent_id!r}: ")

    def _fail_over(self, why: str) -> None:
        """Move on to the next broker of the agent's list (a lost link or a failed attempt);
        nothing when it has one broker. The outbox, follows, controls and claim are the
        agent's, not the broker's: the next bring-up restores them there."""
        names = self._names
        if len(names.settings.addresses) < 2:
            return
        was = names.settings.where
        names.settings = names.settings.next_broker()
        self.failovers += 1
        self._moved = True
        logger.warning(
            "agent %r: broker %s: %s; trying the next broker, %s",
            names.agent_id,
            was,
            why,
            names.settings.where,
        )

    def start_thread(self) -> None:
        """Start the thread that reconnects."""
        self._thread = threading.Thread(
            target=self._supervise, name=f"iotic_app-mqtt-{self._names.agent_id}", daemon=True
        )
        self._thread.start()

    def wake_attempts(self) -> None:
        """End the waits of a connection attempt in progress (stop() was asked)."""
        self._session.wake()
        attempt = self._attempt
        if attempt is not None:
            self._link.wake(attempt)

    def end_thread(self) -> Conn | None:
        """Close the connection in service and wait for the thread (never the calling one;
        stop() was asked: ``stopping`` is set).

        Returns:
            The connection it closed, for :meth:`close_rest`.
        """
        conn = self._link.conn
        if conn is not None:
            self.close_conn(conn, offline=True)
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(self._names.settings.connect_timeout + 1)  # a blocking TCP/TLS connect
        return conn

    def close_rest(self, closed: Conn | None) -> None:
        """Close what the thread made since :meth:`end_thread` closed *closed*; none in service."""
        self._thread = None
        for made in {self._link.conn, self._attempt} - {None, closed}:
            assert made is not None
            self.close_conn(made, offline=True)  # what the thread made meanwhile
        self._link.serve(None)

    def close_conn(self, conn: Conn, offline: bool) -> None:
        """Say "offline" (when *offline* and the connection is up), disconnect, stop its
        network thread and close its socket; wakes whatever waits on *conn*."""
        engine = conn.engine
        with conn.closing:
            if offline and conn.connack == 0 and engine.is_connected():
                try:
                    with self._status_lock:
                        mid = engine.publish(self._names.status, b"offline", 1, True)
                    if mid is not None:
                        conn.result(mid, 1.0)
                    self._sender.lost(conn)  # the PUBACKs that came in so far
                except (OSError, ValueError, RuntimeError):  # pragma: no cover - link just went
                    pass
            engine.disconnect()
            self._link.wake(conn)
            engine.close()

    def _stop_taken_over(self) -> None:
        """Another process took the session over: stop for good, say so, report it."""
        if not self._session.mark_taken_over():
            return
        self._sender.release()  # before stopping: the sender lets the outbox go first
        self._stopping.set()
        self._sender.kick.set()
        logger.error(
            "agent %r: another process connected with the same agent id (%r) and took the "
            "MQTT session over; this client stops. Run one process per agent name.",
            self._names.agent_id,
            self._names.settings.client_id,
        )
        if self.sink is not None:
            self.sink.fail(self._session.error())

    def _connect(self, initial: bool) -> None:
        """Make one connection and bring it into service; raise LinkException on failure.

        Every wait in here ends when stop() is asked (it wakes ``_attempt``); what this made is
        closed again on any failure.
        """
        names = self._names
        agent_id = names.agent_id
        s = names.settings
        conn = Conn(
            lambda c: new_engine(
                s,
                s.client_id,
                _Events(self, c),
                will=names.status,
                persistent=True,
                session_expiry=SESSION_EXPIRY,
            )
        )
        engine = conn.engine
        where = s.where
        self._last_connack = None
        self._attempt = conn
        try:
            if self._stopping.is_set() and not initial:
                raise LinkException(f"agent {agent_id!r}: stopped while connecting")
            try:
                engine.connect()
            except FdLimit as exc:
                raise LinkException(too_many_files(agent_id, exc.fd)) from None
            except ssl.SSLError as exc:
                raise LinkException(
                    f"agent {agent_id!r}: TLS handshake with {where} failed: {exc}"
                    f"{tls_hint(str(exc), where, s.cert_file is not None)}"
                ) from None
            except OSError as exc:
                hint = ""
                if s.tls and isinstance(exc, ConnectionResetError):
                    hint = tls_hint("reset", where, s.cert_file is not None)
                raise LinkException(
                    f"agent {agent_id!r}: cannot connect to the MQTT broker at {where}: {exc}{hint}"
                ) from exc
            answered = conn.answered.wait(s.connect_timeout)
            if self._stopping.is_set() and not initial:
                raise LinkException(f"agent {agent_id!r}: stopped while connecting")
            if not answered:
                raise LinkException(
                    f"agent {agent_id!r}: no answer from the MQTT broker at {where} within "
                    f"{s.connect_timeout:g} s"
                )
            v5 = s.protocol == MQTTV5
            if conn.connack is None:
                if v5 and speaks_311(s, self._stopping):
                    how = "it closed the connection on an MQTT 5 CONNECT, and answers 3.1.1's"
                    raise LinkException(not_v5_error(agent_id, where, how))
                raise LinkException(self._closed_unanswered(where, engine.error()))
            if v5 and conn.connack in NOT_V5:
                how = f"it answered CONNECT with 'unsupported protocol version' ({conn.connack})"
                raise LinkException(not_v5_error(agent_id, where, how))
            if conn.connack:
                reason = connack_reason(conn.connack, v5)
                hint = ""
                if conn.connack in (0x86, 0x87, 4, 5):
                    hint = " (check the user name and password or certificate in the config)"
                raise LinkException(
                    f"agent {agent_id!r}: the MQTT broker at {where} refused the "
                    f"connection: {reason}{hint}"
                )
            self._bring_up(conn, initial)
        except BaseException:
            # accepted, then closed by the broker while coming up: pushed off (by the process
            # this one takes over), not a broker to move on from
            self._pushed_off = conn.connack == 0 and conn.closed.is_set()
            if self._link.conn is conn:
                self._link.serve(None)
                self._sender.lost(conn)
            self.close_conn(conn, offline=self._stopping.is_set())
            raise
        finally:
            self._attempt = None

    def _closed_unanswered(self, where: str, last_error: str | None) -> str:
        """What to say when the broker closed the link before its CONNACK."""
        error = f" ({last_error})" if last_error else ""
        if self._names.settings.tls:
            hint = (
                ": it may require a client certificate, or have refused this one (check "
                "cert_file and key_file, and that the broker trusts the CA that signed them)"
            )
        else:
            hint = f": if {where} is a TLS listener, use mqtts:// (and ca_file)"
        return (
            f"agent {self._names.agent_id!r}: the MQTT broker at {where} closed the connection "
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
        names, link, session = self._names, self._link, self._session
        claim = session.claim_payload()
        pending: list[tuple[int, str]] = []  # (mid, what): checked once the sync came back
        if initial:  # claim at once, so that a process we take over from sees it
            pending.append(link.publish_async(conn, names.session, claim, "claim"))
        session.owner = None
        self._catalogue.clear()
        v5 = names.settings.protocol == MQTTV5
        # MQTT 3.1.1: the reply topic (sync markers) at QoS 0 like the catalogue's filters, so
        # that a marker comes after what it syncs on brokers that queue a session's QoS 0 and
        # QoS 1 subscriptions apart (RabbitMQ); a tell's confirmation then is not kept while
        # this client is away
        reply_qos = 1 if v5 else 0
        filters: list[tuple[str, int, bool]] = [
            (names.session, 0, True),
            (names.reply, reply_qos, True),
        ]
        filters += self._catalogue.filters()  # the agent's and its owner's things, looked-up ones
        filters += self._follows.coming_up()
        filters += self.directory.filters() if self.directory is not None else []
        filters += self._things.control_filters()
        # moved to a broker without the agent's session (an independent one, not another node
        # of a cluster that carries sessions over): what was shared there before the follows
        # arrived is not queued for them
        conn.catch_up = self._moved and not conn.engine.session_present()
        filters += self._deliverer.filters(v5, conn.catch_up)
        self._sender.replay()
        link.serve(conn)
        pending += link.subscribe_async(conn, filters)
        if names.owner != names.agent_id:  # before the sync: its copy comes back first
            what = f"join owner {names.owner!r} ({names.member!r})"
            pending.append(link.publish_async(conn, names.member, b'"member"', what))
        link.sync(conn)
        for mid, what in pending:
            link.check(conn, mid, what)
        self._check_wire(conn)
        # what came asks for more: the owner's members' things, the followers' things (their
        # records are counted against them), memberships the kept follows' topics need
        pending = self._catalogue.subscribe_now(conn, self._follows.wanted())
        for _ in range(3):  # each round's documents may ask for their owner's membership
            if not (self._catalogue.take_fresh() or pending):
                break
            link.sync(conn)
            for mid, what in pending:
                link.check(conn, mid, what)
            pending = []
        member = (names.owner, names.agent_id)
        if names.owner != names.agent_id and member not in self._catalogue.members:
            # MQTT 3.1.1: a denied publish is acknowledged and dropped, so it never comes back;
            # RabbitMQ may send the kept copy after the first sync's marker: one more sync
            link.sync(conn)
        if names.owner != names.agent_id and member not in self._catalogue.members:
            raise IOTAccessDenied(
                f"agent {names.agent_id!r}: the broker did not keep join owner {names.owner!r} "
                f"({names.member!r}): its ACL does not grant it; see the broker's ACL"
            )
        if not initial and session.is_taken_over_by(session.owner):
            self._stop_taken_over()
            raise session.error()
        pending = []
        if not initial:
            pending.append(link.publish_async(conn, names.session, claim, "claim"))
        self._things.adopt_own()
        lost = self._things.republish_lost(conn)  # a broker restarted without persistence
        pending += lost
        pending += self._follows.came_up(conn, tell=not initial and not lost)
        with self._status_lock:  # never "online" after stop() said "offline"
            if self._stopping.is_set():
                raise LinkException(f"agent {names.agent_id!r}: stopped while connecting")
            pending.append(link.publish_async(conn, names.status, b"online", "online"))
        for mid, what in pending:
            link.check(conn, mid, what)
        conn.ready.set()
        self._moved = False
        self._sender.kick.set()

    def _check_wire(self, conn: Conn) -> None:
        """The space's wire version (the retained ``ROOT/_wire``, which came before the sync):
        this agent's, or none yet (then this agent publishes its own, when the broker lets
        it: with the ACL template only the administrator does); another raises.

        Raises:
            LinkException: the space speaks another wire version.
        """
        catalogue, names = self._catalogue, self._names
        if catalogue.wire is None:
            body = encode_wire()
            mid, what = self._link.publish_async(conn, catalogue.wire_topic, body, "wire version")
            try:
                self._link.check(conn, mid, what)
            except IOTAccessDenied:
                logger.info(
                    "agent %r: the broker does not let it publish the wire version on %r "
                    "(the ACL template leaves that to the administrator)",
                    names.agent_id,
                    catalogue.wire_topic,
                )
            return
        if catalogue.wire != WIRE_VERSION:
            raise LinkException(
                f"agent {names.agent_id!r}: the space on {names.settings.where} "
                f"(root {names.root!r}) speaks iotic_app wire version "
                f"{catalogue.wire} ({catalogue.wire_topic!r}), this agent speaks version "
                f"{WIRE_VERSION}: run agents of one wire version on one root (upgrade the "
                "older ones), or give this agent another root"
            )

    def on_connack(self, conn: Conn, code: int, receive_max: int | None) -> None:
        """The CONNACK of *conn* (its engine's thread)."""
        conn.connack = code
        self._last_connack = code
        conn.answered.set()
        if code == 0:
            if receive_max is not None:
                conn.receive_max = min(WINDOW, receive_max)
            conn.connected.set()
        else:
            conn.closed.set()

    def on_closed(self, conn: Conn, reason: int | None) -> None:
        """*conn* ended (its engine's thread): wake its waits, and say why when it matters."""
        conn.disconnect_reason = reason
        self._link.wake(conn)
        if reason == 0x8E:
            # Someone connected with this client id: another process of this agent, or a
            # foreign CONNECT. Only a newer claim on the session topic (which under the ACL
            # only the agent's own user may write) makes it a takeover: the supervisor reads
            # the claim before reconnecting and stops only if it is another process's.
            logger.warning(
                "agent %r: the broker closed the session because another connection used the "
                "client id %r; reading the session claim before reconnecting",
                self._names.agent_id,
                self._names.settings.client_id,
            )
        self._sender.kick.set()

    def _supervise(self) -> None:
        """Reconnect, waiting as ``RECONNECT`` says between tries, while not stopping."""
        agent_id = self._names.agent_id
        failures = 0  # in a row; losing the link counts as one
        while not self._stopping.is_set():
            conn = self._link.conn
            if conn is not None:
                conn.closed.wait()
                if self._stopping.is_set():
                    return
                logger.warning(
                    "agent %r: lost the link to the MQTT broker at %s; reconnecting",
                    agent_id,
                    self._names.settings.where,
                )
                self._link.serve(None)
                self._sender.lost(conn)
                self.close_conn(conn, offline=False)
                failures = 1  # the same broker first: it may be this link only that broke
            delay = RECONNECT.delay(max(failures, 1), 0.0)
            if self._stopping.wait(RECONNECT.maximum if delay is None else delay):
                return
            try:
                if self._session.is_taken_over_by(self._session.peek_claim()):
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
                    logger.info("agent %r: reconnect failed (%s)", agent_id, exc)
                    self._fail_over("reconnect failed")
                else:  # a bug: keep it for whoever asks, keep trying
                    self._link.keep_failure(exc)
                    logger.exception("agent %r: reconnect failed", agent_id)
                continue
            self.reconnects += 1
            failures = 0
