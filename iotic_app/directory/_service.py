"""The directory on the broker: follows all metadata into its index and answers searches."""

# Design note
# -----------
# Two paho connections (``new_paho``: the project's settings, TLS, user and password). The
# metadata one, client id NAME, has a persistent session (MQTT 5 clean start off and a session
# expiry; 3.1.1 clean session off) and the presence's will. The requests' one, NAME~requests
# (``~`` is in no agent name), has none (MQTT 5 clean start, session expiry 0; 3.1.1 clean
# session): a directory gone leaves no member of the shared request subscription behind, to
# which the broker would keep sending every other request. Losing either is losing the service
# (``lost``: the App connects both again). When they come up (``start``): the presence is
# cleared (a broker restarted with its persistence brings back "online"), every indexed
# document is marked unseen, ``ROOT/+/_status`` (the agents) and ``ROOT/_owner/+/+`` are
# subscribed, then each agent's ``ROOT/AGENT/+/meta`` a batch of agents at a time
# (``_batches.py``), each batch followed by a marker on the directory's own topic
# (``ROOT/_directory/NAME/sync``); when the last comes back everything retained has come, so
# what was not seen is dropped (deleted while the directory was away), the requests'
# connection subscribes ``ROOT/_directory/+/search`` (shared among directories on MQTT 5), and
# the directory says it is online (a retained ``ROOT/_directory/NAME/online``, cleared by its
# will and at shutdown). paho's threads only queue what comes; the worker thread indexes it and
# answers requests, in order: the asker is AGENT (the topic its ACL lets it write), its owner
# the one its request names when the broker retains that membership, else AGENT itself; the
# reply goes (on the requests' connection) to ``ROOT/_directory/CLIENT/reply``, CLIENT the
# client id the request names, which must be AGENT's (``AGENT`` or ``AGENT~...``). Anything
# read from the broker is checked; bad input is logged and skipped, a bad query answered with
# an error.

from __future__ import annotations

import logging
import queue
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable
from urllib.parse import unquote

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from iotic_app.directory._batches import Batches
from iotic_app.directory._index import Index
from iotic_app.exceptions import LinkException, SessionTakenOver
from iotic_app.transports.mqtt._conn import SECOND
from iotic_app.transports.mqtt._dirwire import (
    QOS,
    SHARE_GROUP,
    VERSION,
    Topics,
    client_of_agent,
    parse_request,
    reply_body,
)
from iotic_app.transports.mqtt._json import to_json
from iotic_app.transports.mqtt._paho_engine import close_side, close_sockets_of, new_paho
from iotic_app.transports.mqtt._settings import MqttSettings
from iotic_app.transports.mqtt._thingdoc import seg

__all__ = ["SESSION_EXPIRY", "DirectoryService"]

logger = logging.getLogger("iotic_app.mqtt")

SESSION_EXPIRY = 24 * 3600
_CONNECTED = "\x00connected"  # worker items that are no topic
_TICK = "\x00tick"
_AGENT_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


