"""The agent's claim on its MQTT session, read and made on short-lived side connections."""

from __future__ import annotations

import json
import os
import threading
import uuid

from iotic_app.exceptions import LinkException, SessionTakenOver
from iotic_app.transports.mqtt._conn import Claim, too_many_files
from iotic_app.transports.mqtt._engine import Engine, FdLimit, Message, new_engine
from iotic_app.transports.mqtt._names import Names
from iotic_app.transports.mqtt._thingdoc import seg

__all__ = ["Session", "dots_rewritten", "taken_over_error"]


def dots_rewritten(agent_id: str, where: str, topic: str, rewritten: bool) -> str:
    """What to say when the broker sent *topic* back with its '.' made '/' (*rewritten*), or
    closed the connection when it was subscribed to."""
    if rewritten:
        what = (
            f"rewrites '.' in topic names to '/' ({topic!r} came back as "
            f"{topic.replace('.', '/')!r}; RabbitMQ's MQTT plugin does this)"
        )
    else:
        what = (
            f"closed the connection on a subscription to {topic!r}: it does not take '.' in "
            "topic names (NATS server does not)"
        )
    return (
        f"agent {agent_id!r}: the MQTT broker at {where} {what}: an agent id, root, lid "
        "or pid with '.' cannot work there; name them with letters, digits, '_' and '-' only"
    )


def taken_over_error(agent_id: str, detail: str = "") -> SessionTakenOver:
    """The error of a client of *agent_id* whose session another process took over (*detail*
    says what went with it)."""
    return SessionTakenOver(
        f"agent {agent_id!r}: another process took this MQTT session over{detail}; "
        "run one process per agent name"
    )


class Session:
    """This process's claim on the agent's session: it claims the session before connecting,
    reads the claim there is before reconnecting, and knows when another process took over."""

    def __init__(self, names: Names, stopping: threading.Event) -> None:
        """Start unclaimed; *stopping* ends every wait of a side connection."""
        self._names = names
        self._stopping = stopping
        self._instance = uuid.uuid4().hex  # this process's claim on the agent's session
        # Claims count up: a takeover claims one more than the claim it found, so a claim
        # that a broker restarted from an older snapshot brings back is told apart as stale.
        self._generation = 0
        #: The claim the agent's own connection read last (its subscription to the topic).
        self.owner: Claim | None = None
        self._lock = threading.Lock()
        self.taken_over = False
        self._side_waits: set[threading.Event] = set()

    def claim_payload(self) -> bytes:
        """This process's claim, as published on the session topic."""
        claim = {"instance": self._instance, "generation": self._generation, "pid": os.getpid()}
        return json.dumps(claim).encode()

    def is_taken_over_by(self, claim: Claim | None) -> bool:
        """Whether *claim* is another process's newer claim (an older one is stale)."""
        if claim is None or claim.instance == self._instance:
            return False
        return (claim.generation, claim.instance) > (self._generation, self._instance)

    def mark_taken_over(self) -> bool:
        """Note that another process took the session over; False when that was noted before."""
        with self._lock:
            if self.taken_over:
                return False
            self.taken_over = True
            return True

    def error(self) -> SessionTakenOver:
        """The error that calls get once the session was taken over."""
        return taken_over_error(self._names.agent_id)

    def check(self) -> None:
        """Raise ``SessionTakenOver`` when another process took the session over."""
        if self.taken_over:
            raise self.error()

    def wake(self) -> None:
        """End the waits of side connections (stop() was asked)."""
        for event in list(self._side_waits):
            event.set()

    def claim_first(self) -> None:
        """Claim the agent's session on a connection of its own, before the session's.

        Connecting with the agent's client id pushes off a process that holds the session; when
        that one reconnects it finds this claim and stops (see ``Supervisor._bring_up``).
        Claiming first means it finds the claim even when this process is slow to come up.
        """
        self.peek_claim(claim=True)

    def peek_claim(self, claim: bool = False) -> Claim | None:
        """Read the session claim on a connection of its own (not as the agent, so reading it
        pushes nobody off); with *claim*, then claim the session there (one generation more).

        Returns:
            The claim the broker had; None when there is none or the broker cannot be reached.

        Raises:
            LinkException: with *claim*, the broker did not answer within the connect timeout
                (or stop() was asked meanwhile).
        """
        names = self._names
        s = names.settings
        session_topic = names.session
        cid = f"{s.client_id}~{'claim' if claim else 'peek'}-{uuid.uuid4().hex[:8]}"
        marker_topic = f"{names.root}/_reply/{seg(cid)}"
        side = _Side(session_topic, marker_topic)
        engine = new_engine(s, cid, side, persistent=False)
        side.engine = engine
        if not self._open_side(engine):
            return None  # with claim: the agent's connection says what is wrong, in full
        try:
            read = self._side_wait(side.read, s.connect_timeout)
            if side.rewritten or side.dots_refused:
                raise LinkException(
                    dots_rewritten(names.agent_id, s.where, marker_topic, side.rewritten)
                )
            if not read:
                if self._stopping.is_set():
                    raise LinkException(f"agent {names.agent_id!r}: stopped while connecting")
                raise LinkException(
                    f"agent {names.agent_id!r}: no answer from the MQTT broker at "
                    f"{s.where} within {s.connect_timeout:g} s"
                )
            current = side.found[-1] if side.found else None
            if claim and side.answers == [0]:  # the broker answers: claim one more than there is
                self._generation = 1 if current is None else current.generation + 1
                engine.publish(session_topic, self.claim_payload(), 1, True)
                self._side_wait(side.claimed, s.connect_timeout)
        finally:
            engine.close()
        return current

    def _open_side(self, engine: Engine) -> bool:
        """Connect a short-lived side connection (a clean session).

        Returns:
            False when the broker cannot be reached (the agent's own connection says why).
        """
        try:
            engine.connect()
        except FdLimit as exc:
            raise LinkException(too_many_files(self._names.agent_id, exc.fd)) from None
        except OSError:  # ssl.SSLError included
            return False
        return True

    def _side_wait(self, done: threading.Event, timeout: float) -> bool:
        """Wait for a side connection's *done* (stop() ends the wait); True when it came."""
        self._side_waits.add(done)
        try:
            if self._stopping.is_set():
                return False
            return done.wait(timeout) and not self._stopping.is_set()
        finally:
            self._side_waits.discard(done)


