"""Faults on a real 3-node NATS server cluster (MQTT 3.1.1, JetStream replicating sessions and
retained messages on every node): SIGKILL a node mid-stream at 1,000 values/s.

Each test has a cluster of its own (``nats_cluster``); the sharer and the follower are clients
in this process. Every value shared must arrive once, in order; with the agent's node killed,
it moves on to the next node of its URL (``mqtt://N1,N2,N3?...``). The killed node is started
again RESTART s later, as a supervisor would: while one of 3 nodes is down, NATS 2.9 takes
15-50 ms per QoS 1 publish here (about 1 ms with all 3 up), too slow to drain a backlog.

What NATS 2.9 cannot do is measured, not hidden: after a node dies the stream and consumer
leaders it held are elected again elsewhere, and publishes routed to it time out (4 s), so
values stop for several seconds (GAP, not the 2 s a single Mosquitto restart takes); and a
value delivered to a follower but not yet acknowledged when the follower's node dies is sent
again only after ack_wait (30 s), behind later values (nats-server#8360: not at the reconnect,
as MQTT 3.1.1 [MQTT-4.4.0-1] requires), so the follower counts it missed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cluster import NatsCluster

from iotic_app.client import Client

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(120)]

PATIENCE = 45.0
TOTAL, RATE, KILL_AT = 3000, 1000.0, 1000  # 3 s of values; a node dies after 1 s
RESTART = 1.0  # seconds after the kill, the node is started again
# The longest the follower may wait for the next value across a kill, in seconds: NATS 2.9
# elects the dead node's stream and consumer leaders again and times out what was routed to
# them (measured here: 0.2-9 s, depending on which leaders the killed node held).
GAP = 15.0


def listed(cluster: NatsCluster, order: list[int]) -> str:
    """``mqtt://127.0.0.1:P,127.0.0.1:Q,...`` of the nodes in *order* (failover order)."""
    return "mqtt://" + ",".join(cluster.url(i).removeprefix("mqtt://") for i in order)


def agent_url(where: str, agent: str, outbox: Path) -> str:
    return f"{where}?agent={agent}&outbox={outbox}&protocol=3.1.1&connect_timeout=15"


class Arrivals:
    """A follow callback that keeps each value's ``n`` and when it arrived."""

    def __init__(self) -> None:
        self.values: list[int] = []
        self.times: list[float] = []
        self.cond = threading.Condition()

    def __call__(self, args: dict[str, Any]) -> None:
        with self.cond:
            self.values.append(args["data"]["n"])
            self.times.append(time.monotonic())
            self.cond.notify_all()

    def wait(self, count: int, missed: Callable[[], int], timeout: float = PATIENCE) -> bool:
        """Wait until *count* values arrived or were counted *missed* (a follower counts a
        gap in the value numbers when the value after it arrives, before its callback)."""
        with self.cond:
            return self.cond.wait_for(lambda: len(self.values) + missed() >= count, timeout)

    def gap_across(self, moment: float) -> float:
        """Seconds between the last value that arrived before *moment* and the first after."""
        with self.cond:
            before = [t for t in self.times if t <= moment]
            after = [t for t in self.times if t > moment]
        if not before or not after:
            return float("inf")
        return after[0] - before[-1]


def report(values: list[int], total: int) -> str:
    """Say what is missing, repeated or out of order in *values* (expected 0..total-1)."""
    seen = set(values)
    missing = sorted(set(range(total)) - seen)
    repeated = len(values) - len(seen)
    disorder = next((i for i in range(1, len(values)) if values[i] <= values[i - 1]), None)
    where = (
        ""
        if disorder is None
        else f"; first out of order at {disorder}: {values[disorder - 2 : disorder + 3]}"
    )
    return (
        f"{len(seen)} of {total} arrived ({len(values)} deliveries, {repeated} repeated); "
        f"missing {len(missing)}: {missing[:10]}{where}"
    )


