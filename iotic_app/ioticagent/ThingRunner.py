"""py-IoticAgent's ThingRunner module: iotic_app's runner classes, the same objects."""

from __future__ import annotations

from iotic_app import RetryingThingRunner, RunContext, ThingRunner

__all__ = ["RetryingThingRunner", "RunContext", "ThingRunner"]
