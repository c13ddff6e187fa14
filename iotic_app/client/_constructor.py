"""Model classes that only the client makes: calling the class raises, ``_construct`` makes one."""

from __future__ import annotations

from typing import Any, NoReturn, TypeVar

__all__ = ["NoPublicConstructor"]

T = TypeVar("T")


class NoPublicConstructor(type):
    """Metaclass of the model objects (Thing, Feed, Control, RemoteFeed, RemoteControl).

    They stand for something in the space and are only valid as the client made them, through
    its internal session; so ``Thing(...)`` raises a ``TypeError`` that says where one comes
    from (the class's ``_made_by``), and the client makes them with ``Thing._construct(...)``.
    Their ``__init__`` is therefore not part of the public API (trio's ``NoPublicConstructor``).
    """

    _made_by: str

    def __call__(cls, *args: Any, **kwargs: Any) -> NoReturn:
        """Refuse, and say which call gives one."""
        raise TypeError(
            f"{cls.__module__.split('._')[0]}.{cls.__qualname__} has no public constructor; "
            f"get one from {cls._made_by}"
        )

    def _construct(cls: type[T], *args: Any, **kwargs: Any) -> T:
        """Make an instance (for the client package only)."""
        return super().__call__(*args, **kwargs)  # type: ignore[misc, no-any-return]
