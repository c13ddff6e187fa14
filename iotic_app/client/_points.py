"""Own points: the feeds and controls of the agent's things."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from iotic_app.client._check import (
    check_callback,
    check_id,
    check_int,
    check_lang,
    check_time,
    check_unit,
    encode_payload,
)
from iotic_app.client._constructor import NoPublicConstructor
from iotic_app.client._meta import PointMeta, Tagged
from iotic_app.client._remotes import recent_samples
from iotic_app.client._session import Callback, Session
from iotic_app.client._values import MUTABLE, PointDataObject, call_parsed
from iotic_app.datatypes import check_vtype
from iotic_app.transports._protocol import (
    CONTROL,
    ControlRequest,
    PointKind,
    PointRef,
    ValueSpec,
    copy_data,
)

if TYPE_CHECKING:
    from iotic_app.client._thing import Thing

__all__ = ["Control", "Feed"]

logger = logging.getLogger("iotic_app.client")

_UTC = timezone.utc
_now = datetime.now


class _Unbound:
    """The ref of a Control while the transport creates it (see ``Control._create``)."""

    __slots__ = ("pid",)
    guid = ""
    kind: PointKind = CONTROL

    def __init__(self, pid: str) -> None:
        self.pid = pid


class _OwnPoint(Tagged["PointRef"], metaclass=NoPublicConstructor):
    """What feeds and controls have in common: ids, metadata, tags and values."""

    __slots__ = ("_ref", "_session", "thing")

    def __init__(self, session: Session, thing: Thing, ref: PointRef) -> None:
        self._session = session
        self._ref = ref
        self.thing = thing

    @property
    def pid(self) -> str:
        """The point's id, unique per kind within its thing."""
        return self._ref.pid

    @property
    def lid(self) -> str:
        """The lid of the point's thing."""
        return self.thing.lid

    def get_meta(self) -> PointMeta:
        """Return an editor for the label and description; applied on leaving ``with``.

        Returns:
            The editor.

        Raises:
            LinkException: the client is stopped.
            IOTUnknown: the point was deleted.
        """
        return self._editor(PointMeta, with_location=False)

    def create_value(
        self,
        label: str,
        vtype: str,
        lang: str | None = None,
        description: str | None = None,
        unit: str | None = None,
    ) -> None:
        """Declare a value the point's data holds (replacing one with the same label).

        Args:
            label: The value's key in shared data.
            vtype: A :class:`~iotic_app.datatypes.Datatypes` constant.
            lang: The language of *description* (default: the config's ``lang``, else none).
            description: What the value means.
            unit: A unit URI (see :class:`~iotic_app.datatypes.Units`).

        Raises:
            LinkException: the client is stopped.
            TypeError, ValueError: an argument is not valid.
        """
        check_id("label", label)
        check_vtype(vtype)
        if check_lang(lang) is None:
            lang = self._session.lang
        if description is not None and not isinstance(description, str):
            raise TypeError(f"description must be a str or None, got {description!r}")
        check_unit("unit", unit)
        spec = ValueSpec(label, vtype, lang, description, unit)
        self._session.link().add_value(self._ref, spec)

    def delete_value(self, label: str | None = None) -> None:
        """Remove the declared value *label* (None: every value); an undeclared one: nothing.

        Args:
            label: The value's label, or None.

        Raises:
            LinkException: the client is stopped.
            IOTUnknown: the point was deleted.
            TypeError, ValueError: *label* is not a valid label.
        """
        if label is not None:
            check_id("label", label)
        self._session.link().remove_value(self._ref, label)

    def get_template(self) -> PointDataObject:
        """Return an empty template of the declared values: set ``.values.<label>``, then share.

        Returns:
            The template.

        Raises:
            LinkException: the client is stopped.
        """
        return PointDataObject(self._session.link().values(self._ref.guid))

    def list_followers(self) -> dict[str, str]:
        """Return the things that follow this feed (or are attached to this control), whoever's
        they are, as the space keeps them (also follows made before this process started).

        Returns:
            ``{subscription id: follower thing guid}``.

        Raises:
            LinkException: the client is stopped.
            IOTUnknown: the point was deleted.
        """
        return self._session.link().followers(self._ref)

    def __repr__(self) -> str:
        """Show kind, thing lid, pid and guid."""
        return f"{type(self).__name__}(lid={self.lid!r}, pid={self.pid!r}, guid={self.guid!r})"


