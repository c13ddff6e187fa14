"""Parse the ``config`` argument (URL, .ini path or AgentConfig) into an AgentConfig."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from typing import TypeAlias

import attrs

__all__ = ["ENV_VAR", "AgentConfig", "ConfigLike", "default_agent_id", "parse_config"]

ENV_VAR = "IOTIC_APP_CONFIG"
"""Environment variable read when ``config`` is None."""

DEFAULT_URL = "local://"

_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")

# Which options each scheme accepts (URL query or .ini [agent] keys other than url/agent), and
# their kind (int options: positive, or the range in _INT_RANGES). The MQTT options' other checks
# (files, TLS, protocol, root) are MqttSettings.from_config's, which from_url calls.
_MQTT_OPTIONS: dict[str, type] = {
    "queue_limit": int,
    "keepalive": int,
    "connect_timeout": int,
    "outbox_limit": int,
    "replay_window": int,
    "protocol": str,
    "outbox": str,
    "root": str,
    "username": str,
    "password": str,
    "password_file": str,
    "ca_file": str,
    "cert_file": str,
    "key_file": str,
}
_SCHEMES: dict[str, dict[str, type]] = {
    "local": {"queue_limit": int},
    "mqtt": _MQTT_OPTIONS,
    "mqtts": _MQTT_OPTIONS,
}
# Options never shown in the normalised URL nor in reprs (the MQTT password).
_SECRET_OPTIONS = frozenset({"password"})
# Every integer option's range: (lowest, highest, what it is).
_INT_RANGES: dict[str, tuple[int, int, str]] = {
    "keepalive": (1, 65535, "seconds; MQTT allows 1 to 65535"),
    "connect_timeout": (1, 3600, "seconds"),
    "replay_window": (0, 86400, "seconds; 0 replays nothing"),
    "queue_limit": (1, 10**9, "callbacks"),
    "outbox_limit": (1, 10**9, "rows"),
}
# An option name that may be quoted: anything else (an .ini line without '=', the rest of a
# password) is "an unknown option", never its text.
_OPTION_NAME_RE = re.compile(r"[A-Za-z0-9_.-]{1,40}")
# Text that is not a URL and may hold a password (user:pw@host, scheme:/..., ?password=...):
# never quoted when it is not an existing file either.
_MAY_HOLD_SECRET = re.compile(r"[@:?&=#]")
_TYPO_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):/?(?!/)")
_DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883}

_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_AUTHORITY_END = re.compile(r"[/?#]")
_RAW_USER = re.compile(r"[^:/?#@\[\]]+:")  # "USER:" at the start: a password may follow
_HOST_RE = re.compile(r"[\w.-]+|\[[0-9A-Fa-f:.]+\]")
_ENCODE_HINT = "a password holding '/', '?', '#' or '@' can be percent-encoded (%2F, %3F, %23, %40)"


class Secret(str):
    """A str whose repr hides it: passwords in ``AgentConfig.options`` never reach logs."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'***'"


@attrs.frozen
class UrlParts:
    """A config URL split once into its parts; :meth:`shown` rebuilds it without the password.

    Attributes:
        scheme: The scheme, lowercase.
        host: The broker's host (``[...]`` for IPv6), or for ``local://`` the space's name.
        port: The port (the scheme's default when the URL gives none), or None for ``local://``.
        username: The user name before ``@`` (percent-decoded), or None.
        password: The password after ``user:`` (percent-decoded), or None; never in the repr.
        query: The query's ``(key, value)`` pairs, decoded, in order.
        port_text: The port as written (None when absent), for messages.
    """

    scheme: str
    host: str
    port: int | None = None
    username: str | None = None
    password: str | None = attrs.field(default=None, repr=False)
    query: tuple[tuple[str, str], ...] = ()
    port_text: str | None = None

    def shown(self) -> str:
        """The URL as it may be shown: ``scheme://[user[:***]@]host[:port]``, no query."""
        return _shown(
            self.scheme, self.username, self.password is not None, self.host, self.port_text
        )


