"""0.7.0's RDF metadata: rdflib graphs made from iotic_app's metadata editor, and read back."""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Iterator
from typing import Any, NamedTuple

__all__ = [
    "POINT",
    "THING",
    "Predicates",
    "apply",
    "check_fmt",
    "literals",
    "make_graph",
    "parse",
    "rdflib",
    "set_meta",
]

#: The RDF formats 0.7.0 named for its meta calls.
FORMATS = ("xml", "n3", "turtle")

_IOTIC = "http://purl.org/net/iotic-labs#"
_GEO = "http://www.w3.org/2003/01/geo/wgs84_pos#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_XSD_FLOAT = "http://www.w3.org/2001/XMLSchema#float"


class Predicates(NamedTuple):
    """The predicates of a resource's label and description in 0.7.0's metadata."""

    label: str
    comment: str


THING = Predicates(_IOTIC + "entityLabel", _IOTIC + "entityComment")
POINT = Predicates(_IOTIC + "pointLabel", _IOTIC + "pointComment")
#: What 0.7.0's ResourceMeta used by default; read as well, so a graph written with them works.
_PLAIN = Predicates(_RDFS + "label", _RDFS + "comment")


def rdflib() -> Any:
    """The rdflib module, which the RDF calls need (an optional dependency).

    Raises:
        ImportError: rdflib is not installed; the message says how to install it.
    """
    try:
        return importlib.import_module("rdflib")
    except ImportError as exc:
        raise ImportError(
            "the RDF metadata calls (get_meta_rdf, set_meta_rdf, get_labels_rdf, "
            "get_descriptions_rdf) need rdflib: pip install iotic_app[rdf]"
        ) from exc


def check_fmt(fmt: object) -> str:
    """*fmt* if it is one of 0.7.0's RDF formats (``'xml'``, ``'n3'``, ``'turtle'``).

    Raises:
        TypeError: not a str.
        ValueError: another format.
    """
    if not isinstance(fmt, str):
        raise TypeError(f"fmt must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(FORMATS)}, got {fmt!r}")
    return fmt


def literals(texts: dict[str, str]) -> list[Any]:
    """*texts* (text by language) as rdflib Literals, as 0.7.0's ``get_labels_rdf`` gave them."""
    literal = rdflib().Literal
    return [literal(text, lang=lang) for lang, text in texts.items()]


def make_graph(
    guid: str,
    predicates: Predicates,
    labels: dict[str, str],
    descriptions: dict[str, str],
    location: tuple[float | None, float | None] = (None, None),
) -> Any:
    """The RDF graph of a resource's metadata, about ``urn:uuid:<guid>``."""
    lib = rdflib()
    graph = lib.Graph()
    subject = lib.URIRef(uuid.UUID(guid).urn)
    for predicate, texts in ((predicates.label, labels), (predicates.comment, descriptions)):
        for lang, text in texts.items():
            graph.add((subject, lib.URIRef(predicate), lib.Literal(text, lang=lang)))
    lat, lon = location
    if lat is not None and lon is not None:
        for name, value in (("lat", lat), ("long", lon)):
            term = lib.Literal(str(value), datatype=lib.URIRef(_XSD_FLOAT))
            graph.add((subject, lib.URIRef(_GEO + name), term))
    return graph


def parse(rdf: object, fmt: str) -> Any:
    """Parse *rdf* (str or bytes, in *fmt*) into a graph.

    Raises:
        TypeError: *rdf* is not str or bytes.
        ValueError: *rdf* is not valid *fmt*.
    """
    if not isinstance(rdf, str | bytes):
        raise TypeError(f"rdf must be a str or bytes of RDF, got {rdf!r}")
    graph = rdflib().Graph()
    try:
        graph.parse(data=rdf, format=fmt)
    except Exception as exc:  # rdflib's parsers raise their own kinds (BadSyntax, SAX errors)
        shown = repr(rdf) if len(rdf) <= 80 else f"{rdf[:77]!r}..."
        raise ValueError(f"rdf must be valid {fmt}, got {shown}: {exc}") from exc
    return graph


def _texts(graph: Any, predicate: str, default_lang: str) -> Iterator[tuple[str, str]]:
    for obj in graph.objects(None, rdflib().URIRef(predicate)):
        yield (obj.language or default_lang), str(obj)


def apply(editor: Any, graph: Any, predicates: Predicates, default_lang: str) -> None:
    """Make *editor* (iotic_app's ThingMeta or PointMeta) hold what *graph* says: the labels and
    descriptions (a literal without language: *default_lang*) and, for a thing, the location;
    the editor is not applied (call its ``set``)."""
    for lang in editor.labels:
        editor.delete_label(lang)
    for lang in editor.descriptions:
        editor.delete_description(lang)
    for plain, ours in zip(_PLAIN, predicates, strict=True):
        setter = editor.set_label if ours == predicates.label else editor.set_description
        for predicate in (plain, ours):  # iotic's win over rdfs's for the same language
            for lang, text in _texts(graph, predicate, default_lang):
                setter(text, lang)
    if hasattr(editor, "set_location"):
        lib = rdflib()
        lat = next(iter(graph.objects(None, lib.URIRef(_GEO + "lat"))), None)
        lon = next(iter(graph.objects(None, lib.URIRef(_GEO + "long"))), None)
        if lat is None or lon is None:
            editor.delete_location()
        else:
            editor.set_location(float(lat), float(lon))


def set_meta(editor: Any, rdf: object, fmt: object, predicates: Predicates, lang: str) -> None:
    """Check *fmt*, parse *rdf*, make *editor* hold what it says (:func:`apply`, *lang* for a
    literal without language) and apply the editor: a thing's or point's ``set_meta_rdf``."""
    apply(editor, parse(rdf, check_fmt(fmt)), predicates, lang)
    editor.set()
