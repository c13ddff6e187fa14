"""Delivery of followed feeds' values: routes, held values, duplicates and gaps, ledger and acks."""

from __future__ import annotations

import binascii
import logging
import threading
import time

from iotic_app.transports._held import Held
from iotic_app.transports._protocol import Accepted, Sink
from iotic_app.transports.mqtt._conn import Conn
from iotic_app.transports.mqtt._engine import Message
from iotic_app.transports.mqtt._handles import Item, Route, Sub
from iotic_app.transports.mqtt._json import from_json
from iotic_app.transports.mqtt._link import Link
from iotic_app.transports.mqtt._names import Names
from iotic_app.transports.mqtt._payload import decode_sample, feed_stamp
from iotic_app.transports.mqtt._sender import Sender

__all__ = ["DUPLICATE_WINDOW", "HELD_FOR", "Deliverer"]

logger = logging.getLogger("iotic_app.mqtt")

#: How long values for a follow of an earlier run wait for this run to follow again (seconds).
HELD_FOR = 30.0
_HELD_LIMIT = 100_000
#: A value of the same sharer epoch is a duplicate when its seq is at most this far below the
#: last one delivered; further below, it starts the feed's sequence again (a forged or
#: out-of-range seq cannot silence a feed for longer than this many of the sharer's values).
DUPLICATE_WINDOW = 100_000


def _ledger_source(topic: str, epoch: str) -> str:
    """The ledger's name for one epoch of a feed (an epoch holds no ``@``)."""
    return f"{epoch}@{topic}"


class _Held:
    """Values of one topic that arrived for a follow this run has not made (acknowledged)."""

    __slots__ = ("items", "since")

    def __init__(self, since: float) -> None:
        self.since = since
        self.items: list[Item] = []


