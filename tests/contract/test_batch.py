"""Contract: ``client.batch()`` gathers metadata changes and applies them at the end."""

from __future__ import annotations

from typing import Any

import pytest

from iotic_app import LinkException


def provision(client: Any, count: int) -> list[Any]:
    things = []
    for n in range(count):
        thing = client.create_thing(f"sensor{n}")
        with thing.get_meta() as meta:
            meta.set_label(f"Sensor {n}")
        thing.create_tag(["sensor"])
        thing.create_feed("temp")
        thing.set_public(True)
        things.append(thing)
    return things


def test_a_batch_applies_every_change_at_its_end(make_client: Any) -> None:
    maker, viewer = make_client("maker"), make_client("viewer")
    with maker.batch():
        things = provision(maker, 20)
        assert maker.get_thing("sensor3").public  # own objects show changes at once
    for n, thing in enumerate(things):
        seen = viewer.describe(thing.guid)
        assert seen is not None, f"sensor{n} is not visible after the batch"
        assert (seen["label"], seen["tags"], seen["public"]) == (f"Sensor {n}", ["sensor"], True)
        assert [p["pid"] for p in seen["points"]] == ["temp"]
    assert maker.list() == {f"sensor{n}": maker.list()[f"sensor{n}"] for n in range(20)}


def test_a_block_that_raises_still_publishes_what_it_changed(make_client: Any) -> None:
    maker, viewer = make_client("maker"), make_client("viewer")
    with pytest.raises(RuntimeError, match="half way"), maker.batch():
        thing = maker.create_thing("half")
        thing.set_public(True)
        raise RuntimeError("half way")
    assert viewer.describe(thing.guid) is not None


def test_nested_batches_publish_with_the_outer_one(make_client: Any) -> None:
    maker, viewer = make_client("maker"), make_client("viewer")
    with maker.batch():
        with maker.batch():
            inner = maker.create_thing("inner")
            inner.set_public(True)
        outer = maker.create_thing("outer")
        outer.set_public(True)
    assert viewer.describe(inner.guid) is not None
    assert viewer.describe(outer.guid) is not None


def test_a_batch_needs_a_started_client(make_client: Any) -> None:
    client = make_client(start=False)
    with pytest.raises(LinkException):
        client.batch().__enter__()


def test_a_thing_deleted_in_the_batch_is_not_published(make_client: Any) -> None:
    maker, viewer = make_client("maker"), make_client("viewer")
    with maker.batch():
        gone = maker.create_thing("gone")
        gone.set_public(True)
        maker.delete_thing("gone")
        kept = maker.create_thing("kept")
        kept.set_public(True)
    assert viewer.describe(gone.guid) is None
    assert viewer.describe(kept.guid) is not None
    assert list(maker.list()) == ["kept"]
