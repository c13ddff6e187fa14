"""The classic IOT.Client over iotic_app's client: 0.7.0's shapes, on local:// and MQTT."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from conftest_mqtt import StockMqttSpace

from iotic_app.ioticagent import IOT, Datatypes, Units
from iotic_app.ioticagent.Core.Const import R_CONTROL, R_FEED
from iotic_app.ioticagent.IOT.Exceptions import IOTUnknown
from iotic_app.ioticagent.IOT.RemotePoint import RemoteControl, RemoteFeed


class _LocalSpace:
    def __init__(self) -> None:
        self.name = f"compat-client-{uuid.uuid4().hex[:8]}"

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


def _utcnow() -> datetime:
    """``datetime.utcnow()`` without its deprecation warning: naive UTC."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _sharer(client: IOT.Client, save_recent: int = 0) -> tuple[Any, Any]:
    thing = client.create_thing("share_basic")
    feed = thing.create_feed("share_basic_feed", save_recent=save_recent)
    feed.create_value(
        "count", Datatypes.INTEGER, description="Random Counter", unit=Units.COUNTS_PER_MIN
    )
    return thing, feed


def _share(feed: Any, count: int) -> None:
    template = feed.get_template()
    template.values.count = count
    feed.share(template)


def test_a_client_is_a_context_manager_with_its_agent_id(space: Any) -> None:
    client = IOT.Client(space.url("agent1"))
    assert not client.is_connected()
    with client as entered:
        assert entered is client and client.is_connected()
        assert client.agent_id == "agent1"
        assert client.default_lang == "en"
    assert not client.is_connected()
    assert client.start() is client  # 0.7.0's start() returned the client
    client.stop()
    client.close()


def test_follow_data_has_0_7_0_keys_and_naive_utc_time(client: IOT.Client) -> None:
    """follow_basic: callback_parsed by keyword, gpid by keyword, time compared with utcnow()."""
    _, feed = _sharer(client)
    follower = client.create_thing("follow_basic")
    got = Collector()
    remote = follower.follow(gpid=("share_basic", "share_basic_feed"), callback_parsed=got)
    assert isinstance(remote, RemoteFeed)
    assert (remote.guid, remote.lid) == (feed.guid, "follow_basic") and remote.subid
    _share(feed, 7)
    [args] = got.wait(1)
    assert sorted(args) == ["data", "mime", "parsed", "pid", "time"]
    assert args["data"] == {"count": 7} and args["mime"] is None and args["pid"] == feed.guid
    assert args["time"].tzinfo is None
    assert abs(_utcnow() - args["time"]) < timedelta(minutes=1)
    [value] = args["parsed"].filter_by(
        types=(Datatypes.INTEGER,), units=(Units.COUNTS_PER_MIN,), text=("random",)
    )
    assert (value.label, value.value) == ("count", 7)


def test_the_catchall_gets_follows_without_callback(client: IOT.Client) -> None:
    """follow_basic_catchall: register_catchall_feeddata(cb, callback_parsed=cb_parsed)."""
    _, feed = _sharer(client)
    plain, parsed = Collector(), Collector()
    client.register_catchall_feeddata(plain, callback_parsed=parsed)
    client.create_thing("follow_basic").follow(("share_basic", "share_basic_feed"))
    _share(feed, 3)
    [args] = parsed.wait(1)
    assert args["data"]["count"] == 3 and args["time"].tzinfo is None
    assert args["parsed"].values.count == 3
    assert plain.calls == []  # the parsed one is preferred, as 0.7.0 did


def test_a_control_request_and_confirm_tell(client: IOT.Client) -> None:
    """offer_basic + attach_basic_tell: request keys, confirm_tell(data=...), tell's result."""
    requests = Collector()

    def on_request(args: dict[str, Any]) -> None:
        requests(args)
        client.confirm_tell(data=args, success=args["data"]["temp"] < 30)

    offer = client.create_thing("offer_basic")
    control = offer.create_control("offer_basic_control", on_request)
    control.create_value("temp", Datatypes.DECIMAL, description="thermostat", unit=Units.CELSIUS)
    assert (control.foc, control.lid, control.pid) == ("control", "offer_basic", control.pid)
    remote = client.create_thing("attach_basic").attach(("offer_basic", "offer_basic_control"))
    assert isinstance(remote, RemoteControl) and remote.lid == "attach_basic"
    template = remote.get_template()
    template.values.temp = 21.5
    assert remote.tell(template) is True
    template.values.temp = 35.0
    assert remote.tell(template) == "failed"
    args = requests.wait(2)[0]
    assert {"data", "mime", "subId", "entityLid", "lid", "confirm", "requestId"} <= set(args)
    assert (args["entityLid"], args["lid"], args["confirm"]) == (
        "offer_basic",
        "offer_basic_control",
        True,
    )


