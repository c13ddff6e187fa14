"""A feed's latest values, read from the broker's retained copies (``get_recent``)."""

from __future__ import annotations

import binascii
import logging
import uuid

from iotic_app.transports._protocol import FEED, Sample
from iotic_app.transports.mqtt._catalogue import Catalogue
from iotic_app.transports.mqtt._conn import Conn
from iotic_app.transports.mqtt._json import from_json
from iotic_app.transports.mqtt._link import Link
from iotic_app.transports.mqtt._payload import decode_sample
from iotic_app.transports.mqtt._thingdoc import seg
from iotic_app.transports.mqtt._things import Things

__all__ = ["Recent"]

logger = logging.getLogger("iotic_app.mqtt")


class Recent:
    """Fetches of feeds' retained copies: each call subscribes, syncs and unsubscribes, and
    counts the copies that came before its sync marker (any number of calls at once)."""

    def __init__(self, link: Link, things: Things, catalogue: Catalogue) -> None:
        """Start with no fetch under way."""
        self._link = link
        self._things = things
        self._catalogue = catalogue
        # a get_recent() call's id -> (the feed's topic, the retained copies that came): one
        # entry per call, so that any number of threads may fetch the same feed at once
        self._fetches: dict[str, tuple[str, dict[str, bytes]]] = {}

    def fetching(self, topic: str) -> bool:
        """Whether a get_recent of *topic*'s feed is under way (its subscription brings the
        retained last value)."""
        return any(topic == feed for feed, _ in list(self._fetches.values()))

    def offer(self, topic: str, payload: bytes) -> None:
        """A retained copy a fetch asked for, or a newer one since (the engine's network thread)."""
        for feed, found in list(self._fetches.values()):
            if topic in (feed, feed + "/recent"):
                found[topic] = payload

    def recent(self, guid: str, count: int) -> list[Sample]:
        """Return up to *count* latest samples of a feed (from the broker's retained copies)."""
        conn = self._link.require()
        own = self._things.own_point(guid)
        if own is not None:
            topic = own.topic
        else:
            doc, point = self._catalogue.find(guid, FEED)
            topic = f"{doc.base}/feed/{seg(str(point['pid']))}"
        found = self._fetch_retained(conn, topic)
        samples: list[Sample] = []
        raw_list = found.get(topic + "/recent")
        if raw_list:
            samples = self._recent_samples(topic, raw_list)
        elif found.get(topic):
            samples = self._recent_samples(topic, b"[" + found[topic] + b"]")
        return samples[-count:]

    def _fetch_retained(self, conn: Conn, topic: str) -> dict[str, bytes]:
        """Return the retained messages on *topic* and *topic*/recent (or newer ones that came
        before the sync marker), fetched for this call alone: a subscription, a sync, an
        unsubscription; see ``Router.on_message``."""
        call = uuid.uuid4().hex
        found: dict[str, bytes] = {}
        self._fetches[call] = (topic, found)
        # and the recent list by name: brokers that send retained copies to exact
        # subscriptions only (RabbitMQ before 3.13) send that one (not *topic*'s: its exact
        # filter may be a follow's, which unsubscribing would end)
        filters = [topic + "/#", topic + "/recent"]
        try:
            for mid, what in self._link.subscribe_async(conn, [(f, 0, True) for f in filters]):
                self._link.check(conn, mid, what)
            self._link.sync(conn)
            # another call's subscription to the same filters may outlive this one: harmless,
            # each call counts only the retained copies sent before its own sync marker
            done = conn.engine.unsubscribe(filters)
            if done is not None:
                self._link.check(conn, done, f"unsubscribe from {filters!r}")
        finally:
            self._fetches.pop(call, None)
        return found

    def _recent_samples(self, topic: str, raw: bytes) -> list[Sample]:
        """The samples in a retained ``recent`` list; what is not a valid one is logged and
        skipped."""
        try:
            items = from_json(raw)
            if not isinstance(items, list):
                raise ValueError("not a JSON list")
        except ValueError as exc:
            logger.warning("skipped the recent values of %r (%s): %.120r", topic, exc, raw)
            return []
        samples: list[Sample] = []
        for item in items:
            try:
                samples.append(decode_sample(item))
            except (ValueError, TypeError, binascii.Error) as exc:
                logger.warning("skipped a recent value of %r (%s): %.120r", topic, exc, item)
        return samples
