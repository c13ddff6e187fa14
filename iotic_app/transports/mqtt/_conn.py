"""One paho connection: made, its failures explained; session claims; the client-id registry."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import ssl
import sys
import threading
from typing import TYPE_CHECKING, NamedTuple

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

if TYPE_CHECKING:
    from iotic_app.transports.mqtt._settings import MqttSettings

__all__ = [
    "DENIED",
    "SECOND",
    "WINDOW",
    "Claim",
    "Conn",
    "close_side",
    "close_sockets_of",
    "new_paho",
    "quick_ack",
    "release_client_id",
    "take_client_id",
    "tls_hint",
    "too_many_files",
    "unselectable_fd",
]

logger = logging.getLogger("iotic_app.mqtt")

WINDOW = 1000  # at most this many shares unacknowledged per connection (or the broker's max)


def close_side(paho: mqtt.Client) -> None:
    """Disconnect a side connection, stop its loop and close its socket."""
    paho.disconnect()
    paho.loop_stop()
    sock = paho.socket()
    if isinstance(sock, socket.socket):
        sock.close()


# paho-mqtt's network loop waits in select(), which takes descriptors below FD_SETSIZE only
# (1024 on Linux and macOS; Windows limits their count instead): a socket beyond it makes the
# loop give up at once, which looked like a broker that never answers.
SELECT_LIMIT = None if sys.platform == "win32" else 1024


def unselectable_fd(paho: mqtt.Client) -> int | None:
    """The highest descriptor of *paho*'s connection when select() cannot take it, else None."""
    if SELECT_LIMIT is None:
        return None
    socks = (paho.socket(), getattr(paho, "_sockpairR", None))
    high = max((s.fileno() for s in socks if isinstance(s, socket.socket)), default=-1)
    return high if high >= SELECT_LIMIT else None


def too_many_files(agent_id: str, fd: int) -> str:
    """What to say when a connection got descriptor *fd*, which select() cannot take."""
    return (
        f"agent {agent_id!r}: cannot use a connection to the MQTT broker: it got file "
        f"descriptor {fd}, and paho-mqtt's network loop (select()) takes descriptors below "
        f"{SELECT_LIMIT} only; this process has too many files or sockets open (clients "
        "no longer used can be closed with client.close())"
    )


def tls_hint(error: str, where: str) -> str:
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


class _Paho(mqtt.Client):
    """paho's client, acknowledging each read at once (see "Small packets and delayed ACKs").

    paho-mqtt 2 makes every read of its socket (plain or TLS) through ``_sock_recv``; should
    a later paho stop doing so, tests/mqtt/test_stock_broker.py fails (its calls stall again).
    """

    def _sock_recv(self, bufsize: int) -> bytes:
        data = super()._sock_recv(bufsize)
        quick_ack(self._sock)
        return data


def new_paho(
    settings: MqttSettings, client_id: str, will: str | None, *, persistent: bool = True
) -> mqtt.Client:
    """A paho client for *settings* as *client_id* (manual acks, no reconnects of its own);
    with *will*, its will is "offline" retained on that topic (the agent's own connection).
    Not *persistent*: MQTT 3.1.1's clean session (on MQTT 5 the caller connects with a clean
    start and no session expiry)."""
    s = settings
    v5 = s.protocol == mqtt.MQTTv5
    paho = _Paho(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=None if v5 else not persistent,
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


class Claim(NamedTuple):
    """A process's retained claim on an agent's MQTT session."""

    instance: str
    generation: int

    @classmethod
    def parse(cls, payload: bytes) -> Claim | None:
        """The claim in *payload*, or None (logged) when it is not one."""
        try:
            doc = json.loads(payload)
            generation = doc.get("generation", 0)
            if not isinstance(generation, int):
                raise ValueError(generation)
            return cls(str(doc["instance"]), generation)
        except (ValueError, KeyError, AttributeError, TypeError):
            logger.warning("ignored a session claim that is not one: %.80r", payload)
            return None


DENIED = {0x87, 0x86, 0x8C, 0x97, 0x9A}  # not authorized, bad credentials, bad auth, quota, ...
_IN_USE_LOCK = threading.Lock()


_IN_USE_IDS: set[tuple[str, int, str]] = set()
SECOND = "~"  # joins an agent name and N in the client id of its Nth client in one process


def take_client_id(host: str, port: int, agent: str) -> str:
    """Return a client id for a started client of *agent*: the agent id itself, or ``AGENT~N``
    for a second (third, ...) client of the same agent started in this process.

    ``~`` cannot appear in an agent name (letters, digits, ``_``, ``.``, ``-``), so no agent's
    own client id (``X.2``, say) is ever the id of another agent's second client (``X~2``).
    """
    with _IN_USE_LOCK:
        n = 1
        while (host, port, f"{agent}{SECOND}{n}" if n > 1 else agent) in _IN_USE_IDS:
            n += 1
        cid = agent if n == 1 else f"{agent}{SECOND}{n}"
        _IN_USE_IDS.add((host, port, cid))
        return cid


def release_client_id(host: str, port: int, cid: str) -> None:
    with _IN_USE_LOCK:
        _IN_USE_IDS.discard((host, port, cid))


def close_sockets_of(exc: BaseException) -> None:
    """Close the sockets a failed paho connect left in its frames (paho does not)."""
    tb = exc.__traceback__
    while tb is not None:
        for value in list(tb.tb_frame.f_locals.values()):
            if isinstance(value, socket.socket):
                value.close()
        tb = tb.tb_next


class Conn:
    """One MQTT connection (a fresh paho client) and its acknowledgement bookkeeping."""

    def __init__(self, paho: mqtt.Client) -> None:
        self.paho = paho
        self.cond = threading.Condition()
        self.acked: dict[int, int] = {}  # mid -> reason code value (PUBACK/SUBACK/UNSUBACK)
        self.connack: int | None = None
        self.connected = threading.Event()
        self.answered = threading.Event()  # CONNACK (either way) or the link dropped
        self.ready = threading.Event()  # subscriptions and catalogue restored: in service
        self.closed = threading.Event()
        self.disconnect_reason: int | None = None
        self.receive_max = WINDOW
        self.inflight: dict[int, int] = {}  # mid -> outbox seq (under the send lock)
        self.closing = threading.Lock()  # one thread at a time shuts the connection down

    def result(self, mid: int, timeout: float) -> int | None:
        with self.cond:
            if not self.cond.wait_for(lambda: mid in self.acked or self.closed.is_set(), timeout):
                return None
            return self.acked.pop(mid, None)
