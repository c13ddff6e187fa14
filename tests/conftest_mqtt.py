"""Fixtures for tests that need an MQTT broker (imported by tests/conftest.py).

Every test that needs a broker gets Mosquitto started on 127.0.0.1 on a free port, or, when
``IOTIC_APP_TEST_BROKER=mqtt://host:port`` is set, that external broker: then every test runs
there, each on a topic root of its own, and the tests that need a broker of their own (to kill,
restart or reconfigure it, or one with ACL files or TLS) skip, saying so.
``IOTIC_APP_TEST_PROTOCOL=3.1.1`` (or ``5``, the default) is the MQTT protocol of every client
whose config names none (it sets ``IOTIC_APP_MQTT_PROTOCOL`` for this process and the agents it
starts); tests of what needs MQTT 5 skip on 3.1.1. Without a mosquitto binary the tests skip,
saying why.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from broker import Broker, TlsFiles, find_mosquitto, make_test_ca

__all__ = [
    "EXTERNAL_BROKER_VAR",
    "NEEDS_V5",
    "PROTOCOL_VAR",
    "ExternalBroker",
    "MqttSpace",
    "StockMqttSpace",
    "broker_url",
    "clear_retained",
    "external_broker",
    "mqtt_broker",
    "own_broker",
    "run_level",
    "run_protocol",
    "session_broker",
    "stock_broker",
    "stock_broker_url",
    "tls_files",
    "two_brokers",
    "unique_name",
    "v5_only",
]

EXTERNAL_BROKER_VAR = "IOTIC_APP_TEST_BROKER"
PROTOCOL_VAR = "IOTIC_APP_TEST_PROTOCOL"


def external_broker() -> str | None:
    """Return ``$IOTIC_APP_TEST_BROKER`` when it is set."""
    value = os.environ.get(EXTERNAL_BROKER_VAR, "").strip()
    return value or None


def run_protocol() -> str:
    """``$IOTIC_APP_TEST_PROTOCOL``: ``'3.1.1'`` or ``'5'`` (the default)."""
    value = os.environ.get(PROTOCOL_VAR, "").strip() or "5"
    if value not in ("3.1.1", "5"):
        raise pytest.UsageError(f"${PROTOCOL_VAR} must be 3.1.1 or 5, got {value!r}")
    return value


if run_protocol() != "5":  # the default of every client's protocol option, here and in agents
    from iotic_app.transports.mqtt._settings import PROTOCOL_VARIABLE

    os.environ[PROTOCOL_VARIABLE] = run_protocol()


def run_level() -> int:
    """The MQTT protocol level of the run, for raw clients in tests: 5, or 4 (MQTT 3.1.1)."""
    return 4 if run_protocol() == "3.1.1" else 5


#: Marks a test (or a parameter) that needs MQTT 5: skipped on an MQTT 3.1.1 run.
NEEDS_V5 = pytest.mark.skipif(
    run_protocol() != "5", reason=f"needs MQTT 5; ${PROTOCOL_VAR} is {run_protocol()}"
)


def v5_only(what: str) -> None:
    """Skip the test when the suite runs on MQTT 3.1.1: *what* needs MQTT 5."""
    if run_protocol() != "5":
        pytest.skip(f"{what} needs MQTT 5; ${PROTOCOL_VAR} is {run_protocol()}")


class ExternalBroker:
    """``$IOTIC_APP_TEST_BROKER`` in place of a broker of the test's own: a test that only
    connects to it runs there; one that would kill, restart or look inside it skips."""

    def __init__(self, url: str) -> None:
        self.url = url
        rest = url.split("://", 1)[-1].split("?", 1)[0].rstrip("/")
        host, _, port = rest.rpartition(":")
        self.host = host.strip("[]") or "127.0.0.1"
        self.port = int(port) if port else 1883
        self.running = True

    def _own(self, what: str) -> None:
        pytest.skip(f"{what} a broker of its own; ${EXTERNAL_BROKER_VAR} points elsewhere")

    def start(self, timeout: float = 10.0) -> None:
        """Nothing to start (it runs)."""

    def kill(self) -> None:
        self._own("kills")

    def restart(self, timeout: float = 10.0) -> None:
        self._own("restarts")

    def close(self) -> None:
        """Nothing to end (it is not the test's)."""

    def __getattr__(self, name: str) -> Any:
        """``process``, ``directory``, ``config_file``, ...: what only a broker of the test's
        own has (its process, its files) skips the test."""
        if name.startswith("__"):
            raise AttributeError(name)
        self._own(f"uses {name!r} of")
        raise AssertionError  # pragma: no cover - skip raised


@pytest.fixture(autouse=True)
def _own_root_on_an_external_broker(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On ``$IOTIC_APP_TEST_BROKER`` each test's clients use a topic root of their own unless
    their config names one (a broker of the test's own starts empty; that one does not). A
    test marked ``fixed_root`` (it names ``iotic/...`` topics itself) keeps ``iotic``, cleared
    of retained messages first."""
    url = external_broker()
    if url is None:
        return
    if request.node.get_closest_marker("fixed_root") is not None:
        clear_retained(ExternalBroker(url), "iotic")
        return
    from iotic_app.transports.mqtt import _settings

    monkeypatch.setattr(_settings, "DEFAULT_ROOT", f"test-{uuid.uuid4().hex[:12]}")


def clear_retained(broker: ExternalBroker, root: str, timeout: float = 10.0) -> None:
    """Clear every retained message under *root* on *broker* (one that sends retained copies
    to wildcard subscriptions)."""
    import threading

    import paho.mqtt.client as mqtt

    found: set[str] = set()
    marker = f"{root}/_clear/{uuid.uuid4().hex}"
    done = threading.Event()

    def got(client: Any, userdata: Any, message: Any) -> None:
        if message.topic == marker:
            done.set()
        elif message.retain and message.payload:
            found.add(message.topic)

    connected = threading.Event()
    paho = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=run_level())
    paho.on_message = got
    paho.on_connect = lambda *args: connected.set()
    paho.connect(broker.host, broker.port)
    paho.loop_start()
    try:
        if not connected.wait(timeout):
            raise AssertionError(f"clearing {root}/# on {broker.url}: no CONNACK")
        paho.subscribe(f"{root}/#", qos=1)
        paho.publish(marker, b"x", qos=1).wait_for_publish(timeout)
        if not done.wait(timeout):
            raise AssertionError(f"clearing {root}/# on {broker.url}: no marker back")
        sent = [paho.publish(topic, b"", qos=1, retain=True) for topic in sorted(found)]
        for info in sent:
            info.wait_for_publish(timeout)
    finally:
        paho.disconnect()
        paho.loop_stop()


def need_mosquitto() -> str:
    """Return the mosquitto binary's path, or skip the test saying why."""
    binary = find_mosquitto()
    if binary is None:
        pytest.skip("no mosquitto binary: apt-get install mosquitto mosquitto-clients")
    return binary


def need_own_broker() -> str:
    """Skip when the suite runs against an external broker; return the mosquitto binary."""
    if external_broker() is not None:
        pytest.skip(f"needs a broker of its own; ${EXTERNAL_BROKER_VAR} points elsewhere")
    return need_mosquitto()


_SHARED: dict[bool, Broker] = {}


def _session_broker(stock: bool) -> str:
    url = external_broker()
    if url is not None:
        return url
    if stock not in _SHARED:
        binary = need_mosquitto()
        directory = Path(tempfile.mkdtemp(prefix="iotic-mosquitto-"))
        broker = Broker(directory, binary=binary, stock=stock)
        broker.start()
        _SHARED[stock] = broker
        atexit.register(broker.close)
    broker = _SHARED[stock]
    if not broker.running:
        broker.start()
    return broker.url


def shared_broker_url() -> str:
    """Return the URL of the session's tuned broker (persistence, no queue or in-flight
    limits): ``$IOTIC_APP_TEST_BROKER``, else a Mosquitto started on first use (and killed at
    exit). Skips the test when there is neither."""
    return _session_broker(stock=False)


def stock_broker_url() -> str:
    """Return the URL of the session's stock broker (a listener and nothing tuned, as users
    run Mosquitto): ``$IOTIC_APP_TEST_BROKER``, else one started on first use."""
    return _session_broker(stock=True)


class MqttSpace:
    """A fresh space on the session's tuned broker for one contract test: its own topic root
    (so retained things of other tests are invisible) and its own outbox folder."""

    broker_url = staticmethod(shared_broker_url)
    options = ""  # more of every client's options (``&protocol=3.1.1``)

    def __init__(self) -> None:
        self.broker = self.broker_url()
        self.root = f"test-{uuid.uuid4().hex[:12]}"
        self.outbox = tempfile.mkdtemp(prefix="iotic-outbox-")
        atexit.register(shutil.rmtree, self.outbox, True)
        from conftest_directory import space_made

        space_made(self.broker, self.root, self.options)  # a test that needs one gets one

    def url(self, agent: str) -> str:
        return f"{self.broker}?agent={agent}&root={self.root}&outbox={self.outbox}{self.options}"


class StockMqttSpace(MqttSpace):
    """The same on the session's stock broker (Mosquitto's defaults: in-flight limit 20,
    1,000 queued messages per session, no persistence)."""

    broker_url = staticmethod(stock_broker_url)


@pytest.fixture(scope="session")
def session_broker() -> Iterator[Broker | None]:
    """One Mosquitto for the whole session (None when an external broker is configured)."""
    shared_broker_url()
    yield _SHARED.get(False)


@pytest.fixture
def broker_url(session_broker: Broker | None) -> str:
    """``mqtt://host:port`` of the session's broker (or of ``$IOTIC_APP_TEST_BROKER``)."""
    return shared_broker_url()


@pytest.fixture
def two_brokers(tmp_path: Path) -> Iterator[tuple[Broker, Broker]]:
    """Two independent Mosquittos of the test's own, started (a failover's list)."""
    binary = need_own_broker()
    first, second = Broker(tmp_path / "a", binary=binary), Broker(tmp_path / "b", binary=binary)
    try:
        first.start()
        second.start()
        yield first, second
    finally:
        first.close()
        second.close()


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[Broker]:
    """A Mosquitto of the test's own, started, that the test may kill and restart; on
    ``$IOTIC_APP_TEST_BROKER``, that broker (killing or restarting it skips the test)."""
    url = external_broker()
    if url is not None:
        yield ExternalBroker(url)  # type: ignore[misc]
        return
    binary = need_mosquitto()
    broker = Broker(tmp_path / "mosquitto", binary=binary)
    try:
        broker.start()
        yield broker
    finally:
        broker.close()


@pytest.fixture
def stock_broker(tmp_path: Path) -> Iterator[Broker]:
    """A Mosquitto of the test's own with its stock settings (a listener, nothing tuned); on
    ``$IOTIC_APP_TEST_BROKER``, that broker (as ``own_broker``)."""
    url = external_broker()
    if url is not None:
        yield ExternalBroker(url)  # type: ignore[misc]
        return
    binary = need_mosquitto()
    broker = Broker(tmp_path / "mosquitto", binary=binary, stock=True)
    try:
        broker.start()
        yield broker
    finally:
        broker.close()


# Kept for readability in tests that just need "a broker".
mqtt_broker = own_broker


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A test CA and a server certificate for 127.0.0.1, made once per session."""
    return make_test_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def unique_name() -> str:
    """A short name no other test uses (agent names on a shared broker)."""
    return "t" + uuid.uuid4().hex[:12]
