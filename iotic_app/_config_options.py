"""The options table of config URLs and .ini files: which options each scheme takes, and checks."""

from __future__ import annotations

import re
from collections.abc import Mapping

#: An agent's or a local space's name.
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")

# Which options each scheme accepts (URL query or .ini [agent] keys other than url and
# COMMON_KEYS), and their kind (int options: positive, or the range in INT_RANGES). The MQTT
# options' other checks (files, TLS, protocol, root) are MqttSettings.from_config's, which
# from_url calls.
_MQTT_OPTIONS: dict[str, type] = {
    "queue_limit": int,
    "keepalive": int,
    "connect_timeout": int,
    "outbox_limit": int,
    "replay_window": int,
    "protocol": str,
    "engine": str,
    "outbox": str,
    "root": str,
    "username": str,
    "password": str,
    "password_file": str,
    "ca_file": str,
    "cert_file": str,
    "key_file": str,
}
SCHEMES: dict[str, dict[str, type]] = {
    "local": {"queue_limit": int},
    "mqtt": _MQTT_OPTIONS,
    "mqtts": _MQTT_OPTIONS,
}
# Keys every scheme takes besides its options (URL query or .ini [agent]): not transport options.
COMMON_KEYS = frozenset({"agent", "lang", "owner"})
# Options never shown in the normalised URL nor in reprs (the MQTT password).
SECRET_OPTIONS = frozenset({"password"})
# Every integer option's range: (lowest, highest, what it is).
INT_RANGES: dict[str, tuple[int, int, str]] = {
    "keepalive": (1, 65535, "seconds; MQTT allows 1 to 65535"),
    "connect_timeout": (1, 3600, "seconds"),
    "replay_window": (0, 86400, "seconds; 0 replays nothing"),
    "queue_limit": (1, 10**9, "callbacks"),
    "outbox_limit": (1, 10**9, "rows"),
}
# An option name that may be quoted: anything else (an .ini line without '=', the rest of a
# password) is "an unknown option", never its text.
OPTION_NAME_RE = re.compile(r"[A-Za-z0-9_.-]{1,40}")
DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883}


class Secret(str):
    """A str whose repr hides it: passwords in ``AgentConfig.options`` never reach logs."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'***'"


def short(value: str) -> str:
    """*value* quoted, or its start and length when it is long (a 5000-digit number)."""
    return repr(value) if len(value) <= 24 else f"{value[:12]!r}... ({len(value)} characters)"


_BROKER_LIST_KEYS = frozenset({"brokers", "broker", "hosts", "host", "servers", "failover", "urls"})


def unknown_option(scheme: str, key: str, shown: str, where: str = "") -> ValueError:
    """An unknown option: named when *key* looks like an option name, else *where* it is."""
    names = ", ".join(sorted({*COMMON_KEYS, *SCHEMES[scheme]}))
    if key in _BROKER_LIST_KEYS and scheme in DEFAULT_PORTS:
        return ValueError(
            f"unknown option {key!r} in config {shown!r}: several brokers are listed in the "
            f"URL itself, {scheme}://HOST1:PORT1,HOST2:PORT2?..."
        )
    if OPTION_NAME_RE.fullmatch(key):
        what = f"unknown option {key!r}"
    else:
        what = f"an unknown option{where} (its name is not shown: it may hold a password)"
    return ValueError(f"{what} in config {shown!r}; {scheme}:// allows: {names}")


def is_lang_code(value: str) -> bool:
    """Whether *value* is a language code: 2-8 letters such as ``'en'`` (the client's rule)."""
    return 2 <= len(value) <= 8 and value.isalpha()


def check_lang_option(value: str, source: str) -> str:
    """Return the ``lang`` option *value* lowercased, or raise naming it and *source*."""
    if not is_lang_code(value):
        raise ValueError(
            f"option 'lang' in config {source!r} must be a language code such as 'en' "
            f"(2-8 letters), got {short(value)}"
        )
    return value.lower()


def check_name(what: str, value: str, source: str) -> str:
    if not NAME_RE.fullmatch(value):
        raise ValueError(
            f"{what} in config {source!r} must be 1-128 letters, digits, '_', '.' or '-' "
            f"(starting with a letter or digit), got {value!r}"
        )
    return value


def check_options(scheme: str, options: Mapping[str, str], source: str) -> dict[str, str]:
    allowed = SCHEMES[scheme]
    checked: dict[str, str] = {}
    for key, value in options.items():
        kind = allowed.get(key)
        if kind is None:
            raise unknown_option(scheme, key, source)
        if kind is int:
            low, high, what = INT_RANGES[key]
            text = value.strip()
            digits = text.isascii() and text.isdigit() and len(text) <= len(str(high))
            if not digits or not low <= int(text) <= high:
                sign = "a positive" if low > 0 else "a non-negative"
                raise ValueError(
                    f"option {key!r} in config {source!r} must be {sign} integer from {low} to "
                    f"{high} ({what}), got {short(value)}"
                )
            value = text
        checked[key] = value
    return checked
