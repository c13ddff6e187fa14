"""Contract: things, points, metadata, tags, public flag, list and describe."""

from __future__ import annotations

from typing import Any

import pytest

from iotic_app import IOTUnknown
from iotic_app.datatypes import Datatypes, Units


def test_create_thing_is_idempotent_and_guid_is_stable(make_client: Any) -> None:
    client = make_client()
    first = client.create_thing("boiler")
    again = client.create_thing("boiler")
    assert first.guid == again.guid and len(first.guid) == 32
    assert first.lid == "boiler"
    assert client.get_thing("boiler").guid == first.guid


def test_get_unknown_thing_raises(make_client: Any) -> None:
    with pytest.raises(IOTUnknown, match="nope"):
        make_client().get_thing("nope")


def test_list_and_delete(make_client: Any) -> None:
    client = make_client()
    for lid in ("a", "b", "c"):
        client.create_thing(lid)
    client.get_thing("b").set_public()
    listed = client.list()
    assert list(listed) == ["a", "b", "c"]
    assert [v["public"] for v in listed.values()] == [False, True, False]
    assert client.list(limit=1, offset=1) == {"b": listed["b"]}
    client.delete_thing("b")
    assert list(client.list()) == ["a", "c"]
    with pytest.raises(IOTUnknown):
        client.delete_thing("b")


def test_same_agent_in_two_clients_sees_the_same_things(make_client: Any) -> None:
    one = make_client("same")
    two = make_client("same")
    made = one.create_thing("t")
    assert two.get_thing("t").guid == made.guid


def test_lids_are_per_agent(make_client: Any) -> None:
    alice = make_client("alice")
    bob = make_client("bob")
    assert alice.create_thing("t").guid != bob.create_thing("t").guid
    alice.create_thing("only-alice")
    with pytest.raises(IOTUnknown):
        bob.get_thing("only-alice")


def test_points_create_get_delete(make_client: Any) -> None:
    thing = make_client().create_thing("t")
    feed = thing.create_feed("temp")
    control = thing.create_control("temp")  # a feed and a control may share a pid
    assert feed.guid != control.guid
    assert thing.create_feed("temp").guid == feed.guid
    assert thing.get_feed("temp").guid == feed.guid
    assert thing.get_control("temp").guid == control.guid
    assert (feed.pid, feed.lid) == ("temp", "t")
    thing.delete_feed("temp")
    with pytest.raises(IOTUnknown):
        thing.get_feed("temp")
    with pytest.raises(IOTUnknown):
        feed.share({"a": 1})
    with pytest.raises(IOTUnknown):
        thing.get_control("missing")


def test_thing_meta_applied_on_clean_exit_only(make_client: Any) -> None:
    thing = make_client().create_thing("t")
    with thing.get_meta() as meta:
        meta.set_label("Boiler")
        meta.set_label("Chaudière", lang="fr")
        meta.set_description("Hot water")
        meta.set_location(51.5, -0.12)
    with pytest.raises(RuntimeError), thing.get_meta() as meta:
        meta.set_label("Wrong")
        raise RuntimeError("abandon")
    meta = thing.get_meta()
    assert meta.get_label() == "Boiler"
    assert meta.get_label("fr") == "Chaudière"
    assert meta.get_description() == "Hot water"
    assert meta.get_location() == (51.5, -0.12)
    assert meta.labels == {"en": "Boiler", "fr": "Chaudière"}
    assert meta.descriptions == {"en": "Hot water"}
    meta.delete_label("fr")
    meta.labels["de"] = "Kessel"  # a copy: edits go through set_label
    assert meta.labels == {"en": "Boiler"}


def test_point_meta_tags_and_values_show_in_describe(make_client: Any) -> None:
    client = make_client()
    thing = client.create_thing("t")
    feed = thing.create_feed("temp", save_recent=3)
    with feed.get_meta() as meta:
        meta.set_label("Temperature")
        meta.set_description("Water temperature")
    feed.create_tag(["hot", "water"])
    feed.delete_tag("water")
    feed.create_value("celsius", Datatypes.DECIMAL, description="degrees", unit=Units.CELSIUS)
    described = client.describe(feed.guid)
    assert described is not None
    assert described["type"] == "Feed"
    assert (described["label"], described["description"]) == ("Temperature", "Water temperature")
    assert described["tags"] == ["hot"]
    assert described["values"] == [
        {
            "label": "celsius",
            "type": "decimal",
            "lang": None,
            "description": "degrees",
            "unit": Units.CELSIUS,
        }
    ]
    assert described["recent"] == 3
    assert described["thing"] == thing.guid


def test_describe_thing(make_client: Any) -> None:
    client = make_client()
    thing = client.create_thing("t")
    thing.create_tag(["b", "a"])
    thing.create_feed("f")
    thing.create_control("c")
    described = client.describe(thing)
    assert described is not None
    assert described["type"] == "Thing"
    assert described["tags"] == ["a", "b"]
    assert described["public"] is False
    assert sorted(p["type"] for p in described["points"]) == ["Control", "Feed"]
    assert thing.list_tag() == ["a", "b"]


