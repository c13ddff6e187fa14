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

# Which options each scheme accepts (URL query or .ini [agent] keys other than url/agent), and a
# validator per option. The MQTT transport (issue 4) adds its scheme and options here.
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
# Schemes that are planned but not available in this version: a clear error, not "unknown".
_PLANNED: dict[str, str] = {}
# Options never shown in the normalised URL nor in reprs (the MQTT password).
_SECRET_OPTIONS = frozenset({"password"})
_PASSWORD_IN_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://[^:/@?#]*:)[^@/?#]*@")


class Secret(str):
    """A str whose repr hides it: passwords in ``AgentConfig.options`` never reach logs."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'***'"


def _split_netloc(scheme: str, where: str, shown: str) -> tuple[str, dict[str, str]]:
    """Split ``[user[:password]@]host[:port]`` of an MQTT URL into ``host:port`` and options."""
    from urllib.parse import unquote

    userinfo, at, hostport = where.rpartition("@")
    options: dict[str, str] = {}
    if at:
        user, colon, password = userinfo.partition(":")
        if not user:
            raise ValueError(f"config {shown!r}: the user name before '@' is empty")
        options["username"] = unquote(user)
        if colon:
            options["password"] = unquote(password)
    host, colon, port_text = hostport.rpartition(":") if ":" in hostport else (hostport, "", "")
    if hostport.startswith("[") and hostport.endswith("]"):
        host, port_text = hostport, ""
    if not host or "/" in host:
        raise ValueError(
            f"config {shown!r} must name a broker: {scheme}://[user[:password]@]host[:port]"
        )
    default = 8883 if scheme == "mqtts" else 1883
    try:
        port = int(port_text) if colon else default
    except ValueError:
        port = -1
    if not 0 < port < 65536:
        raise ValueError(f"config {shown!r}: the port must be 1-65535, got {port_text!r}")
    return f"{host}:{port}", options


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
            names = ", ".join(sorted({"agent", *allowed}))
            raise ValueError(
                f"unknown option {key!r} in config {source!r}; {scheme}:// allows: {names}"
            )
        if kind is int:
            try:
                number = int(value)
            except ValueError:
                number = -1
            if number <= 0:
                raise ValueError(
                    f"option {key!r} in config {source!r} must be a positive integer, got {value!r}"
                )
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
        raise TypeError(
            "config must be None, a URL such as 'local://' or 'local://NAME?agent=AGENT', "
            f"a path to an .ini file, or an AgentConfig, got {config!r}"
        )

    @classmethod
    def _parse_text(cls, text: str, what: str) -> AgentConfig:
        if "://" in text:
            return cls.from_url(text)
        if not text:
            raise ValueError(f"{what} must be a URL such as 'local://' or an .ini path, got ''")
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
        """Parse a URL: ``local://``, ``local://NAME`` or ``local://NAME?agent=AGENT``.

        Args:
            url: The URL.
            agent_id: The agent's name when the URL names none (an .ini ``agent`` key).
            source: Named in errors instead of the URL (the .ini file).
            extra: Options from an .ini file, checked like query options.

        Returns:
            The parsed config.

        Raises:
            TypeError: *url* is not a str.
            ValueError: the scheme is unknown or not available yet, or a part is not valid.
        """
        if not isinstance(url, str):
            raise TypeError(f"config URL must be a str, got {url!r}")
        shown = source if source is not None else _PASSWORD_IN_URL.sub(r"\1***@", url)
        scheme, sep, rest = url.partition("://")
        scheme = scheme.lower()
        if not sep or not scheme:
            raise ValueError(f"config {shown!r} is not a URL: expected e.g. 'local://NAME'")
        if scheme in _PLANNED:
            raise ValueError(
                f"config {shown!r}: {scheme}:// needs {_PLANNED[scheme]}, which is not available "
                "in this version of iotic_app; use 'local://' (the embedded in-process space)"
            )
        if scheme not in _SCHEMES:
            allowed = ", ".join(f"{name}://" for name in sorted(_SCHEMES))
            raise ValueError(f"config {shown!r} has unknown scheme {scheme!r}; allowed: {allowed}")
        from urllib.parse import parse_qsl

        where, _, query = rest.partition("?")
        if "#" in query or "#" in where:
            raise ValueError(f"config {shown!r} must not contain a '#' fragment")
        space = where.rstrip("/")
        options: dict[str, str] = dict(extra or {})
        if scheme in ("mqtt", "mqtts"):
            space, from_netloc = _split_netloc(scheme, space, shown)
            options.update(from_netloc)
        elif space:
            _check_name("the space name", space, shown)
        try:
            pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
        except ValueError:
            raise ValueError(
                f"config {shown!r} has a malformed query {query!r}: expected key=value&..."
            ) from None
        for key, value in pairs:
            if key == "agent":
                agent_id = value
            else:
                options[key] = value
        options = _check_options(scheme, options, shown)
        for key in _SECRET_OPTIONS.intersection(options):
            options[key] = Secret(options[key])
        agent = default_agent_id() if agent_id is None else agent_id
        _check_name("the agent name", agent, shown)
        shown_options = sorted((k, v) for k, v in options.items() if k not in _SECRET_OPTIONS)
        query_out = "&".join([f"agent={agent}", *(f"{k}={v}" for k, v in shown_options)])
        return cls(
            url=f"{scheme}://{space}?{query_out}",
            scheme=scheme,
            space=space,
            agent_id=agent,
            options=options,
            source=source,
        )

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
            raise FileNotFoundError(
                f"config file {name!r} does not exist (config is a URL such as 'local://' or a "
                "path to an .ini file with an [agent] section)"
            )
        parser = configparser.ConfigParser(interpolation=None)
        try:
            with open(name, encoding="utf-8") as handle:
                parser.read_file(handle, source=name)
        except (configparser.Error, UnicodeDecodeError) as exc:
            raise ValueError(f"config file {name!r} is not a valid .ini file: {exc}") from None
        if not parser.has_section("agent"):
            raise ValueError(f"config file {name!r} has no [agent] section")
        section = dict(parser.items("agent"))
        url = section.pop("url", None)
        if not url:
            raise ValueError(
                f"config file {name!r}: [agent] needs a url, e.g. 'url = local://NAME'"
            )
        agent = section.pop("agent", None)
        return cls.from_url(url, agent_id=agent, source=name, extra=section)


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
