"""Control requests, replies and agent status on the wire, checked as they come in."""

from __future__ import annotations

from typing import Any, TypeGuard

import attrs

from iotic_app.transports.mqtt._json import from_json, invalid
from iotic_app.transports.mqtt._payload import decode_sample

__all__ = ["Request", "parse_reply", "parse_request", "parse_status", "reply_topic_error"]


MAX_REPLY_BYTES = 4096
_MAX_TOKEN = 128  # characters of a request id, a subscription id or a sync marker


def _is_token(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and 0 < len(value) <= _MAX_TOKEN and value.isprintable()


def reply_topic_error(root: str, topic: Any) -> str | None:
    """Why *topic* may not be a request's reply topic, or None when it may.

    A reply topic is one level under ``ROOT/_reply/`` (a client's own reply topic), with no
    wildcard: a request can never make the control's owner publish anywhere else (its status,
    its things' metadata, a feed).
    """
    prefix = f"{root}/_reply/"
    if not isinstance(topic, str):
        return f"the reply topic must be a str, got {topic!r:.80}"
    rest = topic[len(prefix) :]
    if (
        not topic.startswith(prefix)
        or not rest
        or any(ch in rest for ch in "/+#\x00")
        or len(rest) > 1024
        or not rest.isprintable()
    ):
        return f"the reply topic must be one level under {prefix!r}, got {topic!r:.80}"
    return None


@attrs.frozen
class Request:
    """A control request as it came from the wire, checked."""

    data: Any
    mime: str | None
    rid: str | None  # the requester's id, echoed in the reply
    sub: str
    confirm: bool
    reply: str | None  # where to confirm (a tell), in the reply namespace


def parse_request(root: str, raw: bytes) -> Request:
    """Parse and check a control request: ``{"data", "mime", "rid", "sub", "confirm",
    "reply"}``; a tell (``confirm`` true) needs a ``rid`` and a reply topic in the reply
    namespace (see :func:`reply_topic_error`).

    Raises:
        ValueError: says what is wrong.
    """
    payload = from_json(raw)
    if not isinstance(payload, dict) or "data" not in payload:
        raise ValueError("not a JSON object with a 'data' key")
    data, mime, _ = decode_sample({**payload, "time": None})
    rid, sub = payload.get("rid"), payload.get("sub")
    if rid is not None and not _is_token(rid):
        invalid("'rid'", f"1-{_MAX_TOKEN} printable characters", rid)
    if sub is not None and sub != "" and not _is_token(sub):
        invalid("'sub'", f"a str of at most {_MAX_TOKEN} printable characters", sub)
    confirm = payload.get("confirm", False)
    if not isinstance(confirm, bool):
        invalid("'confirm'", "true or false", confirm)
    reply = None
    if confirm:
        if rid is None:
            raise ValueError("a tell (confirm true) needs a 'rid'")
        reply = payload.get("reply")
        error = reply_topic_error(root, reply)
        if error is not None:
            raise ValueError(error)
    return Request(data, mime, rid, sub or "", confirm, reply)


def parse_reply(raw: bytes) -> tuple[str, str, bool | str | None]:
    """Parse a message on a client's reply topic (anyone may write there).

    Returns:
        ``("sync", marker, None)`` for a sync marker, or ``("tell", rid, result)`` for a
        tell's confirmation, result ``True``, ``"failed"`` or ``"unreachable"``.

    Raises:
        ValueError: it is neither.
    """
    if len(raw) > MAX_REPLY_BYTES:
        raise ValueError(f"a reply has at most {MAX_REPLY_BYTES} bytes, got {len(raw)}")
    payload = from_json(raw)
    if not isinstance(payload, dict):
        invalid("a reply", "a JSON object", payload)
    if "sync" in payload:
        if not _is_token(payload["sync"]):
            invalid("'sync'", "a marker", payload["sync"])
        return "sync", payload["sync"], None
    rid, result = payload.get("rid"), payload.get("result")
    if not _is_token(rid):
        invalid("'rid'", f"1-{_MAX_TOKEN} printable characters", rid)
    if result is not True and result not in ("failed", "unreachable"):
        invalid("'result'", "true, 'failed' or 'unreachable'", result)
    return "tell", rid, result


def parse_status(raw: bytes) -> bool:
    """Whether an agent's status payload says ``online`` (else ``offline``).

    Raises:
        ValueError: it is neither.
    """
    if raw == b"online":
        return True
    if raw == b"offline":
        return False
    raise ValueError(f"a status must be 'online' or 'offline', got {raw!r:.80}")
