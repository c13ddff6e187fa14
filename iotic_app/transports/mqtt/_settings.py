"""The MQTT transport's settings, checked from an AgentConfig (files readable, values known)."""

from __future__ import annotations

import os

import attrs

from iotic_app._config import AgentConfig
from iotic_app._config_url import address, addresses
from iotic_app.transports.mqtt._engine import ENGINES, MQTTV5, MQTTV311
from iotic_app.transports.mqtt._outbox import DEFAULT_LIMIT, DEFAULT_REPLAY

__all__ = ["DEFAULT_ROOT", "ENGINE_VARIABLE", "PROTOCOL_VARIABLE", "MqttSettings"]

DEFAULT_ROOT = "iotic"


ENGINE_VARIABLE = "IOTIC_APP_MQTT_ENGINE"  # the default of the engine option, when set
PROTOCOL_VARIABLE = "IOTIC_APP_MQTT_PROTOCOL"  # the default of the protocol option, when set


def _parse_protocol(value: str | None, source: str) -> int:
    """The ``protocol`` option: 5 (the default) or 3.1.1; without one, the environment
    variable ``IOTIC_APP_MQTT_PROTOCOL`` gives the default."""
    where = f"option 'protocol' in config {source!r}"
    if value is None and os.environ.get(PROTOCOL_VARIABLE, "").strip():
        value = os.environ[PROTOCOL_VARIABLE].strip()
        where = f"environment variable {PROTOCOL_VARIABLE}"
    if value is None or value in ("5", "5.0"):
        return MQTTV5
    if value in ("3.1.1", "311", "4"):
        return MQTTV311
    raise ValueError(f"{where} must be 5 or 3.1.1, got {value!r}")


def _parse_engine(value: str | None, source: str) -> str:
    """The ``engine`` option: auto (the default: builtin), builtin (iotic_app's own) or paho;
    without one, the environment variable ``IOTIC_APP_MQTT_ENGINE`` gives the default."""
    where = f"option 'engine' in config {source!r}"
    if value is None and os.environ.get(ENGINE_VARIABLE):
        value = os.environ[ENGINE_VARIABLE]
        where = f"environment variable {ENGINE_VARIABLE}"
    engine = "auto" if value is None else value.strip().lower()
    if engine not in ENGINES:
        raise ValueError(f"{where} must be one of {', '.join(ENGINES)}, got {value!r}")
    return engine


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


def _read_text(path: str) -> str:
    with open(path, "rb") as handle:
        return handle.read().decode("utf-8", "replace")


def _encrypted_key(*args: object) -> bytes:
    raise _EncryptedKey


class _EncryptedKey(Exception):
    """The key needs a passphrase (raised by the password callback, so OpenSSL never prompts)."""


