"""Point values: templates to fill and share, and parsed data with ``.values.<label>``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from iotic_app.datatypes import decode_value, encode_value
from iotic_app.transports._protocol import Transport, ValueSpec

__all__ = ["MUTABLE", "PointDataObject", "Value", "Values", "call_parsed", "parse"]

MUTABLE = (dict, list)
"""The types of data that user code gets a private copy of (the rest is immutable)."""


class Value:
    """One declared value of a point, with its current Python value.

    Attributes:
        label: The label (its key in shared data).
        type_: A :class:`~iotic_app.datatypes.Datatypes` constant.
        unit: A unit URI, or None.
        description: The description, or None.
        lang: The description's language, or None.
        value: The value, or None when unset.
    """

    __slots__ = ("description", "label", "lang", "type_", "unit", "value")

    def __init__(self, spec: ValueSpec, value: Any = None) -> None:
        """Make a value from its declaration.

        Args:
            spec: The declaration.
            value: The current value.
        """
        self.label = spec.label
        self.type_ = spec.vtype
        self.unit = spec.unit
        self.description = spec.description
        self.lang = spec.lang
        self.value = value

    @property
    def comment(self) -> str | None:
        """The description, under the name ``IoticAgent`` used."""
        return self.description

    def __repr__(self) -> str:
        """Show label, type and value."""
        return f"Value(label={self.label!r}, type_={self.type_!r}, value={self.value!r})"


class Values:
    """The namespace behind ``.values``: one attribute per declared label.

    Setting an undeclared label raises ``AttributeError``; reading an unset one gives None.
    """

    __slots__ = ("_items",)

    _items: dict[str, Value]

    def __init__(self, items: dict[str, Value]) -> None:
        """Wrap *items* (label to Value)."""
        object.__setattr__(self, "_items", items)

    def __getattr__(self, label: str) -> Any:
        """Return the value of *label*."""
        try:
            return self._items[label].value
        except KeyError:
            raise AttributeError(
                f"no value labelled {label!r}; declared: {sorted(self._items)}"
            ) from None

    def __setattr__(self, label: str, value: Any) -> None:
        """Set the value of *label* (checked against its datatype when shared)."""
        try:
            self._items[label].value = value
        except KeyError:
            raise AttributeError(
                f"no value labelled {label!r}; declared: {sorted(self._items)} "
                "(add one with create_value)"
            ) from None

    def __iter__(self) -> Iterator[str]:
        """Iterate over the labels."""
        return iter(self._items)

    def __contains__(self, label: object) -> bool:
        """Whether *label* is declared."""
        return label in self._items

    def __repr__(self) -> str:
        """Show labels and values."""
        inner = ", ".join(f"{k}={v.value!r}" for k, v in self._items.items())
        return f"Values({inner})"


class PointDataObject:
    """A point's declared values, filled in: a template to share or data that arrived parsed.

    ``obj.values.<label>`` reads or sets a value (None: unset); :meth:`filter_by` selects
    values by text, type and unit; :attr:`missing` and :attr:`empty` tell what is unset, and
    :meth:`unset` clears them all.
    """

    __slots__ = ("_items", "values")

    def __init__(self, specs: Iterable[ValueSpec], data: Any = None) -> None:
        """Make one from the point's value declarations, filled from *data* when given.

        Args:
            specs: The declared values.
            data: A dict of wire-form values by label (from a share), or None.
        """
        items = {spec.label: Value(spec) for spec in specs}
        if isinstance(data, dict):
            for label, item in items.items():
                if label in data:
                    item.value = decode_value(item.type_, data[label])
        self._items = items
        self.values = Values(items)

    def unset(self) -> None:
        """Unset every value (set it to None), to fill the template again."""
        for item in self._items.values():
            item.value = None

    @property
    def empty(self) -> bool:
        """Whether no value is set (all are None)."""
        return all(item.value is None for item in self._items.values())

    @property
    def missing(self) -> list[Value]:
        """The values not set yet (None), in declaration order."""
        return [item for item in self._items.values() if item.value is None]

    def filter_by(
        self,
        text: Iterable[str] = (),
        types: Iterable[str] = (),
        units: Iterable[str] = (),
        include_unset: bool = False,
    ) -> list[Value]:
        """Return the values matching at least one item of each non-empty filter.

        Args:
            text: Words to find (case-insensitively) in a value's label or description.
            types: Datatypes the value may have.
            units: Unit URIs the value may have.
            include_unset: Also return values that are unset (None).

        Returns:
            The matching values, in declaration order.

        Raises:
            TypeError: a filter is a single str instead of a sequence of them.
        """
        lists: list[list[str]] = []
        for name, arg in (("text", text), ("types", types), ("units", units)):
            if isinstance(arg, str):
                raise TypeError(f"{name} must be a sequence of str, got the str {arg!r}")
            if not isinstance(arg, Iterable):
                raise TypeError(f"{name} must be a sequence of str, got {arg!r}")
            items = list(arg)
            for entry in items:
                if not isinstance(entry, str):
                    raise TypeError(f"{name} must be a sequence of str, got the item {entry!r}")
            lists.append(items)
        words = [word.lower() for word in lists[0]]
        type_set = set(lists[1])
        unit_set = set(lists[2])
        found = []
        for item in self._items.values():
            if item.value is None and not include_unset:
                continue
            if type_set and item.type_ not in type_set:
                continue
            if unit_set and item.unit not in unit_set:
                continue
            if words:
                hay = f"{item.label} {item.description or ''}".lower()
                if not any(word in hay for word in words):
                    continue
            found.append(item)
        return found

    def to_data(self) -> dict[str, Any]:
        """Return the set values in wire form, checked against their datatypes.

        Returns:
            ``{label: value}`` for every value that is set.

        Raises:
            TypeError: a value has the wrong Python type for its datatype.
            ValueError: a value is out of its datatype's range.
        """
        return {
            label: encode_value(item.type_, label, item.value)
            for label, item in self._items.items()
            if item.value is not None
        }

    def __repr__(self) -> str:
        """Show the values."""
        return f"PointDataObject({self.values!r})"


def parse(
    transport: Transport | None, guid: str, data: Any, mime: str | None
) -> PointDataObject | None:
    """Return *data* parsed by the values point *guid* declares, for a ``callback_parsed``.

    Returns:
        The parsed data; None when it cannot be parsed (it has a mime type or is not a dict)
        or *transport* is None (the client stopped).
    """
    if mime is not None or not isinstance(data, dict):
        return None
    if transport is None:
        return None
    return PointDataObject(transport.values(guid), data)


def call_parsed(
    callback: Callable[[dict[str, Any]], Any],
    args: dict[str, Any],
    transport: Transport | None,
    guid: str,
    data: Any,
    mime: str | None,
) -> bool:
    """Call a ``callback_parsed`` with *args* plus ``'parsed'`` if *data* parses (see
    :func:`parse`); return whether it was called."""
    parsed = parse(transport, guid, data, mime)
    if parsed is None:
        return False
    args["parsed"] = parsed
    callback(args)
    return True
