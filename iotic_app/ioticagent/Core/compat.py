"""py-IoticAgent's Core.compat: the stdlib names and small helpers scripts import from it."""

# 0.7.0 ran on Python 2.7 and 3; this is its Python 3 branch, made of the standard library
# (scripts import monotonic, Queue and Empty from here). re_compile is re.compile: 0.7.0
# preferred the third-party regex module and fell back to re without it.

from __future__ import annotations

import keyword
import ssl
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from inspect import getcallargs, signature
from keyword import kwlist
from queue import Empty, Full, Queue
from re import compile as re_compile
from sys import version_info
from threading import Event, Lock, RLock
from time import monotonic
from typing import Any, Final, NoReturn
from urllib.parse import urlparse
from warnings import warn

__all__ = [
    "PY3",
    "Empty",
    "Event",
    "Full",
    "Iterable",
    "Lock",
    "Mapping",
    "Queue",
    "RLock",
    "Sequence",
    "SocketError",
    "arg_checker",
    "ensure_ascii",
    "ensure_unicode",
    "getcallargs",
    "int_types",
    "kwlist",
    "monotonic",
    "number_types",
    "partial",
    "py_version_check",
    "raise_from",
    "re_compile",
    "signature",
    "ssl_version_check",
    "string_types",
    "u",
    "unicode_type",
    "urlparse",
    "valid_identifier",
    "version_info",
    "warn",
]

PY3: Final = version_info[0] == 3
SocketError: Final = OSError
string_types: Final = str
unicode_type: Final = str
int_types: Final = (int,)
number_types: Final = (int, float)

# Python 2's keywords too, as 0.7.0 refused them on both.
_NOT_IDENTIFIERS: Final = frozenset((*keyword.kwlist, "exec", "print"))


def u(obj: object) -> str:
    """*obj* as a str (itself if it is one)."""
    return obj if isinstance(obj, str) else str(obj)


def ensure_ascii(obj: object, name: str | None = None) -> str:
    """*obj* if it is an ASCII str.

    Raises:
        ValueError: it is not a str, or has a character outside ASCII.
    """
    if isinstance(obj, str) and obj.isascii():
        return obj
    raise ValueError(f"{name or 'argument'} must be an ASCII str, got {obj!r}")


def ensure_unicode(obj: object, name: str | None = None) -> str:
    """*obj* if it is a str.

    Raises:
        ValueError: it is not.
    """
    if isinstance(obj, str):
        return obj
    raise ValueError(f"{name or 'argument'} must be a str, got {obj!r}")


def valid_identifier(name: object) -> bool:
    """Whether *name* is a str that could name a Python variable (not a keyword)."""
    return isinstance(name, str) and name.isidentifier() and name not in _NOT_IDENTIFIERS


def raise_from(value: BaseException, from_value: BaseException | None) -> NoReturn:
    """``raise value from from_value``."""
    raise value from from_value


def py_version_check() -> None:
    """Nothing to check: iotic_app needs Python 3.10 or later, far above 0.7.0's minimum."""


def ssl_version_check() -> None:
    """Check that OpenSSL is at least 1.0.1 (for TLS 1.2).

    Raises:
        RuntimeError: it is older.
    """
    if ssl.OPENSSL_VERSION_INFO[:3] < (1, 0, 1):
        raise RuntimeError(f"TLS 1.2 needs OpenSSL 1.0.1 or later, found {ssl.OPENSSL_VERSION}")


def arg_checker(func: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
    """Whether *func* can be called with *args* and *kwargs*."""
    try:
        signature(func).bind(*args, **kwargs)
    except TypeError:
        return False
    return True
