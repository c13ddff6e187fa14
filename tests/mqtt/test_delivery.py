"""MQTT delivery: held values of an earlier run, retained copies, gaps the broker leaves, and
hostile or odd payloads on a followed topic. Against Mosquitto with its stock settings unless a
test needs another (in-flight limit 20: a value left unacknowledged shows as a stall)."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from broker import HOST, Broker
from conftest_mqtt import NEEDS_V5, external_broker, run_level
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.subscribeoptions import SubscribeOptions

from iotic_app.client import Client
from iotic_app.transports.mqtt._outbox import Outbox

pytestmark = pytest.mark.fixed_root  # names iotic/... topics itself

PATIENCE = 20.0


class Numbers:
    """A follow callback that records ``data['n']`` (or the data when it has none)."""

    def __init__(self) -> None:
        self.got: list[Any] = []
        self.cond = threading.Condition()

    def __call__(self, args: dict[str, Any]) -> None:
        with self.cond:
            data = args["data"]
            self.got.append(data["n"] if isinstance(data, dict) and "n" in data else data)
            self.cond.notify_all()

    def wait_for(self, last: Any, timeout: float = PATIENCE) -> list[Any]:
        with self.cond:
            if not self.cond.wait_for(lambda: last in self.got, timeout):
                pytest.fail(f"{last!r} did not arrive within {timeout} s; got {self.got}")
            return list(self.got)


def url_for(broker: Broker, agent: str, tmp_path: Path, **extra: str) -> str:
    query = "".join(f"&{k}={v}" for k, v in extra.items())
    return f"{broker.url}?agent={agent}&outbox={tmp_path / 'outbox'}{query}"


def eventually(check: Callable[[], Any], timeout: float = PATIENCE) -> Any:
    pause = threading.Event()
    for _ in range(int(timeout / 0.01)):
        result = check()
        if result:
            return result
        pause.wait(0.01)
    pytest.fail(f"condition not met within {timeout} s")


class Publisher:
    """A plain paho client: what a foreign (or hostile) publisher sends."""

    def __init__(self, broker: Broker) -> None:
        self.paho = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=run_level())
        self.paho.connect(HOST, broker.port)
        self.paho.loop_start()

    def publish(self, topic: str, payload: bytes | str, retain: bool = False) -> None:
        self.paho.publish(topic, payload, qos=1, retain=retain).wait_for_publish(PATIENCE)

    def close(self) -> None:
        self.paho.disconnect()
        self.paho.loop_stop()


@pytest.fixture
def publisher(stock_broker: Broker) -> Any:
    pub = Publisher(stock_broker)
    yield pub
    pub.close()


@pytest.fixture
def sharer(stock_broker: Broker, tmp_path: Path) -> Any:
    client = Client(url_for(stock_broker, "sharer", tmp_path))
    client.start()
    thing = client.create_thing("sensor")
    thing.set_public()
    yield client, thing.create_feed("a"), thing.create_feed("b")
    client.stop()


def _topic(pid: str) -> str:
    return f"iotic/sharer/sensor/feed/{pid}"


# --- follows of an earlier run --------------------------------------------------------------


def test_values_for_a_kept_follow_no_run_makes_again_are_held_for_it(
    stock_broker: Broker, tmp_path: Path, sharer: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """The follow is kept on the broker: a later run lists it and holds its values (however
    long it takes to follow again), and closing with values held logs how many it drops."""
    _, feed_a, feed_b = sharer
    first = Client(url_for(stock_broker, "follower", tmp_path))
    with first:
        display = first.create_thing("display")
        kept = display.follow(feed_a.guid, callback=Numbers())
        display.follow(feed_b.guid, callback=Numbers())
    for n in range(30):
        feed_a.share({"n": n})
    second = Client(url_for(stock_broker, "follower", tmp_path))
    transport = second._transport
    transport.held_for = 0.3  # type: ignore[attr-defined]
    other = Numbers()
    with caplog.at_level(logging.WARNING, logger="iotic_app.mqtt"), second:
        thing = second.get_thing("display")
        thing.follow(feed_b.guid, callback=other)
        eventually(lambda: transport.held().get(_topic("a")) == 30)  # type: ignore[attr-defined]
        feed_b.share({"n": 0})
        other.wait_for(0)
        assert transport.values_released == 0  # type: ignore[attr-defined]
        assert kept.subid in thing.list_connections()
    assert "closing with 30 value(s) held for it" in caplog.text
    assert second.values_missed == 0


def test_values_of_a_subscription_no_kept_follow_claims_are_released_and_logged(
    stock_broker: Broker,
    tmp_path: Path,
    sharer: Any,
    publisher: Publisher,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The broker's session has a subscription that no thing's record keeps (the record was
    lost): its values are held for ``held_for`` seconds, then dropped, logged, unsubscribed."""
    _, feed_a, feed_b = sharer
    first = Client(url_for(stock_broker, "follower", tmp_path))
    with first:
        display = first.create_thing("display")
        display.follow(feed_a.guid, callback=Numbers())
        display.follow(feed_b.guid, callback=Numbers())
    publisher.publish("iotic/follower/display/subs", b"", retain=True)  # the record is lost
    for n in range(30):
        feed_a.share({"n": n})
    second = Client(url_for(stock_broker, "follower", tmp_path))
    transport = second._transport
    transport.held_for = 0.3  # type: ignore[attr-defined]
    other = Numbers()
    with caplog.at_level(logging.WARNING, logger="iotic_app.mqtt"), second:
        assert second.get_thing("display").list_connections() == {}
        second.get_thing("display").follow(feed_b.guid, callback=other)
        eventually(lambda: transport.values_released == 30)  # type: ignore[attr-defined]
        assert "released 30 value(s) of 'iotic/sharer/sensor/feed/a'" in caplog.text
        # the earlier run's subscription is gone: new values of feed a no longer come
        for n in range(30, 40):
            feed_a.share({"n": n})
        feed_b.share({"n": 0})
        other.wait_for(0)
        assert not transport.held()  # type: ignore[attr-defined]
        assert transport.values_released == 30  # type: ignore[attr-defined]
        assert second.values_missed == 0