def _shown(scheme: str, user: str | None, has_password: bool, host: str, port: str | None) -> str:
    from urllib.parse import quote

    userinfo = ""
    if user is not None:
        userinfo = quote(user, safe="") + (":***" if has_password else "") + "@"
    if port is not None and len(port) > 12:  # a 5000-digit port: its start is enough
        port = port[:12] + "..."
    return f"{scheme}://{userinfo}{host}" + ("" if port is None else f":{port}")


def split_url(url: str) -> UrlParts:
    """Split a config URL into its parts, checking its structure (not the options' values).

    The structure is RFC 3986's: ``scheme://[user[:password]@]host[:port][/][?query]``, where
    a password holding ``/``, ``?``, ``#`` or ``@`` is percent-encoded. Written raw, such a
    password is still accepted when the URL reads only one way: when the RFC reading is not a
    valid config URL but the text up to a later ``@`` is ``user:`` and a password, and what
    follows it is. Messages show the parts (the password as ``***``), never the text after
    ``user:``.

    Args:
        url: The URL.

    Returns:
        The parts.

    Raises:
        ValueError: not a URL of a known scheme, or its host, port, path, query or fragment is
            not valid.
    """
    scheme_text, sep, rest = url.partition("://")
    if not sep or not _SCHEME_RE.fullmatch(scheme_text):
        raise ValueError(
            "config is not a URL: expected 'SCHEME://...' such as 'local://NAME' or "
            "'mqtt://HOST:PORT'"
        )
    scheme = scheme_text.lower()
    found = _AUTHORITY_END.search(rest)
    authority_end = len(rest) if found is None else found.start()
    # Shown for a scheme that is not read further: the authority, unless it may hold userinfo.
    where = f"{scheme}://" + ("…" if "@" in rest else rest[:authority_end])
    if scheme not in _SCHEMES:
        allowed = ", ".join(f"{name}://" for name in sorted(_SCHEMES))
        raise ValueError(f"config {where!r} has unknown scheme {scheme!r}; allowed: {allowed}")
    userinfo, at, _ = rest[:authority_end].rpartition("@")
    readings: list[tuple[str | None, str]] = [
        (userinfo, rest[len(userinfo) + 1 :]) if at else (None, rest)
    ]
    if _RAW_USER.match(rest):  # a raw password may run past the RFC authority, to a later "@"
        readings.extend(
            (rest[:i], rest[i + 1 :]) for i in range(authority_end, len(rest)) if rest[i] == "@"
        )
    errors: list[ValueError] = []
    for userinfo_text, after in readings:
        try:
            return _split_after_scheme(scheme, userinfo_text, after)
        except ValueError as exc:
            errors.append(exc)
    # The last reading's error: what follows the last "@" holds no part of a password.
    raise errors[-1]


def _split_after_scheme(scheme: str, userinfo: str | None, after: str) -> UrlParts:
    from urllib.parse import parse_qsl, unquote

    user = password = None
    if userinfo is not None:
        user_text, colon, password_text = userinfo.partition(":")
        user = unquote(user_text)
        password = unquote(password_text) if colon else None
    found = _AUTHORITY_END.search(after)
    end = len(after) if found is None else found.start()
    hostport, tail = after[:end], after[end:]
    if scheme == "local":
        host, port_text = hostport, None
    elif hostport.startswith("[") and "]" in hostport:
        close = hostport.index("]") + 1
        host, rest = hostport[:close], hostport[close:]
        port_text = rest[1:] if rest.startswith(":") else (rest or None)
    else:
        host, colon, port_text_or_empty = hostport.partition(":")
        port_text = port_text_or_empty if colon else None
    shown = _shown(scheme, user, password is not None, host, port_text)
    if userinfo is not None and not user:
        raise ValueError(f"config {shown!r}: the user name before '@' is empty")
    tail, hash_mark, _ = tail.partition("#")
    if hash_mark:
        raise ValueError(f"config {shown!r} must not contain a '#' fragment ({_ENCODE_HINT})")
    path, _, query = tail.partition("?")
    if path not in ("", "/"):
        raise ValueError(
            f"config {shown!r} has a path after the {'space name' if scheme == 'local' else 'port'}"
            f", which {scheme}:// does not take ({_ENCODE_HINT})"
        )
    port: int | None = None
    if scheme == "local":
        if userinfo is not None:
            raise ValueError(
                "config 'local://…' has a user name or password; local:// takes neither"
            )
        if host:
            _check_name("the space name", host, shown)
    else:
        if not _HOST_RE.fullmatch(host):
            raise ValueError(
                f"config {shown!r} must name a broker: {scheme}://[user[:password]@]host[:port]"
            )
        port = _DEFAULT_PORTS.get(scheme) if port_text is None else _port(port_text, shown)
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise ValueError(
            f"config {shown!r} has a malformed query: expected ?key=value&key=value..."
        ) from None
    allowed = _SCHEMES[scheme]
    after_password = False
    for key, _value in pairs:
        if key != "agent" and key not in allowed:
            if after_password:  # maybe the rest of a password holding a raw '&'
                raise ValueError(
                    f"an unknown option after 'password' in the query of config {shown!r} (its "
                    "name is not shown: it may be the rest of the password); in the query, a "
                    "password holding '&' must write it as %26 (and '+' as %2B)"
                )
            raise _unknown_option(scheme, key, shown, " in the query")
        after_password = after_password or key == "password"
    return UrlParts(
        scheme=scheme,
        host=host,
        port=port,
        username=user,
        password=password,
        query=tuple(pairs),
        port_text=port_text,
    )