def test_describe_dicts_have_exactly_these_keys_and_values(make_client: Any) -> None:
    client = make_client()
    thing = client.create_thing("t")
    with thing.get_meta() as meta:
        meta.set_label("Boiler")
        meta.set_label("Chaudiere", lang="fr")
        meta.set_description("The boiler")
        meta.set_location(51.5, -0.12)
    thing.create_tag(["b", "a"])
    feed = thing.create_feed("f", save_recent=2)
    with feed.get_meta() as meta:
        meta.set_label("Flow")
    feed.create_tag(["z", "y"])
    feed.create_value("v", Datatypes.INTEGER)
    control = thing.create_control("c")
    described = client.describe(thing)
    assert described is not None
    assert sorted(described["points"], key=lambda p: p["pid"]) == [
        {"guid": control.guid, "pid": "c", "type": "Control", "label": None},
        {"guid": feed.guid, "pid": "f", "type": "Feed", "label": "Flow"},
    ]
    assert {k: v for k, v in described.items() if k != "points"} == {
        "type": "Thing",
        "guid": thing.guid,
        "lid": "t",
        "agent": client.agent_id,
        "public": False,
        "label": "Boiler",
        "labels": {"en": "Boiler", "fr": "Chaudiere"},
        "description": "The boiler",
        "descriptions": {"en": "The boiler"},
        "location": (51.5, -0.12),
        "tags": ["a", "b"],
    }
    assert list(described) == [
        "type",
        "guid",
        "lid",
        "agent",
        "public",
        "label",
        "labels",
        "description",
        "descriptions",
        "location",
        "tags",
        "points",
    ]
    point = client.describe(feed.guid)
    assert point == {
        "type": "Feed",
        "guid": feed.guid,
        "pid": "f",
        "thing": thing.guid,
        "label": "Flow",
        "labels": {"en": "Flow"},
        "description": None,
        "descriptions": {},
        "tags": ["y", "z"],
        "values": [
            {"label": "v", "type": "integer", "lang": None, "description": None, "unit": None}
        ],
        "recent": 2,
    }
    assert list(point) == [
        "type",
        "guid",
        "pid",
        "thing",
        "label",
        "labels",
        "description",
        "descriptions",
        "tags",
        "values",
        "recent",
    ]
    assert client.describe(control.guid) == {
        "type": "Control",
        "guid": control.guid,
        "pid": "c",
        "thing": thing.guid,
        "label": None,
        "labels": {},
        "description": None,
        "descriptions": {},
        "tags": [],
        "values": [],
        "recent": 0,
    }


def test_describe_other_agents_thing_only_when_public(make_client: Any, eventually: Any) -> None:
    alice = make_client("alice")
    bob = make_client("bob")
    thing = alice.create_thing("t")
    assert bob.describe(thing.guid) is None
    thing.set_public()
    assert thing.public
    described = eventually(lambda: bob.describe(thing.guid))
    assert described["guid"] == thing.guid


def test_describe_unknown_guid_is_none(make_client: Any) -> None:
    assert make_client().describe("0" * 32) is None


def test_bad_arguments_name_the_argument(make_client: Any) -> None:
    client = make_client()
    thing = client.create_thing("t")
    feed = thing.create_feed("f")
    cases = [
        (lambda: client.create_thing(""), ValueError, "lid"),
        (lambda: client.create_thing(3), TypeError, "lid"),
        (lambda: thing.create_feed("f", save_recent=-1), ValueError, "save_recent"),
        (lambda: thing.create_control("c", callback=3), TypeError, "callback"),
        (lambda: thing.follow(42), TypeError, "gpid_or_lid_pid"),
        (lambda: thing.follow("not-a-guid"), ValueError, "gpid_or_lid_pid"),
        (lambda: thing.create_tag("two words"), ValueError, "tags"),
        (lambda: thing.set_public("yes"), TypeError, "public"),
        (lambda: feed.create_value("v", "integr"), ValueError, "vtype"),
        (lambda: feed.share(b"x", mime=3), TypeError, "mime"),
        (lambda: feed.share(object()), TypeError, "data"),
        (lambda: feed.share({1: "a"}), TypeError, "data"),
        (lambda: feed.share({"a": 1}, time="now"), TypeError, "time"),
        (lambda: client.search(), ValueError, "text, location or unit"),
        (lambda: client.search(text="x", limit=0), ValueError, "limit"),
        (lambda: client.search(location=(0, 0)), ValueError, "location"),
        (lambda: client.describe(3), TypeError, "guid_or_resource"),
        (lambda: client.confirm_tell({}, True), ValueError, "args"),
    ]
    for call, exc_type, name in cases:
        with pytest.raises(exc_type, match=name):
            call()


def test_meta_editor_checks_its_arguments(make_client: Any) -> None:
    meta = make_client().create_thing("t").get_meta()
    with pytest.raises(ValueError, match="lat"):
        meta.set_location(91, 0)
    with pytest.raises(TypeError, match="label"):
        meta.set_label(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lang"):
        meta.set_label("x", lang="english!")