class DirectoryService:
    """A directory's connection to the broker and its index (``start()``/``stop()``: the
    client of the directory's App)."""

    def __init__(self, settings: MqttSettings, db: str) -> None:
        """Open the index at *db*; connect nothing until :meth:`start`.

        Args:
            settings: The broker and credentials; the client id is the directory's NAME.
            db: The sqlite file (``:memory:`` for none).
        """
        self.settings = settings
        self.name = settings.client_id
        self.root = settings.root
        self.topics = Topics(self.root)
        self.index = Index(db, self.root)
        self._v5 = settings.protocol == mqtt.MQTTv5
        self._presence = self.topics.online(self.name)
        self._sync_topic = self.topics.sync(self.name)
        self._marker = ""
        self._lock = threading.Lock()
        self._paho: mqtt.Client | None = None  # metadata: a persistent session, the will
        self._req: mqtt.Client | None = None  # requests and replies: no session
        self._acks: dict[tuple[int, int], int] = {}  # (id of the connection, mid) -> code
        self._cond = threading.Condition()
        self.lost = threading.Event()  # the connection in service went down
        self.synced = threading.Event()  # the resync of the connection in service is done
        self.answered = 0  # requests answered (for tests and diagnostics)
        self.taken_over = False  # another process with this name took the session
        self._instance = uuid.uuid4().hex  # this process's claim on the name
        self._claim = self.topics.claim(self.name)
        self._claimed = False
        # What paho's thread received, for the worker: paho reads as fast as the broker sends
        # (a stock Mosquitto drops what a slow subscriber's queue of 1,000 cannot hold).
        self._inbox: queue.SimpleQueue[tuple[mqtt.Client, str, bytes] | None] = queue.SimpleQueue()
        self._worker: threading.Thread | None = None
        self._batches = Batches()  # the rest of the resync's state is the worker's own
        self._phase = "live"
        self._batch: list[str] = []
        self._docs = 0
        self._sent = 0.0
        # Search requests wait for a marker sent on the metadata connection after they came:
        # the broker queued every document an asker had acknowledged before its request to the
        # metadata connection, so once the marker is back the index has them (the two
        # connections have no order between them). One marker for all that came meanwhile.
        self._asked: list[tuple[mqtt.Client, str, bytes]] = []  # waiting for _ask_marker
        self._asking: list[tuple[mqtt.Client, str, bytes]] = []  # came after it was sent
        self._ask_marker: str | None = None
        self._ask_sent = 0.0
        self._tried = False  # start() made a connection before (then a failure moves on)

    def __repr__(self) -> str:
        s = self.settings
        return f"DirectoryService({s.listed}, name={self.name!r})"

    # -- the connection -----------------------------------------------------------------------

    def start(self) -> None:
        """Connect (if not connected), subscribe, and start the resync.

        Raises:
            LinkException: the broker cannot be reached or refused the directory.
        """
        with self._lock:
            if self._paho is not None and self._req is not None and not self.lost.is_set():
                return
            if self._tried:  # the last connection failed or was lost: the next broker's turn
                self._next_broker()
            self._tried = True
            self._close()
            self.lost.clear()
            self.synced.clear()
            if self._worker is None:
                self._worker = threading.Thread(
                    target=self._work, name=f"iotic_app-directory-{self.name}", daemon=True
                )
                self._worker.start()
            self._paho = paho = self._open(self.name, persistent=True)
            # not online until serving: a presence the broker kept (restarted with its
            # persistence while this directory resynced) would send searches nobody answers
            info = paho.publish(self._presence, None, qos=1, retain=True)
            if self._result(paho, info.mid) is None:
                self._close()
                raise LinkException(f"directory {self.name!r}: clearing its presence failed")
            self._req = self._open(self.name + SECOND + "requests", persistent=False)
            self.index.begin_resync()
            marker = uuid.uuid4().hex
            self._inbox.put((paho, _CONNECTED, marker.encode()))  # before what it brings
            if not self._claimed:  # the first connection claims the name (a retained claim)
                info = paho.publish(self._claim, self._instance.encode(), qos=1, retain=True)
                if self._result(paho, info.mid) is None:
                    self._close()
                    raise LinkException(f"directory {self.name!r}: claiming its name failed")
                self._claimed = True
            filters = [
                (self._claim, 0),  # a newer claim: another process of this name took over
                (f"{self.root}/+/_status", 0),  # which agents there are: their things next
                (f"{self.root}/_owner/+/+", 0),
                (self._sync_topic, 0),
            ]
            # requests come on the second connection, which has no session: a subscription
            # the persistent session kept (an earlier version took requests on it) goes
            paho.unsubscribe(
                [
                    self.topics.requests_filter(self._v5),
                    f"$share/{SHARE_GROUP}/{self.root}/_directory/search/+",
                    f"{self.root}/_directory/search/+",
                ]
            )
            if self._v5:  # every change at once, without the retained flood (the batches')
                options = [(t, SubscribeOptions(qos=q)) for t, q in filters]
                options.append((f"{self.root}/+/+/meta", SubscribeOptions(qos=0, retainHandling=2)))
                rc, mid = paho.subscribe(options)
            else:
                rc, mid = paho.subscribe(filters)
            if rc != mqtt.MQTT_ERR_SUCCESS or mid is None or self._result(paho, mid) is None:
                self._close()
                raise LinkException(f"directory {self.name!r}: subscribing failed")
            paho.publish(self._sync_topic, marker.encode(), qos=0)

    def _next_broker(self) -> None:
        """Move on to the next broker of the list (nothing when there is one)."""
        s = self.settings
        if len(s.addresses) > 1:
            self.settings = s.next_broker()
            logger.warning(
                "directory %r: broker %s failed or was lost; trying the next broker, %s",
                self.name,
                s.where,
                self.settings.where,
            )

    def _open(self, client_id: str, *, persistent: bool) -> mqtt.Client:
        """A connection as *client_id*, connected and looping: the metadata one *persistent*
        (its session and subscriptions kept; the presence's will), the requests' one with no
        session (a directory gone leaves no member of the shared subscription behind)."""
        paho = new_paho(self.settings, client_id, None, persistent=persistent)
        if persistent:
            paho.will_set(self._presence, None, qos=1, retain=True)
        connack = threading.Event()
        codes: list[int] = []

        def on_connect(c: object, u: object, f: object, rc: ReasonCode, p: object) -> None:
            codes.append(rc.value)
            connack.set()

        paho.on_connect = on_connect

        def on_disconnect(c: object, u: object, f: object, rc: object, p: object) -> None:
            self.lost.set()  # either connection: the service is lost (serve() says so)
            connack.set()
            main = self._paho
            if not persistent and main is not None and not self.taken_over:
                # no requests taken until both are back: say so at once, so that agents do
                # not send searches nobody receives (the metadata connection may still be up)
                main.publish(self._presence, None, qos=1, retain=True)

        paho.on_disconnect = on_disconnect
        paho.on_message = self._on_message
        paho.on_publish = lambda c, u, mid, rc, p: self._acked(c, mid, rc.value)
        paho.on_subscribe = lambda c, u, mid, rcs, p: self._acked(c, mid, max(r.value for r in rcs))
        s = self.settings
        where = s.where
        try:
            if self._v5 and persistent:
                props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
                props.SessionExpiryInterval = SESSION_EXPIRY
                paho.connect(s.host, s.port, s.keepalive, clean_start=False, properties=props)
            elif self._v5:  # a clean start, session expiry 0: the session ends with the link
                paho.connect(s.host, s.port, s.keepalive, clean_start=True)
            else:
                paho.connect(s.host, s.port, s.keepalive)
        except OSError as exc:
            close_sockets_of(exc)
            raise LinkException(
                f"directory {self.name!r}: cannot connect to the MQTT broker at {where}: {exc}"
            ) from None
        sock = paho.socket()
        if isinstance(sock, socket.socket):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        paho.loop_start()
        if not connack.wait(s.connect_timeout) or not codes or codes[0] != 0:
            close_side(paho)
            self._close()
            reason = f"refused it ({codes[0]:#x})" if codes else "did not answer"
            raise LinkException(f"directory {self.name!r}: the MQTT broker at {where} {reason}")
        return paho

    # paho numbers the packets of each connection from 1: acknowledgements are the connection's
    def _acked(self, client: object, mid: int, code: int) -> None:
        with self._cond:
            self._acks[(id(client), mid)] = code
            self._cond.notify_all()

    def _result(self, client: mqtt.Client, mid: int, timeout: float | None = None) -> int | None:
        wait = self.settings.connect_timeout if timeout is None else timeout
        key = (id(client), mid)
        with self._cond:
            self._cond.wait_for(lambda: key in self._acks or self.lost.is_set(), wait)
            code = self._acks.pop(key, None)
        if code is not None and code >= 0x80:
            raise LinkException(
                f"directory {self.name!r}: the broker refused a request (reason code "
                f"{code:#x}); see the broker's ACL (docs/mosquitto-acl.conf)"
            )
        return code

    def stop(self) -> None:
        """Say the directory is gone, disconnect and close the index (safe to call again)."""
        with self._lock:
            paho = self._paho
            if (
                paho is not None
                and paho.is_connected()
                and not self.lost.is_set()
                and (
                    not self.taken_over  # the presence is the new process's now
                )
            ):
                info = paho.publish(self._presence, None, qos=1, retain=True)
                self._result(paho, info.mid, 2.0)
            self._close()
            self.index.commit()

    def close(self) -> None:
        """Stop, end the worker and close the index for good."""
        self.stop()
        worker, self._worker = self._worker, None
        if worker is not None:
            self._inbox.put(None)
            worker.join()
        self.index.close()

    def _close(self) -> None:
        """Close both connections (the requests' first: no request taken while it goes)."""
        req, self._req = self._req, None
        paho, self._paho = self._paho, None
        for conn in (req, paho):
            if conn is not None:
                close_side(conn)
        with self._cond:
            self._acks.clear()
        self.lost.set()

    def serve(self, stopping: Callable[[float], bool]) -> None:
        """Run until *stopping(timeout)* says so, committing the index every second.

        Raises:
            LinkException: the connection went down (the App retries: start() reconnects).
            SessionTakenOver: another directory of the same name connected (not retried).
        """
        self.start()
        while not stopping(1.0):
            self.index.commit()
            paho = self._paho
            if paho is not None:
                self._inbox.put((paho, _TICK, b""))
            if self.taken_over:
                raise SessionTakenOver(
                    f"directory {self.name!r}: another directory connected with the same name "
                    "(client id) and claimed it; this one stops. Give each directory its own "
                    "name: agent=NAME in --config"
                )
            if self.lost.is_set():
                raise LinkException(f"directory {self.name!r}: lost the link to the MQTT broker")

    def wait_synced(self, timeout: float) -> bool:
        """Wait until the resync is done and the directory said it is online."""
        return self.synced.wait(timeout)

    # -- messages (paho's network thread) -----------------------------------------------------

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        self._inbox.put((client, msg.topic, bytes(msg.payload)))
        if msg.qos:
            client.ack(msg.mid, msg.qos)

    def _work(self) -> None:
        """Index what came and answer requests, in the order they came (the worker thread)."""
        while True:
            item = self._inbox.get()
            if item is None:
                return
            self._handle(*item)

    def _handle(self, client: mqtt.Client, topic: str, raw: bytes) -> None:
        try:
            if client is self._req and self.topics.middle(topic, "search") is not None:
                self._hold_request(client, topic, raw)
            elif topic.startswith(self.index.owners):
                self.index.on_member(topic, raw)
            elif topic == self._claim:
                if raw and raw.decode(errors="replace") != self._instance:
                    self.taken_over = True
                    self.lost.set()
            elif topic == self._sync_topic:
                marker = raw.decode(errors="replace")
                if marker == self._marker:
                    self._batch_done(client)
                elif marker == self._ask_marker:
                    self._answer_held(client)
            elif topic.endswith("/meta"):
                self._docs += 1
                self.index.on_meta(topic, raw)
            elif topic.endswith("/_status"):
                self._on_status(client, topic)
            elif topic == _CONNECTED:
                self._connected(raw.decode())
            elif topic == _TICK:
                self._tick(client)
        except Exception:
            logger.warning("skipped a bad message on %r: %.120r", topic, raw, exc_info=True)

    # The resync, step by step on the worker (each step ends with a marker that comes back
    # after what the step's subscription brought): the agents (their retained status), then
    # their things a batch of agents at a time (``_batches.py``: a broker sends a subscription's
    # retained messages at once and drops what does not fit), then what was not seen goes.
    # Agents that come later are subscribed the same way.

    def _connected(self, marker: str) -> None:
        self._batches.reset(self.index.docs_per_agent())
        self._marker = marker
        self._phase = "agents"
        self._batch = []
        self._sent = time.monotonic()

    def _on_status(self, client: mqtt.Client, topic: str) -> None:
        parts = topic[len(self.root) + 1 :].split("/")
        if len(parts) != 2 or not _AGENT_RE.fullmatch(parts[0]):
            return
        if self._batches.add(parts[0]) and self._phase == "live" and not self._batch:
            self._send_batch(client)

    def _batch_done(self, client: mqtt.Client) -> None:
        if self._phase == "agents":
            self._phase = "things"
        elif self._batch:
            self._batches.done(self._batch, self._docs)
            if self._v5:  # its retained copies came; changes come on ROOT/+/+/meta
                client.unsubscribe([f"{self.root}/{agent}/+/meta" for agent in self._batch])
        self._batch = []
        self._send_batch(client)

    def _send_batch(self, client: mqtt.Client) -> None:
        batch = self._batches.next()
        if not batch:
            if self._phase == "things":
                self._phase = "live"
                self._synced(client)
            return
        self._batch, self._docs = batch, 0
        filters = [(f"{self.root}/{agent}/+/meta", 0) for agent in batch]
        if self._v5:
            client.subscribe([(t, SubscribeOptions(qos=q)) for t, q in filters])
        else:
            client.subscribe(filters)
        self._marker = uuid.uuid4().hex
        self._sent = time.monotonic()
        client.publish(self._sync_topic, self._marker.encode(), qos=0)

    def _tick(self, client: mqtt.Client) -> None:
        """Once a second: a marker lost (a broker that dropped it) is sent again."""
        if (self._batch or self._phase != "live") and time.monotonic() - self._sent > 5:
            self._sent = time.monotonic()
            client.publish(self._sync_topic, self._marker.encode(), qos=0)
        if self._ask_marker is not None and time.monotonic() - self._ask_sent > 1:
            self._send_ask_marker(client)

    def _hold_request(self, req: mqtt.Client, topic: str, raw: bytes) -> None:
        """A search request: answered once the metadata connection's marker is back."""
        if self._ask_marker is None:
            self._asked.append((req, topic, raw))
            meta = self._paho
            if meta is None:  # going down: answer from the index as it is
                self._answer_held(None)
                return
            self._send_ask_marker(meta)
        else:
            self._asking.append((req, topic, raw))

    def _send_ask_marker(self, meta: mqtt.Client) -> None:
        self._ask_marker = self._ask_marker or f"ask-{uuid.uuid4().hex}"
        self._ask_sent = time.monotonic()
        meta.publish(self._sync_topic, self._ask_marker.encode(), qos=0)

    def _answer_held(self, meta: mqtt.Client | None) -> None:
        """The marker came back: answer the requests it waited for; the next wait begins."""
        held, self._asked = self._asked, []
        self._ask_marker = None
        for req, topic, raw in held:
            self._on_request(req, topic, raw)
        if self._asking:
            self._asked, self._asking = self._asking, []
            if meta is None:
                self._answer_held(None)
            else:
                self._send_ask_marker(meta)

    def _synced(self, client: mqtt.Client) -> None:
        started = time.monotonic()
        docs, members = self.index.end_resync()
        logger.info(
            "directory %r: resynced (%d things; dropped %d documents and %d memberships "
            "no longer retained, in %.3f s)",
            self.name,
            self.index.count(),
            docs,
            members,
            time.monotonic() - started,
        )
        req = self._req
        if req is None or client is not self._paho:
            return  # a connection gone meanwhile: the next resyncs
        requests = self.topics.requests_filter(self._v5)
        if self._v5:
            rc, mid = req.subscribe(requests, options=SubscribeOptions(qos=QOS))
        else:
            rc, mid = req.subscribe(requests, QOS)
        if rc != mqtt.MQTT_ERR_SUCCESS or mid is None or self._result(req, mid) is None:
            return  # the link went down: the next connection resyncs
        body = to_json({"v": VERSION, "name": self.name})  # online once it takes requests
        client.publish(self._presence, body, qos=1, retain=True)
        self.synced.set()

    def _on_request(self, client: mqtt.Client, topic: str, raw: bytes) -> None:
        level = self.topics.middle(topic, "search") or ""
        agent = unquote(level)
        if not _AGENT_RE.fullmatch(agent) or seg(agent) != level:
            logger.warning("ignored a search request on %r: not an agent's topic", topic)
            return
        try:
            request = parse_request(raw)
        except ValueError as exc:
            logger.warning("ignored a search request from agent %r: %s", agent, exc)
            return
        if not client_of_agent(agent, request.client):
            logger.warning(
                "refused a search request from agent %r: its reply would go to client %r, "
                "which is not one of its own (AGENT or AGENT~N)",
                agent,
                request.client,
            )
            return
        if request.query is None:
            body = reply_body(request.rid, error=request.error)
        else:
            try:
                result = self.index.search(self._owner(agent, request.owner), request.query)
                body = reply_body(request.rid, result)
            except Exception as exc:  # a bug: answered, so the asker does not wait in vain
                logger.exception("directory %r: a search failed", self.name)
                body = reply_body(request.rid, error=f"the directory failed: {exc!r:.200}")
        client.publish(self.topics.reply(request.client), body, qos=QOS)
        self.answered += 1

    def _owner(self, agent: str, claimed: str | None) -> str:
        """The owner *agent* searches as: the one it says (its configured owner) when the
        broker retains that membership, else itself (never another owner it once had)."""
        if claimed is not None and claimed != agent and self.index.is_member(claimed, agent):
            return claimed
        return agent
