"""The runner's logger, made on first use so that ``import iotic_app`` stays cheap."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import logging


@functools.cache
def runner_logger() -> logging.Logger:
    """``logging.getLogger("iotic_app.runner")``; the library never configures handlers."""
    import logging

    return logging.getLogger("iotic_app.runner")


def describe(exc: BaseException) -> str:
    """``'TypeName: message'`` (or ``'TypeName'`` for an empty message), for logs and status."""
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
