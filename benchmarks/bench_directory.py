"""Benchmark the directory: search latency through MQTT and its memory, at 0 to 100,000 things.

For each size a fresh Mosquitto (stock configuration by default: a listener, nothing tuned;
``--broker tuned`` for tests/broker.py's tuned one, ``tuned-memory`` for it without
persistence, ``both`` for stock and tuned) is filled with N
retained thing documents published directly with paho (the bulk path: documents as agents
publish them on ``ROOT/AGENT/LID/meta``, 100 agents, half the things public), then a directory
runs as its own process (``python -m iotic_app directory``) and indexes them; a requester (plain
paho, TCP_NODELAY, as agent ``bench``) sends search requests one after another and times each
from publish to reply. Figures: the directory's time to come online (index N documents), its
peak and current RSS, and p50/p99 of each query shape::

    python benchmarks/bench_directory.py                     # 0, 1,000, 10,000, 100,000
    python benchmarks/bench_directory.py --sizes 0,1000 --queries 100

Targets (issue 12) at 100,000 things: p50 <= 20 ms, p99 <= 100 ms; RSS <= 300 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE.parent))

import paho.mqtt.client as mqtt  # noqa: E402
from broker import Broker  # noqa: E402

from iotic_app.transports._protocol import Query, point_guid, thing_guid  # noqa: E402
from iotic_app.transports.mqtt._dirwire import QOS, query_to_json  # noqa: E402

ROOT = "iotic"
WORDS = [f"word{n:03d}" for n in range(100)]  # each in about 1% of the things' labels
TAGS = [f"tag{n:02d}" for n in range(50)]
UNITS = [
    "http://purl.obolibrary.org/obo/UO_0000027",
    "http://purl.obolibrary.org/obo/UO_0000008",
    "http://qudt.org/vocab/unit#Percent",
]
QUERIES: dict[str, Query] = {
    "text (1 word, ~1%)": Query(text="word042 sensor", type_="full"),
    "text (rare, 2 hits)": Query(text="unique000077", type_="minimal"),
    "location (10 km)": Query(location=(51.5, -0.12, 10.0), type_="located"),
    "tag (~2%)": Query(text="tag07"),
    "unit (~33%)": Query(unit=UNITS[1], type_="minimal"),
    "public list (all)": Query(unit=UNITS[0], text="sensor", limit=50, offset=0),
    "local scope, offset 100": Query(text="sensor", scope="local", offset=100, type_="minimal"),
}


CLIENT_ROW = "client.search(text) via an agent"


def doc(n: int, rng: random.Random) -> tuple[str, bytes]:
    """Thing *n*: its meta topic and document (as an agent publishes it)."""
    agent, lid = f"agent{n % 100}", f"thing{n}"
    guid = thing_guid(agent, lid)
    words = rng.sample(WORDS, 1)
    label = f"Sensor {n} {words[0]} unique{n:06d}"
    points = [
        {
            "kind": "Feed",
            "pid": "level",
            "guid": point_guid(guid, "Feed", "level"),
            "labels": {"en": "Water level"},
            "tags": [],
            "values": [{"label": "v", "type": "decimal", "unit": UNITS[n % 3]}],
            "save_recent": 0,
        }
    ]
    body = {
        "v": 2,
        "agent": agent,
        "lid": lid,
        "guid": guid,
        "public": n % 2 == 0,
        "labels": {"en": label},
        "descriptions": {"en": "A benchmark thing"},
        "tags": [TAGS[n % 50]],
        "location": [rng.uniform(49.9, 58.7), rng.uniform(-8.0, 1.8)],
        "points": points,
    }
    return f"{ROOT}/{agent}/{lid}/meta", json.dumps(body).encode()


class Requester:
    """Plain paho as agent *agent*: fills the broker, asks the directory, times the replies."""

    def __init__(self, port: int, agent: str = "bench") -> None:
        self.agent = agent
        self.reply = f"{ROOT}/_directory/{agent}/reply"
        self.cond = threading.Condition()
        self.got: dict[str, float] = {}
        self.online = threading.Event()
        self.subscribed = threading.Event()
        self.paho = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=agent)
        self.paho.max_inflight_messages_set(1000)
        self.paho.on_message = self._on_message
        self.paho.on_subscribe = lambda c, u, mid, rcs, p: self.subscribed.set()
        self.paho.connect("127.0.0.1", port)
        sock = self.paho.socket()
        if isinstance(sock, socket.socket):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.paho.loop_start()
        self.paho.subscribe([(self.reply, QOS), (f"{ROOT}/_directory/+/online", 0)])
        assert self.subscribed.wait(10)

    def _on_message(self, c: Any, u: Any, msg: mqtt.MQTTMessage) -> None:
        if msg.topic == self.reply:
            rid = json.loads(msg.payload)["rid"]
            with self.cond:
                self.got[rid] = time.perf_counter()
                self.cond.notify_all()
        elif msg.payload:
            self.online.set()

    def fill(self, count: int) -> float:
        rng = random.Random(12)
        started = time.perf_counter()
        last = None
        for n in range(min(count, 100)):  # each agent's status, as agents publish it
            self.paho.publish(f"{ROOT}/agent{n}/_status", b"online", qos=1, retain=True)
        for n in range(count):
            topic, body = doc(n, rng)
            last = self.paho.publish(topic, body, qos=1, retain=True)
            if n % 1000 == 999:
                last.wait_for_publish(60)
        if last is not None:
            last.wait_for_publish(60)
        return time.perf_counter() - started

    def ask(self, query: Query) -> float:
        rid = uuid.uuid4().hex
        body = json.dumps({"v": 2, "rid": rid, "client": self.agent, "query": query_to_json(query)})
        started = time.perf_counter()
        self.paho.publish(f"{ROOT}/_directory/{self.agent}/search", body, qos=QOS)
        with self.cond:
            if not self.cond.wait_for(lambda: rid in self.got, 30):
                raise TimeoutError("no reply from the directory in 30 s")
            return self.got.pop(rid) - started

    def close(self) -> None:
        self.paho.disconnect()
        self.paho.loop_stop()


def rss_mb(pid: int) -> tuple[float, float]:
    """``(peak, current)`` resident set size of process *pid*, in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmHWM"].split()[0]) / 1024, int(fields["VmRSS"].split()[0]) / 1024


