"""The handles' shared metadata (transports/_handles.py): snapshots, writes, no per-handle texts."""

from __future__ import annotations

import json

from iotic_app.transports import FEED, Meta, ValueSpec
from iotic_app.transports._handles import NO_TEXT, PointHandle, ThingHandle
from iotic_app.transports.mqtt._handles import Point, Thing


def test_a_new_handle_shares_the_empty_texts_and_reads_as_empty_metadata() -> None:
    thing = ThingHandle("t", "g")
    point: PointHandle[bytes] = PointHandle(thing, FEED, "f", "pg")
    assert thing.labels is NO_TEXT and point.descriptions is NO_TEXT
    assert thing.meta() == Meta() == point.meta()


def test_meta_is_a_snapshot_and_a_point_takes_its_things_public_flag() -> None:
    thing = ThingHandle("t", "g")
    point: PointHandle[bytes] = PointHandle(thing, FEED, "f", "pg")
    thing.write_meta({"en": "Lamp"}, {"en": "A lamp"}, (1.0, 2.0))
    thing.change_tags(["b", "a", "c"], ["c"])
    thing.public = True
    point.write_meta({"en": "Level"}, {}, (3.0, 4.0))  # a point has no location
    meta = thing.meta()
    assert meta == Meta({"en": "Lamp"}, {"en": "A lamp"}, (1.0, 2.0), ("a", "b"), True)
    assert point.meta() == Meta({"en": "Level"}, {}, None, (), True)
    assert point.descriptions is NO_TEXT
    thing.write_meta({}, {}, None)
    assert meta.labels == {"en": "Lamp"} and thing.labels is NO_TEXT


def test_add_value_replaces_the_value_of_the_same_label_and_keeps_order() -> None:
    point: PointHandle[bytes] = PointHandle(ThingHandle("t", "g"), FEED, "f", "pg")
    point.add_value(ValueSpec("a", "integer"))
    point.add_value(ValueSpec("b", "integer"))
    point.add_value(ValueSpec("a", "decimal"))
    assert [(v.label, v.vtype) for v in point.values] == [("b", "integer"), ("a", "decimal")]


def test_an_mqtt_document_of_handles_without_texts_is_plain_json() -> None:
    thing = Thing("t", "g", "iotic/a/t")
    thing.points[(FEED, "f")] = Point(thing, FEED, "f", "pg")
    doc = json.loads(json.dumps(thing.doc("a")))
    assert (doc["labels"], doc["descriptions"]) == ({}, {})
    assert (doc["points"][0]["labels"], doc["points"][0]["descriptions"]) == ({}, {})
