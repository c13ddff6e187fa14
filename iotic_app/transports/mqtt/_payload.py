"""Feed payloads on the wire: a value's JSON, and the sharer's stamp that followers check."""

from __future__ import annotations

import base64
import re
from datetime import datetime, timezone
from typing import Any

from iotic_app.transports._protocol import Sample
from iotic_app.transports.mqtt._json import to_json

__all__ = ["decode_sample", "encode_sample", "feed_stamp"]


def encode_sample(data: Any, mime: str | None, time: datetime) -> bytes:
    """Return the JSON payload of one feed value (without the sharer's epoch and seq).

    ``{"time":...,"mime":...,"data":...}``, plus ``"encoding":"base64"`` for bytes; the time
    in ISO 8601 with its offset. NaN and the infinities become ``null``, as in :func:`to_json`.
    """
    if isinstance(data, bytes | bytearray | memoryview):
        body = {"time": time, "mime": mime, "data": base64.b64encode(data).decode("ascii")}
        body["encoding"] = "base64"
    else:
        body = {"time": time, "mime": mime, "data": data}
    return to_json(body)


# What a sharer's outbox epoch may hold (it writes 16 hex digits), and the range of a sequence
# number or per-feed count (sqlite's INTEGER, what the follower's ledger stores).
_EPOCH = re.compile(r"[0-9A-Za-z_-]{1,64}")
_MAX_SEQ = 2**63 - 1


def feed_stamp(payload: dict[str, Any]) -> tuple[str, int, int | None] | None:
    """Return the sharer's ``(epoch, seq, n)`` of a decoded feed payload, checked.

    ``n`` (the value's number on its feed, counted by the sharing process) is None when absent.
    A payload without ``epoch`` or ``seq`` (a foreign publisher's) has no stamp: None.

    Raises:
        ValueError: ``epoch`` is not 1-64 letters, digits, ``_`` or ``-``, or ``seq`` or ``n``
            is not an int from 1 to 2**63 - 1.
    """
    epoch = payload.get("epoch")
    seq = payload.get("seq")
    if epoch is None or seq is None:
        return None
    if not isinstance(epoch, str) or _EPOCH.fullmatch(epoch) is None:
        raise ValueError(f"'epoch' must be 1-64 letters, digits, '_' or '-', got {epoch!r:.40}")
    if type(seq) is not int or not 0 < seq <= _MAX_SEQ:
        raise ValueError(f"'seq' must be an int from 1 to 2**63 - 1, got {seq!r:.40}")
    n = payload.get("n")
    if n is not None and (type(n) is not int or not 0 < n <= _MAX_SEQ):
        raise ValueError(f"'n' must be an int from 1 to 2**63 - 1, got {n!r:.40}")
    return epoch, seq, n


def decode_sample(payload: Any) -> Sample:
    """Return ``(data, mime, time)`` of a decoded feed payload; raise ValueError if invalid."""
    if not isinstance(payload, dict) or "data" not in payload:
        raise ValueError("not a JSON object with a 'data' key")
    data = payload["data"]
    mime = payload.get("mime")
    if mime is not None and not isinstance(mime, str):
        raise ValueError(f"'mime' must be a string or null, got {mime!r:.40}")
    if payload.get("encoding") == "base64":
        if not isinstance(data, str):
            raise ValueError("base64 'data' must be a string")
        data = base64.b64decode(data, validate=True)
    stamp = payload.get("time")
    if stamp is None:
        when = datetime.now(timezone.utc)
    else:
        when = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
    return data, mime, when
