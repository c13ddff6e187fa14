"""iotic_app's own MQTT engine (MQTT 5 and 3.1.1, stdlib only): one socket, one I/O thread."""

# Design note
# -----------
# What it is for: paho reads each packet with 3-4 recv() calls and a select() per loop; this
# engine reads up to 64 KiB at a time and parses every complete packet in what it read, so
# the receive path costs a few microseconds of Python per message. It keeps every guarantee
# of the seam (``_engine.py``): manual PUBACKs only, no reconnect, no resend, no queue of its
# own beyond the socket's out-buffer, reason codes as the broker sent them.
#
# Threads: connect() makes the TCP (and TLS) connection and sends CONNECT on the calling
# thread, then starts ONE I/O thread, which reads, parses, reports to the events (in the
# order packets came), drains the out-buffer, and sends PINGREQs. Its end (EOF, socket
# error, the broker's DISCONNECT, a protocol error, keep-alive timeout, disconnect(),
# close()) reports ``on_closed`` once and closes the socket and the wake-up sockets.
#
# Writes: every packet is encoded, given its packet id and written under one write lock, so
# the order on the wire is the order of the calls. Plain TCP: the calling thread sends at once
# (non-blocking) when nothing waits in the out-buffer; what the kernel does not take goes to
# the out-buffer, which only grows from then on until the I/O thread has drained it. TLS: an
# SSLSocket must not be used by two threads at once, so every write goes to the out-buffer
# and the I/O thread sends it (woken by a socketpair, once per empty -> non-empty change).
#
# Held writes: a burst's packets go out in one send() rather than one each (on loopback a
# send() costs more than the Python around it). A PUBACK is held while later QoS 1 messages
# were handed on and not yet acknowledged (their PUBACKs follow soon; the last one sends them
# all), or while the I/O thread is still parsing a read; publishes are held inside
# ``corked()``. Held bytes wait at most HOLD seconds: the I/O thread, which waits no longer
# than that while any are outstanding, sends them.
#
# Packet ids: 1..65535, never one whose answer has not come (the ids in use are a set).
#
# Keep-alive: a PINGREQ when nothing was sent for ``keepalive`` seconds (or nothing came for
# as long and no PINGREQ went out since); the link counts as lost when nothing came for 1.5 x
# ``keepalive``.
#
# disconnect() queues DISCONNECT; once it is written, the I/O thread reads (and drops) what
# still comes until the broker closes, so that no unread data turns the close into a reset
# (which would make the broker publish the will), at most DRAIN seconds.

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import ssl
import threading
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from iotic_app.transports.mqtt._engine import MQTTV5, EngineEvents, Message

if TYPE_CHECKING:
    from iotic_app.transports.mqtt._settings import MqttSettings

__all__ = ["BuiltinEngine", "BuiltinMessage"]

logger = logging.getLogger("iotic_app.mqtt")

READ_SIZE = 65536  # bytes per recv()
TLS_CHUNK = 262144  # bytes per SSL write (retried whole after SSLWantWriteError)
LIVE_BYTES = 4096  # bytes of a packet still coming that count as a live link (see _read)
DRAIN = 1.0  # seconds disconnect() waits for the broker to close after DISCONNECT
JOIN = 5.0  # seconds close() waits for the I/O thread
HOLD = 0.005  # seconds held writes wait at most (see the design note)
HELD_ACKS = 64  # PUBACKs held at most before they go out
_QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)  # see _paho_engine.py
_Socket = socket.socket  # for annotations in BuiltinEngine, whose socket() hides the module
_PINGREQ = b"\xc0\x00"
_DISCONNECT = b"\xe0\x00"  # MQTT 5: no reason code and no properties = 0, normal

# MQTT 5 property identifiers by the size of their value: 1, 2 or 4 bytes, a variable byte
# integer, a UTF-8 string or binary data (2-byte length), a string pair.
_PROP_KIND: dict[int, int] = {}
for _ids, _kind in (
    ((0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2A), 1),
    ((0x13, 0x21, 0x22, 0x23), 2),
    ((0x02, 0x11, 0x18, 0x27), 4),
    ((0x0B,), 0),
    ((0x03, 0x08, 0x09, 0x12, 0x15, 0x16, 0x1A, 0x1C, 0x1F), -1),
    ((0x26,), -2),
):
    for _id in _ids:
        _PROP_KIND[_id] = _kind
