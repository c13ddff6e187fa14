"""Thing: one of the agent's things, with its feeds, controls, follows and metadata."""

from __future__ import annotations

from typing import Any

from iotic_app.client._check import (
    check_callback,
    check_group,
    check_id,
    check_int,
    check_target,
)
from iotic_app.client._constructor import NoPublicConstructor
from iotic_app.client._lookup import describe
from iotic_app.client._meta import Tagged, ThingMeta
from iotic_app.client._points import Control, Feed
from iotic_app.client._properties import Properties
from iotic_app.client._remotes import RemoteControl, RemoteFeed
from iotic_app.client._session import Callback, Session
from iotic_app.exceptions import IOTUnknown
from iotic_app.transports._protocol import (
    CONTROL,
    FEED,
    PointKind,
    ThingRef,
    point_guid,
    thing_guid,
)

__all__ = ["Thing"]


class Thing(Tagged["ThingRef"], Properties, metaclass=NoPublicConstructor):
    """One of the agent's things: made by ``client.create_thing(lid)``."""

    __slots__ = ("_ref", "_session")
    _made_by = "client.create_thing(lid) or client.get_thing(lid)"

    def __init__(self, session: Session, ref: ThingRef) -> None:
        """Wrap the transport's handle *ref* (use ``client.create_thing`` instead).

        Args:
            session: The client's session.
            ref: The transport's handle.
        """
        self._session = session
        self._ref = ref

    @property
    def lid(self) -> str:
        """The thing's local id, unique among the agent's things."""
        return self._ref.lid

    @property
    def agent_id(self) -> str:
        """The agent that owns the thing."""
        return self._session.agent_id

    def __repr__(self) -> str:
        """Show lid and guid."""
        return f"Thing(lid={self.lid!r}, guid={self.guid!r})"

    def __eq__(self, other: object) -> bool:
        """Things are equal when they have the same guid."""
        return isinstance(other, Thing) and other.guid == self.guid

    def __hash__(self) -> int:
        """Hash of the guid."""
        return hash(self.guid)

    # --- points -----------------------------------------------------------------------------

    def create_feed(self, pid: str, save_recent: int = 0) -> Feed:
        """Create a feed, or return the existing one with that pid.

        Args:
            pid: The feed's id within the thing.
            save_recent: How many recent samples to keep for ``get_recent`` (0: only the last).

        Returns:
            The feed.

        Raises:
            LinkException: the client is stopped.
            IOTUnknown: the thing was deleted.
            TypeError, ValueError: an argument is not valid.
        """
        check_id("pid", pid)
        check_int("save_recent", save_recent, 0, 1000)
        ref = self._session.link().create_point(self._ref, FEED, pid, save_recent, None)
        return Feed._construct(self._session, self, ref)

    def create_control(
        self,
        pid: str,
        callback: Callback | None = None,
        callback_parsed: Callback | None = None,
    ) -> Control:
        """Create a control (or take over the existing one); requests go to the callbacks.

        Request dicts hold ``'data', 'mime', 'subId', 'entityLid', 'lid', 'confirm',
        'requestId'``; ``callback_parsed`` gets ``'parsed'`` too and is preferred when the data
        parses, ``callback`` otherwise. Without either, the client's catchall gets them. A tell
        (``confirm`` True) waits for ``client.confirm_tell(args, success)``; a callback that
        raises confirms failure.

        Args:
            pid: The control's id within the thing.
            callback: Called with the request dict.
            callback_parsed: Called with the request dict plus ``'parsed'``.

        Returns:
            The control.

        Raises:
            LinkException: the client is stopped.
            IOTUnknown: the thing was deleted.
            TypeError, ValueError: an argument is not valid.
        """
        check_id("pid", pid)
        check_callback("callback", callback)
        check_callback("callback_parsed", callback_parsed)
        return Control._create(self._session, self, pid, callback, callback_parsed)

    def get_feed(self, pid: str) -> Feed:
        """Return the existing feed *pid*.

        Args:
            pid: The feed's id.

        Returns:
            The feed.

        Raises:
            LinkException: the client is stopped.
            IOTUnknown: there is no such feed.
        """
        check_id("pid", pid)
        return Feed._construct(
            self._session, self, self._session.link().get_point(self._ref, FEED, pid)
        )

    def get_control(self, pid: str) -> Control:
        """Return the existing control *pid* (its callbacks stay as they were).

        Args:
            pid: The control's id.

        Returns:
            The control.

        Raises:
            LinkException: the client is stopped.
            IOTUnknown: there is no such control.
        """
        check_id("pid", pid)
        return Control._construct(
            self._session, self, self._session.link().get_point(self._ref, CONTROL, pid)
        )

    def delete_feed(self, pid: str) -> None:
        """Delete the feed *pid*; its followers get nothing more.

        Args:
            pid: The feed's id.

        Raises:
            LinkException: the client is stopped.
            IOTUnknown: there is no such feed.
        """
        self._delete_point(FEED, pid)

    def delete_control(self, pid: str) -> None:
        """Delete the control *pid*.

        Args:
            pid: The control's id.

        Raises:
            LinkException: the client is stopped.
            IOTUnknown: there is no such control.
        """
        self._delete_point(CONTROL, pid)

    def _delete_point(self, kind: PointKind, pid: str) -> None:
        check_id("pid", pid)
        transport = self._session.link()
        transport.delete_point(transport.get_point(self._ref, kind, pid))

    # --- follows and attaches ---------------------------------------------------------------

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
        Following again replaces the callbacks.

        Args:
            gpid_or_lid_pid: A feed guid (a public feed, or one of the agent's own), or a
                ``(thing_lid, pid)`` tuple naming a feed of the agent's owner's things (any of
                its agents', private ones too; by default the agent is its own owner).
            callback: Called with each sample.
            callback_parsed: Called with each sample plus ``'parsed'``.
            group: Followers of the feed in the same group share its load: each sample
                reaches one of them (MQTT 5 shared subscriptions on a broker), so a heavy feed
                can be processed by many agent processes.

        Returns:
            The followed feed.

        Raises:
            LinkException: the client is stopped.
            IOTUnknown: there is no such feed.
            IOTAccessDenied: the feed belongs to another agent and is not public.
            TypeError, ValueError: an argument is not valid.
        """
        target = check_target("gpid_or_lid_pid", gpid_or_lid_pid)
        remote = RemoteFeed._construct(
            self._session,
            self,
            check_callback("callback", callback),
            check_callback("callback_parsed", callback_parsed),
        )
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
        remote = RemoteControl._construct(self._session, self)
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
        raise IOTUnknown(f"thing {self.lid!r} has no {kind.lower()} subscription to {what!r}")

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
                f"gpid_or_lid_pid must name a {kind.lower()} subscription of thing {self.lid!r}, "
                f"got {what!r}, a {connections[sub_id]['type'].lower()} one"
            )
        known = self._session.remote(sub_id)
        if isinstance(known, remote_type):
            return known
        # kept in the space from an earlier client or process: a handle on it (values held
        # for it stay held; follow it again to get them)
        remote: RemoteFeed | RemoteControl
        if remote_type is RemoteFeed:
            remote = RemoteFeed._construct(self._session, self, None, None)
        else:
            remote = RemoteControl._construct(self._session, self)
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

    # --- metadata ---------------------------------------------------------------------------

    def get_meta(self) -> ThingMeta:
        """Return an editor for label, description and location; applied on leaving ``with``.

        Example::

            with thing.get_meta() as meta:
                meta.set_label("Boiler")
                meta.set_location(51.5, -0.12)

        Returns:
            The editor.

        Raises:
            LinkException: the client is stopped.
            IOTUnknown: the thing was deleted.
        """
        return self._editor(ThingMeta, with_location=True)

    def set_public(self, public: bool = True) -> None:
        """Make the thing public (search finds it, other agents follow it) or private.

        Args:
            public: True for public.

        Raises:
            LinkException: the client is stopped.
            TypeError: *public* is not a bool.
        """
        if not isinstance(public, bool):
            raise TypeError(f"public must be a bool, got {public!r}")
        self._session.link().set_public(self._ref, public)

    @property
    def public(self) -> bool:
        """Whether the thing is public.

        Raises:
            LinkException: the client is stopped.
        """
        return self._session.link().read_meta(self._ref).public

    def describe(self) -> dict[str, Any] | None:
        """Return ``client.describe(self)``.

        Returns:
            The description.

        Raises:
            LinkException: the client is stopped.
        """
        return describe(self._session, self)
