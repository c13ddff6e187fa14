"""Search over things, the same on every transport: what matches, and the shape of the result."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from iotic_app.transports._types import Property, Query, property_key

__all__ = ["Candidate", "distance_km", "is_own", "label_of", "search", "visible"]

EARTH_RADIUS_KM = 6371.0088
DEFAULT_LANG = "en"


def label_of(labels: Mapping[str, str] | None, lang: str | None = None) -> str | None:
    """The label (or description) in *lang*; without *lang* the English one, else any, else
    None."""
    if not labels:
        return None
    if lang is not None:
        return labels.get(lang)
    return labels.get(DEFAULT_LANG) or next(iter(labels.values()))


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance between two points, in kilometres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def is_own(owner: str, thing_owner: str) -> bool:
    """Whether a thing of owner *thing_owner* is the searcher's own (``LOCAL_OWN``): the things
    of the searcher's *owner*, made by any of its agents. The one place that says so."""
    return thing_owner == owner


def visible(owner: str, scope: str, thing_owner: str, public: bool) -> bool:
    """Whether a search in *scope* by an agent of *owner* looks at a thing of *thing_owner*.

    ``public``: public things of every owner; ``local``: those and the owner's private ones;
    ``localOwn``: the owner's things only.
    """
    if scope == "public":
        return public
    own = is_own(owner, thing_owner)
    return own if scope == "localOwn" else public or own


class Candidate(NamedTuple):
    """A thing as search sees it, whatever the transport keeps it as."""

    guid: str
    owner: str  # the thing's owner (its maker's; the default owner is the maker itself)
    public: bool
    labels: Mapping[str, str] | None
    location: tuple[float, float] | None
    texts: Iterable[tuple[str | None, str]]  # (lang or None for tags, text) of thing and points
    units: Iterable[str | None]  # the units of its points' values
    points: Iterable[tuple[str, Mapping[str, str] | None, str, bool]]  # guid, labels, kind, recent
    properties: Iterable[Property]


def _matches(thing: Candidate, query: Query, words: list[str]) -> bool:
    if query.props:
        have = {property_key(prop) for prop in thing.properties}
        if not all(property_key(prop) in have for prop in query.props):
            return False
    if not query.with_pointless and not any(True for _ in thing.points):
        return False
    if query.location is not None:
        if thing.location is None:
            return False
        lat, lon, radius = query.location
        if distance_km(lat, lon, *thing.location) > radius:
            return False
    if query.unit is not None and query.unit not in thing.units:
        return False
    if words:
        lang = query.lang
        hay = "\n".join(
            text for text_lang, text in thing.texts if lang is None or text_lang in (None, lang)
        ).lower()
        if not all(word in hay for word in words):
            return False
    return True


def _shape(thing: Candidate, query: Query) -> Any:
    """One found thing in the shape *query.type_* asks for (``minimal``: nothing)."""
    lang = query.lang
    if query.type_ == "reduced":
        return {guid: kind for guid, _, kind, _ in thing.points}
    lat, lon = thing.location if thing.location is not None else (None, None)
    if query.type_ == "located":
        return {"g": (lat, lon), "l": label_of(thing.labels, lang)}
    return {
        "label": label_of(thing.labels, lang),
        "lat": lat,
        "long": lon,
        "owner": thing.owner,
        "points": {
            guid: {"label": label_of(labels, lang), "type": kind, "storesRecent": recent}
            for guid, labels, kind, recent in thing.points
        },
    }


def search(owner: str, things: Iterable[Candidate], query: Query) -> Any:
    """Return the result of *query* by an agent of *owner* over *things*.

    Every word of *text* must appear in a label, description or tag of the thing or one of its
    points (with *lang*: labels and descriptions in that language only); *location* is
    ``(lat, lon, radius_km)``; *unit* must be the unit of a value; every one of *props* must be
    a property of the thing. ``located`` finds things with a location only.

    Returns:
        ``minimal``: a list of thing guids; otherwise ``{thing_guid: shape}`` (see
        ``Client.search`` and its variants).
    """
    words = query.text.lower().split() if query.text else []
    found: dict[str, Any] = {}
    skipped = 0
    for thing in things:
        if not visible(owner, query.scope, thing.owner, thing.public):
            continue
        if query.type_ == "located" and thing.location is None:
            continue
        if not _matches(thing, query, words):
            continue
        if skipped < query.offset:
            skipped += 1
            continue
        found[thing.guid] = None if query.type_ == "minimal" else _shape(thing, query)
        if len(found) >= query.limit:
            break
    return list(found) if query.type_ == "minimal" else found
