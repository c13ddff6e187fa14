"""The directory's sqlite index: its results are search()'s over the same documents."""

from __future__ import annotations

import logging
import random
from pathlib import Path

import pytest
from _dirdocs import UNITS, WORDS, meta_doc, meta_topic, random_doc

from iotic_app.directory._index import Index, _box
from iotic_app.transports._protocol import Query, thing_guid
from iotic_app.transports._search import distance_km, search
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
        model.pop(topic, None)
        model[topic] = raw
        index.on_meta(topic, raw)
    return model


@pytest.mark.parametrize("seed", range(4))
def test_the_index_finds_what_search_finds_over_the_same_documents(seed: int) -> None:
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
