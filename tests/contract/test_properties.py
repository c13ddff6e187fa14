"""Contract: semantic properties of things (create, delete, list) and search_property."""

from __future__ import annotations

import enum
import subprocess
import sys
import textwrap
import threading
from typing import Any

import pytest

from iotic_app.exceptions import IOTUnknown, LinkException

FOAF = "http://xmlns.com/foaf/0.1/"
EX = "http://example.org/ns#"
CATEGORY = "http://iotics.com/ns#category"
EXAMPLE = "http://iotics.com/categories#Example"


class Scope(enum.Enum):
    """Stands for py-IoticAgent's SearchScope (an Enum with these values)."""

    PUBLIC = "public"
    LOCAL = "local"
    LOCAL_OWN = "localOwn"


class Kind(enum.Enum):
    """Stands for py-IoticAgent's SearchType."""

    REDUCED = "reduced"


def test_create_list_and_delete(make_client: Any) -> None:
    thing = make_client().create_thing("oven")
    assert thing.list_property() == {}
    thing.create_property((FOAF + "name", "Fritz@@de"))
    thing.create_property(
        [
            (FOAF + "age", 31),
            (EX + "weight", 55.4),
            (EX + "flag", True),
            (EX + "built", "2019-11", "gYearMonth"),
            (EX + "type", "http://example.org/types/oven"),
            (EX + "type", "http://example.org/types/hob"),
        ]
    )
    assert thing.list_property() == {
        FOAF + "name": ["Fritz@@de"],
        FOAF + "age": [31],
        EX + "weight": [55.4],
        EX + "flag": [True],
        EX + "built": [("2019-11", "gYearMonth")],
        EX + "type": ["http://example.org/types/oven", "http://example.org/types/hob"],
    }
    assert thing.list_property(limit=2, offset=1) == {FOAF + "age": [31], EX + "weight": [55.4]}
    thing.delete_property((EX + "type", "http://example.org/types/oven"))
    thing.delete_property([(FOAF + "age", None), (EX + "flag", False)])  # flag False: not there
    listed = thing.list_property()
    assert EX + "type" in listed and listed[EX + "type"] == ["http://example.org/types/hob"]
    assert FOAF + "age" not in listed and listed[EX + "flag"] == [True]
    thing.delete_property([])
    assert thing.list_property() == {}


def test_replace_rules(make_client: Any) -> None:
    thing = make_client().create_thing("t")
    thing.create_property([(EX + "a", 1), (EX + "b", 2)])
    thing.create_property((EX + "a", 3))  # replace=True: a's old objects go
    assert thing.list_property() == {EX + "b": [2], EX + "a": [3]}
    thing.create_property((EX + "a", 4), replace=False)
    thing.create_property((EX + "a", 4), replace=False)  # the same pair is kept once
    assert thing.list_property() == {EX + "b": [2], EX + "a": [3, 4]}
    thing.create_property((EX + "c", 5), replace_all=True)
    assert thing.list_property() == {EX + "c": [5]}


def test_true_one_and_one_point_zero_are_three_objects(make_client: Any) -> None:
    thing = make_client().create_thing("t")
    thing.create_property([(EX + "v", True), (EX + "v", 1), (EX + "v", 1.0)], replace=False)
    assert thing.list_property() == {EX + "v": [True, 1, 1.0]}
    assert [type(v) for v in thing.list_property()[EX + "v"]] == [bool, int, float]
    thing.delete_property((EX + "v", 1))
    assert [type(v) for v in thing.list_property()[EX + "v"]] == [bool, float]


