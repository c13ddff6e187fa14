"""The builtin MQTT engine (``_builtin_engine.py``) at engine level, on real Mosquitto brokers."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import ssl
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from broker import Broker, TlsFiles, free_port, make_test_ca
from conftest_mqtt import need_own_broker

from iotic_app.transports.mqtt._builtin_engine import BuiltinEngine, BuiltinMessage
from iotic_app.transports.mqtt._engine import MQTTV5, MQTTV311, new_engine
from iotic_app.transports.mqtt._settings import MqttSettings

pytestmark = pytest.mark.timeout(60)

PATIENCE = 10.0
BOTH = pytest.mark.parametrize("protocol", [MQTTV5, MQTTV311], ids=["v5", "v311"])


class Recorder:
    """An engine's events, recorded in order (every wait is on a condition)."""

    def __init__(self, ack: bool = False) -> None:
        self.cond = threading.Condition()
        self.connacks: list[tuple[int, int | None]] = []
        self.closed: list[int | None] = []
        self.acks: dict[int, int] = {}
        self.messages: list[BuiltinMessage] = []
        self.engine: Any = None
        self.auto_ack = ack  # acknowledge each message as it comes

    def on_connack(self, code: int, receive_max: int | None) -> None:
        with self.cond:
            self.connacks.append((code, receive_max))
            self.cond.notify_all()

    def on_closed(self, reason: int | None) -> None:
        with self.cond:
            self.closed.append(reason)
            self.cond.notify_all()

    def on_message(self, message: Any) -> None:
        assert isinstance(message, BuiltinMessage)
        if self.auto_ack:
            self.engine.ack(message)
        with self.cond:
            self.messages.append(message)
            self.cond.notify_all()

    def on_ack(self, mid: int, code: int) -> None:
        with self.cond:
            assert mid not in self.acks, f"two answers to mid {mid}"
            self.acks[mid] = code
            self.cond.notify_all()

    def wait(self, check: Callable[[], bool], what: str, timeout: float = PATIENCE) -> None:
        with self.cond:
            assert self.cond.wait_for(check, timeout), f"timed out waiting for {what}"

    def ack_of(self, mid: int | None) -> int:
        assert mid is not None and mid > 0
        self.wait(lambda: mid in self.acks, f"the answer to {mid}")
        return self.acks[mid]

    def payloads(self) -> list[bytes]:
        with self.cond:
            return [bytes(m.payload) for m in self.messages]


def settings(port: int, client_id: str, protocol: int = MQTTV5, **extra: Any) -> MqttSettings:
    return MqttSettings(
        host="127.0.0.1",
        port=port,
        client_id=client_id,
        agent_id=client_id,
        protocol=protocol,
        engine="builtin",
        **extra,
    )


class Engines:
    """Makes engines and closes them all at the end of the test."""

    def __init__(self) -> None:
        self.made: list[Any] = []

    def open(
        self,
        port: int,
        client_id: str | None = None,
        *,
        protocol: int = MQTTV5,
        ack: bool = False,
        connected: bool = True,
        will: str | None = None,
        persistent: bool = False,
        **extra: Any,
    ) -> tuple[Any, Recorder]:
        events = Recorder(ack)
        cid = client_id or f"b{uuid.uuid4().hex[:10]}"
        engine = new_engine(
            settings(port, cid, protocol, **extra),
            cid,
            events,
            will=will,
            persistent=persistent,
            session_expiry=3600 if persistent else 0,
        )
        assert isinstance(engine, BuiltinEngine) and engine.name == "builtin"
        events.engine = engine
        self.made.append(engine)
        engine.connect()
        if connected:
            events.wait(lambda: bool(events.connacks), "CONNACK")
            assert events.connacks == [(0, events.connacks[0][1])], events.connacks
            assert engine.is_connected()
        return engine, events

    def close(self) -> None:
        for engine in self.made:
            engine.close()


@pytest.fixture
def engines() -> Iterator[Engines]:
    made = Engines()
    yield made
    made.close()


@pytest.fixture
def tuned(own_broker: Broker) -> int:
    return own_broker.port


def topic() -> str:
    return f"t/{uuid.uuid4().hex[:10]}"


def subscribe(engine: Any, events: Recorder, filt: str, qos: int = 1, retained: bool = True) -> int:
    return events.ack_of(engine.subscribe([(filt, qos, retained)]))


# --- connecting --------------------------------------------------------------------------------


