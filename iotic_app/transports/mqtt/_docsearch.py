"""A checked thing document as search sees it (the catalogue and the directory), and as stored."""

from __future__ import annotations

from typing import Any

from iotic_app.transports._protocol import Property
from iotic_app.transports._search import Candidate
from iotic_app.transports.mqtt._json import from_json, to_json
from iotic_app.transports.mqtt._thingdoc import ThingDoc

__all__ = ["candidate", "doc_from_json", "doc_to_json", "texts_of", "units_of"]


def texts_of(doc: ThingDoc) -> list[tuple[str | None, str]]:
    """``(lang or None for tags, text)`` of the thing and its points, as search reads them."""
    texts: list[tuple[str | None, str]] = [(None, tag) for tag in doc.tags]
    texts.extend(doc.labels.items())
    texts.extend(doc.descriptions.items())
    for p in doc.points:
        texts.extend((p.get("labels") or {}).items())
        texts.extend((p.get("descriptions") or {}).items())
        texts.extend((None, tag) for tag in p.get("tags") or ())
    return texts


def units_of(doc: ThingDoc) -> set[str | None]:
    """The units of the values of *doc*'s points."""
    return {v.get("unit") for p in doc.points for v in p.get("values") or ()}


def candidate(doc: ThingDoc) -> Candidate:
    """A checked document as search sees it."""
    return Candidate(
        guid=doc.guid,
        owner=doc.owner,
        public=doc.public,
        labels=doc.labels,
        location=doc.location,
        texts=texts_of(doc),
        units=units_of(doc),
        points=[
            (str(p["guid"]), p.get("labels") or {}, str(p["kind"]), (p.get("save_recent") or 0) > 0)
            for p in doc.points
        ],
        properties=doc.properties,
    )


def doc_to_json(doc: ThingDoc) -> bytes:
    """A checked document as stored (see :func:`doc_from_json`); typed property objects
    ``(lexical, xsd_type)`` become ``{"l": .., "t": ..}`` so they read back as tuples."""
    props = [
        [pred, {"l": obj[0], "t": obj[1]} if isinstance(obj, tuple) else obj]
        for pred, obj in doc.properties
    ]
    return to_json(
        [
            doc.agent,
            doc.lid,
            doc.guid,
            doc.base,
            doc.owner,
            doc.public,
            doc.labels,
            doc.descriptions,
            doc.location,
            doc.tags,
            doc.points,
            props,
        ]
    )


def doc_from_json(raw: bytes | str) -> ThingDoc:
    """The document :func:`doc_to_json` stored (it was checked before: no checks again)."""
    agent, lid, guid, base, owner, public, labels, descriptions, loc, tags, points, props = (
        from_json(raw)
    )
    properties: list[Property] = []
    for pred, obj in props:
        properties.append((pred, (obj["l"], obj["t"]) if isinstance(obj, dict) else obj))
    location: Any = None if loc is None else (loc[0], loc[1])
    return ThingDoc(
        agent,
        lid,
        guid,
        base,
        owner,
        public,
        labels,
        descriptions,
        location,
        tags,
        points,
        tuple(properties),
    )
