"""Attack on issue 14: failing over again and again, stop() during a failover, a follow made
during one, values shared from several threads across failovers."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from broker import Broker
from conftest_mqtt import need_own_broker
from test_attack14_start import Silent

from iotic_app.client import Client

pytestmark = pytest.mark.timeout(120)


def wait_for(check: Any, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        pause.wait(0.01)


@pytest.fixture
def two(tmp_path: Path) -> Any:
    binary = need_own_broker()
    a, b = Broker(tmp_path / "a", binary=binary), Broker(tmp_path / "b", binary=binary)
    a.start()
    b.start()
    yield a, b
    a.close()
    b.close()


def fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_many_failovers_leak_no_threads_nor_fds(two: Any, tmp_path: Path) -> None:
    a, b = two
    url = f"mqtt://127.0.0.1:{a.port},127.0.0.1:{b.port}?agent=alice&outbox={tmp_path / 'o'}"
    with Client(url) as client:
        feed = client.create_thing("t").create_feed("f")
        feed.share(0)
        supervisor = client._transport._supervisor  # type: ignore[attr-defined]
        wait_for(lambda: client.outbox_depth == 0, "the first value acked")
        threads, files = threading.active_count(), fds()
        a.kill()
        b.kill()
        start = supervisor.failovers
        wait_for(lambda: supervisor.failovers >= start + 30, "30 failovers", 60)
        a.start()
        wait_for(client.is_connected, "back on A")
        feed.share(1)
        wait_for(lambda: client.outbox_depth == 0, "the value acked")
        assert threading.active_count() <= threads, [t.name for t in threading.enumerate()]
        assert fds() <= files, os.listdir("/proc/self/fd")


def test_stop_while_failing_over_to_a_silent_broker_returns_at_once(
    two: Any, tmp_path: Path
) -> None:
    a, _b = two
    quiet = Silent()
    try:
        url = (
            f"mqtt://127.0.0.1:{a.port},127.0.0.1:{quiet.port}?agent=alice"
            f"&outbox={tmp_path / 'o'}&connect_timeout=10"
        )
        client = Client(url)
        client.start()
        supervisor = client._transport._supervisor  # type: ignore[attr-defined]
        a.kill()
        wait_for(lambda: supervisor.failovers >= 1 and len(quiet.accepted) >= 1, "on silent")
        began = time.monotonic()
        client.stop()
        took = time.monotonic() - began
        client.close()
        assert took < 1.5, took
    finally:
        quiet.close()


def test_stop_from_a_callback_during_failover(two: Any, tmp_path: Path) -> None:
    a, b = two
    listed = f"mqtt://127.0.0.1:{a.port},127.0.0.1:{b.port}"
    stopped = threading.Event()
    got: list[Any] = []
    follower = Client(f"{listed}?agent=bob&outbox={tmp_path / 'b'}")

    def on_value(args: dict[str, Any]) -> None:
        got.append(args["data"])
        if args["data"] == 3:
            follower.stop()
            stopped.set()

    with Client(f"{listed}?agent=alice&outbox={tmp_path / 'a'}") as sharer:
        thing = sharer.create_thing("src")
        thing.set_public()
        feed = thing.create_feed("f")
        follower.start()
        follower.create_thing("sink").follow(feed.guid, callback=on_value)
        feed.share(1)
        wait_for(lambda: got == [1], "1 on A")
        a.kill()
        # both on B before sharing: values shared there earlier are lost (see the test below)
        wait_for(lambda: not sharer.is_connected() or not follower.is_connected(), "lost")
        wait_for(lambda: sharer.is_connected() and follower.is_connected(), "both on B")
        feed.share(2)
        feed.share(3)
        assert stopped.wait(30), got
        wait_for(lambda: not follower.is_connected(), "the follower stopped")
    follower.close()
    assert got[:3] == [1, 2, 3], got


def test_a_follow_made_while_failing_over_is_in_place_on_the_next_broker(
    two: Any, tmp_path: Path
) -> None:
    a, b = two
    listed = f"mqtt://127.0.0.1:{a.port},127.0.0.1:{b.port}"
    got: list[Any] = []
    with (
        Client(f"{listed}?agent=alice&outbox={tmp_path / 'a'}") as sharer,
        Client(f"{listed}?agent=bob&outbox={tmp_path / 'b'}") as follower,
    ):
        thing = sharer.create_thing("src")
        thing.set_public()
        feed = thing.create_feed("f")
        sink = follower.create_thing("sink")
        a.kill()
        try:
            sink.follow(feed.guid, callback=lambda args: got.append(args["data"]))
        except Exception as exc:
            pytest.skip(f"follow() during failover raised {exc!r}")
        wait_for(follower.is_connected, "the follower on B")
        wait_for(sharer.is_connected, "the sharer on B")
        for n in range(5):
            feed.share(n)
        wait_for(lambda: got == [0, 1, 2, 3, 4], f"values on B, got {got}")


def test_values_shared_from_four_threads_across_failovers_none_lost_nor_repeated(
    two: Any, tmp_path: Path
) -> None:
    a, b = two
    listed = f"mqtt://127.0.0.1:{a.port},127.0.0.1:{b.port}"
    got: dict[int, list[int]] = {i: [] for i in range(4)}
    lock = threading.Lock()

    def on_value(args: dict[str, Any]) -> None:
        with lock:
            got[args["data"]["t"]].append(args["data"]["n"])

    per_thread = 600
    with (
        Client(f"{listed}?agent=alice&outbox={tmp_path / 'a'}") as sharer,
        Client(f"{listed}?agent=bob&outbox={tmp_path / 'b'}") as follower,
    ):
        thing = sharer.create_thing("src")
        thing.set_public()
        feeds = [thing.create_feed(f"f{i}") for i in range(4)]
        sink = follower.create_thing("sink")
        for f in feeds:
            sink.follow(f.guid, callback=on_value)

        def share(i: int) -> None:
            pause = threading.Event()
            for n in range(per_thread):
                feeds[i].share({"t": i, "n": n})
                pause.wait(0.001)

        workers = [threading.Thread(target=share, args=(i,)) for i in range(4)]
        for w in workers:
            w.start()
        wait_for(lambda: sum(map(len, got.values())) >= 400, "values on A")
        a.kill()
        wait_for(lambda: sum(map(len, got.values())) >= 1200, "values on B")
        a.start()
        b.kill()
        for w in workers:
            w.join(60)
        wait_for(lambda: sharer.outbox_depth == 0, "the outbox drained")

        def last_arrived() -> bool:
            with lock:
                return all(ns and ns[-1] == per_thread - 1 for ns in got.values())

        # bob may still be on his way back to A (his own failover): the newest values come
        # to him there at the latest with the retained copies a moved follow takes
        with contextlib.suppress(BaseException):
            wait_for(last_arrived, "the last values at bob", 30)
    for i, ns in got.items():
        assert ns == sorted(set(ns)), f"feed {i}: repeated or out of order"
    # what A or B held for bob when it died is lost with it (docs); everything else arrives
    assert all(ns and ns[-1] == per_thread - 1 for ns in got.values()), {
        i: (len(ns), ns[-1:]) for i, ns in got.items()
    }


def test_a_silent_broker_costs_one_connect_timeout_when_failing_over(
    two: Any, tmp_path: Path
) -> None:
    """[A, silent, B]: A dies; the agent should be on B about one connect_timeout later (the
    silent broker's), not two (a side connection's wait for the session claim, then the
    agent's own)."""
    a, b = two
    quiet = Silent()
    try:
        url = (
            f"mqtt://127.0.0.1:{a.port},127.0.0.1:{quiet.port},127.0.0.1:{b.port}?agent=alice"
            f"&outbox={tmp_path / 'o'}&connect_timeout=2"
        )
        with Client(url) as client:
            a.kill()
            began = time.monotonic()
            wait_for(lambda: not client.is_connected(), "the link lost")
            wait_for(client.is_connected, "on B", 30)
            took = time.monotonic() - began
        assert took < 3.5, took  # one timeout (2 s) and the backoff, not two (4 s)
    finally:
        quiet.close()


def test_one_agents_lost_link_on_a_live_broker_does_not_split_it_from_its_followers(
    two: Any, tmp_path: Path
) -> None:
    """A stays up; only the sharer's TCP link to A breaks (a keep-alive miss, a NAT drop).
    The sharer moves on to B at once, the follower stays on A: independent brokers, so the
    follower never gets another value, and nothing says so. Expected: a lost link on a broker
    that still answers reconnects there (or the agent returns to the first broker)."""
    import socket

    a, b = two
    listed = f"mqtt://127.0.0.1:{a.port},127.0.0.1:{b.port}"
    got: list[Any] = []
    with (
        Client(f"{listed}?agent=alice&outbox={tmp_path / 'a'}") as sharer,
        Client(f"{listed}?agent=bob&outbox={tmp_path / 'b'}") as follower,
    ):
        thing = sharer.create_thing("src")
        thing.set_public()
        feed = thing.create_feed("f")
        follower.create_thing("sink").follow(feed.guid, callback=lambda x: got.append(x["data"]))
        feed.share(1)
        wait_for(lambda: got == [1], "1 on A")
        supervisor = sharer._transport._supervisor  # type: ignore[attr-defined]
        sock = supervisor._link.conn.engine.socket()
        sock.shutdown(socket.SHUT_RDWR)  # the sharer's link only
        wait_for(lambda: supervisor.reconnects >= 1, "the sharer reconnected")
        feed.share(2)
        wait_for(
            lambda: got == [1, 2],
            f"2 reaching the follower; sharer on {supervisor._names.settings.where}",
            10,
        )


def test_values_shared_on_the_next_broker_before_the_follower_got_there_are_not_lost_silently(
    two: Any, tmp_path: Path
) -> None:
    """A dies. The sharer is on B first and shares 2 and 3 there; the follower (slower: a
    silent broker before B in its list) subscribes on B afterwards. Independent brokers: B
    never queued 2 and 3 for it. Expected: at least the feed's newest value (3, retained on
    B) arrives, or values_missed counts the gap; not silence."""
    a, b = two
    quiet = Silent()
    got: list[Any] = []
    try:
        with (
            Client(
                f"mqtt://127.0.0.1:{a.port},127.0.0.1:{b.port}?agent=alice&outbox={tmp_path / 'a'}"
            ) as sharer,
            Client(
                f"mqtt://127.0.0.1:{a.port},127.0.0.1:{quiet.port},127.0.0.1:{b.port}"
                f"?agent=bob&outbox={tmp_path / 'b'}&connect_timeout=2"
            ) as follower,
        ):
            thing = sharer.create_thing("src")
            thing.set_public()
            feed = thing.create_feed("f")
            follower.create_thing("sink").follow(
                feed.guid, callback=lambda x: got.append(x["data"])
            )
            feed.share(1)
            wait_for(lambda: got == [1], "1 on A")
            a.kill()
            wait_for(lambda: not sharer.is_connected(), "the sharer's link lost")
            wait_for(sharer.is_connected, "the sharer on B")
            feed.share(2)
            feed.share(3)
            wait_for(lambda: sharer.outbox_depth == 0, "2 and 3 acknowledged by B")
            wait_for(follower.is_connected, "the follower on B")
            deadline = time.monotonic() + 10
            pause = threading.Event()
            while 3 not in got and not follower.values_missed and time.monotonic() < deadline:
                pause.wait(0.05)
            assert 3 in got or follower.values_missed, (got, follower.values_missed)
    finally:
        quiet.close()
