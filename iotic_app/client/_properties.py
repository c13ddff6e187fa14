"""The semantic (RDF) properties of a thing: create, delete and list them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from iotic_app.client._check import check_flag, check_page
from iotic_app.client._props import (
    add_properties,
    check_props,
    list_properties,
    remove_properties,
)

if TYPE_CHECKING:
    from iotic_app.client._session import Session
    from iotic_app.transports._protocol import ThingRef

__all__ = ["Properties"]


class Properties:
    """The property calls of :class:`~iotic_app.client.Thing` (a base class of it); the
    properties are kept in the space (on MQTT: in the thing's retained document)."""

    __slots__ = ()

    _session: Session
    _ref: ThingRef

    def create_property(
        self, props: object, replace: bool = True, replace_all: bool = False
    ) -> None:
        """Add semantic (RDF) properties: one ``(predicate, object)`` tuple or a list of them.

        An object is a str, int, float or bool; a text may end in ``@@`` and a language code
        (``'Fritz@@de'``); any other type is given as its lexical form with the XSD type as a
        third member: ``(predicate, '2019-11', 'gYearMonth')``. Other agents see them (the
        thing need not be public for ``search_property(scope='localOwn')`` by its owner's
        agents).

        Args:
            props: The properties.
            replace: First remove the thing's properties of the same predicates.
            replace_all: First remove all the thing's properties.

        Raises:
            LinkException: the client is stopped.
            IOTUnknown: the thing was deleted.
            TypeError, ValueError: *props* is not valid, or the thing would have more than 200.
        """
        checked = [(pred, obj) for pred, obj in check_props("props", props) if obj is not None]
        check_flag("replace", replace)
        check_flag("replace_all", replace_all)
        self._session.link().update_properties(
            self._ref, lambda current: add_properties(current, checked, replace, replace_all)
        )

    def delete_property(self, props: object) -> None:
        """Remove semantic properties: ``(predicate, object)`` tuples as for
        :meth:`create_property`; an object None removes every object of its predicate, and
        an empty list removes every property. Properties the thing has not are ignored.

        Raises:
            LinkException: the client is stopped.
            IOTUnknown: the thing was deleted.
            TypeError, ValueError: *props* is not valid.
        """
        checked = check_props("props", props, allow_any=True)
        self._session.link().update_properties(
            self._ref, lambda current: remove_properties(current, checked)
        )

    def list_property(self, limit: int = 500, offset: int = 0) -> dict[str, list[Any]]:
        """List the thing's semantic properties.

        Args:
            limit: At most this many properties (1-1000).
            offset: Skip this many first (in the order they were made).

        Returns:
            ``{predicate: [object, ...]}``, each object as given to :meth:`create_property`
            (an XSD-typed one as ``(lexical, xsd_type)``).

        Raises:
            LinkException: the client is stopped.
            IOTUnknown: the thing was deleted.
            TypeError, ValueError: *limit* or *offset* is not valid.
        """
        check_page(limit, offset, max_limit=1000)
        return list_properties(self._session.link().read_properties(self._ref), limit, offset)
