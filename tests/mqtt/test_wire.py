"""What travels on the broker: payloads and documents, encoded, decoded, checked (no broker)."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from iotic_app.transports._protocol import (
    CONTROL,
    FEED,
    ValueSpec,
    copy_data,
    point_guid,
    thing_guid,
)
from iotic_app.transports.mqtt._handles import Point, Thing
from iotic_app.transports.mqtt._json import from_json, to_json
from iotic_app.transports.mqtt._messages import parse_status
from iotic_app.transports.mqtt._payload import decode_sample, encode_sample
from iotic_app.transports.mqtt._thingdoc import parse_thing_doc

pytestmark = pytest.mark.fixed_root  # names iotic/... topics itself

WHEN = datetime(2026, 5, 1, 12, 0, 0, 250_000, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        ({"celsius": 21.5, "ok": True, "tags": ["a", None]}, None),
        ("héllo", "text/plain"),
        (b"\x00\xff", "application/octet-stream"),
        (None, None),
        ([2**70, -(2**65), 1e300], None),
    ],
)
def test_sample_round_trip(data: object, mime: str | None) -> None:
    raw = encode_sample(data, mime, WHEN)
    assert json.loads(raw)["time"] == "2026-05-01T12:00:00.250000+00:00"  # plain JSON
    assert decode_sample(from_json(raw)) == (data, mime, WHEN)


def test_payload_layout_is_the_documented_one() -> None:
    assert json.loads(encode_sample(b"ab", "application/x-raw", WHEN)) == {
        "time": "2026-05-01T12:00:00.250000+00:00",
        "mime": "application/x-raw",
        "data": "YWI=",
        "encoding": "base64",
    }
    assert json.loads(encode_sample({"a": 1}, None, WHEN)) == {
        "time": "2026-05-01T12:00:00.250000+00:00",
        "mime": None,
        "data": {"a": 1},
    }


def test_nan_and_infinities_travel_as_null() -> None:
    """JSON has no such numbers: strict JSON readers (mosquitto_sub | jq, browsers) can parse it."""
    raw = encode_sample({"t": math.nan, "up": math.inf, "down": -math.inf}, None, WHEN)
    assert json.loads(raw, parse_constant=pytest.fail)["data"] == {
        "t": None,
        "up": None,
        "down": None,
    }


def test_nan_written_by_pythons_json_module_is_read() -> None:
    """A foreign publisher using json.dumps may send NaN; it is read, not skipped."""
    raw = json.dumps({"time": None, "mime": None, "data": [math.nan, math.inf]}).encode()
    data = decode_sample(from_json(raw))[0]
    assert math.isnan(data[0]) and data[1] == math.inf


def test_other_offsets_and_z_are_read_as_aware_times() -> None:
    got = decode_sample({"data": 1, "time": "2026-05-01T14:00:00+02:00"})[2]
    assert got == WHEN.replace(microsecond=0) and got.utcoffset() == timedelta(hours=2)
    assert decode_sample({"data": 1, "time": "2026-05-01T12:00:00Z"})[2].tzinfo is not None


def test_not_json_raises_value_error() -> None:
    with pytest.raises(ValueError):
        from_json(b"{not json")
    assert to_json({"a": [1, "b"]}) == b'{"a":[1,"b"]}'


def test_ints_beyond_64_bits_stay_ints_and_deep_nesting_is_a_value_error() -> None:
    assert from_json(b"[18446744073709551616, -36893488147419103232, 1.5]") == [
        2**64,
        -(2**65),
        1.5,
    ]
    assert type(from_json(b"[18446744073709551616]")[0]) is int
    with pytest.raises(ValueError, match="nested deeper than 200 levels"):
        from_json(b"[" * 100_000 + b"]" * 100_000)


@pytest.mark.parametrize("depth", [201, 1000])
def test_nesting_that_orjson_accepts_but_later_copies_could_not_is_a_value_error(
    depth: int,
) -> None:
    """orjson reads up to 1,024 levels; the data would then break copy_data (recursion) on the
    worker, looking like the user's callback failing. The limit is 200 levels, on both parsers."""
    for digits in (b"1", b"18446744073709551616"):  # orjson, and the standard library
        raw = b'{"data": ' + b"[" * depth + digits + b"]" * depth + b"}"
        with pytest.raises(ValueError, match="nested deeper than 200 levels"):
            from_json(raw)
    ok = b"[" * 199 + b"1" + b"]" * 199
    assert copy_data(from_json(b'{"data": ' + ok + b"}")) is not None
    wide = b"[" + b",".join([b"[{}]"] * 5000) + b"]"  # many brackets, shallow: no error
    assert len(from_json(wide)) == 5000


