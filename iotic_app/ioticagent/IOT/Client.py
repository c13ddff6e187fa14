"""py-IoticAgent's IOT.Client: the classic client API, an adapter over ``iotic_app.Client``."""

from __future__ import annotations

import builtins
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Any

from iotic_app.client import Client as _ModernClient
from iotic_app.client import RemoteControl as _ModernRemoteControl
from iotic_app.client import RemoteFeed as _ModernRemoteFeed

# 0.7.0's module imported these; kept, so `from IoticAgent.IOT.Client import *` binds them.
from iotic_app.ioticagent.Core.compat import Mapping, raise_from, string_types
from iotic_app.ioticagent.Core.Const import (
    E_CREATED,
    E_DELETED,
    E_DUPLICATED,
    E_FAILED_CODE_ACCESSDENIED,
    E_FAILED_CODE_INTERNALERROR,
    E_FAILED_CODE_MALFORMED,
    E_FAILED_CODE_NOTALLOWED,
    E_FAILED_CODE_UNKNOWN,
    M_CLIENTREF,
    M_PAYLOAD,
    P_CODE,
    P_DATA,
    P_ENTITY_LID,
    P_EPID,
    P_ID,
    P_LID,
    P_MESSAGE,
    P_POINT_ID,
    P_POINT_TYPE,
    P_RESOURCE,
    R_CONTROL,
    R_ENTITY,
    R_FEED,
    R_SUB,
    DescribeScope,
    SearchScope,
    SearchType,
)
from iotic_app.ioticagent.IOT import _props
from iotic_app.ioticagent.IOT._adapt import CompatCallback, has_thing, wrap_feed_callback
from iotic_app.ioticagent.IOT._configure import resolve, sync_timeout_of
from iotic_app.ioticagent.IOT._crud import Crud
from iotic_app.ioticagent.IOT._requests import RequestsMixin
from iotic_app.ioticagent.IOT.Config import Config
from iotic_app.ioticagent.IOT.Exceptions import (
    IOTAccessDenied,
    IOTClientError,
    IOTException,
    IOTInternalError,
    IOTMalformed,
    IOTNotAllowed,
    IOTSyncTimeout,
    IOTUnknown,
)
from iotic_app.ioticagent.IOT.Point import Control, Point
from iotic_app.ioticagent.IOT.RemotePoint import RemoteControl, RemoteFeed
from iotic_app.ioticagent.IOT.Thing import Thing

__all__ = [
    "E_FAILED_CODE_ACCESSDENIED",
    "E_FAILED_CODE_INTERNALERROR",
    "E_FAILED_CODE_MALFORMED",
    "E_FAILED_CODE_NOTALLOWED",
    "E_FAILED_CODE_UNKNOWN",
    "M_CLIENTREF",
    "M_PAYLOAD",
    "P_CODE",
    "P_DATA",
    "P_ENTITY_LID",
    "P_EPID",
    "P_ID",
    "P_LID",
    "P_MESSAGE",
    "P_POINT_ID",
    "P_POINT_TYPE",
    "P_RESOURCE",
    "R_CONTROL",
    "R_ENTITY",
    "R_FEED",
    "R_SUB",
    "Client",
    "Config",
    "Control",
    "DescribeScope",
    "IOTAccessDenied",
    "IOTClientError",
    "IOTException",
    "IOTInternalError",
    "IOTMalformed",
    "IOTNotAllowed",
    "IOTSyncTimeout",
    "IOTUnknown",
    "Mapping",
    "Point",
    "RemoteControl",
    "RemoteFeed",
    "SearchScope",
    "SearchType",
    "Thing",
    "raise_from",
    "string_types",
]

#: The language of labels given without one when the config names none (iotic_app's default).
_DEFAULT_LANG = "en"


def _resource(guid_or_resource: object) -> object:
    """A compat resource as the iotic_app object it wraps; a guid unchanged."""
    if isinstance(guid_or_resource, Thing):
        return guid_or_resource._thing
    if isinstance(guid_or_resource, Point):
        return guid_or_resource._point
    if isinstance(guid_or_resource, RemoteFeed | RemoteControl):
        return guid_or_resource._remote
    return guid_or_resource