_MAX_SIZE = 268_435_455  # MQTT's largest remaining length
_RECEIVE_MAXIMUM = 0x21
_SERVER_KEEP_ALIVE = 0x13
_MAXIMUM_PACKET_SIZE = 0x27
_TOPIC_ALIAS = 0x23


class _Malformed(Exception):
    """The broker sent something this engine cannot take: the connection ends."""


class _End(Exception):
    """The connection ends; *reason*: the broker's DISCONNECT reason code, or None."""

    def __init__(self, reason: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason


class BuiltinMessage:
    """A PUBLISH that came from the broker (``mid``: its packet id, 0 at QoS 0)."""

    __slots__ = ("engine", "mid", "payload", "qos", "retain", "topic")

    def __init__(
        self, topic: str, payload: bytes, qos: int, retain: bool, mid: int, engine: object
    ) -> None:
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.mid = mid
        self.engine = engine  # the connection it came on (ack() checks it)

    def __repr__(self) -> str:
        return f"BuiltinMessage(topic={self.topic!r}, qos={self.qos}, mid={self.mid})"


def _varint(n: int) -> bytes:
    """MQTT's variable byte integer."""
    out = bytearray()
    while True:
        n, digit = n >> 7, n & 0x7F
        out.append(digit | 0x80 if n else digit)
        if not n:
            return bytes(out)


def _string(text: str, what: str) -> bytes:
    data = text.encode("utf-8")
    if len(data) > 0xFFFF:
        raise ValueError(f"{what} must be at most 65535 bytes in UTF-8, got {len(data)} bytes")
    return len(data).to_bytes(2, "big") + data


def _binary(data: bytes) -> bytes:
    return len(data).to_bytes(2, "big") + data


def _packet(first: int, body: bytes) -> bytes:
    return bytes((first,)) + _varint(len(body)) + body


def _read_varint(data: bytes, i: int, end: int) -> tuple[int, int]:
    """The variable byte integer at *i* (before *end*) and the index after it."""
    value = shift = 0
    while True:
        if i >= end or shift > 21:
            raise _Malformed("bad variable byte integer")
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, i
        shift += 7


def _properties(data: bytes, i: int, end: int) -> tuple[dict[int, int], int]:
    """Skip MQTT 5 properties at *i*; returns their integer values by id and the index after."""
    length, i = _read_varint(data, i, end)
    stop = i + length
    if stop > end:
        raise _Malformed("properties longer than the packet")
    found: dict[int, int] = {}
    while i < stop:
        pid = data[i]
        kind = _PROP_KIND.get(pid)
        i += 1
        if kind is None:
            raise _Malformed(f"unknown property 0x{pid:02X}")
        if kind > 0:
            found[pid] = int.from_bytes(data[i : i + kind], "big")
            i += kind
        elif kind == 0:
            _, i = _read_varint(data, i, stop)
        else:
            for _ in range(-kind):
                i += 2 + int.from_bytes(data[i : i + 2], "big")
        if i > stop:
            raise _Malformed("a property runs past the properties")
    return found, stop


class BuiltinEngine:
    """One MQTT connection on a socket of its own, with one I/O thread (see the design note)."""

    name = "builtin"

    def __init__(
        self,
        settings: MqttSettings,
        client_id: str,
        events: EngineEvents,
        *,
        will: str | None = None,
        persistent: bool = True,
        session_expiry: int = 0,
    ) -> None:
        self._settings = settings
        self._client_id = client_id
        self._events = events
        self._will = will
        self._persistent = persistent
        self._session_expiry = session_expiry
        self._v5 = settings.protocol == MQTTV5
        self._tls = settings.tls
        self._sock: socket.socket | None = None
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._wlock = threading.Lock()  # writes, packet ids, _up
        self._out = bytearray()  # written by no one yet (under _wlock)
        self._chunk: bytes | None = None  # TLS: the write in progress (I/O thread)
        self._want_write = False  # TLS: a read needs the socket writable
        self._mids: set[int] = set()  # packet ids awaiting their answer
        self._next_mid = 0
        self._up = False  # CONNACK accepted, neither closed nor disconnecting
        self._acked = False  # a CONNACK came
        self._disconnecting = 0.0  # when disconnect() queued DISCONNECT
        self._closing = False  # close() was asked
        self._ended = False  # on_closed was reported
        self._end_lock = threading.Lock()
        self._error: str | None = None
        self._last_sent = self._last_recv = self._last_ping = 0.0
        self._keepalive = float(settings.keepalive)
        self._trickled = 0  # bytes come since the link last counted as alive
        self._max_packet = _MAX_SIZE + 5  # MQTT's limit, unless the broker's CONNACK says less
        self._parts: list[bytes] = []  # an incomplete packet's bytes so far
        self._have = 0  # their length
        self._need = 0  # the length the incomplete packet needs (at least)
        self._session_present = False  # the CONNACK's flag
        self._held = 0  # packets held in the out-buffer, not yet sent nor woken for
        self._corked = 0  # corked() depth
        self._handed = 0  # QoS 1 messages handed to on_message (I/O thread)
        self._settled = 0  # of them acknowledged (under _wlock)
        self._parsing = False  # the I/O thread is parsing a read (its acks wait for the end)

    # --- connecting ---------------------------------------------------------------------

    def _connect_packet(self) -> bytes:
        s = self._settings
        flags = 0 if self._persistent else 0x02
        payload = _string(self._client_id, "client_id")
        props = b""
        if self._v5 and self._persistent and self._session_expiry:
            props = b"\x11" + self._session_expiry.to_bytes(4, "big")
        if self._will is not None:
            flags |= 0x04 | 0x08 | 0x20  # will, QoS 1, retained
            payload += (b"\x00" if self._v5 else b"") + _string(self._will, "will")
            payload += _binary(b"offline")
        if s.username is not None:
            flags |= 0x80
            payload += _string(s.username, "username")
            if s.password is not None:
                flags |= 0x40
                payload += _binary(s.password.encode("utf-8"))
        head = b"\x00\x04MQTT" + bytes((s.protocol, flags)) + s.keepalive.to_bytes(2, "big")
        if self._v5:
            head += _varint(len(props)) + props
        return _packet(0x10, head + payload)

    def connect(self) -> None:
        s = self._settings
        packet = self._connect_packet()
        sock = socket.create_connection((s.host, s.port), timeout=s.connect_timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if s.tls:
                context = ssl.create_default_context(cafile=s.ca_file)
                if s.cert_file is not None:
                    context.load_cert_chain(s.cert_file, s.key_file)
                sock = context.wrap_socket(sock, server_hostname=s.host)
            sock.sendall(packet)
            sock.setblocking(False)
            wake_r, wake_w = socket.socketpair()
        except BaseException:
            sock.close()
            raise
        wake_r.setblocking(False)
        wake_w.setblocking(False)
        self._sock, self._wake_r, self._wake_w = sock, wake_r, wake_w
        self._last_sent = self._last_recv = time.monotonic()
        self._thread = threading.Thread(
            target=self._run, name=f"iotic_app-mqtt-io-{self._client_id}", daemon=True
        )
        self._thread.start()

    # --- writing ------------------------------------------------------------------------

    def _wake(self) -> None:
        wake = self._wake_w
        if wake is not None:
            with contextlib.suppress(OSError):  # full (it is awake anyway) or closed
                wake.send(b"\x00")

    def _write(self, packet: bytes, hold: bool = False) -> None:
        """Send *packet* after everything written before it (the caller holds _wlock); with
        *hold* (or inside ``corked()``), keep it in the out-buffer for the next send."""
        out = self._out
        if hold or self._corked:
            out += packet
            self._held += 1
            return
        if self._held:
            out += packet
            self._push()
            return
        if self._tls or out:
            was_empty = not out
            out += packet
            if was_empty and self._tls:  # (plain: the I/O thread was woken when it filled)
                self._wake()  # after the append: the woken thread must see it
            return
        sock = self._sock
        assert sock is not None
        try:
            sent = sock.send(packet)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:  # the link broke: the I/O thread's next read says so
            sent = 0
        self._last_sent = time.monotonic()
        if sent < len(packet):
            out += memoryview(packet)[sent:]
            self._wake()

    def _push(self) -> None:
        """Send the held packets with whatever waits before them (under _wlock)."""
        self._held = 0
        out = self._out
        if self._tls:
            self._wake()
            return
        sock = self._sock
        if sock is None or not out:
            return
        try:
            sent = sock.send(out)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            sent = 0
        self._last_sent = time.monotonic()
        del out[:sent]
        if out:
            self._wake()

    def max_packet_size(self) -> int | None:
        return None if self._max_packet > _MAX_SIZE else self._max_packet

    def session_present(self) -> bool:
        return self._session_present

    @contextlib.contextmanager
    def corked(self) -> Iterator[None]:
        """Hold the packets written inside (from any thread) and send them together at the
        end: for a burst of publishes."""
        with self._wlock:
            self._corked += 1
        try:
            yield
        finally:
            with self._wlock:
                self._corked -= 1
                if not self._corked and self._held:
                    self._push()

    def _mid(self) -> int:
        """A packet id not awaiting its answer (under _wlock)."""
        mids = self._mids
        if len(mids) >= 0xFFFF:
            raise RuntimeError("all 65535 MQTT packet ids await their answers")
        mid = self._next_mid
        while True:
            mid = mid % 0xFFFF + 1
            if mid not in mids:
                break
        self._next_mid = mid
        mids.add(mid)
        return mid

    def publish(self, topic: str, payload: bytes, qos: int, retain: bool) -> int | None:
        if qos not in (0, 1):
            raise ValueError(f"qos must be 0 or 1, got {qos!r}")
        name = _string(topic, "topic")
        props = b"\x00" if self._v5 else b""
        first = 0x30 | (qos << 1) | (1 if retain else 0)
        size = len(name) + len(props) + len(payload) + (2 if qos else 0)
        if size > _MAX_SIZE:
            raise ValueError(
                f"payload must be at most {_MAX_SIZE - len(name) - 3} bytes with this topic "
                f"(MQTT's packet limit), got {len(payload)} bytes"
            )
        head = bytes((first,)) + _varint(size) + name
        if len(head) + size - len(name) > self._max_packet:
            raise ValueError(
                f"a PUBLISH of {len(head) + size - len(name):,} bytes on {topic!r} is larger "
                f"than the broker's maximum packet size, {self._max_packet:,} bytes (its "
                "CONNACK)"
            )
        with self._wlock:
            if not self._up:
                return None
            if qos:
                mid = self._mid()
                self._write(head + mid.to_bytes(2, "big") + props + payload)
                return mid
            self._write(head + props + payload)
            return 0

    def subscribe(self, filters: Sequence[tuple[str, int, bool]]) -> int | None:
        body = b""
        for topic, qos, retained in filters:
            if qos not in (0, 1):
                raise ValueError(f"qos of {topic!r} must be 0 or 1, got {qos!r}")
            options = qos | ((0 if retained else 2) << 4 if self._v5 else 0)
            body += _string(topic, "filter") + bytes((options,))
        if not body:
            raise ValueError("filters must name at least one topic filter, got none")
        props = b"\x00" if self._v5 else b""
        with self._wlock:
            if not self._up:
                return None
            mid = self._mid()
            self._write(_packet(0x82, mid.to_bytes(2, "big") + props + body))
            return mid

    def unsubscribe(self, topics: Sequence[str]) -> int | None:
        body = b"".join(_string(t, "topic") for t in topics)
        if not body:
            raise ValueError("topics must name at least one topic filter, got none")
        props = b"\x00" if self._v5 else b""
        with self._wlock:
            if not self._up:
                return None
            mid = self._mid()
            self._write(_packet(0xA2, mid.to_bytes(2, "big") + props + body))
            return mid

    def ack(self, message: Message) -> None:
        if not isinstance(message, BuiltinMessage) or message.engine is not self:
            return  # another connection's: its broker sends it again on this one
        if message.qos != 1:
            return
        mid = message.mid
        with self._wlock:
            self._settled += 1
            if self._up:
                # more PUBACKs follow soon (later messages are being handled): send them together
                hold = (self._parsing or self._handed > self._settled) and self._held < HELD_ACKS
                self._write(bytes((0x40, 2, mid >> 8, mid & 0xFF)), hold)

    def is_connected(self) -> bool:
        return self._up

    def disconnect(self) -> None:
        with self._wlock:
            if self._sock is None or self._ended or self._disconnecting:
                return
            self._up = False
            self._write(_DISCONNECT)
            self._disconnecting = time.monotonic()
        self._wake()

    def close(self) -> None:
        self._closing = True
        thread = self._thread
        if thread is None:  # never connected: nothing to end but the report
            self._report_closed(None)
            return
        if thread is threading.current_thread():
            return  # from a callback: the I/O thread ends when it returns
        self._wake()
        thread.join(JOIN)
        if thread.is_alive():
            logger.warning(
                "the MQTT I/O thread of client %r did not end within %g s", self._client_id, JOIN
            )

    def socket(self) -> socket.socket | None:
        return self._sock

    def error(self) -> str | None:
        return self._error

    # --- the I/O thread -----------------------------------------------------------------

    def _report_closed(self, reason: int | None) -> None:
        with self._end_lock:
            if self._ended:
                return
            self._ended = True
        self._events.on_closed(reason)

    def _run(self) -> None:
        reason: int | None = None
        try:
            self._loop()
        except _End as end:
            reason = end.reason
        except _Malformed as exc:
            logger.warning(
                "closed the MQTT connection of client %r: the broker sent a packet that is not "
                "valid MQTT or not expected (%s)",
                self._client_id,
                exc,
            )
        except Exception:
            logger.exception("the MQTT I/O thread of client %r failed", self._client_id)
        finally:
            with self._wlock:
                self._up = False
                sock, self._sock = self._sock, None
                wake_r, wake_w = self._wake_r, self._wake_w
                self._wake_r = self._wake_w = None
            for each in (sock, wake_r, wake_w):
                if each is not None:
                    each.close()
            self._report_closed(reason)

    def _loop(self) -> None:
        sock, wake_r = self._sock, self._wake_r
        assert sock is not None and wake_r is not None
        connect_timeout = self._settings.connect_timeout
        started = time.monotonic()
        with selectors.DefaultSelector() as selector:
            selector.register(wake_r, selectors.EVENT_READ)
            mask = selectors.EVENT_READ
            selector.register(sock, mask)
            while True:
                pending = bool(self._out) or self._chunk is not None
                if self._disconnecting:
                    if not pending:
                        self._drain(sock, selector)
                        raise _End(None)
                    if not self._drain_due():
                        raise _End(None)
                elif self._closing:
                    raise _End(None)
                want = selectors.EVENT_READ
                if pending or self._want_write:
                    want |= selectors.EVENT_WRITE
                if want != mask:
                    selector.modify(sock, want)
                    mask = want
                now = time.monotonic()
                keepalive = self._keepalive  # the broker's, once its CONNACK said one
                if self._acked and keepalive:
                    if now - self._last_recv >= 1.5 * keepalive:
                        raise _End(None)
                    if now - self._last_sent >= keepalive or (
                        now - self._last_recv >= keepalive and now - self._last_ping >= keepalive
                    ):
                        with self._wlock:
                            self._write(_PINGREQ)
                        self._last_sent = self._last_ping = now
                    due = min(self._last_sent, max(self._last_recv, self._last_ping)) + keepalive
                    timeout = max(0.0, min(due, self._last_recv + 1.5 * keepalive) - now)
                elif not self._acked:
                    if now - started > connect_timeout:
                        self._error = f"no CONNACK within {connect_timeout:g} s"
                        raise _End(None)
                    timeout = started + connect_timeout - now
                else:
                    timeout = 1.0
                if self._held or self._handed > self._settled:
                    timeout = min(timeout, HOLD)  # held PUBACKs go out within HOLD s
                readable = self._tls and sock.pending() > 0  # type: ignore[attr-defined]
                if readable:
                    timeout = 0.0
                for key, events in selector.select(timeout):
                    if key.fileobj is wake_r:
                        with contextlib.suppress(OSError):
                            wake_r.recv(4096)
                        continue
                    if events & selectors.EVENT_WRITE:
                        self._want_write = False
                    if events & selectors.EVENT_READ:
                        readable = True
                if self._held and not self._corked:
                    with self._wlock:  # the held packets go out with the flush below
                        self._held = 0
                if self._out or self._chunk is not None:
                    self._flush(sock)
                if readable and not self._disconnecting:
                    self._read(sock)

    def _drain_due(self) -> bool:
        """Whether a DISCONNECT still goes out (within DRAIN s of disconnect())."""
        return time.monotonic() - self._disconnecting < DRAIN

    def _drain(self, sock: _Socket, selector: selectors.BaseSelector) -> None:
        """DISCONNECT went out: drop what still comes until the broker closes (DRAIN s)."""
        if self._wake_r is not None:
            selector.unregister(self._wake_r)
        selector.modify(sock, selectors.EVENT_READ)  # nothing more to write
        while self._drain_due():
            selector.select(max(0.0, DRAIN - (time.monotonic() - self._disconnecting)))
            try:
                if not sock.recv(READ_SIZE):
                    return
            except (BlockingIOError, InterruptedError, ssl.SSLWantReadError):
                continue
            except ssl.SSLWantWriteError:
                return
            except OSError:
                return

    def _flush(self, sock: _Socket) -> None:
        """Send what waits in the out-buffer, as far as the socket takes it (I/O thread)."""
        if not self._tls:
            with self._wlock:
                out = self._out
                if not out:
                    return
                try:
                    sent = sock.send(out)
                except (BlockingIOError, InterruptedError):
                    return
                except OSError:
                    raise _End(None) from None
                del out[:sent]
                self._last_sent = time.monotonic()
            return
        for _ in range(64):
            chunk = self._chunk
            if chunk is None:
                with self._wlock:
                    if not self._out:
                        return
                    chunk = bytes(self._out[:TLS_CHUNK])
                    del self._out[:TLS_CHUNK]
                self._chunk = chunk
            try:
                sock.send(chunk)  # SSL writes all of it or raises (no partial writes)
            except (ssl.SSLWantWriteError, BlockingIOError, InterruptedError):
                return
            except ssl.SSLWantReadError:
                return
            except OSError as exc:
                self._note_error(exc)
                raise _End(None) from None
            self._chunk = None
            self._last_sent = time.monotonic()

    def _note_error(self, exc: BaseException) -> None:
        if not self._acked:
            self._error = str(exc) or type(exc).__name__

    def _read(self, sock: _Socket) -> None:
        """Read what came (TLS: up to 16 records) and take every complete packet in it."""
        for _ in range(16 if self._tls else 1):
            try:
                chunk = sock.recv(READ_SIZE)
            except (BlockingIOError, InterruptedError, ssl.SSLWantReadError):
                return
            except ssl.SSLWantWriteError:
                self._want_write = True
                return
            except OSError as exc:  # reset, TLS alert (a refused client certificate), ...
                self._note_error(exc)
                raise _End(None) from None
            if not chunk:
                if not self._acked and self._error is None:
                    self._error = "the broker closed the connection"
                raise _End(None)
            if _QUICKACK is not None:
                try:  # noqa: SIM105 - cheaper than contextlib.suppress, once per read
                    sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)
                except OSError:  # closed meanwhile: the next read says so
                    pass
            # The link lives while whole packets come, or a large one comes on at some pace (a
            # slow link: no PINGRESP can come in the middle of a PUBLISH); a peer that sends
            # a byte now and then (LIVE_BYTES per 1.5 x keep-alive, or less) does not keep it.
            self._trickled += len(chunk)
            if self._trickled >= LIVE_BYTES:
                self._trickled = 0
                self._last_recv = time.monotonic()
            if self._parts:
                self._parts.append(chunk)
                self._have += len(chunk)
                if self._have < self._need:
                    continue
                chunk = b"".join(self._parts)
                self._parts = []
            self._parsing = True
            try:
                used = self._parse(chunk)
            finally:
                self._parsing = False
            if used:  # a whole packet came: the link lives
                self._trickled = 0
                self._last_recv = time.monotonic()
            if used < len(chunk):
                self._parts = [chunk[used:]]
                self._have = len(chunk) - used
            if not self._tls or not sock.pending():  # type: ignore[attr-defined]
                return

    def _parse(self, data: bytes) -> int:
        """Take every complete packet in *data*; returns how many bytes they used, and leaves
        in ``_need`` how long the incomplete one after them is (at least)."""
        end = len(data)
        i = 0
        on_message = self._events.on_message
        v5 = self._v5
        while i + 2 <= end:
            first = data[i]
            size = data[i + 1]
            j = i + 2
            if size >= 0x80:
                size &= 0x7F
                shift = 7
                while True:
                    if j >= end:
                        self._need = end - i + 1
                        return i
                    byte = data[j]
                    j += 1
                    size |= (byte & 0x7F) << shift
                    if byte < 0x80:
                        break
                    shift += 7
                    if shift > 21:
                        raise _Malformed("remaining length longer than 4 bytes")
            stop = j + size
            if stop > end:
                self._need = stop - i
                return i
            kind = first >> 4
            if kind == 3:  # PUBLISH
                qos = (first >> 1) & 3
                if size < 2:
                    raise _Malformed("PUBLISH without a topic")
                k = j + 2 + ((data[j] << 8) | data[j + 1])
                if k + (2 if qos else 0) + v5 > stop:
                    raise _Malformed("PUBLISH topic longer than the packet")
                try:
                    topic = data[j + 2 : k].decode()
                except UnicodeDecodeError:
                    raise _Malformed("PUBLISH topic is not UTF-8") from None
                mid = 0
                if qos:
                    if qos > 1:
                        raise _Malformed(f"PUBLISH at QoS {qos}, subscribed at most at QoS 1")
                    mid = (data[k] << 8) | data[k + 1]
                    k += 2
                if v5:
                    if data[k]:
                        found, k = _properties(data, k, stop)
                        if _TOPIC_ALIAS in found:
                            raise _Malformed("PUBLISH with a topic alias (none was allowed)")
                    else:
                        k += 1
                if not topic or k > stop or (qos and not mid):
                    raise _Malformed("PUBLISH without a topic or packet id")
                if "\x00" in topic or "+" in topic or "#" in topic:  # MQTT-4.7.3-2, 3.3.2-2
                    raise _Malformed(f"PUBLISH topic {topic!r:.80} holds U+0000 or a wildcard")
                if not self._acked:
                    raise _Malformed("PUBLISH before CONNACK")
                if self._closing:
                    raise _End(None)
                if qos:
                    self._handed += 1  # before the hand-off: its ack may come at once
                on_message(BuiltinMessage(topic, data[k:stop], qos, bool(first & 1), mid, self))
            elif first == 0x40:  # PUBACK
                self._answer(data, j, size, rest=False)
            elif first == 0x90:  # SUBACK
                self._answer(data, j, size, rest=True)
            elif first == 0xB0:  # UNSUBACK
                self._answer(data, j, size, rest=v5)
            elif first == 0xD0:  # PINGRESP
                pass
            elif first == 0x20:  # CONNACK
                self._connack(data, j, stop)
            elif first == 0xE0:  # DISCONNECT
                raise _End(data[j] if v5 and size else None)
            else:
                raise _Malformed(f"packet type {kind} (flags 0x{first & 0x0F:X})")
            i = stop
        self._need = end - i + 1
        return i

    def _answer(self, data: bytes, j: int, size: int, rest: bool) -> None:
        """A PUBACK, SUBACK or UNSUBACK: report its reason code (the highest of a list)."""
        if size < 2 or not self._acked:
            raise _Malformed("an acknowledgement without a packet id, or before CONNACK")
        mid = (data[j] << 8) | data[j + 1]
        stop = j + size
        if rest:  # a list of codes, after MQTT 5's properties
            k = j + 2
            if self._v5:
                _, k = _properties(data, k, stop)
            if k >= stop:
                raise _Malformed("SUBACK or UNSUBACK without reason codes")
            code = max(data[k:stop])
        else:
            code = data[j + 2] if size > 2 else 0
        if mid not in self._mids:
            logger.debug("an answer to packet id %d, which awaits none; ignored", mid)
            return
        self._mids.discard(mid)
        self._events.on_ack(mid, code)

    def _connack(self, data: bytes, j: int, stop: int) -> None:
        if self._acked or stop - j < 2:
            raise _Malformed("a second CONNACK, or a short one")
        self._acked = True
        self._session_present = bool(data[j] & 1)
        code = data[j + 1]
        receive_max: int | None = None
        if self._v5 and stop > j + 2:
            found, _ = _properties(data, j + 2, stop)
            receive_max = found.get(_RECEIVE_MAXIMUM)
            if _SERVER_KEEP_ALIVE in found:  # the broker's keep-alive wins (MQTT 5, 3.2.2.3.14)
                self._keepalive = float(found[_SERVER_KEEP_ALIVE])
            if found.get(_MAXIMUM_PACKET_SIZE):  # larger packets: refused by publish()
                self._max_packet = found[_MAXIMUM_PACKET_SIZE]
        if code == 0:
            with self._wlock:
                self._up = not (self._closing or self._disconnecting)
                self._last_recv = time.monotonic()
        self._events.on_connack(code, receive_max)
        if code:
            raise _End(None)
