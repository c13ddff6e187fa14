"""The client's search family: search, its reduced, located and minimal variants, by property."""

from __future__ import annotations

import builtins
import enum
from collections.abc import Mapping
from typing import Any

from iotic_app.client import _lookup
from iotic_app.client._session import Session

__all__ = ["Searching"]


class Searching:
    """The search calls of :class:`~iotic_app.client.Client` (a base class of it).

    Every call checks its arguments and asks the transport through the client's session;
    docs/search.md has the scopes and the result shapes.
    """

    __slots__ = ()

    _session: Session

    def search(
        self,
        text: str | None = None,
        location: Mapping[str, float] | tuple[float, float, float] | None = None,
        unit: str | None = None,
        limit: int = 50,
        offset: int = 0,
        *,
        lang: str | None = None,
        scope: str | enum.Enum = "public",
        with_pointless: bool = True,
    ) -> dict[str, Any]:
        """Search the things of every agent in the space (by default the public ones).

        A thing matches when it matches every criterion given: each word of *text* appears in
        its (or one of its points') label, description or tags, case-insensitively; it lies
        within *location*'s radius; one of its points declares a value with *unit*.

        Args:
            text: Words to look for.
            location: ``{'lat': .., 'long': .., 'radius': km}`` or ``(lat, lon, radius_km)``.
            unit: A unit URI (see :class:`~iotic_app.datatypes.Units`).
            limit: At most this many things (1-1000).
            offset: Skip this many first.
            lang: Match only labels and descriptions in this language (tags always), and
                return labels in it (None where a thing or point has none in it).
            scope: ``'public'`` (public things of every agent), ``'local'`` (those and the
                private ones of this agent's owner) or ``'localOwn'`` (the owner's things only,
                made by any of its agents); or a ``SearchScope`` member with one of those
                values.
            with_pointless: Also find things without feeds or controls (False: as
                py-IoticAgent's search, which did not).

        Returns:
            ``{thing_guid: {'label', 'lat', 'long', 'owner', 'points': {point_guid: {'label',
            'type', 'storesRecent'}}}}`` with ``'type'`` ``'Feed'`` or ``'Control'``,
            ``'owner'`` the thing's owner, ``'storesRecent'`` whether the feed keeps recent
            samples (``save_recent`` > 0); labels in English (or *lang*), else None.

        Raises:
            LinkException: the client is stopped.
            IOTSyncTimeout: the space did not answer in time (remote transports).
            TypeError, ValueError: no criterion given, or one is not valid.
        """
        result: dict[str, Any] = _lookup.search(
            self._session,
            text,
            location,
            unit,
            limit,
            offset,
            lang=lang,
            scope=scope,
            with_pointless=with_pointless,
        )
        return result

    def search_reduced(
        self,
        text: str | None = None,
        location: Mapping[str, float] | tuple[float, float, float] | None = None,
        unit: str | None = None,
        limit: int = 100,
        offset: int = 0,
        *,
        lang: str | None = None,
        scope: str | enum.Enum = "public",
        with_pointless: bool = True,
    ) -> dict[str, dict[str, str]]:
        """Search as :meth:`search` does; return only the points and their types.

        Returns:
            ``{thing_guid: {point_guid: 'Feed' or 'Control'}}``.

        Raises:
            As :meth:`search`.
        """
        result: dict[str, dict[str, str]] = _lookup.search(
            self._session,
            text,
            location,
            unit,
            limit,
            offset,
            lang=lang,
            scope=scope,
            type_="reduced",
            with_pointless=with_pointless,
        )
        return result

    def search_located(
        self,
        text: str | None = None,
        location: Mapping[str, float] | tuple[float, float, float] | None = None,
        unit: str | None = None,
        limit: int = 100,
        offset: int = 0,
        *,
        lang: str | None = None,
        scope: str | enum.Enum = "public",
        with_pointless: bool = True,
    ) -> dict[str, dict[str, Any]]:
        """Search as :meth:`search` does, for things with a location; return where they are.

        Returns:
            ``{thing_guid: {'g': (lat, long), 'l': label or None}}``.

        Raises:
            As :meth:`search`.
        """
        result: dict[str, dict[str, Any]] = _lookup.search(
            self._session,
            text,
            location,
            unit,
            limit,
            offset,
            lang=lang,
            scope=scope,
            type_="located",
            with_pointless=with_pointless,
        )
        return result

    def search_minimal(
        self,
        text: str | None = None,
        location: Mapping[str, float] | tuple[float, float, float] | None = None,
        unit: str | None = None,
        limit: int = 100,
        offset: int = 0,
        *,
        lang: str | None = None,
        scope: str | enum.Enum = "public",
        with_pointless: bool = True,
    ) -> builtins.list[str]:
        """Search as :meth:`search` does; return only the things' guids.

        Returns:
            ``[thing_guid, ...]``.

        Raises:
            As :meth:`search`.
        """
        result: builtins.list[str] = _lookup.search(
            self._session,
            text,
            location,
            unit,
            limit,
            offset,
            lang=lang,
            scope=scope,
            type_="minimal",
            with_pointless=with_pointless,
        )
        return result

    def search_property(
        self,
        props: object,
        limit: int = 50,
        offset: int = 0,
        type_: str | enum.Enum = "full",
        scope: str | enum.Enum = "public",
        lang: str | None = None,
        with_pointless: bool = False,
    ) -> Any:
        """Search the things that have every one of the semantic properties *props*.

        Args:
            props: One ``(predicate, object)`` tuple or a list of them, as given to
                :meth:`Thing.create_property` (a third member: the object's XSD type).
            limit: At most this many things (1-1000).
            offset: Skip this many first.
            type_: The result's shape: ``'full'`` (as :meth:`search`), ``'reduced'`` (as
                :meth:`search_reduced`), ``'located'`` or ``'minimal'``; or a ``SearchType``.
            scope: As for :meth:`search`.
            lang: Return labels in this language.
            with_pointless: Also find things without feeds or controls.

        Returns:
            The result of *type_*'s shape.

        Raises:
            LinkException: the client is stopped.
            IOTSyncTimeout: the space did not answer in time (remote transports).
            TypeError, ValueError: an argument is not valid.
        """
        return _lookup.search_property(
            self._session,
            props,
            limit,
            offset,
            lang=lang,
            scope=scope,
            type_=type_,
            with_pointless=with_pointless,
        )
