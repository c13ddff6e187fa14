"""Fixtures of the contract suite: one client factory per transport (add MQTT as one param)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from conftest_cluster import NatsClusterSpace
from conftest_mqtt import PROTOCOL_VAR, MqttSpace, StockMqttSpace, run_protocol

from iotic_app.client import Client


class LocalSpace:
    """A fresh, uniquely named embedded space per test."""

    def __init__(self) -> None:
        self.name = f"contract-{uuid.uuid4().hex[:12]}"

    def url(self, agent: str) -> str:
        return f"local://{self.name}?agent={agent}"


class RabbitMQSpace(MqttSpace):
    """A space on one RabbitMQ node (MQTT plugin, 3.1.1 only), started once per session:
    the ``rabbitmq``-marked run (``python -m pytest -m rabbitmq``)."""

    options = "&protocol=3.1.1"

    @staticmethod
    def broker_url() -> str:
        from broker_more import find_rabbitmq, shared_rabbitmq

        if find_rabbitmq() is None:
            pytest.skip("no rabbitmq-server: apt-get install rabbitmq-server")
        return shared_rabbitmq().url


# Transport name -> factory of an object with .url(agent): the embedded space, a Mosquitto with
# its stock settings (as users run it), a tuned one (persistence, no queue or in-flight limits)
# and a 3-node NATS server cluster (MQTT 3.1.1; a test's agents on different nodes); RabbitMQ
# only in the run marked rabbitmq.
SPACES: dict[str, Callable[[], Any]] = {
    "local": LocalSpace,
    "mqtt": StockMqttSpace,
    "mqtt-tuned": MqttSpace,
    "rabbitmq": RabbitMQSpace,
    "nats-cluster": NatsClusterSpace,
}
MARKS = {"rabbitmq": [pytest.mark.rabbitmq]}


@pytest.fixture(params=[pytest.param(name, marks=MARKS.get(name, [])) for name in sorted(SPACES)])
def space(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The space every client of one test connects to (closed after them, if it can be)."""
    test = request.node.originalname
    limit = RABBITMQ_LIMITS.get(test) if request.param == "rabbitmq" else None
    if limit is not None:
        pytest.skip(f"RabbitMQ: {limit}")
    if request.param in ("mqtt", "mqtt-tuned") and test in V5_ONLY and run_protocol() != "5":
        pytest.skip(f"{V5_ONLY[test]}; ${PROTOCOL_VAR} is {run_protocol()}")
    made = SPACES[request.param]()
    yield made
    close = getattr(made, "close", None)
    if close is not None:
        close()


# What the contract tests need of MQTT 5 (skipped on an MQTT 3.1.1 run): test -> what.
V5_ONLY = {
    "test_followers_in_a_group_share_the_load": "follow(group=...) needs MQTT 5",
    "test_a_kept_follow_keeps_its_group_and_its_held_values": "follow(group=...) needs MQTT 5",
}


# What the contract tests meet on RabbitMQ 3.10 (Debian 12's) that iotic_app does not work
# around; docs/mqtt.md's RabbitMQ section says the same to users.
_WILD = "it sends retained messages to exact subscriptions only, never to wildcard ones"
_RABBITMQ_LIMITS: dict[str, tuple[str, ...]] = {
    f"{_WILD}: a new client of an agent does not get its things' documents (ROOT/AGENT/+/meta)": (
        "test_a_property_survives_a_restart_of_the_agents_process",
        "test_the_same_thing_in_another_client_of_the_agent_sees_them",
    ),
    f"{_WILD}: a new client of an agent does not get its kept follows (ROOT/AGENT/+/subs), "
    "nor an owner its followers' records (ROOT/_followers/...)": (
        "test_follows_of_an_earlier_run_never_block_the_follows_of_this_one",
        "test_a_kept_follow_can_be_unfollowed_by_a_new_client",
        "test_a_kept_follow_of_a_deleted_feed_can_be_followed_again",
        "test_a_kept_follow_that_is_followed_again_leaves_the_catchall",
        "test_a_new_client_lists_the_follows_and_attaches_an_earlier_one_made",
        "test_held_values_reach_the_thing_they_were_for",
        "test_the_catchall_gets_the_values_of_a_kept_follow",
        "test_the_owner_lists_the_followers_of_its_feed_and_control",
        "test_values_queued_for_a_client_that_closes_reach_the_next_one",
    ),
    f"{_WILD}: an agent of an owner does not get the owner's other members "
    "(ROOT/_owner/OWNER/+) nor their things made before it started": (
        "test_following_again_after_the_feed_moved_to_another_agent_of_its_owner",
        "test_all_agents_lists_the_owners_things_with_their_agents",
        "test_a_lid_is_unique_per_owner",
        "test_an_owners_agent_started_again_has_its_thing_and_the_lid_stays_its",
        "test_the_owners_agents_see_each_others_private_things",
        "test_two_agents_creating_one_lid_at_once_one_wins",
        "test_unfollow_and_unattach_by_lid_pid_of_another_agent_of_the_owner",
    ),
    f"{_WILD}: no client sees a directory online (ROOT/_directory/+/online), so search "
    "raises DirectoryUnavailable": (
        "test_tell_describe_and_search_from_many_threads",
        "test_search_scopes_see_the_things_of_the_owner",
        "test_a_property_made_by_an_ended_process_is_found_by_search",
        "test_search_property_full_shape",
        "test_search_property_matches_every_property",
        "test_search_property_paging",
        "test_search_property_scopes",
        "test_search_property_shapes",
        "test_search_property_with_pointless",
        "test_an_updated_thing_keeps_its_place_in_results",
        "test_search_by_label_description_and_tags",
        "test_search_by_location_radius",
        "test_search_by_unit",
        "test_search_limit_and_offset",
        "test_search_limits_are_the_same_on_every_transport",
        "test_search_result_shape",
        "test_search_lang",
        "test_search_located",
        "test_search_minimal",
        "test_search_reduced",
        "test_search_scope",
        "test_search_without_pointless_things_pages_the_things_found",
        "test_the_default_scope_is_public_and_positional_text_works",
    ),
    f"{_WILD}: get_recent of a feed without save_recent (its last value is retained on the "
    "feed's own topic, fetched through FEED/#) returns []": ("test_get_recent_and_get_last",),
    "follow(group=...) needs MQTT 5 shared subscriptions; RabbitMQ 3.10 speaks MQTT 3.1.1 "
    "only (a group follow raises ValueError there)": (
        "test_followers_in_a_group_share_the_load",
        "test_a_kept_follow_keeps_its_group_and_its_held_values",
    ),
}
RABBITMQ_LIMITS = {test: why for why, tests in _RABBITMQ_LIMITS.items() for test in tests}


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
