"""The classic search family and semantic properties: 0.7.0's signatures and shapes, on local://
and MQTT, across two agents of one owner."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from test_client import SPACES

from iotic_app.ioticagent import IOT
from iotic_app.ioticagent.Core.Const import DescribeScope, SearchScope, SearchType

pytestmark = pytest.mark.timeout(60)

CATEGORY = "http://iotics.com/ns#category"
EXAMPLE = "http://iotics.com/categories#Example"


class Term(str):
    """A str-like RDF term, as rdflib's URIRef and Literal are (str subclasses)."""

    def __new__(cls, text: str, language: str | None = None, datatype: str | None = None) -> Term:
        term = super().__new__(cls, text)
        term.language = language
        term.datatype = datatype
        return term

    language: str | None
    datatype: str | None


@pytest.fixture(params=sorted(SPACES))
def agents(request: pytest.FixtureRequest) -> Iterator[Callable[[str], IOT.Client]]:
    """Make started classic clients of one owner on a fresh space."""
    space = SPACES[request.param]()
    made: list[IOT.Client] = []

    def make(agent: str) -> IOT.Client:
        client = IOT.Client(f"{space.url(agent)}&owner=acme").start()
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def _shared(client: IOT.Client, lid: str = "share_basic", public: bool = True) -> Any:
    thing = client.create_thing(lid)
    with thing.get_meta() as meta:
        meta.set_label("share basic")
        meta.set_location(52.427, 0.327)
    feed = thing.create_feed("share_basic_feed", save_recent=5)
    thing.set_public(public)
    return thing, feed


@pytest.mark.needs_directory
def test_search_has_0_7_0s_order_and_shapes(agents: Callable[[str], IOT.Client]) -> None:
    agent1, agent2 = agents("agent1"), agents("agent2")
    thing, feed = _shared(agent1)
    pointless = agent1.create_thing("pointless")
    with pointless.get_meta() as meta:
        meta.set_label("share basic too")
    pointless.set_public()
    full = agent2.search("share basic")
    assert full == {
        thing.guid: {
            "label": "share basic",
            "lat": 52.427,
            "long": 0.327,
            "owner": full[thing.guid]["owner"],
            "points": {feed.guid: {"label": None, "type": "Feed", "storesRecent": True}},
        }
    }
    reduced = {thing.guid: {feed.guid: "Feed"}}
    assert agent2.search("share basic", None, None, None, 50, 0, True) == reduced
    assert agent2.search(text="share basic", reduced=True, scope=SearchScope.PUBLIC) == reduced
    assert agent2.search_reduced(text="share basic") == reduced
    assert agent2.search_located("share basic") == {
        thing.guid: {"g": (52.427, 0.327), "l": "share basic"}
    }
    assert agent2.search_minimal("share basic") == [thing.guid]
    assert agent2.search("share basic", "en") == full


def test_pointless_things_are_not_found_and_paging_counts_the_found(
    agents: Callable[[str], IOT.Client],
) -> None:
    """0.7.0's search found only things with a point; limit and offset page what is found."""
    agent1 = agents("agent1")
    for n in range(3):
        agent1.create_thing(f"empty{n}").create_tag("pager")
        _shared(agent1, f"full{n}")[0].create_tag("pager")
    full = agent1.search("pager", scope=SearchScope.LOCAL_OWN)
    assert len(full) == 3
    assert all(thing["points"] for thing in full.values())
    assert agent1.search_minimal("pager", limit=2, scope="localOwn") == list(full)[:2]
    assert agent1.search_minimal("pager", offset=2, scope="localOwn") == list(full)[2:]
    assert list(agent1.search_reduced("pager", offset=1, limit=1, scope="localOwn")) == [
        list(full)[1]
    ]
    with pytest.raises(ValueError, match="limit"):
        agent1.search("pager", limit=0)
    with pytest.raises(TypeError, match="offset"):
        agent1.search_reduced("pager", offset="1")  # type: ignore[arg-type]


