"""MQTT 3.1.1-only brokers for tests: one NATS server node, one RabbitMQ node (MQTT plugin).

Each is started on free loopback ports in a folder of its own and ended by ``close()``. They
speak MQTT 3.1.1 only, so they are where iotic_app's 3.1.1 mode and its refusal of MQTT 5
are tested (tests/mqtt/test_v311.py, tests/rabbitmq/).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from broker import HOST, BrokerError, free_port

__all__ = ["NatsNode", "RabbitNode", "find_nats", "find_rabbitmq", "shared_rabbitmq"]


def _find(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidate = f"/usr/sbin/{name}"
    return candidate if os.access(candidate, os.X_OK) else None


def find_nats() -> str | None:
    """The nats-server binary (Debian's ``nats-server``), or None."""
    return _find("nats-server")


RABBITMQ_BIN = "/usr/lib/rabbitmq/bin"  # Debian's scripts; /usr/sbin's wrappers switch user


def find_rabbitmq() -> str | None:
    """RabbitMQ's own rabbitmq-server script (Debian's ``rabbitmq-server``), or None: the
    one in /usr/lib/rabbitmq/bin, which runs as the calling user (/usr/sbin's runs it as the
    ``rabbitmq`` user, who cannot write a test's folder)."""
    found = os.path.join(RABBITMQ_BIN, "rabbitmq-server")
    return found if os.access(found, os.X_OK) else None


def _wait_listening(port: int, deadline: float, process: subprocess.Popen[bytes]) -> bool:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with socket.create_connection((HOST, port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.02)  # a broker coming up: nothing to wait on but its port
    return False


class NatsNode:
    """One NATS server with JetStream and an MQTT (3.1.1) listener, on free ports."""

    def __init__(self, directory: Path, binary: str | None = None) -> None:
        self.directory = directory
        self.binary = binary or find_nats() or "nats-server"
        self.port = free_port()
        self.client_port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://{HOST}:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        config = self.directory / "nats.conf"
        config.write_text(
            f"server_name: iotic_test_{self.port}\n"
            f"listen: {HOST}:{self.client_port}\n"
            f'jetstream {{ store_dir: "{self.directory / "js"}" }}\n'
            f"mqtt {{ listen: {HOST}:{self.port} }}\n"
        )
        log = open(self.directory / "nats.log", "ab")  # noqa: SIM115 (the child keeps it)
        try:
            self.process = subprocess.Popen(
                [self.binary, "-c", str(config)], stdout=log, stderr=subprocess.STDOUT
            )
        finally:
            log.close()
        if not _wait_listening(self.port, time.monotonic() + timeout, self.process):
            self.close()
            raise BrokerError(f"nats-server did not listen on {self.port}: see {config.parent}")

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def close(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait()
            self.process = None


class RabbitMQNodeError(BrokerError):
    """The RabbitMQ node did not start."""


class RabbitNode:
    """One RabbitMQ node (runs as root, as Debian's scripts allow) with the MQTT plugin on a
    free port; its data and logs live in *directory*."""

    def __init__(self, directory: Path, binary: str | None = None) -> None:
        self.directory = directory
        self.binary = binary or find_rabbitmq() or "rabbitmq-server"
        self.port = free_port()
        self.amqp_port = free_port()
        self.dist_port = free_port()
        self.name = f"iotic{self.port}@localhost"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://{HOST}:{self.port}"

    def env(self) -> dict[str, str]:
        d = self.directory
        env = dict(os.environ)
        env.update(
            RABBITMQ_NODENAME=self.name,
            RABBITMQ_NODE_IP_ADDRESS=HOST,
            RABBITMQ_NODE_PORT=str(self.amqp_port),
            RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_MNESIA_BASE=str(d / "mnesia"),
            RABBITMQ_LOG_BASE=str(d / "log"),
            RABBITMQ_CONFIG_FILE=str(d / "rabbitmq"),  # rabbitmq.conf
            RABBITMQ_ENABLED_PLUGINS_FILE=str(d / "enabled_plugins"),
            RABBITMQ_PID_FILE=str(d / "rabbit.pid"),
            HOME=str(d),  # the Erlang cookie
        )
        return env

    def start(self, timeout: float = 60.0) -> None:
        d = self.directory
        d.mkdir(parents=True, exist_ok=True)
        (d / "rabbitmq.conf").write_text(
            f"mqtt.listeners.tcp.default = {HOST}:{self.port}\n"
            "mqtt.allow_anonymous = true\n"
            "loopback_users = none\n"
            "log.console = false\n"
            "log.file.level = warning\n"
        )
        env = self.env()
        plugins = os.path.join(os.path.dirname(self.binary), "rabbitmq-plugins")
        done = subprocess.run(
            [plugins, "enable", "--offline", "rabbitmq_mqtt"],
            env=env,
            capture_output=True,
            timeout=60,
        )
        if done.returncode:
            raise RabbitMQNodeError(f"rabbitmq-plugins failed: {done.stderr.decode()[-500:]}")
        log = open(d / "server.log", "ab")  # noqa: SIM115 (the child keeps it)
        try:
            self.process = subprocess.Popen(
                [self.binary],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()
        if not _wait_listening(self.port, time.monotonic() + timeout, self.process):
            self.close()
            raise RabbitMQNodeError(f"RabbitMQ's MQTT listener did not come up: see {d}")

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def close(self) -> None:
        """Kill the node and everything it started (epmd is left for the next node)."""
        process = self.process
        if process is None:
            return
        self.process = None
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        process.wait()


_SHARED_RABBIT: list[RabbitNode] = []


def shared_rabbitmq() -> RabbitNode:
    """One RabbitMQ node for the whole test session, started on first use (about 15 s) and
    killed at exit; raises ``BrokerError`` when it does not start."""
    if not _SHARED_RABBIT:
        import atexit
        import tempfile

        node = RabbitNode(Path(tempfile.mkdtemp(prefix="iotic-rabbitmq-")))
        node.start()
        atexit.register(node.close)
        _SHARED_RABBIT.append(node)
    return _SHARED_RABBIT[0]
