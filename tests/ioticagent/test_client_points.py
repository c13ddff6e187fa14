"""The classic points' listings, recent config and templates (issue 11's later items), on
local:// and MQTT."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from conftest_mqtt import StockMqttSpace

from iotic_app.ioticagent import IOT, Datatypes, Units
from iotic_app.ioticagent.IOT.RemotePoint import RemoteControl, RemoteFeed


class _LocalSpace:
    def __init__(self) -> None:
        self.name = f"compat-points-{uuid.uuid4().hex[:8]}"

    def url(self, agent: str) -> str:
        return f"local://{self.name}?agent={agent}"


SPACES: dict[str, Callable[[], Any]] = {"local": _LocalSpace, "mqtt": StockMqttSpace}


@pytest.fixture(params=sorted(SPACES))
def space(request: pytest.FixtureRequest) -> Any:
    return SPACES[request.param]()


@pytest.fixture
def client(space: Any) -> Iterator[IOT.Client]:
    with IOT.Client(space.url("agent1")) as agent1:
        yield agent1


class Collector:
    """A callback recording its argument dicts; wait(n) for n calls."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self._cond = threading.Condition()

    def __call__(self, args: dict[str, Any]) -> None:
        with self._cond:
            self.calls.append(args)
            self._cond.notify_all()

    def wait(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.calls) >= count, timeout):
                pytest.fail(f"expected {count} callbacks within {timeout} s, got {len(self.calls)}")
            return list(self.calls)


def test_list_feeds_and_list_controls(client: IOT.Client) -> None:
    thing = client.create_thing("lister")
    feeds = [thing.create_feed(pid) for pid in ("f1", "f2", "f3")]
    control = thing.create_control("c1", None)
    assert thing.list_feeds() == {feed.pid: {"id": feed.guid} for feed in feeds}
    assert thing.list_controls() == {"c1": {"id": control.guid}}
    assert list(thing.list_feeds(limit=1, offset=1)) == ["f2"]
    assert thing.list_feeds(2, 2) == {"f3": {"id": feeds[2].guid}}
    thing.delete_feed("f1")
    assert list(thing.list_feeds()) == ["f2", "f3"]
    assert client.create_thing("empty").list_controls() == {}
    with pytest.raises(TypeError, match="limit"):
        thing.list_feeds(limit="5")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"offset must be a non-negative int, got -1"):
        thing.list_controls(offset=-1)


def test_point_list_gives_the_values_in_0_7_0_s_shape(client: IOT.Client) -> None:
    feed = client.create_thing("values").create_feed("f")
    feed.create_value("temp", Datatypes.DECIMAL, "en", "The temperature", Units.CELSIUS)
    feed.create_value("count", Datatypes.INTEGER)
    feed.create_value("name", Datatypes.STRING, lang="fr", description="Le nom")
    assert feed.list() == [
        {
            "label": "temp",
            "type": Datatypes.DECIMAL,
            "unit": Units.CELSIUS,
            "comment": {"en": "The temperature"},
        },
        {"label": "count", "type": Datatypes.INTEGER, "unit": None, "comment": {}},
        {"label": "name", "type": Datatypes.STRING, "unit": None, "comment": {"fr": "Le nom"}},
    ]
    assert [value["label"] for value in feed.list(limit=1, offset=1)] == ["count"]
    assert client.create_thing("values").create_control("c", None).list() == []


def test_delete_value_one_or_all(client: IOT.Client) -> None:
    feed = client.create_thing("values").create_feed("f")
    for label in ("a", "b", "c"):
        feed.create_value(label, Datatypes.INTEGER)
    feed.delete_value("b")
    assert [value["label"] for value in feed.list()] == ["a", "c"]
    assert [value["label"] for value in client.describe(feed)["meta"]["values"]] == ["a", "c"]
    feed.delete_value(label="unknown")
    feed.delete_value()
    assert feed.list() == [] and client.describe(feed.guid)["meta"]["values"] == []


def test_recent_info_and_config(client: IOT.Client) -> None:
    thing = client.create_thing("recent")
    feed = thing.create_feed("f")
    assert feed.get_recent_info() == {"maxSamples": 0, "count": 0}
    assert feed.set_recent_config(5) == {"maxSamples": 5}
    follower = client.create_thing("follower")
    got = Collector()
    follower.follow(feed.guid, got)
    for count in range(7):
        feed.share({"n": count})
    got.wait(7)
    assert feed.get_recent_info() == {"maxSamples": 5, "count": 5}
    assert feed.set_recent_config(0) == {"maxSamples": 5}  # cannot be turned off: kept
    assert feed.set_recent_config(-1) == {"maxSamples": 1000}
    assert feed.set_recent_config(max_samples=5000) == {"maxSamples": 1000}
    assert thing.get_feed("f").get_recent_info()["maxSamples"] == 1000
    with pytest.raises(TypeError, match="max_samples must be an int, got '3'"):
        feed.set_recent_config("3")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="max_samples"):
        feed.set_recent_config(True)


def test_a_template_s_unset_empty_and_missing(client: IOT.Client) -> None:
    """0.7.0's PointDataObject: empty and missing tell what is not set, unset() clears."""
    feed = client.create_thing("template").create_feed("f")
    feed.create_value("a", Datatypes.INTEGER)
    feed.create_value("b", Datatypes.STRING)
    template = feed.get_template()
    assert template.empty
    assert [value.label for value in template.missing] == ["a", "b"]
    template.values.a = 1
    assert not template.empty
    assert [value.label for value in template.missing] == ["b"]
    template.values.b = "x"
    assert template.missing == [] and template.to_data() == {"a": 1, "b": "x"}
    template.unset()
    assert template.empty and template.to_data() == {}
    assert [value.label for value in template.missing] == ["a", "b"]


