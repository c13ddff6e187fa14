"""Contract: removing a point's declared values (``delete_value``), as its owner and others see."""

from __future__ import annotations

from typing import Any

import pytest

from iotic_app import LinkException
from iotic_app.datatypes import Datatypes


@pytest.fixture
def declared(make_client: Any) -> tuple[Any, Any, Any]:
    """A public feed declaring a, b and c, and another agent's client."""
    sharer = make_client("sharer")
    thing = sharer.create_thing("sensor")
    thing.set_public()
    feed = thing.create_feed("temp")
    for label in ("a", "b", "c"):
        feed.create_value(label, Datatypes.INTEGER, description=f"value {label}")
    return sharer, feed, make_client("other")


def _labels(client: Any, guid: str) -> list[str]:
    described = client.describe(guid)
    assert described is not None
    return [value["label"] for value in described["values"]]


def test_a_removed_value_is_gone_for_owner_and_followers(declared: Any) -> None:
    sharer, feed, other = declared
    remote = other.create_thing("display").follow(feed.guid)
    assert list(remote.get_template().values) == ["a", "b", "c"]
    feed.delete_value("b")
    assert list(feed.get_template().values) == ["a", "c"]
    assert _labels(sharer, feed.guid) == ["a", "c"]
    # describe brings the other agent's view of the space up to date (MQTT: its catalogue),
    # as after create_value; its templates are made from that view
    assert _labels(other, feed.guid) == ["a", "c"]
    assert list(remote.get_template().values) == ["a", "c"]
    feed.delete_value("nothing")  # not declared: nothing happens
    assert list(feed.get_template().values) == ["a", "c"]
    feed.create_value("b", Datatypes.STRING)  # declared again, at the end
    assert _labels(other, feed.guid) == ["a", "c", "b"]
    assert list(remote.get_template().values) == ["a", "c", "b"]


def test_no_label_removes_every_value(declared: Any) -> None:
    sharer, feed, other = declared
    control = feed.thing.create_control("ctl", None)
    control.create_value("x", Datatypes.BOOLEAN)
    feed.delete_value()
    assert list(feed.get_template().values) == []
    assert _labels(sharer, feed.guid) == []
    assert _labels(other, feed.guid) == []
    assert list(control.get_template().values) == ["x"]
    control.delete_value("x")
    assert _labels(sharer, control.guid) == []


def test_a_bad_label_or_a_stopped_client_raise(declared: Any) -> None:
    sharer, feed, _ = declared
    with pytest.raises(TypeError, match="label"):
        feed.delete_value(3)
    with pytest.raises(ValueError, match="label"):
        feed.delete_value("")
    sharer.stop()
    with pytest.raises(LinkException):
        feed.delete_value("a")