@pytest.mark.parametrize(
    ("props", "error", "words"),
    [
        ("http://x", TypeError, "props must be"),
        (None, TypeError, "props must be"),
        ([("http://x",)], TypeError, "props must hold"),
        ([["http://x", 1, "t", 4]], TypeError, "props must hold"),
        ((1, 2), TypeError, "props must hold"),
        (("not an iri", 1), ValueError, "predicate must be an IRI"),
        (("", 1), ValueError, "predicate must be an IRI"),
        (("http://x/" + "p" * 600, 1), ValueError, "predicate must be an IRI"),
        (("http://x", None), TypeError, "object must be"),
        (("http://x", object()), TypeError, "object must be"),
        (("http://x", b"bytes"), TypeError, "object must be"),
        (("http://x", float("nan")), ValueError, "finite"),
        (("http://x", 2**70), ValueError, "64-bit"),
        (("http://x", "y" * 2000), ValueError, "at most 1024"),
        (("http://x", "text@@e n"), ValueError, "language suffix"),
        (("http://x", "2019", 5), TypeError, "XSD type"),
        (("http://x", "2019", "date time"), ValueError, "XSD type"),
        ([("http://x", n) for n in range(201)], ValueError, "at most 200"),
    ],
)
def test_bad_properties_are_refused_by_name(
    make_client: Any, props: Any, error: type[Exception], words: str
) -> None:
    thing = make_client().create_thing("t")
    with pytest.raises(error, match=words):
        thing.create_property(props)
    assert thing.list_property() == {}


def test_delete_property_and_flags_are_checked(make_client: Any) -> None:
    thing = make_client().create_thing("t")
    with pytest.raises(TypeError, match="replace must be"):
        thing.create_property((EX + "a", 1), replace="yes")
    with pytest.raises(TypeError, match="replace_all must be"):
        thing.create_property((EX + "a", 1), replace_all=1)
    with pytest.raises(ValueError, match="predicate must be an IRI"):
        thing.delete_property(("nope", None))
    with pytest.raises(ValueError, match="limit"):
        thing.list_property(limit=0)


def test_a_thing_holds_at_most_200_properties(make_client: Any) -> None:
    thing = make_client().create_thing("t")
    thing.create_property([(EX + "a", n) for n in range(150)])
    with pytest.raises(ValueError, match="more than 200"):
        thing.create_property([(EX + "b", n) for n in range(60)])
    assert len(thing.list_property()[EX + "a"]) == 150


def test_deleted_thing_and_stopped_client(make_client: Any) -> None:
    client = make_client()
    thing = client.create_thing("t")
    client.delete_thing("t")
    with pytest.raises(IOTUnknown):
        thing.create_property((EX + "a", 1))
    other = client.create_thing("u")
    client.stop()
    with pytest.raises(LinkException):
        other.list_property()


def test_the_same_thing_in_another_client_of_the_agent_sees_them(make_client: Any) -> None:
    first = make_client("alice")
    first.create_thing("t").create_property([(EX + "a", "x@@en"), (EX + "b", ("1", "integer"))])
    first.close()
    again = make_client("alice")
    got = again.get_thing("t").list_property()
    assert got == {EX + "a": ["x@@en"], EX + "b": [("1", "integer")]}


