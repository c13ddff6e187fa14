"""What travels on the broker: topic segments, feed payloads, thing documents, their search."""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

import attrs
import orjson

from iotic_app.client._search import Candidate, label_of, search
from iotic_app.client._transport import Sample

__all__ = [
    "ThingDoc",
    "decode_sample",
    "describe_point",
    "describe_thing",
    "encode_sample",
    "feed_stamp",
    "from_json",
    "parse_thing_doc",
    "search_docs",
    "seg",
    "to_json",
]


def seg(text: str) -> str:
    """Return *text* percent-encoded as one topic level (no '/', '+', '#' or '%' left)."""
    return quote(text, safe="")


@attrs.define
class ThingDoc:
    """A thing as the catalogue knows it (from a retained meta message)."""

    agent: str
    lid: str
    guid: str
    base: str
    public: bool
    labels: dict[str, str]
    descriptions: dict[str, str]
    location: tuple[float, float] | None
    tags: list[str]
    points: list[dict[str, Any]]


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


# 19 digits in a row: maybe an int beyond 64 bits, which orjson would read as a float
_LONG_DIGITS = re.compile(rb"[0-9]{19}")


def from_json(raw: bytes | bytearray | str) -> Any:
    """Parse JSON (orjson); also the ``NaN`` and ``Infinity`` that Python's json module writes.

    Ints of any size stay ints: a payload with a run of 19 digits or more (perhaps an int
    beyond 64 bits, which orjson turns into a float) is parsed by the standard library.

    Raises:
        ValueError: *raw* is not JSON, or is nested too deeply to parse.
    """
    try:
        if _LONG_DIGITS.search(raw.encode() if isinstance(raw, str) else raw) is None:
            try:
                return orjson.loads(raw)
            except orjson.JSONDecodeError:
                pass
        return json.loads(raw)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def encode_sample(data: Any, mime: str | None, time: datetime) -> bytes:
    """Return the JSON payload of one feed value (without the sharer's epoch and seq).

    ``{"time":...,"mime":...,"data":...}``, plus ``"encoding":"base64"`` for bytes; the time
    in ISO 8601 with its offset. NaN and the infinities become ``null``, as in :func:`to_json`.
    """
    if isinstance(data, bytes | bytearray | memoryview):
        body = {"time": time, "mime": mime, "data": base64.b64encode(data).decode("ascii")}
        body["encoding"] = "base64"
    else:
        body = {"time": time, "mime": mime, "data": data}
    return to_json(body)


# What a sharer's outbox epoch may hold (it writes 16 hex digits), and the range of a sequence
# number or per-feed count (sqlite's INTEGER, what the follower's ledger stores).
_EPOCH = re.compile(r"[0-9A-Za-z_-]{1,64}")
_MAX_SEQ = 2**63 - 1


def feed_stamp(payload: dict[str, Any]) -> tuple[str, int, int | None] | None:
    """Return the sharer's ``(epoch, seq, n)`` of a decoded feed payload, checked.

    ``n`` (the value's number on its feed, counted by the sharing process) is None when absent.
    A payload without ``epoch`` or ``seq`` (a foreign publisher's) has no stamp: None.

    Raises:
        ValueError: ``epoch`` is not 1-64 letters, digits, ``_`` or ``-``, or ``seq`` or ``n``
            is not an int from 1 to 2**63 - 1.
    """
    epoch = payload.get("epoch")
    seq = payload.get("seq")
    if epoch is None or seq is None:
        return None
    if not isinstance(epoch, str) or _EPOCH.fullmatch(epoch) is None:
        raise ValueError(f"'epoch' must be 1-64 letters, digits, '_' or '-', got {epoch!r:.40}")
    if type(seq) is not int or not 0 < seq <= _MAX_SEQ:
        raise ValueError(f"'seq' must be an int from 1 to 2**63 - 1, got {seq!r:.40}")
    n = payload.get("n")
    if n is not None and (type(n) is not int or not 0 < n <= _MAX_SEQ):
        raise ValueError(f"'n' must be an int from 1 to 2**63 - 1, got {n!r:.40}")
    return epoch, seq, n


