"""py-IoticAgent's Core package: Const, Exceptions and compat (not its QAPI client)."""

from __future__ import annotations

from iotic_app.ioticagent.Core import Const, Exceptions, compat

__all__ = ["Const", "Exceptions", "compat"]
