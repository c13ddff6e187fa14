"""Transports: the seam between the client model and a space, and the spaces behind it."""

# Design note
# -----------
# Owns: the protocol a transport implements (``_protocol``: ``Transport``, ``Sink``,
# ``Receiver``, the handles) and the plain values that cross it (``_types``: ``Meta``,
# ``ValueSpec``, ``Sample``, ``ControlRequest``, the guids; ``_protocol`` names them too), what
# every transport builds the same way (``_search``: search results; ``_describe``: ``describe``'s
# dicts), the embedded in-process space (``local``) and the MQTT transport (``mqtt/``, a package
# of its own).
#
# May import: the standard library, attrs, orjson, paho-mqtt (``mqtt/`` only) and, from
# iotic_app, only ``exceptions``, ``datatypes``, ``retry`` and ``_config``. Never
# ``iotic_app.client`` (the model sits on top of the transports, not the other way round), never
# the runner or the App.
#
# Crosses the seam: the client model calls a ``Transport``'s methods with plain values and the
# opaque handles (``ThingRef``, ``PointRef``) the transport gave it; the transport hands incoming
# data to the client's ``Sink`` (``push``, ``receive``) and reports a fatal failure with
# ``Sink.fail``. A transport never calls user code: callbacks run on the sink's worker.
#
# ``Client`` picks a transport by the scheme of its config's URL (``client/_client.py``), so
# importing this package imports neither ``local`` nor ``mqtt``.

from iotic_app.transports._protocol import (
    CONTROL,
    FEED,
    Accepted,
    ControlRequest,
    Delivery,
    Meta,
    Outcome,
    PointKind,
    PointRef,
    Property,
    PropObject,
    Query,
    Receiver,
    Sample,
    Sink,
    Target,
    TellResult,
    ThingRef,
    Transport,
    ValueSpec,
    point_guid,
    thing_guid,
)

__all__ = [
    "CONTROL",
    "FEED",
    "Accepted",
    "ControlRequest",
    "Delivery",
    "Meta",
    "Outcome",
    "PointKind",
    "PointRef",
    "PropObject",
    "Property",
    "Query",
    "Receiver",
    "Sample",
    "Sink",
    "Target",
    "TellResult",
    "ThingRef",
    "Transport",
    "ValueSpec",
    "point_guid",
    "thing_guid",
]
