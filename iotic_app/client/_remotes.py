"""Remote points: the feeds the agent's things follow and the controls they are attached to."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from iotic_app.client._check import check_int, check_time, check_timeout, encode_payload
from iotic_app.client._constructor import NoPublicConstructor
from iotic_app.client._session import Callback, Session
from iotic_app.client._values import MUTABLE, PointDataObject, call_parsed
from iotic_app.transports._protocol import Sample, TellResult, copy_data

if TYPE_CHECKING:
    from iotic_app.client._thing import Thing

__all__ = ["RemoteControl", "RemoteFeed", "recent_samples", "simulate_feeddata"]

logger = logging.getLogger("iotic_app.client")


def recent_samples(samples: list[Sample]) -> list[dict[str, Any]]:
    """*samples* as ``get_recent`` gives them: ``{'data', 'mime', 'time'}`` dicts, each with a
    private copy of mutable data."""
    return [
        {"data": copy_data(data) if type(data) in MUTABLE else data, "mime": mime, "time": t}
        for data, mime, t in samples
    ]


class _Remote(metaclass=NoPublicConstructor):
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


def deliver_sample(
    session: Session,
    guid: str,
    callback: Callback | None,
    callback_parsed: Callback | None,
    sample: Sample,
) -> None:
    """Run a follow's callbacks (without any: the client's catch-all) for one *sample* of the
    feed *guid*, on the client's worker."""
    data, mime, time = sample
    if type(data) in MUTABLE:
        data = copy_data(data)
    if callback is None and callback_parsed is None:
        callback, callback_parsed = session.catchall_feed, session.catchall_feed_parsed
    args = {"data": data, "mime": mime, "pid": guid, "time": time}
    if callback_parsed is not None and call_parsed(
        callback_parsed, args, session.live, guid, data, mime
    ):
        return
    if callback is not None:
        callback(args)
    elif callback_parsed is not None:
        logger.warning(
            "feed %s: data (mime %r) cannot be parsed and no plain callback is set", guid, mime
        )


def simulated_sample(data: Any, mime: object, time: object) -> Sample:
    """The sample a follower of *data* would get (checked as ``Feed.share`` checks it)."""
    payload, mime = encode_payload(data, mime)
    return (payload, mime, datetime.now(timezone.utc) if time is None else check_time(time))


class _CatchAll:
    """The token of simulated data of a feed that no follow of the client follows."""

    __slots__ = ("_session", "guid")

    def __init__(self, session: Session, guid: str) -> None:
        self._session = session
        self.guid = guid

    def _deliver(self, sample: Sample) -> None:
        deliver_sample(self._session, self.guid, None, None, sample)


def simulate_feeddata(
    session: Session, feed_guid: object, data: Any, mime: object, time: object
) -> int:
    """Deliver *data* to every active follow of feed *feed_guid* this client made, or to the
    catch-all when none (``Client.simulate_feeddata``); return how many follows got it."""
    if not isinstance(feed_guid, str):
        raise TypeError(f"feed_guid must be a feed's guid (a str), got {feed_guid!r}")
    if not feed_guid:
        raise ValueError(f"feed_guid must be a feed's guid, got {feed_guid!r}")
    sample = simulated_sample(data, mime, time)
    push = session.push
    assert push is not None  # set by the client
    follows = [
        remote
        for remote in session.remotes()
        if isinstance(remote, RemoteFeed) and remote.guid == feed_guid and remote._active
    ]
    for remote in follows:
        push(remote, sample)
    if not follows:
        push(_CatchAll(session, feed_guid), sample)
    return len(follows)


class RemoteFeed(_Remote):
    """A feed this agent's thing follows: data arrives at the follow's callback."""

    __slots__ = ("_callback", "_callback_parsed")
    _made_by = "thing.follow(gpid_or_lid_pid, callback)"

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
        if self._active:
            deliver_sample(self._session, self.guid, self._callback, self._callback_parsed, sample)

    def simulate(self, data: Any, mime: str | None = None, time: datetime | None = None) -> None:
        """Deliver *data* to this follow's callbacks as if the feed had shared it (nothing is
        sent): queued on the client's worker, after what has arrived so far.

        Args:
            data: As for ``Feed.share``; the callbacks get it as a follower would.
            mime: The mime type of bytes data.
            time: The sample's time (naive: UTC); default now.

        Raises:
            TypeError, ValueError: *data*, *mime* or *time* is not valid.
        """
        push = self._session.push
        assert push is not None  # set by the client that made this follow
        push(self, simulated_sample(data, mime, time))

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
        return recent_samples(self._session.link().recent(self.guid, count))

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
    _made_by = "thing.attach(gpid_or_lid_pid)"

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
