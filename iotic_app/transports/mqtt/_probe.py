"""Whether a broker that refused an MQTT 5 CONNECT speaks MQTT 3.1.1, and what to say then."""

from __future__ import annotations

import threading
import uuid

import attrs

from iotic_app.transports.mqtt._engine import MQTTV311, Message, new_engine
from iotic_app.transports.mqtt._settings import MqttSettings

__all__ = ["NOT_V5", "not_v5_error", "speaks_311"]

# CONNACK codes that say "not this protocol version": MQTT 3.1.1's 1 ("unacceptable protocol
# level", sent in 3.1.1's form, as NATS server does) and MQTT 5's 0x84.
NOT_V5 = (1, 0x84)


def not_v5_error(agent_id: str, where: str, how: str) -> str:
    """What to say when the broker at *where* does not speak MQTT 5 (*how* it showed that)."""
    return (
        f"agent {agent_id!r}: the MQTT broker at {where} does not speak MQTT 5 ({how}); "
        "it speaks MQTT 3.1.1: add protocol=3.1.1 to the URL "
        f"(mqtt://{where}?agent={agent_id}&protocol=3.1.1) or 'protocol = 3.1.1' to the "
        "config file (docs/mqtt.md: what MQTT 3.1.1 cannot do)"
    )


class _Answer:
    """A probe's events: the CONNACK's code, or None when the link closed first."""

    def __init__(self) -> None:
        self.code: int | None = None
        self.done = threading.Event()

    def on_connack(self, code: int, receive_max: int | None) -> None:
        self.code = code
        self.done.set()

    def on_closed(self, reason: int | None) -> None:
        self.done.set()

    def on_message(self, message: Message) -> None:
        pass

    def on_ack(self, mid: int, code: int) -> None:
        pass


def speaks_311(settings: MqttSettings, stopping: threading.Event) -> bool:
    """Whether the broker of *settings* answers an MQTT 3.1.1 CONNECT (on a connection of its
    own, with a clean session and a client id of its own): asked once an MQTT 5 CONNECT was
    closed unanswered, which is how some brokers (RabbitMQ before 3.13) refuse MQTT 5.

    Any CONNACK counts (a refused user name is still MQTT 3.1.1's answer); *stopping* set, a
    broker that cannot be reached or one that does not answer within the connect timeout is
    no.
    """
    s = attrs.evolve(settings, protocol=MQTTV311)
    answer = _Answer()
    engine = new_engine(s, f"{s.client_id}~probe-{uuid.uuid4().hex[:8]}", answer, persistent=False)
    try:
        engine.connect()
    except OSError:
        return False
    try:
        deadline = s.connect_timeout
        while not answer.done.wait(min(deadline, 0.05)):  # stop() ends the wait within 50 ms
            deadline -= 0.05
            if deadline <= 0 or stopping.is_set():
                return False
        return answer.code is not None
    finally:
        engine.disconnect()
        engine.close()
