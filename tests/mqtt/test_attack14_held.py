"""Attack on the builtin engine's held writes: no PUBACK waits more than ~HOLD after ack()
returned, whatever the interleaving of acks (worker thread, random pauses, bursts) and
publishes inside corked() from other threads."""

from __future__ import annotations

import contextlib
import queue
import random
import socket
import threading
import time
from typing import Any

import pytest
from test_builtin_engine import Engines

pytestmark = pytest.mark.timeout(60)


class TimedServer:
    """Answers CONNECT with a CONNACK, then sends *bursts* of QoS 1 PUBLISHes; records when
    each PUBACK arrived."""

    def __init__(self, tls: Any = None) -> None:
        self.tls = tls
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.pubacks: dict[int, float] = {}
        self.publishes = 0
        self.cond = threading.Condition()
        self.client: socket.socket | None = None
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.server.accept()
        if self.tls is not None:
            import ssl

            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self.tls.cert_file, self.tls.key_file)
            conn = context.wrap_socket(conn, server_side=True)
        self.client = conn
        with conn:
            buf = b""
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                now = time.monotonic()
                buf += data
                while len(buf) >= 2:
                    size, k, mult = 0, 1, 1
                    while True:
                        byte = buf[k]
                        size += (byte & 0x7F) * mult
                        mult *= 128
                        k += 1
                        if not byte & 0x80:
                            break
                    if len(buf) < k + size:
                        break
                    packet, buf = buf[: k + size], buf[k + size :]
                    with self.cond:
                        if packet[0] == 0x10:
                            conn.sendall(b"\x20\x03\x00\x00\x00")
                            self.ready.set()
                        elif packet[0] == 0x40:
                            self.pubacks[(packet[2] << 8) | packet[3]] = now
                        elif packet[0] & 0xF0 == 0x30:
                            self.publishes += 1
                        self.cond.notify_all()

    def send(self, data: bytes) -> None:
        assert self.client is not None
        self.client.sendall(data)

    def close(self) -> None:
        self.server.close()
        if self.client is not None:
            with contextlib.suppress(OSError):
                self.client.shutdown(socket.SHUT_RDWR)
        self.thread.join(5)


def _publish(mid: int) -> bytes:
    return b"\x32\x09\x00\x03a/b" + bytes((mid >> 8, mid & 0xFF, 0)) + b"v"


@pytest.fixture
def engines() -> Any:
    made = Engines()
    yield made
    made.close()


@pytest.mark.parametrize("tls", [False, True])
def test_no_puback_waits_more_than_hold_after_its_ack(
    engines: Engines, tls: bool, tls_files: Any
) -> None:
    raw = TimedServer(tls_files if tls else None)
    acked_at: dict[int, float] = {}
    todo: queue.SimpleQueue[Any] = queue.SimpleQueue()
    rng = random.Random(14)
    stop = threading.Event()
    try:
        extra = {"tls": True, "ca_file": str(tls_files.ca_file)} if tls else {}
        engine, events = engines.open(raw.port, keepalive=60, **extra)
        events.on_message = lambda m: todo.put(m)  # type: ignore[method-assign]

        def worker() -> None:  # acknowledges in order, at random paces (a callback's time)
            while True:
                m = todo.get()
                if m is None:
                    return
                pause = rng.choice([0, 0, 0, 0.0005, 0.002, 0.02])
                if pause:
                    time.sleep(pause)
                engine.ack(m)
                acked_at[m.mid] = time.monotonic()

        def publisher() -> None:  # corked bursts from another thread
            while not stop.is_set():
                with engine.corked():
                    for _ in range(rng.randint(1, 5)):
                        engine.publish("x/y", b"p", 1, False)
                time.sleep(0.001)

        threads = [threading.Thread(target=worker), threading.Thread(target=publisher)]
        for t in threads:
            t.start()
        mid = 0
        for _burst in range(150):
            n = rng.randint(1, 12)
            raw.send(b"".join(_publish(mid + i + 1) for i in range(n)))
            mid += n
            time.sleep(rng.choice([0, 0.001, 0.01]))
        with raw.cond:
            assert raw.cond.wait_for(lambda: len(raw.pubacks) == mid, 20), len(raw.pubacks)
        todo.put(None)
        stop.set()
        for t in threads:
            t.join(10)
        late = {
            m: raw.pubacks[m] - acked_at[m]
            for m in range(1, mid + 1)
            # HOLD, plus what a loaded machine's scheduler may add (seen: 20-40 ms under a
            # full suite); a held PUBACK that waited for the keep-alive would take seconds
            if raw.pubacks[m] - acked_at[m] > 0.005 + 0.2
        }
        assert not late, sorted(late.items(), key=lambda kv: -kv[1])[:5]
    finally:
        stop.set()
        todo.put(None)
        raw.close()
