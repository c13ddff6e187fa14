"""py-IoticAgent's IOT.Point: the feeds and controls of the agent's things."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from iotic_app.client import Control as _ModernControl
from iotic_app.client import Feed as _ModernFeed
from iotic_app.client import PointDataObject
from iotic_app.ioticagent.Core.Const import R_CONTROL, R_FEED
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
        return PointMeta(self._point.get_meta(), None, self._client.default_lang)

    def create_tag(self, tags: str | list[str]) -> None:
        """Add one tag or a list of tags."""
        self._point.create_tag(tags)

    def delete_tag(self, tags: str | list[str]) -> None:
        """Remove one tag or a list of tags."""
        self._point.delete_tag(tags)

    def list_tag(self, limit: int = 50, offset: int = 0) -> list[str]:
        """The point's tags: at most *limit*, after skipping *offset*."""
        tags: list[str] = self._point.list_tag()
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


class Control(Point):
    """A control: other things ask or tell it; its callback gets each request."""

    _type = R_CONTROL