@BOTH
def test_connects_publishes_at_qos_1_and_gets_its_puback(
    engines: Engines, tuned: int, protocol: int
) -> None:
    engine, events = engines.open(tuned, protocol=protocol, ack=True)
    t = topic()
    assert subscribe(engine, events, t) in (0, 1)
    mid = engine.publish(t, b"hello", 1, False)
    assert events.ack_of(mid) == 0
    assert engine.publish(t, b"zero", 0, False) == 0
    events.wait(lambda: events.payloads() == [b"hello", b"zero"], "both messages")
    assert [(m.topic, m.qos, m.retain) for m in events.messages] == [(t, 1, False), (t, 0, False)]
    assert events.closed == []


@BOTH
def test_a_wrong_password_is_refused_in_the_connack_and_the_connection_ends(
    engines: Engines, tmp_path: Path, protocol: int
) -> None:
    with Broker(tmp_path / "b", passwords={"alice": "right"}) as broker:
        engine, events = engines.open(
            broker.port, protocol=protocol, connected=False, username="alice", password="wrong"
        )
        events.wait(lambda: bool(events.closed), "the end")
        [(code, _)] = events.connacks
        assert code in ((0x86, 0x87) if protocol == MQTTV5 else (4, 5))
        assert events.closed == [None] and not engine.is_connected()
        assert engine.publish("a", b"x", 1, False) is None
        ok, _ok_events = engines.open(
            broker.port, protocol=protocol, username="alice", password="right"
        )
        assert ok.is_connected()


def test_a_closed_port_raises_oserror(engines: Engines) -> None:
    with pytest.raises(OSError):
        engines.open(free_port(), connected=False)


@pytest.fixture
def cert_broker(tmp_path: Path, tls_files: TlsFiles) -> Iterator[Broker]:
    with Broker(tmp_path / "b", tls=tls_files, require_certificate=True) as broker:
        yield broker


@BOTH
def test_tls_with_a_client_certificate(
    engines: Engines, cert_broker: Broker, tls_files: TlsFiles, protocol: int
) -> None:
    assert cert_broker.tls_port is not None
    tls = {
        "tls": True,
        "ca_file": str(tls_files.ca_file),
        "cert_file": str(tls_files.cert_file),
        "key_file": str(tls_files.key_file),
    }
    engine, events = engines.open(cert_broker.tls_port, protocol=protocol, ack=True, **tls)
    assert isinstance(engine.socket(), ssl.SSLSocket)
    t = topic()
    subscribe(engine, events, t)
    big = os.urandom(300_000)  # several TLS records each way
    mids = [engine.publish(t, p, 1, False) for p in (b"a", big, b"c")]
    assert [events.ack_of(m) for m in mids] == [0, 0, 0]
    events.wait(lambda: events.payloads() == [b"a", big, b"c"], "the messages")
    for n in range(2000):  # one round trip each: every write wakes an idle I/O thread
        assert events.ack_of(engine.publish(t, b"%d" % n, 1, False)) == 0
    events.wait(lambda: len(events.messages) == 2003, "every message")


def test_tls_without_a_client_certificate_ends_before_the_connack_saying_why(
    engines: Engines, cert_broker: Broker, tls_files: TlsFiles
) -> None:
    assert cert_broker.tls_port is not None
    try:
        engine, events = engines.open(
            cert_broker.tls_port, connected=False, tls=True, ca_file=str(tls_files.ca_file)
        )
    except ssl.SSLError:  # TLS 1.2: the handshake itself fails
        return
    events.wait(lambda: bool(events.closed), "the end")
    assert events.connacks == [] and events.closed == [None]
    assert engine.error()


def test_tls_with_the_wrong_ca_fails_the_handshake(
    engines: Engines, cert_broker: Broker, tls_files: TlsFiles, tmp_path: Path
) -> None:
    stranger = make_test_ca(tmp_path / "stranger")
    assert cert_broker.tls_port is not None
    with pytest.raises(ssl.SSLError, match="verify failed"):
        engines.open(
            cert_broker.tls_port,
            connected=False,
            tls=True,
            ca_file=str(stranger.ca_file),
            cert_file=str(tls_files.cert_file),
            key_file=str(tls_files.key_file),
        )


# --- reason codes ------------------------------------------------------------------------------

ACL = "user alice\ntopic readwrite mine/#\ntopic read theirs/#\n"


