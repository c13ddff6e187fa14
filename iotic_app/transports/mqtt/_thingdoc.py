"""Thing documents on the wire: the retained ``meta`` topic, its document, their checks."""

from __future__ import annotations

import math
import re
from typing import Any, TypeGuard
from urllib.parse import quote, unquote

import attrs

from iotic_app.datatypes import Datatypes
from iotic_app.transports._protocol import (
    CONTROL,
    FEED,
    MAX_PROPERTIES,
    MAX_PROPERTY_IRI,
    MAX_PROPERTY_TEXT,
    Property,
    point_guid,
    thing_guid,
)
from iotic_app.transports.mqtt._json import from_json, invalid, to_json

__all__ = [
    "WIRE_VERSION",
    "ThingDoc",
    "encode_pointer",
    "encode_thing_doc",
    "encode_wire",
    "member_topic_identity",
    "meta_topic_identity",
    "parse_pointer",
    "parse_thing_doc",
    "parse_wire",
    "seg",
    "wire_mismatch",
]

#: The version of the metadata layout (thing documents, ``ROOT/_guid/GUID`` pointers and
#: ``ROOT/_wire``): 1 was every agent mirroring ``ROOT/+/+/meta``; 2 adds the pointers.
WIRE_VERSION = 2


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
    owner: str  # the agent itself, or the owner its document claims (the catalogue checks)
    public: bool
    labels: dict[str, str]
    descriptions: dict[str, str]
    location: tuple[float, float] | None
    tags: list[str]
    points: list[dict[str, Any]]
    properties: tuple[Property, ...] = ()


# What a thing document from the wire may hold (a foreign document is checked against these
# before the catalogue keeps it; the agent's own documents always pass).
MAX_DOC_BYTES = 1 << 20
MAX_ITEMS = 10_000  # points of a thing, tags or values of a point, languages of labels
MAX_SAVE_RECENT = 1000
_AGENT_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")  # as the config allows
_MAX_ID = 64


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
        invalid(where, "an object of language: text", value)
    for lang, text in value.items():
        if not (2 <= len(lang) <= 8 and lang.isalpha()):
            invalid(f"{where} language", "a language code such as 'en'", lang)
        if not isinstance(text, str) or not text.strip():
            invalid(f"{where}[{lang!r}]", "a non-empty text", text)
    return dict(value)