def _check_describe(lang: object, scope: object) -> None:
    """Check describe's *lang* (None or a str) and *scope* (a ``DescribeScope`` value)."""
    if lang is not None and not isinstance(lang, str):
        raise TypeError(f"lang must be a language code or None, got {lang!r}")
    value = scope.value if isinstance(scope, DescribeScope) else scope
    if value not in {member.value for member in DescribeScope}:
        raise ValueError(f"scope must be a DescribeScope value, got {scope!r}")


def _check_callable(callback: object) -> None:
    if not callable(callback):
        raise TypeError(f"callback must be callable or None, got {callback!r}")


def _location(location: tuple[float, float] | None) -> tuple[float | None, float | None]:
    return (None, None) if location is None else (location[0], location[1])


class Client(RequestsMixin):
    """An agent's connection to the space, with py-IoticAgent 0.7.0's API.

    Wraps an ``iotic_app.Client`` made from *config* (None: ``<script>.ini`` in the working
    directory, else ``$IOTIC_APP_CONFIG``, else ``local://``). Results and callback argument
    dicts have 0.7.0's shapes; docs/porting.md lists every difference.
    """

    def __init__(self, config: Any = None) -> None:
        """Parse *config* (an .ini path, an ``IOT.Config``, a URL, an ``AgentConfig`` or
        None); connect on start().

        Raises:
            ValueError: the config is not valid, or ``iot.sync_request_timeout`` is not a
                whole number of seconds of 1 or more.
        """
        self.__config, modern = resolve(config)
        self.__sync_timeout = sync_timeout_of(self.__config)
        self._modern = _ModernClient(modern)
        self._crud = Crud(self._modern)
        self.__config.setup_logging()

    # --- lifecycle --------------------------------------------------------------------------

    @property
    def agent_id(self) -> str:
        """The agent's id."""
        return self._modern.agent_id

    @property
    def default_lang(self) -> str:
        """The language of labels and descriptions given without one."""
        return self._modern.config.lang or _DEFAULT_LANG

    @property
    def local_meta(self) -> bool:
        """Whether local search (``SearchScope.LOCAL``, ``LOCAL_OWN``) is available: once
        started (iotic_app's spaces always have it); False before start(), as in 0.7.0."""
        return self._modern.is_connected()

    @property
    def sync_timeout(self) -> int:
        """``iot.sync_request_timeout`` (seconds; 330 by default), read and checked as 0.7.0
        did; iotic_app's own request timeouts apply to the calls."""
        return self.__sync_timeout

    def save_config(self) -> None:
        """Write the config back to its .ini file, with ``agent.lang`` set to the default
        language (0.7.0 wrote its QAPI seqnum too, which iotic_app has none of).

        Raises:
            ValueError: the config came from no .ini file (a URL, a string,
                ``$IOTIC_APP_CONFIG`` or the embedded space).
        """
        source = self._modern.config.source
        if source is None:
            raise ValueError(
                f"the config came from no .ini file ({self._modern.config.url}), no filename "
                "to save it to"
            )
        self.__config.set("agent", "lang", self.default_lang)
        self.__config.save(source)

    def start(self) -> Client:
        """Connect (idempotent); returns the client, as 0.7.0's did."""
        self._modern.start()
        return self

    def stop(self) -> None:
        """Disconnect (idempotent)."""
        self._modern.stop()

    def close(self) -> None:
        """Stop and release files, threads and sockets (iotic_app's; the runner calls it)."""
        self._modern.close()

    def is_connected(self) -> bool:
        """Whether the client is started and connected."""
        return self._modern.is_connected()

    @property
    def failure(self) -> BaseException | None:
        """The failure for good, if any (iotic_app's; the runner watches it)."""
        return self._modern.failure

    def add_failure_listener(self, listener: Callable[[BaseException], None]) -> None:
        """Call *listener* on the failure for good (iotic_app's; the runner uses it)."""
        self._modern.add_failure_listener(listener)

    def in_callback(self) -> bool:
        """Whether the calling thread runs one of this client's callbacks (iotic_app's)."""
        return self._modern.in_callback()

    def __enter__(self) -> Client:
        """Start; ``with Client(...)`` stops and closes at the end."""
        self._modern.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop and close."""
        self._modern.__exit__(exc_type, exc_value, traceback)

    def __repr__(self) -> str:
        """Show the wrapped client."""
        return f"IOT.Client({self._modern!r})"

    # --- callbacks --------------------------------------------------------------------------

    def register_catchall_feeddata(
        self, callback: CompatCallback | None, callback_parsed: CompatCallback | None = None
    ) -> None:
        """Receive feed data of follows without a callback (0.7.0's dicts, naive UTC time)."""
        self._modern.register_catchall_feeddata(
            wrap_feed_callback(callback), wrap_feed_callback(callback_parsed)
        )

    def register_catchall_controlreq(
        self, callback: CompatCallback | None, callback_parsed: CompatCallback | None = None
    ) -> None:
        """Receive requests for controls without a callback."""
        self._modern.register_catchall_controlreq(callback, callback_parsed)

    def register_callback_subscribed(self, callback: Callable[[Any], Any] | None) -> None:
        """Call *callback* with a RemoteFeed or RemoteControl when one of the agent's things
        makes a new follow or attach (not when something else follows the agent's points)."""
        if callback is None:
            self._modern.register_callback_subscribed(None)
            return
        _check_callable(callback)

        def subscribed(remote: _ModernRemoteFeed | _ModernRemoteControl) -> None:
            wrap = RemoteFeed if isinstance(remote, _ModernRemoteFeed) else RemoteControl
            callback(wrap(remote, remote.subid, remote.guid, remote.thing.lid))

        self._modern.register_callback_subscribed(subscribed)

    def register_callback_subscription(self, callback: CompatCallback | None) -> None:
        """Call *callback* when the number of things following (or attached to) one of the
        agent's points changes, with ``OrderedDict`` ``r`` (R_FEED or R_CONTROL), ``lid`` (the
        point's pid), ``entityLid`` (its thing's lid) and ``subCount``."""
        if callback is None:
            self._modern.register_callback_subscription(None)
            return
        _check_callable(callback)

        def subscription(args: dict[str, Any]) -> None:
            callback(
                OrderedDict(
                    (
                        (P_RESOURCE, R_FEED if args["type"] == "Feed" else R_CONTROL),
                        (P_LID, args["lid"]),
                        (P_ENTITY_LID, args["entityLid"]),
                        ("subCount", args["subCount"]),
                    )
                )
            )

        self._modern.register_callback_subscription(subscription)

    def simulate_feeddata(
        self, feedid: str, data: Any, mime: str | None = None, time: datetime | None = None
    ) -> None:
        """Deliver *data* as if feed *feedid* (its guid) had shared it, to the callbacks of the
        agent's follows of it, else the catch-all; nothing is sent (0.7.0's test aid).

        *time* is a UTC datetime (naive is taken as UTC), default now.
        """
        self._modern.simulate_feeddata(feedid, data, mime, time)

    def register_callback_created(
        self, func: CompatCallback | None, serialised: bool = True
    ) -> None:
        """Call *func* when this client creates a resource: an ``OrderedDict`` ``r``
        (``R_ENTITY``, ``R_FEED``, ``R_CONTROL``, ``R_SUB``), ``lid``, ``id`` and ``epId`` for a
        thing; ``r``, ``lid`` (pid), ``entityLid``, ``id`` for a point; for a follow or attach
        ``r`` ``R_SUB``, ``id`` (subid), ``entityLid``, ``pointType``, ``pointId`` (and
        ``pointEntityLid``, ``pointLid`` when made by ``(lid, pid)``). On the client's worker,
        in order (*serialised* is always so); other processes' creations are not reported."""
        self._crud.register(E_CREATED, func, serialised)

    def register_callback_duplicate(
        self, func: CompatCallback | None, serialised: bool = True
    ) -> None:
        """As :meth:`register_callback_created`, when the resource existed already (created
        again: the existing one's payload)."""
        self._crud.register(E_DUPLICATED, func, serialised)

    def register_callback_deleted(
        self, func: CompatCallback | None, serialised: bool = True
    ) -> None:
        """Call *func* when this client deletes a resource: ``r``, ``lid``, ``id`` (a point's
        with ``entityLid``; a follow's or attach's ``r`` ``R_SUB``, ``id`` its subid,
        ``entityLid``)."""
        self._crud.register(E_DELETED, func, serialised)

    def confirm_tell(self, data: Mapping[str, Any], success: bool) -> None:
        """Confirm a tell: *data* is the request dict the control callback got."""
        self._modern.confirm_tell(data, success)

    # --- things -----------------------------------------------------------------------------

    def list(
        self, all_my_agents: bool = False, limit: int = 500, offset: int = 0
    ) -> dict[str, dict[str, Any]]:
        """The agent's things (*all_my_agents*: those of every agent of its owner), in 0.7.0's
        shape: ``{lid: {'id': thing_guid, 'epId': agent, 'public': bool}}``."""
        if not isinstance(all_my_agents, bool):
            raise TypeError(f"all_my_agents must be True or False, got {all_my_agents!r}")
        return self._list_entities(all_my_agents, limit, offset)

    def get_thing(self, lid: str) -> Thing:
        """The agent's existing thing *lid*."""
        return Thing._wrap(self, self._modern.get_thing(lid))

    def create_thing(self, lid: str) -> Thing:
        """Create a thing, or return the existing one with that lid."""
        existed = self._crud.wants(E_CREATED, E_DUPLICATED) and has_thing(self._modern, lid)
        thing = Thing._wrap(self, self._modern.create_thing(lid))
        self._crud.notify(
            E_DUPLICATED if existed else E_CREATED,
            {P_RESOURCE: R_ENTITY, P_LID: lid, P_ID: thing.guid, P_EPID: self.agent_id},
        )
        return thing

    def delete_thing(self, lid: str) -> None:
        """Delete the thing *lid*."""
        guid = self._modern.get_thing(lid).guid if self._crud.wants(E_DELETED) else ""
        self._modern.delete_thing(lid)
        self._crud.notify(E_DELETED, {P_RESOURCE: R_ENTITY, P_LID: lid, P_ID: guid})

    # --- search and describe ----------------------------------------------------------------

    def search(
        self,
        text: str | None = None,
        lang: str | None = None,
        location: Mapping[str, float] | None = None,
        unit: str | None = None,
        limit: int = 50,
        offset: int = 0,
        reduced: bool = False,
        scope: SearchScope | str = SearchScope.PUBLIC,
    ) -> dict[str, Any]:
        """Search things with at least one point, as 0.7.0 did (iotic_app's finds all).

        Returns:
            ``{thing_guid: {'label', 'lat', 'long', 'owner', 'points': {point_guid: {'label',
            'type', 'storesRecent'}}}}``; with *reduced*, ``{thing_guid: {point_guid: type}}``.
        """
        if reduced:
            return self.search_reduced(text, lang, location, unit, limit, offset, scope)
        return self._modern.search(
            text, location, unit, limit, offset, lang=lang, scope=scope, with_pointless=False
        )

    def search_reduced(
        self,
        text: str | None = None,
        lang: str | None = None,
        location: Mapping[str, float] | None = None,
        unit: str | None = None,
        limit: int = 100,
        offset: int = 0,
        scope: SearchScope | str = SearchScope.PUBLIC,
    ) -> dict[str, dict[str, str]]:
        """As :meth:`search`: ``{thing_guid: {point_guid: 'Feed'|'Control'}}``."""
        return self._modern.search_reduced(
            text, location, unit, limit, offset, lang=lang, scope=scope, with_pointless=False
        )

    def search_located(
        self,
        text: str | None = None,
        lang: str | None = None,
        location: Mapping[str, float] | None = None,
        unit: str | None = None,
        limit: int = 100,
        offset: int = 0,
        scope: SearchScope | str = SearchScope.PUBLIC,
    ) -> dict[str, dict[str, Any]]:
        """As :meth:`search`, things with a location: ``{thing_guid: {'g': (lat, long), 'l'}}``."""
        return self._modern.search_located(
            text, location, unit, limit, offset, lang=lang, scope=scope, with_pointless=False
        )

    def search_minimal(
        self,
        text: str | None = None,
        lang: str | None = None,
        location: Mapping[str, float] | None = None,
        unit: str | None = None,
        limit: int = 100,
        offset: int = 0,
        scope: SearchScope | str = SearchScope.PUBLIC,
    ) -> builtins.list[str]:
        """As :meth:`search`: the things' guids, ``[thing_guid, ...]``."""
        return self._modern.search_minimal(
            text, location, unit, limit, offset, lang=lang, scope=scope, with_pointless=False
        )

    def search_property(
        self,
        props: object,
        limit: int = 50,
        offset: int = 0,
        type_: SearchType | str = SearchType.FULL,
        scope: SearchScope | str = SearchScope.PUBLIC,
        lang: str | None = None,
        with_pointless: bool = False,
    ) -> Any:
        """Search things with every one of the semantic properties *props* (``(predicate,
        object)`` tuples; rdflib terms or str): the result of *type_*'s shape, as search's."""
        return self._modern.search_property(
            _props.props(props), limit, offset, type_, scope, lang, with_pointless
        )

    def search_property_reduced(
        self,
        props: object,
        limit: int = 100,
        offset: int = 0,
        scope: SearchScope | str = SearchScope.PUBLIC,
        with_pointless: bool = False,
    ) -> dict[str, dict[str, str]]:
        """``search_property(type_=SearchType.REDUCED)``."""
        result: dict[str, dict[str, str]] = self.search_property(
            props, limit, offset, SearchType.REDUCED, scope, None, with_pointless
        )
        return result

    def search_property_located(
        self,
        props: object,
        limit: int = 100,
        offset: int = 0,
        scope: SearchScope | str = SearchScope.PUBLIC,
        lang: str | None = None,
        with_pointless: bool = False,
    ) -> dict[str, dict[str, Any]]:
        """``search_property(type_=SearchType.LOCATED)``."""
        result: dict[str, dict[str, Any]] = self.search_property(
            props, limit, offset, SearchType.LOCATED, scope, lang, with_pointless
        )
        return result

    def search_property_minimal(
        self,
        props: object,
        limit: int = 100,
        offset: int = 0,
        scope: SearchScope | str = SearchScope.PUBLIC,
        with_pointless: bool = False,
    ) -> builtins.list[str]:
        """``search_property(type_=SearchType.MINIMAL)``."""
        result: builtins.list[str] = self.search_property(
            props, limit, offset, SearchType.MINIMAL, scope, None, with_pointless
        )
        return result

    def describe(
        self,
        guid_or_resource: object,
        lang: str | None = None,
        scope: DescribeScope | str = DescribeScope.AUTO,
    ) -> dict[str, Any]:
        """Describe a thing or point in 0.7.0's shape (nested under ``'meta'``).

        *lang* and *scope* are taken and checked, but the description is iotic_app's: labels
        in the agent's language and whatever this agent may see (docs/porting.md).

        Returns:
            A thing: ``{'type': 'Entity', 'meta': {'label', 'comment', 'parent', 'lat', 'long',
            'tags', 'points': [{'type', 'label', 'guid', 'storesRecent'}]}}``; a point:
            ``{'type': 'Point', 'meta': {'label', 'comment', 'parent', 'tags', 'values':
            [{'label', 'type', 'unit', 'comment'}], 'storesRecent'}}``.

        Raises:
            IOTUnknown: no such thing or point is visible to this agent.
        """
        _check_describe(lang, scope)
        described = self._modern.describe(_resource(guid_or_resource))
        if described is None:
            raise IOTUnknown(f"no thing or point {guid_or_resource!r} is visible to this agent")
        if described["type"] == "Thing":
            return self.__thing(described)
        return {"type": "Point", "meta": self.__point(described)}

    def __thing(self, described: dict[str, Any]) -> dict[str, Any]:
        lat, lon = _location(described["location"])
        points = []
        for point in described["points"]:
            about = self._modern.describe(point["guid"])
            stores = bool(about and about["type"] == "Feed" and about["recent"] > 0)
            entry = {"type": point["type"], "label": point["label"], "guid": point["guid"]}
            points.append({**entry, "storesRecent": stores})
        meta = {
            "label": described["label"],
            "comment": described["description"],
            "parent": described["agent"],
            "lat": lat,
            "long": lon,
            "tags": described["tags"],
            "points": points,
        }
        return {"type": "Entity", "meta": meta}

    @staticmethod
    def __point(described: dict[str, Any]) -> dict[str, Any]:
        values = [
            {
                "label": value["label"],
                "type": value["type"],
                "unit": value["unit"],
                "comment": value["description"],
            }
            for value in described["values"]
        ]
        return {
            "label": described["label"],
            "comment": described["description"],
            "parent": described["thing"],
            "tags": described["tags"],
            "values": values,
            "storesRecent": described["type"] == "Feed" and described["recent"] > 0,
        }
