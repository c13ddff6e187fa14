"""The directory's wire: search requests and replies, their topics, a query as JSON, its checks."""

from __future__ import annotations

import math
import re
from typing import Any, NamedTuple, cast

from iotic_app.transports._protocol import (
    MAX_PROPERTIES,
    MAX_PROPERTY_IRI,
    MAX_PROPERTY_TEXT,
    Property,
    Query,
)
from iotic_app.transports._types import MAX_SEARCH_OFFSET, MAX_SEARCH_TEXT
from iotic_app.transports.mqtt._conn import SECOND
from iotic_app.transports.mqtt._json import from_json, invalid, to_json
from iotic_app.transports.mqtt._thingdoc import seg

__all__ = [
    "MAX_LIMIT",
    "MAX_RADIUS_KM",
    "MAX_REQUEST_BYTES",
    "QOS",
    "SHARE_GROUP",
    "VERSION",
    "Request",
    "Topics",
    "client_of_agent",
    "parse_reply",
    "parse_request",
    "query_from_json",
    "query_to_json",
    "reply_body",
    "request_body",
]

#: The version of the directory's messages (requests and replies carry it as ``"v"``).
VERSION = 2
#: The QoS of requests and replies. Not 1: a QoS 1 exchange adds a small write per hop (the
#: broker's PUBACK just before the message that follows it), which a broker with Nagle on
#: (Mosquitto's stock configuration) holds back until the peer's delayed ACK: measured, 44 ms
#: per search, against 0.5 ms at QoS 0 (benchmarks/bench_directory.py). A lost request or
#: reply (the link went down) ends the wait: the link's failure or the sync timeout.
QOS = 0
#: A request larger than this is refused unread.
MAX_REQUEST_BYTES = 64 * 1024
#: At most this many things per search (the client's own limit).
MAX_LIMIT = 1000
MAX_TEXT = MAX_SEARCH_TEXT  # the client checks the same limits on every transport
MAX_OFFSET = MAX_SEARCH_OFFSET
#: The shared subscription group of every directory (MQTT 5): each request goes to one.
SHARE_GROUP = "iotic-directory"
_SCOPES = ("public", "local", "localOwn")
_TYPES = ("full", "reduced", "located", "minimal")
_RID_RE = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_CLIENT_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.~-]{0,255}")
_AGENT_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
#: The largest radius sent (km): more than half the Earth's circumference (20,037.5 km), so it
#: matches what any larger or infinite radius matches (JSON has no infinity).
MAX_RADIUS_KM = 20_100.0


def _wire_location(location: tuple[float, float, float]) -> list[float]:
    lat, lon, radius = location
    return [lat, lon, radius if radius <= MAX_RADIUS_KM else MAX_RADIUS_KM]


class Topics:
    """The directory's topics under *root*: ``ROOT/_directory/WHO/WHAT``, the variable part in
    the middle, so that no agent name (``meta``, say) makes one match another filter (such as
    the catalogue's ``ROOT/+/+/meta``)."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.prefix = f"{root}/_directory/"

    def search(self, agent: str) -> str:
        """Where agent *agent* asks (only it may write there)."""
        return f"{self.prefix}{seg(agent)}/search"

    def reply(self, client: str) -> str:
        """Where the client with id *client* gets its replies."""
        return f"{self.prefix}{seg(client)}/reply"

    def online(self, name: str) -> str:
        """Directory *name*'s retained presence."""
        return f"{self.prefix}{seg(name)}/online"

    def sync(self, name: str) -> str:
        """Directory *name*'s own resync markers."""
        return f"{self.prefix}{seg(name)}/sync"

    def claim(self, name: str) -> str:
        """Directory *name*'s retained claim on its name."""
        return f"{self.prefix}{seg(name)}/claim"

    @property
    def online_filter(self) -> str:
        """Every directory's presence."""
        return f"{self.prefix}+/online"

    def requests_filter(self, v5: bool) -> str:
        """What directories subscribe to: shared among them on MQTT 5."""
        plain = f"{self.prefix}+/search"
        return f"$share/{SHARE_GROUP}/{plain}" if v5 else plain

    def middle(self, topic: str, last: str) -> str | None:
        """The (still seg()-encoded) middle level of ``ROOT/_directory/X/LAST``, or None."""
        end = "/" + last
        if not (topic.startswith(self.prefix) and topic.endswith(end)):
            return None
        level = topic[len(self.prefix) : -len(end)]
        return level if level and "/" not in level else None


