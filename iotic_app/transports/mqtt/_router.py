"""Which part an incoming message is for: a feed value, a reply, a claim, a meta, a request."""

from __future__ import annotations

import logging

from iotic_app.transports.mqtt._catalogue import Catalogue
from iotic_app.transports.mqtt._conn import Claim, Conn
from iotic_app.transports.mqtt._delivery import Deliverer
from iotic_app.transports.mqtt._directory import Directory
from iotic_app.transports.mqtt._engine import MQTTV5, Message
from iotic_app.transports.mqtt._kept import Followers, Kept
from iotic_app.transports.mqtt._names import Names
from iotic_app.transports.mqtt._recent import Recent
from iotic_app.transports.mqtt._requests import Requests
from iotic_app.transports.mqtt._session import Session

__all__ = ["Router"]

logger = logging.getLogger("iotic_app.mqtt")


class Router:
    """The ``on_message`` of the agent's connection: a value of a followed feed goes to the
    deliverer at once (the hot path); the rest to the part it is for, then acknowledged."""

    def __init__(
        self,
        names: Names,
        deliverer: Deliverer,
        requests: Requests,
        session: Session,
        catalogue: Catalogue,
        recent: Recent,
        kept: Kept,
        followers: Followers,
    ) -> None:
        """Route to these parts."""
        self._names = names
        self._levels = names.levels
        self._routes = deliverer.routes  # the same dict: one lookup per value
        self._on_feed = deliverer.on_feed
        self._deliverer = deliverer
        self._requests = requests
        self._session = session
        self._catalogue = catalogue
        self._recent = recent
        self._kept = kept
        self._followers = followers
        self.directory: Directory | None = None  # search's directories (set by the transport)

    def on_message(self, conn: Conn, msg: Message) -> None:
        """A message that came on *conn* (the engine's network thread)."""
        topic = msg.topic
        route = self._routes.get(topic)
        if route is not None and not msg.retain:
            self._on_feed(conn, route, msg)
            return
        names = self._names
        levels = topic.count("/") - self._levels
        if route is not None or (levels == 4 and topic.rsplit("/", 2)[-2] == "feed"):
            # A feed value is known by its topic, not by the retain flag: some brokers (aedes)
            # set it on values they kept for an offline session. Only a retained copy that a
            # subscription just made brought is not a new value: get_recent's, and on
            # MQTT 3.1.1 (which cannot ask for none) every follow's.
            v5 = names.settings.protocol == MQTTV5
            new = not msg.retain or (v5 and not self._recent.fetching(topic)) or conn.catch_up
            if new and (route is not None or msg.qos):  # QoS 0 unfollowed: get_recent's
                self._on_feed(conn, route, msg)
                return
        self._deliverer.arm_if_held()
        try:
            if topic == names.reply:
                self._requests.on_reply(bytes(msg.payload))
            elif topic == names.session:
                self._session.owner = Claim.parse(bytes(msg.payload)) if msg.payload else None
            elif self.directory is not None and topic.startswith(self.directory.prefix):
                self.directory.on_message(topic, bytes(msg.payload))
            elif topic.startswith(names.owners):  # before meta: an agent may be called 'meta'
                self._catalogue.on_member(topic, bytes(msg.payload))
            elif topic.startswith(self._catalogue.pointer_prefix):
                self._catalogue.on_pointer(topic, bytes(msg.payload))
            elif topic == self._catalogue.wire_topic:
                self._catalogue.on_wire(bytes(msg.payload))
            elif topic.startswith(self._followers.prefix):
                self._followers.on_record(topic, bytes(msg.payload))
            elif self._kept.is_record(topic, levels):
                self._kept.on_record(topic, bytes(msg.payload))
            elif levels == 3 and topic.endswith("/meta"):
                self._catalogue.on_meta(topic, bytes(msg.payload))
            elif levels == 2 and topic.endswith("/_status"):
                self._catalogue.on_status(topic, bytes(msg.payload))
            elif "/control/" in topic and topic.startswith(names.base + "/"):
                self._requests.on_request(topic, bytes(msg.payload))
            else:  # a retained copy a get_recent() asked for, or a newer one since
                self._recent.offer(topic, bytes(msg.payload))
        except Exception:
            logger.warning("skipped a bad message on %r: %.120r", topic, msg.payload, exc_info=True)
        if msg.qos:
            conn.engine.ack(msg)
