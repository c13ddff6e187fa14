"""The dicts ``Client.describe`` returns, built the same way for every transport."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from iotic_app.transports._search import label_of

__all__ = ["Described", "PointFacts", "ThingFacts", "describe_point", "describe_thing"]


class Described(Protocol):
    """What ``describe`` shows of any resource: its guid and metadata."""

    @property
    def guid(self) -> str: ...
    @property
    def labels(self) -> Mapping[str, str] | None: ...
    @property
    def descriptions(self) -> Mapping[str, str] | None: ...
    @property
    def tags(self) -> Iterable[str]: ...


class ThingFacts(Described, Protocol):
    """What ``describe`` shows of a thing (the local space's things, MQTT's documents)."""

    @property
    def lid(self) -> str: ...
    @property
    def agent(self) -> str: ...
    @property
    def public(self) -> bool: ...
    @property
    def location(self) -> tuple[float, float] | None: ...


class PointFacts(Described, Protocol):
    """What ``describe`` shows of a feed or control, besides its values."""

    @property
    def kind(self) -> str: ...
    @property
    def pid(self) -> str: ...


def describe_thing(thing: ThingFacts, points: Iterable[PointFacts]) -> dict[str, Any]:
    """Return ``describe``'s dict for *thing*, whose feeds and controls are *points*."""
    return {
        "type": "Thing",
        "guid": thing.guid,
        "lid": thing.lid,
        "agent": thing.agent,
        "public": thing.public,
        "label": label_of(thing.labels),
        "labels": dict(thing.labels or {}),
        "description": label_of(thing.descriptions),
        "descriptions": dict(thing.descriptions or {}),
        "location": thing.location,
        "tags": sorted(thing.tags),
        "points": [
            {"guid": p.guid, "pid": p.pid, "type": p.kind, "label": label_of(p.labels)}
            for p in points
        ],
    }


def describe_point(
    point: PointFacts, thing: str, values: Iterable[dict[str, Any]], recent: int
) -> dict[str, Any]:
    """Return ``describe``'s dict for *point* of the thing whose guid is *thing*.

    Args:
        point: The feed or control.
        thing: Its thing's guid.
        values: Each value it declares, as ``ValueSpec.as_dict`` shows it.
        recent: How many recent values it keeps.
    """
    return {
        "type": point.kind,
        "guid": point.guid,
        "pid": point.pid,
        "thing": thing,
        "label": label_of(point.labels),
        "labels": dict(point.labels or {}),
        "description": label_of(point.descriptions),
        "descriptions": dict(point.descriptions or {}),
        "tags": sorted(point.tags),
        "values": list(values),
        "recent": recent,
    }