def client_of_agent(agent: str, client: str) -> bool:
    """Whether *client* is a client id of *agent*: the agent itself or ``AGENT~...``."""
    return client == agent or client.startswith(agent + SECOND)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _opt_text(name: str, value: Any, limit: int, *, spaces: bool = True) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"query {name} must be a text or null, got {value!r:.80}")
    if not value.strip() or len(value) > limit or not (spaces or value.isprintable()):
        raise ValueError(
            f"query {name} must be a non-empty text of at most {limit} characters, "
            f"got {value!r:.80}"
        )
    return value


def _location(value: Any) -> tuple[float, float, float] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 3 or not all(map(_is_number, value)):
        raise TypeError(f"query location must be [lat, lon, radius_km] or null, got {value!r:.80}")
    lat, lon, radius = (float(v) for v in value)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180 and radius >= 0):
        raise ValueError(
            "query location must be [lat, lon, radius_km] in degrees (-90..90, -180..180) "
            f"and a radius of 0 or more, got {value!r:.80}"
        )
    return lat, lon, radius


def _iri(where: str, value: Any) -> str:
    if (
        not isinstance(value, str)
        or not 0 < len(value) <= MAX_PROPERTY_IRI
        or not value.isprintable()
        or any(ch.isspace() for ch in value)
    ):
        invalid(where, f"an IRI of at most {MAX_PROPERTY_IRI} characters", value)
    return value


def _props(value: Any) -> tuple[Property, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_PROPERTIES:
        raise TypeError(
            f"query props must be a list of at most {MAX_PROPERTIES} [predicate, object], "
            f"got {value!r:.80}"
        )
    out: list[Property] = []
    for n, item in enumerate(value):
        where = f"query props[{n}]"
        if not isinstance(item, list) or len(item) != 2:
            invalid(where, "[predicate, object]", item)
        predicate, obj = _iri(where, item[0]), item[1]
        if isinstance(obj, dict) and set(obj) == {"lexical", "type"}:  # (lexical, xsd_type)
            lexical = obj["lexical"]
            if not isinstance(lexical, str) or len(lexical) > MAX_PROPERTY_TEXT:
                invalid(f"{where} object", f"a text of at most {MAX_PROPERTY_TEXT}", lexical)
            out.append((predicate, (lexical, _iri(f"{where} type", obj["type"]))))
        elif isinstance(obj, str):
            if len(obj) > MAX_PROPERTY_TEXT:
                invalid(f"{where} object", f"a text of at most {MAX_PROPERTY_TEXT}", obj)
            out.append((predicate, obj))
        elif (
            isinstance(obj, bool)
            or (isinstance(obj, int) and -(2**63) <= obj < 2**63)
            or (isinstance(obj, float) and math.isfinite(obj))
        ):
            out.append((predicate, obj))
        else:
            invalid(f"{where} object", "a text, number, boolean or {lexical, type}", obj)
    return tuple(out)


def _int(name: str, value: Any, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"query {name} must be an int, got {value!r:.80}")
    if not low <= value <= high:
        raise ValueError(f"query {name} must be from {low} to {high}, got {value!r}")
    return value


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"query {name} must be one of {', '.join(allowed)}, got {value!r:.80}")
    return cast(str, value)


def query_to_json(query: Query) -> dict[str, Any]:
    """Return *query* as a JSON object (the request's ``query``; see :func:`query_from_json`)."""
    props: list[list[Any]] = []
    for predicate, obj in query.props:
        if isinstance(obj, tuple):
            props.append([predicate, {"lexical": obj[0], "type": obj[1]}])
        else:
            props.append([predicate, obj])
    return {
        "text": query.text,
        "location": None if query.location is None else _wire_location(query.location),
        "unit": query.unit,
        "props": props,
        "lang": query.lang,
        "scope": query.scope,
        "type": query.type_,
        "limit": query.limit,
        "offset": query.offset,
        "with_pointless": query.with_pointless,
    }


_FIELDS = frozenset(query_to_json(Query()))


def query_from_json(data: Any) -> Query:
    """Return the :class:`Query` of a request's ``query`` object, checked field by field.

    Raises:
        TypeError: *data* or a field is of the wrong type.
        ValueError: a field is out of range, or unknown.
    """
    if not isinstance(data, dict):
        raise TypeError(f"query must be a JSON object, got {data!r:.80}")
    unknown = set(data) - _FIELDS
    if unknown:
        raise ValueError(f"query has unknown fields {sorted(unknown)!r:.120}")
    lang = data.get("lang")
    if lang is not None and not (isinstance(lang, str) and 2 <= len(lang) <= 8 and lang.isalpha()):
        raise ValueError(
            f"query lang must be a language code such as 'en' or null, got {lang!r:.80}"
        )
    unit = _opt_text("unit", data.get("unit"), MAX_PROPERTY_IRI, spaces=False)
    if unit is not None and (":" not in unit or " " in unit):
        raise ValueError(f"query unit must be a unit URI or null, got {unit!r:.80}")
    with_pointless = data.get("with_pointless", True)
    if not isinstance(with_pointless, bool):
        raise TypeError(f"query with_pointless must be true or false, got {with_pointless!r:.80}")
    return Query(
        text=_opt_text("text", data.get("text"), MAX_TEXT),
        location=_location(data.get("location")),
        unit=unit,
        props=_props(data.get("props")),
        lang=lang,
        scope=cast(Any, _choice("scope", data.get("scope", "public"), _SCOPES)),
        type_=cast(Any, _choice("type", data.get("type", "full"), _TYPES)),
        limit=_int("limit", data.get("limit", 50), 1, MAX_LIMIT),
        offset=_int("offset", data.get("offset", 0), 0, MAX_OFFSET),
        with_pointless=with_pointless,
    )


