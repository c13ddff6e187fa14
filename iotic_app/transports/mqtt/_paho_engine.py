"""The paho-mqtt engine: one connection on a paho client (the default engine; see _engine.py)."""

from __future__ import annotations

import contextlib
import socket
import ssl
import sys
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from iotic_app.transports.mqtt._engine import MQTTV5, EngineEvents, FdLimit, Message

if TYPE_CHECKING:
    from iotic_app.transports.mqtt._settings import MqttSettings

__all__ = ["PahoEngine", "close_side", "close_sockets_of", "new_paho", "quick_ack"]

# paho-mqtt's network loop waits in select(), which takes descriptors below FD_SETSIZE only
# (1024 on Linux and macOS; Windows limits their count instead): a socket beyond it makes the
# loop give up at once, which looked like a broker that never answers.
SELECT_LIMIT = None if sys.platform == "win32" else 1024

# Small packets and delayed ACKs
# ------------------------------
# A broker often writes two small packets for one request: the copy of a retained document
# for this client's own subscription, then the PUBACK; or a PUBACK, then the answer to a tell.
# A broker that leaves Nagle's algorithm on (Mosquitto's stock setting, without
# ``set_tcp_nodelay true``) holds the second packet until the client acknowledges the first,
# and Linux delays that acknowledgement by 40 ms when the connection looks interactive: every
# synchronous call then took about 44 ms (seen with tcpdump on loopback). The client asks for
# an immediate acknowledgement after each read (TCP_QUICKACK, which Linux resets on its own),
# so the broker's second packet goes out at once. Platforms without TCP_QUICKACK skip this.
_QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)


def quick_ack(sock: object) -> None:
    """Make *sock* acknowledge what it received at once (also any acknowledgement pending)."""
    if _QUICKACK is not None and isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):  # closed meanwhile: the next read reports it
            sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)


def close_sockets_of(exc: BaseException) -> None:
    """Close the sockets a failed paho connect left in its frames (paho does not)."""
    tb = exc.__traceback__
    while tb is not None:
        for value in list(tb.tb_frame.f_locals.values()):
            if isinstance(value, socket.socket):
                value.close()
        tb = tb.tb_next


class _Paho(mqtt.Client):
    """paho's client, acknowledging each packet at once (see "Small packets and delayed ACKs").

    paho-mqtt 2 makes every read of its socket (plain or TLS) through ``_sock_recv``: a
    packet's fixed header a byte at a time, then its rest in one read (of 2 bytes or more,
    except for PINGRESP's empty rest), after which the client asks for an immediate
    acknowledgement: once per packet, not per byte. Should a later paho read otherwise,
    tests/mqtt/test_stock_broker.py fails (its calls stall again).
    """

    def _sock_recv(self, bufsize: int) -> bytes:
        data = super()._sock_recv(bufsize)
        if bufsize > 1:
            quick_ack(self._sock)
        return data