@BOTH
def test_acl_denials_come_as_reason_codes(engines: Engines, tmp_path: Path, protocol: int) -> None:
    with Broker(tmp_path / "b", passwords={"alice": "pw"}, acl=ACL) as broker:
        engine, events = engines.open(
            broker.port, protocol=protocol, username="alice", password="pw"
        )
        if protocol == MQTTV5:
            assert events.ack_of(engine.publish("theirs/x", b"no", 1, False)) == 0x87
        else:  # MQTT 3.1.1 cannot say no to a publish: acknowledged and dropped
            assert events.ack_of(engine.publish("theirs/x", b"no", 1, False)) == 0
        assert events.ack_of(engine.publish("mine/x", b"yes", 1, False)) in (
            0,
            0x10,
        )  # 0x10: no subscriber
        # Mosquitto 2.0's ACL file never refuses a SUBSCRIBE (it filters what it delivers):
        # the granted QoS comes back, the highest of a list (denials: the raw server's test)
        assert subscribe(engine, events, "mine/#") == 1
        assert subscribe(engine, events, "elsewhere/#", qos=0) == 0
        assert events.ack_of(engine.subscribe([("mine/a", 0, True), ("mine/b", 1, True)])) == 1
        assert events.ack_of(engine.unsubscribe(["mine/#"])) == 0
        assert events.ack_of(engine.unsubscribe(["never/subscribed"])) in (0, 0x11)


def test_retained_false_gets_no_retained_copy(engines: Engines, tuned: int) -> None:
    engine, events = engines.open(tuned, ack=True)
    t = topic()
    assert events.ack_of(engine.publish(t, b"kept", 1, True)) in (0, 0x10)  # 0x10: no subscriber
    subscribe(engine, events, t, retained=False)
    subscribe(engine, events, t + "/other")  # answered after any copy of t would have come
    assert events.messages == []
    other, other_events = engines.open(tuned, ack=True)
    subscribe(other, other_events, t, retained=True)
    other_events.wait(lambda: other_events.payloads() == [b"kept"], "the retained copy")
    assert other_events.messages[0].retain


# --- sessions, acknowledgements, wills -------------------------------------------------------


@BOTH
def test_an_unacknowledged_message_comes_again_and_an_acknowledged_one_does_not(
    engines: Engines, tuned: int, protocol: int
) -> None:
    cid, t = f"p{uuid.uuid4().hex[:8]}", topic()
    first, events = engines.open(tuned, cid, protocol=protocol, persistent=True)
    subscribe(first, events, t)
    sender, sender_events = engines.open(tuned, protocol=protocol)
    for body in (b"one", b"two"):
        assert sender_events.ack_of(sender.publish(t, body, 1, False)) == 0
    events.wait(lambda: len(events.messages) == 2, "two messages")
    first.ack(events.messages[0])  # "two" is left unacknowledged
    first.disconnect()
    first.close()
    events.wait(lambda: events.closed == [None], "the end")
    second, again = engines.open(tuned, cid, protocol=protocol, persistent=True)
    again.wait(lambda: len(again.messages) >= 1, "the redelivery")
    assert again.payloads()[0] == b"two" and b"one" not in again.payloads()
    second.ack(again.messages[0])
    first.ack(events.messages[1])  # another connection's message: nothing is sent
    second.disconnect()
    second.close()
    third, last = engines.open(tuned, cid, protocol=protocol, persistent=True)
    subscribe(third, last, t)  # answered after anything the session still held
    assert last.messages == []


def test_an_ack_after_the_connection_closed_is_not_sent(engines: Engines, tuned: int) -> None:
    engine, events = engines.open(tuned)
    t = topic()
    subscribe(engine, events, t)
    assert events.ack_of(engine.publish(t, b"x", 1, False)) == 0
    events.wait(lambda: bool(events.messages), "the message")
    engine.close()
    engine.ack(events.messages[0])  # nothing to send it on: no error
    assert events.closed == [None]


@BOTH
def test_the_will_goes_out_when_the_socket_is_cut_and_not_after_disconnect(
    engines: Engines, tuned: int, protocol: int
) -> None:
    watcher, seen = engines.open(tuned, ack=True)
    cut_will, clean_will = topic(), topic()
    subscribe(watcher, seen, cut_will, retained=False)
    subscribe(watcher, seen, clean_will, retained=False)
    cut, cut_events = engines.open(tuned, protocol=protocol, will=cut_will)
    clean, clean_events = engines.open(tuned, protocol=protocol, will=clean_will)
    clean.disconnect()
    clean.close()
    clean_events.wait(lambda: clean_events.closed == [None], "the clean end")
    sock = cut.socket()
    assert sock is not None
    sock.shutdown(socket.SHUT_RDWR)
    cut_events.wait(lambda: cut_events.closed == [None], "the cut end")
    seen.wait(lambda: bool(seen.messages), "the will")
    marker = topic()  # the broker handles this after the clean client's DISCONNECT
    subscribe(watcher, seen, marker)
    assert [(m.topic, bytes(m.payload), m.qos) for m in seen.messages] == [
        (cut_will, b"offline", 1)
    ]


