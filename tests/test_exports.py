"""The public surface: exactly these names, importable from the package top."""

from __future__ import annotations

import subprocess
import sys

import iotic_app

EXPORTS = [
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


def test_all_is_pinned_and_sorted() -> None:
    assert iotic_app.__all__ == EXPORTS
    assert sorted(iotic_app.__all__) == iotic_app.__all__


def test_every_exported_name_resolves() -> None:
    for name in EXPORTS:
        assert getattr(iotic_app, name) is not None, name
    assert set(EXPORTS) <= set(dir(iotic_app))


def test_exceptions_inherit_the_matching_builtins() -> None:
    assert issubclass(iotic_app.LinkException, ConnectionError)
    assert issubclass(iotic_app.IOTSyncTimeout, TimeoutError)
    assert issubclass(iotic_app.IOTUnknown, LookupError)
    assert issubclass(iotic_app.IOTAccessDenied, PermissionError)


def test_import_does_not_load_the_client_or_mqtt() -> None:
    code = (
        "import sys, iotic_app; "
        "print(sorted(m for m in sys.modules if m.startswith(('iotic_app.client', 'paho'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
