"""A NATS server cluster for tests: N nodes on loopback with JetStream and MQTT, killed at will."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.request
import uuid
from pathlib import Path

from broker import HOST, free_port

__all__ = ["ClusterError", "NatsCluster", "find_nats_server"]

INSTALL = "apt-get install -y nats-server"


class ClusterError(RuntimeError):
    """The test cluster did not start (or a node did not come back)."""


def find_nats_server() -> str | None:
    """Return the path of the nats-server binary, or None when it is not installed."""
    found = shutil.which("nats-server")
    if found:
        return found
    for candidate in ("/usr/sbin/nats-server", "/usr/local/bin/nats-server"):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


class _Node:
    """One nats-server process: its ports, config file, log file and store."""

    def __init__(self, directory: Path, index: int, store: Path) -> None:
        self.index = index
        self.name = f"n{index + 1}"
        self.client_port = free_port()
        self.route_port = free_port()
        self.mqtt_port = free_port()
        self.http_port = free_port()
        self.config_file = directory / f"{self.name}.conf"
        self.log_file = directory / f"{self.name}.log"
        self.store_dir = store / f"{self.name}-store"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class NatsCluster:
    """*nodes* nats-server processes on 127.0.0.1, clustered, with JetStream and MQTT.

    Each node has its own config (``server_name``, client port, ``cluster`` with routes to the
    others, ``jetstream`` with its own store, ``mqtt`` with its own port, a monitoring port) in
    *directory*. MQTT's streams are replicated on every node (``stream_replicas``, at most 3),
    so one node may die without losing sessions, queued values or retained messages.

    ``start()`` waits until the cluster is usable; ``kill(i)`` sends node *i* (0-based)
    SIGKILL; ``restart(i)`` starts it again on the same ports with the same store;
    ``close()`` kills them all. ``url(i)`` is node *i*'s ``mqtt://127.0.0.1:PORT``. *mqtt* are
    more lines of each node's ``mqtt { }`` block (``consumer_replicas: 1``, say); *store* is
    where the nodes keep their JetStream stores (default *directory*; a folder in /dev/shm
    spares each Raft write a disk sync).
    """

    def __init__(
        self,
        directory: Path,
        nodes: int = 3,
        *,
        binary: str | None = None,
        name: str = "iotic",
        mqtt: tuple[str, ...] = (),
        store: Path | None = None,
    ) -> None:
        found = binary or find_nats_server()
        if found is None:
            raise ClusterError(f"no nats-server binary found ({INSTALL})")
        if nodes < 1:
            raise ValueError(f"nodes must be at least 1, got {nodes!r}")
        self.binary = found
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.mqtt_options = mqtt
        self.store = directory if store is None else store
        self.nodes = [_Node(directory, i, self.store) for i in range(nodes)]
        for node in self.nodes:
            node.config_file.write_text(self._config(node))

    def _config(self, node: _Node) -> str:
        routes = ", ".join(
            f"nats-route://{HOST}:{other.route_port}" for other in self.nodes if other is not node
        )
        replicas = min(3, len(self.nodes))
        clustered = [
            "cluster {",
            f"  name: {self.name}",
            f"  listen: {HOST}:{node.route_port}",
            f"  routes: [{routes}]",
            "}",
        ]
        return "\n".join(
            [
                f"server_name: {node.name}",
                f"listen: {HOST}:{node.client_port}",
                f"http: {HOST}:{node.http_port}",
                *(clustered if len(self.nodes) > 1 else []),  # one node: JetStream alone
                f'jetstream {{ store_dir: "{node.store_dir}" }}',
                "mqtt {",
                f"  listen: {HOST}:{node.mqtt_port}",
                # NATS picks fewer replicas than nodes by itself (2 of 3 seen): then killing
                # one node can leave a stream without a quorum
                f"  stream_replicas: {replicas}",
                *(f"  {option}" for option in self.mqtt_options),
                "}",
                "",
            ]
        )

    def url(self, index: int) -> str:
        """``mqtt://127.0.0.1:PORT`` of node *index*'s MQTT listener."""
        return f"mqtt://{HOST}:{self.nodes[index].mqtt_port}"

    def urls(self) -> list[str]:
        """Every node's ``url()``, in order."""
        return [self.url(i) for i in range(len(self.nodes))]

    def running(self, index: int) -> bool:
        """Whether node *index* is alive."""
        return self.nodes[index].running

    def logs(self) -> str:
        """The last lines of every node's log, for an error message."""
        parts = []
        for node in self.nodes:
            text = node.log_file.read_text(errors="replace") if node.log_file.exists() else ""
            tail = "\n".join(text.splitlines()[-25:])
            parts.append(f"--- {node.name} ({node.log_file}) ---\n{tail}")
        return "\n".join(parts)

    def _fail(self, why: str) -> ClusterError:
        return ClusterError(f"{why}\n{self.logs()}")

    def _spawn(self, node: _Node) -> None:
        if node.running:
            return
        log = node.log_file.open("ab")
        try:
            node.process = subprocess.Popen(
                [self.binary, "-c", str(node.config_file), "-l", str(node.log_file)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        finally:
            log.close()

    def start(self, timeout: float = 30.0) -> None:
        """Start every node and wait until the cluster carries MQTT across nodes.

        Waits for: every node's MQTT listener accepting, a JetStream meta leader that every
        node knows, and a retained message published on the first node seen by a subscriber
        on the last one.

        Raises:
            ClusterError: a node exited or the cluster was not ready within *timeout* seconds
                (with every node's log).
        """
        for attempt in range(3):
            for node in self.nodes:
                self._spawn(node)
            try:
                self._wait_ready(time.monotonic() + timeout, timeout)
                return
            except ClusterError:
                self.close()
                # a port free_port() found was taken before the node bound it: new ports
                if attempt == 2 or "address already in use" not in self.logs():
                    raise
                directory = self.nodes[0].config_file.parent
                self.nodes = [_Node(directory, i, self.store) for i in range(len(self.nodes))]
                for node in self.nodes:
                    node.config_file.write_text(self._config(node))
            except BaseException:
                self.close()
                raise

    def _wait_ready(self, deadline: float, timeout: float) -> None:
        for node in self.nodes:
            self._wait_listening(node, deadline, timeout)
        self._wait_meta_leader(deadline, timeout)
        self._wait_retained_across(deadline, timeout)

    def _check_alive(self, node: _Node) -> None:
        if node.process is not None and node.process.poll() is not None:
            raise self._fail(f"nats-server {node.name} exited with {node.process.returncode}")

    def _wait_listening(self, node: _Node, deadline: float, timeout: float) -> None:
        pause = threading.Event()
        while True:
            self._check_alive(node)
            try:
                with socket.create_connection((HOST, node.mqtt_port), timeout=0.2):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise self._fail(
                        f"{node.name}'s MQTT listener ({node.mqtt_port}) did not accept "
                        f"within {timeout} s"
                    ) from None
                pause.wait(0.01)

    def meta_leader(self, index: int) -> str | None:
        """The JetStream meta leader node *index* knows of (None: none, or it does not answer)."""
        node = self.nodes[index]
        try:
            with urllib.request.urlopen(f"http://{HOST}:{node.http_port}/jsz", timeout=1) as r:
                data = json.load(r)
        except (OSError, ValueError):
            return None
        leader = (data.get("meta_cluster") or {}).get("leader")
        return str(leader) if leader else None

    def _wait_meta_leader(self, deadline: float, timeout: float) -> None:
        if len(self.nodes) == 1:
            return  # JetStream alone: no meta group
        pause = threading.Event()
        while True:
            running = [n for n in self.nodes if n.running]
            for node in running:
                self._check_alive(node)
            leaders = {self.meta_leader(n.index) for n in running}
            if len(leaders) == 1 and None not in leaders:
                return
            if time.monotonic() > deadline:
                raise self._fail(
                    f"no JetStream meta leader that every node agrees on within {timeout} s "
                    f"(they say {sorted(map(str, leaders))})"
                )
            pause.wait(0.05)

    def _wait_retained_across(self, deadline: float, timeout: float) -> None:
        """Publish a retained message on the first running node, until a subscriber on the
        last running node gets it (the MQTT streams exist and replicate)."""
        running = [n for n in self.nodes if n.running]
        first, last = running[0], running[-1]
        topic = f"iotic-cluster-check/{uuid.uuid4().hex[:12]}"
        pause = threading.Event()
        why = ""
        while True:
            for node in running:
                self._check_alive(node)
            try:
                _publish_retained(first.mqtt_port, topic, deadline)
                if _see_retained(last.mqtt_port, topic, deadline):
                    _publish_retained(first.mqtt_port, topic, deadline, payload=b"")
                    return
                why = "the subscriber got nothing"
            except (OSError, ClusterError) as exc:
                why = str(exc)
            if time.monotonic() > deadline:
                raise self._fail(
                    f"a retained message published on {first.name} did not reach a subscriber "
                    f"on {last.name} within {timeout} s: {why}"
                )
            pause.wait(0.1)

    def end_sessions(self, client_ids: list[str], timeout: float = 10.0) -> None:
        """Connect as each of *client_ids* with a clean session and disconnect: NATS drops
        the session and its JetStream consumers (else every test's agents' sessions, and a
        consumer per subscription of each, pile up on the cluster and slow it down)."""
        running = [n for n in self.nodes if n.running]
        if not running:
            return
        deadline = time.monotonic() + timeout
        pause = threading.Event()
        for client_id in client_ids:
            # NATS refuses the id (closes without a CONNACK) while it still ends the session's
            # last connection: try again, so the next test's client of that id is not refused
            while True:
                try:
                    _disconnect(_connect(running[0].mqtt_port, deadline, client_id))
                    break
                except (OSError, ClusterError):
                    if time.monotonic() > deadline:
                        break  # a session left behind costs time, not correctness
                    pause.wait(0.05)

    def kill(self, index: int) -> None:
        """SIGKILL node *index* (no clean shutdown) and reap it."""
        node = self.nodes[index]
        process, node.process = node.process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(10)

    def restart(self, index: int, timeout: float = 30.0) -> None:
        """Kill node *index* if it runs, start it again on the same ports and store, and wait
        until it listens and knows the meta leader."""
        self.kill(index)
        node = self.nodes[index]
        self._spawn(node)
        deadline = time.monotonic() + timeout
        self._wait_listening(node, deadline, timeout)
        self._wait_meta_leader(deadline, timeout)

    def close(self) -> None:
        """Kill every node."""
        for node in self.nodes:
            self.kill(node.index)

    def __enter__(self) -> NatsCluster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# A minimal MQTT 3.1.1 client for the readiness check (no client library, no threads).


def _packet(kind: int, body: bytes) -> bytes:
    length, encoded = len(body), bytearray()
    while True:
        byte, length = length % 128, length // 128
        encoded.append(byte | (0x80 if length else 0))
        if not length:
            return bytes([kind]) + bytes(encoded) + body


def _text(value: str | bytes) -> bytes:
    data = value.encode() if isinstance(value, str) else value
    return len(data).to_bytes(2, "big") + data


def _read_packet(sock: socket.socket) -> tuple[int, bytes]:
    def read(n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                raise ClusterError("the node closed the MQTT connection")
            data += chunk
        return data

    kind = read(1)[0]
    length, shift = 0, 0
    while True:
        byte = read(1)[0]
        length += (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    return kind, read(length)


def _connect(port: int, deadline: float, client_id: str | None = None) -> socket.socket:
    sock = socket.create_connection((HOST, port), timeout=max(0.1, deadline - time.monotonic()))
    try:
        client_id = client_id or f"iotic-check-{uuid.uuid4().hex[:8]}"
        # protocol level 4 (3.1.1), clean session, keep-alive 10 s
        sock.sendall(_packet(0x10, _text("MQTT") + b"\x04\x02\x00\x0a" + _text(client_id)))
        kind, body = _read_packet(sock)
        if kind != 0x20 or len(body) < 2 or body[1] != 0:
            raise ClusterError(f"CONNACK refused: {kind:#x} {body!r}")
    except BaseException:
        sock.close()
        raise
    return sock


def _disconnect(sock: socket.socket) -> None:
    try:
        sock.sendall(b"\xe0\x00")
    finally:
        sock.close()


def _publish_retained(port: int, topic: str, deadline: float, payload: bytes = b"ready") -> None:
    sock = _connect(port, deadline)
    try:
        # QoS 1, retained, packet id 1: wait for the PUBACK (the broker stored it)
        sock.sendall(_packet(0x33, _text(topic) + b"\x00\x01" + payload))
        kind, _ = _read_packet(sock)
        if kind != 0x40:
            raise ClusterError(f"expected a PUBACK, got packet type {kind:#x}")
    finally:
        _disconnect(sock)


def _see_retained(port: int, topic: str, deadline: float) -> bool:
    sock = _connect(port, deadline)
    try:
        sock.sendall(_packet(0x82, b"\x00\x01" + _text(topic) + b"\x01"))
        sock.settimeout(min(2.0, max(0.1, deadline - time.monotonic())))
        while True:
            try:
                kind, body = _read_packet(sock)
            except TimeoutError:
                return False
            if kind & 0xF0 == 0x30:
                return body[2 : 2 + int.from_bytes(body[:2], "big")] == topic.encode()
    finally:
        _disconnect(sock)