def test_a_killed_broker_closes_the_connection(engines: Engines, own_broker: Broker) -> None:
    engine, events = engines.open(own_broker.port)
    own_broker.kill()
    events.wait(lambda: events.closed == [None], "the end")
    assert not engine.is_connected()
    assert engine.publish("a", b"x", 1, False) is None
    assert engine.subscribe([("a", 1, True)]) is None


def test_keepalive_pings_keep_an_idle_link_up(engines: Engines, tuned: int) -> None:
    engine, events = engines.open(tuned, keepalive=1)
    with events.cond:  # 3 s idle: the broker drops a silent client after 1.5 s
        assert not events.cond.wait_for(lambda: bool(events.closed), 3.0)
    assert engine.is_connected()
    t = topic()
    subscribe(engine, events, t)
    assert events.ack_of(engine.publish(t, b"x", 1, False)) == 0


def test_a_broker_that_stops_answering_is_a_lost_link(engines: Engines, tuned: int) -> None:
    proxy = Proxy(tuned, chunk=None)
    try:
        _engine, events = engines.open(proxy.port, keepalive=1)
        proxy.freeze()  # nothing goes through any more: no PINGRESP
        events.wait(lambda: events.closed == [None], "the lost link", timeout=5)
    finally:
        proxy.close()


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[Broker]:
    """A Mosquitto that says a maximum packet of 20,000 bytes in its CONNACK."""
    broker = Broker(
        tmp_path / "limited", binary=need_own_broker(), extra=("max_packet_size 20000",)
    )
    with broker as b:
        b.start()
        yield b


def test_the_brokers_keep_alive_wins(engines: Engines) -> None:
    """MQTT 5: a CONNACK's Server Keep Alive is the one to keep (Mosquitto's max_keepalive:
    it drops a client silent for 1.5 x its own and publishes its will, so the agent would go
    offline now and then): asked for 60 s, told 1 s, the engine pings within about 1 s."""

    def pong(packet: bytes) -> bytes:
        return b"\xd0\x00" if packet[0] == 0xC0 else b""

    raw = RawServer(b"\x20\x06\x00\x00\x03\x13\x00\x01", pong)  # Server Keep Alive 1
    try:
        engine, _events = engines.open(raw.port, keepalive=60)
        raw.wait(lambda: b"\xc0\x00" in raw.got, "a PINGREQ", timeout=2.5)
        assert engine.is_connected()
    finally:
        raw.close()


def test_a_publish_larger_than_the_brokers_maximum_packet_is_refused(
    engines: Engines, limited: Broker
) -> None:
    """MQTT 5: a CONNACK's Maximum Packet Size; a larger PUBLISH would make the broker end
    the connection (0x95), again at every resend: publish() refuses it, naming both sizes."""
    engine, events = engines.open(limited.port)
    with pytest.raises(ValueError, match=r"50,0\d\d bytes .* maximum packet size, 20,000"):
        engine.publish("t/big", b"x" * 50_000, 1, False)
    assert events.ack_of(engine.publish("t/small", b"x" * 19_000, 1, False)) in (0, 0x10)
    assert engine.is_connected() and not events.closed


def test_bytes_trickling_in_do_not_keep_a_dead_link_alive(engines: Engines) -> None:
    """A peer that sends a packet's bytes one at a time, slowly, and never a PINGRESP: only
    whole packets count as life, so the link is lost within 1.5 x keep-alive."""
    stop = threading.Event()

    def trickle(packet: bytes) -> bytes:
        return b""

    raw = RawServer(b"\x20\x03\x00\x00\x00", trickle)
    try:
        _engine, events = engines.open(raw.port, keepalive=1)
        conn = raw.conn.wait(5) and raw.client
        assert conn is not None
        conn.sendall(b"\x30\xe8\x07")  # a PUBLISH of 1,000 bytes begins...

        def drip() -> None:
            while not stop.wait(0.2):
                with contextlib.suppress(OSError):
                    conn.sendall(b"x")  # ...and goes on a byte at a time

        threading.Thread(target=drip, daemon=True).start()
        events.wait(lambda: events.closed == [None], "the lost link", timeout=4)
    finally:
        stop.set()
        raw.close()


