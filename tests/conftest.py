"""Shared fixtures: a client that records what the runner does with it."""

from __future__ import annotations

from collections.abc import Callable

import pytest


class RecordingClient:
    """A stand-in for a client: records start()/stop() into a shared call log.

    *fail_start* is called on every start() and may raise to simulate a broker that is down.
    """

    def __init__(self, log: list[str], fail_start: Callable[[], None] | None = None) -> None:
        self.log = log
        self.started = False
        self.fail_start = fail_start

    def start(self) -> None:
        self.log.append("client.start")
        if self.fail_start is not None:
            self.fail_start()
        self.started = True

    def stop(self) -> None:
        self.log.append("client.stop")
        self.started = False


@pytest.fixture
def log() -> list[str]:
    return []


@pytest.fixture
def client(log: list[str]) -> RecordingClient:
    return RecordingClient(log)


# MQTT broker fixtures (a Mosquitto per session or per test), for tests/mqtt and the contract suite.
from conftest_cluster import nats_cluster  # noqa: E402, F401
from conftest_directory import directories_for_spaces, start_directory  # noqa: E402, F401
from conftest_mqtt import (  # noqa: E402, F401
    broker_url,
    own_broker,
    session_broker,
    stock_broker,
    tls_files,
    two_brokers,
    unique_name,
)

# Search through a directory (issue 12): on MQTT, every scope but localOwn goes to a directory
# process next to the broker. Tests marked ``needs_directory`` get one for every MQTT space they
# make (``conftest_directory.directories_for_spaces``).
NEEDS_DIRECTORY = "needs_directory"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{NEEDS_DIRECTORY}: searches (scope public or local) that need an iotic_app directory "
        "on MQTT; every MQTT space the test makes gets one",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker(NEEDS_DIRECTORY) is not None:
            fixtures = getattr(item, "fixturenames", None)
            if fixtures is not None and "directories_for_spaces" not in fixtures:
                fixtures.insert(0, "directories_for_spaces")  # before the fixtures make spaces
