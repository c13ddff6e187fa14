"""Metadata editors returned by ``get_meta()``: change in a ``with`` block, applied on exit."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from iotic_app.client._check import check_lang, check_tags
from iotic_app.transports._protocol import Meta

if TYPE_CHECKING:
    from iotic_app.client._session import Session
    from iotic_app.transports._protocol import PointRef, ThingRef

__all__ = ["PointMeta", "Tagged", "ThingMeta"]

DEFAULT_LANG = "en"

Apply = Callable[[dict[str, str], dict[str, str], "tuple[float, float] | None"], None]


def _text(what: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, got {value!r}")
    if not value.strip():
        raise ValueError(f"{what} must not be empty, got {value!r}")
    return value


def _lang(lang: object, default: str) -> str:
    checked = check_lang(lang)
    return default if checked is None else checked.lower()


class _BaseMeta:
    """Labels and descriptions per language, applied by ``set()`` or on leaving ``with``."""

    __slots__ = ("_apply", "_default_lang", "_descriptions", "_labels", "_location")

    def __init__(self, meta: Meta, apply: Apply, default_lang: str | None = None) -> None:
        self._labels = dict(meta.labels)
        self._descriptions = dict(meta.descriptions)
        self._location = meta.location
        self._apply = apply
        # lang=None means this: the config's lang, else English
        self._default_lang = DEFAULT_LANG if default_lang is None else default_lang

    def set_label(self, label: str, lang: str | None = None) -> None:
        """Set the label in *lang* (default: the config's ``lang``, else ``'en'``).

        Args:
            label: The label.
            lang: A language code, or None.

        Raises:
            TypeError: *label* is not a str.
            ValueError: *label* is empty or *lang* is not a language code.
        """
        self._labels[_lang(lang, self._default_lang)] = _text("label", label)

    def get_label(self, lang: str | None = None) -> str | None:
        """Return the label in *lang* (default: the config's ``lang``, else ``'en'``), or None.

        Args:
            lang: A language code, or None.

        Returns:
            The label or None.
        """
        return self._labels.get(_lang(lang, self._default_lang))

    @property
    def labels(self) -> dict[str, str]:
        """Every label, by language code (a copy: edit with :meth:`set_label`)."""
        return dict(self._labels)

    @property
    def descriptions(self) -> dict[str, str]:
        """Every description, by language code (a copy: edit with :meth:`set_description`)."""
        return dict(self._descriptions)

    def delete_label(self, lang: str | None = None) -> None:
        """Remove the label in *lang* (default: the config's ``lang``, else ``'en'``), if any.

        Args:
            lang: A language code, or None.
        """
        self._labels.pop(_lang(lang, self._default_lang), None)

    def set_description(self, description: str, lang: str | None = None) -> None:
        """Set the description in *lang* (default: the config's ``lang``, else ``'en'``).

        Args:
            description: The description.
            lang: A language code, or None.

        Raises:
            TypeError: *description* is not a str.
            ValueError: *description* is empty or *lang* is not a language code.
        """
        self._descriptions[_lang(lang, self._default_lang)] = _text("description", description)

    def get_description(self, lang: str | None = None) -> str | None:
        """Return the description in *lang* (default: the config's ``lang``, else ``'en'``), or
        None.

        Args:
            lang: A language code, or None.

        Returns:
            The description or None.
        """
        return self._descriptions.get(_lang(lang, self._default_lang))

    def delete_description(self, lang: str | None = None) -> None:
        """Remove the description in *lang* (default: the config's ``lang``, else ``'en'``), if any.

        Args:
            lang: A language code, or None.
        """
        self._descriptions.pop(_lang(lang, self._default_lang), None)

    def set(self) -> None:
        """Apply the changes now (``with`` does this on a clean exit).

        Raises:
            LinkException: the client is stopped.
        """
        self._apply(dict(self._labels), dict(self._descriptions), self._location)

    def __enter__(self) -> Any:
        """Return self, to change in the block."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Apply the changes unless the block raised."""
        if exc_type is None:
            self.set()


class ThingMeta(_BaseMeta):
    """A thing's metadata: label, description (per language) and location.

    Use as ``with thing.get_meta() as meta: meta.set_label('Boiler')``; the changes are applied
    when the block ends without an exception (or by :meth:`set`).
    """

    __slots__ = ()

    def __enter__(self) -> ThingMeta:
        """Return self, to change in the block."""
        return self

    def set_location(self, lat: float, lon: float) -> None:
        """Set the thing's location (WGS84 degrees).

        Args:
            lat: Latitude, -90 to 90.
            lon: Longitude, -180 to 180.

        Raises:
            TypeError: *lat* or *lon* is not a number.
            ValueError: *lat* or *lon* is out of range.
        """
        for name, value, bound in (("lat", lat, 90.0), ("lon", lon, 180.0)):
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise TypeError(f"{name} must be a number of degrees, got {value!r}")
            if not (math.isfinite(value) and -bound <= value <= bound):
                raise ValueError(f"{name} must be between -{bound:g} and {bound:g}, got {value!r}")
        self._location = (float(lat), float(lon))

    def get_location(self) -> tuple[float | None, float | None]:
        """Return ``(lat, lon)``, or ``(None, None)`` when no location is set.

        Returns:
            The location.
        """
        if self._location is None:
            return (None, None)
        return self._location

    def delete_location(self) -> None:
        """Remove the location."""
        self._location = None


class PointMeta(_BaseMeta):
    """A feed's or control's metadata: label and description (per language).

    Use as ``with feed.get_meta() as meta: meta.set_label('Temperature')``.
    """

    __slots__ = ()

    def __enter__(self) -> PointMeta:
        """Return self, to change in the block."""
        return self


R = TypeVar("R", "ThingRef", "PointRef")
M = TypeVar("M", ThingMeta, PointMeta)


class Tagged(Generic[R]):
    """What a thing and its points have in common: the guid, tags and the metadata editor."""

    __slots__ = ()

    _session: Session
    _ref: R

    @property
    def guid(self) -> str:
        """The guid: how other agents find, follow or attach to it."""
        return self._ref.guid

    def _editor(self, editor: type[M], with_location: bool) -> M:
        """Return an *editor* of the current metadata that writes it back when applied."""
        session = self._session
        ref = self._ref

        def apply(
            labels: dict[str, str],
            descriptions: dict[str, str],
            location: tuple[float, float] | None,
        ) -> None:
            session.link().write_meta(
                ref, labels, descriptions, location if with_location else None
            )

        return editor(session.link().read_meta(ref), apply, session.lang)

    def create_tag(self, tags: str | Iterable[str]) -> None:
        """Add one tag or several.

        Args:
            tags: A tag or a list of tags (no spaces).

        Raises:
            LinkException: the client is stopped.
            TypeError, ValueError: a tag is not valid.
        """
        checked = check_tags("tags", tags)
        self._session.link().change_tags(self._ref, checked, ())

    def delete_tag(self, tags: str | Iterable[str]) -> None:
        """Remove one tag or several (absent ones are ignored).

        Args:
            tags: A tag or a list of tags.

        Raises:
            LinkException: the client is stopped.
        """
        checked = check_tags("tags", tags)
        self._session.link().change_tags(self._ref, (), checked)

    def list_tag(self) -> list[str]:
        """Return the tags, sorted.

        Raises:
            LinkException: the client is stopped.
        """
        return list(self._session.link().read_meta(self._ref).tags)
