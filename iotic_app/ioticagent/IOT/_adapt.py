"""What the compat IOT classes share: callback argument dicts in 0.7.0's shape."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from iotic_app.ioticagent.IOT.Exceptions import IOTUnknown

__all__ = ["CompatCallback", "has_thing", "n3", "naive_utc", "wrap_feed_callback"]

#: A classic callback: called with one argument dict.
CompatCallback = Callable[[dict[str, Any]], object]


def naive_utc(when: Any) -> Any:
    """*when* as 0.7.0 gave it: a naive datetime in UTC (anything else unchanged)."""
    if isinstance(when, datetime) and when.tzinfo is not None:
        return when.astimezone(timezone.utc).replace(tzinfo=None)
    return when


def feed_args(args: Mapping[str, Any]) -> dict[str, Any]:
    """A feed data dict (or recent sample) in 0.7.0's shape: ``'time'`` naive UTC."""
    shaped = dict(args)
    if "time" in shaped:
        shaped["time"] = naive_utc(shaped["time"])
    return shaped


def wrap_feed_callback(callback: CompatCallback | None) -> CompatCallback | None:
    """*callback*, called with 0.7.0-shaped feed data dicts (None stays None)."""
    if callback is None or not callable(callback):
        return callback  # the modern client reports a non-callable one

    def shaped(args: dict[str, Any]) -> object:
        return callback(feed_args(args))

    return shaped


def n3(text: str, lang: str) -> str:
    """*text* in *lang* as an N3 literal, as 0.7.0's ``get_labels`` gave it: ``'"fish"@en'``."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"@{lang}'


def has_thing(client: Any, lid: str) -> bool:
    """Whether iotic_app's *client* (the agent's) has a thing *lid*."""
    try:
        client.get_thing(lid)
    except IOTUnknown:
        return False
    return True
