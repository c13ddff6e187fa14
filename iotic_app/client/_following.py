"""A thing's follows and attaches: make, find and remove them."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from iotic_app.client._check import check_callback, check_group, check_target
from iotic_app.client._remotes import RemoteControl, RemoteFeed
from iotic_app.client._session import Callback, Session
from iotic_app.exceptions import IOTUnknown
from iotic_app.transports._protocol import (
    CONTROL,
    FEED,
    PointKind,
    Target,
    ThingRef,
    point_guid,
    thing_guid,
)

if TYPE_CHECKING:
    from iotic_app.client._thing import Thing

__all__ = ["Following"]


class Following:
    """The follow and attach calls of :class:`~iotic_app.client.Thing` (a base class of it);
    the space keeps the subscriptions, per thing."""

    __slots__ = ()

    _session: Session
    _ref: ThingRef

    def follow(
        self,
        gpid_or_lid_pid: object,
        callback: Callback | None = None,
        callback_parsed: Callback | None = None,
        *,
        group: str | None = None,
    ) -> RemoteFeed:
        """Follow a feed: its data arrives at the callbacks, in order, on the client's worker.

        Feed data dicts hold ``'data', 'mime', 'pid'`` (the feed's guid) and ``'time'`` (an
        aware UTC datetime); ``callback_parsed`` gets ``'parsed'`` too and is preferred when the
        data parses, ``callback`` otherwise. Without either, the client's catchall gets them.
        Following again replaces the callbacks; the follow keeps its group.

        Args:
            gpid_or_lid_pid: A feed guid (a public feed, or one of the agent's own), or a
                ``(thing_lid, pid)`` tuple naming a feed of the agent's owner's things (any of
                its agents', private ones too; by default the agent is its own owner).
            callback: Called with each sample.
            callback_parsed: Called with each sample plus ``'parsed'``.
            group: Followers of the feed in the same group share its load: each sample
                reaches one of them (MQTT 5 shared subscriptions on a broker), so a heavy feed
                can be processed by many agent processes. A follow keeps its group: to change
                it, unfollow first. On MQTT an agent's follows of one feed (from any of its
                things) share one subscription, so they are all in one group.

        Returns:
            The followed feed.

        Raises:
            LinkException: the client is stopped.
            IOTUnknown: there is no such feed.
            IOTAccessDenied: the feed belongs to another agent and is not public.
            TypeError, ValueError: an argument is not valid (also *group*, when the follow,
                or on MQTT another follow of the feed by the agent, is in another group).
        """
        target = check_target("gpid_or_lid_pid", gpid_or_lid_pid)
        thing = cast("Thing", self)
        remote = RemoteFeed._construct(
            self._session,
            thing,
            check_callback("callback", callback),
            check_callback("callback_parsed", callback_parsed),
        )
        remote.guid = _target_guid(self._session, FEED, target)  # before any value can come
        link = self._session.link()
        if group is None:
            remote.subid, remote.guid = link.subscribe(self._ref, FEED, target, remote)
        else:
            group = check_group(group)
            remote.subid, remote.guid = link.subscribe(self._ref, FEED, target, remote, group)
        self._session.remember(remote)
        return remote

    def attach(self, gpid_or_lid_pid: object) -> RemoteControl:
        """Attach to a control, to ask or tell it.

        Args:
            gpid_or_lid_pid: A control guid, or a ``(thing_lid, pid)`` tuple naming a control
                of the agent's owner's things (any of its agents').

        Returns:
            The attached control.

        Raises:
            LinkException: the client is stopped.
            IOTUnknown: there is no such control.
            IOTAccessDenied: the control belongs to another agent and is not public.
            TypeError, ValueError: an argument is not valid.
        """
        target = check_target("gpid_or_lid_pid", gpid_or_lid_pid)
        thing = cast("Thing", self)
        remote = RemoteControl._construct(self._session, thing)
        remote.guid = _target_guid(self._session, CONTROL, target)
        remote.subid, remote.guid = self._session.link().subscribe(
            self._ref, CONTROL, target, remote
        )
        self._session.remember(remote)
        return remote

    def _sub_id(
        self,
        name: str,
        what: object,
        remote_type: type[RemoteFeed | RemoteControl],
        connections: dict[str, dict[str, str]],
    ) -> str:
        """The subscription id of the follow or attach *what* names (see :meth:`unfollow`).

        Raises:
            IOTUnknown: the thing has no such subscription.
        """
        kind = FEED if remote_type is RemoteFeed else CONTROL
        if isinstance(what, remote_type):
            return what.subid
        if isinstance(what, str) and what in connections:
            return what
        target = check_target(name, what)
        if isinstance(target, tuple):  # a point of the owner's things: its guid
            lid, pid = target
            target = point_guid(thing_guid(self._session.owner, lid), kind, pid)
        for sub, info in connections.items():
            if info["guid"] == target and info["type"] == kind:
                return sub
        raise IOTUnknown(f"thing {self._ref.lid!r} has no {kind.lower()} subscription to {what!r}")

    def _unsubscribe(self, what: object, remote_type: type[RemoteFeed | RemoteControl]) -> None:
        transport = self._session.link()
        connections = transport.list_connections(self._ref)
        sub_id = self._sub_id("subid", what, remote_type, connections)
        transport.unsubscribe(self._ref, sub_id)
        self._session.forget(sub_id)

    def _get_remote(
        self, what: object, remote_type: type[RemoteFeed | RemoteControl]
    ) -> RemoteFeed | RemoteControl:
        connections = self._session.link().list_connections(self._ref)
        sub_id = self._sub_id("gpid_or_lid_pid", what, remote_type, connections)
        kind = FEED if remote_type is RemoteFeed else CONTROL
        if connections[sub_id]["type"] != kind:
            raise ValueError(
                f"gpid_or_lid_pid must name a {kind.lower()} subscription of thing "
                f"{self._ref.lid!r}, got {what!r}, a {connections[sub_id]['type'].lower()} one"
            )
        known = self._session.remote(sub_id)
        if isinstance(known, remote_type):
            return known
        # kept in the space from an earlier client or process: a handle on it (values held
        # for it stay held; follow it again to get them)
        thing = cast("Thing", self)
        remote: RemoteFeed | RemoteControl
        if remote_type is RemoteFeed:
            remote = RemoteFeed._construct(self._session, thing, None, None)
        else:
            remote = RemoteControl._construct(self._session, thing)
        remote.subid, remote.guid = sub_id, connections[sub_id]["guid"]
        return remote

    def get_remote_feed(self, gpid_or_lid_pid: object) -> RemoteFeed:
        """Return the follow of a feed this thing follows (made by this client, or kept in the
        space from an earlier one: then a handle without callbacks).

        Args:
            gpid_or_lid_pid: The feed's guid, ``(thing_lid, pid)``, or the subscription id.

        Returns:
            The followed feed.

        Raises:
            LinkException: the client is stopped.
            IOTUnknown: the thing does not follow that feed.
            ValueError: the subscription id given is an attach's.
        """
        remote = self._get_remote(gpid_or_lid_pid, RemoteFeed)
        assert isinstance(remote, RemoteFeed)
        return remote

    def get_remote_control(self, gpid_or_lid_pid: object) -> RemoteControl:
        """Return the attach to a control this thing is attached to (see get_remote_feed).

        Args:
            gpid_or_lid_pid: The control's guid, ``(thing_lid, pid)``, or the subscription id.

        Returns:
            The attached control.

        Raises:
            LinkException: the client is stopped.
            IOTUnknown: the thing is not attached to that control.
            ValueError: the subscription id given is a follow's.
        """
        remote = self._get_remote(gpid_or_lid_pid, RemoteControl)
        assert isinstance(remote, RemoteControl)
        return remote

    def unfollow(self, subid: object) -> None:
        """Stop following a feed: nothing more reaches the follow's callbacks.

        Args:
            subid: The RemoteFeed, its ``subid``, the feed's guid or a ``(thing_lid, pid)``.

        Raises:
            LinkException: the client is stopped.
            IOTUnknown: the thing does not follow that feed.
        """
        self._unsubscribe(subid, RemoteFeed)

    def unattach(self, subid: object) -> None:
        """Detach from a control.

        Args:
            subid: The RemoteControl, its ``subid``, the control's guid or a
                ``(thing_lid, pid)``.

        Raises:
            LinkException: the client is stopped.
            IOTUnknown: the thing is not attached to that control.
            ValueError: the subscription id given is a follow's.
        """
        self._unsubscribe(subid, RemoteControl)

    def list_connections(self) -> dict[str, dict[str, str]]:
        """Return the thing's follows and attaches.

        Returns:
            ``{subid: {'type': 'Feed' or 'Control', 'guid': the remote point's guid}}``.

        Raises:
            LinkException: the client is stopped.
        """
        return self._session.link().list_connections(self._ref)


def _target_guid(session: Session, kind: PointKind, target: Target) -> str:
    """The guid of the point *target* names: the guid itself, or for ``(thing_lid, pid)`` the
    guid of that point of the owner's things. Set on a follow's receiver before the transport
    subscribes: a value that arrives at once (the feed's last one) is delivered with it."""
    if isinstance(target, tuple):
        lid, pid = target
        return point_guid(thing_guid(session.owner, lid), kind, pid)
    return target
