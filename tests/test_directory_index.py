"""The directory's sqlite index: its results are search()'s over the same documents."""

from __future__ import annotations

import json
import logging
import random
from pathlib import Path
from typing import Any

import attrs
import pytest
from _dirdocs import UNITS, WORDS, meta_doc, meta_topic, random_doc

from iotic_app.directory import _index
from iotic_app.directory._index import Index, _box
from iotic_app.transports._protocol import Query, thing_guid
from iotic_app.transports._search import distance_km, search
from iotic_app.transports.mqtt._dirwire import (
    MAX_RADIUS_KM,
    MAX_REQUEST_BYTES,
    Request,
    client_of_agent,
    parse_reply,
    parse_request,
    query_from_json,
    query_to_json,
    reply_body,
    request_body,
)
from iotic_app.transports.mqtt._docsearch import candidate, doc_from_json, doc_to_json
from iotic_app.transports.mqtt._thingdoc import parse_thing_doc

pytestmark = pytest.mark.timeout(120)

ROOT = "iotic"
AGENTS = ["a0", "a1", "a2", "a3"]


def _random_query(rng: random.Random) -> Query:
    text = None
    if rng.random() < 0.6:
        words = []
        for _ in range(rng.randint(1, 2)):
            word = rng.choice(WORDS)
            start = rng.randint(0, max(0, len(word) - 2))
            words.append(word[start : start + rng.randint(1, len(word))])
        text = " ".join(rng.choice([w, w.upper(), w.lower()]) for w in words)
    location = None
    if rng.random() < 0.4:
        location = (
            rng.choice([rng.uniform(-90, 90), 51.0, 89.99, -89.9]),
            rng.choice([rng.uniform(-180, 180), 0.0, 179.99, -179.99]),
            rng.choice([0.0, 5.0, 50.0, 300.0, 2000.0, 30000.0]),
        )
    unit = rng.choice([None, None, *UNITS, "http://example.com/none"])
    props: tuple = ()
    if rng.random() < 0.15:
        props = (("http://schema.org/color", rng.choice(["red", "blue"])),)
        if rng.random() < 0.5:
            props += (("http://schema.org/size", ("5", "http://www.w3.org/2001/XMLSchema#int")),)
    return Query(
        text=text,
        location=location,
        unit=unit,
        props=props,
        lang=rng.choice([None, None, "en", "fr"]),
        scope=rng.choice(["public", "local", "localOwn"]),
        type_=rng.choice(["full", "reduced", "located", "minimal"]),
        limit=rng.choice([1, 3, 10, 1000]),
        offset=rng.choice([0, 0, 1, 5]),
        with_pointless=rng.random() < 0.7,
    )


def _fill(rng: random.Random, index: Index, n: int) -> dict[str, bytes]:
    """Publish, republish and delete random documents; return topic -> doc in search order."""
    model: dict[str, bytes] = {}
    for _ in range(n):
        agent, lid = rng.choice(AGENTS), f"t{rng.randint(0, n // 2)}"
        topic = meta_topic(ROOT, agent, lid)
        if rng.random() < 0.1:
            model.pop(topic, None)
            index.on_meta(topic, b"")
            continue
        raw = random_doc(rng, agent, lid)
        model[topic] = raw  # an update keeps the thing's place (the guid is the topic's)
        index.on_meta(topic, raw)
    return model


@pytest.mark.parametrize("dense", [20, 1, 10**9])  # as shipped; always lists; always scans
@pytest.mark.parametrize("seed", range(3))
def test_the_index_finds_what_search_finds_over_the_same_documents(
    seed: int, dense: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_index, "DENSE", dense)
    rng = random.Random(seed)
    index = Index(":memory:", ROOT)
    model = _fill(rng, index, 400)
    docs = [parse_thing_doc(ROOT, topic, raw) for topic, raw in model.items()]
    assert [d.guid for d in index.docs_in_order()] == [d.guid for d in docs]
    found = 0
    for _ in range(400):
        query = _random_query(rng)
        owner = rng.choice(AGENTS)
        expected = search(owner, [candidate(d) for d in docs], query)
        got = index.search(owner, query)
        assert got == expected, query
        assert list(got) == list(expected)  # the same order
        found += bool(expected)
    assert found > 100  # the queries are not all empty: the comparison means something