def _check_tls(
    ca_file: str | None, cert_file: str | None, key_file: str | None, source: str
) -> None:
    """Load the TLS files into an SSLContext now, so a mistake is an error naming the option."""
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if ca_file is not None:
        try:
            context.load_verify_locations(cafile=ca_file)
        except ssl.SSLError as exc:
            raise ValueError(
                f"option 'ca_file' in config {source!r}: {ca_file!r} holds no PEM certificate "
                f"that can be loaded ({exc.reason or exc}); it must be the PEM file of the CA "
                "that signed the broker's certificate"
            ) from None
    if cert_file is None:
        return
    if "-----BEGIN CERTIFICATE-----" not in _read_text(cert_file):
        raise ValueError(
            f"option 'cert_file' in config {source!r}: {cert_file!r} is not a PEM certificate "
            "file (it must hold '-----BEGIN CERTIFICATE-----')"
        )
    key_text = _read_text(key_file if key_file is not None else cert_file)
    if "PRIVATE KEY-----" not in key_text:
        if key_file is None:
            raise ValueError(
                f"option 'cert_file' in config {source!r}: {cert_file!r} holds no private key; "
                "set 'key_file' to the PEM file of the certificate's key"
            )
        raise ValueError(
            f"option 'key_file' in config {source!r}: {key_file!r} is not a PEM private key "
            "file (it must hold '-----BEGIN ... PRIVATE KEY-----')"
        )
    try:
        context.load_cert_chain(cert_file, key_file, password=_encrypted_key)
    except _EncryptedKey:
        raise ValueError(
            f"option {'key_file' if key_file else 'cert_file'!r} in config {source!r}: the key "
            f"in {key_file or cert_file!r} is encrypted with a passphrase, which iotic_app does "
            "not support; give it a key file without a passphrase (readable by this user only)"
        ) from None
    except ssl.SSLError as exc:
        raise ValueError(
            f"options 'cert_file' and 'key_file' in config {source!r}: the key in "
            f"{key_file or cert_file!r} does not match the certificate in {cert_file!r}, or "
            f"cannot be loaded ({exc.reason or exc})"
        ) from None


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
    protocol: int = MQTTV5
    engine: str = "auto"
    outbox: str | None = None
    outbox_limit: int = DEFAULT_LIMIT
    replay_window: float = DEFAULT_REPLAY
    root: str = DEFAULT_ROOT
    brokers: tuple[tuple[str, int], ...] = ()

    @property
    def addresses(self) -> tuple[tuple[str, int], ...]:
        """Every broker's ``(host, port)`` in the order they are tried (``host``, ``port``:
        the one in use)."""
        return self.brokers or ((self.host, self.port),)

    @property
    def where(self) -> str:
        """The broker in use as ``host:port``, for messages."""
        return address(self.host, self.port)

    @property
    def listed(self) -> str:
        """Every broker as ``host:port``, joined with ``,`` (the URL's way), for reprs."""
        return addresses(self.addresses)

    def at(self, index: int) -> MqttSettings:
        """The same settings on broker *index* of :attr:`addresses`."""
        host, port = self.addresses[index % len(self.addresses)]
        return attrs.evolve(self, host=host, port=port)

    def next_broker(self) -> MqttSettings:
        """The same settings on the broker after the one in use (round the list)."""
        return self.at(self.addresses.index((self.host, self.port)) + 1)

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
        source = config.source or f"{config.scheme}://{config.space}"
        brokers = tuple(
            (host.strip("[]"), int(port))
            for host, _, port in (item.rpartition(":") for item in config.space.split(","))
        )
        password = opts.get("password")
        if "password_file" in opts:
            if password is not None:
                raise ValueError(
                    f"config {source!r} gives both 'password' and 'password_file'; keep one"
                )
            path = _readable("password_file", opts["password_file"], source)
            with open(path, encoding="utf-8", errors="replace") as handle:
                password = handle.read().strip()
        username = opts.get("username")
        if username is not None and not username:
            raise ValueError(
                f"option 'username' in config {source!r} is empty; give the user name or leave "
                "the option out"
            )
        if password is not None and username is None:  # MQTT sends no password without a user name
            given = "password_file" if "password_file" in opts else "password"
            raise ValueError(
                f"option {given!r} in config {source!r}: a password needs a user name (MQTT "
                "sends a password only with one); set 'username', or write "
                "USER:PASSWORD@HOST in the URL"
            )
        outbox = opts.get("outbox")
        if outbox is not None and not outbox.strip():
            raise ValueError(
                f"option 'outbox' in config {source!r} must be a folder, got {outbox!r}; leave "
                "it out for the default folder"
            )
        tls = config.scheme == "mqtts" or "ca_file" in opts
        if "key_file" in opts and "cert_file" not in opts:
            raise ValueError(
                f"option 'key_file' in config {source!r} needs 'cert_file' (the client "
                "certificate whose key it is)"
            )
        if "cert_file" in opts and not tls:
            raise ValueError(
                f"option 'cert_file' in config {source!r}: a client certificate is sent over "
                "TLS only; use mqtts://HOST:PORT (port 8883 by default) or set 'ca_file'"
            )
        files = {
            name: _readable(name, opts[name], source)
            for name in ("ca_file", "cert_file", "key_file")
            if name in opts
        }
        ca_file, cert_file, key_file = (files.get(n) for n in ("ca_file", "cert_file", "key_file"))
        if tls:
            _check_tls(ca_file, cert_file, key_file, source)
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
        protocol = _parse_protocol(opts.get("protocol"), source)
        return cls(
            host=brokers[0][0],
            port=brokers[0][1],
            client_id=client_id or config.agent_id,
            agent_id=config.agent_id,
            tls=tls,
            username=username,
            password=None if password is None else str(password),
            ca_file=ca_file,
            cert_file=cert_file,
            key_file=key_file,
            keepalive=config.option_int("keepalive", 30),
            connect_timeout=float(config.option_int("connect_timeout", 5)),
            protocol=protocol,
            engine=_parse_engine(opts.get("engine"), source),
            outbox=outbox,
            outbox_limit=config.option_int("outbox_limit", DEFAULT_LIMIT),
            replay_window=float(replay_window),
            root=root.rstrip("/"),
            brokers=brokers if len(brokers) > 1 else (),
        )
