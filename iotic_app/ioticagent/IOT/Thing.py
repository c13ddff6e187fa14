"""py-IoticAgent's IOT.Thing: one of the agent's things, over iotic_app's Thing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from iotic_app.client import Thing as _ModernThing
from iotic_app.ioticagent.Core.Const import E_CREATED, E_DELETED, E_DUPLICATED, R_CONTROL, R_FEED
from iotic_app.ioticagent.IOT import _props, _rdf
from iotic_app.ioticagent.IOT._adapt import CompatCallback, wrap_feed_callback
from iotic_app.ioticagent.IOT.Point import MAX_SAVE_RECENT, Control, Feed, _page
from iotic_app.ioticagent.IOT.RemotePoint import RemoteControl, RemoteFeed
from iotic_app.ioticagent.IOT.ThingMeta import ThingMeta

if TYPE_CHECKING:
    from iotic_app.ioticagent.IOT.Client import Client

# 0.7.0's module imported these; kept, so `from IoticAgent.IOT.Thing import *` binds them.
from iotic_app.ioticagent.Core.compat import Sequence, raise_from, string_types
from iotic_app.ioticagent.Core.Const import (
    P_ENTITY_LID,
    P_EPID,
    P_ID,
    P_LID,
    P_POINT_ENTITY_LID,
    P_POINT_ID,
    P_POINT_LID,
    P_POINT_TYPE,
    P_RESOURCE,
    R_SUB,
)
from iotic_app.ioticagent.IOT.Exceptions import IOTClientError, IOTUnknown

__all__ = [
    "P_ENTITY_LID",
    "P_EPID",
    "P_ID",
    "P_LID",
    "P_POINT_ENTITY_LID",
    "P_POINT_ID",
    "P_POINT_LID",
    "P_POINT_TYPE",
    "P_RESOURCE",
    "R_CONTROL",
    "R_FEED",
    "R_SUB",
    "Control",
    "Feed",
    "IOTClientError",
    "RemoteControl",
    "RemoteFeed",
    "Sequence",
    "Thing",
    "ThingMeta",
    "raise_from",
    "string_types",
]

_TYPES = {"Feed": R_FEED, "Control": R_CONTROL}


def _unwrapped(subid: object) -> object:
    """A compat RemoteFeed/RemoteControl as iotic_app's; anything else unchanged."""
    return subid._remote if isinstance(subid, RemoteFeed | RemoteControl) else subid


class _Tags(list):  # type: ignore[type-arg]
    """0.7.0's list of tags, which scripts for earlier versions index by language."""

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):  # tags have no language now: every language has them all
            return list(self)
        return super().__getitem__(key)


