"""Contract: sharing and following feeds, parsed data, recent samples, catchall, unfollow."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from iotic_app import IOTAccessDenied, IOTUnknown
from iotic_app.datatypes import Datatypes, Units


@pytest.fixture
def pair(make_client: Any) -> tuple[Any, Any, Any, Any]:
    """A sharer with a public thing and feed, and a follower with a thing."""
    sharer = make_client("sharer")
    follower = make_client("follower")
    thing = sharer.create_thing("sensor")
    thing.set_public()
    feed = thing.create_feed("temp", save_recent=5)
    return sharer, follower, feed, follower.create_thing("display")


def test_follower_gets_feed_data_with_the_documented_keys(pair: Any, collector: Any) -> None:
    _, _, feed, display = pair
    remote = display.follow(feed.guid, callback=collector)
    assert remote.guid == feed.guid
    when = datetime(2024, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    feed.share({"celsius": 21.5, "ok": True, "tags": ["a", None]}, time=when)
    (args,) = collector.wait(1)
    assert set(args) == {"data", "mime", "pid", "time"}
    assert args["data"] == {"celsius": 21.5, "ok": True, "tags": ["a", None]}
    assert args["mime"] is None
    assert args["pid"] == feed.guid
    assert args["time"] == when and args["time"].tzinfo is not None
    assert args["time"].utcoffset() == timedelta(0)


def test_numbers_of_any_size_and_nested_data_arrive_equal(pair: Any, collector: Any) -> None:
    _, _, feed, display = pair
    display.follow(feed.guid, callback=collector)
    data = {"big": 2**70, "neg": -(2**65), "tiny": 5e-324, "huge": 1e300, "n": [1, {"é": "ü"}]}
    feed.share(data)
    (args,) = collector.wait(1)
    assert args["data"] == data


def test_default_time_is_now_in_utc(pair: Any, collector: Any) -> None:
    _, _, feed, display = pair
    display.follow(feed.guid, callback=collector)
    before = datetime.now(timezone.utc)
    feed.share("hello")
    (args,) = collector.wait(1)
    assert before <= args["time"] <= datetime.now(timezone.utc)
    assert args["data"] == "hello"


def test_bytes_with_mime_and_str_with_mime(pair: Any, collector: Any) -> None:
    _, _, feed, display = pair
    display.follow(feed.guid, callback=collector)
    feed.share(b"\x00\x01", mime="application/x-raw")
    feed.share("héllo", mime="text/plain")
    feed.share(b"raw")
    got = [(c["data"], c["mime"]) for c in collector.wait(3)]
    assert got == [
        (b"\x00\x01", "application/x-raw"),
        ("héllo".encode(), "text/plain"),
        (b"raw", "application/octet-stream"),
    ]


@pytest.mark.needs("one_order")  # its get_recent at the end: the sharer's last retained copy
def test_each_follower_gets_its_own_copy_in_order(make_client: Any, pair: Any) -> None:
    _sharer, _follower, feed, display = pair
    other = make_client("other").create_thing("x")
    seen: dict[str, list[Any]] = {"a": [], "b": []}
    done = threading.Barrier(3)

    def follow(key: str) -> Any:
        def callback(args: dict[str, Any]) -> None:
            args["data"]["n"] = "mutated"  # must not leak to anyone else
            seen[key].append(args["data"])
            if len(seen[key]) == 50:
                done.wait(5)

        return callback

    display.follow(feed.guid, callback=follow("a"))
    other.follow(feed.guid, callback=follow("b"))
    source = {"n": 0, "nested": {"x": [1, 2]}}
    for n in range(50):
        source["n"] = n
        feed.share(source)
    done.wait(5)
    for key in "ab":
        assert [d["nested"] for d in seen[key]] == [{"x": [1, 2]}] * 50
    recent = display.follow(feed.guid).get_recent(5)
    assert [r["data"]["n"] for r in recent] == [45, 46, 47, 48, 49]


def test_parsed_callback_values_and_filter_by(pair: Any, collector: Any) -> None:
    _, _, feed, display = pair
    feed.create_value(
        "celsius", Datatypes.DECIMAL, description="water temperature", unit=Units.CELSIUS
    )
    feed.create_value("level", Datatypes.INTEGER, unit=Units.PERCENT)
    feed.create_value("at", Datatypes.DATETIME)
    feed.create_value("note", Datatypes.STRING)
    display.follow(feed.guid, callback_parsed=collector)
    template = feed.get_template()
    template.values.celsius = 61.5
    template.values.level = 80
    template.values.at = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    feed.share(template)
    (args,) = collector.wait(1)
    parsed = args["parsed"]
    assert args["data"] == {"celsius": 61.5, "level": 80, "at": "2024-01-02T03:04:05+00:00"}
    assert parsed.values.celsius == 61.5
    assert parsed.values.at == datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert parsed.values.note is None
    assert [v.label for v in parsed.filter_by(units=[Units.CELSIUS])] == ["celsius"]
    assert [v.label for v in parsed.filter_by(types=[Datatypes.INTEGER])] == ["level"]
    assert [v.label for v in parsed.filter_by(text=["water"])] == ["celsius"]
    assert [v.label for v in parsed.filter_by(text=["note"], include_unset=True)] == ["note"]
    assert parsed.filter_by(types=[Datatypes.INTEGER], units=[Units.CELSIUS]) == []


def test_template_checks_types_and_labels(pair: Any) -> None:
    _, _, feed, _ = pair
    feed.create_value("level", Datatypes.UNSIGNED_BYTE)
    template = feed.get_template()
    with pytest.raises(AttributeError, match="nope"):
        template.values.nope = 1
    template.values.level = "high"
    with pytest.raises(TypeError, match="level"):
        feed.share(template)
    template.values.level = 300
    with pytest.raises(ValueError, match="level"):
        feed.share(template)


def test_unparsable_data_falls_back_to_plain_callback(pair: Any, collector: Any) -> None:
    _, _, feed, display = pair
    parsed_calls: list[Any] = []
    display.follow(feed.guid, callback=collector, callback_parsed=parsed_calls.append)
    feed.share(b"\x00", mime="application/x-raw")
    feed.share({"a": 1})
    calls = collector.wait(1)
    assert calls[0]["data"] == b"\x00"
    assert "parsed" not in calls[0]
    # the dict parses: it goes to callback_parsed, not to callback
    done = threading.Event()
    display.follow(feed.guid, callback_parsed=lambda a: done.set())
    feed.share({"b": 2})
    assert done.wait(5)


def test_get_recent_and_get_last(pair: Any, eventually: Any) -> None:
    sharer, _, feed, display = pair
    remote = display.follow(feed.guid)
    assert remote.get_last() is None
    assert remote.get_recent(3) == []
    for n in range(7):
        feed.share({"n": n})
    # on MQTT share() returns once the value is in the outbox; the broker has it a moment later
    assert eventually(lambda: [r["data"]["n"] for r in remote.get_recent(3)] == [4, 5, 6])
    assert [r["data"]["n"] for r in remote.get_recent(100)] == [2, 3, 4, 5, 6]
    last = remote.get_last()
    assert last is not None and last["data"] == {"n": 6} and last["mime"] is None
    only_last = sharer.get_thing("sensor").create_feed("plain")
    only_last.share("x")
    plain = display.follow(only_last.guid)
    assert eventually(lambda: [r["data"] for r in plain.get_recent(10)] == ["x"])


def test_follow_own_feed_by_lid_pid(make_client: Any, collector: Any) -> None:
    client = make_client()
    thing = client.create_thing("t")  # private: own points are followable anyway
    feed = thing.create_feed("f")
    remote = thing.follow(("t", "f"), callback=collector)
    assert remote.guid == feed.guid
    feed.share(1)
    assert collector.wait(1)[0]["data"] == 1
    with pytest.raises(IOTUnknown):
        thing.follow(("t", "missing"))


def test_follow_errors(make_client: Any, pair: Any) -> None:
    sharer, _, _feed, display = pair
    private = sharer.create_thing("private")
    hidden = private.create_feed("f")
    control = sharer.get_thing("sensor").create_control("c")
    with pytest.raises(IOTAccessDenied):
        display.follow(hidden.guid)
    with pytest.raises(IOTUnknown):
        display.follow("f" * 32)
    with pytest.raises(IOTUnknown, match="Control"):
        display.follow(control.guid)
    with pytest.raises(IOTUnknown):
        display.follow(("sensor", "temp"))  # a (lid, pid) names the agent's own things only


def test_unfollow_stops_delivery(make_client: Any, pair: Any, collector: Any) -> None:
    _, _follower, feed, display = pair
    remote = display.follow(feed.guid, callback=collector)
    assert display.list_connections() == {remote.subid: {"type": "Feed", "guid": feed.guid}}
    feed.share(1)
    collector.wait(1)
    display.unfollow(remote)
    assert display.list_connections() == {}
    witness = make_client("witness").create_thing("w")
    seen = threading.Event()
    witness.follow(feed.guid, callback=lambda a: seen.set())
    feed.share(2)
    assert seen.wait(5)
    assert [c["data"] for c in collector.calls] == [1]
    with pytest.raises(IOTUnknown):
        display.unfollow(remote.subid)


def test_unfollow_by_guid(pair: Any) -> None:
    _, _, feed, display = pair
    display.follow(feed.guid)
    display.unfollow(feed.guid)
    assert display.list_connections() == {}


def test_catchall_feeddata(pair: Any, collector: Any) -> None:
    _, follower, feed, display = pair
    follower.register_catchall_feeddata(collector)
    display.follow(feed.guid)
    feed.share({"n": 1})
    (args,) = collector.wait(1)
    assert args["data"] == {"n": 1} and args["pid"] == feed.guid


def test_callbacks_run_on_one_worker_thread_not_the_callers(pair: Any, collector: Any) -> None:
    _, _, feed, display = pair
    display.follow(feed.guid, callback=collector)
    for n in range(20):
        feed.share(n)
    collector.wait(20)
    assert threading.current_thread() not in collector.threads
    assert len(set(collector.threads)) == 1
    assert [c["data"] for c in collector.calls] == list(range(20))


@pytest.mark.needs("mqtt5")
def test_followers_in_a_group_share_the_load(make_client: Any, pair: Any, collector: Any) -> None:
    """Each value reaches exactly one member of the group; a plain follower gets them all."""
    _, _, feed, display = pair
    received: list[list[int]] = [[], [], []]
    done = threading.Condition()

    def member(i: int) -> Any:
        def callback(args: dict[str, Any]) -> None:
            with done:
                received[i].append(args["data"]["n"])
                done.notify_all()

        return callback

    for i in range(3):
        worker = make_client(f"worker{i}").create_thing("worker")
        worker.follow(feed.guid, callback=member(i), group="pool")
    display.follow(feed.guid, callback=collector)
    values = list(range(60))
    for n in values:
        feed.share({"n": n})
    with done:
        assert done.wait_for(lambda: sum(map(len, received)) >= len(values), 10)
    assert sorted(n for got in received for n in got) == values  # each value exactly once
    assert sum(1 for got in received if got) >= 2  # the load is shared
    assert [args["data"]["n"] for args in collector.wait(len(values))] == values


@pytest.mark.parametrize(
    ("group", "error"), [("a/b", ValueError), ("", ValueError), (7, TypeError)]
)
def test_a_bad_group_name_is_refused(pair: Any, group: Any, error: type[Exception]) -> None:
    _, _, feed, display = pair
    with pytest.raises(error, match="group must be"):
        display.follow(feed.guid, group=group)


def test_a_value_that_arrives_while_follow_returns_is_parsed_with_its_feed(
    pair: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A value can reach the callback before ``follow()`` has returned (the sharer shares all
    the time): it is delivered with the feed's guid, parsed, like any other."""
    _, _, feed, display = pair
    feed.create_value("n", Datatypes.INTEGER)
    got: list[tuple[str, int]] = []
    first = threading.Event()
    stop = threading.Event()

    def on_value(args: dict[str, Any]) -> None:
        got.append((args["pid"], args["parsed"].values.n))
        first.set()

    def share() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            feed.share({"n": n})
            stop.wait(0.0005)

    sharer = threading.Thread(target=share)
    sharer.start()
    try:
        with caplog.at_level(logging.WARNING):
            for _ in range(15):
                first.clear()
                remote = display.follow(feed.guid, callback_parsed=on_value)
                assert first.wait(5), "no value arrived"
                display.unfollow(remote)
    finally:
        stop.set()
        sharer.join(5)
    assert {pid for pid, _ in got} == {feed.guid}
    assert "callback raised" not in caplog.text
