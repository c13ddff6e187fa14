"""py-IoticAgent's IOT.Config: an .ini file read and written as 0.7.0 did."""

from __future__ import annotations

import configparser
import logging
import os
import sys
from typing import Any

from iotic_app.ioticagent.Core.compat import PY3

__all__ = ["PY3", "Config", "dict_to_cp", "str_to_logging"]

#: What ``get`` answers when the file says nothing, per section: 0.7.0's values and types.
_DEFAULTS: dict[str, dict[str, Any]] = {
    "agent": {"vhost": "container1", "prefix": ""},
    "iot": {"sync_request_timeout": 330},
    "core": {
        "network_retry_timeout": 300,
        "socket_timeout": 10,
        "auto_encode_decode": 1,
        "queue_size": 128,
        "throttle": "480/30,1680/300",
        "conn_retry_delay": 5,
        "conn_error_log_threshold": 180,
    },
    "logging": {"amqp": "warning", "rdflib": "warning"},
}

#: The sections a Config keeps, in the order ``save`` writes them; any other is dropped (0.7.0
#: did so: mqtt_bridge's ``[mqtt]`` section always read None).
_SECTIONS = ("iot", "core", "agent", "logging")

_LEVELS = {
    "critical": logging.CRITICAL,
    "error": logging.ERROR,
    "warning": logging.WARNING,
    "debug": logging.DEBUG,
}


class Config:
    """An .ini file's settings with 0.7.0's defaults, as ``IOT.Client(config=...)`` takes them.

    Only the sections ``agent``, ``iot``, ``core`` and ``logging`` are kept; option names are
    lowercased; values read from a file are strings (defaults keep their types). Values are
    read as written (no ``%`` interpolation, so a percent-encoded URL password reads as is).
    iotic_app's keys (``url``, ``agent``, ``owner``, ``lang``, transport options) live in
    ``[agent]``.
    """

    def __init__(self, fn: str | os.PathLike[str] | None = None, string: str | None = None) -> None:
        """Read file *fn* (None: ``<script name>.ini`` in the working directory; a missing file
        reads as empty), or the text *string* when *fn* is None.

        Raises:
            TypeError: *fn* is not a path or *string* not a str.
            ValueError: the text is not valid .ini.
        """
        if fn is not None and not isinstance(fn, str | os.PathLike):
            raise TypeError(f"fn must be a file name (str) or None, got {fn!r}")
        if string is not None and not isinstance(string, str):
            raise TypeError(f"string must be the config's text (str) or None, got {string!r}")
        self.__fname: str | None = None if fn is None else os.fspath(fn)
        self.__config: dict[str, dict[str, Any]] = {section: {} for section in _SECTIONS}
        if string is not None and fn is None:
            text, source = string, "string"
        else:
            self.__fname = source = self._file_loc()
            text = ""
            if os.path.exists(source):
                with open(source, encoding="utf-8") as handle:
                    text = handle.read()
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(text, source=source)
        except configparser.Error as exc:
            raise ValueError(f"config {source!r} is not a valid .ini file: {exc}") from None
        for section in parser.sections():
            for option in parser.options(section):
                self.update(section, option, parser.get(section, option))

    def _file_loc(self) -> str:
        """The file this config is read from and saved to: *fn*, else ``<script name>.ini`` in
        the working directory (``/tmp/x/fish.py`` run from ``/home`` -> ``/home/fish.ini``)."""
        if self.__fname is not None:
            return self.__fname
        stem = os.path.splitext(os.path.basename(sys.argv[0] if sys.argv else ""))[0]
        return os.path.join(os.getcwd(), stem + ".ini")

    def _source(self) -> str | None:
        """The file the config was read from, or None when it was read from a string."""
        return self.__fname

    def _items(self, section: str) -> dict[str, Any]:
        """A copy of what *section* holds (its defaults left out)."""
        return dict(self.__config.get(section, {}))

    def setup_logging(self) -> None:
        """Set the levels of the ``amqp`` and ``rdflib`` loggers from ``[logging]``."""
        for name in ("amqp", "rdflib"):
            logging.getLogger(name).setLevel(str_to_logging(str(self.get("logging", name))))

    def save(self, filename: str | os.PathLike[str] | None = None) -> None:
        """Write the kept sections' values (not the defaults) to *filename*, else to the file
        the config was read from.

        Raises:
            ValueError: the config was read from a string and no *filename* is given.
        """
        if filename is None and self.__fname is None:
            raise ValueError("Config loaded from string, no filename specified")
        target = self.__fname if filename is None else os.fspath(filename)
        assert target is not None
        with open(target, "w", encoding="utf-8") as handle:
            dict_to_cp(self.__config).write(handle)

    def get(self, section: str, val: str) -> Any:
        """The value of *val* in *section*: the file's (or set), else the default, else None."""
        key = val.lower()
        if key in self.__config.get(section, {}):
            return self.__config[section][key]
        return _DEFAULTS.get(section, {}).get(key)

    def set(self, section: str, val: str, data: Any) -> None:
        """Set *val* in *section* to *data*; a section other than the four kept is ignored."""
        if section in self.__config:
            self.__config[section][val.lower()] = data

    def update(self, section: str, val: str, data: Any) -> None:
        """:meth:`set`, unless *data* is None or equals the current value (so ``save`` does not
        write defaults)."""
        if data is not None and self.get(section, val) != data:
            self.set(section, val, data)

    def __repr__(self) -> str:
        """Name the file (values are not shown: they may hold a password)."""
        return f"Config({self.__fname!r})" if self.__fname else "Config(string=...)"


def dict_to_cp(dic: dict[str, dict[str, Any]]) -> configparser.ConfigParser:
    """A ConfigParser of ``{section: {option: value}}``; values as str, empty sections left out."""
    parser = configparser.ConfigParser(interpolation=None)
    for section, values in dic.items():
        if values:
            parser.add_section(section)
            for option, value in values.items():
                parser.set(section, option, str(value))
    return parser


def str_to_logging(level: str) -> int:
    """The ``logging`` level a name stands for (any case); INFO for an unknown name."""
    return _LEVELS.get(level.lower(), logging.INFO)
