"""The embedded local:// space: threads, callback isolation, queue limits, space names."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from iotic_app import IOTSyncTimeout, IOTUnknown
from iotic_app._config_options import SCHEMES as _SCHEMES
from iotic_app.client import Client
from iotic_app.client._client import TRANSPORTS
from iotic_app.transports.local import LocalTransport


@pytest.fixture
def make() -> Iterator[Callable[..., Client]]:
    name = f"local-{uuid.uuid4().hex[:10]}"
    made: list[Client] = []

    def make_client(agent: str, query: str = "") -> Client:
        client = Client(f"local://{name}?agent={agent}{query}")
        client.start()
        made.append(client)
        return client

    yield make_client
    for client in made:
        client.stop()


def _public_feed(client: Client, lid: str = "t", pid: str = "f") -> Any:
    thing = client.create_thing(lid)
    thing.set_public()
    return thing.create_feed(pid)


def test_concurrent_sharers_keep_per_feed_order(make: Callable[..., Client]) -> None:
    sharers = [make(f"sharer{i}") for i in range(6)]
    feeds = [_public_feed(client) for client in sharers]
    follower = make("follower")
    seen: dict[str, list[int]] = {feed.guid: [] for feed in feeds}
    total = 6 * 500
    done = threading.Event()
    count = [0]

    def callback(args: dict[str, Any]) -> None:
        seen[args["pid"]].append(args["data"])
        count[0] += 1
        if count[0] == total:
            done.set()

    me = follower.create_thing("me")
    for feed in feeds:
        me.follow(feed.guid, callback=callback)
    start = threading.Barrier(6)

    def share(feed: Any) -> None:
        start.wait(5)
        for n in range(500):
            feed.share(n)

    threads = [threading.Thread(target=share, args=(feed,)) for feed in feeds]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert done.wait(10), f"only {count[0]} of {total} arrived"
    assert all(values == list(range(500)) for values in seen.values())


def test_concurrent_thing_creation_is_safe(make: Callable[..., Client]) -> None:
    client = make("builder")
    errors: list[BaseException] = []

    def build(prefix: int) -> None:
        try:
            for n in range(200):
                thing = client.create_thing(f"{prefix}-{n % 50}")
                thing.create_feed(f"f{n % 3}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=build, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert len(client.list(limit=1000)) == 8 * 50


def test_callback_may_use_the_client_no_lock_is_held(make: Callable[..., Client]) -> None:
    sharer = make("sharer")
    feed = _public_feed(sharer)
    follower = make("follower")
    relay = _public_feed(follower, "relay", "out")
    results: list[Any] = []
    done = threading.Event()

    def callback(args: dict[str, Any]) -> None:
        # every one of these takes the space's lock: held by us, this would deadlock
        follower.create_thing("made-in-callback")
        results.append(follower.describe(args["pid"])["type"])  # type: ignore[index]
        relay.share(args["data"])
        results.append(sharer.search(text="relay") is not None)
        done.set()

    follower.create_thing("me").follow(feed.guid, callback=callback)
    feed.share("x")
    assert done.wait(5)
    assert results == ["Feed", True]


def test_raising_callback_is_logged_and_delivery_goes_on(
    make: Callable[..., Client], caplog: pytest.LogCaptureFixture
) -> None:
    sharer = make("sharer")
    feed = _public_feed(sharer)
    got: list[int] = []
    done = threading.Event()

    def callback(args: dict[str, Any]) -> None:
        if args["data"] % 2:
            raise ValueError(f"odd {args['data']}")
        got.append(args["data"])
        if args["data"] == 4:
            done.set()

    make("follower").create_thing("me").follow(feed.guid, callback=callback)
    with caplog.at_level(logging.ERROR, logger="iotic_app.client"):
        for n in range(5):
            feed.share(n)
        assert done.wait(5)
    assert got == [0, 2, 4]
    assert "odd 1" in caplog.text and "odd 3" in caplog.text
    assert "a callback raised" in caplog.text


def test_stop_from_inside_a_callback_returns(make: Callable[..., Client]) -> None:
    sharer = make("sharer")
    feed = _public_feed(sharer)
    follower = make("follower")
    returned = threading.Event()

    def callback(args: dict[str, Any]) -> None:
        follower.stop()
        returned.set()

    follower.create_thing("me").follow(feed.guid, callback=callback)
    feed.share(1)
    assert returned.wait(5)
    assert not follower.is_connected()


def test_stop_waits_for_a_running_callback(make: Callable[..., Client]) -> None:
    sharer = make("sharer")
    feed = _public_feed(sharer)
    follower = make("follower")
    entered = threading.Event()
    release = threading.Event()
    finished = threading.Event()

    def callback(args: dict[str, Any]) -> None:
        entered.set()
        release.wait(5)
        finished.set()

    follower.create_thing("me").follow(feed.guid, callback=callback)
    feed.share(1)
    assert entered.wait(5)
    stopper = threading.Thread(target=follower.stop)
    stopper.start()
    stopper.join(0.05)
    assert stopper.is_alive()  # still waiting for the callback
    release.set()
    stopper.join(5)
    assert not stopper.is_alive() and finished.is_set()


def test_queue_limit_while_stopped_drops_oldest_with_a_warning(
    make: Callable[..., Client], caplog: pytest.LogCaptureFixture
) -> None:
    sharer = make("sharer")
    feed = _public_feed(sharer)
    follower = make("follower", "&queue_limit=3")
    got: list[int] = []
    done = threading.Event()

    def callback(args: dict[str, Any]) -> None:
        got.append(args["data"])
        if args["data"] == 4:
            done.set()

    follower.create_thing("me").follow(feed.guid, callback=callback)
    follower.stop()
    with caplog.at_level(logging.WARNING, logger="iotic_app.client"):
        for n in range(5):
            feed.share(n)
        follower.start()
        assert done.wait(5)
    assert got == [2, 3, 4]
    assert "dropping the oldest" in caplog.text
    assert "2 items were dropped" in caplog.text


def test_spaces_are_separate_by_name() -> None:
    one = Client(f"local://{uuid.uuid4().hex}?agent=a")
    two = Client(f"local://{uuid.uuid4().hex}?agent=a")
    with one, two:
        one.create_thing("t")
        with pytest.raises(IOTUnknown):
            two.get_thing("t")


def test_follow_again_replaces_the_callback(make: Callable[..., Client]) -> None:
    feed = _public_feed(make("sharer"))
    me = make("follower").create_thing("me")
    old: list[Any] = []
    new = threading.Event()
    me.follow(feed.guid, callback=old.append)
    me.follow(feed.guid, callback=lambda a: new.set())
    feed.share(1)
    assert new.wait(5)
    assert old == []
    assert len(me.list_connections()) == 1


class _SlowTransport(LocalTransport):
    """A transport whose space never answers requests: what MQTT does without a reply."""

    def search(self, *args: Any) -> dict[str, Any]:
        raise IOTSyncTimeout("no answer to search in 0.1 s")

    def describe(self, guid: str) -> dict[str, Any] | None:
        raise IOTSyncTimeout("no answer to describe in 0.1 s")


def test_transport_table_and_sync_timeouts_reach_the_caller(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(_SCHEMES, "slow", {})
    monkeypatch.setitem(TRANSPORTS, "slow", f"{__name__}:_SlowTransport")
    with Client("slow://x?agent=a") as client:
        assert isinstance(client._transport, _SlowTransport)
        with pytest.raises(IOTSyncTimeout):
            client.search(text="x")
        with pytest.raises(IOTSyncTimeout):
            client.describe("0" * 32)


def test_a_second_client_of_the_agent_leaves_the_first_ones_follows_until_it_follows_again(
    make: Callable[..., Client],
) -> None:
    """Kept follows: a client started beside one that holds a follow does not take it, nor
    list it as unbound (its catch-all does not get it), until it follows it again itself."""
    sharer = make("sharer")
    feed = _public_feed(sharer)
    first_got: list[Any] = []
    second_got: list[Any] = []
    catchall: list[Any] = []
    first = make("follower")
    first_done = threading.Event()
    first.create_thing("me").follow(
        feed.guid, callback=lambda args: (first_got.append(args["data"]), first_done.set())
    )
    second = make("follower")
    second.register_catchall_feeddata(catchall.append)
    assert second.get_thing("me").list_connections() == first.get_thing("me").list_connections()
    done = threading.Event()
    feed.share(1)
    second.get_thing("me").follow(
        feed.guid, callback=lambda args: (second_got.append(args["data"]), done.set())
    )
    feed.share(2)
    assert done.wait(5)
    assert first_done.wait(5)  # 1 came for the first client's follow, before the second's
    first.stop()
    second.stop()
    assert (first_got, second_got, catchall) == ([1], [2], [])
