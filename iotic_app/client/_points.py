"""Points: own feeds and controls, and followed or attached remote ones."""

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
    check_timeout,
    check_unit,
    encode_payload,
)
from iotic_app.client._meta import PointMeta, Tagged
from iotic_app.client._session import Callback, Session
from iotic_app.client._values import PointDataObject
from iotic_app.datatypes import check_vtype
from iotic_app.transports._protocol import (
    CONTROL,
    ControlRequest,
    PointKind,
    PointRef,
    Sample,
    TellResult,
    ValueSpec,
    copy_data,
)

if TYPE_CHECKING:
    from iotic_app.client._thing import Thing

__all__ = ["Control", "Feed", "RemoteControl", "RemoteFeed"]

logger = logging.getLogger("iotic_app.client")

_UTC = timezone.utc
_now = datetime.now
_MUTABLE = (dict, list)


def _parse(session: Session, guid: str, data: Any, mime: str | None) -> PointDataObject | None:
    if mime is not None or not isinstance(data, dict):
        return None
    transport = session.live
    if transport is None:
        return None
    return PointDataObject(transport.values(guid), data)


class _Unbound:
    """The ref of a Control while the transport creates it (see ``Control._create``)."""

    __slots__ = ()
    pid = ""
    guid = ""
    kind: PointKind = CONTROL


_UNBOUND = _Unbound()


class _OwnPoint(Tagged["PointRef"]):
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
            lang: The language of *description*.
            description: What the value means.
            unit: A unit URI (see :class:`~iotic_app.datatypes.Units`).

        Raises:
            LinkException: the client is stopped.
            TypeError, ValueError: an argument is not valid.
        """
        check_id("label", label)
        check_vtype(vtype)
        check_lang(lang)
        if description is not None and not isinstance(description, str):
            raise TypeError(f"description must be a str or None, got {description!r}")
        check_unit("unit", unit)
        spec = ValueSpec(label, vtype, lang, description, unit)
        self._session.link().add_value(self._ref, spec)

    def get_template(self) -> PointDataObject:
        """Return an empty template of the declared values: set ``.values.<label>``, then share.

        Returns:
            The template.

        Raises:
            LinkException: the client is stopped.
        """
        return PointDataObject(self._session.link().values(self._ref.guid))

    def __repr__(self) -> str:
        """Show kind, thing lid, pid and guid."""
        return f"{type(self).__name__}(lid={self.lid!r}, pid={self.pid!r}, guid={self.guid!r})"


class Feed(_OwnPoint):
    """A feed of one of the agent's things: share values on it."""

    __slots__ = ()

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


class Control(_OwnPoint):
    """A control of one of the agent's things: other agents ask or tell it."""

    __slots__ = ("_callback", "_callback_parsed")

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
        control = cls(session, thing, _UNBOUND, callback, callback_parsed)
        control._ref = transport.create_point(thing._ref, CONTROL, pid, 0, control)
        return control

    def _deliver(self, request: ControlRequest) -> None:
        session = self._session
        data = request.data
        if type(data) in _MUTABLE:
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
            if parsed_cb is not None:
                parsed = _parse(session, self._ref.guid, data, request.mime)
                if parsed is not None:
                    args["parsed"] = parsed
                    parsed_cb(args)
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


class _Remote:
    """What follows and attaches have in common: the thing, the remote guid, the subscription."""

    __slots__ = ("_active", "_session", "guid", "subid", "thing")

    def __init__(self, session: Session, thing: Thing) -> None:
        self._session = session
        self.thing = thing
        self._active = True
        self.guid = ""
        self.subid = ""

    def _silence(self) -> None:
        """Deliver nothing more: the follow was removed or replaced (see ``Session``)."""
        self._active = False

    def get_template(self) -> PointDataObject:
        """Return a template of the remote point's declared values.

        For a feed, to parse its data by hand; for a control, to fill in, then ask or tell.

        Returns:
            The template.

        Raises:
            LinkException: the client is stopped.
        """
        return PointDataObject(self._session.link().values(self.guid))

    def __repr__(self) -> str:
        """Show guid and subscription id."""
        return f"{type(self).__name__}(guid={self.guid!r}, subid={self.subid!r})"


