"""The retained records of kept subscriptions: what a malformed or hostile record does (it is
refused whole, with a reason), without a broker."""

from __future__ import annotations

import json
from typing import Any

import pytest

from iotic_app.transports.mqtt._kept import _parse_subs, subid_of

GUID = "a" * 32
TOPIC = "iotic/bob/station/feed/temp"


def _record(**entry: Any) -> bytes:
    fields = {"kind": "Feed", "guid": GUID, "topic": TOPIC, "group": None, **entry}
    return json.dumps({"v": 1, "subs": {"b" * 32: fields}}).encode()


def test_a_well_formed_record_parses() -> None:
    (kept,) = _parse_subs("iotic", _record()).values()
    assert (kept.kind, kept.guid, kept.topic, kept.group) == ("Feed", GUID, TOPIC, None)
    assert _parse_subs("iotic", _record(group="g1", kind="Control", topic="iotic/a/b/control/c"))


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b"not json", "Expecting value"),
        (b"[]", "v"),
        (json.dumps({"v": 2, "subs": {}}).encode(), "v"),
        (json.dumps({"v": 1, "subs": {"xyz": {}}}).encode(), "id"),
        (_record(kind="Other"), "kind"),
        (_record(guid="A" * 32), "guid"),
        (_record(guid=1), "guid"),
        (_record(topic="iotic/#"), "topic"),
        (_record(topic="iotic/bob/+/feed/temp"), "topic"),
        (_record(topic="other/bob/station/feed/temp"), "topic"),
        (_record(topic="iotic/bob/station/control/temp"), "topic"),
        (_record(topic="iotic/bob/station/feed/temp/recent"), "topic"),
        (_record(topic=["iotic"]), "topic"),
        (_record(group="a/b"), "group"),
        (_record(group=""), "group"),
        (_record(group=7), "group"),
        (b"[" * 100_000 + b"]" * 100_000, "deeper"),
        (b" " * (1 << 20) + b"{}", "bytes"),
    ],
)
def test_a_malformed_record_is_refused_with_a_reason(raw: bytes, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        _parse_subs("iotic", raw)


def test_subid_of_is_the_thing_and_points_uuid5() -> None:
    assert subid_of("0" * 32, GUID) == subid_of("0" * 32, GUID) != subid_of("1" * 32, GUID)
