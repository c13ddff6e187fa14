"""Thing: one of the agent's things, with its feeds, controls, follows and metadata."""

from __future__ import annotations

from typing import Any

from iotic_app.client._check import (
    check_callback,
    check_id,
    check_int,
)
from iotic_app.client._constructor import NoPublicConstructor
from iotic_app.client._following import Following
from iotic_app.client._lookup import describe
from iotic_app.client._meta import Tagged, ThingMeta
from iotic_app.client._points import Control, Feed
from iotic_app.client._properties import Properties
from iotic_app.client._session import Callback, Session
from iotic_app.transports._protocol import (
    CONTROL,
    FEED,
    PointKind,
    ThingRef,
)

__all__ = ["Thing"]


class Thing(Tagged["ThingRef"], Properties, Following, metaclass=NoPublicConstructor):
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
