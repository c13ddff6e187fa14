"""The classic RDF metadata calls (rdflib graphs, as 0.7.0's), on local:// and MQTT."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from conftest_mqtt import StockMqttSpace
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS

from iotic_app.ioticagent import IOT

IOTIC = "http://purl.org/net/iotic-labs#"
GEO = "http://www.w3.org/2003/01/geo/wgs84_pos#"


class _LocalSpace:
    def __init__(self) -> None:
        self.name = f"compat-rdf-{uuid.uuid4().hex[:8]}"

    def url(self, agent: str) -> str:
        return f"local://{self.name}?agent={agent}"


SPACES: dict[str, Callable[[], Any]] = {"local": _LocalSpace, "mqtt": StockMqttSpace}


@pytest.fixture(params=sorted(SPACES))
def client(request: pytest.FixtureRequest) -> Iterator[IOT.Client]:
    with IOT.Client(SPACES[request.param]().url("agent1")) as agent1:
        yield agent1


def _graph(rdf: str, fmt: str = "n3") -> Graph:
    graph = Graph()
    graph.parse(data=rdf, format=fmt)
    return graph


def test_a_thing_s_meta_as_rdf(client: IOT.Client) -> None:
    thing = client.create_thing("rdf_thing")
    with thing.get_meta() as meta:
        meta.set_label("Boiler")
        meta.set_label("Chaudière", "fr")
        meta.set_description("The boiler")
        meta.set_location(51.5, -0.125)
    subject = URIRef(uuid.UUID(thing.guid).urn)
    for fmt in ("n3", "turtle", "xml"):
        rdf = thing.get_meta_rdf(fmt=fmt)
        assert isinstance(rdf, str)
        graph = _graph(rdf, fmt)
        assert set(graph.objects(subject, URIRef(IOTIC + "entityLabel"))) == {
            Literal("Boiler", lang="en"),
            Literal("Chaudière", lang="fr"),
        }
        assert set(graph.objects(subject, URIRef(IOTIC + "entityComment"))) == {
            Literal("The boiler", lang="en")
        }
        [lat] = graph.objects(subject, URIRef(GEO + "lat"))
        [lon] = graph.objects(subject, URIRef(GEO + "long"))
        assert (float(lat), float(lon)) == (51.5, -0.125)


def test_set_meta_rdf_replaces_labels_descriptions_and_location(client: IOT.Client) -> None:
    thing = client.create_thing("rdf_set")
    with thing.get_meta() as meta:
        meta.set_label("Old")
        meta.set_label("Ancien", "fr")
        meta.set_location(1.0, 2.0)
    graph = _graph(thing.get_meta_rdf())
    subject = URIRef(uuid.UUID(thing.guid).urn)
    graph.remove((subject, URIRef(IOTIC + "entityLabel"), None))
    graph.add((subject, URIRef(IOTIC + "entityLabel"), Literal("New", lang="en")))
    graph.add((subject, URIRef(IOTIC + "entityComment"), Literal("Without a language")))
    graph.remove((subject, URIRef(GEO + "lat"), None))
    thing.set_meta_rdf(graph.serialize(format="turtle"), fmt="turtle")
    meta = thing.get_meta()
    assert meta.get_labels() == ['"New"@en']
    assert meta.get_descriptions() == ['"Without a language"@en']
    assert meta.get_location() == (None, None)  # half a location is none
    described = client.describe(thing)["meta"]
    assert (described["label"], described["comment"]) == ("New", "Without a language")


def test_a_point_s_meta_as_rdf_with_rdfs_predicates_read_too(client: IOT.Client) -> None:
    feed = client.create_thing("rdf_point").create_feed("f")
    with feed.get_meta() as meta:
        meta.set_label("Temperature")
    subject = URIRef(uuid.UUID(feed.guid).urn)
    graph = _graph(feed.get_meta_rdf())
    assert list(graph.objects(subject, URIRef(IOTIC + "pointLabel"))) == [
        Literal("Temperature", lang="en")
    ]
    written = Graph()
    written.add((subject, RDFS.label, Literal("Température", lang="fr")))
    written.add((subject, URIRef(IOTIC + "pointComment"), Literal("Degrees", lang="en")))
    feed.set_meta_rdf(written.serialize(format="xml"), "xml")
    meta = feed.get_meta()
    assert meta.get_labels_rdf() == [Literal("Température", lang="fr")]
    assert meta.get_descriptions_rdf() == [Literal("Degrees", lang="en")]


def test_update_reads_the_meta_again(client: IOT.Client) -> None:
    thing = client.create_thing("rdf_update")
    meta = thing.get_meta()
    with thing.get_meta() as other:
        other.set_label("Elsewhere")
    assert meta.get_labels() == []
    meta.set_label("Unsaved")
    assert meta.update() is None
    assert meta.get_labels() == ['"Elsewhere"@en']
    assert meta.get_labels_rdf() == [Literal("Elsewhere", lang="en")]


def test_bad_rdf_and_formats_are_reported(client: IOT.Client) -> None:
    thing = client.create_thing("rdf_bad")
    with pytest.raises(ValueError, match="fmt must be one of xml, n3, turtle, got 'json'"):
        thing.get_meta_rdf("json")
    with pytest.raises(TypeError, match="fmt"):
        thing.set_meta_rdf("", fmt=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rdf must be valid n3, got '<not rdf'"):
        thing.set_meta_rdf("<not rdf")
    with pytest.raises(TypeError, match="rdf must be a str or bytes"):
        thing.set_meta_rdf(42)  # type: ignore[arg-type]


def test_without_rdflib_the_error_says_how_to_install_it(
    client: IOT.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    thing = client.create_thing("no_rdflib")
    monkeypatch.setitem(sys.modules, "rdflib", None)  # import rdflib raises ImportError
    with pytest.raises(ImportError, match=r"pip install iotic_app\[rdf\]"):
        thing.get_meta_rdf()
    with pytest.raises(ImportError, match=r"pip install iotic_app\[rdf\]"):
        thing.get_meta().get_labels_rdf()
    assert thing.get_meta().get_labels() == []  # the rest works without it
