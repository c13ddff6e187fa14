"""JSON on the wire: compact encoding, parsing with a depth limit, checks of decoded fields."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, NoReturn

import orjson

__all__ = ["MAX_DEPTH", "from_json", "invalid", "to_json"]


def to_json(value: Any) -> bytes:
    """Return *value* as compact JSON; datetimes as ISO 8601 with their offset.

    orjson, several times faster than the standard library on the share path; NaN and the
    infinities become ``null`` (JSON has no such numbers). What orjson refuses (an int beyond
    64 bits) goes through the standard library.
    """
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return json.dumps(value, separators=(",", ":"), default=_isoformat).encode()


def _isoformat(value: Any) -> str:
    """``json.dumps``'s fallback for what it cannot encode: datetimes, as orjson writes them."""
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# An int orjson may not keep exactly (beyond 64 bits) has 19 digits or more in a row. Found by
# mapping every digit to "0" and everything else to "x" (bytes.translate, then one substring
# search: a few times faster than a regular expression on the receive path).
_DIGIT_RUNS = bytes(0x30 if 0x30 <= b <= 0x39 else 0x78 for b in range(256))
_LONG_RUN = b"0" * 19


#: The deepest nesting of lists and objects accepted from the wire: far beyond real data, and
#: shallow enough that every later step (copies, callbacks' own walks) stays within Python's
#: recursion limit.
MAX_DEPTH = 200


def from_json(raw: bytes | bytearray | str) -> Any:
    """Parse JSON (orjson); also the ``NaN`` and ``Infinity`` that Python's json module writes.

    orjson reads an int beyond 64 bits as a float: a document with 19 or more digits in a row
    goes through the standard library instead, which keeps every int exactly.

    Raises:
        ValueError: *raw* is not JSON, or is nested deeper than :data:`MAX_DEPTH`.
    """
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    maybe_deep = data.count(b"[") + data.count(b"{") > MAX_DEPTH  # else it cannot nest so deep
    try:
        if _LONG_RUN not in data.translate(_DIGIT_RUNS):
            value = orjson.loads(raw)
            return _shallow(value) if maybe_deep else value
    except orjson.JSONDecodeError:
        pass
    try:
        value = json.loads(raw)
    except RecursionError:  # nested deeper than orjson's limit too
        raise ValueError(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    return _shallow(value) if maybe_deep else value


def _shallow(value: Any) -> Any:
    """Return *value*, or raise ValueError if it nests deeper than MAX_DEPTH (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if type(item) is dict else item if type(item) is list else ()
        if children and depth > MAX_DEPTH:
            raise ValueError(f"JSON nested deeper than {MAX_DEPTH} levels")
        stack.extend((child, depth + 1) for child in children)
    return value


def invalid(where: str, what: str, value: Any) -> NoReturn:
    """Raise the ValueError for a field of a decoded document: where, what it must be, what
    it is."""
    raise ValueError(f"{where} must be {what}, got {value!r:.80}")
