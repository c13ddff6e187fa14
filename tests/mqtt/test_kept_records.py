"""The retained records of kept subscriptions: what a malformed or hostile record does (it is
refused whole, with a reason), without a broker."""

from __future__ import annotations

import json
from typing import Any

import pytest

from iotic_app.transports.mqtt._kept import MAX_SUBS_BYTES, _parse_subs, subid_of

pytestmark = pytest.mark.fixed_root  # names iotic/... topics itself

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
        (b" " * MAX_SUBS_BYTES + b"{}", "bytes"),
    ],
)
def test_a_malformed_record_is_refused_with_a_reason(raw: bytes, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        _parse_subs("iotic", raw)


def test_subid_of_is_the_thing_and_points_uuid5() -> None:
    assert subid_of("0" * 32, GUID) == subid_of("0" * 32, GUID) != subid_of("1" * 32, GUID)


class _Names:
    root = "iotic"
    agent_id = "bob"
    owner = "bob"


class _Catalogue:
    def __init__(self) -> None:
        self.by_topic: dict[str, str] = {}
        self.docs: dict[str, Any] = {}


def test_followers_records_are_counted_by_the_rules_and_a_flood_is_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Records about points the agent does not have, or from things the catalogue does not
    hold, wait (bounded; the rest are dropped and logged) and count for nothing; a good one
    counts while its thing is in the catalogue and can see the point; a point made again
    takes the records that waited for it."""
    from types import SimpleNamespace

    import iotic_app.transports.mqtt._kept as kept_module
    from iotic_app.transports.mqtt._kept import Followers

    monkeypatch.setattr(kept_module, "PENDING_LIMIT", 100)
    thing = SimpleNamespace(public=True, lid="station")
    point = SimpleNamespace(guid=GUID, kind="Feed", deleted=False, thing=thing, pid="temp")
    points: dict[str, Any] = {}
    catalogue = _Catalogue()
    catalogue.by_topic["iotic/alice/w/meta"] = "c" * 32
    catalogue.docs["c" * 32] = SimpleNamespace(guid="c" * 32, owner="alice")
    followers = Followers(_Names(), catalogue, points.get)  # type: ignore[arg-type]
    followers.begin()
    body = b'{"v":1,"kind":"Feed"}'
    followers.on_record(f"iotic/_followers/bob/alice/w/{GUID}", body)  # while coming up
    followers.end(False)  # the feed is not made yet (the owner's earlier run deleted it)
    for i in range(1000):
        followers.on_record(f"iotic/_followers/bob/mallory/x{i}/{i:032x}", body)
        followers.on_record(f"iotic/_followers/bob/mallory/x{i}/{GUID}", body)
    assert followers._waiting == 100 and followers.dropped == 1901
    points[GUID] = point
    followers.point_made(GUID)
    assert followers.of(point) == {subid_of("c" * 32, GUID): "c" * 32}  # type: ignore[arg-type]
    followers.on_record(f"iotic/_followers/bob/alice/w/{GUID}", b'{"v":1,"kind":"Control"}')
    assert followers.of(point) == {}  # type: ignore[arg-type]
    followers.on_record(f"iotic/_followers/bob/alice/w/{GUID}", body)
    assert len(followers.of(point)) == 1  # type: ignore[arg-type]
    thing.public = False  # a private point: a follower of another owner does not count
    assert followers.of(point) == {}  # type: ignore[arg-type]
    thing.public = True
    del catalogue.by_topic["iotic/alice/w/meta"]  # the thing went (or left the owner)
    assert followers.of(point) == {}  # type: ignore[arg-type]
    followers.on_record(f"iotic/_followers/bob/alice/w/{GUID}", b"")
    assert followers._records == {}
