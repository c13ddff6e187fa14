"""Benchmark MQTT: plain paho-mqtt against iotic_app's share -> follow, side by side, one run.

Starts its own Mosquitto on a free loopback port (tests/broker.py's tuned one: persistence on,
autosave every second), then measures with the receiver in another process (targets of
issue 4 beside the numbers)::

    python benchmarks/bench_mqtt.py            # 20,000 messages for throughput
    python benchmarks/bench_mqtt.py --quick    # smaller runs
    python benchmarks/bench_mqtt.py --rounds 5 # median of 5 rounds (default 3)

* throughput: QoS 1, N messages as fast as the sender can, from the first send to the last
  arrival (plain paho: 1,000 in flight, as iotic_app's window; target iotic_app >= 0.8 x paho);
* latency at 1,000 messages/s: send to receive callback, p50 and p99 (target: p50 within
  100 us of paho's, p99 < 1 ms);
* throughput and latency run ``--rounds`` times (default 3), paho and iotic_app taking turns;
  the table shows the median of each figure;
* recovery: the broker is killed while sending at 1,000/s and restarted 0.5 s later; time from
  the broker listening again to the next arrival (target < 1 s). Plain paho uses its own
  reconnect (``reconnect_delay_set`` min 0.05 s) and, unlike iotic_app, loses what it sent
  meanwhile.

Both sides set TCP_NODELAY (paho does not by default; iotic_app does).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE.parent))

import paho.mqtt.client as mqtt  # noqa: E402
from broker import Broker  # noqa: E402

TOPIC = "bench/paho"


def _nodelay(client: mqtt.Client) -> None:
    sock = client.socket()
    if isinstance(sock, socket.socket):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


# --- the receiving side, in its own process -------------------------------------------------


def worker(kind: str, url: str, count: int, tmp: str) -> None:
    """Receive *count* values, then print one JSON line: arrival and latency data."""
    arrivals: list[tuple[int, int]] = []  # (n, arrival ns), repeats included
    latencies: list[int] = []
    distinct: set[int] = set()
    done = threading.Event()

    def record(data: dict[str, Any]) -> None:
        now = time.perf_counter_ns()
        arrivals.append((data["n"], now))
        latencies.append(now - data["t"])
        distinct.add(data["n"])
        if len(distinct) >= count:  # a repeat does not count: it would end a round early
            done.set()

    host, port = url.split("//")[1].split(":")
    if kind == "paho":
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id="bench-sub", protocol=mqtt.MQTTv5
        )
        client.on_message = lambda c, u, m: record(json.loads(m.payload))
        subscribed = threading.Event()
        client.on_subscribe = lambda *a: subscribed.set()
        client.reconnect_delay_set(0.05, 2)
        client.on_connect = lambda c, u, f, rc, p: c.subscribe(TOPIC, qos=1)
        client.connect(host, int(port), clean_start=False)
        _nodelay(client)
        client.loop_start()
        subscribed.wait(10)
        print("ready", flush=True)
        done.wait()
        client.loop_stop()
        client.disconnect()
    else:
        from iotic_app.client import Client
        from iotic_app.transports._protocol import FEED, point_guid, thing_guid

        follower = Client(f"{url}?agent=bench-follower&outbox={tmp}/f")
        follower.start()
        guid = point_guid(thing_guid("bench-sharer", "src"), FEED, "f")
        follower.create_thing("me").follow(guid, callback=lambda a: record(a["data"]))
        print("ready", flush=True)
        done.wait()
        follower.stop()
    print(json.dumps({"arrivals": arrivals, "latencies": latencies}), flush=True)


class Receiver:
    """A worker process; ``result()`` waits for its JSON line."""

    def __init__(self, kind: str, url: str, count: int, tmp: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--worker", kind, url, str(count), tmp],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if line != "ready":
            raise RuntimeError(f"worker did not start: {line!r}")

    def result(self, timeout: float = 120) -> dict[str, Any]:
        out, _ = self.process.communicate(timeout=timeout)
        data: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        return data


# --- the sending side -------------------------------------------------------------------------


class PahoSender:
    """Plain paho: QoS 1, 1,000 in flight, its own reconnect."""

    def __init__(self, url: str) -> None:
        host, port = url.split("//")[1].split(":")
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id="bench-pub", protocol=mqtt.MQTTv5
        )
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        self.client.reconnect_delay_set(0.05, 2)
        self.client.connect(host, int(port))
        _nodelay(self.client)
        self.client.loop_start()

    def send(self, n: int) -> None:
        body = json.dumps({"n": n, "t": time.perf_counter_ns()})
        self.client.publish(TOPIC, body, qos=1)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


class IoticSender:
    """iotic_app: a feed's share()."""

    runs = 0

    def __init__(self, url: str, tmp: str) -> None:
        from iotic_app.client import Client

        # a fresh outbox each time: a restarted agent first resends what the broker acknowledged
        # in the last 5 s (the replay window), which is not what a round measures
        IoticSender.runs += 1
        self.client = Client(f"{url}?agent=bench-sharer&outbox={tmp}/s{IoticSender.runs}")
        self.client.start()
        thing = self.client.create_thing("src")
        thing.set_public()
        self.feed = thing.create_feed("f")

    def send(self, n: int) -> None:
        self.feed.share({"n": n, "t": time.perf_counter_ns()})

    def close(self) -> None:
        self.client.stop()