def request_body(rid: str, client: str, query: Query, owner: str | None = None) -> bytes:
    """A search request (published on ``ROOT/_directory/AGENT/search``); *owner* is the
    asker's configured owner (the directory uses it only when its membership is retained).

    Raises:
        ValueError: the request is larger than a directory takes (:data:`MAX_REQUEST_BYTES`).
    """
    data: dict[str, Any] = {"v": VERSION, "rid": rid, "client": client}
    if owner is not None:
        data["owner"] = owner
    data["query"] = fields = query_to_json(query)
    body = to_json(data)
    if len(body) > MAX_REQUEST_BYTES:
        sizes = {name: len(to_json(value)) for name, value in fields.items()}
        largest = max(sizes, key=lambda name: sizes[name])
        raise ValueError(
            f"search too large: {len(body):,} bytes, a directory takes at most "
            f"{MAX_REQUEST_BYTES:,} (its largest argument is {largest}, {sizes[largest]:,} "
            "bytes as JSON)"
        )
    return body


class Request(NamedTuple):
    """A checked search request: its id, the client id to answer, the query (or why not), the
    owner the asker says it belongs to (None: not said)."""

    rid: str
    client: str
    query: Query | None
    error: str | None
    owner: str | None = None


def parse_request(raw: bytes) -> Request:
    """Parse a search request. A request whose ``rid`` and ``client`` are readable but whose
    query is not comes back with *error* set (to be answered); anything else raises.

    Raises:
        ValueError: not a request that can be answered at all (too big, not JSON, no rid or
            client, another version).
    """
    if len(raw) > MAX_REQUEST_BYTES:
        raise ValueError(f"the request has {len(raw)} bytes, more than {MAX_REQUEST_BYTES}")
    data = from_json(raw)
    if not isinstance(data, dict):
        invalid("the request", "a JSON object", data)
    rid, client = data.get("rid"), data.get("client")
    if not isinstance(rid, str) or not _RID_RE.fullmatch(rid):
        invalid("the request's rid", "1-64 letters, digits or _.:-", rid)
    if not isinstance(client, str) or not _CLIENT_RE.fullmatch(client):
        invalid("the request's client", "a client id", client)
    if data.get("v") != VERSION:
        return Request(
            rid,
            client,
            None,
            f"this directory speaks version {VERSION} of the directory protocol, the request "
            f"is of version {data.get('v')!r:.20}: upgrade iotic_app on one side",
        )
    owner = data.get("owner")
    if owner is not None and not (isinstance(owner, str) and _AGENT_RE.fullmatch(owner)):
        return Request(
            rid, client, None, f"the request's owner must be an agent name, got {owner!r:.80}"
        )
    try:
        return Request(rid, client, query_from_json(data.get("query")), None, owner)
    except (TypeError, ValueError) as exc:
        return Request(rid, client, None, str(exc))


def reply_body(rid: str, result: Any = None, error: str | None = None) -> bytes:
    """A reply to request *rid*: its *result*, or its *error*."""
    if error is not None:
        return to_json({"v": VERSION, "rid": rid, "error": error})
    return to_json({"v": VERSION, "rid": rid, "result": result})


def parse_reply(raw: bytes) -> tuple[str, Any, str | None]:
    """Return ``(rid, result, error)`` of a reply.

    Raises:
        ValueError: not a reply, or of another version (its error says which).
    """
    data = from_json(raw)
    if not isinstance(data, dict) or not isinstance(data.get("rid"), str):
        invalid("the directory's reply", "an object with a rid", data)
    rid = data["rid"]
    if data.get("v") != VERSION:
        return (
            rid,
            None,
            f"the directory speaks version {data.get('v')!r:.20} of the directory protocol, "
            f"this client version {VERSION}: upgrade iotic_app on one side",
        )
    error = data.get("error")
    if error is not None:
        return rid, None, str(error)[:2000]
    return rid, data.get("result"), None
