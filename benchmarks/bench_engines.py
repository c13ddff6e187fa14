"""Benchmark MQTT engines: C clients, plain paho, plain awscrt, iotic_app on each engine, one run.

The figures of issue 13, side by side, peers taking turns, median of ``--rounds`` rounds, on
tests/broker.py's tuned Mosquitto and on a stock-config one (``--broker tuned|stock|both``)::

    python benchmarks/bench_engines.py              # 20,000 values, 3 rounds, both brokers
    python benchmarks/bench_engines.py --quick      # 5,000 values, 1 round (under a minute)
    python benchmarks/bench_engines.py --broker stock --rounds 5

Peers (the sender in this process, the receiver in a subprocess, QoS 1, MQTT 5 throughout):

* C clients: ``mosquitto_pub -l -q 1 -M 1000 --nodelay`` fed through its stdin, into
  ``mosquitto_sub -q 1 -C N --nodelay`` read through its stdout (both processes are the C
  clients' own; this process only writes and reads the pipes);
* plain paho-mqtt 2.2: TCP_NODELAY, 1,000 in flight, its loop thread;
* plain awscrt mqtt5: ``disable_metrics=True``, IPv4, no client-side flow control, 1,000 in
  flight (futures), its own threads; it leaves Nagle on (no TCP_NODELAY, and no option for it:
  seen with strace), which the broker's side of the tuned broker does not;
* iotic_app, a feed's share() to a follow's callback, with ``engine=paho`` and with
  ``engine=builtin`` (the default) in the URL. The follower says which engine it ran on; a
  column whose engine was not the one asked for is marked so. (iotic_app on awscrt was
  measured with an engine of its own while issue 13 was built, and left out: see
  docs/mqtt.md, "Engines"; plain awscrt stays as a peer when it is installed:
  ``pip install awscrt``.)

Figures:

* throughput: N values as fast as the sender can; distinct values arrived over the time from
  the first send to the last arrival. The receiver counts arrivals, distinct values and
  repeats; it stops at N distinct values, or 2 s after the sender is done and nothing more
  came. A figure with lost values is shown as such, ``12,000 (lost 3,100)`` (the most any round
  lost), never as a plain rate;
* CPU per message on each side (``resource.getrusage`` in each Python process; the C clients'
  own processes' CPU from /proc and wait4), over the measured part only: the sender from its
  first send until the receiver reports (just after its last arrival), per value sent; the
  receiver from subscribed to its last arrival, per arrival;
* latency at 1,000 values/s: send to receive callback (the C clients: line written to
  mosquitto_pub, line read from mosquitto_sub, two pipe hops included), p50 and p99, the first
  tenth skipped.

Below each broker's table: iotic_app on its best engine against plain paho (target >= 2.0 x)
and the C clients (target >= 0.5 x); its latency p50 against paho's, and p99 < 1 ms.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE.parent))

import paho.mqtt.client as mqtt  # noqa: E402
from broker import Broker, find_mosquitto  # noqa: E402

PEERS = ("c", "paho", "awscrt", "iotic_app-paho", "iotic_app-builtin")
LABELS = {
    "c": "C clients",
    "paho": "plain paho",
    "awscrt": "plain awscrt",
    "iotic_app-paho": "iotic paho",
    "iotic_app-builtin": "iotic builtin",
}
TOPIC = "bench/engines"
READY_TOPIC = "bench/engines/ready"  # a retained marker: its copy says mosquitto_sub subscribed
QUIET = 2.0  # seconds without arrivals, after the sender is done, that end a receiver
IN_FLIGHT = 1000
# MQTT 5 by default; BENCH_MQTT_PROTOCOL=3.1.1 for brokers that speak only that (NATS server,
# benchmarks/bench_cluster.py), for every peer and its receiver subprocess alike
V311 = os.environ.get("BENCH_MQTT_PROTOCOL", "5") == "3.1.1"
PAHO_PROTOCOL = mqtt.MQTTv311 if V311 else mqtt.MQTTv5
IOTIC_OPTIONS = "&protocol=3.1.1" if V311 else ""
CLOCK_TICK = os.sysconf("SC_CLK_TCK")


def _cpu() -> float:
    """This process's CPU time so far (user + system), in seconds."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _proc_cpu(pid: int) -> float:
    """Another process's CPU time so far, from /proc (clock-tick resolution)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICK


def _reap(process: subprocess.Popen[bytes], timeout: float) -> Any:
    """Wait for *process* to exit (killing it after *timeout* s); returns its rusage."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return usage
        if time.monotonic() > deadline:
            process.kill()
        pause.wait(0.01)