def test_a_parsed_sample_tells_what_it_lacks(client: IOT.Client) -> None:
    feed = client.create_thing("parsed").create_feed("f")
    feed.create_value("a", Datatypes.INTEGER)
    feed.create_value("b", Datatypes.INTEGER)
    got = Collector()
    client.create_thing("reader").follow(feed.guid, callback_parsed=got)
    feed.share({"a": 1})
    [args] = got.wait(1)
    parsed = args["parsed"]
    assert not parsed.empty and [value.label for value in parsed.missing] == ["b"]


# --- remote points: get_remote_feed/control, simulate ------------------------------------------


def _sharer(client: IOT.Client) -> Any:
    feed = client.create_thing("sharer").create_feed("f")
    feed.create_value("n", Datatypes.INTEGER)
    return feed


def test_get_remote_feed_and_control_by_guid_lid_pid_or_subid(client: IOT.Client) -> None:
    feed = _sharer(client)
    control = client.create_thing("sharer").create_control("c", None)
    follower = client.create_thing("follower")
    followed = follower.follow(feed.guid)
    attached = follower.attach(("sharer", "c"))
    for gpid in (feed.guid, ("sharer", "f"), followed.subid):
        remote = follower.get_remote_feed(gpid)
        assert isinstance(remote, RemoteFeed)
        assert (remote.subid, remote.guid, remote.lid) == (followed.subid, feed.guid, "follower")
    for gpid in (control.guid, ("sharer", "c"), attached.subid):
        remote_control = follower.get_remote_control(gpid)
        assert isinstance(remote_control, RemoteControl)
        assert (remote_control.subid, remote_control.guid) == (attached.subid, control.guid)
    with pytest.raises(KeyError, match="follows no feed"):
        client.create_thing("other").get_remote_feed(feed.guid)
    with pytest.raises(KeyError, match="is attached to no control"):
        follower.get_remote_control(("sharer", "nothing"))
    with pytest.raises(ValueError, match=r"a follow: call get_remote_feed\(\) instead"):
        follower.get_remote_control(feed.guid)
    with pytest.raises(ValueError, match=r"an attach: call get_remote_control\(\) instead"):
        follower.get_remote_feed(control.guid)
    with pytest.raises(ValueError, match=r"must name a control subscription .* a feed one"):
        follower.get_remote_control(followed.subid)
    follower.unfollow(followed)
    with pytest.raises(KeyError):
        follower.get_remote_feed(feed.guid)


def test_simulate_reaches_the_follow_s_callbacks_only(client: IOT.Client) -> None:
    """RemoteFeed.simulate: the follow's callback gets 0.7.0's dict (naive UTC time, parsed);
    other followers and the feed's store get nothing (no network)."""
    feed = _sharer(client)
    mine, plain, other = Collector(), Collector(), Collector()
    remote = client.create_thing("follower").follow(feed.guid, plain, callback_parsed=mine)
    client.create_thing("bystander").follow(feed.guid, other)
    remote.simulate({"n": 5})
    [args] = mine.wait(1)
    assert args["data"] == {"n": 5} and args["mime"] is None and args["pid"] == feed.guid
    assert args["time"].tzinfo is None and args["parsed"].values.n == 5
    client.get_thing("follower").get_remote_feed(feed.guid).simulate(b"raw", mime="x/y")
    [raw] = plain.wait(1)  # not parsed (a mime type): the plain callback
    assert (raw["data"], raw["mime"]) == (b"raw", "x/y")
    feed.share({"n": 1})  # a real share afterwards reaches both, after the simulated ones
    assert [call["data"] for call in other.wait(1)] == [{"n": 1}]
    assert mine.wait(2)[1]["data"] == {"n": 1}
    assert [sample["data"] for sample in remote.get_recent(10)] == [{"n": 1}]
    with pytest.raises(TypeError, match="mime"):
        remote.simulate(b"raw", mime=3)  # type: ignore[arg-type]


def test_simulate_feeddata_reaches_every_follow_else_the_catchall(client: IOT.Client) -> None:
    feed = _sharer(client)
    first, second, catchall = Collector(), Collector(), Collector()
    client.register_catchall_feeddata(catchall)
    client.create_thing("one").follow(feed.guid, first)
    client.create_thing("two").follow(feed.guid, second)
    when = datetime(2020, 5, 1, 12, 0)
    client.simulate_feeddata(feed.guid, {"n": 2}, time=when)
    for got in (first, second):
        [args] = got.wait(1)
        assert args["data"] == {"n": 2} and args["time"] == when
    unfollowed = "0" * 32
    client.simulate_feeddata(unfollowed, "text")
    [args] = catchall.wait(1)
    assert args["pid"] == unfollowed and args["data"] == "text"
    assert len(first.calls) == 1 and len(second.calls) == 1
    with pytest.raises(TypeError, match="feed_guid"):
        client.simulate_feeddata(None, {})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="time"):
        client.simulate_feeddata(feed.guid, {}, time="now")  # type: ignore[arg-type]


def test_get_remote_feed_of_a_follow_kept_from_an_earlier_client(space: Any) -> None:
    with IOT.Client(space.url("agent1")) as first:
        feed = _sharer(first)
        subid = first.create_thing("follower").follow(feed.guid).subid
        with IOT.Client(space.url("agent1")) as later:
            remote = later.get_thing("follower").get_remote_feed(("sharer", "f"))
            assert (remote.subid, remote.guid) == (subid, feed.guid)
            got = Collector()
            later.register_catchall_feeddata(got)
            remote.simulate({"n": 9})
            assert got.wait(1)[0]["data"] == {"n": 9}
