"""IOT.Client's private ``_request_*`` calls (mqtt_bridge's): finished 0.7.0-shaped events."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
from conftest_mqtt import StockMqttSpace

from iotic_app.ioticagent import IOT
from iotic_app.ioticagent.Core.Const import (
    E_COMPLETE,
    E_CREATED,
    E_DELETED,
    E_DUPLICATED,
    E_FAILED,
    E_FAILED_CODE_NOTALLOWED,
    E_FAILED_CODE_UNKNOWN,
    M_PAYLOAD,
    M_TYPE,
    R_CONTROL,
    R_ENTITY,
    R_FEED,
)
from iotic_app.ioticagent.IOT.Exceptions import LinkException


class _LocalSpace:
    def __init__(self) -> None:
        self.name = f"compat-req-{uuid.uuid4().hex[:8]}"

    def url(self, agent: str) -> str:
        return f"local://{self.name}?agent={agent}"


SPACES: dict[str, Callable[[], Any]] = {"local": _LocalSpace, "mqtt": StockMqttSpace}


@pytest.fixture(params=sorted(SPACES))
def client(request: pytest.FixtureRequest) -> Iterator[IOT.Client]:
    space = SPACES[request.param]()
    with IOT.Client(space.url("bridge")) as bridge:
        yield bridge


def _crud(evt: Any) -> tuple[int, Any]:
    """What mqtt_bridge reads of a CRUD event: its message's type and payload."""
    assert evt.wait(timeout=10) and evt.is_set() and evt.success and evt.is_crud
    (msg,) = evt._messages
    return msg[M_TYPE], msg[M_PAYLOAD]


def test_entity_create_then_duplicate_then_delete(client: IOT.Client) -> None:
    kind, payload = _crud(client._request_entity_create("bridged"))
    guid = client.get_thing("bridged").guid
    assert (kind, payload) == (
        E_CREATED,
        {"r": R_ENTITY, "lid": "bridged", "id": guid, "epId": "bridge"},
    )
    assert _crud(client._request_entity_create("bridged"))[0] == E_DUPLICATED
    kind, payload = _crud(client._request_entity_delete("bridged"))
    assert (kind, payload) == (E_DELETED, {"r": R_ENTITY, "lid": "bridged", "id": guid})
    assert client.list() == {}


def test_point_create_feed_and_control_and_share(client: IOT.Client) -> None:
    client._request_entity_create("dev")
    kind, payload = _crud(client._request_point_create(R_FEED, "dev", "temp"))
    feed = client.get_thing("dev").get_feed("temp")
    assert (kind, payload) == (
        E_CREATED,
        {"r": R_FEED, "lid": "temp", "entityLid": "dev", "id": feed.guid},
    )
    assert _crud(client._request_point_create(R_FEED, "dev", "temp"))[0] == E_DUPLICATED
    kind, payload = _crud(client._request_point_create(R_CONTROL, "dev", "button"))
    assert (kind, payload["r"]) == (E_CREATED, R_CONTROL)
    evt = client._request_point_share("dev", "temp", {"t": 21}, None, "2026-01-02T03:04:05Z")
    assert (evt.success, evt.is_crud, evt.payload) == (True, False, None)
    assert evt._messages == [{M_TYPE: E_COMPLETE, M_PAYLOAD: None}]
    recent = client._modern.get_thing("dev").get_feed("temp")
    assert recent.guid == feed.guid


def test_tags_public_and_listing(client: IOT.Client) -> None:
    client._request_entity_create("dev")
    assert client._request_entity_tag_create("dev", ["hello", "fish"], lang="en").success
    evt = client._request_entity_tag_list("dev", None, None)
    assert evt.payload == {"tags": {"en": ["fish", "hello"]}}
    assert client._request_entity_tag_delete("dev", ["hello"], "en").success
    assert client._request_entity_tag_list("dev", 10, 0).payload == {"tags": {"en": ["fish"]}}
    assert client._request_entity_meta_setpublic("dev", public=True).success
    guid = client.get_thing("dev").guid
    expected = {"dev": {"id": guid, "epId": "bridge", "public": True}}
    assert client._request_entity_list().payload == {"entities": expected}
    assert client._request_entity_list_all().payload == {"entities": expected}


def test_refusals_are_failed_events_with_the_qapi_code(client: IOT.Client) -> None:
    evt = client._request_entity_delete("nosuch")
    assert evt.wait(1) and evt.success is False and evt.is_crud is False
    assert evt.payload["c"] == E_FAILED_CODE_UNKNOWN and "nosuch" in evt.payload["m"]
    assert evt._messages[0][M_TYPE] == E_FAILED
    for evt in (
        client._request_entity_rename("a", "b"),
        client._request_entity_reassign("a", "someone"),
    ):
        assert evt.success is False
        assert evt.payload["c"] == E_FAILED_CODE_NOTALLOWED
        assert "not supported by iotic_app" in evt.payload["m"]
    assert client._request_entity_meta_get("nosuch").payload["c"] == E_FAILED_CODE_UNKNOWN


def test_meta_get_and_set_carry_rdf(client: IOT.Client) -> None:
    thing = client.create_thing("rdf")
    with thing.get_meta() as meta:
        meta.set_label("Before")
    got = client._request_entity_meta_get("rdf", "turtle")
    assert got.success and '"Before"@en' in got.payload["meta"]
    text = got.payload["meta"].replace('"Before"@en', '"After"@en')
    assert client._request_entity_meta_set("rdf", text, fmt="turtle").success
    assert thing.get_meta().get_labels() == ['"After"@en']
    with pytest.raises(ValueError, match="fmt"):
        client._request_entity_meta_get("rdf", "json")


def test_malformed_arguments_raise_at_the_call(client: IOT.Client) -> None:
    with pytest.raises(ValueError, match="foc must be R_FEED"):
        client._request_point_create(99, "dev", "x")
    with pytest.raises(ValueError, match="lid"):
        client._request_entity_create("")
    with pytest.raises(ValueError, match="time must be"):
        client._request_point_share("dev", "temp", 1, None, "yesterday")


def test_share_time_accepts_a_datetime(client: IOT.Client) -> None:
    client._request_entity_create("dev")
    client._request_point_create(R_FEED, "dev", "temp")
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert client._request_point_share("dev", "temp", 1, None, when).success


def test_a_stopped_client_raises_link_exception() -> None:
    client = IOT.Client(_LocalSpace().url("stopped"))
    with pytest.raises(LinkException):
        client._request_entity_create("x")
    client.close()
