"""Search through a directory: requests sent, replies waited for, directories known online."""

# Design note
# -----------
# Search over the whole space is answered by a directory process next to the broker
# (``iotic-app directory``, ``iotic_app/directory/``). When a connection comes up the transport
# subscribes this client's reply topic ``ROOT/_directory/CLIENT/reply`` and the directories'
# retained presence ``ROOT/_directory/NAME/online`` (``filters``), before its sync: once the link
# is in service, ``online`` says whether any directory runs. ``search`` publishes a request on
# ``ROOT/_directory/AGENT/search`` (the topic only this agent may write: the directory takes the
# asker's identity from it) and waits for the reply with its request id. The protocol is in
# ``_dirwire.py`` and docs/mqtt.md, "Directory".

from __future__ import annotations

import logging
import threading
import uuid
from typing import Any
from urllib.parse import quote, unquote

from iotic_app.exceptions import DirectoryUnavailable, IOTException, IOTSyncTimeout, LinkException
from iotic_app.transports._protocol import Query
from iotic_app.transports.mqtt._dirwire import QOS, Topics, parse_reply, request_body
from iotic_app.transports.mqtt._engine import MQTTV5
from iotic_app.transports.mqtt._json import from_json
from iotic_app.transports.mqtt._link import SYNC_TIMEOUT, Link
from iotic_app.transports.mqtt._names import Names
from iotic_app.transports.mqtt._settings import DEFAULT_ROOT, MqttSettings

__all__ = ["Directory"]

logger = logging.getLogger("iotic_app.mqtt")


class _Wait:
    __slots__ = ("error", "event", "result")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.result: Any = None
        self.error: str | None = None


class Directory:
    """The directories of the broker, as one client sees them, and its searches through them."""

    def __init__(self, names: Names, link: Link) -> None:
        """Know no directory until a connection comes up."""
        self._names = names
        self._link = link
        self.topics = Topics(names.root)
        self.prefix = f"{names.root}/_directory/"
        self._online: set[str] = set()  # names of the directories whose presence is retained
        self._waits: dict[str, _Wait] = {}  # request id -> its wait

    @property
    def reply(self) -> str:
        """This client's reply topic (the client id is known once started)."""
        return self.topics.reply(self._names.settings.client_id)

    def filters(self) -> list[tuple[str, int, bool]]:
        """A connection comes up: forget the directories known (their presence comes again)
        and return the ``(topic, qos, retained)`` filters to subscribe before the sync."""
        self._online.clear()
        return [(self.reply, QOS, False), (self.topics.online_filter, 0, True)]

    def online(self) -> bool:
        """Whether a directory's presence is retained on the broker."""
        return bool(self._online)

    def on_message(self, topic: str, raw: bytes) -> None:
        """A message under ``ROOT/_directory/`` (the network thread)."""
        if topic == self.reply:
            self.on_reply(raw)
        elif self.topics.middle(topic, "online") is not None:
            self.on_online(topic, raw)

    def on_online(self, topic: str, raw: bytes) -> None:
        """A directory's retained presence; empty: it stopped."""
        name = unquote(self.topics.middle(topic, "online") or "")
        if not raw:
            self._online.discard(name)
            return
        try:
            data = from_json(raw)
        except ValueError:
            data = None
        if not isinstance(data, dict) or "v" not in data:
            logger.warning("ignored the directory presence on %r: %.80r", topic, raw)
            return
        self._online.add(name)

    def on_reply(self, raw: bytes) -> None:
        """A directory's reply (the network thread): end the wait of its request."""
        try:
            rid, result, error = parse_reply(raw)
        except ValueError as exc:
            logger.warning("ignored a directory reply: %s", exc)
            return
        wait = self._waits.get(rid)
        if wait is None:
            return  # a request that timed out, or a second answer
        wait.result, wait.error = result, error
        wait.event.set()

    def search(self, query: Query) -> Any:
        """Send *query* to a directory and return its result.

        Raises:
            DirectoryUnavailable: no directory runs on the broker.
            IOTSyncTimeout: no directory answered in time.
            IOTException: the directory refused the query.
            LinkException: the link is down.
        """
        conn = self._link.require()
        s = self._names.settings
        if not self._online:
            raise DirectoryUnavailable(
                f"agent {self._names.agent_id!r}: search needs a directory on this broker and "
                "none is running: start one next to the broker with `iotic-app directory "
                f"--config {directory_config(s)}` (with the directory's own user and password "
                "if the broker asks for them)"
            )
        owner = self._names.owner
        rid = uuid.uuid4().hex
        # raises ValueError before anything is sent: a directory drops a larger request
        body = request_body(
            rid, s.client_id, query, owner if owner != self._names.agent_id else None
        )
        wait = self._waits[rid] = _Wait()
        try:
            topic = self.topics.search(self._names.agent_id)
            with self._link.woken(wait.event):
                if conn.engine.publish(topic, body, QOS, False) is None:
                    raise LinkException(f"agent {self._names.agent_id!r}: search: link down")
                answered = wait.event.wait(SYNC_TIMEOUT)
            if not answered:
                raise IOTSyncTimeout(self._timeout_message())
            if wait.error is None and wait.result is None and conn.closed.is_set():
                raise LinkException(f"agent {self._names.agent_id!r}: the link went down")
        finally:
            self._waits.pop(rid, None)
        if wait.error is not None:
            raise IOTException(f"the directory refused the search: {wait.error}")
        return _restore(query, wait.result)

    def _timeout_message(self) -> str:
        names = sorted(self._online)
        stale = " ".join(f"`mosquitto_pub -r -n -t {self.topics.online(n)}`" for n in names)
        return (
            f"agent {self._names.agent_id!r}: no directory answered the search within "
            f"{SYNC_TIMEOUT:g} s (directories online: {', '.join(names)}). A directory listed "
            "online may be stale (it ended while the broker was down, so its presence stayed "
            f"retained); if it no longer runs, clear its presence: {stale}"
        )


def directory_config(s: MqttSettings) -> str:
    """The ``--config`` of a directory for the broker and space of *s* (never its user or
    password: a directory logs in as itself), quoted for a shell when it needs it."""
    options = []
    if s.root != DEFAULT_ROOT:
        options.append(f"root={quote(s.root, safe='')}")
    if s.protocol != MQTTV5:
        options.append("protocol=3.1.1")
    if s.tls and s.ca_file is not None:
        options.append(f"ca_file={quote(s.ca_file, safe='/')}")
    url = f"{'mqtts' if s.tls else 'mqtt'}://{s.listed}"
    if options:
        url += "?" + "&".join(options)
    return url if "&" not in url else f"'{url}'"


def _restore(query: Query, result: Any) -> Any:
    """The reply's result as the in-process search returns it (JSON has lists, no tuples)."""
    if query.type_ == "located" and isinstance(result, dict):
        for shape in result.values():
            if isinstance(shape, dict) and isinstance(shape.get("g"), list):
                shape["g"] = tuple(shape["g"])
    return result