def test_a_large_value_on_a_slow_link_keeps_the_link_alive(engines: Engines) -> None:
    """The other side of the trickle: a PUBLISH of 100 kB arriving over 2.5 s (keep-alive 1,
    no PINGRESP can come in its middle) is a live link, and is delivered whole."""
    raw = RawServer(b"\x20\x03\x00\x00\x00")
    try:
        _engine, events = engines.open(raw.port, keepalive=1)
        conn = raw.conn.wait(5) and raw.client
        assert conn is not None
        body = b"\x00\x03a/b\x00" + b"v" * 100_000  # topic a/b, no properties, QoS 0
        size = len(body)
        packet = b"\x30" + bytes((size & 0x7F | 0x80, size >> 7 & 0x7F | 0x80, size >> 14)) + body
        pause = threading.Event()
        for at in range(0, len(packet), 4000):
            conn.sendall(packet[at : at + 4000])
            pause.wait(0.1)
        events.wait(lambda: bool(events.messages), "the value", timeout=5)
        assert len(events.messages[0].payload) == 100_000
        assert not events.closed
    finally:
        raw.close()


# --- volume, sizes, splits -------------------------------------------------------------------

N = 20_000
WINDOW = 500


def send_all(engine: Any, events: Recorder, t: str, bodies: list[bytes]) -> None:
    """Publish *bodies* at QoS 1, at most WINDOW unacknowledged (as the transport's sender)."""
    mids: list[int] = []
    for n, body in enumerate(bodies):
        if n >= WINDOW:
            before = mids[n - WINDOW]
            events.wait(lambda before=before: before in events.acks, "room")  # type: ignore[misc]
        mid = engine.publish(t, body, 1, False)
        assert mid is not None
        mids.append(mid)
    events.wait(lambda: all(m in events.acks for m in mids[-WINDOW:]), "the last PUBACKs")
    assert len(events.acks) == len(bodies) and set(events.acks.values()) == {0}


@BOTH
def test_20000_messages_each_way_none_lost_in_order(
    engines: Engines, tuned: int, protocol: int
) -> None:
    a, a_events = engines.open(tuned, protocol=protocol, ack=True)
    b, b_events = engines.open(tuned, protocol=protocol, ack=True)
    to_a, to_b = topic(), topic()
    subscribe(a, a_events, to_a)
    subscribe(b, b_events, to_b)
    a_events.acks.clear()
    b_events.acks.clear()
    bodies = [b"%d" % n for n in range(N)]
    other = threading.Thread(target=send_all, args=(b, b_events, to_a, bodies))
    other.start()
    send_all(a, a_events, to_b, bodies)
    other.join(PATIENCE)
    for events in (a_events, b_events):
        events.wait(lambda events=events: len(events.messages) >= N, "every message")  # type: ignore[misc]
        assert events.payloads() == bodies


SIZES = [0, 1, 127 - 9, 127, 128, 16383, 16384, 2_097_152 - 20, 2_097_152, 2_097_152 + 7]


@BOTH
def test_payload_sizes_across_the_remaining_length_boundaries(
    engines: Engines, tuned: int, protocol: int
) -> None:
    engine, events = engines.open(tuned, protocol=protocol, ack=True)
    t = topic()
    subscribe(engine, events, t)
    bodies = [os.urandom(size) for size in SIZES]
    mids = [engine.publish(t, body, 1, False) for body in bodies]
    assert [events.ack_of(m) for m in mids] == [0] * len(SIZES)
    events.wait(lambda: len(events.messages) == len(SIZES), "every message")
    assert events.payloads() == bodies


@BOTH
def test_utf8_topics(engines: Engines, tuned: int, protocol: int) -> None:
    engine, events = engines.open(tuned, protocol=protocol, ack=True)
    base = f"ü/{uuid.uuid4().hex[:6]}/温度"
    subscribe(engine, events, base + "/#")
    names = [base + "/é", base + "/😀", base + "/" + "ж" * 300]
    for name in names:
        assert events.ack_of(engine.publish(name, name.encode(), 1, False)) == 0
    events.wait(lambda: len(events.messages) == 3, "every message")
    assert [m.topic for m in events.messages] == names


