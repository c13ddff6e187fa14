"""What ``App.status`` reports, and how it is read from a run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from iotic_app._log import describe

if TYPE_CHECKING:
    from iotic_app.runner import ThingRunner

__all__ = ["AppStatus", "status_of"]


@attrs.frozen
class AppStatus:
    """What ``App.status`` reports: the state of the current or last run.

    Attributes:
        state: ``'not started'``, ``'running'``, ``'stopping'``, ``'stopped'`` or ``'failed'``.
        reason: Why it failed (``'TypeName: message'``), else None.
        attempts: Attempts made by the current or last run (1 when nothing was retried).
        connected: Whether the client is connected, or None where the client cannot tell.
        outbox_depth: Shares waiting to be delivered, or None where the client has no outbox.
        values_missed: Feed values that never reached this client's callbacks (see
            ``Client.values_missed``), or None where the client cannot tell.
    """

    state: str
    reason: str | None = None
    attempts: int = 0
    connected: bool | None = None
    outbox_depth: int | None = None
    values_missed: int | None = None

    def __str__(self) -> str:
        parts = [self.state if self.reason is None else f"{self.state} ({self.reason})"]
        if self.state != "not started":
            parts.append(f"attempts={self.attempts}")
        if self.connected is not None:
            parts.append(f"connected={self.connected}")
        if self.outbox_depth is not None:
            parts.append(f"outbox_depth={self.outbox_depth}")
        if self.values_missed:
            parts.append(f"values_missed={self.values_missed}")
        return ", ".join(parts)


def _client_probe(client: Any, name: str) -> Any:
    """The value of *client*'s attribute or no-argument method *name*, or None."""
    try:
        value = getattr(client, name, None)
        return value() if callable(value) else value
    except Exception:  # a status query never fails because the client cannot answer
        return None


def status_of(runner: ThingRunner | None) -> AppStatus:
    """Return the status of *runner*'s current or last run (``'not started'`` for None)."""
    if runner is None:
        return AppStatus("not started")
    running = runner.is_running()
    exception = runner.exception
    if running:
        state = "stopping" if runner.shutdown_requested else "running"
    else:
        state = "failed" if exception is not None else "stopped"
    client = runner.client
    connected = _client_probe(client, "is_connected")
    depth = _client_probe(client, "outbox_depth")
    missed = _client_probe(client, "values_missed")
    return AppStatus(
        state=state,
        reason=None if exception is None else describe(exception),
        attempts=runner.attempts,
        connected=connected if isinstance(connected, bool) else None,
        outbox_depth=depth if isinstance(depth, int) else None,
        values_missed=missed if isinstance(missed, int) else None,
    )
