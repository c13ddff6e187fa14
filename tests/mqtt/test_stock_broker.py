"""Synchronous calls on a Mosquitto with its stock settings (Nagle's algorithm on).

Such a broker holds the second of two small packets it writes back to back until the client
acknowledges the first, and Linux delays that acknowledgement by 40 ms: each call took about
44 ms until the client asked for immediate acknowledgements (``_paho_engine.quick_ack``).
These tests make 40 calls of each kind and allow 1 s for all of them (0.5 ms each here; 1.8 s
with the stall), so they catch the stall coming back without timing single calls.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from broker import Broker

from iotic_app.client import Client
from iotic_app.transports.mqtt._paho_engine import quick_ack

CALLS = 40
BUDGET = 1.0  # seconds for CALLS calls; the stall alone costs 40 ms per call

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def make(stock_broker: Broker, tmp_path: Path) -> Iterator[Callable[[str], Client]]:
    root = f"stock-{uuid.uuid4().hex[:10]}"
    clients: list[Client] = []

    def make(agent: str) -> Client:
        client = Client(f"{stock_broker.url}?agent={agent}&root={root}&outbox={tmp_path}")
        clients.append(client)
        client.start()
        return client

    yield make
    for client in clients:
        client.close()


def timed(call: Callable[[int], Any]) -> float:
    """Seconds for CALLS calls of *call* (after one to warm up)."""
    call(-1)
    start = time.perf_counter()
    for n in range(CALLS):
        call(n)
    return time.perf_counter() - start


@pytest.mark.skipif(not hasattr(socket, "TCP_QUICKACK"), reason="Linux's TCP_QUICKACK")
def test_quick_ack_asks_the_socket_for_immediate_acknowledgements() -> None:
    with (
        socket.create_server(("127.0.0.1", 0)) as server,
        socket.create_connection(server.getsockname()) as sock,
    ):
        quick_ack(sock)
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK) == 1
    quick_ack(sock)  # closed: nothing to do, no error
    quick_ack(object())  # not a socket (a test double): ignored


def test_metadata_calls_do_not_stall_on_a_stock_broker(make: Callable[[str], Client]) -> None:
    client = make("provisioner")
    things = []

    def create(n: int) -> None:
        things.append(client.create_thing(f"thing{n}"))

    def label(n: int) -> None:
        with things[n].get_meta() as meta:
            meta.set_label(f"Thing {n}")

    seconds = {
        "create_thing": timed(create),
        "get_meta block": timed(label),
        "create_tag": timed(lambda n: things[n].create_tag([f"t{n}"])),
        "create_feed": timed(lambda n: things[n].create_feed("f")),
        "set_public": timed(lambda n: things[n].set_public(True)),
    }
    slow = {call: s for call, s in seconds.items() if s > BUDGET}
    assert not slow, f"{CALLS} calls took more than {BUDGET} s: {slow}"


def test_tell_does_not_stall_on_a_stock_broker(make: Callable[[str], Client]) -> None:
    owner, teller = make("valves"), make("operator")
    thing = owner.create_thing("valve")
    thing.set_public(True)
    done = threading.Event()

    def obey(args: dict[str, Any]) -> None:
        owner.confirm_tell(args, True)
        done.set()

    control = thing.create_control("open", obey)
    remote = teller.create_thing("panel").attach(control.guid)
    seconds = timed(lambda n: remote.tell({"n": n}, timeout=5))
    assert done.is_set()
    assert seconds <= BUDGET, f"{CALLS} tells took {seconds:.2f} s"


def test_a_batch_publishes_each_document_once(
    make: Callable[[str], Client], stock_broker: Broker
) -> None:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    client = make("provisioner")
    root = client.config.options["root"]
    seen: dict[str, int] = {}
    done, subscribed = threading.Event(), threading.Event()

    def on_message(_c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        if msg.topic == "probe/end":
            done.set()
        elif not msg.retain:
            seen[msg.topic] = seen.get(msg.topic, 0) + 1

    watcher = mqtt.Client(CallbackAPIVersion.VERSION2)
    watcher.on_message = on_message
    watcher.on_subscribe = lambda *_: subscribed.set()
    watcher.connect("127.0.0.1", stock_broker.port)
    watcher.loop_start()
    try:
        watcher.subscribe([(f"{root}/+/+/meta", 0), ("probe/end", 0)])
        assert subscribed.wait(5)
        with client.batch():
            for n in range(10):
                thing = client.create_thing(f"t{n}")
                with thing.get_meta() as meta:
                    meta.set_label(f"Thing {n}")
                thing.create_tag(["a"])
                thing.create_feed("f")
                thing.set_public(True)
        watcher.publish("probe/end", b"")  # after the batch's documents, on the same broker
        assert done.wait(5)
        assert seen == {f"{root}/provisioner/t{n}/meta": 1 for n in range(10)}
    finally:
        watcher.disconnect()
        watcher.loop_stop()


def test_a_burst_of_shares_goes_out_retained_once_per_window(
    stock_broker: Broker, tmp_path: Path
) -> None:
    """With the window full (stock Mosquitto: 20 in flight), the values queued behind it go
    out a window at a time, and one carries the retain flag only while it is its feed's
    newest (the broker would replace the others at once; a clustered broker replicates each):
    every value still arrives, and the retained copy is the last value."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.subscribeoptions import SubscribeOptions

    root = f"burst-{uuid.uuid4().hex[:10]}"
    topic = f"{root}/sharer/src/feed/f"
    flags: list[tuple[int, bool]] = []
    arrived = threading.Condition()

    def on_message(client: Any, userdata: Any, message: Any) -> None:
        import json

        with arrived:
            flags.append((json.loads(message.payload)["data"]["n"], bool(message.retain)))
            arrived.notify_all()

    spy = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    spy.on_message = on_message
    subscribed = threading.Event()
    spy.on_subscribe = lambda *args: subscribed.set()
    spy.connect("127.0.0.1", stock_broker.port)
    spy.loop_start()
    try:
        spy.subscribe(topic, options=SubscribeOptions(qos=1, retainAsPublished=True))
        assert subscribed.wait(10)
        count = 600  # under stock Mosquitto's 1,000 queued for the spy
        url = f"{stock_broker.url}?agent=sharer&root={root}&outbox={tmp_path}"
        with Client(url) as sharer:
            feed = sharer.create_thing("src").create_feed("f")
            for n in range(count):
                feed.share({"n": n})
            with arrived:
                assert arrived.wait_for(lambda: len(flags) >= count, 30), len(flags)
    finally:
        spy.disconnect()
        spy.loop_stop()
    assert [n for n, _ in flags] == list(range(count))
    retained = [n for n, flag in flags if flag]
    assert retained[-1] == count - 1  # the last one is the broker's retained copy
    assert len(retained) < count // 2, f"{len(retained)} of {count} went out retained"
