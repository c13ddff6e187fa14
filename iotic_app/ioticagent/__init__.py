"""py-IoticAgent 0.7.0's module paths over iotic_app: port a script by changing its imports."""

# Design note
# -----------
# What it is: a compatibility package that mirrors py-IoticAgent 0.7.0's module paths, names,
# parameter names, defaults and constant values, so that a classic script ports by one
# substitution in its import lines, ``IoticAgent`` -> ``iotic_app.ioticagent``:
#
#     from IoticAgent.ThingRunner import RetryingThingRunner      # classic
#     from iotic_app.ioticagent.ThingRunner import RetryingThingRunner
#
# Modules (capitalised as the original's, hence ruff's N999 ignore in pyproject.toml):
#   ThingRunner      iotic_app's runners, subclassed so that self.client is the IOT.Client
#   Datatypes        the XSD type names (iotic_app.Datatypes' values, plus IRI)
#   Units            the 49 unit names with 0.7.0's OBO unit-ontology URIs (not iotic_app.Units')
#   Core.Const       the QAPI constants (R_FEED, R_CONTROL, E_*, ...) and SearchScope,
#                    SearchType, DescribeScope
#   Core.Exceptions  LinkException (iotic_app's) and LinkShutdownException
#   Core.compat      the stdlib names and small helpers scripts import (monotonic, Queue, Empty)
#   IOT              Client, SearchScope, DescribeScope and the model's modules
#   IOT.Client       Client: an adapter over iotic_app.Client with 0.7.0's shapes; Thing, Point
#                    (Feed, Control), RemotePoint (RemoteFeed, RemoteControl), ResourceMeta,
#                    ThingMeta, PointMeta: adapters over iotic_app.client's objects (they wrap
#                    them and keep no model state of their own)
#   IOT.Exceptions   IOTException and its subclasses: iotic_app's own classes where iotic_app
#                    raises them, so `except IOTUnknown` catches what the client raises
#
# It adapts the modern API, never duplicates it: a name iotic_app has is re-exported (the same
# object) or derived from it; only what iotic_app has no counterpart for is defined here. It
# imports iotic_app's public modules only, and nothing in iotic_app imports it
# (tests/test_exports.py pins both).
#
# Every deliberate difference from 0.7.0 is listed in docs/porting.md, and pinned with its
# reason in the allow-list of tests/ioticagent/test_api_surface.py, which compares this
# package against the table of 0.7.0's API in tests/ioticagent/api_0_7_0.py.

from __future__ import annotations

from iotic_app.ioticagent import IOT, Core, Datatypes, Units
from iotic_app.ioticagent.ThingRunner import RetryingThingRunner, RunContext, ThingRunner

__all__ = ["IOT", "Core", "Datatypes", "RetryingThingRunner", "RunContext", "ThingRunner", "Units"]
