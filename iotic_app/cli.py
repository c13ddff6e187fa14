"""The ``iotic-app`` command line: run an agent's App in the foreground, with logging set up."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import math
import os
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from iotic_app._config import AgentConfig
from iotic_app._config_lookup import _override_coming
from iotic_app._log import describe
from iotic_app.app import App

__all__ = ["TargetError", "find_app", "load_app", "main"]

logger = logging.getLogger("iotic_app.cli")

#: The one-line log format the command line configures.
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LOG_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"

_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

#: Exit status when a second Ctrl+C or SIGTERM ended the run at once (as shells report SIGINT).
EXIT_INTERRUPTED = 130


class TargetError(ValueError):
    """The ``run`` target names no file or module, or no single App in it."""


def _split_target(target: str) -> tuple[str, str | None]:
    """Split ``path/to/agent.py:NAME`` or ``package.module:NAME`` into its two parts."""
    head, sep, tail = target.rpartition(":")
    if sep and head and tail.isidentifier():
        return head, tail
    return target, None


def _looks_like_path(location: str) -> bool:
    return location.endswith(".py") or "/" in location or os.sep in location


def _module_name_for(path: Path) -> str:
    """A module name for the agent file: its stem, unless that would shadow another module."""
    stem = path.stem
    if (
        stem.isidentifier()
        and stem not in sys.modules
        and stem not in sys.stdlib_module_names
        and stem != "__main__"
    ):
        return stem
    safe = "".join(c if c.isalnum() else "_" for c in stem)
    return f"_iotic_app_agent_{safe}"


def _import_file(path: Path) -> ModuleType:
    """Import the agent file as a module that is not ``__main__``, with its directory on the path.

    As ``python path/to/agent.py`` would, put the file's directory first on ``sys.path`` (so its
    sibling modules import) and make ``sys.argv[0]`` the file (the agent's default name is the
    file's stem). Its ``if __name__ == "__main__":`` block does not run.
    """
    directory = str(path.parent)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    sys.argv = [str(path)]
    name = _module_name_for(path)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - a .py path always has a loader
        raise TargetError(f"cannot import {str(path)!r} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def _import_module(name: str) -> ModuleType:
    """Import ``package.module`` with the current directory importable, as ``python -m`` does."""
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)
    try:
        spec = importlib.util.find_spec(name)
    except ModuleNotFoundError as exc:
        # A missing package on the way is the user's typo; a missing import inside one is not.
        if exc.name is None or not (name == exc.name or name.startswith(f"{exc.name}.")):
            raise
        spec = None
    except ValueError:  # not a module name at all, e.g. "a..b"
        spec = None
    if spec is None:
        raise TargetError(
            f"no module named {name!r}; give a path to a .py file (path/to/agent.py) "
            "or an importable module (package.module:app)"
        )
    if spec.origin:
        sys.argv = [spec.origin]
    return importlib.import_module(name)


def find_app(module: ModuleType, name: str | None, where: str) -> App:
    """Return the App that *module* holds under *name*, or its only module-level App.

    Args:
        module: The imported agent module.
        name: The attribute to use (an App, or a function called with no arguments that
            returns one), or None to look for the one App in the module.
        where: How the user named the module, for error messages.

    Returns:
        The App.

    Raises:
        TargetError: *name* is missing or not an App; or, without *name*, the module holds no
            App or several.
    """
    found: dict[int, list[str]] = {}
    apps: dict[int, App] = {}
    for attr, value in vars(module).items():
        if isinstance(value, App):
            found.setdefault(id(value), []).append(attr)
            apps[id(value)] = value
    names = sorted(attr for attrs_ in found.values() for attr in attrs_)
    if name is not None:
        if not hasattr(module, name):
            available = f"; its App objects: {', '.join(names)}" if names else ""
            raise TargetError(f"{where!r} has no attribute {name!r}{available}")
        value = getattr(module, name)
        if callable(value) and not isinstance(value, App | type):
            made = value()  # a factory such as build_app(): called with no arguments
            if not isinstance(made, App):
                raise TargetError(
                    f"{where}:{name}() must return an iotic_app.App, "
                    f"got {type(made).__name__} {made!r}"
                )
            return made
        if not isinstance(value, App):
            raise TargetError(
                f"{where}:{name} must be an iotic_app.App or a function that returns one, "
                f"got {type(value).__name__} {value!r}"
            )
        return value
    if not apps:
        raise TargetError(
            f"no App found at module level in {where!r}; create one there "
            "(app = App()), or name a function that returns one: path:FUNCTION"
        )
    if len(apps) > 1:
        choices = ", ".join(f"{where}:{attr}" for attr in names)
        raise TargetError(
            f"several App objects at module level in {where!r} ({', '.join(names)}); "
            f"choose one: {choices}"
        )
    return next(iter(apps.values()))


def load_app(target: str) -> App:
    """Import the agent that *target* names and return its App.

    Args:
        target: ``path/to/agent.py``, ``path/to/agent.py:NAME``, ``package.module`` or
            ``package.module:NAME``. Without ``:NAME`` the module must hold exactly one App;
            NAME may also be a function that takes no arguments and returns the App.

    Returns:
        The App.

    Raises:
        TargetError: The file or module does not exist, or holds no single App.
        Exception: Whatever importing the agent raised.
    """
    location, name = _split_target(target)
    if _looks_like_path(location) or Path(location).is_file():
        path = Path(location).resolve()
        if not path.is_file():
            raise TargetError(f"no such file: {location!r}")
        module = _import_file(path)
    else:
        module = _import_module(location)
    return find_app(module, name, location)


def _retry_timeout(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a non-negative number of seconds, got {text!r}"
        ) from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative number of seconds, got {text!r}")
    return int(value) if value.is_integer() and "." not in text else value


def _log_level(text: str) -> str:
    level = text.upper()
    if level not in _LEVELS:
        raise argparse.ArgumentTypeError(
            f"must be one of {', '.join(_LEVELS)} (any case), got {text!r}"
        )
    return level


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    """Return the command line's argument parser."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Run iotic_app agents.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    run = commands.add_parser(
        "run",
        help="run an agent's App in the foreground until it ends or is stopped",
        description=(
            "Import the agent and run its App in the foreground. Ctrl+C or SIGTERM shut it "
            "down gracefully (shutdown handlers run); a second one exits at once. "
            "Exit status: 0 when the run ended gracefully, 1 when it failed, 130 when a "
            "second Ctrl+C or SIGTERM cut the shutdown short, 2 for a usage error."
        ),
    )
    run.add_argument(
        "target",
        metavar="TARGET",
        help=(
            "path/to/agent.py (the one App in the file), path/to/agent.py:NAME, "
            "or package.module:NAME; NAME is an App or a function returning one"
        ),
    )
    run.add_argument(
        "--config",
        metavar="CONFIG",
        help="where and as whom to connect: a URL (local://NAME) or an .ini file; "
        "overrides the App's config",
    )
    run.add_argument(
        "--log-level",
        type=_log_level,
        default="INFO",
        metavar="LEVEL",
        help="DEBUG, INFO (default), WARNING, ERROR or CRITICAL",
    )
    run.add_argument(
        "--retry-timeout",
        type=_retry_timeout,
        metavar="SECONDS",
        help="seconds to wait before a retry; overrides the App's retry_timeout",
    )
    run.set_defaults(parser=run)
    directory = commands.add_parser(
        "directory",
        help="run a directory next to an MQTT broker: it indexes all things and answers search",
        description=(
            "Follow every thing's metadata on the broker, index it in sqlite and answer the "
            "agents' searches (docs/mqtt.md, 'Directory'). Several may run on one broker (give "
            "each its own agent=NAME). Ctrl+C or SIGTERM stop it. Exit status as for run."
        ),
    )
    directory.add_argument(
        "--config",
        metavar="CONFIG",
        required=True,
        help="the broker and credentials: mqtt://HOST:PORT (or mqtts://, or an .ini file); "
        "agent=NAME names the directory (default 'directory')",
    )
    directory.add_argument(
        "--db",
        metavar="PATH",
        help="the index's sqlite file (default: one under ~/.local/share/iotic_app/directory)",
    )
    directory.add_argument(
        "--log-level",
        type=_log_level,
        default="INFO",
        metavar="LEVEL",
        help="DEBUG, INFO (default), WARNING, ERROR or CRITICAL",
    )
    directory.set_defaults(parser=directory)
    return parser