class Proxy:
    """A TCP relay to the broker that hands the client what the broker sent in pieces of at
    most *chunk* bytes, one send each (so packets arrive split across the client's reads);
    freeze() stops relaying either way."""

    def __init__(self, port: int, chunk: int | None) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.target = port
        self.chunk = chunk
        self.frozen = threading.Event()
        self.stopped = threading.Event()
        self.socks: list[socket.socket] = [self.server]
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def _accept(self) -> None:
        try:
            client, _ = self.server.accept()
        except OSError:
            return
        upstream = socket.create_connection(("127.0.0.1", self.target))
        for sock in (client, upstream):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.socks += [client, upstream]
        for src, dst, chunk in ((client, upstream, None), (upstream, client, self.chunk)):
            thread = threading.Thread(target=self._pipe, args=(src, dst, chunk), daemon=True)
            self.threads.append(thread)
            thread.start()

    def _pipe(self, src: socket.socket, dst: socket.socket, chunk: int | None) -> None:
        pace = threading.Event()
        try:
            while not self.stopped.is_set():
                data = src.recv(65536)
                if not data or self.frozen.is_set():
                    if not data:
                        dst.shutdown(socket.SHUT_WR)
                    if self.frozen.is_set():
                        self.stopped.wait()
                    return
                step = chunk or len(data)
                for n, i in enumerate(range(0, len(data), step)):
                    dst.sendall(data[i : i + step])
                    if chunk and n % 8 == 7:
                        pace.wait(0.0002)  # the client reads what came so far: a split
        except OSError:
            return

    def freeze(self) -> None:
        self.frozen.set()

    def close(self) -> None:
        self.stopped.set()
        for sock in self.socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # ends the relays' reads
            sock.close()
        for thread in self.threads:
            thread.join(5)


@BOTH
def test_packets_split_across_reads(engines: Engines, tuned: int, protocol: int) -> None:
    proxy = Proxy(tuned, chunk=5)
    try:
        engine, events = engines.open(proxy.port, protocol=protocol, ack=True)
        t = topic()
        subscribe(engine, events, t)
        bodies = [os.urandom(n) for n in (0, 1, 5, 127, 128, 300, 2000, 20000)] * 3
        mids = [engine.publish(t, body, 1, False) for body in bodies]
        assert all(events.ack_of(m) == 0 for m in mids)
        events.wait(lambda: len(events.messages) == len(bodies), "every message", timeout=30)
        assert events.payloads() == bodies
    finally:
        proxy.close()


# --- protocol errors (a raw server: Mosquitto never sends these) ------------------------------


class RawServer:
    """One connection of a scripted server: answers CONNECT with *connack*, then answers
    each packet the engine sends with what *answer* returns for it (Mosquitto never sends
    the packets these tests need)."""

    def __init__(
        self,
        connack: bytes,
        answer: Callable[[bytes], bytes] = lambda p: b"",
        then: bytes = b"",
    ) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.got: list[bytes] = []
        self.reads: list[bytes] = []  # each recv() after the CONNECT, as it came
        self.cond = threading.Condition()
        self.then = then  # sent after the CONNACK
        self.conn = threading.Event()  # the engine connected: ``client`` is its socket
        self.client: socket.socket | None = None
        self.thread = threading.Thread(target=self._serve, args=(connack, answer), daemon=True)
        self.thread.start()

    def _serve(self, connack: bytes, answer: Callable[[bytes], bytes]) -> None:
        conn, _ = self.server.accept()
        self.client = conn
        self.conn.set()
        with conn:
            buf = b""
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                buf += data
                with self.cond:
                    if self.got:
                        self.reads.append(data)
                    while len(buf) >= 2 and len(buf) >= 2 + buf[1]:  # short packets only
                        packet, buf = buf[: 2 + buf[1]], buf[2 + buf[1] :]
                        self.got.append(packet)
                        reply = connack + self.then if packet[0] == 0x10 else answer(packet)
                        with contextlib.suppress(OSError):
                            conn.sendall(reply)
                    self.cond.notify_all()

    def wait(self, check: Callable[[], bool], what: str, timeout: float = PATIENCE) -> None:
        with self.cond:
            assert self.cond.wait_for(check, timeout), f"timed out waiting for {what}"

    def close(self) -> None:
        self.server.close()
        if self.client is not None:  # ends the serving thread's recv()
            with contextlib.suppress(OSError):
                self.client.shutdown(socket.SHUT_RDWR)
        self.thread.join(5)


