"""iotic_app: lifecycle runner and client for small IoT agents."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from iotic_app.app import App
from iotic_app.exceptions import IOTAccessDenied, IOTSyncTimeout, IOTUnknown, LinkException
from iotic_app.runner import RetryingThingRunner, RunContext, ThingRunner

if TYPE_CHECKING:
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