def _host_port(url: str) -> tuple[str, int]:
    host, port = url.split("//")[1].split(":")
    return host, int(port)


def _nodelay(client: mqtt.Client) -> None:
    sock = client.socket()
    if isinstance(sock, socket.socket):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _body(n: int) -> bytes:
    return b'{"n": %d, "t": %d}' % (n, time.perf_counter_ns())


def _crt_client(
    url: str, client_id: str, on_publish: Callable[[Any], None] | None = None
) -> tuple[Any, threading.Event]:
    """A started plain awscrt mqtt5 client (connected), and the event set when it stops."""
    from awscrt import io, mqtt5

    host, port = _host_port(url)
    options = io.SocketOptions()
    options.domain = io.SocketDomain.IPv4  # "localhost" and friends: IPv4, explicitly
    connected, stopped = threading.Event(), threading.Event()
    failed: list[Any] = []
    client = mqtt5.Client(
        mqtt5.ClientOptions(
            host_name=host,
            port=port,
            socket_options=options,
            connect_options=mqtt5.ConnectPacket(client_id=client_id, keep_alive_interval_sec=60),
            session_behavior=mqtt5.ClientSessionBehaviorType.CLEAN,
            extended_validation_and_flow_control_options=(
                mqtt5.ExtendedValidationAndFlowControlOptions.NONE
            ),
            on_publish_callback_fn=on_publish,
            on_lifecycle_event_connection_success_fn=lambda data: connected.set(),
            on_lifecycle_event_connection_failure_fn=lambda data: failed.append(data.exception),
            on_lifecycle_event_stopped_fn=lambda data: stopped.set(),
            disable_metrics=True,  # or it rewrites the username
        )
    )
    client.start()
    if not connected.wait(10):
        raise RuntimeError(f"awscrt did not connect to {url}: {failed}")
    return client, stopped


# --- the receiving side, in its own process ---------------------------------------------------


