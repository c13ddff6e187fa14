"""py-IoticAgent's IOT package (so far its scopes and Exceptions; Client is to come)."""

from __future__ import annotations

from iotic_app.ioticagent.Core.Const import DescribeScope, SearchScope
from iotic_app.ioticagent.IOT import Exceptions

__all__ = ["DescribeScope", "Exceptions", "SearchScope"]
