"""Argument checks shared by the client API: each error names the argument and quotes the value."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from iotic_app._config_options import is_lang_code
from iotic_app.transports._protocol import Target, copy_data

__all__ = [
    "check_callback",
    "check_flag",
    "check_group",
    "check_guid",
    "check_id",
    "check_int",
    "check_lang",
    "check_location",
    "check_page",
    "check_tags",
    "check_target",
    "check_text",
    "check_time",
    "check_timeout",
    "check_unit",
    "encode_payload",
]

_HEX = frozenset("0123456789abcdef")
_MAX_ID = 64


_GROUP = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def check_group(value: object) -> str:
    """Return *value* if it is a valid follower group name, else raise naming ``group``.

    Raises:
        TypeError: not a str.
        ValueError: not 1-64 letters, digits, ``_``, ``.`` or ``-`` (starting with a letter or
            digit), as MQTT shared subscription names allow.
    """
    if not isinstance(value, str):
        raise TypeError(f"group must be a str, got {value!r}")
    if not _GROUP.fullmatch(value):
        raise ValueError(
            "group must be 1-64 letters, digits, '_', '.' or '-', starting with a letter or "
            f"digit, got {value!r}"
        )
    return value


def check_id(name: str, value: object) -> str:
    """Return *value* if it is a valid lid or pid: a non-empty str of at most 64 characters.

    Args:
        name: The argument's name (``lid`` or ``pid``).
        value: The value.

    Returns:
        The value.

    Raises:
        TypeError: not a str.
        ValueError: empty, too long, or holding control characters.
    """
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {value!r}")
    if not value or len(value) > _MAX_ID or not value.isprintable() or value != value.strip():
        raise ValueError(
            f"{name} must be 1-{_MAX_ID} printable characters without leading or trailing "
            f"spaces, got {value!r}"
        )
    return value


def check_flag(name: str, value: object) -> bool:
    """Return *value*, which must be True or False.

    Raises:
        TypeError: anything else (1 and 0 too).
    """
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return value


def check_int(name: str, value: object, low: int, high: int | None = None) -> int:
    """Return *value* if it is an int (not a bool) from *low* to *high* (no limit when None).

    Args:
        name: The argument's name.
        value: The value.
        low: The lowest allowed.
        high: The highest allowed, or None.

    Returns:
        The value.

    Raises:
        TypeError: not an int.
        ValueError: out of range.
    """
    if high is not None:
        allowed = f"an int from {low} to {high}"
    else:
        allowed = {0: "a non-negative int", 1: "a positive int"}.get(low, f"an int >= {low}")
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be {allowed}, got {value!r}")
    if value < low or (high is not None and value > high):
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return value


def check_text(name: str, value: object) -> str | None:
    """Return *value* if it is None or a str holding more than spaces.

    Raises:
        TypeError: not a str or None.
        ValueError: empty or only spaces.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str or None, got {value!r}")
    if not value.strip():
        raise ValueError(f"{name} must be a non-empty str or None, got {value!r}")
    return value


def check_unit(name: str, value: object) -> str | None:
    """Return *value* if it is None or a unit URI (a str with a ``:``).

    Raises:
        TypeError: not a str or None.
        ValueError: not a URI.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(
            f"{name} must be a str (a unit URI, see iotic_app.Units) or None, got {value!r}"
        )
    if ":" not in value or not value.isprintable() or " " in value:
        raise ValueError(f"{name} must be a unit URI (see iotic_app.Units) or None, got {value!r}")
    return value


def check_lang(value: object) -> str | None:
    """Return *value* if it is None or a language code: 2-8 letters such as ``'en'``.

    Raises:
        TypeError: not a str or None.
        ValueError: not 2-8 letters.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"lang must be a str (a language code such as 'en') or None, got {value!r}")
    if not is_lang_code(value):
        raise ValueError(f"lang must be a language code such as 'en' (2-8 letters), got {value!r}")
    return value


def check_guid(name: str, value: str) -> str:
    """Return *value* as a normalised guid: 32 lowercase hex digits (hyphens removed).

    Args:
        name: The argument's name.
        value: The guid.

    Returns:
        The normalised guid.

    Raises:
        ValueError: not a guid.
    """
    guid = value.replace("-", "").lower()
    if len(guid) != 32 or not _HEX.issuperset(guid):
        raise ValueError(f"{name} must be a guid (32 hex digits), got {value!r}")
    return guid


def check_target(name: str, value: object) -> Target:
    """Return a point target: a guid, or a ``(thing_lid, pid)`` tuple of the agent's own.

    Objects with a ``guid`` attribute (Feed, Control, RemoteFeed, RemoteControl) give their guid.

    Args:
        name: The argument's name.
        value: The target.

    Returns:
        The normalised guid or the checked tuple.

    Raises:
        TypeError: not a str, a tuple of str or an object with a guid.
        ValueError: not a valid guid, lid or pid, or a tuple not of two.
    """
    if isinstance(value, str):
        return check_guid(name, value)
    if isinstance(value, tuple):
        if len(value) != 2:
            raise ValueError(
                f"{name} must be a point guid or a (thing_lid, pid) tuple, got {value!r}"
            )
        lid = check_id(f"{name}[0] (thing lid)", value[0])
        return (lid, check_id(f"{name}[1] (pid)", value[1]))
    guid = getattr(value, "guid", None)
    if isinstance(guid, str):
        return check_guid(name, guid)
    raise TypeError(f"{name} must be a point guid or a (thing_lid, pid) tuple, got {value!r}")


