"""Fixtures for tests that need an MQTT broker (imported by tests/conftest.py).

Every test that needs a broker gets Mosquitto started on 127.0.0.1 on a free port, or, when
``IOTIC_APP_TEST_BROKER=mqtt://host:port`` is set, that external broker (then the tests that
kill, restart or reconfigure a broker skip). Without a mosquitto binary they skip, saying why.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from broker import Broker, TlsFiles, find_mosquitto, make_test_ca

__all__ = [
    "EXTERNAL_BROKER_VAR",
    "MqttSpace",
    "StockMqttSpace",
    "broker_url",
    "mqtt_broker",
    "own_broker",
    "session_broker",
    "stock_broker",
    "stock_broker_url",
    "tls_files",
    "unique_name",
]

EXTERNAL_BROKER_VAR = "IOTIC_APP_TEST_BROKER"


def external_broker() -> str | None:
    """Return ``$IOTIC_APP_TEST_BROKER`` when it is set."""
    value = os.environ.get(EXTERNAL_BROKER_VAR, "").strip()
    return value or None


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

    def __init__(self) -> None:
        self.broker = self.broker_url()
        self.root = f"test-{uuid.uuid4().hex[:12]}"
        self.outbox = tempfile.mkdtemp(prefix="iotic-outbox-")
        atexit.register(shutil.rmtree, self.outbox, True)
        from conftest_directory import space_made

        space_made(self.broker, self.root)  # a test that needs a directory gets one

    def url(self, agent: str) -> str:
        return f"{self.broker}?agent={agent}&root={self.root}&outbox={self.outbox}"


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
def own_broker(tmp_path: Path) -> Iterator[Broker]:
    """A Mosquitto of the test's own, started, that the test may kill and restart."""
    binary = need_own_broker()
    broker = Broker(tmp_path / "mosquitto", binary=binary)
    try:
        broker.start()
        yield broker
    finally:
        broker.close()


@pytest.fixture
def stock_broker(tmp_path: Path) -> Iterator[Broker]:
    """A Mosquitto of the test's own with its stock settings (a listener, nothing tuned)."""
    binary = need_own_broker()
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
