"""py-IoticAgent's IOT.ThingMeta: a thing's metadata editor, with its location."""

from __future__ import annotations

from iotic_app.ioticagent.IOT.ResourceMeta import ResourceMeta

__all__ = ["ResourceMeta", "ThingMeta"]


class ThingMeta(ResourceMeta):
    """A thing's labels, descriptions and location (see ``ResourceMeta``)."""

    def set_location(self, lat: float, lon: float) -> None:
        """Set the thing's location in degrees."""
        self._meta.set_location(lat, lon)

    def get_location(self) -> tuple[float | None, float | None]:
        """Return ``(lat, lon)``, or ``(None, None)`` when the thing has no location."""
        location: tuple[float | None, float | None] = self._meta.get_location()
        return location

    def delete_location(self) -> None:
        """Remove the thing's location."""
        self._meta.delete_location()