class Thing:
    """A thing of the agent: its points, follows, attaches, tags and metadata."""

    def __init__(self, client: Client, lid: str, guid: str, epId: str) -> None:
        """Made by ``Client.create_thing``/``get_thing``."""
        self._client = client
        self.__lid = lid
        self.__guid = guid
        self.__agent_id = epId
        self._thing: Any = None  # iotic_app's Thing, set by _wrap

    @classmethod
    def _wrap(cls, client: Client, thing: _ModernThing) -> Thing:
        wrapped = cls(client, thing.lid, thing.guid, thing.agent_id)
        wrapped._thing = thing
        return wrapped

    def __str__(self) -> str:
        """``'<guid> (<lid>)'``."""
        return f"{self.guid} ({self.lid})"

    def __eq__(self, other: object) -> bool:
        """Equal when the same thing (by guid)."""
        return isinstance(other, Thing) and other.guid == self.guid

    def __hash__(self) -> int:
        """Hash of the guid."""
        return hash(self.guid)

    @property
    def guid(self) -> str:
        """The thing's guid."""
        return self.__guid

    @property
    def lid(self) -> str:
        """The thing's local id."""
        return self.__lid

    @property
    def agent_id(self) -> str:
        """The agent that owns the thing."""
        return self.__agent_id

    def __list(self, kind: str, limit: int, offset: int) -> dict[str, dict[str, str]]:
        page = _page(f"list_{kind.lower()}s", limit, offset)
        described = self._client._modern.describe(self.guid)
        if described is None:
            raise IOTUnknown(f"thing {self.lid!r} is gone")
        points = [point for point in described["points"] if point["type"] == kind]
        return {point["pid"]: {"id": point["guid"]} for point in points[page]}

    def list_feeds(self, limit: int = 500, offset: int = 0) -> dict[str, dict[str, str]]:
        """The thing's feeds: at most *limit*, after skipping *offset*, in creation order.

        Returns:
            ``{pid: {'id': feed guid}}``, in the shape of ``Client.list`` (0.7.0 gave the QAPI
            payload and did not document it).
        """
        return self.__list("Feed", limit, offset)

    def list_controls(self, limit: int = 500, offset: int = 0) -> dict[str, dict[str, str]]:
        """The thing's controls, as :meth:`list_feeds`: ``{pid: {'id': control guid}}``."""
        return self.__list("Control", limit, offset)

    def set_public(self, public: bool = True) -> None:
        """Make the thing public (the default) or private."""
        self._thing.set_public(public)

    def create_tag(self, tags: str | list[str]) -> None:
        """Add one tag or a list of tags."""
        self._thing.create_tag(tags)

    def delete_tag(self, tags: str | list[str]) -> None:
        """Remove one tag or a list of tags."""
        self._thing.delete_tag(tags)

    def list_tag(self, limit: int = 500, offset: int = 0) -> list[str]:
        """The thing's tags: at most *limit*, after skipping *offset*.

        A list, as 0.7.0's; indexed by a language (``tags['en']``, as scripts written for
        IoticAgent before 0.7 did, when tags had languages) it gives the same tags again.
        """
        tags: list[str] = self._thing.list_tag()
        return _Tags(tags[offset : offset + limit])

    def create_property(
        self, props: object, replace: bool = True, replace_all: bool = False
    ) -> None:
        """Add semantic properties: one ``(predicate, object)`` tuple or a list of them (rdflib
        terms or str, int, float, bool; see docs/search.md); *replace* first removes those of
        the same predicates, *replace_all* all of them."""
        self._thing.create_property(_props.props(props), replace, replace_all)

    def delete_property(self, props: object) -> None:
        """Remove semantic properties (an object None: all of its predicate; []: all)."""
        self._thing.delete_property(_props.props(props))

    def list_property(self, limit: int = 500, offset: int = 0) -> dict[str, list[Any]]:
        """The thing's semantic properties: ``{predicate: [object, ...]}``."""
        listed: dict[str, list[Any]] = self._thing.list_property(limit, offset)
        return listed

    def get_meta(self) -> ThingMeta:
        """An editor of label, description and location; applied on leaving ``with``."""
        meta = ThingMeta(self._thing.get_meta(), None, self._client.default_lang)
        meta._reload = self._thing.get_meta
        return meta

    def get_meta_rdf(self, fmt: str = "n3") -> str:
        """The thing's labels, descriptions and location as RDF text in *fmt* (``'xml'``,
        ``'n3'`` or ``'turtle'``), as 0.7.0's: iotic's ``entityLabel``/``entityComment`` and
        geo's ``lat``/``long`` about ``urn:uuid:<guid>``. Needs rdflib (``iotic_app[rdf]``).

        Raises:
            ImportError: rdflib is not installed.
            TypeError, ValueError: *fmt* is not one of those.
        """
        fmt = _rdf.check_fmt(fmt)
        meta = self._thing.get_meta()
        graph = _rdf.make_graph(
            self.guid, _rdf.THING, meta.labels, meta.descriptions, meta.get_location()
        )
        text: str = graph.serialize(format=fmt)
        return text

    def set_meta_rdf(self, rdf: str, fmt: str = "n3") -> None:
        """Set the thing's labels, descriptions and location from RDF text in *fmt* (what
        :meth:`get_meta_rdf` gives, edited; ``rdfs:label``/``comment`` are read too, a literal
        without a language is in the default one). Other triples are not kept.

        Raises:
            ImportError: rdflib is not installed.
            TypeError, ValueError: *rdf* or *fmt* is not valid.
        """
        _rdf.set_meta(self._thing.get_meta(), rdf, fmt, _rdf.THING, self._client.default_lang)

    # --- points -----------------------------------------------------------------------------

    def get_feed(self, pid: str) -> Feed:
        """The existing feed *pid*."""
        feed: Feed = Feed._wrap(self._client, self._thing.get_feed(pid))
        return feed

    def get_control(self, pid: str) -> Control:
        """The existing control *pid*."""
        control: Control = Control._wrap(self._client, self._thing.get_control(pid))
        return control

    def create_feed(self, pid: str, save_recent: int = 0) -> Feed:
        """Create a feed (or return the existing one); *save_recent* < 0: as many as kept."""
        if isinstance(save_recent, int) and not isinstance(save_recent, bool) and save_recent < 0:
            save_recent = MAX_SAVE_RECENT
        existed = self.__point_exists(R_FEED, pid)
        feed: Feed = Feed._wrap(self._client, self._thing.create_feed(pid, save_recent))
        self.__point_notice(E_DUPLICATED if existed else E_CREATED, R_FEED, pid, feed.guid)
        return feed

    def create_control(
        self,
        pid: str,
        callback: CompatCallback | None,
        callback_parsed: CompatCallback | None = None,
    ) -> Control:
        """Create a control whose requests go to *callback* (or *callback_parsed*)."""
        existed = self.__point_exists(R_CONTROL, pid)
        control: Control = Control._wrap(
            self._client, self._thing.create_control(pid, callback, callback_parsed)
        )
        self.__point_notice(E_DUPLICATED if existed else E_CREATED, R_CONTROL, pid, control.guid)
        return control

    def delete_feed(self, pid: str) -> None:
        """Delete the feed *pid*."""
        guid = self._thing.get_feed(pid).guid if self._client._crud.wants(E_DELETED) else ""
        self._thing.delete_feed(pid)
        self.__point_notice(E_DELETED, R_FEED, pid, guid)

    def delete_control(self, pid: str) -> None:
        """Delete the control *pid*."""
        guid = self._thing.get_control(pid).guid if self._client._crud.wants(E_DELETED) else ""
        self._thing.delete_control(pid)
        self.__point_notice(E_DELETED, R_CONTROL, pid, guid)

    def __point_exists(self, foc: int, pid: str) -> bool:
        """Whether the point exists, when a created or duplicate callback needs to know."""
        if not self._client._crud.wants(E_CREATED, E_DUPLICATED):
            return False
        try:
            (self._thing.get_feed if foc == R_FEED else self._thing.get_control)(pid)
        except (IOTUnknown, TypeError, ValueError):  # the create call reports a bad pid
            return False
        return True

    def __point_notice(self, kind: int, foc: int, pid: str, guid: str) -> None:
        payload = {P_RESOURCE: foc, P_LID: pid, P_ENTITY_LID: self.lid, P_ID: guid}
        self._client._crud.notify(kind, payload)

    # --- follows and attaches ---------------------------------------------------------------

    def follow(
        self,
        gpid: object,
        callback: CompatCallback | None = None,
        callback_parsed: CompatCallback | None = None,
    ) -> RemoteFeed:
        """Follow a feed by guid or ``(lid, pid)``; data dicts have 0.7.0's keys, naive UTC time."""
        known = self.__subids()
        remote = self._thing.follow(
            gpid, wrap_feed_callback(callback), wrap_feed_callback(callback_parsed)
        )
        self.__sub_notice(known, R_FEED, gpid, remote)
        wrapped = RemoteFeed(remote, remote.subid, remote.guid, self.lid)
        return wrapped

    def attach(self, gpid: object) -> RemoteControl:
        """Attach to a control by guid or ``(lid, pid)``, to ask or tell it."""
        known = self.__subids()
        remote = self._thing.attach(gpid)
        self.__sub_notice(known, R_CONTROL, gpid, remote)
        return RemoteControl(remote, remote.subid, remote.guid, self.lid)

    def __subids(self) -> set[str] | None:
        """The thing's subscription ids, when a created or duplicate callback needs them."""
        if not self._client._crud.wants(E_CREATED, E_DUPLICATED):
            return None
        return set(self._thing.list_connections())

    def __sub_notice(self, known: set[str] | None, foc: int, gpid: object, remote: Any) -> None:
        if known is None:
            return
        payload: dict[str, Any] = {
            P_RESOURCE: R_SUB,
            P_ID: remote.subid,
            P_ENTITY_LID: self.lid,
            P_POINT_TYPE: foc,
            P_POINT_ID: remote.guid,
        }
        if isinstance(gpid, tuple):
            payload[P_POINT_ENTITY_LID], payload[P_POINT_LID] = gpid
        self._client._crud.notify(E_DUPLICATED if remote.subid in known else E_CREATED, payload)

    def __unsub_notice(self, subid: object, feed: bool) -> Any:
        """Return a function that reports the subscription *subid* names deleted, when a
        deleted callback needs it (found before it goes)."""
        if not self._client._crud.wants(E_DELETED):
            return lambda: None
        try:
            remote = self.__get_remote(_unwrapped(subid), feed)
        except (KeyError, ValueError, TypeError):
            return lambda: None  # the unsubscribe call reports it
        payload = {P_RESOURCE: R_SUB, P_ID: remote.subid, P_ENTITY_LID: self.lid}
        return lambda: self._client._crud.notify(E_DELETED, payload)

    def unfollow(self, subid: object) -> None:
        """Stop following: by the RemoteFeed, its subid, the feed's guid or ``(lid, pid)``."""
        notice = self.__unsub_notice(subid, True)
        self._thing.unfollow(_unwrapped(subid))
        notice()

    def unattach(self, subid: object) -> None:
        """Detach: by the RemoteControl, its subid, the control's guid or ``(lid, pid)``."""
        notice = self.__unsub_notice(subid, False)
        self._thing.unattach(_unwrapped(subid))
        notice()

    def __get_remote(self, gpid: object, feed: bool) -> Any:
        mine, other = self._thing.get_remote_feed, self._thing.get_remote_control
        if not feed:
            mine, other = other, mine
        try:
            return mine(gpid)
        except IOTUnknown as exc:
            try:
                other(gpid)
            except (IOTUnknown, ValueError):
                what = "follows no feed" if feed else "is attached to no control"
                raise KeyError(f"thing {self.lid!r} {what} {gpid!r}") from exc
            call = "get_remote_control" if feed else "get_remote_feed"
            raise ValueError(
                f"thing {self.lid!r}'s subscription to {gpid!r} is "
                f"{'an attach' if feed else 'a follow'}: call {call}() instead"
            ) from exc

    def get_remote_feed(self, gpid: object) -> RemoteFeed:
        """The RemoteFeed of a feed the thing follows (by guid, ``(lid, pid)`` or subid): the
        one ``follow`` made, or one for a follow kept in the space from an earlier run (0.7.0
        gave an asynchronous follow's, once).

        Raises:
            KeyError: the thing does not follow that feed.
            ValueError: *gpid* is a control the thing is attached to.
        """
        remote = self.__get_remote(gpid, True)
        return RemoteFeed(remote, remote.subid, remote.guid, self.lid)

    def get_remote_control(self, gpid: object) -> RemoteControl:
        """The RemoteControl of a control the thing is attached to (see get_remote_feed).

        Raises:
            KeyError: the thing is not attached to that control.
            ValueError: *gpid* is a feed the thing follows.
        """
        remote = self.__get_remote(gpid, False)
        return RemoteControl(remote, remote.subid, remote.guid, self.lid)

    def list_connections(self, limit: int = 500, offset: int = 0) -> dict[str, dict[str, Any]]:
        """The thing's follows and attaches, as 0.7.0 gave them.

        Returns:
            ``{subid: {'id': remote point guid, 'entityId': its thing's guid (None when no
            longer visible), 'type': R_FEED or R_CONTROL}}``.
        """
        connections = list(self._thing.list_connections().items())[offset : offset + limit]
        result: dict[str, dict[str, Any]] = {}
        for subid, info in connections:
            described = self._client._modern.describe(info["guid"])
            result[subid] = {
                "id": info["guid"],
                "entityId": None if described is None else described.get("thing"),
                "type": _TYPES[info["type"]],
            }
        return result
