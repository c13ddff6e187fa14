"""Contract: search's scope= and lang=, and search_reduced, search_located, search_minimal."""

from __future__ import annotations

import enum
from typing import Any

import pytest


class Scope(enum.Enum):
    """Stands for py-IoticAgent's SearchScope (an Enum with these values)."""

    PUBLIC = "public"
    LOCAL = "local"
    LOCAL_OWN = "localOwn"


@pytest.fixture
def town(make_client: Any) -> dict[str, Any]:
    """alice: a public located station with a feed and a control, a private station, a public
    station without location; bob: a public station."""
    alice, bob = make_client("alice"), make_client("bob")
    made: dict[str, Any] = {"alice": alice, "bob": bob, "carol": make_client("carol")}
    for client, lid, where, public in [
        (alice, "north", (52.5, 0.1), True),
        (alice, "hidden", (52.4, 0.1), False),
        (alice, "nowhere", None, True),
        (bob, "south", (50.8, 0.1), True),
    ]:
        thing = client.create_thing(lid)
        with thing.get_meta() as meta:
            meta.set_label(f"{lid} station")
            meta.set_label(f"Station {lid}", lang="de")
            meta.set_description("a weather station")
            meta.set_description("eine Wetterstation", lang="de")
            if where:
                meta.set_location(*where)
        thing.create_tag(["station"])
        thing.create_feed("temp")
        if lid == "north":
            thing.create_control("reset")
        if public:
            thing.set_public()
        made[lid] = thing
    return made


def _lids(town: dict[str, Any], result: Any) -> set[str]:
    names = {
        t.guid: lid for lid, t in town.items() if lid in ("north", "hidden", "nowhere", "south")
    }
    return {names[guid] for guid in result}


@pytest.mark.needs_directory
def test_search_scope(town: dict[str, Any], eventually: Any) -> None:
    alice, carol = town["alice"], town["carol"]
    eventually(lambda: len(carol.search("station")) == 3)
    for who, scope, expected in [
        (carol, "public", {"north", "nowhere", "south"}),
        (carol, Scope.PUBLIC, {"north", "nowhere", "south"}),
        (carol, "local", {"north", "nowhere", "south"}),
        (carol, Scope.LOCAL_OWN, set()),
        (alice, "public", {"north", "nowhere", "south"}),
        (alice, Scope.LOCAL, {"north", "hidden", "nowhere", "south"}),
        (alice, "localOwn", {"north", "hidden", "nowhere"}),
        (town["bob"], Scope.LOCAL_OWN, {"south"}),
    ]:
        assert _lids(town, who.search("station", scope=scope)) == expected, (who, scope)


@pytest.mark.needs_directory
def test_the_default_scope_is_public_and_positional_text_works(
    town: dict[str, Any], eventually: Any
) -> None:
    alice = town["alice"]
    eventually(lambda: len(alice.search("station")) == 3)
    assert alice.search("station") == alice.search(text="station", scope="public")


@pytest.mark.needs_directory
def test_search_lang(town: dict[str, Any], eventually: Any) -> None:
    carol = town["carol"]
    eventually(lambda: len(carol.search("station")) == 3)
    north = town["north"].guid
    assert _lids(town, carol.search("wetterstation")) == {"north", "nowhere", "south"}
    assert carol.search("wetterstation", lang="en") == {}
    assert _lids(town, carol.search("wetterstation", lang="de")) == {"north", "nowhere", "south"}
    assert _lids(town, carol.search("station", lang="fr")) == {"north", "nowhere", "south"}  # tag
    found = carol.search("north", lang="de")
    assert found[north]["label"] == "Station north"
    assert carol.search("north")[north]["label"] == "north station"
    assert carol.search("north", lang="fr") == {}  # "north" is in no French text
    assert carol.search("station", lang="fr")[north]["label"] is None


@pytest.mark.needs_directory
def test_search_reduced(town: dict[str, Any], eventually: Any) -> None:
    carol, north = town["carol"], town["north"]
    eventually(lambda: carol.search("north"))
    assert carol.search_reduced("north") == {
        north.guid: {
            north.get_feed("temp").guid: "Feed",
            north.get_control("reset").guid: "Control",
        }
    }
    assert _lids(town, carol.search_reduced(text="station")) == {"north", "nowhere", "south"}
    assert carol.search_reduced("hidden") == {}
    assert _lids(town, town["alice"].search_reduced("hidden", scope=Scope.LOCAL_OWN)) == {"hidden"}


@pytest.mark.needs_directory
def test_search_located(town: dict[str, Any], eventually: Any) -> None:
    carol = town["carol"]
    eventually(lambda: len(carol.search("station")) == 3)
    assert carol.search_located("station") == {
        town["north"].guid: {"g": (52.5, 0.1), "l": "north station"},
        town["south"].guid: {"g": (50.8, 0.1), "l": "south station"},
    }
    near = carol.search_located(location={"lat": 52.5, "long": 0.1, "radius": 20}, lang="de")
    assert near == {town["north"].guid: {"g": (52.5, 0.1), "l": "Station north"}}


@pytest.mark.needs_directory
def test_search_minimal(town: dict[str, Any], eventually: Any) -> None:
    carol = town["carol"]
    eventually(lambda: len(carol.search("station")) == 3)
    found = carol.search_minimal("station")
    assert isinstance(found, list)
    assert _lids(town, found) == {"north", "nowhere", "south"}
    assert len(carol.search_minimal("station", limit=2)) == 2
    assert carol.search_minimal("nothing-like-this") == []


@pytest.mark.parametrize("method", ["search", "search_reduced", "search_located", "search_minimal"])
@pytest.mark.needs_directory
def test_search_without_pointless_things_pages_the_things_found(
    town: dict[str, Any], eventually: Any, method: str
) -> None:
    """``with_pointless=False`` leaves out things without feeds or controls, and limit/offset
    count the things found (as py-IoticAgent's search did)."""
    carol = town["carol"]
    bare = town["bob"].create_thing("bare")  # no points: found only with with_pointless
    bare.create_tag(["station"])
    bare.set_public()
    eventually(lambda: bare.guid in carol.search("station"))
    search = getattr(carol, method)
    found = search("station", with_pointless=False)
    assert bare.guid not in found
    assert _lids(town, found) == (
        {"north", "south"} if method == "search_located" else {"north", "nowhere", "south"}
    )
    first = list(search("station", limit=1, with_pointless=False))
    rest = list(search("station", offset=1, with_pointless=False))
    assert first + rest == list(found)
    if method != "search_located":  # bare has no location: search_located never finds it
        assert bare.guid in search("station")  # the default finds it


@pytest.mark.parametrize("method", ["search", "search_reduced", "search_located", "search_minimal"])
@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"text": "x", "scope": "everywhere"}, ValueError, "scope must be one of"),
        ({"text": "x", "scope": None}, TypeError, "scope must be one of"),
        ({"text": "x", "lang": 5}, TypeError, "lang"),
        ({"text": "x", "lang": "english!"}, ValueError, "lang"),
        ({"scope": "public"}, ValueError, "at least one"),
        ({"text": "x", "with_pointless": 1}, TypeError, "with_pointless must be True or False"),
    ],
)
def test_bad_search_arguments(
    make_client: Any, method: str, kwargs: dict[str, Any], error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words):
        getattr(make_client(), method)(**kwargs)