class Feed(_OwnPoint):
    """A feed of one of the agent's things: share values on it."""

    __slots__ = ()
    _made_by = "thing.create_feed(pid) or thing.get_feed(pid)"

    def share(self, data: Any, mime: str | None = None, time: datetime | None = None) -> None:
        """Share one sample with every follower.

        Args:
            data: A dict, list, str, number, bool or None (followers get an equal copy); bytes
                (with *mime*, or ``application/octet-stream``); or a template from
                :meth:`get_template`.
            mime: The mime type of bytes (or str, sent as UTF-8) data.
            time: When the sample was taken (a naive datetime is taken as UTC); default now.

        Raises:
            LinkException: the client is stopped.
            IOTUnknown: the feed was deleted.
            TypeError, ValueError: *data*, *mime* or *time* is not valid.
        """
        transport = self._session.live
        if transport is None:
            raise self._session.stopped()
        if mime is None and type(data) is dict:
            payload: Any = copy_data(data)
        else:
            payload, mime = encode_payload(data, mime)
        transport.share(self._ref, payload, mime, _now(_UTC) if time is None else check_time(time))

    def get_recent(self, count: int) -> list[dict[str, Any]]:
        """Return up to *count* of the feed's latest samples, oldest first (what a follower's
        ``RemoteFeed.get_recent`` gets).

        Args:
            count: How many, at least 1.

        Returns:
            ``[{'data', 'mime', 'time'}, ...]``.

        Raises:
            LinkException: the client is stopped.
            IOTUnknown: the feed was deleted.
            TypeError, ValueError: *count* is not a positive int.
        """
        check_int("count", count, 1)
        return recent_samples(self._session.link().recent(self._ref.guid, count))


class Control(_OwnPoint):
    """A control of one of the agent's things: other agents ask or tell it."""

    __slots__ = ("_callback", "_callback_parsed")
    _made_by = "thing.create_control(pid, callback) or thing.get_control(pid)"

    def __init__(
        self,
        session: Session,
        thing: Thing,
        ref: PointRef,
        callback: Callback | None = None,
        callback_parsed: Callback | None = None,
    ) -> None:
        """Wrap a control; *callback*/*callback_parsed* receive its requests.

        Use ``thing.create_control`` or ``thing.get_control`` instead.

        Args:
            session: The client's session.
            thing: The control's thing.
            ref: The transport's handle.
            callback: Called with the request dict.
            callback_parsed: Called with the request dict plus ``'parsed'``.
        """
        super().__init__(session, thing, ref)
        self._callback = check_callback("callback", callback)
        self._callback_parsed = check_callback("callback_parsed", callback_parsed)

    @classmethod
    def _create(
        cls,
        session: Session,
        thing: Thing,
        pid: str,
        callback: Callback | None,
        callback_parsed: Callback | None,
    ) -> Control:
        """Create the control *pid* of *thing* on the space (or take it over).

        The new Control is the transport's token for the control's requests, so it exists
        before its ref: it is made with a placeholder and given the ref the transport returns.

        Raises:
            LinkException: the client is stopped.
            IOTUnknown: the thing was deleted.
        """
        transport = session.link()
        control = cls._construct(session, thing, _Unbound(pid), callback, callback_parsed)
        control._ref = transport.create_point(thing._ref, CONTROL, pid, 0, control)
        return control

    def _deliver(self, request: ControlRequest) -> None:
        session = self._session
        data = request.data
        if type(data) in MUTABLE:
            data = copy_data(data)
        args: dict[str, Any] = {
            "data": data,
            "mime": request.mime,
            "subId": request.sub_id,
            "entityLid": request.thing_lid,
            "lid": request.pid,
            "confirm": request.confirm,
            "requestId": request.request_id,
        }
        callback, parsed_cb = self._callback, self._callback_parsed
        if callback is None and parsed_cb is None:
            callback, parsed_cb = session.catchall_control, session.catchall_control_parsed
        try:
            if parsed_cb is not None and call_parsed(
                parsed_cb, args, session.live, self._ref.guid, data, request.mime
            ):
                return
            if callback is None:
                logger.warning(
                    "control %r of thing %r got a request but has no callback that takes it",
                    self.pid,
                    self.lid,
                )
                if request.confirm:
                    session.confirm(request.request_id, False)
                return
            callback(args)
        except Exception:
            # logged before the teller learns of the failure, so its log is complete by then
            logger.exception(
                "control %r of thing %r: a callback raised; delivery goes on", self.pid, self.lid
            )
            if request.confirm:
                session.confirm(request.request_id, False)