def check_callback(name: str, value: object) -> Callable[[dict[str, Any]], Any] | None:
    """Return *value* if it is None or callable.

    Args:
        name: The argument's name.
        value: The callback.

    Returns:
        The callback or None.

    Raises:
        TypeError: not callable.
    """
    if value is not None and not callable(value):
        raise TypeError(f"{name} must be callable or None, got {value!r}")
    return value


def check_timeout(name: str, value: object) -> float:
    """Return *value* as a positive, finite number of seconds.

    Args:
        name: The argument's name.
        value: The timeout.

    Returns:
        The timeout as a float.

    Raises:
        TypeError: not a number.
        ValueError: not positive and finite.
    """
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise TypeError(f"{name} must be a number of seconds, got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
    return float(value)


def check_tags(name: str, value: object) -> list[str]:
    """Return *value* as a list of tags: one str or an iterable of str, each without spaces.

    Args:
        name: The argument's name.
        value: A tag or tags.

    Returns:
        The tags.

    Raises:
        TypeError: not a str or an iterable of str.
        ValueError: a tag is empty or holds whitespace.
    """
    items: Iterable[object]
    if isinstance(value, str):
        items = [value]
    elif isinstance(value, Iterable) and not isinstance(value, bytes | bytearray):
        items = list(value)
    else:
        raise TypeError(f"{name} must be a tag (str) or a list of tags, got {value!r}")
    tags = []
    for tag in items:
        if not isinstance(tag, str):
            raise TypeError(f"{name} must hold str tags, got {tag!r}")
        if not tag or len(tag) > 64 or any(ch.isspace() for ch in tag) or not tag.isprintable():
            raise ValueError(
                f"each tag in {name} must be 1-64 characters without spaces, got {tag!r}"
            )
        tags.append(tag)
    return tags


def encode_payload(data: Any, mime: object) -> tuple[Any, str | None]:
    """Check and copy data to share or send: a template, JSON-like data, or bytes with a mime.

    Args:
        data: A template (``get_template()``), a dict/list/str/number/bool/None, or bytes.
        mime: The mime type for bytes (or str, sent as UTF-8), or None.

    Returns:
        ``(data, mime)`` as it travels: a private copy, bytes for a mime type.

    Raises:
        TypeError: *data* or *mime* has the wrong type, or a template value its wrong type.
        ValueError: *mime* is empty, or a template value is out of range.
    """
    to_data = getattr(data, "to_data", None)
    if to_data is not None and callable(to_data):
        if mime is not None:
            raise ValueError(f"mime must be None when sharing a template, got {mime!r}")
        return to_data(), None
    if mime is None:
        if type(data) is bytes or isinstance(data, bytes | bytearray):
            return bytes(data), "application/octet-stream"
        return copy_data(data), None
    if not isinstance(mime, str):
        raise TypeError(f"mime must be a str such as 'text/plain', got {mime!r}")
    if "/" not in mime or not mime.isprintable() or " " in mime:
        raise ValueError(f"mime must be a mime type such as 'text/plain', got {mime!r}")
    if isinstance(data, bytes | bytearray):
        return bytes(data), mime
    if isinstance(data, str):
        return data.encode("utf-8"), mime
    raise TypeError(f"data with a mime type must be bytes or str, got {type(data).__name__}")


def check_time(value: object) -> datetime:
    """Return *value* as an aware UTC datetime; a naive one is taken to be UTC already.

    Args:
        value: A datetime.

    Returns:
        The datetime in UTC.

    Raises:
        TypeError: not a datetime.
    """
    if not isinstance(value, datetime):
        raise TypeError(f"time must be a datetime or None, got {value!r}")
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def check_page(
    limit: object, offset: object, max_limit: int = 10_000, max_offset: int | None = None
) -> None:
    """Check *limit* (1 to *max_limit*) and *offset* (0 or more; at most *max_offset*) of a
    listing or search.

    Raises:
        TypeError: not an int.
        ValueError: out of range.
    """
    check_int("limit", limit, 1, max_limit)
    check_int("offset", offset, 0, max_offset)


def check_location(location: object) -> tuple[float, float, float] | None:
    """Return a search's *location* as ``(lat, lon, radius_km)``, or None.

    Raises:
        TypeError: not a mapping or sequence of three numbers.
        ValueError: a key is missing or a number is out of range.
    """
    if location is None:
        return None
    if isinstance(location, Mapping):
        try:
            values = (location["lat"], location["long"], location["radius"])
        except KeyError:
            raise ValueError(
                f"location must have 'lat', 'long' and 'radius' (km), got {location!r}"
            ) from None
    elif isinstance(location, tuple | list):
        if len(location) != 3:
            raise ValueError(
                f"location must be (lat, lon, radius_km): three numbers, got {location!r}"
            )
        values = tuple(location)
    else:
        raise TypeError(
            "location must be {'lat': .., 'long': .., 'radius': km} or (lat, lon, radius_km), "
            f"got {location!r}"
        )
    for value in values:
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise TypeError(f"location values must be numbers, got {location!r}")
    lat, lon, radius = (float(v) for v in values)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180 and radius > 0):
        raise ValueError(
            f"location must have -90 <= lat <= 90, -180 <= long <= 180 and radius > 0 km, "
            f"got {location!r}"
        )
    return (lat, lon, radius)
