"""py-IoticAgent's ThingRunner module: iotic_app's runner classes, the same objects."""

from __future__ import annotations

from iotic_app import RetryingThingRunner, RunContext, ThingRunner

# 0.7.0's module imported these two (they are what RetryingThingRunner retries); kept, as
# `from IoticAgent.ThingRunner import LinkException` worked.
from iotic_app.exceptions import IOTSyncTimeout, LinkException

__all__ = ["IOTSyncTimeout", "LinkException", "RetryingThingRunner", "RunContext", "ThingRunner"]
