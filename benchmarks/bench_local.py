"""Benchmark the embedded local:// space: throughput, latency, and the cost of many things.

Prints results (no assertions), with the targets of issue 3 beside them::

    python benchmarks/bench_local.py            # all three
    python benchmarks/bench_local.py --quick    # smaller runs
"""

from __future__ import annotations

import argparse
import gc
import statistics
import threading
import time
import tracemalloc
import uuid
from typing import Any

from iotic_app.client import Client


def _pair() -> tuple[Client, Client, Any, Any]:
    space = f"bench-{uuid.uuid4().hex[:8]}"
    sharer = Client(f"local://{space}?agent=sharer")
    follower = Client(f"local://{space}?agent=follower")
    sharer.start()
    follower.start()
    thing = sharer.create_thing("source")
    thing.set_public()
    feed = thing.create_feed("data")
    return sharer, follower, feed, follower.create_thing("sink")


def throughput(count: int) -> float:
    """Share *count* small dicts as fast as possible; return messages/s until the last arrives."""
    sharer, follower, feed, sink = _pair()
    done = threading.Event()
    received = [0]

    def callback(args: dict[str, Any]) -> None:
        received[0] += 1
        if received[0] == count:
            done.set()

    sink.follow(feed.guid, callback=callback)
    start = time.perf_counter()
    for n in range(count):
        feed.share({"n": n})
    if not done.wait(60):
        raise RuntimeError(f"only {received[0]} of {count} arrived")
    elapsed = time.perf_counter() - start
    sharer.stop()
    follower.stop()
    return count / elapsed


def latency(rate: float, count: int) -> list[float]:
    """Share *count* values paced at *rate*/s; return share-to-callback latencies in seconds."""
    sharer, follower, feed, sink = _pair()
    latencies: list[float] = []
    done = threading.Event()
    clock = time.perf_counter

    def callback(args: dict[str, Any]) -> None:
        latencies.append(clock() - args["data"]["t"])
        if len(latencies) == count:
            done.set()

    sink.follow(feed.guid, callback=callback)
    period = 1.0 / rate
    pause = threading.Event()
    next_at = clock()
    for _ in range(count):
        now = clock()
        if next_at > now:
            pause.wait(next_at - now)  # releases the GIL, as a real sensor loop would
        feed.share({"t": clock()})
        next_at += period
    if not done.wait(60):
        raise RuntimeError(f"only {len(latencies)} of {count} arrived")
    sharer.stop()
    follower.stop()
    return latencies


def _build(count: int) -> tuple[Client, list[Any]]:
    client = Client(f"local://bench-{uuid.uuid4().hex[:8]}?agent=builder")
    client.start()
    feeds = []
    for n in range(count):
        feeds.append(client.create_thing(f"thing-{n}").create_feed("value"))
    return client, feeds


def many_things(count: int) -> tuple[float, float]:
    """Create *count* things with one feed each; return (seconds, bytes per thing).

    Timed without tracemalloc; memory measured in a second run, keeping the Feed objects.
    """
    gc.collect()
    start = time.perf_counter()
    client, _ = _build(count)
    elapsed = time.perf_counter() - start
    client.stop()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    client, feeds = _build(count)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    client.stop()
    del feeds
    return elapsed, (after - before) / count


def main() -> None:
    """Run the benchmarks and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs")
    args = parser.parse_args()
    scale = 10 if args.quick else 1

    rates = [throughput(500_000 // scale) for _ in range(3)]
    print(
        f"share->follower throughput: {statistics.median(rates):>12,.0f} msg/s "
        f"(median of 3: {', '.join(f'{r:,.0f}' for r in rates)}; target >= 250,000)"
    )

    lat = sorted(latency(10_000, 50_000 // scale))
    p50 = lat[len(lat) // 2] * 1e6
    p99 = lat[int(len(lat) * 0.99)] * 1e6
    print(
        f"latency at 10,000 msg/s:    p50 {p50:8.1f} us, p99 {p99:8.1f} us "
        f"(max {lat[-1] * 1e6:.0f} us; target p99 < 1000 us)"
    )

    seconds, per_thing = many_things(10_000)
    print(
        f"10,000 things + 1 feed each: {seconds:8.3f} s, {per_thing:,.0f} bytes each "
        f"(target < 2 s, < 2,048 bytes)"
    )


if __name__ == "__main__":
    main()
