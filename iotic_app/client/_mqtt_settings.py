"""The MQTT transport's settings, checked from an AgentConfig (files readable, values known)."""

from __future__ import annotations

import os

import attrs
import paho.mqtt.client as mqtt

from iotic_app._config import AgentConfig
from iotic_app.client._outbox import DEFAULT_LIMIT, DEFAULT_REPLAY

__all__ = ["DEFAULT_ROOT", "MqttSettings"]

DEFAULT_ROOT = "iotic"


def _parse_protocol(value: str | None, source: str) -> int:
    if value is None or value in ("5", "5.0"):
        return mqtt.MQTTv5
    if value in ("3.1.1", "311", "4"):
        return mqtt.MQTTv311
    raise ValueError(f"option 'protocol' in config {source!r} must be 5 or 3.1.1, got {value!r}")


def _readable(option: str, value: str, source: str) -> str:
    path = os.path.expanduser(value)
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise ValueError(
            f"option {option!r} in config {source!r}: cannot read {value!r} ({exc.strerror})"
        ) from None
    return path


@attrs.frozen
class MqttSettings:
    """The connection settings of an MQTT agent, from its :class:`AgentConfig`.

    Build one with :meth:`from_config`; the password is never shown in the repr.
    """

    host: str
    port: int
    client_id: str
    agent_id: str
    tls: bool = False
    username: str | None = None
    password: str | None = attrs.field(default=None, repr=False)
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    keepalive: int = 30
    connect_timeout: float = 5.0
    protocol: int = mqtt.MQTTv5
    outbox: str | None = None
    outbox_limit: int = DEFAULT_LIMIT
    replay_window: float = DEFAULT_REPLAY
    root: str = DEFAULT_ROOT

    @classmethod
    def from_config(cls, config: AgentConfig, client_id: str | None = None) -> MqttSettings:
        """Check the MQTT options of *config* (files readable, protocol known).

        Args:
            config: A parsed ``mqtt://`` or ``mqtts://`` config.
            client_id: The MQTT client id (default: the agent id).

        Returns:
            The settings.

        Raises:
            ValueError: an option is not valid or a file it names cannot be read.
        """
        opts = config.options
        source = config.source or config.url
        host, _, port = config.space.rpartition(":")
        password = opts.get("password")
        if "password_file" in opts:
            if password is not None:
                raise ValueError(
                    f"config {source!r} gives both 'password' and 'password_file'; keep one"
                )
            path = _readable("password_file", opts["password_file"], source)
            with open(path, encoding="utf-8") as handle:
                password = handle.read().strip()
        ca_file = opts.get("ca_file")
        cert_file = opts.get("cert_file")
        key_file = opts.get("key_file")
        if (cert_file is None) != (key_file is None):
            raise ValueError(f"config {source!r}: cert_file and key_file go together")
        root = opts.get("root", DEFAULT_ROOT)
        if not root or any(c in root for c in "+#\x00") or root.startswith(("$", "/")):
            raise ValueError(
                f"option 'root' in config {source!r} must be a topic prefix without '+', '#', "
                f"a leading '$' or '/', got {root!r}"
            )
        replay_window = config.option_int("replay_window", int(DEFAULT_REPLAY))
        if replay_window < 0:
            raise ValueError(
                f"option 'replay_window' in config {source!r} must be a non-negative number of "
                f"seconds, got {replay_window!r}"
            )
        return cls(
            host=host.strip("[]"),
            port=int(port),
            client_id=client_id or config.agent_id,
            agent_id=config.agent_id,
            tls=config.scheme == "mqtts" or ca_file is not None,
            username=opts.get("username"),
            password=None if password is None else str(password),
            ca_file=None if ca_file is None else _readable("ca_file", ca_file, source),
            cert_file=None if cert_file is None else _readable("cert_file", cert_file, source),
            key_file=None if key_file is None else _readable("key_file", key_file, source),
            keepalive=config.option_int("keepalive", 30),
            connect_timeout=float(config.option_int("connect_timeout", 5)),
            protocol=_parse_protocol(opts.get("protocol"), source),
            outbox=opts.get("outbox"),
            outbox_limit=config.option_int("outbox_limit", DEFAULT_LIMIT),
            replay_window=float(replay_window),
            root=root.rstrip("/"),
        )