def run_size(kind: str, size: int, queries: int, tmp: Path) -> dict[str, Any]:
    broker = Broker(tmp / f"mosquitto-{kind}-{size}", stock=kind == "stock")
    if kind == "tuned-memory":  # the tuned one without its once-a-second save of everything
        conf = broker.config_file.read_text().replace("persistence true", "persistence false")
        broker.config_file.write_text(conf)
    broker.start()
    process = None
    requester = Requester(broker.port)
    try:
        fill_s = requester.fill(size)
        env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
        started = time.perf_counter()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "iotic_app",
                "directory",
                "--config",
                f"{broker.url}?agent=benchdir",
                "--db",
                str(tmp / f"dir-{kind}-{size}.db"),
                "--log-level",
                "INFO",
            ],
            env=env,
            stderr=subprocess.PIPE,
        )
        if not requester.online.wait(600):
            raise TimeoutError("the directory did not come online")
        online_s = time.perf_counter() - started
        shapes: dict[str, tuple[float, float]] = {}
        for name, query in QUERIES.items():
            for _ in range(5):  # warm up
                requester.ask(query)
            times = sorted(requester.ask(query) for _ in range(queries))
            p50 = statistics.median(times) * 1000
            p99 = times[min(len(times) - 1, int(len(times) * 0.99))] * 1000
            shapes[name] = (p50, p99)
        # the same through an agent's client (iotic_app's transport: what users call)
        from iotic_app import Client

        with Client(f"{broker.url}?agent=benchclient&outbox={tmp / f'outbox-{kind}-{size}'}") as c:
            for _ in range(5):
                c.search(text="word042 sensor")
            times = []
            for _ in range(queries):
                began = time.perf_counter()
                c.search(text="word042 sensor")
                times.append(time.perf_counter() - began)
        times.sort()
        shapes[CLIENT_ROW] = (
            statistics.median(times) * 1000,
            times[min(len(times) - 1, int(len(times) * 0.99))] * 1000,
        )
        peak, current = rss_mb(process.pid)
        result = {"fill_s": fill_s, "online_s": online_s, "shapes": shapes, "rss": (peak, current)}
    finally:
        requester.close()
        log = ""
        if process is not None:
            process.terminate()
            log = process.communicate(timeout=30)[1].decode()
        broker.close()
    found = re.search(r"resynced \((\d+) things", log)
    result["indexed"] = int(found.group(1)) if found else -1
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0,1000,10000,100000")
    parser.add_argument("--queries", type=int, default=200, help="requests per query shape")
    parser.add_argument(
        "--broker", choices=["stock", "tuned", "tuned-memory", "both"], default="stock"
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    kinds = ["stock", "tuned"] if args.broker == "both" else [args.broker]
    results: dict[tuple[str, int], dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-directory-") as tmp:
        for kind in kinds:
            for size in sizes:
                results[kind, size] = run_size(kind, size, args.queries, Path(tmp))
                print(f"done: {kind} broker, {size} things", file=sys.stderr, flush=True)
    heads = [f"{kind} {size:,}" for kind in kinds for size in sizes]
    print("| search p50 / p99 (ms) | " + " | ".join(heads) + " |")
    print("|---|" + "---|" * len(heads))
    for name in [*QUERIES, CLIENT_ROW]:
        cells = [
            "{:.2f} / {:.2f}".format(*results[kind, size]["shapes"][name])
            for kind in kinds
            for size in sizes
        ]
        print(f"| {name} | " + " | ".join(cells) + " |")
    rows = [
        ("fill the broker (s)", lambda r: f"{r['fill_s']:.1f}"),
        ("things the directory indexed", lambda r: f"{r['indexed']:,}"),
        ("directory online: indexed all (s)", lambda r: f"{r['online_s']:.2f}"),
        ("directory RSS peak / now (MB)", lambda r: "{:.0f} / {:.0f}".format(*r["rss"])),
    ]
    for label, cell in rows:
        cells = [cell(results[kind, size]) for kind in kinds for size in sizes]
        print(f"| {label} | " + " | ".join(cells) + " |")
    print("\ntargets at 100,000 things: search p50 <= 20 ms, p99 <= 100 ms; RSS <= 300 MB")


if __name__ == "__main__":
    main()
