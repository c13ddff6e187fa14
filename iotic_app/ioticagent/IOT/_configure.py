"""What IOT.Client's ``config`` argument stands for: an IOT.Config and iotic_app's config."""

from __future__ import annotations

import os
from typing import Any

from iotic_app.client import AgentConfig
from iotic_app.ioticagent.IOT.Config import Config

__all__ = ["agent_config", "resolve", "sync_timeout_of"]

#: [agent] keys that are not iotic_app's transport options: its own four, 0.7.0's Iotic Space
#: login and AMQP settings (ignored once there is a url), and the seqnum 0.7.0's save_config
#: wrote.
_NOT_OPTIONS = frozenset(
    {"url", "agent", "lang", "owner", "host", "epid", "passwd", "token", "vhost", "prefix"}
    | {"sslca", "seqnum"}
)


def resolve(config: object) -> tuple[Config, Any]:
    """``(classic, modern)``: the IOT.Config that *config* reads (for sync_timeout and
    save_config) and what ``iotic_app.Client`` is given.

    *config* is None (``<script>.ini`` in the working directory, else iotic_app's default
    choice), a path to an .ini file, a URL (an empty IOT.Config), an IOT.Config, or an
    AgentConfig; anything else is passed on for iotic_app's TypeError.
    """
    if config is None:
        script_ini = Config(string="")._file_loc()
        return (Config() if os.path.isfile(script_ini) else Config(string="")), None
    if isinstance(config, Config):
        return config, agent_config(config)
    if isinstance(config, str) and "://" in config:
        return Config(string=""), config
    if isinstance(config, str | os.PathLike):
        return (Config(config) if os.path.isfile(config) else Config(string="")), config
    if isinstance(config, AgentConfig) and config.source is not None:
        return Config(config.source), config
    return Config(string=""), config


def agent_config(config: Config) -> AgentConfig:
    """iotic_app's config from an IOT.Config's ``[agent]`` section (url, agent, lang, owner,
    transport options; 0.7.0's keys ignored).

    Raises:
        ValueError: ``[agent]`` has no url (a 0.7.0 file is told what to add), or a value is not
            valid.
    """
    source = config._source()
    url = config.get("agent", "url")
    if url is None:
        if source is not None and os.path.isfile(source):
            AgentConfig.parse(source)  # raises the .ini file's error (what a 0.7.0 one lacks)
        where = "config" if source is None else f"config file {source!r}"
        raise ValueError(f"{where}: [agent] needs a url, e.g. 'url = local://NAME'")
    items = config._items("agent")
    options = {k: str(v) for k, v in items.items() if k not in _NOT_OPTIONS}

    def text(key: str) -> str | None:
        value = items.get(key)
        return None if value is None else str(value)

    return AgentConfig.from_url(
        str(url),
        agent_id=text("agent"),
        source=source,
        extra=options,
        lang=text("lang"),
        owner=text("owner"),
    )


def sync_timeout_of(config: Config) -> int:
    """``[iot] sync_request_timeout`` as seconds (a whole number, at least 1; 330 by default).

    Raises:
        ValueError: it is not a whole number of seconds of 1 or more.
    """
    value = config.get("iot", "sync_request_timeout")
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        seconds = 0
    if isinstance(value, bool) or seconds < 1 or str(seconds) != str(value).strip():
        raise ValueError(
            "iot.sync_request_timeout must be a whole number of seconds of 1 or more, "
            f"got {value!r}"
        )
    return seconds