# --- thing documents: identity from the topic, every field checked ---------------------------


def _own_doc() -> dict[str, Any]:
    """A document as the agent "alice" publishes it for her thing "lamp"."""
    thing = Thing("lamp", thing_guid("alice", "lamp"), "iotic/alice/lamp")
    thing.labels = {"en": "Desk lamp"}
    thing.location = (51.5, -0.12)
    thing.tags = frozenset({"light"})
    thing.public = True
    feed = Point(thing, FEED, "level", point_guid(thing.guid, FEED, "level"))
    feed.values = (ValueSpec("v", "decimal", "en", "how bright", "http://qudt.org/unit/pct"),)
    feed.save_recent = 5
    thing.points[(FEED, "level")] = feed
    control = Point(thing, CONTROL, "on/off", point_guid(thing.guid, CONTROL, "on/off"))
    thing.points[(CONTROL, "on/off")] = control
    return thing.doc("alice")


def test_an_agents_own_document_parses_as_it_was_made() -> None:
    doc = parse_thing_doc("iotic", "iotic/alice/lamp/meta", json.dumps(_own_doc()).encode())
    assert (doc.agent, doc.lid, doc.guid) == ("alice", "lamp", thing_guid("alice", "lamp"))
    assert doc.base == "iotic/alice/lamp" and doc.location == (51.5, -0.12)
    assert [p["pid"] for p in doc.points] == ["level", "on/off"]
    assert doc.points[0]["values"][0]["unit"] == "http://qudt.org/unit/pct"
    odd = {**_own_doc(), "lid": "a/b c", "guid": thing_guid("alice", "a/b c"), "points": []}
    parsed = parse_thing_doc("r/x", "r/x/alice/a%2Fb%20c/meta", json.dumps(odd).encode())
    assert parsed.lid == "a/b c"


def _with(path: str, value: Any) -> dict[str, Any]:
    doc = _own_doc()
    target: Any = doc
    *heads, last = path.split(".")
    for key in heads:
        target = target[int(key)] if isinstance(target, list) else target[key]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return doc


@pytest.mark.parametrize(
    ("doc", "match"),
    [
        (_with("agent", "bob"), "claims agent 'bob'"),
        (_with("lid", "other"), "claims lid"),
        (_with("guid", thing_guid("bob", "lamp")), "claims the thing guid"),
        (_with("points.0.guid", thing_guid("x", "y")), "points.0. claims the guid"),
        (_with("points.1.pid", "level"), "claims the guid"),
        (_with("public", "yes"), "public must be"),
        (_with("labels", ["Desk lamp"]), "labels must be"),
        (_with("labels", {"en": 5}), "labels\\['en'\\] must be"),
        (_with("labels", {"not a language": "x"}), "language"),
        (_with("location", [91, 0]), "location must be"),
        (_with("location", ["51", 0]), "location must be"),
        (_with("location", [1e999, 0]), "location must be"),
        (_with("tags", "light"), "tags must be"),
        (_with("tags", ["two words"]), "tag must be"),
        (_with("points", {"a": 1}), "points must be"),
        (_with("points.0", "level"), "points.0. must be"),
        (_with("points.0.kind", "Sensor"), "kind must be"),
        (_with("points.0.pid", ""), "pid must be"),
        (_with("points.0.pid", 7), "pid must be"),
        (_with("points.0.save_recent", "5"), "save_recent must be"),
        (_with("points.0.save_recent", -1), "save_recent must be"),
        (_with("points.0.save_recent", 10**6), "save_recent must be"),
        (_with("points.0.values", [{"label": "v"}]), "type must be"),
        (_with("points.0.values", [{"label": 3, "type": "decimal"}]), "label must be"),
        (_with("points.0.values.0.unit", 5), "unit must be"),
        (_with("points.0.tags", [None]), "tag must be"),
        (_with("points.1", _own_doc()["points"][0]), "twice"),
    ],
)
def test_a_malformed_or_forged_document_is_refused(doc: dict[str, Any], match: str) -> None:
    match = match.replace("points.0.", r"points\[0\]").replace("points.1.", r"points\[1\]")
    with pytest.raises(ValueError, match=match):
        parse_thing_doc("iotic", "iotic/alice/lamp/meta", json.dumps(doc).encode())


