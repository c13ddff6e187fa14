"""Benchmark an agent's cost against the size of the space: start(), memory, lookups by guid.

Starts its own Mosquitto on a free loopback port (tests/broker.py's tuned one, persistence off:
its autosave every second of 300,000 retained messages stalls it at random; ``--stock`` for the
stock configuration), fills spaces of 0, 1,000, 10,000 and 100,000 things, each under its
own topic root, with a bulk path (paho publishing the retained documents and ``ROOT/_guid``
pointers that iotic_app's agents publish, encoded by the transport's own encoder: public things
with a label, a tag and a feed), then measures, in a fresh subprocess per run::

    python benchmarks/bench_space.py             # 0, 1,000, 10,000, 100,000 things
    python benchmarks/bench_space.py --quick     # 0 and 1,000 (CI smoke)
    python benchmarks/bench_space.py --rounds 5  # median of 5 runs (default 3)
    python benchmarks/bench_space.py --before ../main  # and the iotic_app of another checkout

* start: ``Client(url).start()`` of an agent with no things, wall time;
* memory: the process's RSS after start() minus before it (after the imports), and its peak
  RSS after start() (VmHWM, the imports included);
* describe: a cold ``describe(guid)`` of a random feed guid of the space (pointer + document:
  two round trips), median of 20 in the run;
* follow: ``follow(guid)`` of another random feed guid not looked up yet, median of 20.

Figures to reach (issue 12): start at 100,000 things within 1.5 x of the empty space's, memory
within 10 MB of it. Each size runs its rounds in turn, the sizes interleaved, and the table
shows the median of each figure.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
if "--child" not in sys.argv:  # a child imports the iotic_app its PYTHONPATH names (--before)
    sys.path.insert(0, str(HERE.parent))

import paho.mqtt.client as mqtt  # noqa: E402
from broker import Broker  # noqa: E402

PER_AGENT = 1000  # things per filling agent
SAMPLES = 20


def _peak_kb() -> int:
    """This process's peak RSS (VmHWM: since its exec; ``ru_maxrss`` keeps the parent's)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def _rss_kb() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() // 1024


def fill(url: str, root: str, count: int) -> list[str]:
    """Publish *count* things (documents, then pointers) under *root*; return their feed
    guids. One connection, QoS 0 in order, then a QoS 1 publish waited for: the broker has
    taken all of them when it is acknowledged."""
    from iotic_app.transports._protocol import FEED, point_guid, thing_guid
    from iotic_app.transports.mqtt._handles import Point, Thing
    from iotic_app.transports.mqtt._thingdoc import (
        encode_pointer,
        encode_thing_doc,
        encode_wire,
        seg,
    )

    host, port = url.removeprefix("mqtt://").split(":")
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.max_queued_messages_set(0)
    client.connect(host, int(port))
    client.loop_start()
    feeds: list[str] = []
    try:
        for n in range(count):
            agent, lid = f"filler{n // PER_AGENT}", f"thing{n}"
            thing = Thing(lid, thing_guid(agent, lid), f"{root}/{seg(agent)}/{seg(lid)}")
            thing.public = True
            thing.labels = {"en": f"Thing number {n}"}
            thing.tags = frozenset({f"tag{n % 97}"})
            feed = Point(thing, FEED, "temp", point_guid(thing.guid, FEED, "temp"))
            thing.points[(FEED, "temp")] = feed
            client.publish(f"{thing.base}/meta", encode_thing_doc(thing.doc(agent)), 0, True)
            pointer = encode_pointer(agent, lid)
            client.publish(f"{root}/_guid/{thing.guid}", pointer, 0, True)
            client.publish(f"{root}/_guid/{feed.guid}", pointer, 0, True)
            feeds.append(feed.guid)
        client.publish(f"{root}/_wire", encode_wire(), 1, True).wait_for_publish(600)
    finally:
        client.loop_stop()
        client.disconnect()
    return feeds


def run_one(url: str, root: str, guids: list[str], outbox: str) -> None:
    """In a subprocess: one agent's start(), memory, cold describes and follows; one JSON line."""
    from iotic_app.client import Client

    before_rss = _rss_kb()
    client = Client(f"{url}?agent=probe&root={root}&outbox={outbox}")
    t0 = time.perf_counter()
    client.start()
    start = time.perf_counter() - t0
    after_rss, after_peak = _rss_kb(), _peak_kb()
    describe: list[float] = []
    follow: list[float] = []
    if guids:
        me = client.create_thing("me")
        picked = random.sample(guids, min(len(guids), 2 * SAMPLES))
        for guid in picked[:SAMPLES]:
            t0 = time.perf_counter()
            found = client.describe(guid)
            describe.append(time.perf_counter() - t0)
            assert found is not None, guid
        for guid in picked[SAMPLES:]:
            t0 = time.perf_counter()
            me.follow(guid, callback=lambda args: None)
            follow.append(time.perf_counter() - t0)
    client.close()
    print(
        json.dumps(
            {
                "start_ms": start * 1000,
                "rss_mb": (after_rss - before_rss) / 1024,
                "peak_mb": after_peak / 1024,
                "describe_ms": statistics.median(describe) * 1000 if describe else None,
                "follow_ms": statistics.median(follow) * 1000 if follow else None,
            }
        )
    )


