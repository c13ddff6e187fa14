"""Fixtures for tests that need an MQTT broker (imported by tests/conftest.py).

Every test that needs a broker gets Mosquitto started on 127.0.0.1 on a free port, or, when
``IOTIC_APP_TEST_BROKER=mqtt://host:port`` is set, that external broker (then the tests that
kill, restart or reconfigure a broker skip). Without a mosquitto binary they skip, saying why.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from broker import Broker, TlsFiles, find_mosquitto, make_test_ca

__all__ = [
    "EXTERNAL_BROKER_VAR",
    "broker_url",
    "mqtt_broker",
    "own_broker",
    "session_broker",
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


@pytest.fixture(scope="session")
def session_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker | None]:
    """One Mosquitto for the whole session (None when an external broker is configured)."""
    if external_broker() is not None:
        yield None
        return
    binary = need_mosquitto()
    broker = Broker(tmp_path_factory.mktemp("mosquitto"), binary=binary)
    try:
        broker.start()
        yield broker
    finally:
        broker.close()


@pytest.fixture
def broker_url(session_broker: Broker | None) -> str:
    """``mqtt://host:port`` of the session's broker (or of ``$IOTIC_APP_TEST_BROKER``)."""
    if session_broker is None:
        url = external_broker()
        assert url is not None
        return url
    if not session_broker.running:
        session_broker.start()
    return session_broker.url


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
