"""py-IoticAgent's IOT.ResourceMeta: the label and description editor of things and points."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any

from iotic_app.ioticagent.IOT import _rdf
from iotic_app.ioticagent.IOT._adapt import n3

__all__ = ["ResourceMeta"]


class ResourceMeta:
    """Labels and descriptions of a thing or point, applied by ``set()`` or on leaving ``with``.

    An adapter over iotic_app's ``ThingMeta``/``PointMeta`` editor (the *parent* here): every
    edit goes to it; ``get_labels()``/``get_descriptions()`` give 0.7.0's lists of N3 strings.
    """

    def __init__(self, parent: Any, rdf: Any, default_lang: str, fmt: str = "n3") -> None:
        """Wrap *parent*, the modern editor, which holds the labels and descriptions (and
        their default language); *rdf*, *default_lang* and *fmt* are 0.7.0's, unused here."""
        self._meta = parent
        # what update() reads the current metadata with (set by the resource's get_meta())
        self._reload: Callable[[], Any] | None = None

    def __enter__(self) -> Any:
        """Edit in a ``with``: applied on leaving it without an exception."""
        self._meta.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Apply the edits unless the block raised."""
        self._meta.__exit__(exc_type, exc_value, traceback)

    def __str__(self) -> str:
        """The labels and descriptions as N3 strings (0.7.0: the whole RDF graph)."""
        return f"labels={self.get_labels()} descriptions={self.get_descriptions()}"

    def set(self) -> None:
        """Apply the edits now."""
        self._meta.set()

    def update(self) -> None:
        """Read the metadata again from the space, dropping the edits not applied yet."""
        if self._reload is None:
            raise TypeError("update() needs an editor made by a thing's or point's get_meta()")
        self._meta = self._reload()

    def set_label(self, label: str, lang: str | None = None) -> None:
        """Set the label in *lang* (default: the client's default language)."""
        self._meta.set_label(label, lang)

    def get_labels(self) -> list[str]:
        """Every label, one per language, as N3 strings: ``['"fish"@en', '"poisson"@fr']``."""
        return [n3(text, lang) for lang, text in self._meta.labels.items()]

    def get_labels_rdf(self) -> list[Any]:
        """Every label as an rdflib ``Literal`` with its language (needs ``iotic_app[rdf]``)."""
        return _rdf.literals(self._meta.labels)

    def delete_label(self, lang: str | None = None) -> None:
        """Remove the label in *lang* (default: the client's default language)."""
        self._meta.delete_label(lang)

    def set_description(self, description: str, lang: str | None = None) -> None:
        """Set the description in *lang* (default: the client's default language)."""
        self._meta.set_description(description, lang)

    def get_descriptions(self) -> list[str]:
        """Every description, one per language, as N3 strings (empty when none)."""
        return [n3(text, lang) for lang, text in self._meta.descriptions.items()]

    def get_descriptions_rdf(self) -> list[Any]:
        """Every description as an rdflib ``Literal`` (empty when none; needs rdflib)."""
        return _rdf.literals(self._meta.descriptions)

    def delete_description(self, lang: str | None = None) -> None:
        """Remove the description in *lang* (default: the client's default language)."""
        self._meta.delete_description(lang)