def new_paho(
    settings: MqttSettings, client_id: str, will: str | None, *, persistent: bool = True
) -> mqtt.Client:
    """A paho client for *settings* as *client_id* (manual acks, no reconnects of its own);
    with *will*, its will is "offline" retained on that topic (the agent's own connection).
    Not *persistent*: MQTT 3.1.1's clean session (on MQTT 5 the caller connects with a clean
    start and no session expiry). Also the directory service's connections."""
    s = settings
    paho = _Paho(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=None if s.protocol == MQTTV5 else not persistent,
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
    if will is not None:
        paho.will_set(will, b"offline", qos=1, retain=True)
    paho.suppress_exceptions = True
    return paho


def close_side(paho: mqtt.Client) -> None:
    """Disconnect a paho client, stop its loop and close its socket."""
    paho.disconnect()
    paho.loop_stop()
    sock = paho.socket()
    if isinstance(sock, socket.socket):
        sock.close()


class PahoEngine:
    """One connection on a fresh paho client: manual acks, no reconnects or queue of its own."""

    name = "paho"

    def __init__(
        self,
        settings: MqttSettings,
        client_id: str,
        events: EngineEvents,
        *,
        will: str | None = None,
        persistent: bool = True,
        session_expiry: int = 0,
    ) -> None:
        s = settings
        self._settings = s
        self._v5 = s.protocol == MQTTV5
        self._persistent = persistent
        self._session_expiry = session_expiry
        self._errors: list[str] = []  # paho's socket errors until the CONNACK
        paho = new_paho(s, client_id, will, persistent=persistent)
        self._events = events
        paho.on_connect = self._on_connect
        paho.on_disconnect = self._on_disconnect
        paho.on_message = lambda c, u, m: events.on_message(m)
        on_ack = events.on_ack
        paho.on_publish = self._on_publish
        paho.on_subscribe = lambda c, u, mid, rcs, p: on_ack(mid, max(rc.value for rc in rcs))
        paho.on_unsubscribe = lambda c, u, mid, rcs, p: on_ack(mid, 0)
        paho.on_log = self._on_log
        self.paho = paho
        self._closed = False
        self._max_packet: int | None = None  # the broker's Maximum Packet Size (its CONNACK)
        self._session_present = False  # its CONNACK's flag

    def _on_publish(self, client: Any, userdata: Any, mid: int, rc: ReasonCode, p: Any) -> None:
        self._events.on_ack(mid, rc.value)

    def _on_disconnect(
        self, client: Any, userdata: Any, flags: Any, rc: ReasonCode, props: Any
    ) -> None:
        if self._closed:  # paho reports a broker's DISCONNECT, then the socket's end
            return
        self._closed = True
        from_server = getattr(flags, "is_disconnect_packet_from_server", False)
        self._events.on_closed(rc.value if from_server else None)

    def _on_log(self, client: Any, userdata: Any, level: int, buf: str) -> None:
        if level == mqtt.MQTT_LOG_ERR:
            self._errors.append(buf)

    def _on_connect(
        self, client: Any, userdata: Any, flags: Any, rc: ReasonCode, props: Properties | None
    ) -> None:
        receive_max = None
        if props is not None and hasattr(props, "ReceiveMaximum"):
            receive_max = int(props.ReceiveMaximum)
        self._session_present = bool(getattr(flags, "session_present", False))
        limit: Any = getattr(props, "MaximumPacketSize", None)
        if limit:
            self._max_packet = int(limit)
        if rc.value == 0:
            self.paho.on_log = None  # paho formats every log line for on_log: not on hot paths
        self._events.on_connack(rc.value, receive_max)

    def connect(self) -> None:
        s, paho = self._settings, self.paho
        try:
            if self._v5:
                props = None
                if self._persistent:
                    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
                    props.SessionExpiryInterval = self._session_expiry
                paho.connect(
                    s.host,
                    s.port,
                    s.keepalive,
                    clean_start=not self._persistent,
                    properties=props,
                )
            else:  # 3.1.1: clean_session was given to the client
                paho.connect(s.host, s.port, s.keepalive)
        except OSError as exc:  # ssl.SSLError included
            close_sockets_of(exc)
            raise
        sock = paho.socket()
        if isinstance(sock, socket.socket):  # small packets (PUBACKs, values) go out at once
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            quick_ack(sock)
        paho.loop_start()
        fd = self._unselectable_fd()
        if fd is not None:
            self.close()
            raise FdLimit(fd)

    def _unselectable_fd(self) -> int | None:
        """The highest descriptor of the connection when select() cannot take it, else None."""
        if SELECT_LIMIT is None:
            return None
        socks = (self.paho.socket(), getattr(self.paho, "_sockpairR", None))
        high = max((s.fileno() for s in socks if isinstance(s, socket.socket)), default=-1)
        return high if high >= SELECT_LIMIT else None

    def publish(self, topic: str, payload: bytes, qos: int, retain: bool) -> int | None:
        limit = self._max_packet
        if limit is not None:  # paho sends it anyway, and the broker ends the connection
            rest = 2 + len(topic.encode()) + (2 if qos else 0) + self._v5 + len(payload)
            size = 1 + (1 if rest < 128 else 2 if rest < 16384 else 3 if rest < 2097152 else 4)
            if size + rest > limit:
                raise ValueError(
                    f"a PUBLISH of {size + rest:,} bytes on {topic!r} is larger than the "
                    f"broker's maximum packet size, {limit:,} bytes (its CONNACK)"
                )
        if qos:
            info = self.paho.publish(topic, payload, qos=qos, retain=retain)
            return info.mid if info.rc == mqtt.MQTT_ERR_SUCCESS else None
        # paho answers a QoS 0 publish with on_publish once it is written, and the mid is
        # known only when publish() returns (maybe after): that answer is passed on as it is
        # (the transport waits for no QoS 0 answer, and ignores answers it does not wait for)
        info = self.paho.publish(topic, payload, qos=0, retain=retain)
        return 0 if info.rc == mqtt.MQTT_ERR_SUCCESS else None

    def subscribe(self, filters: Sequence[tuple[str, int, bool]]) -> int | None:
        topics: list[tuple[str, Any]] = [
            (t, SubscribeOptions(qos=q, retainHandling=0 if r else 2) if self._v5 else q)
            for t, q, r in filters
        ]
        rc, mid = self.paho.subscribe(topics)
        return mid if rc == mqtt.MQTT_ERR_SUCCESS else None

    def unsubscribe(self, topics: Sequence[str]) -> int | None:
        rc, mid = self.paho.unsubscribe(list(topics))
        return mid if rc == mqtt.MQTT_ERR_SUCCESS else None

    def max_packet_size(self) -> int | None:
        return self._max_packet

    def session_present(self) -> bool:
        return self._session_present

    def corked(self) -> AbstractContextManager[None]:
        return contextlib.nullcontext()  # paho sends each packet in its own write

    def ack(self, message: Message) -> None:
        assert isinstance(message, mqtt.MQTTMessage)
        self.paho.ack(message.mid, message.qos)

    def is_connected(self) -> bool:
        return self.paho.is_connected()

    def disconnect(self) -> None:
        self.paho.disconnect()

    def close(self) -> None:
        close_side(self.paho)

    def socket(self) -> socket.socket | None:
        sock = self.paho.socket()
        return sock if isinstance(sock, socket.socket) else None

    def error(self) -> str | None:
        return self._errors[-1] if self._errors else None