def stream(
    cluster: NatsCluster, sharer_url: str, follower_url: str, kill: int
) -> tuple[Arrivals, float, int]:
    """Share TOTAL values at RATE from *sharer_url* to a follower on *follower_url*, SIGKILL
    node *kill* after KILL_AT of them (and start it again RESTART s later), wait for them all;
    returns the arrivals, the moment of the kill and how many the follower counted missed
    (0, unless it waited in vain for values NATS sends late, see follower_lost_in_flight)."""
    got = Arrivals()
    sharer = Client(sharer_url)
    follower = Client(follower_url)
    killed_at = 0.0
    failed: list[BaseException] = []

    def restart() -> None:
        threading.Event().wait(RESTART)  # pacing: the node stays down this long
        try:
            cluster.restart(kill)
        except BaseException as exc:  # kept for the test, not lost on a thread
            failed.append(exc)

    restarter = threading.Thread(target=restart, name="restart-node")
    with sharer, follower:
        thing = sharer.create_thing("src")
        thing.set_public()
        feed = thing.create_feed("f")
        follower.create_thing("sink").follow(feed.guid, callback=got)
        pause = threading.Event()
        start = time.monotonic()
        for i in range(TOTAL):
            feed.share({"n": i})
            if i == KILL_AT:
                cluster.kill(kill)
                killed_at = time.monotonic()
                restarter.start()
            ahead = start + (i + 1) / RATE - time.monotonic()
            if ahead > 0:
                pause.wait(ahead)  # pacing, not waiting for a condition
        restarter.join(PATIENCE)
        assert not failed, f"node {kill + 1} did not come back: {failed[0]}"
        got.wait(TOTAL, lambda: follower.values_missed)
        missed = follower.values_missed
        if len(got.values) < TOTAL:
            if follower_lost_in_flight(got, missed):
                return got, killed_at, missed
            pytest.fail(
                f"{report(got.values, TOTAL)}; the sharer's outbox holds {sharer.outbox_depth}, "
                f"the follower counted {missed} missed"
            )
    return got, killed_at, 0


def test_a_node_neither_agent_is_on_dies_mid_stream(
    nats_cluster: NatsCluster, tmp_path: Path
) -> None:
    """Sharer on node 1, follower on node 2, node 3 SIGKILLed: every value once, in order."""
    got, killed_at, _ = stream(
        nats_cluster,
        agent_url(nats_cluster.url(0), "sharer", tmp_path / "sbox"),
        agent_url(nats_cluster.url(1), "follower", tmp_path / "fbox"),
        kill=2,
    )
    assert got.values == list(range(TOTAL)), report(got.values, TOTAL)
    gap = got.gap_across(killed_at)
    print(f"node 3 killed: the follower waited {gap:.2f} s for the next value")
    assert gap < GAP, f"the follower waited {gap:.2f} s for the next value across the kill"


def test_the_sharers_node_dies_and_it_moves_on(nats_cluster: NatsCluster, tmp_path: Path) -> None:
    """Sharer on node 1 of its list (1, 2, 3), follower on node 2: node 1 SIGKILLed mid-stream;
    the sharer moves on to node 2 and resends what node 1 did not acknowledge: every value
    once, in order, and the follower gets values again within GAP of the kill."""
    got, killed_at, _ = stream(
        nats_cluster,
        agent_url(listed(nats_cluster, [0, 1, 2]), "sharer", tmp_path / "sbox"),
        agent_url(nats_cluster.url(1), "follower", tmp_path / "fbox"),
        kill=0,
    )
    assert got.values == list(range(TOTAL)), report(got.values, TOTAL)
    gap = got.gap_across(killed_at)
    print(f"the sharer's node killed: the follower waited {gap:.2f} s for the next value")
    assert gap < GAP, f"the follower waited {gap:.2f} s for the next value across the kill"


MAX_ACK_PENDING = 1024  # NATS' default: at most this many unacknowledged per subscription


def follower_lost_in_flight(got: Arrivals, missed: int) -> bool:
    """Whether what did not arrive is what NATS holds back: values the follower counted
    missed, no more than NATS leaves unacknowledged per subscription, with everything else
    once and in order (seen: 1 to 137 of them)."""
    with got.cond:
        values = list(got.values)
    absent = TOTAL - len(set(values))
    return values == sorted(set(values)) and 0 < absent == missed <= MAX_ACK_PENDING


def test_the_followers_node_dies_and_it_resumes_on_another(
    nats_cluster: NatsCluster, tmp_path: Path
) -> None:
    """Sharer on node 1, follower on node 2 of its list (2, 3, 1): node 2 SIGKILLed mid-stream;
    the follower resumes its session on node 3 and gets everything, once, in order."""
    got, killed_at, missed = stream(
        nats_cluster,
        agent_url(nats_cluster.url(0), "sharer", tmp_path / "sbox"),
        agent_url(listed(nats_cluster, [1, 2, 0]), "follower", tmp_path / "fbox"),
        kill=1,
    )
    gap = got.gap_across(killed_at)
    print(f"the follower's node killed: it waited {gap:.2f} s for the next value")
    if missed:
        pytest.xfail(
            f"NATS 2.9 held back {missed} value(s) that node 2 had sent and the follower had "
            "not acknowledged when node 2 died: it resends them only after ack_wait (30 s), "
            "behind later values, not at the reconnect (nats-server#8360); the follower "
            f"counted them missed ({report(got.values, TOTAL)})"
        )
    assert got.values == list(range(TOTAL)), report(got.values, TOTAL)
    assert gap < GAP, f"the follower waited {gap:.2f} s for the next value across the kill"
