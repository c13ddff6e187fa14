"""The dicts ``Client.describe`` returns, built the same way for every transport."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from iotic_app.transports._search import label_of

__all__ = ["describe_point", "describe_thing"]


def describe_thing(
    *,
    guid: str,
    lid: str,
    agent: str,
    public: bool,
    labels: Mapping[str, str] | None,
    descriptions: Mapping[str, str] | None,
    location: tuple[float, float] | None,
    tags: Iterable[str],
    points: Iterable[tuple[str, str, str, Mapping[str, str] | None]],
) -> dict[str, Any]:
    """Return ``describe``'s dict for a thing.

    Args:
        points: ``(guid, pid, kind, labels)`` of each of its points, in order.
    """
    return {
        "type": "Thing",
        "guid": guid,
        "lid": lid,
        "agent": agent,
        "public": public,
        "label": label_of(labels),
        "labels": dict(labels or {}),
        "description": label_of(descriptions),
        "descriptions": dict(descriptions or {}),
        "location": location,
        "tags": sorted(tags),
        "points": [
            {"guid": p_guid, "pid": pid, "type": kind, "label": label_of(p_labels)}
            for p_guid, pid, kind, p_labels in points
        ],
    }


def describe_point(
    *,
    kind: str,
    guid: str,
    pid: str,
    thing: str,
    labels: Mapping[str, str] | None,
    descriptions: Mapping[str, str] | None,
    tags: Iterable[str],
    values: Iterable[dict[str, Any]],
    recent: int,
) -> dict[str, Any]:
    """Return ``describe``'s dict for a point of the thing whose guid is *thing*.

    Args:
        values: Each declared value as ``ValueSpec.as_dict`` shows it.
        recent: How many recent values the point keeps.
    """
    return {
        "type": kind,
        "guid": guid,
        "pid": pid,
        "thing": thing,
        "label": label_of(labels),
        "labels": dict(labels or {}),
        "description": label_of(descriptions),
        "descriptions": dict(descriptions or {}),
        "tags": sorted(tags),
        "values": list(values),
        "recent": recent,
    }