class _Side:
    """A side connection's events: it reads the claim there is, then says when the marker it
    sent after subscribing came back (everything retained came before it)."""

    def __init__(self, session_topic: str, marker_topic: str) -> None:
        self.session_topic = session_topic
        self.marker_topic = marker_topic
        self.engine: Engine | None = None
        self.read = threading.Event()  # the claim there is was read (or the link dropped)
        self.claimed = threading.Event()  # our claim's PUBACK (or the link dropped)
        self.found: list[Claim] = []
        self.answers: list[int] = []
        self.rewritten = False  # the marker came back with its '.' made '/'
        self.dots_refused = False  # accepted, then closed before the marker: '.' refused?

    def on_connack(self, code: int, receive_max: int | None) -> None:
        self.answers.append(code)
        engine = self.engine
        if code or engine is None:
            self.read.set()
            return
        engine.subscribe([(self.session_topic, 0, True), (self.marker_topic, 0, True)])
        engine.publish(self.marker_topic, b"peek", 0, False)

    def on_closed(self, reason: int | None) -> None:
        if self.answers == [0] and not self.read.is_set() and "." in self.marker_topic:
            self.dots_refused = True
        self.read.set()
        self.claimed.set()

    def on_message(self, message: Message) -> None:
        if message.topic == self.session_topic and message.payload and not self.read.is_set():
            current = Claim.parse(bytes(message.payload))
            if current is not None:
                self.found.append(current)
        elif message.topic == self.marker_topic:
            self.read.set()
        elif "." in self.marker_topic and message.topic == self.marker_topic.replace(".", "/"):
            self.rewritten = True
            self.read.set()

    def on_ack(self, mid: int, code: int) -> None:
        if self.read.is_set():  # the SUBACK comes before the marker; the claim's PUBACK after
            self.claimed.set()
