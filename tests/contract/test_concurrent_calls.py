"""Contract: request/response calls (get_recent, tell, describe, search) from many threads."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

THREADS = 8
CALLS = 10


def _run_together(work: Callable[[int], list[Any]]) -> list[list[Any]]:
    """Run *work(n)* on THREADS threads that start together; return each one's results, and
    re-raise the first exception one of them met."""
    barrier = threading.Barrier(THREADS)
    results: list[list[Any]] = [[] for _ in range(THREADS)]
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            barrier.wait(10)
            results[n] = work(n)
        except BaseException as exc:  # handed to the test below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(t.is_alive() for t in threads), "a call never returned"
    if errors:
        raise errors[0]
    return results


def test_get_recent_from_many_threads_on_one_feed(make_client: Any, eventually: Any) -> None:
    sharer, follower = make_client("sharer"), make_client("follower")
    thing = sharer.create_thing("sensor")
    thing.set_public()
    feed = thing.create_feed("temp", save_recent=5)
    for n in range(5):
        feed.share({"n": n})
    remote = follower.create_thing("display").follow(feed.guid)
    expected = [0, 1, 2, 3, 4]
    assert eventually(lambda: [r["data"]["n"] for r in remote.get_recent(5)] == expected)

    def work(_: int) -> list[Any]:
        return [[r["data"]["n"] for r in remote.get_recent(5)] for _ in range(CALLS)]

    for got in _run_together(work):
        assert got == [expected] * CALLS


@pytest.mark.needs_directory
def test_tell_describe_and_search_from_many_threads(make_client: Any) -> None:
    controller, teller = make_client("controller"), make_client("teller")

    def confirm(args: dict[str, Any]) -> None:
        controller.confirm_tell(args, args["data"]["ok"])

    thing = controller.create_thing("lamp")
    thing.set_public()
    with thing.get_meta() as meta:
        meta.set_label("Desk lamp")
    control = thing.create_control("switch", callback=confirm)
    remote = teller.create_thing("me").attach(control.guid)

    def work(n: int) -> list[Any]:
        got = []
        for i in range(CALLS):
            ok = (n + i) % 2 == 0
            got.append(
                remote.tell({"ok": ok, "n": n, "i": i}, timeout=10) == (True if ok else "failed")
            )
            described = teller.describe(control.guid)
            got.append(described is not None and described["guid"] == control.guid)
            got.append(list(teller.search(text="desk lamp")) == [thing.guid])
        return got

    for got in _run_together(work):
        assert got == [True] * (3 * CALLS)