class RemoteFeed(_Remote):
    """A feed this agent's thing follows: data arrives at the follow's callback."""

    __slots__ = ("_callback", "_callback_parsed")

    def __init__(
        self,
        session: Session,
        thing: Thing,
        callback: Callback | None,
        callback_parsed: Callback | None,
    ) -> None:
        """Make the follow's receiver (the transport fills in *guid* and *subid*).

        Use ``thing.follow`` instead.

        Args:
            session: The client's session.
            thing: The following thing.
            callback: Called with ``{'data', 'mime', 'pid', 'time'}``.
            callback_parsed: Called with the same plus ``'parsed'``.
        """
        super().__init__(session, thing)
        self._callback = callback
        self._callback_parsed = callback_parsed

    def _deliver(self, sample: Sample) -> None:
        if not self._active:
            return
        data, mime, time = sample
        if type(data) in _MUTABLE:
            data = copy_data(data)
        callback, parsed_cb = self._callback, self._callback_parsed
        if callback is None and parsed_cb is None:
            session = self._session
            callback, parsed_cb = session.catchall_feed, session.catchall_feed_parsed
        args = {"data": data, "mime": mime, "pid": self.guid, "time": time}
        if parsed_cb is not None:
            parsed = _parse(self._session, self.guid, data, mime)
            if parsed is not None:
                args["parsed"] = parsed
                parsed_cb(args)
                return
            if callback is None:
                logger.warning(
                    "feed %s: data (mime %r) cannot be parsed and no plain callback is set",
                    self.guid,
                    mime,
                )
                return
        if callback is not None:
            callback(args)

    def get_recent(self, count: int) -> list[dict[str, Any]]:
        """Return up to *count* of the feed's latest samples, oldest first.

        The feed keeps as many as its ``save_recent`` says (the last one always).

        Args:
            count: How many, at least 1.

        Returns:
            ``[{'data', 'mime', 'time'}, ...]``.

        Raises:
            LinkException: the client is stopped.
            IOTUnknown: the feed is gone.
            TypeError, ValueError: *count* is not a positive int.
        """
        check_int("count", count, 1)
        samples = self._session.link().recent(self.guid, count)
        return [
            {"data": copy_data(data) if type(data) in _MUTABLE else data, "mime": mime, "time": t}
            for data, mime, t in samples
        ]

    def get_last(self) -> dict[str, Any] | None:
        """Return the feed's last sample, or None when nothing was shared yet.

        Returns:
            ``{'data', 'mime', 'time'}`` or None.

        Raises:
            LinkException: the client is stopped.
            IOTUnknown: the feed is gone.
        """
        recent = self.get_recent(1)
        return recent[-1] if recent else None


class RemoteControl(_Remote):
    """A control this agent's thing is attached to: ask or tell it."""

    __slots__ = ()

    def _deliver(self, item: Any) -> None:
        """Attachments receive nothing; present so the object can be a transport token."""

    def ask(self, data: Any, mime: str | None = None) -> None:
        """Send a request and do not wait for any answer (fire and forget).

        Args:
            data: As for ``Feed.share``: JSON-like data, bytes with *mime*, or a template.
            mime: The mime type of bytes data.

        Raises:
            LinkException: the client is stopped.
            IOTUnknown: the control is gone.
            TypeError, ValueError: *data* or *mime* is not valid.
        """
        transport = self._session.link()
        payload, mime = encode_payload(data, mime)
        transport.ask(self.guid, self.subid, payload, mime)

    def tell(self, data: Any, timeout: float = 10, mime: str | None = None) -> TellResult:
        """Send a request and wait for the control's owner to confirm it.

        Args:
            data: As for ``Feed.share``: JSON-like data, bytes with *mime*, or a template.
            timeout: How long to wait for the confirmation, in seconds.
            mime: The mime type of bytes data.

        Returns:
            True when the control confirmed success; ``'failed'`` when it reported failure (or
            its callback raised), ``'timeout'`` when no confirmation came in *timeout*,
            ``'unreachable'`` when the control's agent is not connected.

        Raises:
            LinkException: the client is stopped.
            IOTUnknown: the control is gone.
            TypeError, ValueError: an argument is not valid.
        """
        seconds = check_timeout("timeout", timeout)
        transport = self._session.link()
        payload, mime = encode_payload(data, mime)
        return transport.tell(self.guid, self.subid, payload, mime, seconds)
