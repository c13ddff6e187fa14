"""What ``config=None`` means: the script's .ini in cwd, else $IOTIC_APP_CONFIG, else local://."""

from __future__ import annotations

import contextvars
import logging
import os
import sys
from typing import Literal

import attrs

__all__ = ["DEFAULT_URL", "ENV_VAR", "DefaultChoice", "choose_default", "logger", "script_stem"]

ENV_VAR = "IOTIC_APP_CONFIG"
"""Environment variable read when ``config`` is None and the script has no .ini file."""

DEFAULT_URL = "local://"

#: True while ``iotic-app run --config`` imports its target: the option replaces the target's
#: ``App()`` config, so App() does not check what ``config=None`` stands for (a py-IoticAgent
#: ``<script>.ini`` beside a classic script would fail before the option is applied).
_override_coming: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "iotic_app_config_override_coming", default=False
)

#: Says which config ``config=None`` chose, and why (one INFO line per choice).
logger = logging.getLogger("iotic_app.config")

# sys.argv[0] stems that name no script of the user's, so no "<stem>.ini" is looked up: the
# interactive interpreter (''), python -c / -m / - (stdin), `python -m pkg` (pkg/__main__.py),
# notebook kernels and IPython, and pytest (whose pytest.ini is not an agent's config).
_NOT_SCRIPTS = frozenset(
    {"", "-", "-c", "-m", "__main__", "ipykernel", "ipykernel_launcher", "ipython", "pytest"}
)


def script_stem() -> str | None:
    """The running script's file name without its extension, or None when no script runs.

    As py-IoticAgent 0.7.0 did: ``os.path.splitext(os.path.basename(sys.argv[0]))[0]``, so
    ``python tools/share_basic.py`` gives ``share_basic`` (and ``agent.v2.py`` gives
    ``agent.v2``). None for an empty ``sys.argv``, ``''`` (the interactive interpreter),
    ``-c``, ``-m``, ``-``, a package's ``__main__``, notebook kernels, IPython and pytest.

    Returns:
        The stem, or None.
    """
    argv0 = sys.argv[0] if sys.argv else ""
    stem = os.path.splitext(os.path.basename(argv0))[0]
    return None if stem in _NOT_SCRIPTS else stem


@attrs.frozen
class DefaultChoice:
    """The config that ``config=None`` stands for.

    Attributes:
        kind: ``'script'`` (the script's .ini in the working directory), ``'env'``
            (``$IOTIC_APP_CONFIG``) or ``'embedded'`` (``local://``).
        text: The .ini file's path, the variable's value (a URL or a path), or ``local://``.
        why: Why it was chosen, for the log line and for errors (never a secret: it names
            files and the variable, not its value).
    """

    kind: Literal["script", "env", "embedded"]
    text: str = attrs.field(repr=False)  # the variable's value may be a URL with a password
    why: str


def choose_default() -> DefaultChoice:
    """Choose what ``config=None`` stands for, in py-IoticAgent's order, then iotic_app's.

    1. ``<script stem>.ini`` in the current working directory (not the script's folder), when
       something of that name exists there (a directory or a dangling symlink too: reading it
       then fails clearly).
    2. ``$IOTIC_APP_CONFIG`` when it is set and not blank (a URL or an .ini path).
    3. The embedded space, ``local://``.

    Returns:
        The choice; nothing is read or checked yet.
    """
    stem = script_stem()
    if stem is None:
        argv = f"sys.argv[0] is {sys.argv[0]!r}" if sys.argv else "sys.argv is empty"
        skipped = f"no script .ini is looked up ({argv}: no script)"
    else:
        ini = f"{stem}.ini"
        try:
            cwd = os.getcwd()
        except OSError:  # the working directory was removed
            cwd = None
        if cwd is None:
            skipped = f"no {ini} is looked up (the working directory no longer exists)"
        else:
            path = os.path.join(cwd, ini)
            if os.path.lexists(path):  # a dangling symlink too: it fails, naming the file
                return DefaultChoice(
                    "script",
                    path,
                    f"config=None and {ini} (the script's name + .ini) is in the working directory",
                )
            skipped = f"there is no {ini} in the working directory {cwd}"
    env = os.environ.get(ENV_VAR)
    if env is not None and env.strip():
        return DefaultChoice("env", env.strip(), f"config=None, {skipped}, and ${ENV_VAR} is set")
    state = "is not set" if env is None else "is blank"
    return DefaultChoice("embedded", DEFAULT_URL, f"config=None, {skipped}, and ${ENV_VAR} {state}")
