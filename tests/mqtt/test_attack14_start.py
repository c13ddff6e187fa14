"""Attack on issue 14 (several brokers): start() on a list whose first broker is unusable in
ways other than a refused TCP connect. Each test states what should happen."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from broker import Broker, free_port
from conftest_mqtt import need_own_broker

from iotic_app.client import Client
from iotic_app.exceptions import LinkException

pytestmark = pytest.mark.timeout(120)


class Silent:
    """Accepts TCP connections on a free port and never answers a byte."""

    def __init__(self) -> None:
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(16)
        self.port: int = self.server.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        self.server.close()
        self.thread.join(2)
        for conn in self.accepted:
            conn.close()


@pytest.fixture
def silent() -> Any:
    made: list[Silent] = []

    def make() -> Silent:
        made.append(Silent())
        return made[-1]

    yield make
    for one in made:
        one.close()


@pytest.fixture
def good(tmp_path: Path) -> Any:
    broker = Broker(tmp_path / "good", binary=need_own_broker())
    broker.start()
    yield broker
    broker.close()


def url(ports: list[int], agent: str, outbox: Path, extra: str = "") -> str:
    listed = ",".join(f"127.0.0.1:{port}" for port in ports)
    return f"mqtt://{listed}?agent={agent}&outbox={outbox}{extra}"


def test_a_silent_first_broker_moves_on_to_the_second(
    silent: Any, good: Broker, tmp_path: Path
) -> None:
    """A first broker that accepts TCP but never answers: start() should wait its
    connect_timeout and use the second broker (docs: 'tries the brokers in order')."""
    quiet = silent()
    client = Client(url([quiet.port, good.port], "alice", tmp_path / "o", "&connect_timeout=1"))
    began = time.monotonic()
    try:
        client.start()
        assert client.create_thing("t").lid == "t"
    finally:
        took = time.monotonic() - began
        client.close()
    assert took < 4, took


def test_three_silent_brokers_fail_naming_all_three_in_about_three_timeouts(
    silent: Any, tmp_path: Path
) -> None:
    quiet = [silent().port for _ in range(3)]
    client = Client(url(quiet, "alice", tmp_path / "o", "&connect_timeout=1"))
    began = time.monotonic()
    with pytest.raises(LinkException) as caught:
        client.start()
    took = time.monotonic() - began
    client.close()
    text = str(caught.value)
    assert all(f"127.0.0.1:{p}" in text for p in quiet), text
    assert took < 3 * 1 + 3, took  # three timeouts, not six


def test_a_first_broker_of_another_wire_version_moves_on_to_the_second(
    good: Broker, tmp_path: Path, need_mosquitto_pub: Any = None
) -> None:
    """Broker A holds a retained iotic/_wire of another version; B is fine. start() should
    use B (or at least say both), not retry A three times and stop."""
    other = Broker(tmp_path / "other", binary=need_own_broker())
    other.start()
    try:
        import paho.mqtt.client as paho

        pub = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="wirepub")
        pub.connect("127.0.0.1", other.port)
        pub.loop_start()
        info = pub.publish("iotic/_wire", b'{"v":99}', qos=1, retain=True)
        info.wait_for_publish(5)
        pub.disconnect()
        pub.loop_stop()
        client = Client(url([other.port, good.port], "alice", tmp_path / "o"))
        try:
            client.start()
            assert client.create_thing("t").lid == "t"
        finally:
            client.close()
    finally:
        other.close()


def test_a_first_broker_refusing_the_credentials_moves_on_and_never_shows_the_password(
    good: Broker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    strict = Broker(tmp_path / "strict", binary=need_own_broker(), passwords={"u": "right"})
    strict.start()
    try:
        secret = "S3cr,et:@x"
        from urllib.parse import quote

        listed = f"127.0.0.1:{strict.port},127.0.0.1:{good.port}"
        client = Client(
            f"mqtt://u:{quote(secret, safe='')}@{listed}?agent=alice&outbox={tmp_path}/o"
        )
        with client:
            assert client.create_thing("t").lid == "t"
        assert f"127.0.0.1:{strict.port}" in caplog.text
        down = free_port()
        listed = f"127.0.0.1:{strict.port},127.0.0.1:{down}"
        client = Client(
            f"mqtt://u:{quote(secret, safe='')}@{listed}?agent=alice&outbox={tmp_path}/p"
        )
        with pytest.raises(LinkException) as caught:
            client.start()
        client.close()
        text = str(caught.value)
        assert "refused" in text and str(down) in text and str(strict.port) in text, text
        assert "S3cr" not in text + caplog.text + repr(client)
    finally:
        strict.close()


@pytest.mark.parametrize("first_down", [False, True])
def test_a_second_process_takes_the_session_over_when_the_first_broker_is_down(
    good: Broker, tmp_path: Path, first_down: bool
) -> None:
    """[down, B]: claim_first() claims on the first broker only; when it cannot be reached the
    claim on B keeps generation 0, so which of two processes of one agent wins is decided by
    comparing their random instance ids. The newer process must win, every time (control:
    first_down=False, a list whose first broker is B)."""
    from test_faults import Agent

    from iotic_app.exceptions import SessionTakenOver

    down = free_port()
    losers: list[str] = []
    for i in range(3):  # (random instance ids: each round a coin toss before the fix)
        ports = [down, good.port] if first_down else [good.port, down]
        listed = ",".join(f"127.0.0.1:{p}" for p in ports)
        url = f"mqtt://{listed}?agent=solo{i}&connect_timeout=2"
        first = Client(f"{url}&outbox={tmp_path / f'o{i}a'}")
        first.start()
        second = Agent("hold", f"{url}&outbox={tmp_path / f'o{i}b'}")
        try:
            second.expect("ready")
            deadline = time.monotonic() + 10
            loser = "none"
            while time.monotonic() < deadline:
                try:
                    first.create_thing("t")
                except SessionTakenOver:
                    loser = "first"
                    break
                except LinkException:
                    pass
                if second.process.poll() is not None:
                    loser = "second"
                    break
                threading.Event().wait(0.1)
            losers.append(loser)
        finally:
            second.close()
            first.close()
    assert losers == ["first"] * 3, losers