def test_a_run_that_follows_again_in_time_gets_the_held_values_first(
    stock_broker: Broker, tmp_path: Path, sharer: Any
) -> None:
    _, feed_a, _ = sharer
    with Client(url_for(stock_broker, "follower", tmp_path)) as first:
        first.create_thing("display").follow(feed_a.guid, callback=Numbers())
    for n in range(50):
        feed_a.share({"n": n})
    with Client(url_for(stock_broker, "follower", tmp_path)) as second:
        transport = second._transport
        eventually(lambda: transport.held().get(_topic("a"), 0) >= 20)  # type: ignore[attr-defined]
        numbers = Numbers()
        second.get_thing("display").follow(feed_a.guid, callback=numbers)
        feed_a.share({"n": 50})
        assert numbers.wait_for(50) == list(range(51))


# --- the retain flag ------------------------------------------------------------------------


@NEEDS_V5  # subscribes with MQTT 5's retain-as-published
def test_values_that_arrive_with_the_retain_flag_are_delivered_once_in_order(
    stock_broker: Broker, tmp_path: Path, sharer: Any
) -> None:
    """aedes sets the retain flag on the values it queued for a session; a subscription with
    'retain as published' makes Mosquitto do the same (the engine seam has no such option:
    the test subscribes through paho's, on the paho engine; what it tests is the router's)."""
    _, feed_a, _ = sharer
    with Client(url_for(stock_broker, "follower", tmp_path, engine="paho")) as follower:
        numbers = Numbers()
        follower.create_thing("display").follow(feed_a.guid, callback=numbers)
        conn = follower._transport._conn_in_service  # type: ignore[attr-defined]
        # (Mosquitto keeps the options of a subscription made again: use another filter)
        _, mid = conn.engine.paho.unsubscribe(_topic("a"))
        assert conn.result(mid, PATIENCE) is not None
        options = SubscribeOptions(qos=1, retainAsPublished=True, retainHandling=2)
        _, mid = conn.engine.paho.subscribe(_topic("+"), options=options)
        assert conn.result(mid, PATIENCE) == 1
        for n in range(40):
            feed_a.share({"n": n})
        assert numbers.wait_for(39) == list(range(40))


def test_get_recent_does_not_hand_a_follow_the_value_from_before_it(
    stock_broker: Broker, tmp_path: Path, sharer: Any
) -> None:
    _, feed_a, _ = sharer
    feed_a.share({"n": 0})
    with Client(url_for(stock_broker, "follower", tmp_path)) as follower:
        numbers = Numbers()
        remote = follower.create_thing("display").follow(feed_a.guid, callback=numbers)
        assert [r["data"] for r in remote.get_recent(1)] == [{"n": 0}]
        feed_a.share({"n": 1})
        assert numbers.wait_for(1) == [1]