def worker(kind: str, url: str, count: int, tmp: str, tag: str) -> None:
    """Receive values until *count* distinct ones came (or the sender is done and all is quiet),
    then print one JSON line: arrivals, latencies, CPU and the engine it ran on."""
    arrivals: list[tuple[int, int]] = []  # (n, arrival ns), repeats included
    latencies: list[int] = []
    distinct: set[int] = set()
    done = threading.Event()
    cpu_end: list[float] = []

    def record(data: dict[str, Any]) -> None:
        now = time.perf_counter_ns()
        arrivals.append((data["n"], now))
        latencies.append(now - data["t"])
        distinct.add(data["n"])
        if len(distinct) >= count and not done.is_set():  # a repeat does not end a round early
            cpu_end.append(_cpu())
            done.set()

    engine = kind
    stop: Callable[[], None]
    if kind == "paho":
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=f"sub-{tag}", protocol=PAHO_PROTOCOL
        )
        client.on_message = lambda c, u, m: record(json.loads(m.payload))
        subscribed = threading.Event()
        client.on_subscribe = lambda *a: subscribed.set()
        client.on_connect = lambda c, u, f, rc, p: c.subscribe(TOPIC, qos=1)
        client.connect(*_host_port(url))
        _nodelay(client)
        client.loop_start()
        if not subscribed.wait(10):
            raise RuntimeError("paho did not subscribe")

        def stop() -> None:
            client.disconnect()
            client.loop_stop()

    elif kind == "awscrt":
        from awscrt import mqtt5

        crt, stopped = _crt_client(
            url, f"sub-{tag}", lambda data: record(json.loads(data.publish_packet.payload))
        )
        packet = mqtt5.SubscribePacket(
            subscriptions=[mqtt5.Subscription(topic_filter=TOPIC, qos=mqtt5.QoS.AT_LEAST_ONCE)]
        )
        crt.subscribe(packet).result(10)

        def stop() -> None:
            crt.stop()
            stopped.wait(10)

    else:
        from iotic_app.client import Client
        from iotic_app.transports._protocol import FEED, point_guid, thing_guid

        asked = kind.split("-", 1)[1]
        follower = Client(f"{url}?agent=f-{tag}&outbox={tmp}/f-{tag}&engine={asked}{IOTIC_OPTIONS}")
        follower.start()
        guid = point_guid(thing_guid(f"s-{tag}", "src"), FEED, "f")
        follower.create_thing("me").follow(guid, callback=lambda a: record(a["data"]))
        engine = follower._transport._conn_in_service.engine.name  # type: ignore[attr-defined]
        stop = follower.stop
    cpu_start = _cpu()
    print("ready", flush=True)

    sent_at: list[float] = []

    def wait_sent() -> None:
        sys.stdin.readline()  # "sent", or EOF: the sender is done
        sent_at.append(time.monotonic())

    threading.Thread(target=wait_sent, daemon=True).start()
    last_count, last_change = 0, time.monotonic()
    while not done.wait(0.05):
        now = time.monotonic()
        if len(arrivals) != last_count:
            last_count, last_change = len(arrivals), now
        if sent_at and now - max(last_change, sent_at[0]) >= QUIET:
            break  # lost values: the broker dropped them
    if not cpu_end:
        cpu_end.append(_cpu())
    stop()
    result = {
        "arrivals": arrivals,
        "latencies": latencies,
        "cpu": cpu_end[0] - cpu_start,
        "engine": engine,
    }
    print(json.dumps(result), flush=True)


