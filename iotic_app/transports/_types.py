"""The plain values that cross the transport seam: kinds, guids, values, metadata, requests."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal, TypeAlias

import attrs

from iotic_app.exceptions import IOTAccessDenied

__all__ = [
    "CONTROL",
    "FEED",
    "MAX_PROPERTIES",
    "MAX_PROPERTY_IRI",
    "MAX_PROPERTY_TEXT",
    "ControlRequest",
    "FollowerCount",
    "Meta",
    "PointKind",
    "PropObject",
    "Property",
    "Query",
    "Sample",
    "SearchScopeName",
    "SearchTypeName",
    "Subscribed",
    "Target",
    "TellResult",
    "ValueSpec",
    "copy_data",
    "lid_taken",
    "point_guid",
    "property_key",
    "thing_guid",
]

FEED: Literal["Feed"] = "Feed"
CONTROL: Literal["Control"] = "Control"
PointKind: TypeAlias = Literal["Feed", "Control"]
TellResult: TypeAlias = "Literal[True, 'timeout', 'unreachable', 'failed']"
Target: TypeAlias = "str | tuple[str, str]"
"""A point named by its guid, or by ``(thing_lid, pid)`` among the things of the agent's owner."""

Sample: TypeAlias = "tuple[Any, str | None, datetime]"
"""One feed value as it travels: ``(data, mime, time)``; time is an aware UTC datetime."""

PropObject: TypeAlias = str | int | float | bool | tuple[str, str]
"""A semantic property's object: a literal (a text may end in ``@@lang``), or
``(lexical, xsd_type)`` for any other XSD type."""

Property: TypeAlias = tuple[str, PropObject]
"""A semantic property of a thing: ``(predicate IRI, object)``."""

MAX_PROPERTIES = 200
"""At most this many properties (predicate-object pairs) on one thing."""
MAX_PROPERTY_IRI = 512
"""At most this many characters in a property's predicate (and an XSD type's name)."""
MAX_PROPERTY_TEXT = 1024
"""At most this many characters in a property's text object."""
MAX_SEARCH_TEXT = 4096
"""At most this many characters in a search's text (on every transport; a directory's limit)."""
MAX_SEARCH_OFFSET = 1_000_000
"""At most this many results skipped by a search's offset (on every transport)."""

SearchScopeName: TypeAlias = Literal["public", "local", "localOwn"]
"""Which things a search looks at (``SearchScope``'s values): public ones of every agent; those
visible to the searcher (public ones and its own); the searcher's own only."""
SearchTypeName: TypeAlias = Literal["full", "reduced", "located", "minimal"]
"""How much a search returns (``SearchType``'s values)."""


@attrs.frozen
class Query:
    """A checked search: what must match (text, location, unit, properties), where to look
    (*scope*), and the result's shape (*type_*, *lang*, *limit*, *offset*).

    Attributes:
        text: Words that must all appear in a text of the thing or its points.
        location: ``(lat, lon, radius_km)``.
        unit: A unit URI one of its values must have.
        props: Properties the thing must all have (``search_property``).
        lang: Match and return only texts in this language.
        scope: See :data:`SearchScopeName`.
        type_: See :data:`SearchTypeName`.
        limit: At most this many things.
        offset: Skip this many first.
        with_pointless: Whether things without points are found.
    """

    text: str | None = None
    location: tuple[float, float, float] | None = None
    unit: str | None = None
    props: tuple[Property, ...] = ()
    lang: str | None = None
    scope: SearchScopeName = "public"
    type_: SearchTypeName = "full"
    limit: int = 50
    offset: int = 0
    with_pointless: bool = True


def property_key(prop: Property) -> tuple[str, str, Any]:
    """Return what makes two properties the same: predicate, object type and object
    (``True``, ``1`` and ``1.0`` are three objects, as in RDF)."""
    predicate, obj = prop
    return (predicate, type(obj).__name__, obj)


_NAMESPACE = uuid.UUID("5b0d6f3e-8a8f-4c55-9a52-3c1e0f6b1a10")


def thing_guid(agent_id: str, lid: str) -> str:
    """Return the stable guid of agent *agent_id*'s thing *lid* (32 lowercase hex digits).

    Args:
        agent_id: The owning agent.
        lid: The thing's local id.

    Returns:
        The guid.
    """
    return uuid.uuid5(_NAMESPACE, f"{agent_id}\x00{lid}").hex


def lid_taken(owner: str, lid: str, holder: str, agent: str) -> IOTAccessDenied:
    """The error of agent *agent* creating thing *lid* that agent *holder* of *owner* has."""
    return IOTAccessDenied(
        f"owner {owner!r} already has a thing {lid!r}, made by its agent {holder!r}: local ids "
        f"are unique per owner, so agent {agent!r} cannot create it (choose another lid, or "
        f"use it from agent {holder!r})"
    )


