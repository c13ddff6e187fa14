"""0.7.0's resource notifications (created, duplicate, deleted) of a classic client's own calls."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from iotic_app.client import Client as ModernClient
from iotic_app.ioticagent.Core.Const import E_CREATED, E_DELETED, E_DUPLICATED

__all__ = ["Crud"]

#: What 0.7.0 named each notification in its register_callback_* methods.
_NAMES = {E_CREATED: "created", E_DUPLICATED: "duplicate", E_DELETED: "deleted"}


class _Notify:
    """The worker's token of one callback: calls it with the payload it is given."""

    __slots__ = ("_callback",)

    def __init__(self, callback: Callable[[Any], Any]) -> None:
        self._callback = callback

    def _deliver(self, payload: Any) -> None:
        self._callback(payload)


class Crud:
    """The callbacks a classic client registered for the resources it creates and deletes.

    0.7.0 called them with the container's answer to each of the agent's create and delete
    requests (its one connection's); here they are called, on the client's worker, for those
    this client makes: things, feeds, controls, follows and attaches.
    """

    __slots__ = ("_callbacks", "_modern")

    def __init__(self, modern: ModernClient) -> None:
        self._modern = modern
        self._callbacks: dict[int, _Notify] = {}

    def register(self, kind: int, func: object, serialised: object) -> None:
        """Call *func* with the payload of each notification *kind* (None: stop)."""
        if kind not in _NAMES:
            raise ValueError(f"kind must be E_CREATED, E_DUPLICATED or E_DELETED, got {kind!r}")
        if not isinstance(serialised, bool):
            raise TypeError(f"serialised must be True or False, got {serialised!r}")
        if func is None:
            self._callbacks.pop(kind, None)
            return
        if not callable(func):
            raise TypeError(f"func must be callable or None, got {func!r}")
        self._callbacks[kind] = _Notify(func)  # always serialised: the one worker runs them

    def wants(self, *kinds: int) -> bool:
        """Whether a callback is registered for any of *kinds* (else nothing need be found
        out for a notification)."""
        return any(kind in self._callbacks for kind in kinds)

    def notify(self, kind: int, payload: Mapping[str, Any]) -> None:
        """Queue notification *kind* with *payload* (an ``OrderedDict`` copy) for its callback."""
        token = self._callbacks.get(kind)
        if token is not None:
            self._modern._push(token, OrderedDict(payload))
