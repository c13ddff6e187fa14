"""Semantic properties of things: the arguments checked, and the listing's shape."""

from __future__ import annotations

import enum
import math
from typing import Any

from iotic_app.transports._protocol import (
    MAX_PROPERTIES,
    MAX_PROPERTY_IRI,
    MAX_PROPERTY_TEXT,
    Property,
    PropObject,
    SearchScopeName,
    SearchTypeName,
    property_key,
)

__all__ = [
    "add_properties",
    "check_props",
    "check_scope",
    "check_search_type",
    "list_properties",
    "remove_properties",
]

_SCOPES: tuple[SearchScopeName, ...] = ("public", "local", "localOwn")
_TYPES: tuple[SearchTypeName, ...] = ("full", "reduced", "located", "minimal")
_INT_RANGE = 2**63


def _iri(name: str, value: object, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} {what} must be a str (an IRI), got {value!r:.80}")
    if (
        not 0 < len(value) <= MAX_PROPERTY_IRI
        or ":" not in value
        or not value.isprintable()
        or any(ch.isspace() for ch in value)
    ):
        raise ValueError(
            f"{name} {what} must be an IRI such as 'http://xmlns.com/foaf/0.1/name' "
            f"(up to {MAX_PROPERTY_IRI} characters, no spaces), got {value!r:.80}"
        )
    return str(value)


def _text(name: str, value: str) -> str:
    if len(value) > MAX_PROPERTY_TEXT:
        raise ValueError(
            f"{name} object must have at most {MAX_PROPERTY_TEXT} characters, got {len(value)}"
        )
    if "@@" in value:
        lang = value.rsplit("@@", 1)[1]
        if not (2 <= len(lang) <= 8 and lang.isalpha() and lang.isascii()):
            raise ValueError(
                f"{name} object's language suffix must be '@@' and a language code such as "
                f"'@@en', got {value!r:.80}"
            )
    return str(value)


def _object(name: str, obj: object, xsd_type: object) -> PropObject:
    if xsd_type is None and isinstance(obj, tuple) and len(obj) == 2:
        obj, xsd_type = obj  # (lexical, xsd_type), as list_property returns it
    if xsd_type is not None:
        xsd = _xsd(name, xsd_type)
        if not isinstance(obj, str | int | float) or isinstance(obj, bool):
            raise TypeError(
                f"{name} object with an XSD type must be its lexical form (a str), got {obj!r:.80}"
            )
        return (_text(name, str(obj)), xsd)
    if isinstance(obj, bool):
        return bool(obj)
    if isinstance(obj, int):
        if not -_INT_RANGE <= obj < _INT_RANGE:
            raise ValueError(f"{name} object must be a 64-bit int, got {obj!r}")
        return int(obj)
    if isinstance(obj, float):
        if not math.isfinite(obj):
            raise ValueError(f"{name} object must be a finite number, got {obj!r}")
        return float(obj)
    if isinstance(obj, str):
        return _text(name, obj)
    raise TypeError(
        f"{name} object must be a str, int, float or bool, or give its XSD type as a third "
        f"member: (predicate, lexical, 'dateTime'); got {type(obj).__name__}: {obj!r:.80}"
    )


def _xsd(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} XSD type must be a str such as 'dateTime', got {value!r:.80}")
    if not 0 < len(value) <= MAX_PROPERTY_IRI or any(ch.isspace() for ch in value):
        raise ValueError(f"{name} XSD type must be a name such as 'dateTime', got {value!r:.80}")
    return str(value)


