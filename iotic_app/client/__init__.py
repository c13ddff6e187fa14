"""The client API: things, feeds and controls on the embedded space or (later) MQTT."""

from __future__ import annotations

from iotic_app._config import AgentConfig
from iotic_app.client._client import Client
from iotic_app.client._meta import PointMeta, ThingMeta
from iotic_app.client._points import Control, Feed, RemoteControl, RemoteFeed
from iotic_app.client._thing import Thing
from iotic_app.client._values import PointDataObject, Value, Values

__all__ = [
    "AgentConfig",
    "Client",
    "Control",
    "Feed",
    "PointDataObject",
    "PointMeta",
    "RemoteControl",
    "RemoteFeed",
    "Thing",
    "ThingMeta",
    "Value",
    "Values",
]