def measure(
    url: str, root: str, guids: list[str], tmp: str, n: int, code: str | None = None
) -> dict[str, Any]:
    """One run in a fresh process (the guids to look up go in a file), of this iotic_app or
    (*code*) of the one in that folder."""
    path = Path(tmp) / f"{root}.guids"
    path.write_text("\n".join(random.sample(guids, min(len(guids), 4 * SAMPLES))))
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            url,
            root,
            str(path),
            str(Path(tmp) / f"o{n}-{root}{'-before' if code else ''}"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "PYTHONPATH": code or str(HERE.parent)},
    )
    if out.returncode != 0:
        raise RuntimeError(f"the measuring process failed:\n{out.stderr}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _fmt(value: float | None, unit: str) -> str:
    return "-" if value is None else f"{value:.1f} {unit}"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        url, root, path, outbox = sys.argv[2:6]
        text = Path(path).read_text().strip()
        run_one(url, root, text.split("\n") if text else [], outbox)
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="0 and 1,000 things only")
    parser.add_argument("--rounds", type=int, default=3, help="runs per size (median)")
    parser.add_argument("--stock", action="store_true", help="a stock-config Mosquitto")
    parser.add_argument(
        "--before",
        metavar="DIR",
        help="also measure the iotic_app in DIR (e.g. a checkout of the previous version)",
    )
    args = parser.parse_args()
    sizes = [0, 1000] if args.quick else [0, 1000, 10_000, 100_000]
    with tempfile.TemporaryDirectory() as tmp:
        broker = Broker(Path(tmp) / "mosquitto", stock=args.stock)
        if not args.stock:  # saving 300,000 retained messages every second stalls it at random
            conf = broker.config_file.read_text().replace("persistence true", "persistence false")
            broker.config_file.write_text(conf)
        broker.start()
        try:
            spaces: dict[int, tuple[str, list[str]]] = {}
            for size in sizes:
                root = f"space{size}"
                t0 = time.perf_counter()
                spaces[size] = (root, fill(broker.url, root, size))
                took = time.perf_counter() - t0
                print(f"filled {size:,} things in {took:.1f} s", file=sys.stderr)
            runs: dict[int, list[dict[str, Any]]] = {size: [] for size in sizes}
            before: dict[int, list[dict[str, Any]]] = {size: [] for size in sizes}
            for n in range(args.rounds):  # this version's sizes, then the other's
                for size in sizes:
                    root, guids = spaces[size]
                    runs[size].append(measure(broker.url, root, guids, tmp, n))
                for size in sizes if args.before else []:
                    root, guids = spaces[size]
                    before[size].append(measure(broker.url, root, guids, tmp, n, args.before))
            for size in sizes:
                starts = ", ".join(f"{r['start_ms']:.1f}" for r in runs[size])
                print(f"start() of each run, {size:,} things: {starts} ms", file=sys.stderr)
        finally:
            broker.close()
    config = "stock" if args.stock else "tuned (set_tcp_nodelay)"
    print(
        f"\nAn agent's cost by the size of the space (Mosquitto {config}, median of "
        f"{args.rounds} runs, a fresh process each)\n"
    )
    print("| things | start() | RSS growth | peak RSS | cold describe | cold follow |")
    print("|---:|---:|---:|---:|---:|---:|")
    med: dict[int, dict[str, float | None]] = {}
    for size in sizes:
        figures: dict[str, float | None] = {}
        for key in ("start_ms", "rss_mb", "peak_mb", "describe_ms", "follow_ms"):
            values = [r[key] for r in runs[size] if r[key] is not None]
            figures[key] = statistics.median(values) if values else None
        med[size] = figures
        print(
            f"| {size:,} | {_fmt(figures['start_ms'], 'ms')} | {_fmt(figures['rss_mb'], 'MB')} | "
            f"{_fmt(figures['peak_mb'], 'MB')} | {_fmt(figures['describe_ms'], 'ms')} | "
            f"{_fmt(figures['follow_ms'], 'ms')} |"
        )
    if args.before:
        print(f"\nThe same with the iotic_app in {args.before}:\n")
        print("| things | start() | RSS growth | peak RSS | describe | follow |")
        print("|---:|---:|---:|---:|---:|---:|")
        for size in sizes:
            fig: dict[str, float | None] = {}
            for key in ("start_ms", "rss_mb", "peak_mb", "describe_ms", "follow_ms"):
                values = [r[key] for r in before[size] if r[key] is not None]
                fig[key] = statistics.median(values) if values else None
            print(
                f"| {size:,} | {_fmt(fig['start_ms'], 'ms')} | {_fmt(fig['rss_mb'], 'MB')} | "
                f"{_fmt(fig['peak_mb'], 'MB')} | {_fmt(fig['describe_ms'], 'ms')} | "
                f"{_fmt(fig['follow_ms'], 'ms')} |"
            )
    big, empty = med[sizes[-1]], med[0]
    if big["start_ms"] and empty["start_ms"] and big["rss_mb"] is not None:
        ratio = big["start_ms"] / empty["start_ms"]
        grew = big["rss_mb"] - (empty["rss_mb"] or 0.0)
        print(
            f"\n{sizes[-1]:,} things against none: start {ratio:.2f} x (target <= 1.5 x), "
            f"memory {grew:+.1f} MB (target within 10 MB)"
        )


if __name__ == "__main__":
    main()
