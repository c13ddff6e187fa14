"""py-IoticAgent's IOT.Point: the feeds and controls of the agent's things."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import TYPE_CHECKING, Any

from iotic_app.client import Control as _ModernControl
from iotic_app.client import Feed as _ModernFeed
from iotic_app.client import PointDataObject
from iotic_app.ioticagent.Core.Const import R_CONTROL, R_FEED
from iotic_app.ioticagent.IOT import _rdf
from iotic_app.ioticagent.IOT.Exceptions import IOTUnknown
from iotic_app.ioticagent.IOT.PointMeta import PointMeta

if TYPE_CHECKING:
    from iotic_app.ioticagent.IOT.Client import Client

# 0.7.0's module imported these; kept, so `from IoticAgent.IOT.Point import *` binds them.
from iotic_app.ioticagent.Core.compat import (
    Mapping,
    Sequence,
    ensure_unicode,
    raise_from,
    string_types,
)

__all__ = [
    "R_CONTROL",
    "R_FEED",
    "Control",
    "Feed",
    "Mapping",
    "Point",
    "PointDataObject",
    "PointMeta",
    "Sequence",
    "ensure_unicode",
    "raise_from",
    "string_types",
]


#: 0.7.0's "as many as the space keeps" (save_recent < 0): the most iotic_app's feeds keep.
MAX_SAVE_RECENT = 1000


def _check_int(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got {value!r}")
    return value


def _page(name: str, limit: object, offset: object) -> slice:
    """The slice *limit* and *offset* ask for (0.7.0's paging arguments), checked."""
    for what, value in (("limit", limit), ("offset", offset)):
        if _check_int(what, value) < 0:
            raise ValueError(f"{name}: {what} must be a non-negative int, got {value!r}")
    assert isinstance(limit, int) and isinstance(offset, int)
    return slice(offset, offset + limit)


class Point:
    """A feed or control of one of the agent's things (over iotic_app's Feed/Control)."""

    _type = R_FEED

    def __init__(self, client: Client, lid: str, pid: str, guid: str) -> None:
        """Made by ``Thing.create_feed``/``create_control`` and the getters."""
        self._client = client
        self.__lid = lid
        self.__pid = pid
        self.__guid = guid
        self._point: Any = None  # the modern Feed or Control, set by _wrap

    @classmethod
    def _wrap(cls, client: Client, point: _ModernFeed | _ModernControl) -> Any:
        wrapped = cls(client, point.lid, point.pid, point.guid)
        wrapped._point = point
        return wrapped

    def __str__(self) -> str:
        """``'<guid> (<foc>: <lid>, <pid>)'``."""
        return f"{self.guid} ({self.foc}: {self.lid}, {self.pid})"

    def __eq__(self, other: object) -> bool:
        """Equal when the same point (by guid)."""
        return isinstance(other, Point) and other.guid == self.guid

    def __hash__(self) -> int:
        """Hash of the guid."""
        return hash(self.guid)

    @property
    def guid(self) -> str:
        """The point's guid."""
        return self.__guid

    @property
    def lid(self) -> str:
        """The local id of the point's thing."""
        return self.__lid

    @property
    def pid(self) -> str:
        """The point's id within its thing."""
        return self.__pid

    @property
    def foc(self) -> str:
        """``'feed'`` or ``'control'``."""
        return "feed" if self._type == R_FEED else "control"

    def get_meta(self) -> PointMeta:
        """An editor of the point's labels and descriptions; applied on leaving ``with``."""
        meta = PointMeta(self._point.get_meta(), None, self._client.default_lang)
        meta._reload = self._point.get_meta
        return meta

    def get_meta_rdf(self, fmt: str = "n3") -> str:
        """The point's labels and descriptions as RDF text in *fmt* (``'xml'``, ``'n3'`` or
        ``'turtle'``), as 0.7.0's: iotic's ``pointLabel``/``pointComment`` about
        ``urn:uuid:<guid>``. Needs rdflib (``iotic_app[rdf]``).

        Raises:
            ImportError: rdflib is not installed.
            TypeError, ValueError: *fmt* is not one of those.
        """
        fmt = _rdf.check_fmt(fmt)
        meta = self._point.get_meta()
        graph = _rdf.make_graph(self.guid, _rdf.POINT, meta.labels, meta.descriptions)
        text: str = graph.serialize(format=fmt)
        return text

    def set_meta_rdf(self, rdf: str, fmt: str = "n3") -> None:
        """Set the point's labels and descriptions from RDF text in *fmt* (see
        ``Thing.set_meta_rdf``).

        Raises:
            ImportError: rdflib is not installed.
            TypeError, ValueError: *rdf* or *fmt* is not valid.
        """
        _rdf.set_meta(self._point.get_meta(), rdf, fmt, _rdf.POINT, self._client.default_lang)

    def create_tag(self, tags: str | builtins.list[str]) -> None:
        """Add one tag or a list of tags."""
        self._point.create_tag(tags)

    def delete_tag(self, tags: str | builtins.list[str]) -> None:
        """Remove one tag or a list of tags."""
        self._point.delete_tag(tags)

    def list_tag(self, limit: int = 50, offset: int = 0) -> builtins.list[str]:
        """The point's tags: at most *limit*, after skipping *offset*."""
        tags: builtins.list[str] = self._point.list_tag()
        return tags[offset : offset + limit]

    def create_value(
        self,
        label: str,
        vtype: str,
        lang: str | None = None,
        description: str | None = None,
        unit: str | None = None,
    ) -> None:
        """Declare a value of the point's data (see iotic_app's ``create_value``)."""
        self._point.create_value(label, vtype, lang=lang, description=description, unit=unit)

    def delete_value(self, label: str | None = None) -> None:
        """Remove the declared value *label* (None: all the point's values)."""
        self._point.delete_value(label)

    def list(self, limit: int = 50, offset: int = 0) -> builtins.list[dict[str, Any]]:
        """The values the point declares, in 0.7.0's shape: at most *limit*, after *offset*.

        Returns:
            ``[{'label', 'type', 'unit', 'comment': {lang: description}}, ...]`` in
            declaration order (``comment`` ``{}`` when the value has no description).
        """
        page = _page("list", limit, offset)
        values = self._point.get_template().filter_by(include_unset=True)
        return [
            {
                "label": value.label,
                "type": value.type_,
                "unit": value.unit,
                "comment": (
                    {}
                    if value.description is None
                    else {value.lang or self._client.default_lang: value.description}
                ),
            }
            for value in values[page]
        ]

    def list_followers(self) -> dict[str, str]:
        """The things that follow this feed (or attach to this control), whoever's they are:
        ``{subscription id: follower thing guid}``, as the space keeps them."""
        followers: dict[str, str] = self._point.list_followers()
        return followers


class Feed(Point):
    """A feed: share values with its followers."""

    _type = R_FEED
    _point: _ModernFeed

    def get_template(self) -> PointDataObject:
        """A template of the feed's values, to fill in and share."""
        return self._point.get_template()

    def share(self, data: Any, mime: str | None = None, time: datetime | None = None) -> None:
        """Share one sample; *time* a UTC datetime (naive is taken as UTC), default now."""
        self._point.share(data, mime, time)

    def get_recent_info(self) -> dict[str, int]:
        """How many samples the feed keeps for ``get_recent`` and how many it holds now.

        Returns:
            ``{'maxSamples': n, 'count': m}``, as 0.7.0; with ``maxSamples`` 0, ``count`` is 0
            (iotic_app keeps the last sample even then, for ``get_last``).

        Raises:
            IOTUnknown: the feed was deleted.
        """
        described = self._client._modern.describe(self.guid)
        if described is None:
            raise IOTUnknown(f"feed {self.pid!r} of thing {self.lid!r} is gone")
        max_samples = int(described["recent"])
        count = len(self._point.get_recent(max_samples)) if max_samples > 0 else 0
        return {"maxSamples": max_samples, "count": count}

    def set_recent_config(self, max_samples: int = 0) -> dict[str, int]:
        """Set how many samples the feed keeps for ``get_recent`` (iotic_app's ``save_recent``).

        Args:
            max_samples: How many (more than 1000: 1000); negative: as many as iotic_app
                keeps (1000). 0, which disabled the store in 0.7.0, leaves the setting as it is:
                iotic_app's feeds cannot stop keeping samples once they do.

        Returns:
            ``{'maxSamples': n}``, the setting now.

        Raises:
            TypeError: *max_samples* is not an int.
        """
        _check_int("max_samples", max_samples)
        if max_samples != 0:
            keep = MAX_SAVE_RECENT if max_samples < 0 else min(max_samples, MAX_SAVE_RECENT)
            self._point.thing.create_feed(self.pid, keep)
        return {"maxSamples": self.get_recent_info()["maxSamples"]}


class Control(Point):
    """A control: other things ask or tell it; its callback gets each request."""

    _type = R_CONTROL
