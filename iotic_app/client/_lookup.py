"""Search and describe: the client's questions about the space, checked before they are asked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from iotic_app.client._check import (
    check_flag,
    check_guid,
    check_lang,
    check_location,
    check_page,
    check_text,
    check_unit,
)
from iotic_app.client._props import check_props, check_scope, check_search_type
from iotic_app.client._session import Session
from iotic_app.transports._protocol import Query
from iotic_app.transports._types import MAX_PROPERTY_IRI, MAX_SEARCH_OFFSET, MAX_SEARCH_TEXT

__all__ = ["describe", "search", "search_property"]


def search(
    session: Session,
    text: str | None,
    location: Mapping[str, float] | tuple[float, float, float] | None,
    unit: str | None,
    limit: int,
    offset: int,
    *,
    lang: object = None,
    scope: object = "public",
    type_: object = "full",
    with_pointless: object = True,
) -> Any:
    """Check the criteria, then search the things in *scope* (see ``Client.search``).

    Raises:
        LinkException: the client is stopped.
        TypeError, ValueError: no criterion given, or one is not valid.
    """
    words = check_text("text", text)
    if words is not None and len(words) > MAX_SEARCH_TEXT:
        raise ValueError(
            f"text must be at most {MAX_SEARCH_TEXT:,} characters, got {len(words):,}: "
            f"{words[:40]!r}..."
        )
    where = check_location(location)
    uri = check_unit("unit", unit)
    if uri is not None and len(uri) > MAX_PROPERTY_IRI:
        raise ValueError(
            f"unit must be a URI of at most {MAX_PROPERTY_IRI} characters, got {uri[:60]!r}..."
        )
    if text is None and where is None and unit is None:
        raise ValueError("search needs at least one of text, location or unit, got none")
    check_page(limit, offset, max_limit=1000, max_offset=MAX_SEARCH_OFFSET)
    query = Query(
        text=text,
        location=where,
        unit=unit,
        lang=check_lang(lang),
        scope=check_scope(scope),
        type_=check_search_type(type_),
        limit=limit,
        offset=offset,
        with_pointless=check_flag("with_pointless", with_pointless),
    )
    return session.link().search(query)


def search_property(
    session: Session,
    props: object,
    limit: int,
    offset: int,
    *,
    lang: object = None,
    scope: object = "public",
    type_: object = "full",
    with_pointless: object = False,
) -> Any:
    """Check the properties, then search the things in *scope* that have them all (see
    ``Client.search_property``).

    Raises:
        LinkException: the client is stopped.
        TypeError, ValueError: an argument is not valid.
    """
    checked = check_props("props", props)
    if not checked:
        raise ValueError("props must name at least one (predicate, object), got none")
    check_page(limit, offset, max_limit=1000, max_offset=MAX_SEARCH_OFFSET)
    query = Query(
        props=tuple((pred, obj) for pred, obj in checked if obj is not None),
        lang=check_lang(lang),
        scope=check_scope(scope),
        type_=check_search_type(type_),
        limit=limit,
        offset=offset,
        with_pointless=check_flag("with_pointless", with_pointless),
    )
    return session.link().search(query)


def describe(session: Session, guid_or_resource: object) -> dict[str, Any] | None:
    """Describe a thing or point by guid or by resource (see ``Client.describe``).

    Raises:
        LinkException: the client is stopped.
        TypeError, ValueError: *guid_or_resource* is not a guid or resource.
    """
    guid = getattr(guid_or_resource, "guid", guid_or_resource)
    if not isinstance(guid, str):
        raise TypeError(
            f"guid_or_resource must be a guid or a Thing/Feed/Control/RemoteFeed/"
            f"RemoteControl, got {guid_or_resource!r}"
        )
    return session.link().describe(check_guid("guid_or_resource", guid))