def _port(text: str, shown: str) -> int:
    port = int(text) if text.isascii() and text.isdigit() and len(text) <= 5 else -1
    if not 0 < port < 65536:
        raise ValueError(f"config {shown!r}: the port must be 1-65535, got {_short(text)}")
    return port


def _short(value: str) -> str:
    """*value* quoted, or its start and length when it is long (a 5000-digit number)."""
    return repr(value) if len(value) <= 24 else f"{value[:12]!r}... ({len(value)} characters)"


def _unknown_option(scheme: str, key: str, shown: str, where: str = "") -> ValueError:
    """An unknown option: named when *key* looks like an option name, else *where* it is."""
    names = ", ".join(sorted({"agent", *_SCHEMES[scheme]}))
    if _OPTION_NAME_RE.fullmatch(key):
        what = f"unknown option {key!r}"
    else:
        what = f"an unknown option{where} (its name is not shown: it may hold a password)"
    return ValueError(f"{what} in config {shown!r}; {scheme}:// allows: {names}")


def default_agent_id() -> str:
    """Return the agent name used when the config names none: the running script's file stem.

    ``python examples/share_basic.py`` gives ``share_basic``; an interactive session or a name
    that is not a valid agent name gives ``agent``.

    Returns:
        A valid agent name.
    """
    argv0 = sys.argv[0] if sys.argv else ""
    stem = os.path.splitext(os.path.basename(argv0))[0]
    if stem in {"-c", "-m", "-"}:
        return "agent"
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", stem).strip("_.-")
    if stem and _NAME_RE.fullmatch(stem) and stem not in {"pytest", "__main__", "-c", "ipykernel"}:
        return stem
    return "agent"


def _check_name(what: str, value: str, source: str) -> str:
    if not _NAME_RE.fullmatch(value):
        raise ValueError(
            f"{what} in config {source!r} must be 1-128 letters, digits, '_', '.' or '-' "
            f"(starting with a letter or digit), got {value!r}"
        )
    return value


def _check_options(scheme: str, options: Mapping[str, str], source: str) -> dict[str, str]:
    allowed = _SCHEMES[scheme]
    checked: dict[str, str] = {}
    for key, value in options.items():
        kind = allowed.get(key)
        if kind is None:
            raise _unknown_option(scheme, key, source)
        if kind is int:
            low, high, what = _INT_RANGES[key]
            text = value.strip()
            digits = text.isascii() and text.isdigit() and len(text) <= len(str(high))
            if not digits or not low <= int(text) <= high:
                sign = "a positive" if low > 0 else "a non-negative"
                raise ValueError(
                    f"option {key!r} in config {source!r} must be {sign} integer from {low} to "
                    f"{high} ({what}), got {_short(value)}"
                )
            value = text
        checked[key] = value
    return checked