def test_foc_labels_and_descriptions(client: IOT.Client) -> None:
    """6.2 / 7.2: point.foc, get_labels()/get_descriptions() as N3 strings, get_location()."""
    thing, feed = _sharer(client)
    assert feed.foc == "feed" and feed.lid == "share_basic" and feed.pid == "share_basic_feed"
    with thing.get_meta() as meta:
        assert meta.get_location() == (None, None)
        meta.set_label("Share basic")
        meta.set_label("Partage", lang="fr")
        meta.set_description('A "random" counter')
        meta.set_location(51.5, -0.1)
    with thing.get_meta() as meta:
        assert sorted(meta.get_labels()) == ['"Partage"@fr', '"Share basic"@en']
        assert meta.get_descriptions() == ['"A \\"random\\" counter"@en']
        assert meta.get_location() == (51.5, -0.1)
    with feed.get_meta() as point_meta:
        assert point_meta.get_labels() == [] and point_meta.get_descriptions() == []
        point_meta.set_label("Counter")
    assert feed.get_meta().get_labels() == ['"Counter"@en']


def test_describe_nests_under_meta(client: IOT.Client) -> None:
    """follow_basic_database / iotic_chat: ['meta']['values'], ['label'], ['comment'], points."""
    thing, feed = _sharer(client, save_recent=10)
    with thing.get_meta() as meta:
        meta.set_label("Share basic")
        meta.set_description("Shares a count")
        meta.set_location(1.5, 2.5)
    with feed.get_meta() as point_meta:
        point_meta.set_label("Counter")
        point_meta.set_description("Counts at random")
    thing.create_tag(["example"])
    thing.create_control("ctl", None)

    described = client.describe(thing)
    assert described["type"] == "Entity"
    meta = described["meta"]
    assert (meta["label"], meta["comment"], meta["lat"], meta["long"]) == (
        "Share basic",
        "Shares a count",
        1.5,
        2.5,
    )
    assert meta["tags"] == ["example"]
    points = sorted(meta["points"], key=lambda p: str(p["type"]))
    assert [sorted(p) for p in points] == [["guid", "label", "storesRecent", "type"]] * 2
    assert [(p["type"], p["storesRecent"]) for p in points] == [("Control", False), ("Feed", True)]

    for about in (feed, feed.guid):
        point = client.describe(about)
        assert point["type"] == "Point"
        assert (point["meta"]["label"], point["meta"]["comment"]) == (
            "Counter",
            "Counts at random",
        )
        assert point["meta"]["values"] == [
            {
                "label": "count",
                "type": Datatypes.INTEGER,
                "unit": Units.COUNTS_PER_MIN,
                "comment": "Random Counter",
            }
        ]
    with pytest.raises(IOTUnknown):
        client.describe(uuid.uuid4().hex)


