"""The MQTT settings a parse checked, kept beside their config until a transport takes them."""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from iotic_app._config import AgentConfig
    from iotic_app.transports.mqtt._settings import MqttSettings

__all__ = ["checked", "keep_checked", "take_mqtt_settings"]

# The MQTT settings from_url checked, by the id of their config, until the first transport made
# from it takes them (take_mqtt_settings), so that its client does not read the files again.
# Kept beside the config, not in an attrs field of it: attrs.asdict/astuple of a config would
# show the password they hold. Any attrs.evolve() (or copy) of a config has none (the changed
# config is checked again when used); with_agent() carries them over, for the new agent. An
# entry goes when its config is collected.
_CHECKED: dict[int, MqttSettings] = {}
_CHECKED_LOCK = threading.Lock()


def keep_checked(config: AgentConfig, settings: MqttSettings) -> None:
    """Keep *settings* for the first transport made from *config*."""
    key = id(config)
    with _CHECKED_LOCK:
        _CHECKED[key] = settings
    weakref.finalize(config, _forget_checked, key).atexit = False


def _forget_checked(key: int) -> None:
    with _CHECKED_LOCK:
        _CHECKED.pop(key, None)


def checked(config: AgentConfig, *, take: bool) -> MqttSettings | None:
    """The settings kept for *config*, or None; *take* hands them over (the next one checks)."""
    with _CHECKED_LOCK:
        if take:
            return _CHECKED.pop(id(config), None)
        return _CHECKED.get(id(config))


def take_mqtt_settings(config: AgentConfig) -> MqttSettings:
    """The MQTT settings of an ``mqtt://`` or ``mqtts://`` *config*, for a transport made
    from it: the first one takes those checked when *config* was parsed, so that a client
    checks them (reads the files, loads the TLS ones) once; a later one checks them again, so
    that a password file or certificate renewed since is read.

    Raises:
        ValueError: an option is not valid or a file it names cannot be read.
    """
    settings = checked(config, take=True)  # handed over: the next transport checks
    if settings is not None:
        return settings
    from iotic_app.transports.mqtt._settings import MqttSettings

    return MqttSettings.from_config(config)