@pytest.mark.parametrize(
    ("topic", "raw"),
    [
        ("iotic/alice/lamp/meta", b"not json"),
        ("iotic/alice/lamp/meta", b"[1, 2]"),
        ("iotic/alice/lamp/meta", b"[" * 5000 + b"]" * 5000),
        ("iotic/alice/lamp/meta", b'{"x": "' + b"a" * (1 << 20) + b'"}'),
        ("iotic/al%69ce/lamp/meta", json.dumps(_own_doc()).encode()),  # not canonical
        ("iotic/alice/l%61mp/meta", json.dumps(_own_doc()).encode()),
        ("iotic/_reply/lamp/meta", json.dumps(_own_doc()).encode()),
        ("iotic/alice/lamp/x/meta", json.dumps(_own_doc()).encode()),
    ],
)
def test_a_document_that_is_not_one_or_on_a_wrong_topic_is_refused(topic: str, raw: bytes) -> None:
    with pytest.raises(ValueError):
        parse_thing_doc("iotic", topic, raw)


def test_status_is_online_or_offline() -> None:
    assert parse_status(b"online") is True and parse_status(b"offline") is False
    with pytest.raises(ValueError, match="'online' or 'offline'"):
        parse_status(b'{"rid": "x", "result": true}')


def _owner_doc(agent: str, owner: str, lid: str = "lamp", public: bool = False) -> bytes:
    thing = Thing(lid, thing_guid(owner, lid), f"iotic/{agent}/{lid}")
    thing.public = public
    feed = Point(thing, FEED, "f", point_guid(thing.guid, FEED, "f"))
    thing.points[(FEED, "f")] = feed
    return json.dumps(thing.doc(agent, owner)).encode()


def test_a_document_of_an_agent_of_another_owner_carries_the_owners_guids() -> None:
    assert "owner" not in _own_doc()  # its own owner: the documents as before owners
    doc = parse_thing_doc("iotic", "iotic/agent1/lamp/meta", _owner_doc("agent1", "plant"))
    assert (doc.agent, doc.owner, doc.guid) == ("agent1", "plant", thing_guid("plant", "lamp"))
    forged = json.loads(_owner_doc("agent1", "plant"))
    forged["guid"] = thing_guid("agent1", "lamp")  # the owner's claim and the guid disagree
    with pytest.raises(ValueError, match="owner 'plant'"):
        parse_thing_doc("iotic", "iotic/agent1/lamp/meta", json.dumps(forged).encode())
    with pytest.raises(ValueError, match="owner must be"):
        parse_thing_doc(
            "iotic", "iotic/agent1/lamp/meta", json.dumps({**forged, "owner": 5}).encode()
        )


def test_the_catalogue_takes_an_owner_claim_only_while_its_membership_is_retained() -> None:
    from iotic_app.transports.mqtt._catalogue import Catalogue

    seen = Catalogue("agent2", "iotic", lambda: None, "plant")
    guid = thing_guid("plant", "lamp")
    seen.on_meta("iotic/agent1/lamp/meta", _owner_doc("agent1", "plant"))
    assert seen.describe(guid) is None  # no membership yet: kept aside
    seen.on_member("iotic/_owner/plant/agent1", b'"member"')
    assert seen.describe(guid) is not None  # the owner's private thing, for its agent
    outsider = Catalogue("bob", "iotic", lambda: None)
    outsider.on_member("iotic/_owner/plant/agent1", b'"member"')
    outsider.on_meta("iotic/agent1/lamp/meta", _owner_doc("agent1", "plant"))
    assert outsider.describe(guid) is None  # private: not bob's owner's
    # a second agent of the owner with the same lid: the first document keeps the guid
    seen.on_member("iotic/_owner/plant/agent3", b'"member"')
    seen.on_meta("iotic/agent3/lamp/meta", _owner_doc("agent3", "plant"))
    assert seen.docs[guid].agent == "agent1"
    seen.on_member("iotic/_owner/plant/agent1", b"")  # the membership cleared: not used
    assert seen.describe(guid) is None
    seen.on_member("iotic/_owner/plant/agent1", b'"member"')
    assert seen.describe(guid) is not None
    seen.on_meta("iotic/agent1/lamp/meta", b"")  # deleted
    assert guid not in seen.docs and not seen.aside