def _tags(where: str, value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_ITEMS:
        invalid(where, "a list of tags", value)
    for tag in value:
        if not (
            isinstance(tag, str)
            and 0 < len(tag) <= _MAX_ID
            and tag.isprintable()
            and not any(ch.isspace() for ch in tag)
        ):
            invalid(f"{where} tag", "1-64 printable characters without spaces", tag)
    return list(value)


def _location(value: Any) -> tuple[float, float] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 2:
        invalid("location", "[lat, lon] or null", value)
    for number, bound in zip(value, (90, 180), strict=True):
        if (
            not isinstance(number, int | float)
            or isinstance(number, bool)
            or not math.isfinite(number)
            or not -bound <= number <= bound
        ):
            invalid("location", "[lat, lon] in degrees (-90..90, -180..180)", value)
    return float(value[0]), float(value[1])


def _value_spec(where: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        invalid(where, "an object", value)
    label, vtype = value.get("label"), value.get("type")
    if not _is_id(label):
        invalid(f"{where} label", "1-64 printable characters", label)
    if vtype not in Datatypes.ALL:
        invalid(f"{where} type", "a Datatypes constant", vtype)
    lang, description, unit = value.get("lang"), value.get("description"), value.get("unit")
    if lang is not None and not (isinstance(lang, str) and lang.isalpha()):
        invalid(f"{where} lang", "a language code or null", lang)
    if description is not None and not isinstance(description, str):
        invalid(f"{where} description", "a text or null", description)
    if unit is not None and not (isinstance(unit, str) and ":" in unit):
        invalid(f"{where} unit", "a unit URI or null", unit)
    return {"label": label, "type": vtype, "lang": lang, "description": description, "unit": unit}


def _iri(value: Any) -> bool:
    return (
        isinstance(value, str)
        and 0 < len(value) <= MAX_PROPERTY_IRI
        and value.isprintable()
        and not any(ch.isspace() for ch in value)
    )


def _scalar(obj: Any) -> bool:
    """A bool, a 64-bit int or a finite float."""
    if isinstance(obj, bool):
        return True
    if isinstance(obj, int):
        return -(2**63) <= obj < 2**63
    return isinstance(obj, float) and math.isfinite(obj)


def _properties(value: Any) -> tuple[Property, ...]:
    """Semantic properties: ``[[predicate, object], ...]``, an object a JSON scalar or
    ``[lexical, xsd_type]`` (``Thing.doc`` writes them so)."""
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_PROPERTIES:
        invalid("properties", f"a list of at most {MAX_PROPERTIES} [predicate, object]", value)
    out: list[Property] = []
    for n, item in enumerate(value):
        where = f"properties[{n}]"
        if not isinstance(item, list) or len(item) != 2 or not _iri(item[0]):
            invalid(where, "[predicate IRI, object]", item)
        obj = item[1]
        if isinstance(obj, list):
            if not (len(obj) == 2 and isinstance(obj[0], str) and _iri(obj[1])):
                invalid(f"{where} object", "[lexical, xsd_type]", obj)
            if len(obj[0]) > MAX_PROPERTY_TEXT:
                invalid(f"{where} object", f"at most {MAX_PROPERTY_TEXT} characters", obj)
            out.append((item[0], (obj[0], obj[1])))
        elif isinstance(obj, str):
            if len(obj) > MAX_PROPERTY_TEXT:
                invalid(f"{where} object", f"at most {MAX_PROPERTY_TEXT} characters", obj)
            out.append((item[0], obj))
        elif _scalar(obj):
            out.append((item[0], obj))
        else:
            invalid(f"{where} object", "a text, number, boolean or [lexical, xsd_type]", obj)
    return tuple(out)


def _point(thing: str, n: int, p: Any) -> dict[str, Any]:
    where = f"points[{n}]"
    if not isinstance(p, dict):
        invalid(where, "an object", p)
    kind, pid = p.get("kind"), p.get("pid")
    if kind not in (FEED, CONTROL):
        invalid(f"{where} kind", f"{FEED!r} or {CONTROL!r}", kind)
    if not _is_id(pid):
        invalid(f"{where} pid", "1-64 printable characters", pid)
    guid = point_guid(thing, kind, pid)
    if p.get("guid") != guid:
        raise ValueError(
            f"{where} claims the guid {p.get('guid')!r:.40}, not the one of its own {kind} "
            f"{pid!r} ({guid})"
        )
    values = p.get("values") or []
    if not isinstance(values, list) or len(values) > MAX_ITEMS:
        invalid(f"{where} values", "a list", values)
    save_recent = p.get("save_recent") or 0
    if type(save_recent) is not int or not 0 <= save_recent <= MAX_SAVE_RECENT:
        invalid(f"{where} save_recent", f"an int from 0 to {MAX_SAVE_RECENT}", save_recent)
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


def member_topic_identity(prefix: str, topic: str) -> tuple[str, str]:
    """Return ``(owner, agent)`` of the membership topic ``ROOT/_owner/OWNER/AGENT``
    (*prefix* is ``ROOT/_owner/``).

    Raises:
        ValueError: *topic* is not a membership topic.
    """
    parts = topic[len(prefix) :].split("/") if topic.startswith(prefix) else []
    if len(parts) != 2 or not all(_AGENT_RE.fullmatch(part) for part in parts):
        raise ValueError(f"{topic!r} is not an owner's membership topic")
    return parts[0], parts[1]


def wire_mismatch(version: Any, what: str, agent: str) -> str | None:
    """Why *what* (published by agent *agent*) in wire *version* cannot be read, or None."""
    if version == WIRE_VERSION:
        return None
    if version is None or version == 1:
        return (
            f"{what} was published by an older iotic_app (wire version 1); this agent speaks "
            f"version {WIRE_VERSION}: upgrade agent {agent!r}"
        )
    return (
        f"{what} has wire version {version!r:.20}; this agent speaks version {WIRE_VERSION}: "
        "upgrade this agent, or the other one"
    )


def encode_thing_doc(doc: dict[str, Any]) -> bytes:
    """The retained ``meta`` payload of a thing document (``Thing.doc()``), in this wire
    version (the transport and the benchmarks' bulk path use this one encoder)."""
    return to_json({**doc, "v": WIRE_VERSION})


def encode_pointer(agent: str, lid: str) -> bytes:
    """The retained ``ROOT/_guid/GUID`` payload: the guid is agent *agent*'s thing *lid*'s."""
    return to_json({"v": WIRE_VERSION, "agent": agent, "lid": lid})


def encode_wire() -> bytes:
    """The retained ``ROOT/_wire`` payload of this wire version."""
    return to_json({"v": WIRE_VERSION})


def parse_wire(raw: bytes) -> Any:
    """Return the wire version a retained ``ROOT/_wire`` (``{"v": N}``) says.

    Raises:
        ValueError: it is not such a document.
    """
    data = from_json(raw) if len(raw) <= 1024 else None
    version = data.get("v") if isinstance(data, dict) else None
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        invalid("ROOT/_wire", '{"v": VERSION} with VERSION a positive int', raw[:40])
    return version


def parse_pointer(root: str, raw: bytes) -> str:
    """Return the meta topic a retained ``ROOT/_guid/GUID`` pointer names.

    The pointer is only a hint (anyone the ACL lets write ``ROOT/_guid/+`` may forge one): the
    document found there is checked against the guid looked up.

    Raises:
        ValueError: says what is wrong.
    """
    if len(raw) > 1024:
        raise ValueError(f"the pointer has {len(raw)} bytes, more than 1024")
    data = from_json(raw)
    if not isinstance(data, dict):
        invalid("the pointer", "a JSON object", data)
    agent, lid = data.get("agent"), data.get("lid")
    if not isinstance(agent, str) or not _AGENT_RE.fullmatch(agent):
        invalid("the pointer's agent", "an agent name", agent)
    if not _is_id(lid):
        invalid("the pointer's lid", "1-64 printable characters", lid)
    mismatch = wire_mismatch(data.get("v"), "the pointer", agent)
    if mismatch is not None:
        raise ValueError(mismatch)
    return f"{root}/{agent}/{seg(lid)}/meta"


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
        invalid("the document", "a JSON object", data)
    if data.get("agent") != agent:
        raise ValueError(
            f"the document claims agent {data.get('agent')!r:.80} but was published under "
            f"agent {agent!r}"
        )
    mismatch = wire_mismatch(data.get("v"), f"the document of thing {lid!r}", agent)
    if mismatch is not None:
        raise ValueError(mismatch)
    if data.get("lid") != lid:
        raise ValueError(f"the document claims lid {data.get('lid')!r:.80}, not {lid!r}")
    owner = data.get("owner", agent)
    if not isinstance(owner, str) or not _AGENT_RE.fullmatch(owner):
        invalid("owner", "an owner name", owner)
    guid = thing_guid(owner, lid)
    if data.get("guid") != guid:
        raise ValueError(
            f"the document claims the thing guid {data.get('guid')!r:.40}, not the one of "
            f"owner {owner!r}'s thing {lid!r} ({guid})"
        )
    public = data.get("public", False)
    if not isinstance(public, bool):
        invalid("public", "true or false", public)
    points = data.get("points") or []
    if not isinstance(points, list) or len(points) > MAX_ITEMS:
        invalid("points", "a list", points)
    checked = [_point(guid, n, p) for n, p in enumerate(points)]
    if len({(p["kind"], p["pid"]) for p in checked}) != len(checked):
        raise ValueError("the document lists a point twice")
    return ThingDoc(
        agent=agent,
        lid=lid,
        guid=guid,
        base=topic[: -len("/meta")],
        owner=owner,
        public=public,
        labels=_texts("labels", data.get("labels")),
        descriptions=_texts("descriptions", data.get("descriptions")),
        location=_location(data.get("location")),
        tags=_tags("tags", data.get("tags")),
        points=checked,
        properties=_properties(data.get("properties")),
    )
