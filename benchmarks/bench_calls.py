"""Benchmark synchronous calls on MQTT: a stock-config Mosquitto beside a tuned one, one run.

Starts two Mosquittos on free loopback ports: one as ``apt install mosquitto`` leaves it (a
listener, nothing tuned: Nagle's algorithm on) and the tests' tuned one (``set_tcp_nodelay
true``, persistence). Each column runs in a process of its own::

    python benchmarks/bench_calls.py            # 300 calls of each kind, 1,000 things
    python benchmarks/bench_calls.py --quick    # 60 calls, 200 things

Columns, side by side:

* iotic_app on the stock broker, and the same with immediate acknowledgements switched off
  (``_paho_engine._QUICKACK = None``: the client as it was before issue 12), and on the tuned
  broker;
* plain paho-mqtt (TCP_NODELAY on) doing what a metadata call does on the wire: publish a
  retained document at QoS 1 on a topic it subscribes to, and wait for the PUBACK.

Rows: p50 and p99 of each synchronous call (``create_thing``, a ``get_meta()`` block,
``create_tag``, ``set_public``, ``create_feed``, ``create_control``, ``describe``, ``tell`` to
another agent's control, ``follow`` and ``unfollow`` of its feed, ``attach``, ``get_recent``,
``list``, ``delete_thing``), and the seconds to provision things (create, label,
tag, feed, public), one call at a time and in one ``client.batch()``. Targets (issue 12): on
the stock broker p50 <= 3 ms, p99 <= 10 ms; provisioning 1,000 things <= 3 s.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE.parent))

from broker import Broker  # noqa: E402

CALLS = (
    "create_thing",
    "get_meta block",
    "create_tag",
    "set_public",
    "create_feed",
    "create_control",
    "describe",
    "tell",
    "follow",
    "unfollow",
    "attach",
    "get_recent",
    "list",
    "delete_thing",
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def provision_things(client: Any, prefix: str, count: int) -> None:
    """Make *count* things with a label, a tag, a feed and the public flag."""
    for n in range(count):
        thing = client.create_thing(f"{prefix}{n}")
        with thing.get_meta() as meta:
            meta.set_label(f"Provisioned {n}")
        thing.create_tag(["provisioned"])
        thing.create_feed("temp")
        thing.set_public(True)


def iotic_worker(url: str, calls: int, things: int, quickack: bool) -> dict[str, Any]:
    """Time each call *calls* times, then provision *things* things; milliseconds / seconds."""
    from iotic_app import Client
    from iotic_app.transports.mqtt import _paho_engine

    if not quickack:
        _paho_engine._QUICKACK = None
    root = f"bench-{uuid.uuid4().hex[:8]}"
    outbox = tempfile.mkdtemp(prefix="bench-calls-")
    client = Client(f"{url}?agent=bench&root={root}&outbox={outbox}")
    peer = Client(f"{url}?agent=peer&root={root}&outbox={outbox}")
    client.start()
    peer.start()
    times: dict[str, list[float]] = {name: [] for name in CALLS}

    def timed(name: str, call: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        result = call()
        times[name].append((time.perf_counter() - start) * 1000)
        return result

    valve = peer.create_thing("valve")
    valve.set_public(True)
    control = valve.create_control("open", lambda args: peer.confirm_tell(args, True))
    panel = client.create_thing("panel")
    remote = panel.attach(control.guid)
    gauge = valve.create_feed("flow", save_recent=10)
    gauge.share({"litres": 1})
    for n in range(calls):
        thing = timed("create_thing", lambda n=n: client.create_thing(f"t{n}"))

        def label(thing: Any = thing, n: int = n) -> None:
            with thing.get_meta() as meta:
                meta.set_label(f"Thing {n}")

        timed("get_meta block", label)
        timed("create_tag", lambda thing=thing: thing.create_tag(["bench"]))
        timed("set_public", lambda thing=thing: thing.set_public(True))
        timed("create_feed", lambda thing=thing: thing.create_feed("temp"))
        timed("create_control", lambda thing=thing: thing.create_control("reset"))
        timed("describe", lambda thing=thing: client.describe(thing.guid))
        result = timed("tell", lambda: remote.tell({"open": True}, timeout=5))
        assert result is True, result
        followed = timed("follow", lambda: panel.follow(gauge.guid, lambda _args: None))
        timed("unfollow", lambda followed=followed: panel.unfollow(followed))
        timed("attach", lambda: panel.attach(control.guid))
        timed("get_recent", lambda followed=followed: followed.get_recent(5))
        timed("list", lambda: client.list(limit=10))
        timed("delete_thing", lambda n=n: client.delete_thing(f"t{n}"))
    start = time.perf_counter()
    provision_things(client, "p", things)
    provision = time.perf_counter() - start
    start = time.perf_counter()
    with client.batch():
        provision_things(client, "b", things)
    batched = time.perf_counter() - start
    client.close()
    peer.close()
    return {"times": times, "provision": provision, "batched": batched}


def paho_worker(url: str, calls: int) -> dict[str, Any]:
    """Publish a retained document at QoS 1 on a subscribed topic and wait for the PUBACK."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    host, port = url.removeprefix("mqtt://").split(":")
    acked = threading.Event()
    ready = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.on_publish = lambda *_: acked.set()
    client.on_subscribe = lambda *_: ready.set()
    client.connect(host, int(port))
    sock = client.socket()
    if isinstance(sock, socket.socket):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    client.loop_start()
    topic = f"bench-{uuid.uuid4().hex[:8]}/paho/thing/meta"
    client.subscribe(topic, qos=0)
    ready.wait(5)
    body = json.dumps({"labels": {"en": "a thing"}, "points": [], "tags": ["x"] * 8}).encode()
    times = []
    for _ in range(calls * 2):
        acked.clear()
        start = time.perf_counter()
        client.publish(topic, body, qos=1, retain=True)
        if not acked.wait(5):
            raise TimeoutError("no PUBACK")
        times.append((time.perf_counter() - start) * 1000)
    client.publish(topic, b"", qos=1, retain=True).wait_for_publish(5)
    client.disconnect()
    client.loop_stop()
    return {"times": {"publish + PUBACK": times[calls:]}}


