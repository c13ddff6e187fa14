"""py-IoticAgent's IOT.PointMeta: a feed's or control's metadata editor."""

from __future__ import annotations

from iotic_app.ioticagent.IOT.ResourceMeta import ResourceMeta

__all__ = ["PointMeta", "ResourceMeta"]


class PointMeta(ResourceMeta):
    """A feed's or control's labels and descriptions (see ``ResourceMeta``)."""