@attrs.frozen
class AgentConfig:
    """Where the agent connects and as whom: the parsed form of ``config``.

    Build one with :meth:`parse` (or its friends); the constructor does no checking.

    Attributes:
        url: The URL, normalised (``local://NAME?agent=AGENT``).
        scheme: ``'local'``, ``'mqtt'`` or ``'mqtts'``.
        space: The space's name: for ``local://`` the in-process space's name (``''`` is the
            default space); for MQTT the broker's ``host:port``.
        agent_id: The agent's name: owner of its things, and its identity on the transport.
        options: Further transport settings, as strings (e.g. ``queue_limit`` for local).
        source: The .ini file the config came from, or None.
    """

    url: str
    scheme: str
    space: str
    agent_id: str
    options: Mapping[str, str] = attrs.field(factory=dict)
    source: str | None = None

    def option_int(self, name: str, default: int) -> int:
        """Return option *name* as an int, or *default* when it is not set.

        Args:
            name: The option's name.
            default: Returned when the option is absent.

        Returns:
            The option's value.
        """
        value = self.options.get(name)
        return default if value is None else int(value)

    def with_agent(self, agent_id: str) -> AgentConfig:
        """Return the same config for another agent (e.g. a demo peer in the same space).

        Args:
            agent_id: The other agent's name.

        Returns:
            The new config.

        Raises:
            ValueError: *agent_id* is not a valid agent name.
        """
        _check_name("the agent name", agent_id, self.url)
        url = re.sub(r"([?&])agent=[^&]*", rf"\g<1>agent={agent_id}", self.url, count=1)
        return attrs.evolve(self, url=url, agent_id=agent_id)

    @classmethod
    def parse(cls, config: ConfigLike) -> AgentConfig:
        """Parse any accepted form of ``config``.

        Args:
            config: None (then ``$IOTIC_APP_CONFIG`` if set, else ``local://``), a URL, a path
                (``str`` or ``os.PathLike``) to an .ini file, or an AgentConfig (returned as is).

        Returns:
            The parsed config.

        Raises:
            TypeError: *config* has an unsupported type.
            ValueError: the URL, scheme, agent name or an option is not valid.
            FileNotFoundError: *config* names an .ini file that does not exist.
        """
        if config is None:
            env = os.environ.get(ENV_VAR)
            if env is None or not env.strip():
                return cls.from_url(DEFAULT_URL)
            return cls._parse_text(env.strip(), f"${ENV_VAR}")
        if isinstance(config, AgentConfig):
            return config
        if isinstance(config, os.PathLike):
            return cls.from_file(config)
        if isinstance(config, str):
            return cls._parse_text(config, "config")
        raise TypeError(  # the type only: the value may hold a password
            "config must be None, a URL such as 'local://' or 'local://NAME?agent=AGENT', "
            f"a path to an .ini file, or an AgentConfig, got {type(config).__name__}"
        )

    @classmethod
    def _parse_text(cls, text: str, what: str) -> AgentConfig:
        if "://" in text:
            return cls.from_url(text)
        if not text:
            raise ValueError(f"{what} must be a URL such as 'local://' or an .ini path, got ''")
        if _MAY_HOLD_SECRET.search(text) and not os.path.isfile(text):
            raise ValueError(_neither_url_nor_file(what, text))
        return cls.from_file(text)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        agent_id: str | None = None,
        source: str | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> AgentConfig:
        """Parse a URL: ``local://[NAME][?agent=AGENT]`` or ``mqtt[s]://[USER[:PASSWORD]@]HOST[:PORT]``.

        The URL is split once (:func:`split_url`); every message is built from its parts, so
        no password ever shows. For ``mqtt://`` and ``mqtts://`` the MQTT settings are
        checked too (value ranges, files readable, TLS files loadable), so a mistake fails here.

        Args:
            url: The URL.
            agent_id: The agent's name when the URL names none (an .ini ``agent`` key).
            source: Named in errors instead of the URL (the .ini file).
            extra: Options from an .ini file, checked like query options.

        Returns:
            The parsed config.

        Raises:
            TypeError: *url* is not a str.
            ValueError: the scheme is unknown, or a part or an option is not valid (the
                message names it and says what is allowed).
        """
        if not isinstance(url, str):
            raise TypeError(f"config URL must be a str, got {type(url).__name__}")
        try:
            parts = split_url(url)
        except ValueError as exc:
            if source is None:
                raise
            raise ValueError(f"url in config file {source!r}: {exc}") from None
        shown = source if source is not None else parts.shown()
        options: dict[str, str] = dict(extra or {})
        if parts.username is not None:
            options["username"] = parts.username
        if parts.password is not None:
            options["password"] = parts.password
        for key, value in parts.query:
            if key == "agent":
                agent_id = value
            else:
                options[key] = value
        options = _check_options(parts.scheme, options, shown)
        for key in _SECRET_OPTIONS.intersection(options):
            options[key] = Secret(options[key])
        agent = default_agent_id() if agent_id is None else agent_id
        _check_name("the agent name", agent, shown)
        space = parts.host if parts.port is None else f"{parts.host}:{parts.port}"
        shown_options = sorted((k, v) for k, v in options.items() if k not in _SECRET_OPTIONS)
        query_out = "&".join([f"agent={agent}", *(f"{k}={v}" for k, v in shown_options)])
        config = cls(
            url=f"{parts.scheme}://{space}?{query_out}",
            scheme=parts.scheme,
            space=space,
            agent_id=agent,
            options=options,
            source=source,
        )
        if parts.scheme in _DEFAULT_PORTS:  # the MQTT settings: files readable, TLS loads, ...
            from iotic_app.transports.mqtt._settings import MqttSettings

            MqttSettings.from_config(config)
        return config

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> AgentConfig:
        """Read an .ini file whose ``[agent]`` section holds ``url``, ``agent`` and options.

        Example file::

            [agent]
            url = local://plant
            agent = boiler_sensor

        Args:
            path: The file's path.

        Returns:
            The parsed config.

        Raises:
            FileNotFoundError: the file does not exist.
            ValueError: the file is not valid .ini, has no ``[agent]`` section or ``url``, or a
                value is not valid.
        """
        import configparser

        name = os.fspath(path)
        if not os.path.isfile(name):
            if _MAY_HOLD_SECRET.search(name):
                raise FileNotFoundError(_neither_url_nor_file("config", name))
            raise FileNotFoundError(
                f"config file {name!r} does not exist (config is a URL such as 'local://' or a "
                "path to an .ini file with an [agent] section)"
            )
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
        if not parser.has_section("agent"):
            raise ValueError(f"config file {name!r} has no [agent] section")
        section = dict(parser.items("agent"))
        for key in section:
            if not _OPTION_NAME_RE.fullmatch(key):  # not an option: never quoted
                line = _line_of(name, key)
                raise ValueError(
                    f"config file {name!r}: an unknown option"
                    + ("" if line is None else f" on line {line}")
                    + " in [agent] (its name is not shown: it may hold a password); "
                    "each line must be 'key = value'"
                )
        url = section.pop("url", None)
        if not url:
            raise ValueError(
                f"config file {name!r}: [agent] needs a url, e.g. 'url = local://NAME'"
            )
        agent = section.pop("agent", None)
        return cls.from_url(url, agent_id=agent, source=name, extra=section)


