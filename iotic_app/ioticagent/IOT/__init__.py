"""py-IoticAgent's IOT package: Client, Config, and the scopes of search and describe."""

from __future__ import annotations

from iotic_app.ioticagent.Core.Const import DescribeScope, SearchScope
from iotic_app.ioticagent.IOT import (
    Config,
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
    "Config",
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