def test_a_group_follow_on_mqtt_3_1_1_is_a_clear_error(
    stock_broker: Broker, tmp_path: Path, sharer: Any
) -> None:
    _, feed_a, _ = sharer
    with Client(url_for(stock_broker, "follower", tmp_path, protocol="3.1.1")) as follower:
        display = follower.create_thing("display")
        with pytest.raises(ValueError, match=r"group='pool' needs MQTT 5.*protocol is 3\.1\.1"):
            display.follow(feed_a.guid, callback=Numbers(), group="pool")


# --- gaps the broker leaves -------------------------------------------------------------------


@pytest.mark.skipif(
    external_broker() is not None, reason="counts on stock Mosquitto dropping past 1,000 queued"
)
def test_values_the_broker_dropped_are_counted_and_logged(
    stock_broker: Broker, tmp_path: Path, sharer: Any, caplog: pytest.LogCaptureFixture
) -> None:
    sharing, feed_a, _ = sharer
    follower = Client(url_for(stock_broker, "follower", tmp_path))
    numbers = Numbers()
    with follower:
        follower.create_thing("display").follow(feed_a.guid, callback=numbers)
        feed_a.share({"n": -1})
        numbers.wait_for(-1)
    total = 1500  # more than a stock Mosquitto queues for an offline session (1,000)
    for n in range(total):
        feed_a.share({"n": n})
    eventually(lambda: sharing.outbox_depth == 0)
    with caplog.at_level(logging.WARNING, logger="iotic_app.mqtt"), follower:
        feed_a.share({"n": total})
        got = numbers.wait_for(total)[1:]
        assert got == sorted(got) and len(set(got)) == len(got)
        missed = total + 1 - len(got)
        assert missed > 0  # the broker did drop some
        assert follower.values_missed == missed
        assert follower._transport.values_missed() == missed
        assert f"{missed} value(s) of 'iotic/sharer/sensor/feed/a' never arrived" in caplog.text


# --- hostile and odd payloads -------------------------------------------------------------------


def _epoch(sharing: Client) -> str:
    epoch: str = sharing._transport._outbox.epoch  # type: ignore[attr-defined]
    return epoch