def make_sender(kind: str, url: str, tmp: str) -> PahoSender | IoticSender:
    return PahoSender(url) if kind == "paho" else IoticSender(url, tmp)


def paced(
    sender: PahoSender | IoticSender, count: int, rate: float, at: dict[int, Any] | None = None
) -> None:
    pause = threading.Event()
    start = time.perf_counter()
    for n in range(count):
        sender.send(n)
        if at and n in at:
            at[n]()
        ahead = start + (n + 1) / rate - time.perf_counter()
        if ahead > 0:
            pause.wait(ahead)


def throughput(kind: str, broker: Broker, count: int, tmp: str) -> float:
    sender = make_sender(kind, broker.url, tmp)
    receiver = Receiver(kind, broker.url, count, tmp)
    began = time.perf_counter_ns()
    for n in range(count):
        sender.send(n)
    result = receiver.result()
    sender.close()
    last = max(t for _, t in result["arrivals"])
    return count / ((last - began) / 1e9)


def latency(kind: str, broker: Broker, count: int, tmp: str) -> tuple[float, float]:
    sender = make_sender(kind, broker.url, tmp)
    receiver = Receiver(kind, broker.url, count, tmp)
    paced(sender, count, 1000.0)
    result = receiver.result()
    sender.close()
    lat = sorted(result["latencies"][count // 10 :])  # skip the warm-up
    return lat[len(lat) // 2] / 1000, lat[int(len(lat) * 0.99)] / 1000


def recovery_iotic(broker: Broker, tmp: str) -> tuple[float, int, int]:
    """iotic_app: time to the next arrival after the broker returns, values arrived, repeats."""
    count = 3000
    sender = IoticSender(broker.url, tmp)
    receiver = Receiver("iotic_app", broker.url, count, tmp)
    returned: list[int] = []

    def restart() -> None:
        broker.start()
        returned.append(time.perf_counter_ns())

    paced(sender, count, 1000.0, {1000: broker.kill, 1500: restart})
    result = receiver.result()
    sender.close()
    after = [t for _, t in result["arrivals"] if t > returned[0]]
    distinct = len({n for n, _ in result["arrivals"]})
    repeats = len(result["arrivals"]) - distinct
    return (min(after) - returned[0]) / 1e9, distinct, repeats


def recovery_paho(broker: Broker, tmp: str) -> tuple[float, int, int]:
    """Plain paho: time to the next arrival after the broker returns, and the count."""
    arrivals: list[int] = []
    host, port = broker.url.split("//")[1].split(":")
    sub = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id="bench-rsub", protocol=mqtt.MQTTv5
    )
    sub.on_message = lambda c, u, m: arrivals.append(time.perf_counter_ns())
    sub.on_connect = lambda c, u, f, rc, p: c.subscribe(TOPIC, qos=1)
    sub.reconnect_delay_set(0.05, 2)
    sub.connect(host, int(port), clean_start=False)
    sub.loop_start()
    sender = PahoSender(broker.url)
    returned: list[int] = []

    def restart() -> None:
        broker.start()
        returned.append(time.perf_counter_ns())

    count = 3000
    paced(sender, count, 1000.0, {1000: broker.kill, 1500: restart})
    deadline = time.monotonic() + 5
    pause = threading.Event()
    while len(arrivals) < count and time.monotonic() < deadline:
        pause.wait(0.05)
    sender.close()
    sub.loop_stop()
    sub.disconnect()
    after = [t for t in arrivals if t > returned[0]]
    wait = (min(after) - returned[0]) / 1e9 if after else float("nan")
    return wait, len(arrivals), count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs")
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of throughput and latency (median)"
    )
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, url, count, tmp = args.worker
        worker(kind, url, int(count), tmp)
        return
    n = 5_000 if args.quick else 20_000
    lat_n = 2_000 if args.quick else 5_000
    rows: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        broker = Broker(Path(tmp) / "mosquitto")
        broker.start()
        try:
            # several rounds, paho and iotic_app taking turns, and the median of each figure:
            # one round is at the mercy of whatever else the machine does meanwhile
            tps: dict[str, list[float]] = {"paho": [], "iotic_app": []}
            lats: dict[str, list[tuple[float, float]]] = {"paho": [], "iotic_app": []}
            for _ in range(args.rounds):
                for k in ("paho", "iotic_app"):
                    tps[k].append(throughput(k, broker, n, tmp))
                for k in ("paho", "iotic_app"):
                    lats[k].append(latency(k, broker, lat_n, tmp))
            tp = {k: statistics.median(v) for k, v in tps.items()}
            lat = {
                k: (statistics.median(p for p, _ in v), statistics.median(q for _, q in v))
                for k, v in lats.items()
            }
            rec_paho = recovery_paho(broker, tmp)
            rec_iotic = recovery_iotic(broker, tmp)
        finally:
            broker.close()
    ratio = tp["iotic_app"] / tp["paho"]
    rows.append(
        (
            "throughput, QoS 1 (msg/s)",
            f"{tp['paho']:,.0f}",
            f"{tp['iotic_app']:,.0f}",
            f">= 0.8 x paho: {ratio:.2f} x",
        )
    )
    dp50 = lat["iotic_app"][0] - lat["paho"][0]
    rows.append(
        (
            "latency p50 at 1,000/s (us)",
            f"{lat['paho'][0]:.0f}",
            f"{lat['iotic_app'][0]:.0f}",
            f"within 100 us of paho: {dp50:+.0f} us",
        )
    )
    rows.append(
        (
            "latency p99 at 1,000/s (us)",
            f"{lat['paho'][1]:.0f}",
            f"{lat['iotic_app'][1]:.0f}",
            "< 1000 us",
        )
    )
    rows.append(
        (
            "back to delivering after the broker returns (s)",
            f"{rec_paho[0]:.3f}",
            f"{rec_iotic[0]:.3f}",
            "< 1 s",
        )
    )
    rows.append(
        (
            "values arriving of 3,000 sent across the restart",
            f"{rec_paho[1]:,}",
            f"{rec_iotic[1]:,} ({rec_iotic[2]} twice)",
            "all, none twice (iotic_app)",
        )
    )
    width = max(len(r[0]) for r in rows)
    print(f"{'':{width}}  {'plain paho':>12}  {'iotic_app':>12}  target")
    for name, a, b, target in rows:
        print(f"{name:{width}}  {a:>12}  {b:>12}  {target}")
    version = subprocess.run([broker.binary, "-h"], capture_output=True, text=True).stdout
    print(
        f"\n(Mosquitto {version.split()[2]} on 127.0.0.1, {os.cpu_count()} CPUs, "
        f"Python {sys.version.split()[0]})"
    )


if __name__ == "__main__":
    main()
