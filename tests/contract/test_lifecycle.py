"""Contract: start, stop, restart, and LinkException on every call of a stopped client."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from iotic_app import LinkException
from iotic_app.client import Client


def test_constructor_does_not_connect(make_client: Any) -> None:
    client = make_client(start=False)
    assert not client.is_connected()
    with pytest.raises(LinkException, match="not started"):
        client.create_thing("t")


def test_start_and_stop_are_idempotent(make_client: Any) -> None:
    client = make_client(start=False)
    client.start()
    client.start()
    assert client.is_connected()
    client.stop()
    client.stop()
    assert not client.is_connected()


def test_context_manager_starts_and_stops(space: Any) -> None:
    with Client(space.url("ctx")) as client:
        assert client.is_connected()
        assert client.agent_id == "ctx"
        client.create_thing("t")
    assert not client.is_connected()


def _calls(
    client: Client, thing: Any, feed: Any, control: Any, remote: Any, rc: Any
) -> dict[str, Any]:
    return {
        "create_thing": lambda: client.create_thing("x"),
        "get_thing": lambda: client.get_thing("t"),
        "delete_thing": lambda: client.delete_thing("t"),
        "list": lambda: client.list(),
        "search": lambda: client.search(text="x"),
        "describe": lambda: client.describe(thing.guid),
        "confirm_tell": lambda: client.confirm_tell({"requestId": "r", "confirm": True}, True),
        "create_feed": lambda: thing.create_feed("g"),
        "create_control": lambda: thing.create_control("d"),
        "get_feed": lambda: thing.get_feed("f"),
        "get_control": lambda: thing.get_control("c"),
        "follow": lambda: thing.follow(("t", "f")),
        "attach": lambda: thing.attach(("t", "c")),
        "unfollow": lambda: thing.unfollow(remote),
        "unattach": lambda: thing.unattach(rc),
        "list_connections": lambda: thing.list_connections(),
        "thing.get_meta": lambda: thing.get_meta(),
        "thing.create_tag": lambda: thing.create_tag("a"),
        "thing.delete_tag": lambda: thing.delete_tag("a"),
        "set_public": lambda: thing.set_public(),
        "share": lambda: feed.share({"a": 1}),
        "feed.get_meta": lambda: feed.get_meta(),
        "feed.create_tag": lambda: feed.create_tag("a"),
        "create_value": lambda: feed.create_value("v", "integer"),
        "get_template": lambda: feed.get_template(),
        "get_recent": lambda: remote.get_recent(1),
        "get_last": lambda: remote.get_last(),
        "ask": lambda: rc.ask({"a": 1}),
        "tell": lambda: rc.tell({"a": 1}, timeout=1),
        "control.get_template": lambda: control.get_template(),
    }


def test_every_call_of_a_stopped_client_raises_link_exception(make_client: Any) -> None:
    client = make_client()
    thing = client.create_thing("t")
    feed = thing.create_feed("f")
    control = thing.create_control("c")
    remote = thing.follow(("t", "f"))
    rc = thing.attach(("t", "c"))
    client.stop()
    calls = _calls(client, thing, feed, control, remote, rc)
    failed = []
    for name, call in calls.items():
        try:
            call()
        except LinkException:
            continue
        except Exception as exc:  # pragma: no cover - reported below
            failed.append(f"{name}: {exc!r}")
        else:
            failed.append(f"{name}: no exception")
    assert failed == []


def test_meta_editor_applied_after_stop_raises(make_client: Any) -> None:
    client = make_client()
    thing = client.create_thing("t")
    meta = thing.get_meta()
    client.stop()
    meta.set_label("late")
    with pytest.raises(LinkException):
        meta.set()


def test_follow_and_control_work_again_after_restart(make_client: Any, collector: Any) -> None:
    sharer = make_client("sharer")
    follower = make_client("follower")
    thing = sharer.create_thing("t")
    thing.set_public()
    feed = thing.create_feed("f")
    requests: list[Any] = []
    thing.create_control("c", callback=lambda a: (requests.append(a), sharer.confirm_tell(a, True)))
    mine = follower.create_thing("me")
    mine.follow(feed.guid, callback=collector)
    rc = mine.attach(thing.get_control("c").guid)

    feed.share({"n": 1})
    collector.wait(1)
    for client in (sharer, follower):
        client.stop()
        client.start()
    feed.share({"n": 2})
    assert [c["data"] for c in collector.wait(2)] == [{"n": 1}, {"n": 2}]
    assert rc.tell({"on": True}, timeout=5) is True
    assert len(requests) == 1


def test_data_shared_while_follower_stopped_arrives_after_start(
    make_client: Any, collector: Any
) -> None:
    sharer = make_client("sharer")
    follower = make_client("follower")
    thing = sharer.create_thing("t")
    thing.set_public()
    feed = thing.create_feed("f")
    follower.create_thing("me").follow(feed.guid, callback=collector)
    follower.stop()
    for n in range(5):
        feed.share({"n": n})
    assert collector.calls == []  # stopped: no callbacks
    follower.start()
    assert [c["data"]["n"] for c in collector.wait(5)] == [0, 1, 2, 3, 4]


def test_no_callback_after_stop_returns(make_client: Any) -> None:
    sharer = make_client("sharer")
    follower = make_client("follower")
    thing = sharer.create_thing("t")
    thing.set_public()
    feed = thing.create_feed("f")
    first = threading.Event()
    after_stop: list[Any] = []
    stopped = threading.Event()

    def callback(args: dict[str, Any]) -> None:
        if stopped.is_set():
            after_stop.append(args)
        first.set()

    follower.create_thing("me").follow(feed.guid, callback=callback)
    feed.share({"n": 0})
    assert first.wait(5)
    follower.stop()
    stopped.set()
    for n in range(100):
        feed.share({"n": n})
    # a follower of the same feed in a started client proves the data went out
    witness = make_client("witness")
    seen = threading.Event()
    witness.create_thing("w").follow(feed.guid, callback=lambda a: seen.set())
    feed.share({"n": "last"})
    assert seen.wait(5)
    assert after_stop == []