def test_reason_codes_as_the_broker_sends_them(engines: Engines) -> None:
    """SUBACK: the highest code (a denial); PUBACK of remaining length 2: 0; UNSUBACK (v5):
    the highest code; the CONNACK's Receive Maximum."""

    def answer(packet: bytes) -> bytes:
        mid = packet[2:4]
        if packet[0] == 0x82:  # SUBSCRIBE of two filters: granted 1, denied
            return b"\x90\x05" + mid + b"\x00\x01\x87"
        if packet[0] == 0x32:  # PUBLISH at QoS 1: the short PUBACK, then one with 0x10
            mid = packet[5:7]  # after the topic "a"
            return b"\x40\x02" + mid if mid == b"\x00\x02" else b"\x40\x04" + mid + b"\x10\x00"
        if packet[0] == 0xA2:
            return b"\xb0\x05" + mid + b"\x00\x00\x11"
        return b""

    raw = RawServer(b"\x20\x06\x00\x00\x03\x21\x00\x07", answer)
    try:
        engine, events = engines.open(raw.port)
        assert events.connacks == [(0, 7)]
        assert events.ack_of(engine.subscribe([("a", 1, True), ("b", 0, False)])) == 0x87
        assert events.ack_of(engine.publish("a", b"x", 1, False)) == 0
        assert events.ack_of(engine.publish("a", b"x", 1, False)) == 0x10
        assert events.ack_of(engine.unsubscribe(["a", "b"])) == 0x11
        # the SUBSCRIBE as sent: mid 1, no properties, "a" at QoS 1, "b" at QoS 0 without
        # retained copies (retain handling 2)
        assert raw.got[1] == b"\x82\x0b\x00\x01\x00\x00\x01a\x01\x00\x01b\x20"
    finally:
        engine.close()
        raw.close()