class Deliverer:
    """The followed topics (``routes``) and their values on the way to the follows: handed to
    the sink as they came, checked and deduplicated on the worker (``accept_feed``), then
    recorded in the ledger and acknowledged (``settle_feed``); the ``Feeds`` of the routes."""

    def __init__(
        self,
        names: Names,
        lock: threading.RLock,
        stopping: threading.Event,
        link: Link,
        sender: Sender,
    ) -> None:
        """Start with no follows.

        Args:
            names: The agent's names.
            lock: Guards the agent's things, follows and routes (shared with their parts).
            stopping: Set while the transport stops (no held values' timer then).
            link: The link in service (to unsubscribe released topics).
            sender: Its outbox holds the ledger.
        """
        self._agent_id = names.agent_id
        self._lock = lock
        self._stopping = stopping
        self._link = link
        self._sender = sender
        #: The sink values go to (set at start).
        self.sink: Sink | None = None
        #: The followed topics (the router reads it on the engine's thread).
        self.routes: dict[str, Route] = {}
        # the last value delivered, per feed and sharer epoch: (seq, n) (the worker)
        self._seen: dict[tuple[str, str], tuple[int, int | None]] = {}
        self._unrouted: dict[str, _Held] = {}  # values for follows of an earlier run
        self._unfollowed: set[str] = set()  # topics this run stopped following
        self._held_timer: threading.Timer | None = None
        self.held_for = HELD_FOR
        self.values_missed = 0  # values of followed feeds the broker never delivered
        self.values_released = 0  # values for follows of an earlier run, dropped

    # --- follows --------------------------------------------------------------------------

    def route(self, topic: str, group: str | None) -> tuple[Route, bool]:
        """The route of *topic*, and whether it is new (then not yet live, and holding what
        came for an earlier run's follow); under the lock."""
        with self._lock:
            route = self.routes.get(topic)
            if route is not None:
                return route, False
            route = Route(self, topic, group)
            earlier = self._unrouted.pop(topic, None)
            if earlier is not None:  # acknowledged already (see _hold)
                route.held = earlier.items
            self._unfollowed.discard(topic)
            self.routes[topic] = route
            return route, True

    def unroute(self, topic: str) -> None:
        """Forget a new route whose subscription failed."""
        with self._lock:
            self.routes.pop(topic, None)

    def go_live(self, route: Route) -> None:
        """Hand on what *route* held, before any newer value, and deliver as values come
        (under the lock: see ``on_feed``)."""
        with self._lock:
            held, route.held = route.held, []
            if held and self.sink is not None:
                for item in held:  # before any newer value (see on_feed)
                    self.sink.receive(route, item)
            route.live = True

    def drop_sub(self, sub: Sub, unsubscribe: bool = True) -> None:
        """End a follow or attach: its token leaves its routes (the one it follows, and those
        of a feed's earlier topics); a route's last one's route goes, and (with *unsubscribe*)
        its subscription on the broker."""
        gone: list[Route] = []
        with self._lock:
            sub.thing.subs.pop(sub.subid, None)
            for route in (sub.route, *sub.former):
                if route is None:
                    continue
                route.tokens = tuple(t for t in route.tokens if t is not sub.token)
                if route.tokens or not unsubscribe:
                    continue
                self.routes.pop(route.topic, None)
                self._unfollowed.add(route.topic)
                gone.append(route)
        conn = self._link.conn
        for route in gone:
            if conn is not None and conn.connected.is_set() and not conn.closed.is_set():
                self._link.unsubscribe(conn, route.filter)

    def filters(self, v5: bool, catch_up: bool = False) -> list[tuple[str, int, bool]]:
        """The followed topics' ``(filter, qos, retained)``, to subscribe to on connecting
        (*catch_up*: on a broker the agent moved to, with the retained copies)."""
        with self._lock:
            return [(route.filter, 1, catch_up or not v5) for route in self.routes.values()]

    def held(self) -> dict[str, int]:
        """How many values are held per topic for follows of an earlier run (for tests): for
        the kept follows that no token is bound to yet, and for subscriptions the broker has
        that no kept follow claims (released after ``held_for``)."""
        with self._lock:
            counts = {topic: len(held.items) for topic, held in self._unrouted.items()}
            for topic, route in self.routes.items():
                waiting = sum(
                    len(t) for t in route.tokens if isinstance(t, Held) and t.token is None
                )
                if waiting:
                    counts[topic] = counts.get(topic, 0) + waiting
            return counts

    # --- incoming (the engine's network thread) ------------------------------------------

    def on_feed(self, conn: Conn, route: Route | None, msg: Message) -> None:
        """A value of a followed feed (network thread): hand it to the worker as it came, for
        ``accept_feed`` and ``settle_feed``; the less done here, the sooner the worker,
        woken by the hand-off, gets to it."""
        item: Item = (msg.topic, msg.payload, conn, msg if msg.qos else None)
        sink = self.sink
        if route is not None and route.live and sink is not None:
            sink.receive(route, item)
            return
        with self._lock:  # rare: no follow (yet) for this topic; see Follows.subscribe()
            route = self.routes.get(msg.topic)
            if route is not None:
                if route.live and sink is not None:
                    sink.receive(route, item)
                else:  # the follow is being made: go_live() hands these on first
                    route.held.append(item)
                return
            if msg.topic in self._unfollowed:  # in flight when this run unfollowed it
                logger.debug("dropped a value of %r, which this run unfollowed", msg.topic)
                self.settle_feed(item, None)
                return
            self._hold(item)

    def arm_if_held(self) -> None:
        """Start the release timer when values are held and it does not run."""
        if self._unrouted and self._held_timer is None:
            self._arm_held()

    def _hold(self, item: Item) -> None:
        """Keep a value for a follow an earlier run made and this one has not (yet): the
        broker still has the subscription. Acknowledged at once, so that it never holds up
        other follows, and kept up to ``held_for`` seconds for a follow (under the lock)."""
        topic = item[0]
        self.settle_feed(item, None)  # the acknowledgement
        held = self._unrouted.get(topic)
        if held is None:
            held = self._unrouted[topic] = _Held(time.monotonic())
        if len(held.items) < _HELD_LIMIT:
            held.items.append((topic, item[1], item[2], None))
        else:
            self.values_released += 1
            logger.warning(
                "agent %r: holding %d values of %r for a follow of an earlier run; dropped one",
                self._agent_id,
                _HELD_LIMIT,
                topic,
            )
        if self._held_timer is None:
            self._arm_held()

    def _arm_held(self) -> None:
        """Start the timer that releases held values (when none runs)."""
        with self._lock:
            if self._held_timer is not None or not self._unrouted or self._stopping.is_set():
                return
            since = min(held.since for held in self._unrouted.values())
            wait = max(0.0, since + self.held_for - time.monotonic())
            timer = threading.Timer(wait, self._release_held)
            timer.name = f"iotic_app-mqtt-held-{self._agent_id}"
            timer.daemon = True
            self._held_timer = timer
        timer.start()

    def disarm_held(self) -> None:
        """Stop the release timer (at stop; held values stay for the next start)."""
        with self._lock:
            timer, self._held_timer = self._held_timer, None
        if timer is not None:
            timer.cancel()
            if timer is not threading.current_thread():
                timer.join(1.0)

    def _release_held(self) -> None:
        """Drop held values that no follow claimed within ``held_for`` seconds, log how many,
        and remove the earlier run's subscription from the broker (the timer's thread)."""
        now = time.monotonic()
        with self._lock:
            if self._held_timer is not threading.current_thread():
                return  # disarmed meanwhile
            self._held_timer = None
            expired = [t for t, h in self._unrouted.items() if now - h.since >= self.held_for]
            released = [(topic, len(self._unrouted.pop(topic).items)) for topic in expired]
        for topic, count in released:
            logger.warning(
                "agent %r: released %d value(s) of %r: they came for a follow that an earlier "
                "run made and this run did not make within %g s (they are dropped, and the "
                "subscription is removed from the broker)",
                self._agent_id,
                count,
                topic,
                self.held_for,
            )
            conn = self._link.conn
            if conn is not None and conn.ready.is_set() and not conn.closed.is_set():
                try:
                    self._link.unsubscribe(conn, topic)
                except Exception:  # the link went down: the next value is held again
                    logger.debug("could not unsubscribe from %r", topic, exc_info=True)
            self.values_released += count  # counted once the release is done, unsubscribe too
        self._arm_held()

    # --- on the client's worker (the routes' Feeds) -----------------------------------------

    def accept_feed(self, route: Route, item: Item) -> Accepted | None:
        """Decode a value, check it and drop it if it is a duplicate (the client's worker;
        no user code). Returns the follows to deliver it to, the sample and the ledger's note,
        or None (then ``settle_feed`` only acknowledges it)."""
        topic, raw, _, _ = item
        if not raw:  # the sharer cleared the feed's retained value (its feed or thing went)
            return None
        try:
            payload = from_json(raw)
            sample = decode_sample(payload)
            stamp = feed_stamp(payload)
        except (ValueError, TypeError, binascii.Error) as exc:
            logger.warning(
                "skipped a value on %r that is not an iotic_app feed payload (%s): %.120r",
                topic,
                exc,
                bytes(raw),
            )
            return None
        if stamp is None or not topic.isprintable():
            # a foreign publisher's value: nothing to deduplicate by (nor a topic that the
            # ledger's one-line records cannot hold)
            return route.tokens, sample, None
        epoch, seq, number = stamp
        # Each of a feed's epochs (one per sharer outbox) is checked on its own: a broker
        # restored from an older snapshot may resend an earlier outbox's value between the
        # current one's, which must neither pass as new nor turn the current checks off.
        key = (topic, epoch)
        last = self._seen.get(key)
        if last is None:
            outbox = self._sender.outbox
            known = outbox.last_seen(_ledger_source(topic, epoch))
            if known is None:  # the ledger of a version that kept one epoch per feed
                known = outbox.last_seen(topic)
                known = known if known is not None and known[0] == epoch else None
            last = None if known is None else (known[1], None)
        if last is not None:
            if last[0] - DUPLICATE_WINDOW < seq <= last[0]:
                return None  # a redelivered duplicate
            if seq <= last[0]:
                logger.warning(
                    "feed %r: seq %d is far below the last one delivered (%d): taken as the "
                    "start of a new sequence (a forged value, or a sharer whose outbox was reset)",
                    topic,
                    seq,
                    last[0],
                )
            elif number is not None and last[1] is not None and number > last[1] + 1:
                self._missed(route, topic, number - last[1] - 1)
        self._seen[key] = (seq, number)
        return route.tokens, sample, (epoch, seq)

    def _missed(self, route: Route, topic: str, count: int) -> None:
        """A gap in a feed's value numbers: values the broker never delivered."""
        if route.group is not None:  # a group's followers split the values: gaps are normal
            return
        self.values_missed += count
        logger.warning(
            "agent %r: %d value(s) of %r never arrived (the broker dropped them; Mosquitto "
            "keeps at most max_queued_messages, default 1,000, for a follower that falls "
            "behind or is offline): %d missed in all",
            self._agent_id,
            count,
            topic,
            self.values_missed,
        )

    def settle_feed(self, item: Item, note: tuple[str, int] | None) -> None:
        """Record a delivered value in the ledger (*note*: its epoch and seq), then
        acknowledge it on the connection it came in on, whatever its callbacks did."""
        topic, _, conn, msg = item
        try:
            if note is not None:
                epoch, seq = note  # in the ledger before the ack: see the package design note
                self._sender.outbox.mark_seen(_ledger_source(topic, epoch), epoch, seq)
        finally:
            if msg is not None and not conn.closed.is_set():
                conn.engine.ack(msg)