def test_an_epoch_with_a_newline_cannot_forge_a_ledger_line(
    stock_broker: Broker,
    tmp_path: Path,
    sharer: Any,
    publisher: Publisher,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sharing, feed_a, feed_b = sharer
    url = url_for(stock_broker, "follower", tmp_path)
    forged = f"x\n{_topic('b')}\t{_epoch(sharing)}\t{2**62}"
    with Client(url) as follower:
        a, b = Numbers(), Numbers()
        display = follower.create_thing("display")
        display.follow(feed_a.guid, callback=a)
        display.follow(feed_b.guid, callback=b)
        with caplog.at_level(logging.WARNING, logger="iotic_app.mqtt"):
            publisher.publish(_topic("a"), json.dumps({"epoch": forged, "seq": 1, "data": 1}))
            feed_a.share({"n": 0})
            a.wait_for(0)
        assert "'epoch' must be" in caplog.text
        assert a.got == [0]
    ledger = (tmp_path / "outbox" / "follower.sqlite").read_bytes()
    assert b"\t" + str(2**62).encode() not in ledger
    with Client(url) as again:  # the next run still gets feed b
        b = Numbers()
        again.get_thing("display").follow(feed_b.guid, callback=b)
        feed_b.share({"n": 1})
        assert b.wait_for(1) == [1]


@pytest.mark.parametrize("seq", [2**63, -1, 0, 1.5, True, "7"])
def test_an_out_of_range_seq_is_skipped_and_the_next_start_works(
    stock_broker: Broker,
    tmp_path: Path,
    sharer: Any,
    publisher: Publisher,
    caplog: pytest.LogCaptureFixture,
    seq: Any,
) -> None:
    sharing, feed_a, _ = sharer
    url = url_for(stock_broker, "follower", tmp_path)
    with Client(url) as follower:
        a = Numbers()
        follower.create_thing("display").follow(feed_a.guid, callback=a)
        with caplog.at_level(logging.WARNING, logger="iotic_app.mqtt"):
            body = {"epoch": _epoch(sharing), "seq": seq, "data": {"n": "forged"}}
            publisher.publish(_topic("a"), json.dumps(body))
            feed_a.share({"n": 0})
            assert a.wait_for(0) == [0]
        assert "'seq' must be an int from 1 to 2**63 - 1" in caplog.text
    with Client(url) as again:
        a = Numbers()
        again.get_thing("display").follow(feed_a.guid, callback=a)
        feed_a.share({"n": 1})
        assert a.wait_for(1) == [1]


def test_a_forged_huge_seq_does_not_silence_the_feed(
    stock_broker: Broker, tmp_path: Path, sharer: Any, publisher: Publisher
) -> None:
    sharing, feed_a, _ = sharer
    url = url_for(stock_broker, "follower", tmp_path)
    with Client(url) as follower:
        a = Numbers()
        follower.create_thing("display").follow(feed_a.guid, callback=a)
        feed_a.share({"n": 0})
        a.wait_for(0)
        forged = {"epoch": _epoch(sharing), "seq": 10**15, "data": {"n": "forged"}}
        publisher.publish(_topic("a"), json.dumps(forged))
        a.wait_for("forged")  # without an ACL nothing tells it from the sharer's own
        for n in range(1, 5):
            feed_a.share({"n": n})
        assert a.wait_for(4) == [0, "forged", 1, 2, 3, 4]
    with Client(url) as again:  # and after a restart (the ledger)
        a = Numbers()
        again.get_thing("display").follow(feed_a.guid, callback=a)
        feed_a.share({"n": 5})
        assert a.wait_for(5) == [5]


def test_a_copy_from_an_earlier_epoch_does_not_turn_duplicate_checks_off(
    stock_broker: Broker, tmp_path: Path, sharer: Any, publisher: Publisher
) -> None:
    """A broker restored from an older snapshot resends a value of the sharer's earlier outbox
    (another epoch) between the current one's values: it is a duplicate of that epoch, and the
    current epoch's resent copies stay duplicates too (each epoch is checked on its own), also
    after the follower restarts."""
    _, feed_a, _ = sharer
    url = url_for(stock_broker, "follower", tmp_path)

    def send(epoch: str, seq: int) -> None:
        body = {"epoch": epoch, "seq": seq, "n": seq, "data": f"{epoch}{seq}"}
        publisher.publish(_topic("a"), json.dumps(body))

    with Client(url) as follower:
        got = Numbers()
        follower.create_thing("display").follow(feed_a.guid, callback=got)
        for epoch in ("aaaa", "bbbb"):
            for seq in (1, 2, 3):
                send(epoch, seq)
        got.wait_for("bbbb3")
        send("aaaa", 2)  # the old epoch's copy, then copies of the current one
        send("bbbb", 2)
        send("bbbb", 3)
        send("bbbb", 4)
        assert got.wait_for("bbbb4") == [
            *(f"{e}{q}" for e in ("aaaa", "bbbb") for q in (1, 2, 3)),
            "bbbb4",
        ]
    with Client(url) as again:  # the ledger keeps both epochs
        got = Numbers()
        again.get_thing("display").follow(feed_a.guid, callback=got)
        for epoch, seq in (("aaaa", 3), ("bbbb", 4), ("aaaa", 4)):
            send(epoch, seq)
        assert got.wait_for("aaaa4") == ["aaaa4"]


def test_ints_beyond_64_bits_arrive_as_ints(
    stock_broker: Broker, tmp_path: Path, sharer: Any, publisher: Publisher
) -> None:
    _, feed_a, _ = sharer
    data = {"n": 0, "big": 2**64, "neg": -(2**63) - 1, "huge": 10**40, "f": 1.5}
    with Client(url_for(stock_broker, "follower", tmp_path)) as follower:
        got: list[Any] = []
        done = threading.Event()
        follower.create_thing("display").follow(
            feed_a.guid, callback=lambda args: (got.append(args["data"]), done.set())
        )
        feed_a.share(data)
        assert done.wait(PATIENCE)
    assert got == [data]
    assert [type(got[0][k]) for k in ("big", "neg", "huge", "f")] == [int, int, int, float]


def test_deeply_nested_json_on_a_followed_topic_is_acknowledged_and_logged(
    stock_broker: Broker,
    tmp_path: Path,
    sharer: Any,
    publisher: Publisher,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, feed_a, _ = sharer
    deep = '{"data": ' + "[" * 3000 + "]" * 3000 + "}"
    with Client(url_for(stock_broker, "follower", tmp_path)) as follower:
        a = Numbers()
        follower.create_thing("display").follow(feed_a.guid, callback=a)
        with caplog.at_level(logging.WARNING, logger="iotic_app.mqtt"):
            for _ in range(30):  # more than the broker's in-flight limit
                publisher.publish(_topic("a"), deep)
            feed_a.share({"n": 0})
            assert a.wait_for(0) == [0]
        assert caplog.text.count("nested deeper than") == 30


def test_the_ledger_refuses_what_it_cannot_store(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "x.sqlite")
    try:
        for source, epoch, seq in [
            ("t", "e\nt2\te\t9", 1),
            ("t\tx", "e", 1),
            ("t", "e", 2**63),
            ("t", "e", -1),
        ]:
            with pytest.raises(ValueError):
                outbox.mark_seen(source, epoch, seq)
        outbox.mark_seen("t", "e", 2**63 - 1)
        assert outbox.last_seen("t") == ("e", 2**63 - 1)
    finally:
        outbox.close()
    # a ledger log written by an older version, with a line no version should have written
    (tmp_path / "y.sqlite.seen").write_text(f"t\te\t{2**63}\nu\te\t\u00b2\nv\te\t5\n")
    again = Outbox(tmp_path / "y.sqlite")
    try:
        assert again.last_seen("t") is None and again.last_seen("u") is None
        assert again.last_seen("v") == ("e", 5)
    finally:
        again.close()


# --- kept follows: what a record cannot do, and follows that fail -----------------------------


def test_a_subs_record_whose_topic_is_not_its_feeds_is_not_restored(
    stock_broker: Broker,
    tmp_path: Path,
    sharer: Any,
    publisher: Publisher,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A record (forged on a broker without ACL) that pairs feed a's guid with feed b's topic:
    the next run does not restore it, so a's follow never takes b's values."""
    _, feed_a, _ = sharer
    with Client(url_for(stock_broker, "follower", tmp_path)) as first:
        kept = first.create_thing("display").follow(feed_a.guid)
    record = {
        "v": 1,
        "subs": {
            kept.subid: {"kind": "Feed", "guid": feed_a.guid, "topic": _topic("b"), "group": None}
        },
    }
    publisher.publish("iotic/follower/display/subs", json.dumps(record), retain=True)
    again = Client(url_for(stock_broker, "follower", tmp_path))
    with caplog.at_level(logging.WARNING, logger="iotic_app.mqtt"), again:
        assert again.get_thing("display").list_connections() == {}
    assert "is not the topic of" in caplog.text


def test_a_follow_that_raises_leaves_nothing_in_place(
    stock_broker: Broker, tmp_path: Path, sharer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A thing whose record would be too big: the follow raises ValueError, and neither this
    run, the broker's record nor the next run has it."""
    import iotic_app.transports.mqtt._follows as follows

    _, feed_a, feed_b = sharer
    url = url_for(stock_broker, "follower", tmp_path)
    with Client(url) as first:
        display = first.create_thing("display")
        kept = display.follow(feed_a.guid)
        monkeypatch.setattr(follows, "MAX_SUBS_BYTES", 250)
        with pytest.raises(ValueError, match=r"thing 'display' has 2 follows.*more than 250"):
            display.follow(feed_b.guid, callback=Numbers())
        assert list(display.list_connections()) == [kept.subid]
        monkeypatch.undo()
    with Client(url) as again:
        assert list(again.get_thing("display").list_connections()) == [kept.subid]


@NEEDS_V5  # groups
def test_on_mqtt_an_agents_follows_of_a_feed_are_in_one_group(
    stock_broker: Broker, tmp_path: Path, sharer: Any
) -> None:
    """One subscription per feed and agent: a second thing of the agent that follows in
    another group (or none) is refused, not silently put in the first one's; after unfollow,
    following in g2 leaves g1 to carol, who then gets every value."""
    _, feed_a, _ = sharer
    alice = Client(url_for(stock_broker, "alice", tmp_path / "a"))
    carol = Client(url_for(stock_broker, "carol", tmp_path / "c"))
    mine, hers = Numbers(), Numbers()
    with alice, carol:
        thing = alice.create_thing("t")
        first = thing.follow(feed_a.guid, callback=mine, group="g1")
        carol.create_thing("t").follow(feed_a.guid, callback=hers, group="g1")
        with pytest.raises(ValueError, match=r"group=None: agent 'alice' follows .* 'g1'"):
            alice.create_thing("other").follow(feed_a.guid)
        with pytest.raises(ValueError, match=r"group='g2': agent 'alice'"):
            alice.create_thing("other").follow(feed_a.guid, group="g2")
        thing.unfollow(first.subid)
        thing.follow(feed_a.guid, callback=mine, group="g2")
        for n in range(20):
            feed_a.share({"n": n})
        assert hers.wait_for(19) == list(range(20))
        assert mine.wait_for(19) == list(range(20))


def test_a_deleted_feeds_cleared_value_is_no_bad_payload(
    stock_broker: Broker, tmp_path: Path, sharer: Any, caplog: pytest.LogCaptureFixture
) -> None:
    client, feed_a, feed_b = sharer
    numbers = Numbers()
    with Client(url_for(stock_broker, "follower", tmp_path)) as follower:
        thing = follower.create_thing("display")
        thing.follow(feed_a.guid, callback=numbers)
        feed_a.share({"n": 1})
        numbers.wait_for(1)
        with caplog.at_level(logging.WARNING, logger="iotic_app.mqtt"):
            client.delete_thing("sensor")
            follower.describe(feed_b.guid)  # a sync: the cleared values came
    assert "not an iotic_app feed payload" not in caplog.text
    assert numbers.got == [1]


def test_values_queued_on_a_moved_feeds_old_topic_reach_the_follow_made_again(
    stock_broker: Broker, tmp_path: Path
) -> None:
    """Owner acme's thing moves from agent1 to agent2 while alice is away: her next run,
    following the guid again at once (while the broker still sends what it queued on the old
    topic), gets all of it, then the new topic's values."""
    one = Client(url_for(stock_broker, "agent1", tmp_path / "1", owner="acme"))
    one.start()
    station = one.create_thing("station")
    station.set_public()
    feed = station.create_feed("temp")
    alice_url = url_for(stock_broker, "alice", tmp_path / "a")
    with Client(alice_url) as first:
        eventually(lambda: first.describe(feed.guid))
        first.create_thing("w").follow(feed.guid, callback=Numbers())
    for n in range(900):  # under the 1,000 Mosquitto queues for an offline session
        feed.share({"n": n})
    one.delete_thing("station")
    one.close()
    two = Client(url_for(stock_broker, "agent2", tmp_path / "2", owner="acme"))
    numbers = Numbers()
    with two:
        moved = eventually(lambda: _created(two, "station"))
        moved.set_public()
        new_feed = moved.create_feed("temp")
        with Client(alice_url) as again:
            again.get_thing("w").follow(feed.guid, callback=numbers)
            new_feed.share({"n": 900})
            assert numbers.wait_for(900) == list(range(901))


def _created(client: Client, lid: str) -> Any:
    try:
        return client.create_thing(lid)
    except Exception:  # agent1's deletion is still on its way
        return None


def test_a_feed_moved_away_and_back_delivers_each_value_once(
    stock_broker: Broker, tmp_path: Path
) -> None:
    agents = {
        name: Client(url_for(stock_broker, name, tmp_path / name, owner="acme"))
        for name in ("agent1", "agent2")
    }
    numbers = Numbers()
    alice = Client(url_for(stock_broker, "alice", tmp_path / "a"))
    with agents["agent1"], agents["agent2"], alice:
        watcher = alice.create_thing("w")
        for n, name in enumerate(("agent1", "agent2", "agent1")):
            station = eventually(lambda name=name: _created(agents[name], "station"))
            station.set_public()
            feed = station.create_feed("temp")
            eventually(lambda feed=feed: alice.describe(feed.guid))
            watcher.follow(feed.guid, callback=numbers)
            feed.share({"n": n})
            assert numbers.wait_for(n) == list(range(n + 1))
            agents[name].delete_thing("station")
        feed_b = agents["agent2"].create_thing("marker").create_feed("m")
        agents["agent2"].get_thing("marker").set_public()
        eventually(lambda: alice.describe(feed_b.guid))
        watcher.follow(feed_b.guid, callback=numbers)
        feed_b.share({"n": "end"})
        assert numbers.wait_for("end") == [0, 1, 2, "end"]
