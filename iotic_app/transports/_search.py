"""Search over things, the same on every transport: what matches, and the shape of the result."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

__all__ = ["Candidate", "distance_km", "label_of", "search"]

EARTH_RADIUS_KM = 6371.0088
DEFAULT_LANG = "en"


def label_of(labels: Mapping[str, str] | None) -> str | None:
    """The English label (or description), else any, else None."""
    if not labels:
        return None
    return labels.get(DEFAULT_LANG) or next(iter(labels.values()))


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance between two points, in kilometres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


class Candidate(NamedTuple):
    """A public thing as search sees it, whatever the transport keeps it as."""

    guid: str
    labels: Mapping[str, str] | None
    location: tuple[float, float] | None
    texts: Iterable[str]  # labels, descriptions and tags of the thing and its points
    units: Iterable[str | None]  # the units of its points' values
    points: Iterable[tuple[str, Mapping[str, str] | None, str]]  # (guid, labels, kind)


def _matches(
    thing: Candidate,
    words: list[str],
    location: tuple[float, float, float] | None,
    unit: str | None,
) -> bool:
    if location is not None:
        if thing.location is None:
            return False
        lat, lon, radius = location
        if distance_km(lat, lon, *thing.location) > radius:
            return False
    if unit is not None and unit not in thing.units:
        return False
    if words:
        hay = "\n".join(thing.texts).lower()
        if not all(word in hay for word in words):
            return False
    return True


def search(
    things: Iterable[Candidate],
    text: str | None,
    location: tuple[float, float, float] | None,
    unit: str | None,
    limit: int,
    offset: int,
) -> dict[str, Any]:
    """Return ``Client.search``'s result for the public *things*.

    Every word of *text* must appear in a label, description or tag of the thing or one of its
    points; *location* is ``(lat, lon, radius_km)``; *unit* must be the unit of a value.
    """
    words = text.lower().split() if text else []
    found: dict[str, Any] = {}
    skipped = 0
    for thing in things:
        if not _matches(thing, words, location, unit):
            continue
        if skipped < offset:
            skipped += 1
            continue
        lat, lon = thing.location if thing.location is not None else (None, None)
        found[thing.guid] = {
            "label": label_of(thing.labels),
            "lat": lat,
            "long": lon,
            "points": {
                guid: {"label": label_of(labels), "type": kind}
                for guid, labels, kind in thing.points
            },
        }
        if len(found) >= limit:
            break
    return found