class Receiver:
    """A worker process; ``sent()`` tells it the sender is done, ``result()`` waits for it."""

    def __init__(self, kind: str, url: str, count: int, tmp: str, tag: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--worker", kind, url, str(count), tmp, tag],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if line != "ready":
            self.process.kill()
            raise RuntimeError(f"{kind} worker did not start: {line!r}")

    def sent(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("sent\n")
        self.process.stdin.flush()

    def result(self, timeout: float = 300) -> dict[str, Any]:
        out, _ = self.process.communicate(timeout=timeout)
        data: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        return data


# --- the sending side, in this process --------------------------------------------------------


class PahoSender:
    """Plain paho: QoS 1, 1,000 in flight, TCP_NODELAY."""

    def __init__(self, url: str, tmp: str, tag: str) -> None:
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=f"pub-{tag}", protocol=PAHO_PROTOCOL
        )
        self.client.max_inflight_messages_set(IN_FLIGHT)
        self.client.max_queued_messages_set(0)
        self.client.connect(*_host_port(url))
        _nodelay(self.client)
        self.client.loop_start()

    def send(self, n: int) -> None:
        self.client.publish(TOPIC, _body(n), qos=1)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class CrtSender:
    """Plain awscrt mqtt5: QoS 1, 1,000 in flight (a PUBACK's future frees a place)."""

    def __init__(self, url: str, tmp: str, tag: str) -> None:
        from awscrt import mqtt5

        self.mqtt5 = mqtt5
        self.client, self.stopped = _crt_client(url, f"pub-{tag}")
        self.window = threading.Semaphore(IN_FLIGHT)
        self.failed = 0

    def _done(self, future: Any) -> None:
        self.window.release()
        exc = future.exception()
        code = None if exc else future.result().puback.reason_code
        if exc is not None or code != self.mqtt5.PubackReasonCode.SUCCESS:
            self.failed += 1

    def send(self, n: int) -> None:
        self.window.acquire()
        packet = self.mqtt5.PublishPacket(topic=TOPIC, payload=_body(n), qos=1)
        self.client.publish(packet).add_done_callback(self._done)

    def close(self) -> None:
        for _ in range(IN_FLIGHT):  # every PUBACK came
            self.window.acquire(timeout=10)
        self.client.stop()
        self.stopped.wait(10)
        if self.failed:
            print(f"  (plain awscrt: {self.failed} publishes failed)", file=sys.stderr)


class IoticSender:
    """iotic_app: a feed's share(), on the engine the URL asks for (a fresh outbox each run)."""

    def __init__(self, url: str, tmp: str, tag: str, engine: str) -> None:
        from iotic_app.client import Client

        self.client = Client(
            f"{url}?agent=s-{tag}&outbox={tmp}/s-{tag}&engine={engine}{IOTIC_OPTIONS}"
        )
        self.client.start()
        thing = self.client.create_thing("src")
        thing.set_public()
        self.feed = thing.create_feed("f")

    def send(self, n: int) -> None:
        self.feed.share({"n": n, "t": time.perf_counter_ns()})

    def close(self) -> None:
        self.client.stop()


Sender = PahoSender | CrtSender | IoticSender


def make_sender(kind: str, url: str, tmp: str, tag: str) -> Sender:
    if kind == "paho":
        return PahoSender(url, tmp, tag)
    if kind == "awscrt":
        return CrtSender(url, tmp, tag)
    return IoticSender(url, tmp, tag, kind.split("-", 1)[1])


def paced(send: Callable[[int], None], count: int, rate: float) -> None:
    pause = threading.Event()
    start = time.perf_counter()
    for n in range(count):
        send(n)
        ahead = start + (n + 1) / rate - time.perf_counter()
        if ahead > 0:
            pause.wait(ahead)


# --- one run of one peer ----------------------------------------------------------------------


class Run:
    """What one run measured: arrivals of each value, latencies, CPU on each side."""

    def __init__(
        self,
        count: int,
        began: int,
        arrivals: list[tuple[int, int]],
        latencies: list[int],
        cpu_send: float,
        cpu_receive: float,
        engine: str,
    ) -> None:
        self.count = count
        self.distinct = len({n for n, _ in arrivals})
        self.lost = count - self.distinct
        self.repeats = len(arrivals) - self.distinct
        last = max((t for _, t in arrivals), default=began)
        self.rate = self.distinct / max(last - began, 1) * 1e9
        self.latencies = latencies
        self.send_us = cpu_send / count * 1e6
        self.receive_us = cpu_receive / max(len(arrivals), 1) * 1e6
        self.engine = engine

    def percentiles(self) -> tuple[float, float]:
        lat = sorted(self.latencies[len(self.latencies) // 10 :])  # skip the warm-up tenth
        if not lat:
            return float("nan"), float("nan")
        return lat[len(lat) // 2] / 1000, lat[min(int(len(lat) * 0.99), len(lat) - 1)] / 1000


def run_python(
    kind: str, url: str, count: int, tmp: str, tag: str, rate: float, receiver_url: str = ""
) -> Run:
    """One run of a Python peer: *rate* values/s (0: as fast as it can); the receiver on
    *receiver_url* (another node of a cluster), else on the sender's *url*."""
    sender = make_sender(kind, url, tmp, tag)
    try:
        receiver = Receiver(kind, receiver_url or url, count, tmp, tag)
        cpu = _cpu()
        began = time.perf_counter_ns()
        if rate:
            paced(sender.send, count, rate)
        else:
            for n in range(count):
                sender.send(n)
        receiver.sent()
        result = receiver.result()
        cpu_send = _cpu() - cpu
    finally:
        sender.close()
    return Run(
        count,
        began,
        [(n, t) for n, t in result["arrivals"]],
        result["latencies"],
        cpu_send,
        result["cpu"],
        result["engine"],
    )


def run_c(broker: Broker, count: int, tag: str, rate: float) -> Run:
    """One run of the C clients: mosquitto_pub's stdin -> broker -> mosquitto_sub's stdout."""
    host, port = _host_port(broker.url)
    common = ["-h", host, "-p", str(port), "-V", "mqttv5", "-q", "1", "--nodelay"]
    marker = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    marker.connect(host, port)
    marker.loop_start()
    marker.publish(READY_TOPIC, b"ready", qos=1, retain=True).wait_for_publish(10)
    # N values, the ready marker's retained copy, and one warm-up line
    topics = ["-t", TOPIC, "-t", READY_TOPIC, "-C", str(count + 2)]
    sub = subprocess.Popen(
        ["mosquitto_sub", *common, "-i", f"sub-{tag}", *topics], stdout=subprocess.PIPE
    )
    lines: list[tuple[bytes, int]] = []
    ready, warm, finished = threading.Event(), threading.Event(), threading.Event()

    def read() -> None:
        assert sub.stdout is not None
        for line in sub.stdout:
            now = time.perf_counter_ns()
            if line == b"ready\n":
                ready.set()
            elif line == b"warm\n":
                warm.set()
            else:
                lines.append((line, now))
        finished.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    pub = subprocess.Popen(
        ["mosquitto_pub", *common, "-i", f"pub-{tag}", "-t", TOPIC, "-l", "-M", str(IN_FLIGHT)],
        stdin=subprocess.PIPE,
    )
    assert pub.stdin is not None
    try:
        if not ready.wait(10):
            raise RuntimeError("mosquitto_sub did not subscribe")
        pub.stdin.write(b"warm\n")
        pub.stdin.flush()
        if not warm.wait(10):
            raise RuntimeError("mosquitto_pub's first line did not arrive")
        sub_cpu, pub_cpu = _proc_cpu(sub.pid), _proc_cpu(pub.pid)
        began = time.perf_counter_ns()
        stdin = pub.stdin

        def send(n: int) -> None:
            stdin.write(_body(n) + b"\n")
            if rate:
                stdin.flush()

        if rate:
            paced(send, count, rate)
        else:
            for n in range(count):
                send(n)
        stdin.close()  # mosquitto_pub sends what it read, then exits
        pub_usage = _reap(pub, 60)
        last_count, last_change = 0, time.monotonic()
        while not finished.wait(0.05):  # until mosquitto_sub has all, or nothing more comes
            if len(lines) != last_count:
                last_count, last_change = len(lines), time.monotonic()
            elif time.monotonic() - last_change >= QUIET:
                sub.terminate()
        sub_usage = _reap(sub, 10)
    finally:
        for process in (pub, sub):
            if process.returncode is None:
                process.kill()
                process.wait()
        marker.publish(READY_TOPIC, b"", qos=1, retain=True).wait_for_publish(10)
        marker.disconnect()
        marker.loop_stop()
    reader.join(10)
    arrivals: list[tuple[int, int]] = []
    latencies: list[int] = []
    for line, at in lines:
        data = json.loads(line)
        arrivals.append((data["n"], at))
        latencies.append(at - data["t"])
    cpu_pub = pub_usage.ru_utime + pub_usage.ru_stime - pub_cpu
    cpu_sub = sub_usage.ru_utime + sub_usage.ru_stime - sub_cpu
    return Run(count, began, arrivals, latencies, cpu_pub, cpu_sub, "libmosquitto")


def run_once(kind: str, broker: Broker, count: int, tmp: str, rate: float) -> Run:
    run_once.runs += 1  # type: ignore[attr-defined]
    tag = f"{os.getpid()}-{run_once.runs}"  # type: ignore[attr-defined]
    if kind == "c":
        return run_c(broker, count, tag, rate)
    return run_python(kind, broker.url, count, tmp, tag, rate)


run_once.runs = 0  # type: ignore[attr-defined]


# --- the table ----------------------------------------------------------------------------------


def _rate(runs: list[Run]) -> tuple[float, str]:
    rate = statistics.median(r.rate for r in runs)
    text = f"{rate:,.0f}"
    lost = max(r.lost for r in runs)
    repeats = max(r.repeats for r in runs)
    if lost:
        text += f" (lost {lost:,})"
    if repeats:
        text += f" ({repeats:,} twice)"
    return rate, text


def _latency(runs: list[Run]) -> tuple[float, float, str]:
    p50 = statistics.median(r.percentiles()[0] for r in runs)
    p99 = statistics.median(r.percentiles()[1] for r in runs)
    lost = max(r.lost for r in runs)
    return p50, p99, f" (lost {lost:,})" if lost else ""


def table(
    peers: list[str],
    labels: dict[str, str],
    tps: dict[str, list[Run]],
    rates: dict[str, tuple[float, str]],
    latency: dict[str, tuple[float, float, str]],
) -> None:
    """Print the peers' figures, one column each under *labels* (bench_cluster.py's too)."""
    rows: list[tuple[str, list[str]]] = [
        ("throughput, QoS 1 (msg/s)", [rates[p][1] for p in peers]),
        (
            "CPU per message, sender (us)",
            [f"{statistics.median(r.send_us for r in tps[p]):.0f}" for p in peers],
        ),
        (
            "CPU per message, receiver (us)",
            [f"{statistics.median(r.receive_us for r in tps[p]):.0f}" for p in peers],
        ),
        ("latency p50 at 1,000/s (us)", [f"{latency[p][0]:.0f}{latency[p][2]}" for p in peers]),
        ("latency p99 at 1,000/s (us)", [f"{latency[p][1]:.0f}" for p in peers]),
    ]
    width = max(len(r[0]) for r in rows)
    cols = [max(len(labels[p]), *(len(r[1][i]) for r in rows)) for i, p in enumerate(peers)]
    print(
        f"{'':{width}}  " + "  ".join(f"{labels[p]:>{c}}" for p, c in zip(peers, cols, strict=True))
    )
    for label, cells in rows:
        print(
            f"{label:{width}}  " + "  ".join(f"{v:>{c}}" for v, c in zip(cells, cols, strict=True))
        )


def report(
    name: str, peers: list[str], tps: dict[str, list[Run]], lats: dict[str, list[Run]]
) -> None:
    """Print one broker's table, peers as columns, and the issue's ratios below it."""
    print(f"\n{name}")
    if not peers:
        return
    marked: dict[str, str] = {}
    for peer in peers:
        engines = {r.engine for r in tps[peer] + lats[peer]}
        asked = peer.split("-", 1)[1] if peer.startswith("iotic_app-") else None
        marked[peer] = LABELS[peer] + ("*" if asked and engines != {asked} else "")
    rates = {p: _rate(tps[p]) for p in peers}
    latency = {p: _latency(lats[p]) for p in peers}
    table(peers, marked, tps, rates, latency)
    for peer in peers:
        if marked[peer].endswith("*"):
            ran = sorted({r.engine for r in tps[peer] + lats[peer]})
            print(
                f"  * {LABELS[peer]}: the follower ran on {', '.join(ran)}, "
                "not the engine asked for"
            )
    iotic = [p for p in peers if p.startswith("iotic_app-")]
    if not iotic:
        return
    same = [(p, p.split("-", 1)[1]) for p in iotic if p.split("-", 1)[1] in peers]
    if same:  # what iotic_app's own layers cost on each engine
        print(
            "  iotic_app / the same engine plain, throughput: "
            + ", ".join(f"{marked[p]} {rates[p][0] / rates[e][0]:.2f} x" for p, e in same)
        )
    # the best engine that lost nothing (lossy figures are not rates to compare)
    whole = [p for p in iotic if not max(r.lost for r in tps[p])] or iotic
    best = max(whole, key=lambda p: rates[p][0])
    tp = rates[best][0]
    flag = " (values lost: not comparable)" if max(r.lost for r in tps[best]) else ""
    print(f"  iotic_app's best engine here: {marked[best]}{flag}")

    def lossy(peer: str) -> str:
        return f" ({LABELS[peer]} lost values)" if max(r.lost for r in tps[peer]) else ""

    if "paho" in peers:
        ratio = tp / rates["paho"][0]
        print(f"  throughput / plain paho: {ratio:.2f} x (target >= 2.0 x){lossy('paho')}")
    if "c" in peers:
        ratio = tp / rates["c"][0]
        print(f"  throughput / C clients:  {ratio:.2f} x (target >= 0.5 x){lossy('c')}")
    p50, p99 = latency[best][0], latency[best][1]
    if "paho" in peers:
        print(
            f"  latency p50: {p50:.0f} us vs plain paho's {latency['paho'][0]:.0f} us "
            f"({p50 - latency['paho'][0]:+.0f} us; target: no worse)"
        )
    print(f"  latency p99: {p99:.0f} us (target < 1,000 us)")


def bench(stock: bool, peers: list[str], rounds: int, n: int, lat_n: int, tmp: str) -> None:
    name = "stock Mosquitto (its defaults: max_inflight 20, max_queued 1,000, no persistence)"
    if not stock:
        name = "tuned Mosquitto (tests/broker.py: persistence, set_tcp_nodelay, big queues)"
    directory = Path(tmp) / ("stock" if stock else "tuned")
    broker = Broker(directory / "mosquitto", stock=stock)
    broker.start()
    tps: dict[str, list[Run]] = {p: [] for p in peers}
    lats: dict[str, list[Run]] = {p: [] for p in peers}
    failed: dict[str, str] = {}
    try:
        for r in range(rounds):
            # peers take turns, the order turning each round: one round is at the mercy of
            # whatever else the machine does meanwhile
            order = peers[r % len(peers) :] + peers[: r % len(peers)]
            for peer in order:
                if peer not in failed:
                    run = attempt(peer, broker, n, str(directory), 0.0, failed)
                    if run is not None:
                        tps[peer].append(run)
                        print(f"  round {r + 1}: {LABELS[peer]} {run.rate:,.0f}", file=sys.stderr)
            for peer in order:
                if peer not in failed:
                    run = attempt(peer, broker, lat_n, str(directory), 1000.0, failed)
                    if run is not None:
                        lats[peer].append(run)
    finally:
        broker.close()
    report(name, [p for p in peers if tps[p] and lats[p]], tps, lats)
    for peer, error in failed.items():
        print(f"  {LABELS[peer]}: failed, left out: {error}")


def attempt(
    peer: str, broker: Broker, count: int, tmp: str, rate: float, failed: dict[str, str]
) -> Run | None:
    """One run; a peer that fails is noted in *failed* (and left out from then on)."""
    try:
        return run_once(peer, broker, count, tmp, rate)
    except Exception as exc:
        failed[peer] = f"{type(exc).__name__}: {exc}"
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 values, 1 round")
    parser.add_argument("--rounds", type=int, help="rounds (median; default 3, --quick 1)")
    parser.add_argument("--count", type=int, help="values per throughput run (default 20,000)")
    parser.add_argument("--broker", choices=("tuned", "stock", "both"), default="both")
    parser.add_argument(
        "--peers", default=",".join(PEERS), help=f"comma-separated, of {', '.join(PEERS)}"
    )
    parser.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    # iotic_app warns of each gap a stock broker's drops leave; the table counts them instead
    logging.getLogger("iotic_app").setLevel(logging.ERROR)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    if args.worker:
        kind, url, count, tmp, tag = args.worker
        worker(kind, url, int(count), tmp, tag)
        return
    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    unknown = [p for p in peers if p not in PEERS]
    if unknown or not peers:
        parser.error(f"--peers must name some of {', '.join(PEERS)}, got {args.peers!r}")
    rounds = args.rounds if args.rounds is not None else (1 if args.quick else 3)
    if rounds < 1:
        parser.error(f"--rounds must be at least 1, got {rounds}")
    n = args.count or (5_000 if args.quick else 20_000)
    lat_n = 1_000 if args.quick else 5_000
    brokers = {"tuned": [False], "stock": [True], "both": [False, True]}[args.broker]
    print(
        f"QoS 1, MQTT 5, {n:,} values per throughput run, {lat_n:,} at 1,000/s for latency, "
        f"median of {rounds} round(s)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for stock in brokers:
            bench(stock, peers, rounds, n, lat_n, tmp)
    version = subprocess.run(
        [find_mosquitto() or "mosquitto", "-h"], capture_output=True, text=True
    )
    print(
        f"\n(Mosquitto {version.stdout.split()[2]} on 127.0.0.1, {os.cpu_count()} CPUs, "
        f"Python {sys.version.split()[0]}; lost: the most values any round lost)"
    )


if __name__ == "__main__":
    main()
