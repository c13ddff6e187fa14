"""Contract, failure paths: raising and slow callbacks, follows of an earlier run, a link that
drops with values in flight, stop/start while a callback is busy.

Each promise: every value reaches every follow, in order, exactly once, and nothing a follow
does (raise, take its time) holds up another follow. On MQTT the stock broker sends a client at
most 20 unacknowledged values, so a value that is never acknowledged shows as a stall; every
test ends by sharing one more value on each feed and waiting for it.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from typing import Any

import pytest

from iotic_app.client import Client

COUNT = 60  # more than Mosquitto's default in-flight limit (20)


class Numbers:
    """A follow callback that records ``data['n']``; optionally raises or dawdles after."""

    def __init__(self, *, raises: bool = False, pause: float = 0.0) -> None:
        self.got: list[int] = []
        self.raises = raises
        self.pause = pause
        self._cond = threading.Condition()
        self._idle = threading.Event()

    def __call__(self, args: dict[str, Any]) -> None:
        with self._cond:
            self.got.append(args["data"]["n"])
            self._cond.notify_all()
        if self.pause:
            self._idle.wait(self.pause)  # a slow callback (work, not synchronisation)
        if self.raises:
            raise RuntimeError(f"callback failed on {args['data']['n']}")

    def wait_for(self, n: int, timeout: float = 20.0) -> list[int]:
        """Wait until value *n* arrived; fail with what did arrive otherwise."""
        with self._cond:
            if not self._cond.wait_for(lambda: n in self.got, timeout):
                pytest.fail(f"value {n} did not arrive within {timeout} s; got {self.got}")
            return list(self.got)


def _on_mqtt(space: Any) -> bool:
    return hasattr(space, "broker")


def _sharer(make_client: Callable[..., Client], pids: tuple[str, ...] = ("a", "b")) -> list[Any]:
    thing = make_client("sharer").create_thing("sensor")
    thing.set_public()
    return [thing.create_feed(pid) for pid in pids]


def _share(feed: Any, numbers: range) -> None:
    for n in numbers:
        feed.share({"n": n})


def _exactly(callback: Numbers, last: int) -> None:
    """Every value 0..last arrived once, in order (waits for *last* first)."""
    assert callback.wait_for(last) == list(range(last + 1))


def test_a_raising_callback_gets_every_value_and_other_follows_keep_receiving(
    make_client: Callable[..., Client], caplog: pytest.LogCaptureFixture
) -> None:
    feed_a, feed_b = _sharer(make_client)
    display = make_client("follower").create_thing("display")
    failing, other = Numbers(raises=True), Numbers()
    display.follow(feed_a.guid, callback=failing)
    display.follow(feed_b.guid, callback=other)
    with caplog.at_level(logging.ERROR):
        for n in range(COUNT):
            feed_a.share({"n": n})
            feed_b.share({"n": n})
        _exactly(failing, COUNT - 1)
        _exactly(other, COUNT - 1)
    assert (
        sum(
            "callback failed on" in r.getMessage() or r.exc_info is not None for r in caplog.records
        )
        >= COUNT
    )
    # nothing is left unacknowledged: more values still come, on both feeds
    _share(feed_a, range(COUNT, 2 * COUNT))
    _share(feed_b, range(COUNT, COUNT + 1))
    _exactly(failing, 2 * COUNT - 1)
    _exactly(other, COUNT)


def test_two_follows_of_one_feed_each_get_every_value_when_one_raises(
    make_client: Callable[..., Client],
) -> None:
    (feed,) = _sharer(make_client, ("a",))
    follower = make_client("follower")
    failing, other = Numbers(raises=True), Numbers()
    follower.create_thing("one").follow(feed.guid, callback=failing)
    follower.create_thing("two").follow(feed.guid, callback=other)
    _share(feed, range(COUNT))
    _exactly(failing, COUNT - 1)
    _exactly(other, COUNT - 1)


def test_a_slow_callback_gets_every_value_in_order_and_others_too(
    make_client: Callable[..., Client],
) -> None:
    feed_a, feed_b = _sharer(make_client)
    display = make_client("follower").create_thing("display")
    slow, other = Numbers(pause=0.01), Numbers()
    display.follow(feed_a.guid, callback=slow)
    display.follow(feed_b.guid, callback=other)
    _share(feed_a, range(COUNT))
    _share(feed_b, range(COUNT))
    _exactly(other, COUNT - 1)
    _exactly(slow, COUNT - 1)
    _share(feed_a, range(COUNT, COUNT + 1))
    _exactly(slow, COUNT)


def test_follows_of_an_earlier_run_never_block_the_follows_of_this_one(
    space: Any, make_client: Callable[..., Client]
) -> None:
    feed_a, feed_b = _sharer(make_client)
    first = make_client("follower")
    display = first.create_thing("display")
    display.follow(feed_a.guid, callback=Numbers())
    display.follow(feed_b.guid, callback=Numbers())
    first.stop()
    _share(feed_a, range(COUNT))  # for a follow that the next run does not make again
    # On MQTT the broker keeps the agent's session for the next run (a new process); on
    # local:// what was shared meanwhile waits in the stopped client that followed.
    offline = 10 if _on_mqtt(space) else 0
    _share(feed_b, range(offline))
    second = make_client("follower")  # a new run of the same agent
    other = Numbers()
    second.get_thing("display").follow(feed_b.guid, callback=other)
    _share(feed_b, range(offline, 10))
    _exactly(other, 9)
    _share(feed_b, range(10, 40))
    _exactly(other, 39)


def _drop_link(client: Client) -> None:
    """Cut the client's connection to the broker under it (the client reconnects by itself)."""
    conn = client._transport._conn_in_service  # type: ignore[attr-defined]
    assert conn is not None
    sock = conn.engine.socket()
    assert isinstance(sock, socket.socket)
    sock.shutdown(socket.SHUT_RDWR)


