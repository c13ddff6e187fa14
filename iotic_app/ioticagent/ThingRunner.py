"""py-IoticAgent's ThingRunner module: iotic_app's runners, whose client is the classic one."""

from __future__ import annotations

from typing import Any, ClassVar

import iotic_app

# 0.7.0's module imported these two (they are what RetryingThingRunner retries); kept, as
# `from IoticAgent.ThingRunner import LinkException` worked.
from iotic_app.exceptions import IOTSyncTimeout, LinkException
from iotic_app.ioticagent.IOT.Client import Client
from iotic_app.runner import ClientFactory

__all__ = [
    "Client",
    "IOTSyncTimeout",
    "LinkException",
    "RetryingThingRunner",
    "RunContext",
    "ThingRunner",
]

RunContext = iotic_app.RunContext


def _classic_client(config: Any) -> Client:
    return Client(config)


class ThingRunner(iotic_app.ThingRunner):
    """iotic_app's ``ThingRunner`` (its semantics), whose ``self.client`` is an ``IOT.Client``."""

    client_factory: ClassVar[ClientFactory | None] = _classic_client


class RetryingThingRunner(ThingRunner, iotic_app.RetryingThingRunner):
    """iotic_app's ``RetryingThingRunner``, whose ``self.client`` is an ``IOT.Client``."""
