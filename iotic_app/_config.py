"""Parse the ``config`` argument (URL, .ini path or AgentConfig) into an AgentConfig."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, TypeAlias

import attrs

from iotic_app._config_ini import read_agent_section
from iotic_app._config_lookup import (
    DEFAULT_URL,
    ENV_VAR,
    DefaultChoice,
    choose_default,
    logger,
)
from iotic_app._config_mqtt import checked, keep_checked
from iotic_app._config_options import (
    DEFAULT_PORTS,
    NAME_RE,
    SCHEMES,
    SECRET_OPTIONS,
    Secret,
    check_lang_option,
    check_name,
    check_options,
)
from iotic_app._config_url import addresses, split_url

if TYPE_CHECKING:
    pass

__all__ = [
    "ENV_VAR",
    "AgentConfig",
    "ConfigLike",
    "default_agent_id",
    "parse_config",
]

# Text that is not a URL and may hold a password (user:pw@host, scheme:/..., ?password=...):
# never quoted when it is not an existing file either.
_MAY_HOLD_SECRET = re.compile(r"[@:?&=#]")
_TYPO_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):/?(?!/)")


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
    if stem and NAME_RE.fullmatch(stem) and stem not in {"pytest", "__main__", "-c", "ipykernel"}:
        return stem
    return "agent"


@attrs.frozen
class AgentConfig:
    """Where the agent connects and as whom: the parsed form of ``config``.

    Build one with :meth:`parse` (or its friends); the constructor does no checking.

    Attributes:
        url: The URL, normalised (``local://NAME?agent=AGENT``).
        scheme: ``'local'``, ``'mqtt'`` or ``'mqtts'``.
        space: The space's name: for ``local://`` the in-process space's name (``''`` is the
            default space); for MQTT the broker's ``host:port``, or several brokers' joined
            with ``,`` (``h1:1883,h2:1883``), in the order they are tried.
        agent_id: The agent's name: its identity on the transport; only it changes its things.
        options: Further transport settings, as strings (e.g. ``queue_limit`` for local).
        source: The .ini file the config came from, or None.
        lang: The agent's default language (``?lang=`` or the .ini's ``lang``), lowercase: the
            language of labels, descriptions and values given without one. None when the
            config names none (then ``'en'`` for labels and descriptions, none for values).
        owner: The owner the agent belongs to (``?owner=`` or the .ini's ``owner``; default:
            the agent is its own owner). A ``(lid, pid)`` tuple names a point of the owner's
            things, the owner's agents see each other's private things, and a local id is
            unique per owner.
    """

    url: str
    scheme: str
    space: str
    agent_id: str
    options: Mapping[str, str] = attrs.field(factory=dict)
    source: str | None = None
    lang: str | None = None
    owner: str = attrs.field(
        default=attrs.Factory(lambda self: self.agent_id, takes_self=True), kw_only=True
    )

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
        check_name("the agent name", agent_id, self.url)
        url = re.sub(r"([?&])agent=[^&]*", rf"\g<1>agent={agent_id}", self.url, count=1)
        # an owner the config names stays; the default one (the agent itself) follows the agent
        named = re.search(r"[?&]owner=", self.url) is not None
        owner = self.owner if named else agent_id
        config = attrs.evolve(self, url=url, agent_id=agent_id, owner=owner)
        mqtt = checked(self, take=False)
        if mqtt is not None:  # the same options: only the agent (and client id) differ
            keep_checked(config, attrs.evolve(mqtt, agent_id=agent_id, client_id=agent_id))
        return config

    @classmethod
    def parse(cls, config: ConfigLike) -> AgentConfig:
        """Parse any accepted form of ``config``.

        Args:
            config: None, a URL, a path (``str`` or ``os.PathLike``) to an .ini file, or an
                AgentConfig (returned as is). None stands for ``<script>.ini`` in the working
                directory when it exists (the running script's file name with ``.ini`` for
                its extension, as py-IoticAgent read it; never in an interactive session,
                ``python -c``, a notebook kernel or pytest), else ``$IOTIC_APP_CONFIG`` when
                set, else ``local://``; one INFO line on the ``iotic_app.config`` logger says
                which and why.

        Returns:
            The parsed config.

        Raises:
            TypeError: *config* has an unsupported type.
            ValueError: the URL, scheme, agent name or an option is not valid, or the .ini file
                is not valid (a py-IoticAgent 0.7.0 file is told what to add); for
                ``config=None`` the message also says why that config was chosen.
            FileNotFoundError: *config* names an .ini file that does not exist.
            OSError: the .ini file cannot be read (e.g. ``PermissionError``).
        """
        return cls._parse(config, announce=True)

    @classmethod
    def _parse(cls, config: ConfigLike, *, announce: bool) -> AgentConfig:
        if config is None:
            return cls._parse_default(announce)
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
    def _parse_default(cls, announce: bool) -> AgentConfig:
        """Parse what ``config=None`` stands for (see :func:`choose_default`)."""
        choice = choose_default()
        try:
            if choice.kind == "script":
                if os.path.isdir(choice.text):
                    raise ValueError(
                        f"config file {choice.text!r} is a directory, not an .ini file; rename "
                        "it, or pass config= explicitly"
                    )
                config = cls.from_file(choice.text)
            elif choice.kind == "env":
                config = cls._parse_text(choice.text, f"${ENV_VAR}")
            else:
                config = cls.from_url(DEFAULT_URL)
        except (ValueError, OSError) as exc:
            raise _with_reason(exc, choice) from None
        if announce:
            if choice.kind == "embedded":
                shown = f"the embedded space {config.url}"
            elif config.source is not None:
                shown = f"{config.source} ({config.url})"
            else:
                shown = f"${ENV_VAR} ({config.url})"
            logger.info("config: %s, chosen because %s", shown, choice.why)
        return config

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
        lang: str | None = None,
        owner: str | None = None,
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
            lang: The default language when the URL names none (an .ini ``lang`` key).
            owner: The agent's owner when the URL names none (an .ini ``owner`` key); None:
                the agent is its own owner.

        Returns:
            The parsed config.

        Raises:
            TypeError: *url* or *owner* is not a str.
            ValueError: the scheme is unknown, or a part or an option is not valid (the
                message names it and says what is allowed).
        """
        if not isinstance(url, str):
            raise TypeError(f"config URL must be a str, got {type(url).__name__}")
        if owner is not None and not isinstance(owner, str):
            raise TypeError(f"owner must be a str or None, got {type(owner).__name__}")
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
            elif key == "lang":
                lang = value
            elif key == "owner":
                owner = value
            else:
                options[key] = value
        options = check_options(parts.scheme, options, shown)
        for key in SECRET_OPTIONS.intersection(options):
            options[key] = Secret(options[key])
        agent = default_agent_id() if agent_id is None else agent_id
        check_name("the agent name", agent, shown)
        lang = None if lang is None else check_lang_option(lang, shown)
        if owner is not None:
            check_name("the owner name", owner, shown)
        # the space's name, or the brokers in the order given (``[...]`` around IPv6 hosts)
        space = parts.host if parts.port is None else addresses(parts.brokers)
        shown_options = sorted((k, v) for k, v in options.items() if k not in SECRET_OPTIONS)
        first = [f"agent={agent}"] + ([] if lang is None else [f"lang={lang}"])
        first += [] if owner is None else [f"owner={owner}"]
        query_out = "&".join([*first, *(f"{k}={v}" for k, v in shown_options)])
        config = cls(
            url=f"{parts.scheme}://{space}?{query_out}",
            scheme=parts.scheme,
            space=space,
            agent_id=agent,
            options=options,
            source=source,
            lang=lang,
            owner=agent if owner is None else owner,
        )
        if parts.scheme in DEFAULT_PORTS:  # the MQTT settings: files readable, TLS loads, ...
            from iotic_app.transports.mqtt._settings import MqttSettings

            # kept for the first transport made from it (see take_mqtt_settings)
            keep_checked(config, MqttSettings.from_config(config))
        return config

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> AgentConfig:
        """Read an .ini file whose ``[agent]`` section holds ``url``, ``agent``, ``lang``,
        ``owner`` and the transport's options; other sections are not read.

        Example file::

            [agent]
            url = local://plant
            agent = boiler_sensor
            owner = plant
            lang = de

        A py-IoticAgent 0.7.0 file (``host``, ``epid``, ``passwd``, ``token`` and no ``url``)
        is refused with one error saying which key to add; with a ``url`` its 0.7.0 keys
        (``host``, ``epid``, ``passwd``, ``token``, ``vhost``, ``prefix``, ``sslca``) are
        ignored, so one file serves both.

        Args:
            path: The file's path.

        Returns:
            The parsed config.

        Raises:
            FileNotFoundError: the file does not exist.
            ValueError: the file is not valid .ini, has no ``[agent]`` section or ``url``, or a
                value is not valid.
            OSError: the file cannot be read (e.g. ``PermissionError``).
        """
        name = os.fspath(path)
        if not os.path.isfile(name):
            if _MAY_HOLD_SECRET.search(name):
                raise FileNotFoundError(_neither_url_nor_file("config", name))
            raise FileNotFoundError(
                f"config file {name!r} does not exist (config is a URL such as 'local://' or a "
                "path to an .ini file with an [agent] section)"
            )
        section = read_agent_section(name, default_agent_id())
        return cls.from_url(
            section.url,
            agent_id=section.agent,
            source=name,
            extra=section.options,
            lang=section.lang,
            owner=section.owner,
        )


