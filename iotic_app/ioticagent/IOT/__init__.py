"""py-IoticAgent's IOT package: Client, and the scopes of search and describe."""

from __future__ import annotations

from iotic_app.ioticagent.Core.Const import DescribeScope, SearchScope
from iotic_app.ioticagent.IOT import (
    Exceptions,
    Point,
    PointMeta,
    RemotePoint,
    ResourceMeta,
    Thing,
    ThingMeta,
)
from iotic_app.ioticagent.IOT.Client import Client

__all__ = [
    "Client",
    "DescribeScope",
    "Exceptions",
    "Point",
    "PointMeta",
    "RemotePoint",
    "ResourceMeta",
    "SearchScope",
    "Thing",
    "ThingMeta",
]
