"""Contract: search over public things by text, location, unit; limit and offset."""

from __future__ import annotations

from typing import Any

import pytest

from iotic_app.datatypes import Datatypes, Units

# every scope but localOwn needs the directory on MQTT
pytestmark = pytest.mark.needs_directory


@pytest.fixture
def world(make_client: Any) -> dict[str, Any]:
    """Things of two agents: London and Paris weather (public), a private one, a lamp."""
    alice = make_client("alice")
    bob = make_client("bob")
    made: dict[str, Any] = {}
    for client, lid, label, desc, where, tags, unit in [
        (
            alice,
            "london",
            "London weather",
            "Rain gauge",
            (51.507, -0.128),
            ["weather"],
            Units.CELSIUS,
        ),
        (
            bob,
            "paris",
            "Paris weather",
            "Sunny station",
            (48.857, 2.352),
            ["weather", "fr"],
            Units.PERCENT,
        ),
        (bob, "secret", "Secret weather", "Hidden", (48.86, 2.35), ["weather"], Units.CELSIUS),
        (alice, "lamp", "Desk lamp", "A lamp", None, ["light"], None),
    ]:
        thing = client.create_thing(lid)
        with thing.get_meta() as meta:
            meta.set_label(label)
            meta.set_description(desc)
            if where:
                meta.set_location(*where)
        thing.create_tag(tags)
        feed = thing.create_feed("reading")
        with feed.get_meta() as meta:
            meta.set_label(f"{lid} reading")
        if unit:
            feed.create_value("v", Datatypes.DECIMAL, unit=unit)
        if lid != "secret":
            thing.set_public()
        made[lid] = thing
    made["searcher"] = make_client("carol")
    return made


def _lids(world: dict[str, Any], result: dict[str, Any]) -> set[str]:
    by_guid = {t.guid: lid for lid, t in world.items() if lid != "searcher"}
    return {by_guid[guid] for guid in result}


def test_search_by_label_description_and_tags(world: dict[str, Any], eventually: Any) -> None:
    search = world["searcher"].search
    assert _lids(world, eventually(lambda: search(text="weather"))) == {"london", "paris"}
    assert _lids(world, search(text="SUNNY")) == {"paris"}
    assert _lids(world, search(text="fr")) == {"paris"}
    assert _lids(world, search(text="lamp")) == {"lamp"}
    assert _lids(world, search(text="weather rain")) == {"london"}
    assert search(text="hidden") == {}


def test_search_result_shape(world: dict[str, Any], eventually: Any) -> None:
    result = eventually(lambda: world["searcher"].search(text="London"))
    thing = world["london"]
    feed = thing.get_feed("reading")
    assert result == {
        thing.guid: {
            "label": "London weather",
            "lat": 51.507,
            "long": -0.128,
            "owner": "alice",
            "points": {
                feed.guid: {"label": "london reading", "type": "Feed", "storesRecent": False}
            },
        }
    }


def test_search_by_location_radius(world: dict[str, Any], eventually: Any) -> None:
    search = world["searcher"].search
    near_paris = {"lat": 48.85, "long": 2.35, "radius": 50}
    assert _lids(world, eventually(lambda: search(location=near_paris))) == {"paris"}
    assert _lids(world, search(location=(50.0, 1.0, 400))) == {"london", "paris"}
    assert _lids(world, search(location=(50.0, 1.0, 400), text="rain")) == {"london"}


def test_search_by_unit(world: dict[str, Any], eventually: Any) -> None:
    search = world["searcher"].search
    assert _lids(world, eventually(lambda: search(unit=Units.CELSIUS))) == {"london"}
    assert _lids(world, search(unit=Units.PERCENT)) == {"paris"}
    assert search(unit=Units.METRE) == {}


def test_search_limit_and_offset(world: dict[str, Any], eventually: Any) -> None:
    search = world["searcher"].search
    everything = eventually(lambda: search(text="weather"))
    first = search(text="weather", limit=1)
    second = search(text="weather", limit=1, offset=1)
    assert len(first) == len(second) == 1
    assert {**first, **second} == everything


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"text": "x" * 4097}, "text must be at most 4,096 characters, got 4,097"),
        ({"text": "x", "offset": 1_000_001}, "offset must be an int from 0 to 1000000"),
        ({"unit": "http://u/" + "x" * 510}, "unit must be a URI of at most 512 characters"),
    ],
)
def test_search_limits_are_the_same_on_every_transport(
    make_client: Any, kwargs: dict[str, Any], message: str
) -> None:
    client = make_client("searcher")
    with pytest.raises(ValueError, match=message):
        client.search(**kwargs)
    assert client.search(text="x" * 4096) == {}  # the largest text is asked, not refused


def test_search_property_offset_limit(make_client: Any) -> None:
    client = make_client("searcher")
    with pytest.raises(ValueError, match="offset must be an int from 0 to 1000000"):
        client.search_property([("http://p/x", "y")], offset=1_000_001)


def test_an_updated_thing_keeps_its_place_in_results(make_client: Any) -> None:
    """Results come in the order things were made, on every transport: an update keeps a
    thing's place, so pages (limit, offset) do not shift when a thing changes."""
    maker, searcher = make_client("maker"), make_client("searcher")
    things = []
    for lid in ("first", "second", "third"):
        thing = maker.create_thing(lid)
        thing.create_tag(["ordered"])
        thing.set_public(True)
        things.append(thing)
    things[0].create_tag(["changed"])  # an update of the first
    guids = [thing.guid for thing in things]
    assert searcher.search_minimal(text="ordered") == guids
    assert list(searcher.search(text="ordered", limit=1, offset=1)) == guids[1:2]
