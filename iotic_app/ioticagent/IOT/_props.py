"""What the compat search and property calls share: 0.7.0's terms and paging, adapted."""

from __future__ import annotations

import inspect
from typing import Any

__all__ = ["check_page", "page", "prop", "props"]

#: The most things one modern search returns: the compat layer filters and pages within them.
SEARCH_WINDOW = 1000

#: XSD datatypes (by local name) given as the Python type iotic_app takes for them.
_NATIVE = {
    "string": str,
    "integer": int,
    "int": int,
    "long": int,
    "short": int,
    "float": float,
    "double": float,
    "decimal": float,
    "boolean": bool,
}


def _attribute(term: object, name: str) -> object:
    """*term*'s attribute *name* if it has one of its own or of its class (rdflib Literal's
    ``language``, ``datatype``), not one a ``__getattr__`` makes up (as a Namespace's does)."""
    try:
        inspect.getattr_static(term, name)
    except AttributeError:
        return None
    return getattr(term, name, None)


def _term(term: object) -> object:
    """A predicate or object as iotic_app takes it: str-like terms (rdflib's URIRef and
    Literal, or anything with language/datatype attributes) as str, typed or language-tagged
    ones as ``'text@@lang'``, a native value or ``(lexical, xsd_type)``; others unchanged."""
    if isinstance(term, bool | int | float | tuple) or term is None:
        return term
    language = _attribute(term, "language")
    datatype = _attribute(term, "datatype")
    if isinstance(language, str) and language:
        return f"{term}@@{language}"
    if datatype is not None:
        local = str(datatype).rsplit("#", 1)[-1]
        native = _NATIVE.get(local)
        text = str(term)
        if native is bool:
            return text.strip().lower() in ("true", "1")
        if native is not None:
            return native(text)
        return (text, local)
    if isinstance(term, str):
        return str(term)
    return term


def prop(one: object) -> object:
    """One ``(predicate, object[, xsd_type])`` tuple with its terms as iotic_app takes them."""
    if not isinstance(one, tuple) or len(one) not in (2, 3):
        return one  # iotic_app reports it
    predicate = str(one[0]) if isinstance(one[0], str) else one[0]
    obj = _term(one[1])
    if len(one) == 3:
        return (predicate, str(one[1]) if isinstance(one[1], str) else one[1], one[2])
    if isinstance(obj, tuple):
        return (predicate, *obj)
    return (predicate, obj)


def props(given: object) -> object:
    """*given* (one property tuple or a list of them) as iotic_app takes it."""
    if isinstance(given, list | tuple) and not (
        isinstance(given, tuple) and given and not isinstance(given[0], tuple)
    ):
        return [prop(one) for one in given]
    return prop(given)


def check_page(limit: object, offset: object) -> None:
    """Check *limit* (1-1000) and *offset* (0 or more), as iotic_app's search does.

    Raises:
        TypeError: not an int.
        ValueError: out of range.
    """
    for name, value, low in (("limit", limit, 1), ("offset", offset, 0)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int, got {value!r}")
        if value < low or (name == "limit" and value > SEARCH_WINDOW):
            top = f"-{SEARCH_WINDOW}" if name == "limit" else " or more"
            raise ValueError(f"{name} must be {low}{top}, got {value!r}")


def page(found: Any, keep: set[str], limit: int, offset: int) -> Any:
    """*found* (a dict by thing guid, or a list of guids) with only the guids in *keep*, and
    of those *limit* after skipping *offset*, in the space's order."""
    kept = [guid for guid in found if guid in keep][offset : offset + limit]
    if isinstance(found, list):
        return kept
    return {guid: found[guid] for guid in kept}