def run_worker(*args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--worker", *args], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"worker {args} failed:\n{out.stderr}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="60 calls, 200 things")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, url, *rest = args.worker
        if kind == "paho":
            print(json.dumps(paho_worker(url, int(rest[0]))))
        else:
            print(json.dumps(iotic_worker(url, int(rest[0]), int(rest[1]), kind == "iotic")))
        return
    calls, things = (60, 200) if args.quick else (300, 1000)
    with tempfile.TemporaryDirectory() as tmp:
        stock = Broker(Path(tmp) / "stock", stock=True)
        tuned = Broker(Path(tmp) / "tuned")
        with stock, tuned:
            stock.start()
            tuned.start()
            columns = {
                "stock, before (no quick ack)": run_worker(  # 44 ms a call: a tenth as many
                    "iotic-noqa", stock.url, str(calls // 10), str(things // 10)
                ),
                "stock": run_worker("iotic", stock.url, str(calls), str(things)),
                "tuned": run_worker("iotic", tuned.url, str(calls), str(things)),
                "paho stock": run_worker("paho", stock.url, str(calls)),
                "paho tuned": run_worker("paho", tuned.url, str(calls)),
            }
    print(
        f"{calls} calls of each kind ({calls // 10} before the fix); p50 / p99 in ms "
        "(targets on stock: <= 3 / <= 10)\n"
    )
    names = list(columns)
    print("| call | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for call in (*CALLS, "publish + PUBACK"):
        cells = []
        for name in names:
            values = columns[name]["times"].get(call)
            cells.append(
                f"{statistics.median(values):.2f} / {percentile(values, 0.99):.2f}"
                if values
                else "-"
            )
        print(f"| {call} | " + " | ".join(cells) + " |")
    cells = [
        f"{columns[n]['provision']:.2f} s" if "provision" in columns[n] else "-" for n in names
    ]
    cells[0] += f" for {things // 10}"  # the column before the fix made a tenth as many
    print(f"| provision {things} things | " + " | ".join(cells) + " |")
    cells = [f"{columns[n]['batched']:.2f} s" if "batched" in columns[n] else "-" for n in names]
    cells[0] += f" for {things // 10}"
    print("| the same in `client.batch()` | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