def test_the_stored_document_reads_back_equal() -> None:
    rng = random.Random(7)
    for n in range(50):
        raw = random_doc(rng, "a0", f"t{n}")
        doc = parse_thing_doc(ROOT, meta_topic(ROOT, "a0", f"t{n}"), raw)
        assert doc_from_json(doc_to_json(doc)) == doc


def test_a_search_box_holds_every_point_within_the_radius() -> None:
    rng = random.Random(3)
    for _ in range(3000):
        lat, lon = rng.uniform(-90, 90), rng.uniform(-180, 180)
        radius = rng.choice([1.0, 100.0, 1000.0, 5000.0])
        plat, plon = rng.uniform(-90, 90), rng.uniform(-180, 180)
        if distance_km(lat, lon, plat, plon) > radius:
            continue
        lat0, lat1, ranges = _box(lat, lon, radius)
        assert lat0 <= plat <= lat1
        assert any(low <= plon <= high for low, high in ranges), (lat, lon, radius, plat, plon)


def test_a_document_claiming_another_agent_is_left_out(caplog: pytest.LogCaptureFixture) -> None:
    index = Index(":memory:", ROOT)
    with caplog.at_level(logging.WARNING, "iotic_app.mqtt"):
        index.on_meta(meta_topic(ROOT, "mallory", "t"), meta_doc("alice", "t", labels={"en": "x"}))
    assert index.count() == 0
    assert "claims agent 'alice'" in caplog.text


def test_an_owner_claim_counts_only_while_its_membership_is_retained() -> None:
    index = Index(":memory:", ROOT)
    topic = meta_topic(ROOT, "worker", "pump")
    index.on_meta(topic, meta_doc("worker", "pump", owner="plant", labels={"en": "pump"}))
    query = Query(text="pump", scope="local")
    assert index.search("plant", query) == {}
    index.on_member(f"{ROOT}/_owner/plant/worker", b'"member"')
    assert list(index.search("plant", query)) == [thing_guid("plant", "pump")]
    assert index.owner_of("worker") == "plant"
    index.on_member(f"{ROOT}/_owner/plant/worker", b"")
    assert index.search("plant", query) == {}
    assert index.owner_of("worker") == "worker"


def test_a_guid_held_by_another_agents_document_is_refused(
    caplog: pytest.LogCaptureFixture,
) -> None:
    index = Index(":memory:", ROOT)
    for agent in ("w1", "w2"):
        index.on_member(f"{ROOT}/_owner/plant/{agent}", b'"member"')
    index.on_meta(meta_topic(ROOT, "w1", "pump"), meta_doc("w1", "pump", owner="plant"))
    with caplog.at_level(logging.WARNING, "iotic_app.mqtt"):
        index.on_meta(meta_topic(ROOT, "w2", "pump"), meta_doc("w2", "pump", owner="plant"))
    assert [d.agent for d in index.docs_in_order()] == ["w1"]
    assert "is agent 'w1''s" in caplog.text


def test_private_things_of_another_owner_are_never_found() -> None:
    index = Index(":memory:", ROOT)
    index.on_meta(
        meta_topic(ROOT, "alice", "secret"),
        meta_doc("alice", "secret", public=False, labels={"en": "secret pump"}),
    )
    for scope in ("public", "local", "localOwn"):
        assert index.search("bob", Query(text="pump", scope=scope)) == {}
    assert list(index.search("alice", Query(text="pump", scope="local"))) != []


def test_a_resync_drops_what_the_broker_no_longer_retains(tmp_path: Path) -> None:
    db = str(tmp_path / "dir.db")
    index = Index(db, ROOT)
    for lid in ("a", "b", "c"):
        index.on_meta(meta_topic(ROOT, "x", lid), meta_doc("x", lid, labels={"en": "pump"}))
    index.on_member(f"{ROOT}/_owner/o/x", b'"member"')
    index.close()
    index = Index(db, ROOT)  # the file persists
    assert index.count() == 3
    index.begin_resync()
    for lid in ("a", "c"):  # b was deleted while the directory was away
        index.on_meta(meta_topic(ROOT, "x", lid), meta_doc("x", lid, labels={"en": "pump"}))
    assert index.end_resync() == (1, 1)
    assert [d.lid for d in index.docs_in_order()] == ["a", "c"]
    assert index.owner_of("x") == "x"


