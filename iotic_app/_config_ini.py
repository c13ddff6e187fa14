"""Read an .ini file's ``[agent]`` section; a py-IoticAgent 0.7.0 file gets one clear error."""

from __future__ import annotations

import re

import attrs

from iotic_app._config_options import OPTION_NAME_RE

__all__ = ["LEGACY_KEYS", "IniAgent", "read_agent_section"]

# py-IoticAgent 0.7.0's [agent] keys other than lang (IOT/Config.py): its Iotic Space login
# (host, epid, passwd, token) and AMQP settings. Accepted and ignored once the file has a url,
# so that one file serves both; without a url they mark the file as a 0.7.0 one.
LEGACY_KEYS = ("host", "epid", "passwd", "token", "vhost", "prefix", "sslca")
# The four 0.7.0 required (IOT/Client.py), named first in the error.
_LOGIN_KEYS = ("host", "epid", "passwd", "token")


@attrs.frozen
class IniAgent:
    """The ``[agent]`` section of an .ini file, split into what ``from_url`` takes.

    Attributes:
        url: The ``url`` key.
        agent: The ``agent`` key, or None.
        lang: The ``lang`` key, or None (checked by ``from_url``).
        owner: The ``owner`` key, or None (checked by ``from_url``).
        options: The other keys (the transport's options), 0.7.0 keys left out.
    """

    url: str
    agent: str | None
    lang: str | None
    owner: str | None
    options: dict[str, str] = attrs.field(repr=False)  # may hold a password


def read_agent_section(name: str, script: str | None) -> IniAgent:
    """Read file *name*'s ``[agent]`` section.

    Args:
        name: The file's path (it exists).
        script: The agent name used when the file names none (for the 0.7.0 error's example),
            or None.

    Returns:
        The section's keys.

    Raises:
        ValueError: the file is not UTF-8 text, not valid .ini, has no ``[agent]`` section, a
            line of it is not ``key = value``, or it has no ``url`` (a 0.7.0 file is told which
            key to add).
        OSError: the file cannot be read (e.g. ``PermissionError``), naming it.
    """
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    try:
        with open(name, encoding="utf-8") as handle:
            parser.read_file(handle, source=name)
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"config file {name!r} is not UTF-8 text (byte {exc.start + 1} cannot be read)"
        ) from None
    except configparser.Error as exc:
        raise ValueError(
            f"config file {name!r} is not a valid .ini file: {_ini_error(exc)}"
        ) from None
    except IsADirectoryError:
        raise ValueError(f"config file {name!r} is a directory, not an .ini file") from None
    except OSError as exc:  # same type (PermissionError, ...), with the file and what to do
        raise type(exc)(
            f"config file {name!r} cannot be read ({exc.strerror or type(exc).__name__}); "
            "check its permissions"
        ) from None
    if not parser.has_section("agent"):
        raise ValueError(f"config file {name!r} has no [agent] section")
    section = dict(parser.items("agent"))
    for key in section:
        if not OPTION_NAME_RE.fullmatch(key):  # not an option: never quoted
            line = _line_of(name, key)
            raise ValueError(
                f"config file {name!r}: an unknown option"
                + ("" if line is None else f" on line {line}")
                + " in [agent] (its name is not shown: it may hold a password); "
                "each line must be 'key = value'"
            )
    url = section.pop("url", None)
    legacy = [key for key in LEGACY_KEYS if key in section]
    if not url:
        if legacy:
            raise ValueError(_legacy_message(name, legacy, script))
        raise ValueError(f"config file {name!r}: [agent] needs a url, e.g. 'url = local://NAME'")
    for key in legacy:
        del section[key]
    agent, lang = section.pop("agent", None), section.pop("lang", None)
    return IniAgent(url, agent, lang, section.pop("owner", None), section)


def _legacy_message(name: str, keys: list[str], script: str | None) -> str:
    """The one error of a py-IoticAgent 0.7.0 file: what it is and the key to add (never a
    value: passwd and token are secrets)."""
    login = [key for key in keys if key in _LOGIN_KEYS] or keys
    named = login[0] if len(login) == 1 else ", ".join(login[:-1]) + " and " + login[-1]
    agent = script or "NAME"
    epid = "; epid is not used" if "epid" in keys else ""
    return (
        f"config file {name!r} is a py-IoticAgent config: its [agent] keys {named} are Iotic "
        "Space credentials, which iotic_app does not use. Add to [agent] the url of the space "
        "to connect to: 'url = mqtt://HOST:PORT' (an MQTT broker, e.g. "
        "'url = mqtt://127.0.0.1:1883') or 'url = local://NAME' (the in-process space), and "
        f"if wanted 'agent = {agent}' to name the agent (default: the script's name{epid}). "
        "The py-IoticAgent keys may stay: with a url they are ignored, and lang "
        "is used."
    )


def _line_of(path: str, key: str) -> int | None:
    """The number of the line of [agent] in *path* whose option (as configparser reads it,
    up to the first '=' or ':') is *key*, or None."""
    section = None
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        header = re.fullmatch(r"\[(.+)\]", stripped)
        if header:
            section = header.group(1)
        elif section == "agent" and line[:1] not in (" ", "\t"):
            option = re.split(r"[=:]", stripped, maxsplit=1)[0].strip().lower()
            if option == key:
                return number
    return None


def _ini_error(exc: Exception) -> str:
    """What is wrong with an .ini file, from the parts of configparser's error: never a line's
    text (a line may hold a password)."""
    import configparser

    if isinstance(exc, configparser.MissingSectionHeaderError):
        return f"line {exc.lineno} comes before any [section] header"
    if isinstance(exc, configparser.ParsingError):
        lines = ", ".join(str(lineno) for lineno, _ in exc.errors)
        return f"line {lines} is not 'key = value', a [section] header or a comment"
    if isinstance(exc, configparser.DuplicateOptionError):
        return f"line {exc.lineno}: option {exc.option!r} of [{exc.section}] is given twice"
    if isinstance(exc, configparser.DuplicateSectionError):
        return f"line {exc.lineno}: section [{exc.section}] is given twice"
    return type(exc).__name__
