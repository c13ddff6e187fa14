"""iotic_app: lifecycle runner and client for small IoT agents."""

# Design note
# -----------
# Owns (the package top): the lifecycle of an agent and what it is written with.
#   runner      ThingRunner: start-up, main, retry and shutdown; foreground or background.
#               Its parts: _run_lifecycle (one run: attempts, retries, shutdown),
#               _run_supervisor (the client: made, watched, stopped, closed), _run_hooks
#               (awaiting async hooks), _run_retry (the retry delay), _run_events (the
#               events that end a run and its waits). Helped by _checks (argument checks),
#               _wakeup, _registries (client failures routed to runners; background runs at
#               exit), _signals (Ctrl+C and SIGTERM), _aio (a run's event loops) and _log.
#   app         App: an agent as plain functions, which builds a ThingRunner subclass.
#               Helped by _handlers (checking and calling handlers), _app_runner (the runner
#               mixin that calls them), _app_status (App.status) and _periodic (@app.every).
#   testing     PrivateSpace and run_app; RunningApp in _running_app.
#   retry, cli, exceptions, datatypes; config parsing in _config (with _config_url,
#   the URL split into parts, and _config_options, the options table).
#
# Import direction: the top -> client (the user-facing model) -> transports (the protocol,
# local, mqtt/). Never the other way. runner imports no client at all, not even for typing: it
# needs of a client only start() and stop() (SupportsStartStop; add_failure_listener,
# in_callback, failure and close are used when present), and makes its default client with
# ThingRunner.client_factory, which this module sets to _make_client below. App's runners
# inherit that factory. testing imports client and transports by their public names; _config
# checks mqtt:// settings with the MQTT transport's MqttSettings, lazily.
#
# Crosses the seams: into the client, a config (ConfigLike) and the calls of SupportsStartStop;
# back from it, the failure-for-good callback (an exception) and its callbacks' threads
# (in_callback). Between the top's own modules, only public methods: App reads a runner's
# attempts, is_running(), exception and client; _periodic uses thread_of_run(),
# end_attempt() and wait_for_shutdown().
#
# `import iotic_app` stays cheap: it imports no client, transport or paho module (the names
# below are lazy, and _make_client imports the client when it first makes one;
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