def _member(index: Index, owner: str, agent: str, present: bool = True) -> None:
    index.on_member(f"{ROOT}/_owner/{owner}/{agent}", b'"member"' if present else b"")


def test_a_guid_that_moved_to_another_agent_while_away_is_taken_at_the_end_of_the_resync(
    tmp_path: Path,
) -> None:
    """p2 deletes plant's x and p3 makes it while the directory is away: during the resync
    p2's unseen row still holds the guid; p3's document waits and is taken when it goes."""
    db = str(tmp_path / "dir.db")
    index = Index(db, ROOT)
    for agent in ("p2", "p3"):
        _member(index, "plant", agent)
    index.on_meta(meta_topic(ROOT, "p2", "x"), meta_doc("p2", "x", owner="plant", tags=["pump"]))
    index.close()
    index = Index(db, ROOT)
    index.begin_resync()
    for agent in ("p2", "p3"):
        _member(index, "plant", agent)
    index.on_meta(meta_topic(ROOT, "p3", "x"), meta_doc("p3", "x", owner="plant", tags=["pump"]))
    assert index.end_resync() == (1, 0)
    assert [d.agent for d in index.docs_in_order()] == ["p3"]
    assert list(index.search("plant", Query(text="pump"))) == [thing_guid("plant", "x")]


def test_a_guid_still_held_by_a_seen_document_after_the_resync_stays_refused(
    caplog: pytest.LogCaptureFixture,
) -> None:
    index = Index(":memory:", ROOT)
    for agent in ("p2", "p3"):
        _member(index, "plant", agent)
    p2 = meta_doc("p2", "x", owner="plant", tags=["pump"])
    index.on_meta(meta_topic(ROOT, "p2", "x"), p2)
    index.begin_resync()
    for agent in ("p2", "p3"):
        _member(index, "plant", agent)
    index.on_meta(meta_topic(ROOT, "p3", "x"), meta_doc("p3", "x", owner="plant"))
    index.on_meta(meta_topic(ROOT, "p2", "x"), p2)  # still retained, after p3's
    with caplog.at_level(logging.WARNING, "iotic_app.mqtt"):
        assert index.end_resync() == (0, 0)
    assert [d.agent for d in index.docs_in_order()] == ["p2"]
    assert "is agent 'p2''s" in caplog.text


def test_a_waiting_document_deleted_during_the_resync_is_not_taken() -> None:
    index = Index(":memory:", ROOT)
    for agent in ("p2", "p3"):
        _member(index, "plant", agent)
    index.on_meta(meta_topic(ROOT, "p2", "x"), meta_doc("p2", "x", owner="plant"))
    index.begin_resync()
    for agent in ("p2", "p3"):
        _member(index, "plant", agent)
    index.on_meta(meta_topic(ROOT, "p3", "x"), meta_doc("p3", "x", owner="plant"))
    index.on_meta(meta_topic(ROOT, "p3", "x"), b"")
    assert index.end_resync() == (1, 0)
    assert index.count() == 0


def test_an_unseen_document_moved_by_a_membership_during_the_resync_is_still_dropped() -> None:
    index = Index(":memory:", ROOT)
    index.on_meta(meta_topic(ROOT, "w", "t"), meta_doc("w", "t", owner="plant"))  # aside
    index.begin_resync()
    _member(index, "plant", "w")  # takes the aside row: it stays unseen
    assert index.end_resync() == (1, 0)
    assert index.count() == 0 and index.docs_per_agent() == {}


NASTY = [
    "old\x00water tank by the river",
    "old\ud800water tank by the river",
    "\x00\x00nul first",
    "tail \udfff\ud800",
]


