"""The MQTT engine seam: what the transport needs of an MQTT client library, and nothing more."""

# Design note
# -----------
# The transport speaks MQTT through one small interface, so that the client library under it
# (the *engine*) is chosen by measurement: iotic_app's own (``_builtin_engine.py``, stdlib only,
# MQTT 5 and 3.1.1, the default) or paho-mqtt (``_paho_engine.py``, ``engine = paho``). AWS's C
# runtime (awscrt) was built behind this seam too and measured: half the builtin engine's
# throughput, and it cannot ask for immediate ACKs (stock Mosquitto's 44 ms stalls), so it was
# left out (docs/mqtt.md, "Engines").
#
# An engine is made for one connection and thrown away when it closes: it never reconnects on
# its own, never resends anything on a new connection (the outbox decides that), and never
# acknowledges a QoS 1 message by itself: the transport calls ``ack(message)`` once what the
# message asked for is done (manual PUBACK), on the connection it came in on.
#
# An engine reports to its ``EngineEvents`` on its own network thread, in the order things came
# from the broker; those calls must not block for long and never reach user code.
#
# Every request (publish at QoS 1, subscribe, unsubscribe) gets a packet id (``mid``) at once;
# its answer comes as ``on_ack(mid, code)`` with the broker's reason code (for a SUBACK the
# highest of its codes), before or after the call returned. A QoS 0 publish gets no answer.
# A request made while the connection is down returns None and is not sent.

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    import socket

    from iotic_app.transports.mqtt._settings import MqttSettings

__all__ = [
    "ENGINES",
    "MQTTV5",
    "MQTTV311",
    "Engine",
    "EngineEvents",
    "FdLimit",
    "Message",
    "engine_name",
    "new_engine",
]

MQTTV311 = 4  # the protocol level of MQTT 3.1.1, as in CONNECT
MQTTV5 = 5
ENGINES = ("auto", "builtin", "paho")

EngineName = Literal["builtin", "paho"]


class Message(Protocol):
    """A PUBLISH that came from the broker, as the transport reads it."""

    @property
    def topic(self) -> str: ...

    @property
    def payload(self) -> bytes | bytearray: ...

    @property
    def qos(self) -> int: ...

    @property
    def retain(self) -> bool: ...


class EngineEvents(Protocol):
    """What an engine reports, on its network thread."""

    def on_connack(self, code: int, receive_max: int | None) -> None:
        """The broker's CONNACK: its reason code (0: accepted) and its receive maximum."""

    def on_closed(self, reason: int | None) -> None:
        """The connection ended: the reason code of the broker's DISCONNECT, or None."""

    def on_message(self, message: Message) -> None:
        """A PUBLISH came (QoS 1: acknowledge it with ``Engine.ack`` when done)."""

    def on_ack(self, mid: int, code: int) -> None:
        """The broker answered request *mid* with reason code *code*."""


class Engine(Protocol):
    """One MQTT connection, made by :func:`new_engine` (see the design note)."""

    name: str

    def connect(self) -> None:
        """Open the connection and send CONNECT; the CONNACK comes as ``on_connack``.

        Raises:
            ssl.SSLError: the TLS handshake failed.
            OSError: the broker could not be reached (refused, unreachable, timed out).
        """

    def publish(self, topic: str, payload: bytes, qos: int, retain: bool) -> int | None:
        """Send a PUBLISH; returns its mid (QoS 0: 0), or None when the connection is down."""

    def subscribe(self, filters: Sequence[tuple[str, int, bool]]) -> int | None:
        """Send one SUBSCRIBE for ``(filter, qos, retained)`` items (*retained*: send the
        retained copies; MQTT 3.1.1 always does); returns its mid, or None (down)."""

    def unsubscribe(self, topics: Sequence[str]) -> int | None:
        """Send one UNSUBSCRIBE; returns its mid, or None (down)."""

    def ack(self, message: Message) -> None:
        """Acknowledge a QoS 1 *message* that came on this connection (nothing when down)."""

    def session_present(self) -> bool:
        """Whether the broker's CONNACK said it had the client's session (MQTT's flag)."""

    def max_packet_size(self) -> int | None:
        """The broker's Maximum Packet Size (MQTT 5, its CONNACK), or None when it set none."""

    def corked(self) -> AbstractContextManager[None]:
        """A context in which writes may be held and sent together at its end (a burst of
        publishes); engines that cannot hold writes send each at once."""

    def is_connected(self) -> bool:
        """Whether the connection is up (CONNACK accepted, not closed since)."""

    def disconnect(self) -> None:
        """Send DISCONNECT (normal: the will is not published) and let the connection end."""

    def close(self) -> None:
        """Stop the network thread and close the socket (idempotent; not from that thread)."""

    def socket(self) -> socket.socket | None:
        """The connection's socket, when the engine exposes one (tests cut it)."""

    def error(self) -> str | None:
        """The last connection error the engine saw before a CONNACK, for a message."""


class FdLimit(OSError):
    """The connection got a file descriptor its engine cannot wait on (paho's select())."""

    def __init__(self, fd: int) -> None:
        super().__init__(f"file descriptor {fd} is beyond select()'s limit")
        self.fd = fd


def engine_name(settings: MqttSettings) -> EngineName:
    """The engine *settings* ask for, ``auto`` resolved (the builtin engine)."""
    return "paho" if settings.engine == "paho" else "builtin"


def new_engine(
    settings: MqttSettings,
    client_id: str,
    events: EngineEvents,
    *,
    will: str | None = None,
    persistent: bool = True,
    session_expiry: int = 0,
) -> Engine:
    """A new, unconnected engine for *settings*, connecting as *client_id*.

    Args:
        settings: The agent's connection settings (host, TLS, credentials, protocol, engine).
        client_id: The MQTT client id.
        events: Where the engine reports.
        will: A topic for the will ("offline", QoS 1, retained), or None for no will.
        persistent: Keep the broker's session (MQTT 5: clean start off and *session_expiry*
            seconds; MQTT 3.1.1: clean session off); otherwise a clean, expiring session.
        session_expiry: MQTT 5's session expiry interval for a *persistent* session.
    """
    chosen = engine_name(settings)
    if chosen == "builtin":
        from iotic_app.transports.mqtt._builtin_engine import BuiltinEngine

        return BuiltinEngine(
            settings,
            client_id,
            events,
            will=will,
            persistent=persistent,
            session_expiry=session_expiry,
        )
    from iotic_app.transports.mqtt._paho_engine import PahoEngine

    return PahoEngine(
        settings,
        client_id,
        events,
        will=will,
        persistent=persistent,
        session_expiry=session_expiry,
    )
