"""The classic created/duplicate/deleted callbacks of a client's own calls, on local:// and MQTT."""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from conftest_mqtt import StockMqttSpace

from iotic_app.ioticagent import IOT
from iotic_app.ioticagent.Core.Const import R_CONTROL, R_ENTITY, R_FEED, R_SUB


class _LocalSpace:
    def __init__(self) -> None:
        self.name = f"compat-crud-{uuid.uuid4().hex[:8]}"

    def url(self, agent: str) -> str:
        return f"local://{self.name}?agent={agent}"


SPACES: dict[str, Callable[[], Any]] = {"local": _LocalSpace, "mqtt": StockMqttSpace}


@pytest.fixture(params=sorted(SPACES))
def client(request: pytest.FixtureRequest) -> Iterator[IOT.Client]:
    with IOT.Client(SPACES[request.param]().url("agent1")) as agent1:
        yield agent1


class Events:
    """Records (name, payload, ran on the worker) of every notification; wait(n) for n."""

    def __init__(self, client: IOT.Client) -> None:
        self.client = client
        self.calls: list[tuple[str, Any, bool]] = []
        self._cond = threading.Condition()

    def callback(self, name: str) -> Callable[[Any], None]:
        def record(payload: Any) -> None:
            with self._cond:
                self.calls.append((name, payload, self.client.in_callback()))
                self._cond.notify_all()

        return record

    def wait(self, count: int, timeout: float = 10.0) -> list[tuple[str, Any]]:
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.calls) >= count, timeout):
                pytest.fail(f"expected {count} notifications, got {self.calls}")
            assert all(on_worker for _, _, on_worker in self.calls)
            assert all(type(payload) is OrderedDict for _, payload, _ in self.calls)
            return [(name, dict(payload)) for name, payload, _ in self.calls]


@pytest.fixture
def events(client: IOT.Client) -> Events:
    recorded = Events(client)
    client.register_callback_created(recorded.callback("created"))
    client.register_callback_duplicate(recorded.callback("duplicate"), serialised=False)
    client.register_callback_deleted(recorded.callback("deleted"))
    return recorded


def test_things_and_points_created_again_and_deleted(client: IOT.Client, events: Events) -> None:
    thing = client.create_thing("crud")
    client.create_thing("crud")
    feed = thing.create_feed("f")
    control = thing.create_control("c", None)
    thing.create_feed("f")
    thing.delete_feed("f")
    thing.delete_control("c")
    client.delete_thing("crud")
    agent = client.agent_id
    assert events.wait(8) == [
        ("created", {"r": R_ENTITY, "lid": "crud", "id": thing.guid, "epId": agent}),
        ("duplicate", {"r": R_ENTITY, "lid": "crud", "id": thing.guid, "epId": agent}),
        ("created", {"r": R_FEED, "lid": "f", "entityLid": "crud", "id": feed.guid}),
        ("created", {"r": R_CONTROL, "lid": "c", "entityLid": "crud", "id": control.guid}),
        ("duplicate", {"r": R_FEED, "lid": "f", "entityLid": "crud", "id": feed.guid}),
        ("deleted", {"r": R_FEED, "lid": "f", "entityLid": "crud", "id": feed.guid}),
        ("deleted", {"r": R_CONTROL, "lid": "c", "entityLid": "crud", "id": control.guid}),
        ("deleted", {"r": R_ENTITY, "lid": "crud", "id": thing.guid}),
    ]


def test_follows_and_attaches(client: IOT.Client, events: Events) -> None:
    sharer = client.create_thing("sharer")
    feed = sharer.create_feed("f")
    control = sharer.create_control("c", None)
    follower = client.create_thing("follower")
    events.wait(4)  # the thing, feed, control and thing above
    followed = follower.follow(feed.guid)
    follower.follow(feed.guid)
    attached = follower.attach(("sharer", "c"))
    follower.unfollow(followed)
    follower.unattach(control.guid)
    sub = {"entityLid": "follower", "r": R_SUB}
    assert events.wait(9)[4:] == [
        ("created", {**sub, "id": followed.subid, "pointType": R_FEED, "pointId": feed.guid}),
        ("duplicate", {**sub, "id": followed.subid, "pointType": R_FEED, "pointId": feed.guid}),
        (
            "created",
            {
                **sub,
                "id": attached.subid,
                "pointType": R_CONTROL,
                "pointId": control.guid,
                "pointEntityLid": "sharer",
                "pointLid": "c",
            },
        ),
        ("deleted", {**sub, "id": followed.subid}),
        ("deleted", {**sub, "id": attached.subid}),
    ]


def test_the_private_requests_notify_too_and_none_unregisters(
    client: IOT.Client, events: Events
) -> None:
    """mqtt_bridge's _request_entity_create answers with E_CREATED: the callbacks hear it."""
    event = client._request_entity_create("bridged")
    assert event.success
    client.register_callback_created(None)
    client.create_thing("unheard")
    client._request_entity_delete("bridged")
    [created, deleted] = events.wait(2)
    assert created == ("created", {**event.payload})
    assert deleted[0] == "deleted" and deleted[1]["lid"] == "bridged"
    assert len(events.calls) == 2


def test_bad_registrations_are_reported(client: IOT.Client) -> None:
    with pytest.raises(TypeError, match="func must be callable or None, got 3"):
        client.register_callback_created(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="serialised must be True or False, got 'yes'"):
        client.register_callback_deleted(print, serialised="yes")  # type: ignore[arg-type]
