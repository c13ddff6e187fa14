"""What every transport's thing and point handles hold: their metadata, read and written here."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Generic, TypeVar

from iotic_app.transports._protocol import Meta, PointKind, Property, Sample, ValueSpec

__all__ = ["NO_TEXT", "Described", "PointHandle", "ThingHandle"]

NO_TEXT: Mapping[str, str] = MappingProxyType({})
"""The labels or descriptions of a handle that has none: one shared, read-only empty mapping, so
that a thing without texts costs no dict (as ``frozenset()`` for no tags)."""

_Kept = TypeVar("_Kept")


class Described:
    """What things and points both carry: labels, descriptions and tags.

    They are replaced whole, never changed in place, under the transport's lock.
    """

    __slots__ = ("descriptions", "labels", "tags")

    def __init__(self) -> None:
        self.labels = NO_TEXT
        self.descriptions = NO_TEXT
        self.tags: frozenset[str] = frozenset()

    def _meta(self, location: tuple[float, float] | None, public: bool) -> Meta:
        return Meta(
            labels=dict(self.labels),
            descriptions=dict(self.descriptions),
            location=location,
            tags=tuple(sorted(self.tags)),
            public=public,
        )

    def write_meta(
        self,
        labels: Mapping[str, str],
        descriptions: Mapping[str, str],
        location: tuple[float, float] | None,
    ) -> None:
        """Replace labels, descriptions and a thing's location (``Transport.write_meta``)."""
        self.labels = dict(labels) or NO_TEXT
        self.descriptions = dict(descriptions) or NO_TEXT
        self._locate(location)

    def _locate(self, location: tuple[float, float] | None) -> None:
        """Keep *location* (a point has none: it ignores it)."""

    def change_tags(self, add: Sequence[str], remove: Sequence[str]) -> None:
        """Add the tags *add*, then remove the tags *remove* (``Transport.change_tags``)."""
        self.tags = (self.tags | frozenset(add)) - frozenset(remove)


class ThingHandle(Described):
    """One of the agent's things as a transport keeps it (its ThingRef): ids and metadata.

    A transport's own subclass adds what it needs (its points, its follows, topics).
    """

    __slots__ = ("deleted", "guid", "lid", "location", "properties", "public")

    def __init__(self, lid: str, guid: str) -> None:
        super().__init__()
        self.lid = lid
        self.guid = guid
        self.location: tuple[float, float] | None = None
        self.public = False
        self.deleted = False
        self.properties: tuple[Property, ...] = ()  # replaced whole, under the transport's lock

    def meta(self) -> Meta:
        """Return a snapshot of the thing's metadata (what ``Transport.read_meta`` returns)."""
        return self._meta(self.location, self.public)

    def _locate(self, location: tuple[float, float] | None) -> None:
        self.location = location


class PointHandle(Described, Generic[_Kept]):
    """A feed or control as a transport keeps it (its PointRef): ids, metadata, values and the
    latest samples (*_Kept* is what the transport keeps of each recent one).

    A transport's own subclass adds what it needs (followers, topics, handlers).
    """

    __slots__ = (
        "deleted",
        "guid",
        "kind",
        "last",
        "pid",
        "recent",
        "save_recent",
        "thing",
        "values",
    )

    def __init__(self, thing: ThingHandle, kind: PointKind, pid: str, guid: str) -> None:
        super().__init__()
        self.thing = thing
        self.kind: PointKind = kind
        self.pid = pid
        self.guid = guid
        self.values: tuple[ValueSpec, ...] = ()
        self.save_recent = 0
        self.recent: deque[_Kept] | None = None
        self.last: Sample | None = None
        self.deleted = False

    def meta(self) -> Meta:
        """Return a snapshot of the point's metadata (``public`` is its thing's flag)."""
        return self._meta(None, self.thing.public)

    def add_value(self, spec: ValueSpec) -> None:
        """Declare *spec*, replacing a value of the same label (``Transport.add_value``)."""
        kept = tuple(value for value in self.values if value.label != spec.label)
        self.values = (*kept, spec)
