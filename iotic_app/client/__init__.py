"""The client API: things, feeds and controls on the embedded space or on MQTT."""

# Design note
# -----------
# Owns: the user-facing model. ``Client`` (``_client``: the public face, picks a transport by
# its URL's scheme and imports it only then), its ``Lifecycle`` (``_lifecycle``: start, stop and
# close of the transport and the callback worker, and the failure for good), the callback worker
# (``_dispatch``: the ``Sink`` the transport delivers to), its search family (``_searching``),
# ``Thing`` (``_thing``, with its semantic properties in ``_properties``, checked in
# ``_props``), the own points ``Feed``/``Control`` (``_points``), the followed and attached
# ``RemoteFeed``/``RemoteControl`` (``_remotes``), metadata editors and tags (``_meta``), value
# templates and parsing (``_values``), search and describe requests (``_lookup``), the model
# classes' constructor rule (``_constructor``) and every argument check (``_check``).
# Checking arguments and the "stopped client raises LinkException" rule live here, the same
# for every transport.
#
# May import: the standard library, attrs, and from iotic_app only ``exceptions``,
# ``datatypes``, ``_config`` and ``transports._protocol`` (the ``Transport`` protocol and the
# value types that cross it). Never a concrete transport at import time (``_client`` imports
# ``transports.local`` or ``transports.mqtt`` by scheme when a client is made), never the runner
# or the App; ``import iotic_app`` imports nothing from here.
#
# Crosses the seam, inward: the model objects talk to their client only through the
# ``Session`` it hands them (``_session``: the live transport or ``LinkException``, the catch-all
# callbacks, remember/forget a follow, confirm a tell), never through the client's attributes.
# Outward: the model calls ``Transport`` methods with checked plain values and the opaque handles
# (``ThingRef``, ``PointRef``) the transport returned, and passes its ``Control``/``RemoteFeed``/
# ``RemoteControl`` objects as delivery tokens; the transport hands data back through the
# dispatcher (``Sink.push``/``receive``) and never calls user code: callbacks run on the
# client's worker.

from __future__ import annotations

from iotic_app._config import AgentConfig
from iotic_app.client._client import Client
from iotic_app.client._meta import PointMeta, ThingMeta
from iotic_app.client._points import Control, Feed
from iotic_app.client._remotes import RemoteControl, RemoteFeed
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