def point_guid(thing: str, kind: PointKind, pid: str) -> str:
    """Return the stable guid of the feed or control *pid* of the thing with guid *thing*.

    Args:
        thing: The thing's guid.
        kind: ``'Feed'`` or ``'Control'``.
        pid: The point's id.

    Returns:
        The guid.
    """
    return uuid.uuid5(_NAMESPACE, f"{thing}\x00{kind}\x00{pid}").hex


_SCALARS = frozenset({str, int, float, bool, type(None)})
_STR = frozenset({str})


def copy_data(value: Any, what: str = "data") -> Any:
    """Return a private copy of JSON-like *value* (dict, list, str, int, float, bool, None).

    Tuples become lists, as they would through JSON. Immutable values are returned as they are.

    Args:
        value: The value to copy.
        what: The argument's name, for the error message.

    Returns:
        The copy.

    Raises:
        TypeError: *value* holds something that is not JSON-like, or a dict key is not a str.
    """
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is dict:
        # fast path, looping in C: a flat dict of str keys and scalar values
        if _STR.issuperset(map(type, value)) and _SCALARS.issuperset(map(type, value.values())):
            return value.copy()
        out = {}
        for key, item in value.items():
            if type(key) is not str:
                raise TypeError(f"{what} must have str keys, got key {key!r}")
            out[key] = item if type(item) in _SCALARS else copy_data(item, what)
        return out
    if kind is list or kind is tuple:
        return [item if type(item) in _SCALARS else copy_data(item, what) for item in value]
    if isinstance(value, Mapping):
        return copy_data(dict(value), what)
    if isinstance(value, str | int | float):
        return value
    raise TypeError(
        f"{what} without a mime type must be a dict, list, str, int, float, bool or None "
        f"(or give mime= with bytes), got {type(value).__name__}: {value!r:.80}"
    )


@attrs.frozen
class ValueSpec:
    """A value a point declares: what ``create_value`` records.

    Attributes:
        label: The value's label (its key in shared data).
        vtype: A :class:`~iotic_app.datatypes.Datatypes` constant.
        lang: The language of *description*, or None.
        description: A description, or None.
        unit: A unit URI (see :class:`~iotic_app.datatypes.Units`), or None.
    """

    label: str
    vtype: str
    lang: str | None = None
    description: str | None = None
    unit: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the value as a plain dict (as ``describe`` shows it).

        Returns:
            ``{'label', 'type', 'lang', 'description', 'unit'}``.
        """
        return {
            "label": self.label,
            "type": self.vtype,
            "lang": self.lang,
            "description": self.description,
            "unit": self.unit,
        }


@attrs.frozen
class Meta:
    """A snapshot of a thing's or point's metadata.

    Attributes:
        labels: Label per language.
        descriptions: Description per language.
        location: ``(lat, lon)`` of a thing, or None.
        tags: The tags, sorted.
        public: Whether a thing is public (points: their thing's flag).
    """

    labels: Mapping[str, str] = attrs.field(factory=dict)
    descriptions: Mapping[str, str] = attrs.field(factory=dict)
    location: tuple[float, float] | None = None
    tags: tuple[str, ...] = ()
    public: bool = False


@attrs.frozen
class ControlRequest:
    """A request (ask or tell) that arrived for a control.

    Attributes:
        data: The request's data.
        mime: Its mime type, or None.
        sub_id: The asking agent's attach subscription id.
        thing_lid: The lid of the control's thing.
        pid: The control's pid.
        request_id: Id to pass to ``confirm_tell``.
        confirm: True for a tell (it waits for a confirmation), False for an ask.
    """

    data: Any
    mime: str | None
    sub_id: str
    thing_lid: str
    pid: str
    request_id: str
    confirm: bool


@attrs.frozen
class Subscribed:
    """One of the agent's things made a new follow or attach (see ``Transport.watch``).

    Attributes:
        lid: The agent's thing that follows or attaches.
        sub_id: The subscription's id.
        kind: ``'Feed'`` (a follow) or ``'Control'`` (an attach).
        guid: The followed feed's or attached control's guid.
    """

    lid: str
    sub_id: str
    kind: PointKind
    guid: str


@attrs.frozen
class FollowerCount:
    """How many things follow (a feed) or are attached to (a control) one of the agent's points
    changed (see ``Transport.watch``).

    Attributes:
        lid: The lid of the point's thing (the agent's).
        pid: The point's pid.
        kind: ``'Feed'`` or ``'Control'``.
        count: How many things follow or are attached to it now.
    """

    lid: str
    pid: str
    kind: PointKind
    count: int
