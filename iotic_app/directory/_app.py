"""The directory as an App: its service made from a config, run with retries until stopped."""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path

from iotic_app._config import AgentConfig, ConfigLike
from iotic_app._config_ini import read_agent_section
from iotic_app.app import App
from iotic_app.directory._service import DirectoryService
from iotic_app.retry import Backoff
from iotic_app.runner import ThingRunner
from iotic_app.transports.mqtt._settings import MqttSettings

__all__ = ["DEFAULT_NAME", "RETRY", "default_db", "directory_app", "directory_service"]

#: The directory's agent name (its client id and presence) when the config names none.
DEFAULT_NAME = "directory"
#: The waits before the directory connects again after losing the broker.
RETRY = Backoff(initial=0.05, maximum=2.0, multiplier=2, jitter=0.05)


def default_db(settings: MqttSettings) -> str:
    """Where the directory keeps its index unless told: one file per broker, root and name."""
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    name = f"{settings.host}-{settings.port}-{settings.root}-{settings.client_id}.db"
    return str(base / "iotic_app" / "directory" / name.replace("/", "_"))


def directory_service(config: ConfigLike, db: str | None = None) -> DirectoryService:
    """The directory of the broker that *config* names (a URL or an .ini file).

    Args:
        config: ``mqtt://HOST:PORT`` or ``mqtts://...`` with the project's options (user,
            password, TLS files, root, protocol); ``agent=NAME`` names the directory (default
            ``directory``; several directories need several names).
        db: The index's sqlite file (default :func:`default_db`; ``:memory:`` for none).

    Raises:
        ValueError: *config* is not an MQTT config, or an option is not valid; or *db* cannot
            be opened as an index (a missing folder, a folder, not a sqlite file).
        TypeError: *config* has the wrong type.
    """
    parsed = AgentConfig.parse(config)
    if parsed.scheme not in ("mqtt", "mqtts"):
        raise ValueError(
            f"a directory serves an MQTT broker: config must be mqtt://HOST:PORT or "
            f"mqtts://HOST:PORT, got {parsed.scheme}:// ({parsed.source or parsed.url!r})"
        )
    if not _names_agent(config):  # not named after the script, as an agent would be
        parsed = parsed.with_agent(DEFAULT_NAME)
    settings = MqttSettings.from_config(parsed)
    if db is None:
        db = default_db(settings)
        Path(db).parent.mkdir(parents=True, exist_ok=True)
    try:
        return DirectoryService(settings, db)
    except sqlite3.Error as exc:
        raise ValueError(
            f"db {db!r} cannot be opened as the directory's index ({exc}): it must be a "
            "sqlite file (a new one is made) in an existing folder, or :memory:"
        ) from exc


def _names_agent(config: ConfigLike) -> bool:
    """Whether *config* (parsed already, so valid) names its agent: a URL's ``agent=``, an .ini
    file's ``agent`` key or its URL's; an AgentConfig or None (the script's .ini) as they are."""
    if isinstance(config, AgentConfig) or config is None:
        return True
    text = os.fspath(config)
    if "://" not in text:  # an .ini file
        section = read_agent_section(text, None)
        if section.agent is not None:
            return True
        text = section.url
    return re.search(r"[?&]agent=", text) is not None


def directory_app(service: DirectoryService) -> App:
    """The App that runs *service*: connects, resyncs and answers searches until stopped
    (Ctrl+C, SIGTERM or ``app.stop()``), connecting again after losing the broker."""
    app = App(retrying=True, retry_timeout=RETRY, client=service, name=f"directory {service.name}")

    @app.main
    def serve(runner: ThingRunner) -> None:
        service.serve(runner.wait_for_shutdown)

    return app