def test_a_property_survives_a_restart_of_the_agents_process(space: Any, make_client: Any) -> None:
    """On MQTT the properties are in the thing's retained document: a script that made them
    in another process has ended; this process's agent sees them, and others find the thing."""
    if not space.url("x").startswith("mqtt"):
        pytest.skip("local:// spaces live in one process")
    script = textwrap.dedent(
        f"""
        from iotic_app.client import Client
        with Client({space.url("alice")!r}) as client:
            thing = client.create_thing("share_basic")
            thing.create_feed("f")
            thing.create_property(({CATEGORY!r}, {EXAMPLE!r}))
            thing.set_public()
        print("done")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=40, check=False
    )
    assert done.returncode == 0 and done.stdout.strip() == "done", done.stderr
    alice = make_client("alice")
    assert alice.get_thing("share_basic").list_property() == {CATEGORY: [EXAMPLE]}
    bob = make_client("bob")
    guid = alice.get_thing("share_basic").guid
    found = bob.describe(guid)  # a lookup by guid: no directory needed
    assert found is not None and found["guid"] == guid


@pytest.mark.needs_directory
def test_a_property_made_by_an_ended_process_is_found_by_search(
    space: Any, make_client: Any
) -> None:
    """Others find by its property a thing whose properties a process that has ended made."""
    alice = make_client("alice")
    thing = alice.create_thing("share_basic")
    thing.create_feed("f")
    thing.create_property((CATEGORY, EXAMPLE))
    thing.set_public()
    alice.stop()
    found = make_client("bob").search_property((CATEGORY, EXAMPLE))
    assert list(found) == [thing.guid]


@pytest.fixture
def shelf(make_client: Any) -> dict[str, Any]:
    """alice: a public oven (with a feed), a private oven, a public oven without points; bob:
    a public hob; carol searches."""
    alice, bob = make_client("alice"), make_client("bob")
    made: dict[str, Any] = {"alice": alice, "bob": bob, "carol": make_client("carol")}
    for client, lid, kind, public, points in [
        (alice, "oven", "oven", True, True),
        (alice, "secret", "oven", False, True),
        (alice, "bare", "oven", True, False),
        (bob, "hob", "hob", True, True),
    ]:
        thing = client.create_thing(lid)
        with thing.get_meta() as meta:
            meta.set_label(f"{lid} label")
            meta.set_label(f"{lid} Etikett", lang="de")
            meta.set_location(52.0, 0.1)
        if points:
            feed = thing.create_feed("temp", save_recent=5)
            with feed.get_meta() as meta:
                meta.set_label("temperature")
        thing.create_property([(EX + "type", EX + kind), (EX + "floor", 1)])
        if public:
            thing.set_public()
        made[lid] = thing
    return made


def _by_guid(shelf: dict[str, Any], result: Any) -> set[str]:
    names = {t.guid: lid for lid, t in shelf.items() if lid in ("oven", "secret", "bare", "hob")}
    return {names[guid] for guid in result}


@pytest.mark.needs_directory
def test_search_property_full_shape(shelf: dict[str, Any], eventually: Any) -> None:
    search = shelf["carol"].search_property
    result = eventually(lambda: search((EX + "type", EX + "oven")))
    oven = shelf["oven"]
    feed = oven.get_feed("temp")
    assert result == {
        oven.guid: {
            "label": "oven label",
            "lat": 52.0,
            "long": 0.1,
            "owner": "alice",
            "points": {feed.guid: {"label": "temperature", "type": "Feed", "storesRecent": True}},
        }
    }


@pytest.mark.needs_directory
def test_search_property_matches_every_property(shelf: dict[str, Any], eventually: Any) -> None:
    search = shelf["carol"].search_property
    assert _by_guid(shelf, eventually(lambda: search((EX + "floor", 1)))) == {"oven", "hob"}
    assert _by_guid(shelf, search([(EX + "floor", 1), (EX + "type", EX + "hob")])) == {"hob"}
    assert search((EX + "floor", 1.0)) == {}  # a float is not the int
    assert search((EX + "floor", True)) == {}
    assert search((EX + "type", EX + "sink")) == {}


@pytest.mark.needs_directory
def test_search_property_with_pointless(shelf: dict[str, Any], eventually: Any) -> None:
    search = shelf["carol"].search_property
    eventually(lambda: search((EX + "floor", 1)))
    found = search((EX + "type", EX + "oven"), with_pointless=True)
    assert _by_guid(shelf, found) == {"oven", "bare"}
    assert found[shelf["bare"].guid]["points"] == {}


@pytest.mark.needs_directory
def test_search_property_shapes(shelf: dict[str, Any], eventually: Any) -> None:
    search = shelf["carol"].search_property
    eventually(lambda: search((EX + "floor", 1)))
    oven, hob = shelf["oven"], shelf["hob"]
    prop = (EX + "type", EX + "oven")
    feed = oven.get_feed("temp").guid
    assert search(prop, type_="reduced") == {oven.guid: {feed: "Feed"}}
    assert search(prop, type_=Kind.REDUCED) == {oven.guid: {feed: "Feed"}}
    assert search(prop, type_="located") == {oven.guid: {"g": (52.0, 0.1), "l": "oven label"}}
    assert search(prop, type_="located", lang="de") == {
        oven.guid: {"g": (52.0, 0.1), "l": "oven Etikett"}
    }
    assert search(prop, type_="located", lang="fr") == {oven.guid: {"g": (52.0, 0.1), "l": None}}
    assert search(prop, type_="minimal") == [oven.guid]
    assert sorted(search((EX + "floor", 1), type_="minimal")) == sorted([oven.guid, hob.guid])
    full = search(prop, lang="de")
    assert full[oven.guid]["label"] == "oven Etikett"
    assert full[oven.guid]["points"][feed]["label"] is None


@pytest.mark.needs_directory
def test_search_property_scopes(shelf: dict[str, Any], eventually: Any) -> None:
    alice, carol = shelf["alice"], shelf["carol"]
    prop = (EX + "type", EX + "oven")
    eventually(lambda: carol.search_property(prop))
    for who, scope, expected in [
        (carol, "public", {"oven"}),
        (carol, Scope.PUBLIC, {"oven"}),
        (carol, "local", {"oven"}),
        (carol, "localOwn", set()),
        (alice, "public", {"oven"}),
        (alice, Scope.LOCAL, {"oven", "secret"}),
        (alice, Scope.LOCAL_OWN, {"oven", "secret"}),
        (shelf["bob"], "localOwn", set()),
    ]:
        assert _by_guid(shelf, who.search_property(prop, scope=scope)) == expected, (who, scope)
    assert _by_guid(shelf, shelf["bob"].search_property((EX + "floor", 1), scope="localOwn")) == {
        "hob"
    }


@pytest.mark.needs_directory
def test_search_property_paging(shelf: dict[str, Any], eventually: Any) -> None:
    search = shelf["carol"].search_property
    everything = eventually(
        lambda: len(search((EX + "floor", 1))) == 2 and search((EX + "floor", 1))
    )
    first = search((EX + "floor", 1), limit=1)
    second = search((EX + "floor", 1), limit=1, offset=1)
    assert len(first) == len(second) == 1
    assert {**first, **second} == everything


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"props": []}, ValueError, "at least one"),
        ({"props": ("x", 1)}, ValueError, "IRI"),
        ({"props": (EX + "a", None)}, TypeError, "object must be"),
        ({"props": (EX + "a", 1), "scope": "global"}, ValueError, "scope must be one of"),
        ({"props": (EX + "a", 1), "scope": 3}, TypeError, "scope must be one of"),
        ({"props": (EX + "a", 1), "type_": "huge"}, ValueError, "type_ must be one of"),
        ({"props": (EX + "a", 1), "lang": "e n"}, ValueError, "lang"),
        ({"props": (EX + "a", 1), "limit": 0}, ValueError, "limit"),
        ({"props": (EX + "a", 1), "with_pointless": "yes"}, TypeError, "with_pointless"),
    ],
)
def test_bad_search_property_arguments(
    make_client: Any, kwargs: dict[str, Any], error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words):
        make_client().search_property(**kwargs)


def test_concurrent_create_property_keeps_every_property(make_client: Any) -> None:
    """Each create_property is one atomic change of the thing's properties: threads adding
    different predicates at once lose none."""
    thing = make_client().create_thing("t")
    errors: list[BaseException] = []

    def add(n: int) -> None:
        try:
            for i in range(5):
                thing.create_property((f"{EX}p{n}", i), replace=False)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors and not any(t.is_alive() for t in threads)
    assert thing.list_property() == {f"{EX}p{n}": list(range(5)) for n in range(4)}
