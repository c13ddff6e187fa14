"""Fixtures of the contract suite: one client factory per transport (add MQTT as one param)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from conftest_cluster import NatsClusterSpace
from conftest_mqtt import MqttSpace, StockMqttSpace

from iotic_app.client import Client


class LocalSpace:
    """A fresh, uniquely named embedded space per test."""

    def __init__(self) -> None:
        self.name = f"contract-{uuid.uuid4().hex[:12]}"

    def url(self, agent: str) -> str:
        return f"local://{self.name}?agent={agent}"


# Transport name -> factory of an object with .url(agent): the embedded space, a Mosquitto with
# its stock settings (as users run it), a tuned one (persistence, no queue or in-flight limits)
# and a 3-node NATS server cluster (MQTT 3.1.1; a test's agents on different nodes).
SPACES: dict[str, Callable[[], Any]] = {
    "local": LocalSpace,
    "mqtt": StockMqttSpace,
    "mqtt-tuned": MqttSpace,
    "nats-cluster": NatsClusterSpace,
}


@pytest.fixture(params=sorted(SPACES))
def space(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The space every client of one test connects to (closed after them, if it can be)."""
    made = SPACES[request.param]()
    yield made
    close = getattr(made, "close", None)
    if close is not None:
        close()


NEEDS = "needs"  # marker: needs("FEATURE"): skipped on a space whose broker lacks FEATURE


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{NEEDS}(feature): needs a broker feature; skipped on a space whose `lacks` names it "
        "(mqtt5: shared subscriptions; one_order: one order of all messages, as one broker has; "
        "resend_at_reconnect: unacknowledged messages sent again at a reconnect)",
    )


@pytest.fixture(autouse=True)
def _skip_what_the_broker_lacks(request: pytest.FixtureRequest) -> None:
    """Skip a test marked ``needs(FEATURE)`` on a space that lacks FEATURE, saying why."""
    marker = request.node.get_closest_marker(NEEDS)
    if marker is None:
        return
    lacks: dict[str, str] = getattr(request.getfixturevalue("space"), "lacks", {})
    for feature in marker.args:
        if feature in lacks:
            pytest.skip(lacks[feature])


@pytest.fixture
def make_client(space: Any) -> Iterator[Callable[..., Client]]:
    """Make a started client for an agent (default "alice"); all are closed at the end."""
    made: list[Client] = []

    def make(agent: str = "alice", *, start: bool = True) -> Client:
        client = Client(space.url(agent))
        made.append(client)
        if start:
            client.start()
        return client

    yield make
    for client in made:
        client.close()


class Collector:
    """A callback that records its arguments and the threads it ran on; wait() for n calls."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.threads: list[threading.Thread] = []
        self._cond = threading.Condition()

    def __call__(self, args: dict[str, Any]) -> None:
        with self._cond:
            self.calls.append(args)
            self.threads.append(threading.current_thread())
            self._cond.notify_all()

    def wait(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Wait until at least *count* calls came; fail the test otherwise."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.calls) >= count, timeout):
                pytest.fail(f"expected {count} callbacks within {timeout} s, got {len(self.calls)}")
            return list(self.calls)


@pytest.fixture
def collector() -> Collector:
    return Collector()


@pytest.fixture
def eventually() -> Callable[..., Any]:
    """The :func:`eventually_true` helper, as a fixture."""
    return eventually_true


def eventually_true(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Return check()'s first truthy result, retrying for transports whose metadata travels.

    On local:// the first try succeeds. Waits on an Event that nobody sets (no sleep).
    """
    pause = threading.Event()
    deadline = timeout
    result = check()
    while not result and deadline > 0:
        pause.wait(0.02)
        deadline -= 0.02
        result = check()
    return result