def _neither_url_nor_file(what: str, text: str) -> str:
    """Why *text* is neither a URL nor an .ini file, without quoting it (it may hold a password),
    but quoting a mistyped scheme separator such as ``mqtt:/``."""
    hint = ""
    typo = _TYPO_SCHEME.match(text)
    if typo and typo.group(1).lower() in SCHEMES:
        hint = f"; it starts {typo.group(0)!r}: did you mean '{typo.group(1).lower()}://'?"
    return (
        f"{what} is neither a URL ('SCHEME://...' such as 'local://NAME' or 'mqtt://HOST:PORT') "
        f"nor an existing .ini file{hint} (the text is not shown because it may hold a password)"
    )


ConfigLike: TypeAlias = str | os.PathLike[str] | AgentConfig | None
"""What ``config`` accepts: None, a URL, an .ini path, or an AgentConfig."""


def parse_config(config: ConfigLike, *, announce: bool = True) -> AgentConfig:
    """Parse *config*; see :meth:`AgentConfig.parse`.

    Args:
        config: None, a URL, an .ini path or an AgentConfig.
        announce: Whether ``config=None`` logs its INFO line (False where the config is
            only checked early, as ``App()`` does: each run's client logs it).

    Returns:
        The parsed config.

    Raises:
        TypeError: *config* has an unsupported type.
        ValueError: a part of *config* is not valid.
        FileNotFoundError: the .ini file does not exist.
        OSError: the .ini file cannot be read.
    """
    return AgentConfig._parse(config, announce=announce)


def _with_reason(exc: ValueError | OSError, choice: DefaultChoice) -> Exception:
    """*exc* (of the same type) saying also why ``config=None`` chose what failed."""
    text = str(exc)
    if text.endswith("."):  # a message of sentences (a py-IoticAgent file's)
        message = f"{text} It was chosen because {choice.why}."
    else:
        message = f"{text}; it was chosen because {choice.why}"
    try:
        return type(exc)(message)
    except Exception:  # pragma: no cover - an exception type that takes other arguments
        return ValueError(message) if isinstance(exc, ValueError) else OSError(message)
