"""Contract: a feed's own recent samples, a thing's follows looked up, simulated feed data."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from iotic_app import IOTUnknown


@pytest.fixture
def shared(make_client: Any) -> tuple[Any, Any]:
    """A client with a feed (keeping 3 samples) and a thing of its own to follow it with."""
    client = make_client("alice")
    feed = client.create_thing("sensor").create_feed("temp", save_recent=3)
    return client, feed


def test_a_feed_reads_its_own_recent_samples(shared: Any, collector: Any) -> None:
    client, feed = shared
    assert feed.get_recent(5) == []
    client.create_thing("display").follow(feed.guid, collector)
    for n in range(5):
        feed.share({"n": n})
    collector.wait(5)  # shared: kept by the space
    assert [sample["data"] for sample in feed.get_recent(10)] == [{"n": 2}, {"n": 3}, {"n": 4}]
    assert [sample["data"] for sample in feed.get_recent(1)] == [{"n": 4}]
    with pytest.raises(ValueError, match="count"):
        feed.get_recent(0)


def test_get_remote_feed_gives_the_follow_made(shared: Any) -> None:
    client, feed = shared
    display = client.create_thing("display")
    remote = display.follow(feed.guid)
    assert display.get_remote_feed(feed.guid) is remote
    assert display.get_remote_feed(("sensor", "temp")) is remote
    assert display.get_remote_feed(remote.subid) is remote
    control = client.get_thing("sensor").create_control("ctl")
    attached = display.attach(control.guid)
    assert display.get_remote_control(("sensor", "ctl")) is attached
    with pytest.raises(IOTUnknown):
        display.get_remote_control(feed.guid)
    with pytest.raises(ValueError, match="a feed one"):
        display.get_remote_control(remote.subid)
    display.unfollow(remote)
    with pytest.raises(IOTUnknown):
        display.get_remote_feed(feed.guid)


def test_simulated_data_runs_the_callbacks_on_the_worker(shared: Any, collector: Any) -> None:
    client, feed = shared
    on_worker: list[bool] = []

    def callback(args: dict[str, Any]) -> None:
        on_worker.append(client.in_callback())
        collector(args)

    remote = client.create_thing("display").follow(feed.guid, callback)
    when = datetime(2024, 1, 2, 3, 4, tzinfo=timezone.utc)
    remote.simulate({"n": 1}, time=when)
    [args] = collector.wait(1)
    assert args == {"data": {"n": 1}, "mime": None, "pid": feed.guid, "time": when}
    assert on_worker == [True]
    assert feed.get_recent(3) == []  # nothing was shared


def test_simulate_feeddata_without_a_follow_goes_to_the_catchall(
    shared: Any, collector: Any
) -> None:
    client, feed = shared
    client.register_catchall_feeddata(collector)
    client.simulate_feeddata(feed.guid, b"\x00", mime="application/x-raw")
    [args] = collector.wait(1)
    assert (args["data"], args["mime"], args["pid"]) == (b"\x00", "application/x-raw", feed.guid)
    assert args["time"].tzinfo is not None
    with pytest.raises(ValueError, match="feed_guid"):
        client.simulate_feeddata("", {})