def configure_logging(level: str) -> None:
    """Send log records at *level* and above to stderr, one compact line each."""
    logging.basicConfig(level=level, format=LOG_FORMAT, datefmt=LOG_DATE_FORMAT, force=True)


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """Run the command line.

    Args:
        argv: The arguments (default ``sys.argv[1:]``).
        prog: The program's name in messages (default from ``sys.argv[0]``).

    Returns:
        The exit status: 0 when the run ended gracefully, 1 when it failed (the error is
        logged), 130 when a second Ctrl+C or SIGTERM cut the shutdown short. Usage errors
        exit with 2 (``SystemExit`` from argparse).

    Example::

        $ iotic-app run examples/minimal.py --log-level DEBUG
    """
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    configure_logging(args.log_level)
    saved_argv = sys.argv[:]
    try:
        if args.command == "directory":
            return _directory(args.parser, args)
        return _run(args.parser, args)
    finally:
        sys.argv = saved_argv


def _directory(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from iotic_app.directory import directory_app, directory_service

    try:
        service = directory_service(args.config, args.db)
    except (TypeError, ValueError, OSError) as exc:
        option = "--db" if isinstance(exc.__cause__, sqlite3.Error) else "--config"
        parser.error(f"argument {option}: {exc}")
    try:
        directory_app(service).run()
    except KeyboardInterrupt:
        logger.warning("interrupted again: exiting at once")
        return EXIT_INTERRUPTED
    except Exception as exc:
        logger.error("the directory failed: %s", describe(exc), exc_info=exc)
        return 1
    finally:
        service.close()
    return 0


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    try:
        # with --config, App() in the target does not check config=None's choice (the
        # script's .ini may be a py-IoticAgent file): the option replaces it below
        pending = _override_coming.set(args.config is not None)
        try:
            app = load_app(args.target)
        except TargetError as exc:
            parser.error(str(exc))
        except KeyboardInterrupt:
            return EXIT_INTERRUPTED
        except Exception as exc:
            logger.error("cannot load %s: %s", args.target, describe(exc), exc_info=exc)
            return 1
        finally:
            _override_coming.reset(pending)
        for option, field in (("--config", "config"), ("--retry-timeout", "retry_timeout")):
            value = getattr(args, field)
            if value is None:
                continue
            try:
                if field == "config":
                    AgentConfig.parse(value)  # a bad --config is a usage error, not a failure
                setattr(app, field, value)
            except (TypeError, ValueError, OSError) as exc:
                parser.error(f"argument {option}: {exc}")
        try:
            app.run()
        except Exception as exc:
            logger.error("%s failed: %s", args.target, describe(exc), exc_info=exc)
            return 1
    except KeyboardInterrupt:
        logger.warning("interrupted again: exiting at once")
        return EXIT_INTERRUPTED
    return 0