def _neither_url_nor_file(what: str, text: str) -> str:
    """Why *text* is neither a URL nor an .ini file, without quoting it (it may hold a password),
    but quoting a mistyped scheme separator such as ``mqtt:/``."""
    hint = ""
    typo = _TYPO_SCHEME.match(text)
    if typo and typo.group(1).lower() in _SCHEMES:
        hint = f"; it starts {typo.group(0)!r}: did you mean '{typo.group(1).lower()}://'?"
    return (
        f"{what} is neither a URL ('SCHEME://...' such as 'local://NAME' or 'mqtt://HOST:PORT') "
        f"nor an existing .ini file{hint} (the text is not shown because it may hold a password)"
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


ConfigLike: TypeAlias = str | os.PathLike[str] | AgentConfig | None
"""What ``config`` accepts: None, a URL, an .ini path, or an AgentConfig."""


def parse_config(config: ConfigLike) -> AgentConfig:
    """Parse *config*; see :meth:`AgentConfig.parse`.

    Args:
        config: None, a URL, an .ini path or an AgentConfig.

    Returns:
        The parsed config.

    Raises:
        TypeError: *config* has an unsupported type.
        ValueError: a part of *config* is not valid.
        FileNotFoundError: the .ini file does not exist.
    """
    return AgentConfig.parse(config)