@pytest.mark.needs_directory
def test_scopes_by_owner(agents: Callable[[str], IOT.Client]) -> None:
    agent1, agent2 = agents("agent1"), agents("agent2")
    thing, _ = _shared(agent1, public=False)
    assert agent2.search("share basic") == {}
    assert list(agent2.search("share basic", scope=SearchScope.LOCAL_OWN)) == [thing.guid]
    assert agent2.search_minimal("share basic", scope=SearchScope.LOCAL) == [thing.guid]


@pytest.mark.needs_directory
def test_properties_with_rdflib_like_terms(agents: Callable[[str], IOT.Client]) -> None:
    agent1, agent2 = agents("agent1"), agents("agent2")
    thing, feed = _shared(agent1)
    thing.create_property((Term(CATEGORY), Term(EXAMPLE)))
    thing.create_property(
        [
            (Term("http://ex.com/name"), Term("Fritz", language="de")),
            (
                Term("http://ex.com/size"),
                Term("3", datatype="http://www.w3.org/2001/XMLSchema#int"),
            ),
            (
                Term("http://ex.com/month"),
                Term("2019-11", datatype="http://www.w3.org/2001/XMLSchema#gYearMonth"),
            ),
        ]
    )
    assert thing.list_property() == {
        CATEGORY: [EXAMPLE],
        "http://ex.com/name": ["Fritz@@de"],
        "http://ex.com/size": [3],
        "http://ex.com/month": [("2019-11", "gYearMonth")],
    }
    prop = (Term(CATEGORY), Term(EXAMPLE))
    assert list(agent2.search_property(prop)) == [thing.guid]
    assert agent2.search_property(prop, 50, 0, SearchType.MINIMAL) == [thing.guid]
    assert agent2.search_property_reduced(prop) == {thing.guid: {feed.guid: "Feed"}}
    assert agent2.search_property_located(prop) == {
        thing.guid: {"g": (52.427, 0.327), "l": "share basic"}
    }
    assert agent2.search_property_minimal([prop], scope=SearchScope.LOCAL_OWN) == [thing.guid]
    thing.delete_property((CATEGORY, None))
    assert agent2.search_property_minimal(prop) == []
    assert CATEGORY not in thing.list_property()
    thing.delete_property([])
    assert thing.list_property() == {}


def test_search_property_with_pointless(agents: Callable[[str], IOT.Client]) -> None:
    agent1 = agents("agent1")
    bare = agent1.create_thing("bare")
    bare.create_property((CATEGORY, EXAMPLE))
    assert agent1.search_property_minimal((CATEGORY, EXAMPLE), scope="localOwn") == []
    found = agent1.search_property_minimal(
        (CATEGORY, EXAMPLE), scope="localOwn", with_pointless=True
    )
    assert found == [bare.guid]


def test_describe_takes_lang_and_scope(agents: Callable[[str], IOT.Client]) -> None:
    agent1 = agents("agent1")
    thing, _ = _shared(agent1)
    plain = agent1.describe(thing)
    assert agent1.describe(thing, "en", DescribeScope.LOCAL_OWN) == plain
    assert agent1.describe(thing.guid, lang=None, scope="public") == plain
    with pytest.raises(ValueError, match="scope"):
        agent1.describe(thing, scope="everywhere")


class MadeUp(str):
    """A term whose ``__getattr__`` makes up any attribute, as rdflib's Namespace does."""

    def __getattr__(self, name: str) -> MadeUp:
        return MadeUp(self + name)


def test_a_made_up_attribute_is_not_taken_for_a_language(
    agents: Callable[[str], IOT.Client],
) -> None:
    thing = agents("agent1").create_thing("made_up")
    thing.create_property((MadeUp(CATEGORY), MadeUp(EXAMPLE)))
    assert thing.list_property() == {CATEGORY: [EXAMPLE]}