def decode_sample(payload: Any) -> Sample:
    """Return ``(data, mime, time)`` of a decoded feed payload; raise ValueError if invalid."""
    if not isinstance(payload, dict) or "data" not in payload:
        raise ValueError("not a JSON object with a 'data' key")
    data = payload["data"]
    mime = payload.get("mime")
    if mime is not None and not isinstance(mime, str):
        raise ValueError(f"'mime' must be a string or null, got {mime!r:.40}")
    if payload.get("encoding") == "base64":
        if not isinstance(data, str):
            raise ValueError("base64 'data' must be a string")
        data = base64.b64decode(data, validate=True)
    stamp = payload.get("time")
    if stamp is None:
        when = datetime.now(timezone.utc)
    else:
        when = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
    return data, mime, when


def parse_thing_doc(topic: str, raw: bytes) -> ThingDoc:
    """Parse the retained ``.../meta`` document of a thing; raise ValueError/KeyError if bad."""
    data = json.loads(raw)
    loc = data.get("location")
    return ThingDoc(
        agent=str(data["agent"]),
        lid=str(data["lid"]),
        guid=str(data["guid"]),
        base=topic[: -len("/meta")],
        public=bool(data.get("public")),
        labels=dict(data.get("labels") or {}),
        descriptions=dict(data.get("descriptions") or {}),
        location=None if loc is None else (float(loc[0]), float(loc[1])),
        tags=list(data.get("tags") or []),
        points=list(data.get("points") or []),
    )


def search_docs(
    docs: list[ThingDoc],
    text: str | None,
    location: tuple[float, float, float] | None,
    unit: str | None,
    limit: int,
    offset: int,
) -> dict[str, Any]:
    """Search public things as ``Client.search`` does, over catalogue documents."""
    return search(
        (_candidate(doc) for doc in docs if doc.public), text, location, unit, limit, offset
    )


def _candidate(doc: ThingDoc) -> Candidate:
    """A catalogue document as search sees it."""
    texts: list[str] = [*doc.tags, *doc.labels.values(), *doc.descriptions.values()]
    for p in doc.points:
        texts.extend((p.get("labels") or {}).values())
        texts.extend((p.get("descriptions") or {}).values())
        texts.extend(p.get("tags") or ())
    return Candidate(
        guid=doc.guid,
        labels=doc.labels,
        location=doc.location,
        texts=texts,
        units={v.get("unit") for p in doc.points for v in p.get("values") or ()},
        points=[(str(p["guid"]), p.get("labels") or {}, str(p["kind"])) for p in doc.points],
    )


def describe_thing(doc: ThingDoc) -> dict[str, Any]:
    """Return ``describe``'s dict for a thing."""
    return {
        "type": "Thing",
        "guid": doc.guid,
        "lid": doc.lid,
        "agent": doc.agent,
        "public": doc.public,
        "label": label_of(doc.labels),
        "labels": dict(doc.labels),
        "description": label_of(doc.descriptions),
        "descriptions": dict(doc.descriptions),
        "location": doc.location,
        "tags": sorted(doc.tags),
        "points": [
            {
                "guid": p["guid"],
                "pid": p["pid"],
                "type": p["kind"],
                "label": label_of(p.get("labels") or {}),
            }
            for p in doc.points
        ],
    }


def describe_point(doc: ThingDoc, p: dict[str, Any]) -> dict[str, Any]:
    """Return ``describe``'s dict for a point of the thing *doc*."""
    return {
        "type": p["kind"],
        "guid": p["guid"],
        "pid": p["pid"],
        "thing": doc.guid,
        "label": label_of(p.get("labels") or {}),
        "labels": dict(p.get("labels") or {}),
        "description": label_of(p.get("descriptions") or {}),
        "descriptions": dict(p.get("descriptions") or {}),
        "tags": sorted(p.get("tags") or ()),
        "values": list(p.get("values") or ()),
        "recent": int(p.get("save_recent") or 0),
    }