def test_a_link_that_drops_with_values_in_flight_loses_and_repeats_nothing(
    space: Any, make_client: Callable[..., Client]
) -> None:
    if not _on_mqtt(space):
        pytest.skip("local:// has no link that can drop")
    feed_a, feed_b = _sharer(make_client)
    follower = make_client("follower")
    display = follower.create_thing("display")
    slow, other = Numbers(pause=0.005), Numbers()
    display.follow(feed_a.guid, callback=slow)
    display.follow(feed_b.guid, callback=other)
    shared = 0
    for drop in range(4):
        _share(feed_a, range(shared, shared + 40))
        _share(feed_b, range(shared, shared + 40))
        shared += 40
        slow.wait_for(shared - 35)  # values in flight: the callback is busy with them
        reconnects = follower._transport.reconnects  # type: ignore[attr-defined]
        _drop_link(follower)
        pause = threading.Event()
        for _ in range(500):
            if follower._transport.reconnects > reconnects:  # type: ignore[attr-defined]
                break
            pause.wait(0.01)
        else:
            pytest.fail(f"the follower did not reconnect after drop {drop}")
    _share(feed_a, range(shared, shared + 1))
    _share(feed_b, range(shared, shared + 1))
    _exactly(slow, shared)
    _exactly(other, shared)


@pytest.mark.needs("resend_at_reconnect")
def test_stop_and_start_while_a_callback_is_busy_loses_and_repeats_nothing(
    make_client: Callable[..., Client], eventually: Callable[..., Any]
) -> None:
    feed_a, feed_b = _sharer(make_client)
    follower = make_client("follower")
    display = follower.create_thing("display")
    busy, release = threading.Event(), threading.Event()
    got: list[int] = []
    done = threading.Condition()

    def blocking(args: dict[str, Any]) -> None:
        with done:
            got.append(args["data"]["n"])
            done.notify_all()
        if args["data"]["n"] == 0:
            busy.set()
            release.wait(10)

    other = Numbers()
    display.follow(feed_a.guid, callback=blocking)
    display.follow(feed_b.guid, callback=other)
    _share(feed_a, range(30))
    assert busy.wait(10)
    restarted = threading.Event()

    def restart() -> None:
        follower.stop()
        follower.start()
        restarted.set()

    threading.Thread(target=restart, daemon=True).start()
    assert eventually(lambda: not follower.is_connected(), 10)
    release.set()
    assert restarted.wait(20)
    _share(feed_a, range(30, 60))
    _share(feed_b, range(5))
    with done:
        assert done.wait_for(lambda: 59 in got, 20), got
    assert got == list(range(60))
    _exactly(other, 4)
