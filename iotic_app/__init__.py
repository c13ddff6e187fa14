"""iotic_app: lifecycle runner and client for small IoT agents."""

# Design note
# -----------
# Owns (the package top): the lifecycle of an agent and what it is written with. ``runner``
# (ThingRunner: start-up, main, retry and shutdown; foreground, background, signals), ``app``
# (App: an agent as plain functions, which builds a ThingRunner subclass), ``retry`` (policies),
# ``cli`` (``iotic-app run``), ``testing`` (PrivateSpace), ``exceptions``, ``datatypes``, config
# parsing (``_config``), and the private helpers ``_aio`` (event loops of a run), ``_periodic``
# (``@app.every``), ``_signals`` (Ctrl+C and SIGTERM) and ``_log``.
#
# Import direction: the top -> ``client`` (the user-facing model) -> ``transports`` (the
# protocol, ``local``, ``mqtt/``). Never the other way. ``runner`` imports no client at all (not
# even for typing): it needs of a client only ``start()`` and ``stop()`` (``SupportsStartStop``;
# ``add_failure_listener``, ``in_callback``, ``failure`` and ``close`` are used when present),
# and gets its default client from ``ThingRunner.client_factory``, which this module wires to
# ``_make_client`` below. ``app`` reaches the client the same way (its runners inherit the
# factory); ``testing`` and ``cli`` may import ``client`` and ``transports`` by their public
# names.
#
# Crosses the seams: from the top into the client, a config (``ConfigLike``) and the calls of
# ``SupportsStartStop``; from the client back, the failure-for-good callback (an exception);
# ``App`` reads a runner through its public API (``attempts``, ``is_running()``, ``exception``,
# ``client``), and ``_periodic`` uses ``thread_of_run()``, ``end_attempt()`` and
# ``wait_for_shutdown()``.
#
# ``import iotic_app`` stays cheap: it imports no client, transport or paho module (the names
# below are lazy, and the factory imports the client when it first makes one;
# tests/test_exports.py pins this).

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from iotic_app.app import App
from iotic_app.exceptions import IOTAccessDenied, IOTSyncTimeout, IOTUnknown, LinkException
from iotic_app.runner import RetryingThingRunner, RunContext, SupportsStartStop, ThingRunner

if TYPE_CHECKING:
    from iotic_app._config import ConfigLike
    from iotic_app.client import Client
    from iotic_app.datatypes import Datatypes, Units

__all__ = [
    "App",
    "Client",
    "Datatypes",
    "IOTAccessDenied",
    "IOTSyncTimeout",
    "IOTUnknown",
    "LinkException",
    "RetryingThingRunner",
    "RunContext",
    "ThingRunner",
    "Units",
]


def _make_client(config: ConfigLike) -> SupportsStartStop:
    """The default ``ThingRunner.client_factory``: an ``iotic_app.Client(config)``."""
    from iotic_app.client import Client  # here: `import iotic_app` stays light

    return Client(config)


ThingRunner.client_factory = _make_client

# Imported on first use, so that `import iotic_app` stays cheap (see benchmarks/bench_import.py).
_LAZY = {
    "Client": "iotic_app.client",
    "Datatypes": "iotic_app.datatypes",
    "Units": "iotic_app.datatypes",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'iotic_app' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
