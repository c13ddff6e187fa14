"""Search and describe: the client's questions about the space, checked before they are asked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from iotic_app.client._check import check_guid, check_location, check_page, check_text, check_unit
from iotic_app.client._session import Session

__all__ = ["describe", "search"]


def search(
    session: Session,
    text: str | None,
    location: Mapping[str, float] | tuple[float, float, float] | None,
    unit: str | None,
    limit: int,
    offset: int,
) -> dict[str, Any]:
    """Check the criteria, then search the public things (see ``Client.search``).

    Raises:
        LinkException: the client is stopped.
        TypeError, ValueError: no criterion given, or one is not valid.
    """
    check_text("text", text)
    where = check_location(location)
    check_unit("unit", unit)
    if text is None and where is None and unit is None:
        raise ValueError("search needs at least one of text, location or unit, got none")
    check_page(limit, offset, max_limit=1000)
    return session.link().search(text, where, unit, limit, offset)


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