def check_props(
    name: str, props: object, *, allow_any: bool = False
) -> list[tuple[str, PropObject | None]]:
    """Return *props* (one ``(predicate, object[, xsd_type])`` tuple or a list of them) as
    checked ``(predicate, object)`` pairs; with *allow_any* an object may be None (any).

    Raises:
        TypeError: not tuples, or a predicate or object of the wrong type.
        ValueError: a predicate that is not an IRI, an object out of range, too many.
    """
    if isinstance(props, tuple) and props and isinstance(props[0], str):
        items: list[object] = [props]
    elif isinstance(props, list | tuple):
        items = list(props)
    else:
        raise TypeError(
            f"{name} must be a (predicate, object) tuple or a list of them, got {props!r:.80}"
        )
    if len(items) > MAX_PROPERTIES:
        raise ValueError(f"{name} must hold at most {MAX_PROPERTIES} properties, got {len(items)}")
    out: list[tuple[str, PropObject | None]] = []
    for item in items:
        if not isinstance(item, tuple | list) or len(item) not in (2, 3):
            raise TypeError(
                f"{name} must hold (predicate, object) or (predicate, object, xsd_type) tuples, "
                f"got {item!r:.80}"
            )
        predicate = _iri(name, item[0], "predicate")
        obj, xsd_type = item[1], item[2] if len(item) == 3 else None
        if obj is None and allow_any and xsd_type is None:
            out.append((predicate, None))
        else:
            out.append((predicate, _object(name, obj, xsd_type)))
    return out


def check_scope(value: object) -> SearchScopeName:
    """Return a search's *scope*: ``'public'``, ``'local'`` or ``'localOwn'``, or an enum
    member with one of those values (``SearchScope``).

    Raises:
        TypeError: not a str or enum member.
        ValueError: another value.
    """
    scope: SearchScopeName = _choice("scope", value, _SCOPES, "SearchScope")
    return scope


def check_search_type(value: object) -> SearchTypeName:
    """Return a search's *type_*: ``'full'``, ``'reduced'``, ``'located'`` or ``'minimal'``
    (or a ``SearchType`` member).

    Raises:
        TypeError: not a str or enum member.
        ValueError: another value.
    """
    type_: SearchTypeName = _choice("type_", value, _TYPES, "SearchType")
    return type_


def _choice(name: str, value: object, allowed: tuple[Any, ...], enum_name: str) -> Any:
    raw = value.value if isinstance(value, enum.Enum) else value
    if not isinstance(raw, str):
        raise TypeError(f"{name} must be one of {allowed} or a {enum_name}, got {value!r:.80}")
    if raw not in allowed:
        raise ValueError(f"{name} must be one of {allowed} or a {enum_name}, got {value!r:.80}")
    return raw


def add_properties(
    current: tuple[Property, ...], new: list[Property], replace: bool, replace_all: bool
) -> tuple[Property, ...]:
    """Return *current* with *new* added (``create_property``'s rules).

    Raises:
        ValueError: the thing would have more than the allowed number of properties.
    """
    if replace_all:
        kept: list[Property] = []
    elif replace:
        predicates = {pred for pred, _ in new}
        kept = [prop for prop in current if prop[0] not in predicates]
    else:
        kept = list(current)
    seen = {property_key(prop) for prop in kept}
    for prop in new:
        key = property_key(prop)
        if key not in seen:
            seen.add(key)
            kept.append(prop)
    if len(kept) > MAX_PROPERTIES:
        raise ValueError(
            f"props would give the thing {len(kept)} properties, more than {MAX_PROPERTIES}"
        )
    return tuple(kept)


def remove_properties(
    current: tuple[Property, ...], gone: list[tuple[str, PropObject | None]]
) -> tuple[Property, ...]:
    """Return *current* without *gone* (``delete_property``'s rules: an object None removes
    every object of its predicate; no properties at all removes every property)."""
    if not gone:
        return ()
    every = {pred for pred, obj in gone if obj is None}
    exact = {property_key((pred, obj)) for pred, obj in gone if obj is not None}
    return tuple(
        prop for prop in current if prop[0] not in every and property_key(prop) not in exact
    )


def list_properties(props: tuple[Property, ...], limit: int, offset: int) -> dict[str, list[Any]]:
    """Return ``list_property``'s ``{predicate: [object, ...]}`` for properties *offset* to
    *offset* + *limit*, each object as given to ``create_property``."""
    out: dict[str, list[Any]] = {}
    for pred, obj in props[offset : offset + limit]:
        out.setdefault(pred, []).append(obj)
    return out