@pytest.mark.parametrize(
    "packet",
    [
        pytest.param(b"\x30\x07\x00\x01a\x23\x00\x01x", id="properties-past-the-packet"),
        pytest.param(b"\x34\x07\x00\x01a\x00\x01\x00x", id="qos-2"),
        pytest.param(b"\x30\x08\x00\x01a\x03\x23\x00\x01x", id="topic-alias"),
        pytest.param(b"\xf0\x00", id="auth"),
        pytest.param(b"\x30\xff\xff\xff\xff\x7f", id="remaining-length-5-bytes"),
        pytest.param(b"\x30\x05\x00\x02\xc3\x28x", id="topic-not-utf8"),
        pytest.param(b"\x30\x07\x00\x03a\x00#\x00x", id="topic-with-nul-and-wildcard"),
        pytest.param(b"\x30\x06\x00\x02a+\x00x", id="topic-with-a-wildcard"),
    ],
)
def test_a_bad_packet_closes_the_connection_with_a_warning(
    engines: Engines, packet: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        got: list[bytes] = []

        def serve() -> None:
            conn, _ = server.accept()
            with conn:
                got.append(conn.recv(65536))  # CONNECT
                conn.sendall(b"\x20\x03\x00\x00\x00" + packet)
                conn.recv(65536)  # until the engine closes

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        with caplog.at_level(logging.WARNING, logger="iotic_app.mqtt"):
            _engine, events = engines.open(port, connected=False)
            events.wait(lambda: events.closed == [None], "the end")
        assert events.connacks == [(0, None)]
        thread.join(5)
        assert got and got[0][0] == 0x10
        assert events.messages == []
        assert any("not valid MQTT" in r.getMessage() for r in caplog.records)
        if b"a+" in packet or b"a\x00#" in packet:  # refused for its topic, nothing else
            assert any("U+0000 or a wildcard" in r.getMessage() for r in caplog.records)


# --- resources ---------------------------------------------------------------------------------


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _one_connection(port: int, disconnect: bool) -> None:
    events = Recorder()
    cid = "c" + uuid.uuid4().hex[:8]
    engine = new_engine(settings(port, cid), cid, events)
    engine.connect()
    events.wait(lambda: bool(events.connacks), "CONNACK")
    if disconnect:
        engine.disconnect()
    engine.close()  # without disconnect(): ends at once
    engine.close()
    assert events.closed == [None]


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts /proc/self/fd")
def test_close_is_idempotent_and_leaves_no_thread_or_descriptor(tuned: int) -> None:
    before_fds, before_threads = _fds(), set(threading.enumerate())
    for _ in range(3):
        _one_connection(tuned, disconnect=True)
        _one_connection(tuned, disconnect=False)
        never = Recorder()
        engine = new_engine(settings(tuned, "n"), "n", never)
        engine.close()  # never connected
        engine.close()
        assert never.closed == [None]
    assert set(threading.enumerate()) == before_threads
    assert _fds() == before_fds


def test_settings_accept_the_builtin_engine_on_both_protocols() -> None:
    from iotic_app._config import AgentConfig

    for protocol in ("5", "3.1.1"):
        config = AgentConfig.parse(
            f"mqtt://127.0.0.1:1883?agent=a&engine=builtin&protocol={protocol}"
        )
        assert MqttSettings.from_config(config).engine == "builtin"


def test_close_from_the_io_thread_ends_it_without_joining_itself(tuned: int) -> None:
    class Closer(Recorder):
        def on_message(self, message: Any) -> None:
            self.engine.close()  # on the I/O thread: marks, returns; the thread then ends
            super().on_message(message)

    events = Closer()
    cid = "k" + uuid.uuid4().hex[:8]
    engine = new_engine(settings(tuned, cid), cid, events)
    events.engine = engine
    engine.connect()
    events.wait(lambda: bool(events.connacks), "CONNACK")
    t = topic()
    subscribe(engine, events, t)
    engine.publish(t, b"one", 1, False)
    events.wait(lambda: events.closed == [None], "the end")
    assert events.payloads() == [b"one"]
    engine.close()
    assert not any(th.name == f"iotic_app-mqtt-io-{cid}" for th in threading.enumerate())


# --- held writes -------------------------------------------------------------------------------


def _publishes(count: int) -> bytes:
    """*count* QoS 1 PUBLISHes on a/b (MQTT 5, no properties), packet ids 1..count."""
    return b"".join(b"\x32\x09\x00\x03a/b" + bytes((0, n, 0)) + b"v" for n in range(1, count + 1))


def _puback(mid: int) -> bytes:
    return bytes((0x40, 2, mid >> 8, mid & 0xFF))


def test_the_pubacks_of_a_burst_go_out_in_one_write(
    engines: Engines, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PUBACK waits while later messages are being handled; the last one's sends them all
    (one send() instead of one each: on loopback a send costs more than the Python around it)."""
    monkeypatch.setattr("iotic_app.transports.mqtt._builtin_engine.HOLD", 30.0)
    raw = RawServer(b"\x20\x03\x00\x00\x00", then=_publishes(3))
    try:
        engine, events = engines.open(raw.port)
        events.wait(lambda: len(events.messages) == 3, "three messages")
        first, second, third = events.messages
        engine.ack(first)
        engine.ack(second)
        with raw.cond:  # held: the third message is still being handled
            assert not raw.cond.wait_for(lambda: len(raw.got) > 1, 0.3), raw.got
        engine.ack(third)
        raw.wait(lambda: len(raw.got) == 4, "three PUBACKs")
        assert raw.got[1:] == [_puback(1), _puback(2), _puback(3)]
        assert raw.reads == [_puback(1) + _puback(2) + _puback(3)]  # one write
    finally:
        raw.close()


def test_a_held_puback_goes_out_within_hold_when_the_next_message_is_never_acknowledged(
    engines: Engines,
) -> None:
    """The second message stays in a callback (or is never acknowledged): the first one's
    PUBACK still goes out, within HOLD (5 ms), not at the next keep-alive."""
    raw = RawServer(b"\x20\x03\x00\x00\x00", then=_publishes(2))
    try:
        engine, events = engines.open(raw.port, keepalive=60)
        events.wait(lambda: len(events.messages) == 2, "two messages")
        engine.ack(events.messages[0])
        raw.wait(lambda: _puback(1) in raw.got, "the first PUBACK", timeout=2.0)
        assert _puback(2) not in raw.got
    finally:
        raw.close()


def test_acks_on_the_io_thread_go_out_once_the_read_is_parsed(engines: Engines) -> None:
    """Messages acknowledged as they come (on the I/O thread): their PUBACKs are held until
    the read is parsed, then go out together."""
    raw = RawServer(b"\x20\x03\x00\x00\x00", then=_publishes(5))
    try:
        _engine, _events = engines.open(raw.port, ack=True)
        raw.wait(lambda: len(raw.got) == 6, "five PUBACKs")
        assert raw.got[1:] == [_puback(n) for n in range(1, 6)]
    finally:
        raw.close()


def test_publishes_inside_corked_go_out_in_one_write(
    engines: Engines, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("iotic_app.transports.mqtt._builtin_engine.HOLD", 30.0)
    raw = RawServer(b"\x20\x03\x00\x00\x00")
    try:
        engine, _events = engines.open(raw.port)
        with engine.corked():
            mids = [engine.publish("a/b", b"%d" % n, 1, False) for n in range(3)]
            with raw.cond:  # held until the end of the block
                assert not raw.cond.wait_for(lambda: len(raw.got) > 1, 0.3), raw.got
        raw.wait(lambda: len(raw.got) == 4, "three PUBLISHes")
        assert len(raw.reads) == 1 and raw.reads[0].count(b"a/b") == 3
        assert mids == [1, 2, 3]
    finally:
        raw.close()
