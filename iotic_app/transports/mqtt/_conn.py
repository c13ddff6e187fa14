"""One connection (on an engine): its bookkeeping, its failures explained; session claims; the
client-id registry."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import NamedTuple

from iotic_app.transports.mqtt._engine import Engine

__all__ = [
    "DENIED",
    "SECOND",
    "WINDOW",
    "Claim",
    "Conn",
    "release_client_id",
    "take_client_id",
    "tls_hint",
    "too_many_files",
]

logger = logging.getLogger("iotic_app.mqtt")

WINDOW = 1000  # at most this many shares unacknowledged per connection (or the broker's max)


def too_many_files(agent_id: str, fd: int) -> str:
    """What to say when a connection got descriptor *fd*, which select() cannot take."""
    return (
        f"agent {agent_id!r}: cannot use a connection to the MQTT broker: it got file "
        f"descriptor {fd}, and paho-mqtt's network loop (select()) takes descriptors below "
        "1024 only; this process has too many files or sockets open (clients "
        "no longer used can be closed with client.close())"
    )


def tls_hint(error: str, where: str, certificate: bool = False) -> str:
    """A likely cause of the TLS failure *error* (ssl's message), for the LinkException
    (*certificate*: the client sent one)."""
    text = error.lower()
    if "verify failed" in text:
        return " (check ca_file: it must hold the CA that signed the broker's certificate)"
    if "certificate" in text or "unknown ca" in text or "alert" in text:
        return (
            " (the broker refused the client certificate: check cert_file and key_file, and "
            "that the broker trusts the CA that signed them)"
        )
    if "eof" in text or "reset" in text:
        # a broker that refuses the certificate (or wants one) may just close, seen under
        # load, as a plain listener does on a TLS hello: either may be the cause
        cert = (
            "refused the client certificate: check cert_file and key_file, and that the broker "
            "trusts the CA that signed them"
            if certificate
            else "requires a client certificate: set cert_file and key_file"
        )
        return (
            f" (is {where} a plain MQTT listener? mqtts:// needs the broker's TLS port; or the "
            f"broker {cert})"
        )
    if any(word in text for word in ("wrong version", "record", "packet")):
        return f" (is {where} a plain MQTT listener? mqtts:// needs the broker's TLS port)"
    return ""


class Claim(NamedTuple):
    """A process's retained claim on an agent's MQTT session."""

    instance: str
    generation: int

    @classmethod
    def parse(cls, payload: bytes) -> Claim | None:
        """The claim in *payload*, or None (logged) when it is not one."""
        try:
            doc = json.loads(payload)
            generation = doc.get("generation", 0)
            if not isinstance(generation, int):
                raise ValueError(generation)
            return cls(str(doc["instance"]), generation)
        except (ValueError, KeyError, AttributeError, TypeError):
            logger.warning("ignored a session claim that is not one: %.80r", payload)
            return None


DENIED = {0x87, 0x86, 0x8C, 0x97, 0x9A}  # not authorized, bad credentials, bad auth, quota, ...
_IN_USE_LOCK = threading.Lock()


# Counted per agent, not per broker address: two addresses may be two nodes of one cluster
# (or two listeners of one broker), where one client id pushes the other's session off.
_IN_USE_IDS: set[str] = set()
SECOND = "~"  # joins an agent name and N in the client id of its Nth client in one process


def take_client_id(agent: str) -> str:
    """Return a client id for a started client of *agent*: the agent id itself, or ``AGENT~N``
    for a second (third, ...) client of the same agent started in this process, whichever
    broker or node it connects to.

    ``~`` cannot appear in an agent name (letters, digits, ``_``, ``.``, ``-``), so no agent's
    own client id (``X.2``, say) is ever the id of another agent's second client (``X~2``).
    """
    with _IN_USE_LOCK:
        n = 1
        while (f"{agent}{SECOND}{n}" if n > 1 else agent) in _IN_USE_IDS:
            n += 1
        cid = agent if n == 1 else f"{agent}{SECOND}{n}"
        _IN_USE_IDS.add(cid)
        return cid


def release_client_id(cid: str) -> None:
    with _IN_USE_LOCK:
        _IN_USE_IDS.discard(cid)


class Conn:
    """One MQTT connection (a fresh engine) and its acknowledgement bookkeeping."""

    def __init__(self, make: Callable[[Conn], Engine]) -> None:
        """Make the connection's engine with *make* (given this bookkeeping, for its events)."""
        self.cond = threading.Condition()
        self.acked: dict[int, int] = {}  # mid -> reason code value (PUBACK/SUBACK/UNSUBACK)
        self.connack: int | None = None
        self.connected = threading.Event()
        self.answered = threading.Event()  # CONNACK (either way) or the link dropped
        self.ready = threading.Event()  # subscriptions and catalogue restored: in service
        self.closed = threading.Event()
        self.disconnect_reason: int | None = None
        self.receive_max = WINDOW
        # on a broker the agent moved to: retained copies of followed feeds are asked for and
        # taken as values (the ledger drops what came before), so what was shared there
        # before the follows were restored arrives, its newest at least, and gaps are counted
        self.catch_up = False
        self.inflight: dict[int, int] = {}  # mid -> outbox seq (under the send lock)
        self.closing = threading.Lock()  # one thread at a time shuts the connection down
        self.engine = make(self)

    def result(self, mid: int, timeout: float) -> int | None:
        with self.cond:
            if not self.cond.wait_for(lambda: mid in self.acked or self.closed.is_set(), timeout):
                return None
            return self.acked.pop(mid, None)