@pytest.mark.parametrize("dense", [20, 1, 10**9])
def test_nul_and_lone_surrogates_in_texts_and_queries_find_what_search_finds(
    dense: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_index, "DENSE", dense)
    index = Index(":memory:", ROOT)
    docs = []
    for n, text in enumerate(NASTY):
        topic = meta_topic(ROOT, "a0", f"t{n}")
        raw = meta_doc("a0", f"t{n}", labels={"en": text}, descriptions={"fr": f"d{n}\x00x"})
        index.on_meta(topic, raw)  # does not raise
        docs.append(parse_thing_doc(ROOT, topic, raw))
    assert index.count() == len(NASTY)
    texts = ["river", "water", "tank", "nul first", "tail", "\x00riv", "\ud800riv", "\x00\x00nul"]
    texts += ["\ud800wat", "\udfff\ud800", "\x00x", "0\x00x", "\ufffdwat", " \x00 ", "ld w"]
    for text in texts:
        for type_ in ("full", "minimal"):
            query = Query(text=text, type_=type_, limit=1000)
            expected = search("a0", [candidate(d) for d in docs], query)
            assert index.search("a0", query) == expected, text
    assert len(index.search("a0", Query(text="water"))) == 2  # NUL does not end the text


def test_a_document_whose_writes_fail_is_left_out_whole(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A unit holding a lone surrogate cannot be stored: the document (its row, texts and
    place, written before the unit) is left out as a whole, and logged."""
    index = Index(":memory:", ROOT)
    topic = meta_topic(ROOT, "a0", "t")
    index.on_meta(topic, meta_doc("a0", "t", labels={"en": "old tank"}, location=[51.0, 0.0]))
    value = {"label": "v", "type": "decimal", "unit": "http://u.org/\ud800"}
    point = {"kind": "Feed", "pid": "p", "values": [value]}
    bad = meta_doc("a0", "t", labels={"en": "water tank"}, location=[51.0, 0.0], points=[point])
    with caplog.at_level(logging.WARNING, "iotic_app.mqtt"):
        index.on_meta(topic, bad)
    assert "left out the thing document on 'iotic/a0/t/meta'" in caplog.text
    assert index.count() == 0 and index.docs_per_agent() == {}  # the old one went too
    assert index.search("a0", Query(location=(51.0, 0.0, 1.0))) == {}
    assert index.search("a0", Query(text="tank")) == {}
    index.on_meta(topic, meta_doc("a0", "t", labels={"en": "water tank"}, location=[51.0, 0.0]))
    assert list(index.search("a0", Query(text="water", location=(51.0, 0.0, 1.0)))) == [
        thing_guid("a0", "t")
    ]


def _lids(index: Index) -> list[str]:
    return [d.lid for d in index.docs_in_order()]


def test_an_updated_thing_keeps_its_place_as_on_local() -> None:
    """Search order is creation order, as local:// keeps it: an update, a resync or a
    membership going and coming keeps a thing's place; deleted and made again, it comes last."""
    index = Index(":memory:", ROOT)
    _member(index, "plant", "w")
    for lid in ("a", "b", "c"):
        index.on_meta(meta_topic(ROOT, "w", lid), meta_doc("w", lid, owner="plant", tags=["pump"]))
    topic_a = meta_topic(ROOT, "w", "a")
    index.on_meta(topic_a, meta_doc("w", "a", owner="plant", tags=["pump", "new"]))
    assert _lids(index) == ["a", "b", "c"]
    query = Query(text="pump", limit=1, type_="minimal")
    assert index.search("plant", query) == [thing_guid("plant", "a")]
    assert index.search("plant", Query(text="pump", offset=1, limit=1, type_="minimal")) == [
        thing_guid("plant", "b")
    ]
    _member(index, "plant", "w", present=False)  # aside, then used again
    _member(index, "plant", "w")
    assert _lids(index) == ["a", "b", "c"]
    index.begin_resync()
    _member(index, "plant", "w")
    for lid in ("c", "a", "b"):  # the broker's order, a changed
        index.on_meta(meta_topic(ROOT, "w", lid), meta_doc("w", lid, owner="plant", tags=[lid]))
    assert index.end_resync() == (0, 0)
    assert _lids(index) == ["a", "b", "c"]
    index.on_meta(topic_a, b"")
    index.on_meta(topic_a, meta_doc("w", "a", owner="plant"))
    assert _lids(index) == ["b", "c", "a"]
    index.on_meta(meta_topic(ROOT, "w", "b"), meta_doc("w", "b"))  # another guid: w's own b
    assert _lids(index) == ["c", "a", "b"]


# -- the wire: queries as JSON, requests and replies from hostile peers ------------------------


@pytest.mark.parametrize("seed", range(2))
def test_a_query_reads_back_from_its_json(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(200):
        query = _random_query(rng)
        expected = query
        if query.location is not None and query.location[2] > MAX_RADIUS_KM:
            # sent as 20,100 km (more than half the Earth's circumference): the same matches
            expected = attrs.evolve(query, location=(*query.location[:2], MAX_RADIUS_KM))
        assert query_from_json(json.loads(json.dumps(query_to_json(query)))) == expected


def test_an_infinite_radius_goes_on_the_wire_as_20100_km() -> None:
    """JSON has no infinity (it would go as null, and be refused)."""
    for radius in (float("inf"), 20_100.5, 1e300):
        assert query_to_json(Query(location=(1.0, 2.0, radius)))["location"] == [1, 2, 20_100]
    assert query_to_json(Query(location=(1.0, 2.0, 20_100.0)))["location"] == [1, 2, 20_100]
    for radius in (0.0, 5.5, 20_037.5):
        assert query_to_json(Query(location=(1.0, 2.0, radius)))["location"] == [1, 2, radius]


@pytest.mark.parametrize(
    ("query", "error", "message"),
    [
        ([1], TypeError, "query must be a JSON object, got [1]"),
        ({"txt": "x"}, ValueError, "unknown fields ['txt']"),
        ({"text": 5}, TypeError, "query text must be a text or null, got 5"),
        ({"text": "x" * 5000}, ValueError, "at most 4096 characters"),
        ({"text": "  "}, ValueError, "non-empty text"),
        ({"location": [1, 2]}, TypeError, "[lat, lon, radius_km]"),
        ({"location": [91, 0, 1]}, ValueError, "-90..90"),
        ({"location": [0, 0, float("nan")]}, TypeError, "[lat, lon, radius_km]"),
        ({"limit": 0}, ValueError, "query limit must be from 1 to 1000, got 0"),
        ({"limit": True}, TypeError, "query limit must be an int, got True"),
        ({"offset": -1}, ValueError, "query offset must be from 0"),
        ({"scope": "all"}, ValueError, "query scope must be one of public, local, localOwn"),
        ({"type": "huge"}, ValueError, "query type must be one of full"),
        ({"lang": "english!"}, ValueError, "query lang must be a language code"),
        ({"unit": "kelvin"}, ValueError, "query unit must be a unit URI"),
        ({"props": "x"}, TypeError, "query props must be a list"),
        ({"props": [["p q", 1]]}, ValueError, "an IRI"),
        ({"props": [["http://p", None]]}, ValueError, "a text, number, boolean"),
        ({"props": [["http://p", 1]] * 201}, TypeError, "at most 200"),
        ({"with_pointless": "yes"}, TypeError, "with_pointless must be true or false"),
    ],
)
def test_a_hostile_query_is_refused_saying_why(query: Any, error: type, message: str) -> None:
    with pytest.raises(error) as caught:
        query_from_json(query)
    assert message in str(caught.value)


def test_requests_that_cannot_be_answered_raise_and_bad_queries_carry_an_error() -> None:
    for raw in (b"{", b"[]", b"x" * (MAX_REQUEST_BYTES + 1), b'{"rid": "a b", "client": "c"}'):
        with pytest.raises(ValueError):
            parse_request(raw)
    bad = parse_request(b'{"v": 2, "rid": "r", "client": "c", "query": {"limit": -1}}')
    assert bad.query is None and bad.error is not None and "limit" in bad.error
    old = parse_request(b'{"v": 1, "rid": "r", "client": "c", "query": {}}')
    assert old.error is not None and "version 2" in old.error
    good = parse_request(request_body("r", "bob~2", Query(text="x")))
    assert good == Request("r", "bob~2", Query(text="x"), None)
    assert client_of_agent("bob", "bob~2") and client_of_agent("bob", "bob")
    assert not client_of_agent("bob", "bobby") and not client_of_agent("bob", "alice")


def test_a_reply_of_another_version_is_an_error_naming_both() -> None:
    rid, result, error = parse_reply(b'{"v": 3, "rid": "r", "result": []}')
    assert (rid, result) == ("r", None)
    assert error is not None and "version 3" in error and "version 2" in error
    assert parse_reply(reply_body("r", ["g"])) == ("r", ["g"], None)
    assert parse_reply(reply_body("r", error="no")) == ("r", None, "no")
    with pytest.raises(ValueError):
        parse_reply(b"[]")