def test_list_connections_and_list_tag_in_0_7_0_shapes(client: IOT.Client) -> None:
    """3.3 / follow_basic_restore: subs[key]['id'], ['type'] == R_FEED; paging arguments."""
    thing, feed = _sharer(client)
    control = thing.create_control("ctl", None)
    follower = client.create_thing("follow_basic")
    remote_feed = follower.follow(feed.guid)
    remote_control = follower.attach(control.guid)
    connections = follower.list_connections()
    assert connections == {
        remote_feed.subid: {"id": feed.guid, "entityId": thing.guid, "type": R_FEED},
        remote_control.subid: {"id": control.guid, "entityId": thing.guid, "type": R_CONTROL},
    }
    assert len(follower.list_connections(limit=1)) == 1
    assert follower.list_connections(limit=1, offset=1).keys() | follower.list_connections(
        1, 0
    ).keys() == set(connections)
    follower.unfollow(remote_feed)
    assert list(follower.list_connections()) == [remote_control.subid]

    thing.create_tag(["a", "b", "c"])
    assert thing.list_tag() == ["a", "b", "c"]
    assert thing.list_tag(limit=2, offset=1) == ["b", "c"]
    # iotic_chat, written for an IoticAgent whose tags had languages, indexes it by one
    tags = thing.list_tag()
    assert isinstance(tags, list) and tags["en"] == ["a", "b", "c"] and tags[0] == "a"
    assert tags[1:] == ["b", "c"] and type(tags["de"]) is list
    feed.create_tag(["x", "y"])
    assert feed.list_tag(1) == ["x"]


def test_save_recent_minus_one_and_get_recent(client: IOT.Client) -> None:
    """share_basic's save_recent=-1 keeps as many as the space does; follow_basic_recent."""
    _, feed = _sharer(client, save_recent=-1)
    follower = client.create_thing("follow_basic_recent")
    got = Collector()
    remote = follower.follow(("share_basic", "share_basic_feed"), got)
    assert remote.get_last() is None
    for count in range(5):
        _share(feed, count)
    got.wait(5)
    recent = remote.get_recent(99)
    assert not isinstance(recent, list)  # an iterator, as 0.7.0's
    samples = list(recent)
    assert [sample["data"]["count"] for sample in samples] == [0, 1, 2, 3, 4]
    assert all(sample["time"].tzinfo is None for sample in samples)
    assert list(remote.get_recent(0)) == []
    last = remote.get_last()
    assert last is not None and last["data"] == {"count": 4} and last["time"].tzinfo is None
    with pytest.raises(ValueError, match="count"):
        remote.get_recent(-1)


@pytest.mark.needs_directory
def test_set_public_with_no_argument(space: Any, client: IOT.Client) -> None:
    """iotic_chat: thing.set_public() makes it public; another agent finds it by search."""
    thing, _ = _sharer(client)
    with thing.get_meta() as meta:
        meta.set_label("share basic")
    with IOT.Client(space.url("agent2")) as other:
        assert other.search("share basic") == {}
        thing.set_public()
        found = other.search("share basic")
        assert list(found) == [thing.guid]
        [point] = found[thing.guid]["points"].values()
        assert point["type"] == "Feed"


def test_a_runner_s_client_is_the_classic_one(space: Any) -> None:
    """thing_runner scripts: self.client is an IOT.Client; runner semantics are iotic_app's."""
    import iotic_app
    from iotic_app.ioticagent.ThingRunner import RetryingThingRunner, ThingRunner

    seen: list[object] = []

    class Runner(RetryingThingRunner):
        def on_startup(self) -> None:
            seen.append(self.client)
            seen.append(self.client.create_thing("runner_thing").create_feed("f").foc)

        def main(self) -> None:
            seen.append(self.wait_for_shutdown(0))

    runner = Runner(config=space.url("agent1"))
    assert isinstance(runner, ThingRunner) and isinstance(runner, iotic_app.RetryingThingRunner)
    runner.run()
    client, foc, stopped = seen
    assert isinstance(client, IOT.Client) and client is runner.client
    assert (foc, stopped) == ("feed", False)


def test_the_control_catchall_gets_requests_without_callback(client: IOT.Client) -> None:
    """register_catchall_controlreq(cb, callback_parsed=...): a control made with callback None."""
    plain, parsed = Collector(), Collector()
    client.register_catchall_controlreq(plain, callback_parsed=parsed)
    control = client.create_thing("offer_basic").create_control("ctl", None)
    control.create_value("temp", Datatypes.DECIMAL, unit=Units.CELSIUS)
    remote = client.create_thing("attach_basic").attach(control.guid)
    template = remote.get_template()
    template.values.temp = 20.0
    remote.ask(template)
    [args] = parsed.wait(1)
    assert (args["entityLid"], args["lid"], args["confirm"]) == ("offer_basic", "ctl", False)
    assert args["parsed"].values.temp == 20.0 and plain.calls == []
