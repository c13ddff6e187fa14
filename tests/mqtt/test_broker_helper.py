"""The test broker helper itself: start, kill, restart with persistence, TLS listener."""

from __future__ import annotations

import socket
import ssl
import threading
from pathlib import Path

import paho.mqtt.client as mqtt
from broker import HOST, Broker, TlsFiles, free_port
from conftest_mqtt import need_own_broker, run_level


def _connects(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


def test_restart_on_same_port_keeps_persisted_retained(own_broker: Broker) -> None:
    port = own_broker.port
    publish = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=run_level())
    publish.connect(HOST, port)
    publish.loop_start()
    info = publish.publish("t/retained", b"kept", qos=1, retain=True)
    info.wait_for_publish(5)
    publish.loop_stop()
    publish.disconnect()
    # A clean stop saves the database; start() then reuses the same port and file.
    assert own_broker.process is not None
    own_broker.process.terminate()
    own_broker.process.wait(10)
    own_broker.kill()
    assert not _connects(port)
    own_broker.start()
    assert own_broker.port == port and _connects(port)
    got: list[bytes] = []
    done = threading.Event()

    def on_message(client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        got.append(msg.payload)
        done.set()

    sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=run_level())
    sub.on_message = on_message
    sub.connect(HOST, port)
    sub.subscribe("t/retained", qos=1)
    sub.loop_start()
    try:
        assert done.wait(5)
    finally:
        sub.loop_stop()
        sub.disconnect()
    assert got == [b"kept"]


def test_kill_stops_listening(own_broker: Broker) -> None:
    own_broker.kill()
    assert not own_broker.running
    assert not _connects(own_broker.port)
    own_broker.restart()
    assert own_broker.running


def test_tls_listener_verifies_with_test_ca(tmp_path: Path, tls_files: TlsFiles) -> None:
    binary = need_own_broker()
    with Broker(tmp_path / "b", tls=tls_files, binary=binary) as broker:
        assert broker.tls_port is not None
        context = ssl.create_default_context(cafile=str(tls_files.ca_file))
        with (
            socket.create_connection((HOST, broker.tls_port), timeout=5) as raw,
            context.wrap_socket(raw, server_hostname=HOST) as tls,
        ):
            assert tls.version() is not None


def test_free_port_is_unused() -> None:
    assert not _connects(free_port())
