"""Fixtures for tests on a NATS server cluster (imported by tests/conftest.py and the contract
suite).

The contract suite's ``nats-cluster`` space runs on one 3-node cluster per test session, started
on first use and killed at exit; ``nats_cluster`` is a cluster of the test's own, which it may
kill nodes of. Without a nats-server binary they skip, saying how to install it; under
``CI=true`` a missing binary fails instead (CI installs it).
"""

from __future__ import annotations

import atexit
import itertools
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from cluster import INSTALL, NatsCluster, find_nats_server

__all__ = ["NatsClusterSpace", "nats_cluster", "need_nats_server", "session_cluster"]

# NATS server 2.9 speaks MQTT 3.1.1 only
PROTOCOL = "protocol=3.1.1"


def need_nats_server() -> str:
    """Return the nats-server binary's path, or skip the test saying how to install it (fail
    under CI=true, where it must be installed)."""
    binary = find_nats_server()
    if binary is None:
        why = f"no nats-server binary: {INSTALL}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{why} (CI=true: .ci/run installs it)")
        pytest.skip(why)
    return binary


_SESSION: list[NatsCluster] = []
CONTRACT_MQTT = ("consumer_replicas: 1", "consumer_memory_storage: true")


def memory_folder(prefix: str) -> Path:
    """A new folder in /dev/shm where there is one (else in the temp folder), removed at exit:
    JetStream syncs each Raft write to disk, which a 2-core CI machine pays for dearly."""
    shm = Path("/dev/shm")
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=shm if shm.is_dir() else None))
    atexit.register(shutil.rmtree, folder, True)
    return folder


def session_cluster() -> NatsCluster:
    """The session's cluster, started on first use (and killed at exit)."""
    if not _SESSION:
        binary = need_nats_server()
        directory = Path(tempfile.mkdtemp(prefix="iotic-nats-"))
        atexit.register(shutil.rmtree, directory, True)
        # nothing kills these nodes: each subscription's consumer lives on one node, in memory
        # (a third of the Raft work of replicated ones), so the suite takes less time
        store = memory_folder("iotic-nats-store-")
        cluster = NatsCluster(directory, binary=binary, mqtt=CONTRACT_MQTT, store=store)
        cluster.start()
        _SESSION.append(cluster)
        atexit.register(cluster.close)  # registered after rmtree: runs before it
    cluster = _SESSION[0]
    for index in range(len(cluster.nodes)):
        if not cluster.running(index):
            cluster.restart(index)
    return cluster


class NatsClusterSpace:
    """A fresh space on the session's cluster for one contract test: its own topic root and
    outbox folder; ``url(agent)`` hands out the nodes round-robin, so that a test's agents
    sit on different nodes (each URL lists the others after its first)."""

    # what NATS server 2.9 lacks, for the contract tests marked needs(...)
    lacks: ClassVar[dict[str, str]] = {
        "mqtt5": "NATS server 2.9 speaks MQTT 3.1.1 only: no shared subscriptions, so "
        "follow(group=...) is refused",
        "one_order": "NATS server 2.9 has no one order of messages across nodes: a node "
        "learns QoS 1 and retained messages published on another node through JetStream "
        "consumers, later, so what a client sees on its node (its own sync marker coming back, "
        "a new subscription's retained copy) may not yet hold what the other node acknowledged "
        "(two agents creating one lid at once both win; get_recent right after a share is one "
        "value behind)",
        "resend_at_reconnect": "NATS server 2.9 resends a QoS 1 message that a client had "
        "received but not acknowledged when it disconnected only after ack_wait (30 s), behind "
        "later ones, not at its reconnect as MQTT 3.1.1 requires [MQTT-4.4.0-1] "
        "(nats-server#8360): the follower counts it missed",
    }

    def __init__(self) -> None:
        self.cluster = session_cluster()
        self.root = f"test-{uuid.uuid4().hex[:12]}"
        self.outbox = tempfile.mkdtemp(prefix="iotic-outbox-")
        atexit.register(shutil.rmtree, self.outbox, True)
        self._nodes = itertools.cycle(range(len(self.cluster.nodes)))
        self._agents: set[str] = set()
        from conftest_directory import space_made

        # the space's directory (when the test needs one) sits on the last node
        space_made(f"{self.cluster.url(len(self.cluster.nodes) - 1)}?{PROTOCOL}", self.root)

    def url(self, agent: str) -> str:
        """The agent's URL: every node, the next one round-robin first (the others are where
        it goes when that one refuses it or is lost, as an agent of a cluster is told)."""
        self._agents.add(agent)
        first = next(self._nodes)
        nodes = [*range(first, len(self.cluster.nodes)), *range(first)]
        listed = ",".join(self.cluster.url(i).removeprefix("mqtt://") for i in nodes)
        return f"mqtt://{listed}?agent={agent}&root={self.root}&outbox={self.outbox}&{PROTOCOL}"

    def close(self) -> None:
        """End the sessions of the agents this space handed URLs to (and of their second and
        third clients in one process), once the test's clients are closed."""
        ids = [f"{agent}{n}" for agent in sorted(self._agents) for n in ("", "~2", "~3")]
        ids.append(f"dir-{self.root}")  # the space's directory, when the test had one
        self.cluster.end_sessions(ids)


@pytest.fixture
def nats_cluster(tmp_path: Path) -> Iterator[NatsCluster]:
    """A 3-node cluster of the test's own, started, whose nodes the test may kill."""
    binary = need_nats_server()
    store = memory_folder("iotic-nats-store-")
    try:
        with NatsCluster(tmp_path / "nats", binary=binary, store=store) as cluster:
            yield cluster
    finally:
        shutil.rmtree(store, ignore_errors=True)
