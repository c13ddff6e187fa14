"""Session: the narrow internal API a Client hands to its things, points and follows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from iotic_app.exceptions import LinkException
from iotic_app.transports._protocol import Delivery, Transport

__all__ = ["Callback", "Remote", "Session"]

Callback = Callable[[dict[str, Any]], Any]


class Remote(Protocol):
    """A follow or attach the session keeps by subscription id (RemoteFeed, RemoteControl)."""

    @property
    def subid(self) -> str:
        """The subscription id the transport gave it."""

    def _silence(self) -> None:
        """Deliver nothing more (it was unfollowed or replaced)."""


class Session:
    """What the model objects may ask of their client, and nothing more.

    The client makes one per instance and hands it to every Thing, Feed, Control, RemoteFeed
    and RemoteControl it creates. Only the client writes :attr:`live` (on start and stop) and
    the catch-alls (``register_catchall_*``); the model objects read them.

    Attributes:
        agent_id: The agent's name (owner of its things).
        lang: The config's default language (labels, descriptions and values given without
            one), or None.
        live: The transport while the client is started, else None (read it once per call:
            the share path does, then raises :meth:`stopped` itself).
        catchall_feed: The client's catch-all for follows without a callback, or None.
        catchall_feed_parsed: Its parsed twin, or None.
        catchall_control: The client's catch-all for controls without a callback, or None.
        catchall_control_parsed: Its parsed twin, or None.
        subscribed: Called with a RemoteFeed or RemoteControl when one of the agent's things
            makes a new follow or attach, or None.
        subscription: Called with ``{'type', 'entityLid', 'lid', 'subCount'}`` when the number
            of things following or attached to one of the agent's points changes, or None.
        push: Queues ``(token, item)`` for the client's worker (its dispatcher's ``push``):
            how simulated feed data reaches the callbacks; set by the client.
    """

    __slots__ = (
        "_remotes",
        "agent_id",
        "catchall_control",
        "catchall_control_parsed",
        "catchall_feed",
        "catchall_feed_parsed",
        "lang",
        "live",
        "owner",
        "push",
        "subscribed",
        "subscription",
    )

    def __init__(self, agent_id: str, lang: str | None = None, owner: str | None = None) -> None:
        """Make the session of agent *agent_id*'s client (default language *lang*; *owner*, by
        default the agent itself), stopped and without catch-alls."""
        self.agent_id = agent_id
        self.lang = lang
        self.owner = agent_id if owner is None else owner
        self.live: Transport | None = None
        self.catchall_feed: Callback | None = None
        self.catchall_feed_parsed: Callback | None = None
        self.catchall_control: Callback | None = None
        self.catchall_control_parsed: Callback | None = None
        self.subscribed: Callable[[Any], Any] | None = None
        self.subscription: Callback | None = None
        self.push: Callable[[Delivery, Any], None] | None = None
        # subscription id -> this client's RemoteFeed/RemoteControl, to silence it on unfollow
        self._remotes: dict[str, Remote] = {}

    def stopped(self) -> LinkException:
        """Return the error every call that uses the space raises while the client is stopped."""
        return LinkException(
            f"client of agent {self.agent_id!r} is not started: call client.start() first "
            "(or use it inside a ThingRunner/App run)"
        )

    def link(self) -> Transport:
        """Return the live transport.

        Raises:
            LinkException: the client is stopped.
        """
        transport = self.live
        if transport is None:
            raise self.stopped()
        return transport

    def remember(self, remote: Remote) -> None:
        """Keep *remote* by its subscription id, silencing the one it replaces (follow again)."""
        old = self._remotes.get(remote.subid)
        if old is not None and old is not remote:
            old._silence()
        self._remotes[remote.subid] = remote

    def remote(self, sub_id: str) -> Remote | None:
        """The follow or attach *sub_id* this client made (or bound), or None."""
        return self._remotes.get(sub_id)

    def remotes(self) -> list[Remote]:
        """The follows and attaches this client made (or bound), oldest first."""
        return list(self._remotes.values())

    def forget(self, sub_id: str) -> None:
        """Silence and drop the follow or attach *sub_id* (unfollow, unattach)."""
        old = self._remotes.pop(sub_id, None)
        if old is not None:
            old._silence()

    def confirm(self, request_id: str, success: bool) -> None:
        """Confirm the tell *request_id* if the client is started (else the teller times out)."""
        transport = self.live
        if transport is not None:
            transport.confirm_tell(request_id, success)
