"""MQTT 3.1.1-only brokers: an MQTT 5 client is told to use protocol=3.1.1, whatever way the
broker refuses it (NATS server answers CONNACK 1; a broker that closes the socket, as RabbitMQ
before 3.13 does, is asked again in 3.1.1), and 3.1.1 clients work there (one NATS server)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from _inbox import Numbered
from broker_more import NatsNode, find_nats

from iotic_app.client import Client
from iotic_app.exceptions import LinkException
from iotic_app.transports.mqtt._settings import PROTOCOL_VARIABLE

ENGINES = pytest.mark.parametrize("engine", ["builtin", "paho"])
PATIENCE = 20.0


@pytest.fixture(scope="module")
def nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsNode]:
    """One NATS server (JetStream, an MQTT 3.1.1 listener) for the module's tests."""
    if find_nats() is None:
        pytest.skip("no nats-server binary: apt-get install nats-server")
    node = NatsNode(tmp_path_factory.mktemp("nats"))
    node.start()
    try:
        yield node
    finally:
        node.close()


class Closer:
    """A broker that closes the connection on an MQTT 5 CONNECT (RabbitMQ 3.10's way) and
    accepts an MQTT 3.1.1 one (CONNACK 0, then nothing more), or refuses every CONNECT."""

    def __init__(self, speaks_311: bool = True) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.speaks_311 = speaks_311
        self.levels: list[int] = []  # the protocol level of each CONNECT, as it came
        self.clients: list[socket.socket] = []
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.server.settimeout(0.05)  # close() ends the accept loop within 50 ms
        while not self.closed.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(None)
            self.clients.append(conn)
            data = b""
            with contextlib.suppress(OSError):
                while len(data) < 9:  # fixed header, length, "\0\4MQTT", the level
                    chunk = conn.recv(256)
                    if not chunk:
                        break
                    data += chunk
            level = data[8] if len(data) > 8 else 0
            self.levels.append(level)
            if level == 4 and self.speaks_311:
                with contextlib.suppress(OSError):
                    conn.sendall(b"\x20\x02\x00\x00")
                    while conn.recv(256)[:1] not in (b"", b"\xe0"):  # until DISCONNECT
                        pass
            conn.close()

    def close(self) -> None:
        self.closed.set()
        self.server.close()
        for conn in self.clients:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
        self.thread.join(5)


@pytest.fixture
def closer() -> Iterator[Closer]:
    server = Closer()
    try:
        yield server
    finally:
        server.close()


def _url(base: str, agent: str, tmp_path: Path, **extra: str) -> str:
    query = "".join(f"&{k}={v}" for k, v in extra.items())
    return f"{base}?agent={agent}&outbox={tmp_path / agent}{query}"


@ENGINES
def test_mqtt5_on_nats_server_says_it_does_not_speak_mqtt5_and_how_to_fix_it(
    nats: NatsNode, tmp_path: Path, engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PROTOCOL_VARIABLE, raising=False)
    client = Client(_url(nats.url, "five", tmp_path, engine=engine))
    try:
        begun = time.monotonic()
        with pytest.raises(LinkException) as caught:
            client.start()
        assert time.monotonic() - begun < 5.0  # said at once, not after a timeout
    finally:
        client.close()
    text = str(caught.value)
    assert f"the MQTT broker at 127.0.0.1:{nats.port} does not speak MQTT 5" in text
    assert "unsupported protocol version" in text
    assert "add protocol=3.1.1 to the URL" in text and "'protocol = 3.1.1'" in text


@ENGINES
def test_mqtt5_on_a_broker_that_closes_the_socket_is_asked_again_in_311_and_told(
    closer: Closer, tmp_path: Path, engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PROTOCOL_VARIABLE, raising=False)
    client = Client(_url(f"mqtt://127.0.0.1:{closer.port}", "five", tmp_path, engine=engine))
    try:
        with pytest.raises(LinkException) as caught:
            client.start()
    finally:
        client.close()
    text = str(caught.value)
    assert f"the MQTT broker at 127.0.0.1:{closer.port} does not speak MQTT 5" in text
    assert "closed the connection on an MQTT 5 CONNECT, and answers 3.1.1's" in text
    assert "protocol=3.1.1" in text
    assert 4 in closer.levels and 5 in closer.levels


@ENGINES
def test_a_broker_that_closes_every_connect_is_not_called_a_311_broker(
    tmp_path: Path, engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PROTOCOL_VARIABLE, raising=False)
    server = Closer(speaks_311=False)
    client = Client(_url(f"mqtt://127.0.0.1:{server.port}", "five", tmp_path, engine=engine))
    try:
        with pytest.raises(LinkException, match="closed the connection without answering"):
            client.start()
    finally:
        client.close()
        server.close()


@ENGINES
def test_the_protocol_variable_gives_the_default_and_a_config_wins(
    nats: NatsNode, tmp_path: Path, engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PROTOCOL_VARIABLE, "3.1.1")
    with Client(_url(nats.url, "env", tmp_path, engine=engine)):
        pass
    client = Client(_url(nats.url, "cfg", tmp_path, engine=engine, protocol="5"))
    try:
        with pytest.raises(LinkException, match="does not speak MQTT 5"):
            client.start()
    finally:
        client.close()
    monkeypatch.setenv(PROTOCOL_VARIABLE, "4.2")
    with pytest.raises(ValueError, match="environment variable IOTIC_APP_MQTT_PROTOCOL must be"):
        Client(_url(nats.url, "bad", tmp_path))


@ENGINES
def test_311_on_nats_server_values_arrive_once_in_order_and_a_group_is_refused(
    nats: NatsNode, tmp_path: Path, engine: str
) -> None:
    root = f"v311{engine}"
    sharer = Client(_url(nats.url, "sharer", tmp_path, engine=engine, protocol="3.1.1", root=root))
    follower = Client(
        _url(nats.url, "follower", tmp_path, engine=engine, protocol="3.1.1", root=root)
    )
    with sharer, follower:
        thing = sharer.create_thing("t")
        thing.set_public()
        feed = thing.create_feed("f")
        values = Numbered(PATIENCE)
        display = follower.create_thing("d")
        display.follow(feed.guid, callback=values)
        for n in range(500):
            feed.share({"n": n})
        assert values.wait_for(500) == list(range(500))
        with pytest.raises(ValueError, match=r"group='pool' needs MQTT 5.*protocol is 3\.1\.1"):
            display.follow(feed.guid, callback=Numbered(PATIENCE), group="pool")


@ENGINES
def test_an_agent_id_with_a_dot_on_nats_server_is_told_it_cannot_work_there(
    nats: NatsNode, tmp_path: Path, engine: str
) -> None:
    """NATS server closes a connection that subscribes to a topic with '.' in it."""
    client = Client(_url(nats.url, "x.2", tmp_path, engine=engine, protocol="3.1.1"))
    try:
        with pytest.raises(LinkException, match=r"does not take '\.' in topic names"):
            client.start()
    finally:
        client.close()
