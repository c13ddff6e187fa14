"""What travels on the broker: topic segments, feed payloads, thing documents, their search."""

from __future__ import annotations

import base64
import json
import math
import re
from datetime import datetime, timezone
from typing import Any, NoReturn, TypeGuard
from urllib.parse import quote, unquote

import attrs
import orjson

from iotic_app.datatypes import Datatypes
from iotic_app.transports._protocol import CONTROL, FEED, Sample, point_guid, thing_guid
from iotic_app.transports._search import Candidate, label_of, search

__all__ = [
    "Request",
    "ThingDoc",
    "decode_sample",
    "describe_point",
    "describe_thing",
    "encode_sample",
    "feed_stamp",
    "from_json",
    "meta_topic_identity",
    "parse_reply",
    "parse_request",
    "parse_status",
    "parse_thing_doc",
    "reply_topic_error",
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


_LONG_DIGITS = re.compile(rb"[0-9]{19}")  # an int orjson may not keep exactly (beyond 64 bits)


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
        if _LONG_DIGITS.search(data) is None:
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


# What a thing document from the wire may hold (a foreign document is checked against these
# before the catalogue keeps it; the agent's own documents always pass).
MAX_DOC_BYTES = 1 << 20
MAX_ITEMS = 10_000  # points of a thing, tags or values of a point, languages of labels
MAX_SAVE_RECENT = 1000
_AGENT_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")  # as the config allows
_MAX_ID = 64


def _fail(where: str, what: str, value: Any) -> NoReturn:
    raise ValueError(f"{where} must be {what}, got {value!r:.80}")


def _is_id(value: Any) -> TypeGuard[str]:
    """A lid, pid or value label as the client API allows them."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= _MAX_ID
        and value.isprintable()
        and value == value.strip()
    )


def _texts(where: str, value: Any) -> dict[str, str]:
    """Labels or descriptions: ``{lang: text}``."""
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > MAX_ITEMS:
        _fail(where, "an object of language: text", value)
    for lang, text in value.items():
        if not (2 <= len(lang) <= 8 and lang.isalpha()):
            _fail(f"{where} language", "a language code such as 'en'", lang)
        if not isinstance(text, str) or not text.strip():
            _fail(f"{where}[{lang!r}]", "a non-empty text", text)
    return dict(value)


def _tags(where: str, value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_ITEMS:
        _fail(where, "a list of tags", value)
    for tag in value:
        if not (
            isinstance(tag, str)
            and 0 < len(tag) <= _MAX_ID
            and tag.isprintable()
            and not any(ch.isspace() for ch in tag)
        ):
            _fail(f"{where} tag", "1-64 printable characters without spaces", tag)
    return list(value)


def _location(value: Any) -> tuple[float, float] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 2:
        _fail("location", "[lat, lon] or null", value)
    for number, bound in zip(value, (90, 180), strict=True):
        if (
            not isinstance(number, int | float)
            or isinstance(number, bool)
            or not math.isfinite(number)
            or not -bound <= number <= bound
        ):
            _fail("location", "[lat, lon] in degrees (-90..90, -180..180)", value)
    return float(value[0]), float(value[1])


def _value_spec(where: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        _fail(where, "an object", value)
    label, vtype = value.get("label"), value.get("type")
    if not _is_id(label):
        _fail(f"{where} label", "1-64 printable characters", label)
    if vtype not in Datatypes.ALL:
        _fail(f"{where} type", "a Datatypes constant", vtype)
    lang, description, unit = value.get("lang"), value.get("description"), value.get("unit")
    if lang is not None and not (isinstance(lang, str) and lang.isalpha()):
        _fail(f"{where} lang", "a language code or null", lang)
    if description is not None and not isinstance(description, str):
        _fail(f"{where} description", "a text or null", description)
    if unit is not None and not (isinstance(unit, str) and ":" in unit):
        _fail(f"{where} unit", "a unit URI or null", unit)
    return {"label": label, "type": vtype, "lang": lang, "description": description, "unit": unit}


def _point(thing: str, n: int, p: Any) -> dict[str, Any]:
    where = f"points[{n}]"
    if not isinstance(p, dict):
        _fail(where, "an object", p)
    kind, pid = p.get("kind"), p.get("pid")
    if kind not in (FEED, CONTROL):
        _fail(f"{where} kind", f"{FEED!r} or {CONTROL!r}", kind)
    if not _is_id(pid):
        _fail(f"{where} pid", "1-64 printable characters", pid)
    guid = point_guid(thing, kind, pid)
    if p.get("guid") != guid:
        raise ValueError(
            f"{where} claims the guid {p.get('guid')!r:.40}, not the one of its own {kind} "
            f"{pid!r} ({guid})"
        )
    values = p.get("values") or []
    if not isinstance(values, list) or len(values) > MAX_ITEMS:
        _fail(f"{where} values", "a list", values)
    save_recent = p.get("save_recent") or 0
    if type(save_recent) is not int or not 0 <= save_recent <= MAX_SAVE_RECENT:
        _fail(f"{where} save_recent", f"an int from 0 to {MAX_SAVE_RECENT}", save_recent)
    return {
        "kind": kind,
        "pid": pid,
        "guid": guid,
        "labels": _texts(f"{where} labels", p.get("labels")),
        "descriptions": _texts(f"{where} descriptions", p.get("descriptions")),
        "tags": _tags(f"{where} tags", p.get("tags")),
        "values": [_value_spec(f"{where} values[{i}]", v) for i, v in enumerate(values)],
        "save_recent": save_recent,
    }


def meta_topic_identity(root: str, topic: str) -> tuple[str, str]:
    """Return ``(agent, lid)`` of the meta topic ``ROOT/AGENT/LID/meta``: who may write it
    (under the documented ACL, only agent AGENT) and what it names.

    Raises:
        ValueError: *topic* is not the canonical meta topic of an agent's thing.
    """
    parts = topic[len(root) + 1 :].split("/") if topic.startswith(root + "/") else []
    if len(parts) != 3 or parts[2] != "meta":
        raise ValueError(f"{topic!r} is not a thing's meta topic")
    agent, lid_seg = parts[0], parts[1]
    if not _AGENT_RE.fullmatch(agent):
        raise ValueError(f"{agent!r} in {topic!r} is not an agent name")
    lid = unquote(lid_seg, errors="strict")
    if not _is_id(lid) or seg(lid) != lid_seg:
        raise ValueError(f"{lid_seg!r} in {topic!r} is not the topic level of a lid")
    return agent, lid


def parse_thing_doc(root: str, topic: str, raw: bytes) -> ThingDoc:
    """Parse and check the retained ``.../meta`` document of a thing.

    The thing's identity (owner agent, lid, guids) comes from *topic*, the topic the broker
    let its owner write; a document whose own fields claim another agent, lid or guid is
    refused, as is one with fields of the wrong type or out of range.

    Args:
        root: The topic root.
        topic: ``ROOT/AGENT/LID/meta``.
        raw: The document.

    Raises:
        ValueError: says what is wrong.
    """
    agent, lid = meta_topic_identity(root, topic)
    if len(raw) > MAX_DOC_BYTES:
        raise ValueError(f"the document has {len(raw)} bytes, more than {MAX_DOC_BYTES}")
    data = from_json(raw)
    if not isinstance(data, dict):
        _fail("the document", "a JSON object", data)
    if data.get("agent") != agent:
        raise ValueError(
            f"the document claims agent {data.get('agent')!r:.80} but was published under "
            f"agent {agent!r}"
        )
    if data.get("lid") != lid:
        raise ValueError(f"the document claims lid {data.get('lid')!r:.80}, not {lid!r}")
    guid = thing_guid(agent, lid)
    if data.get("guid") != guid:
        raise ValueError(
            f"the document claims the thing guid {data.get('guid')!r:.40}, not the one of "
            f"agent {agent!r}'s thing {lid!r} ({guid})"
        )
    public = data.get("public", False)
    if not isinstance(public, bool):
        _fail("public", "true or false", public)
    points = data.get("points") or []
    if not isinstance(points, list) or len(points) > MAX_ITEMS:
        _fail("points", "a list", points)
    checked = [_point(guid, n, p) for n, p in enumerate(points)]
    if len({(p["kind"], p["pid"]) for p in checked}) != len(checked):
        raise ValueError("the document lists a point twice")
    return ThingDoc(
        agent=agent,
        lid=lid,
        guid=guid,
        base=topic[: -len("/meta")],
        public=public,
        labels=_texts("labels", data.get("labels")),
        descriptions=_texts("descriptions", data.get("descriptions")),
        location=_location(data.get("location")),
        tags=_tags("tags", data.get("tags")),
        points=checked,
    )


MAX_REPLY_BYTES = 4096
_MAX_TOKEN = 128  # characters of a request id, a subscription id or a sync marker


def _is_token(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and 0 < len(value) <= _MAX_TOKEN and value.isprintable()


def reply_topic_error(root: str, topic: Any) -> str | None:
    """Why *topic* may not be a request's reply topic, or None when it may.

    A reply topic is one level under ``ROOT/_reply/`` (a client's own reply topic), with no
    wildcard: a request can never make the control's owner publish anywhere else (its status,
    its things' metadata, a feed).
    """
    prefix = f"{root}/_reply/"
    if not isinstance(topic, str):
        return f"the reply topic must be a str, got {topic!r:.80}"
    rest = topic[len(prefix) :]
    if (
        not topic.startswith(prefix)
        or not rest
        or any(ch in rest for ch in "/+#\x00")
        or len(rest) > 1024
        or not rest.isprintable()
    ):
        return f"the reply topic must be one level under {prefix!r}, got {topic!r:.80}"
    return None


@attrs.frozen
class Request:
    """A control request as it came from the wire, checked."""

    data: Any
    mime: str | None
    rid: str | None  # the requester's id, echoed in the reply
    sub: str
    confirm: bool
    reply: str | None  # where to confirm (a tell), in the reply namespace


def parse_request(root: str, raw: bytes) -> Request:
    """Parse and check a control request: ``{"data", "mime", "rid", "sub", "confirm",
    "reply"}``; a tell (``confirm`` true) needs a ``rid`` and a reply topic in the reply
    namespace (see :func:`reply_topic_error`).

    Raises:
        ValueError: says what is wrong.
    """
    payload = from_json(raw)
    if not isinstance(payload, dict) or "data" not in payload:
        raise ValueError("not a JSON object with a 'data' key")
    data, mime, _ = decode_sample({**payload, "time": None})
    rid, sub = payload.get("rid"), payload.get("sub")
    if rid is not None and not _is_token(rid):
        _fail("'rid'", f"1-{_MAX_TOKEN} printable characters", rid)
    if sub is not None and sub != "" and not _is_token(sub):
        _fail("'sub'", f"a str of at most {_MAX_TOKEN} printable characters", sub)
    confirm = payload.get("confirm", False)
    if not isinstance(confirm, bool):
        _fail("'confirm'", "true or false", confirm)
    reply = None
    if confirm:
        if rid is None:
            raise ValueError("a tell (confirm true) needs a 'rid'")
        reply = payload.get("reply")
        error = reply_topic_error(root, reply)
        if error is not None:
            raise ValueError(error)
    return Request(data, mime, rid, sub or "", confirm, reply)


def parse_reply(raw: bytes) -> tuple[str, str, bool | str | None]:
    """Parse a message on a client's reply topic (anyone may write there).

    Returns:
        ``("sync", marker, None)`` for a sync marker, or ``("tell", rid, result)`` for a
        tell's confirmation, result ``True``, ``"failed"`` or ``"unreachable"``.

    Raises:
        ValueError: it is neither.
    """
    if len(raw) > MAX_REPLY_BYTES:
        raise ValueError(f"a reply has at most {MAX_REPLY_BYTES} bytes, got {len(raw)}")
    payload = from_json(raw)
    if not isinstance(payload, dict):
        _fail("a reply", "a JSON object", payload)
    if "sync" in payload:
        if not _is_token(payload["sync"]):
            _fail("'sync'", "a marker", payload["sync"])
        return "sync", payload["sync"], None
    rid, result = payload.get("rid"), payload.get("result")
    if not _is_token(rid):
        _fail("'rid'", f"1-{_MAX_TOKEN} printable characters", rid)
    if result is not True and result not in ("failed", "unreachable"):
        _fail("'result'", "true, 'failed' or 'unreachable'", result)
    return "tell", rid, result


def parse_status(raw: bytes) -> bool:
    """Whether an agent's status payload says ``online`` (else ``offline``).

    Raises:
        ValueError: it is neither.
    """
    if raw == b"online":
        return True
    if raw == b"offline":
        return False
    raise ValueError(f"a status must be 'online' or 'offline', got {raw!r:.80}")


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
