"""What the compat property calls share: 0.7.0's terms (rdflib-like or plain), adapted."""

from __future__ import annotations

import inspect

__all__ = ["prop", "props"]

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
