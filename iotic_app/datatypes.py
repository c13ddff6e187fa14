"""Value types (XML Schema datatypes) and units (QUDT unit URIs) for point values."""

from __future__ import annotations

import base64
import datetime as _dt
from typing import Any

__all__ = ["Datatypes", "Units"]


class Datatypes:
    """The XML Schema (XSD) value types a feed or control value can declare.

    Each constant is the XSD local name as a string, exactly as ``IoticAgent.Datatypes`` had it,
    so ``create_value('temp', Datatypes.DECIMAL)`` ports unchanged. ``ALL`` holds every one.

    How a value of each type travels (see :func:`encode_value`): numbers, strings and booleans
    as themselves; ``DATETIME``, ``DATE`` and ``TIME`` as ISO 8601 strings (a template or parsed
    value is a :mod:`datetime` object); ``BASE64`` as a base64 string (``bytes`` in Python);
    ``DURATION``, ``URI`` and the rest as strings.
    """

    BASE64 = "base64Binary"
    BOOLEAN = "boolean"
    BYTE = "byte"
    DATE = "date"
    DATETIME = "dateTime"
    DECIMAL = "decimal"
    DOUBLE = "double"
    DURATION = "duration"
    FLOAT = "float"
    INT = "int"
    INTEGER = "integer"
    LONG = "long"
    NEGATIVE_INTEGER = "negativeInteger"
    NON_NEGATIVE_INTEGER = "nonNegativeInteger"
    NON_POSITIVE_INTEGER = "nonPositiveInteger"
    POSITIVE_INTEGER = "positiveInteger"
    SHORT = "short"
    STRING = "string"
    TIME = "time"
    UNSIGNED_BYTE = "unsignedByte"
    UNSIGNED_INT = "unsignedInt"
    UNSIGNED_LONG = "unsignedLong"
    UNSIGNED_SHORT = "unsignedShort"
    URI = "anyURI"

    ALL: frozenset[str] = frozenset(
        {
            BASE64, BOOLEAN, BYTE, DATE, DATETIME, DECIMAL, DOUBLE, DURATION, FLOAT, INT, INTEGER,
            LONG, NEGATIVE_INTEGER, NON_NEGATIVE_INTEGER, NON_POSITIVE_INTEGER, POSITIVE_INTEGER,
            SHORT, STRING, TIME, UNSIGNED_BYTE, UNSIGNED_INT, UNSIGNED_LONG, UNSIGNED_SHORT, URI,
        }
    )  # fmt: skip


class Units:
    """Common units as URIs from the QUDT unit vocabulary (``http://qudt.org/vocab/unit/``).

    Pass one as ``unit=`` to ``create_value``; search matches it with ``search(unit=...)``. Any
    other unit URI works too: these are the frequent ones, named as ``IoticAgent.Units`` named
    them. ``ALL`` holds every one.
    """

    BASE = "http://qudt.org/vocab/unit/"

    AMPERE = BASE + "A"
    BAR = BASE + "BAR"
    BECQUEREL = BASE + "BQ"
    BYTE = BASE + "BYTE"
    CANDELA = BASE + "CD"
    CELSIUS = BASE + "DEG_C"
    COUNTS_PER_MIN = BASE + "NUM-PER-MIN"
    COUNTS_PER_SEC = BASE + "NUM-PER-SEC"
    DAY = BASE + "DAY"
    DECIBEL = BASE + "DeciB"
    DEGREE_ANGLE = BASE + "DEG"
    FAHRENHEIT = BASE + "DEG_F"
    GRAM = BASE + "GM"
    HECTOPASCAL = BASE + "HectoPA"
    HERTZ = BASE + "HZ"
    HOUR = BASE + "HR"
    JOULE = BASE + "J"
    KELVIN = BASE + "K"
    KILOGRAM = BASE + "KiloGM"
    KILOMETRE = BASE + "KiloM"
    KILOMETRE_PER_HOUR = BASE + "KiloM-PER-HR"
    KILOWATT = BASE + "KiloW"
    KILOWATT_HOUR = BASE + "KiloW-HR"
    LITRE = BASE + "L"
    LUX = BASE + "LUX"
    METRE = BASE + "M"
    METRE_PER_SEC = BASE + "M-PER-SEC"
    MICROGRAM_PER_CUBIC_METRE = BASE + "MicroGM-PER-M3"
    MILLIMETRE = BASE + "MilliM"
    MINUTE = BASE + "MIN"
    PARTS_PER_MILLION = BASE + "PPM"
    PASCAL = BASE + "PA"
    PERCENT = BASE + "PERCENT"
    SECOND = BASE + "SEC"
    VOLT = BASE + "V"
    WATT = BASE + "W"

    ALL: frozenset[str] = frozenset(
        {
            AMPERE, BAR, BECQUEREL, BYTE, CANDELA, CELSIUS, COUNTS_PER_MIN, COUNTS_PER_SEC, DAY,
            DECIBEL, DEGREE_ANGLE, FAHRENHEIT, GRAM, HECTOPASCAL, HERTZ, HOUR, JOULE, KELVIN,
            KILOGRAM, KILOMETRE, KILOMETRE_PER_HOUR, KILOWATT, KILOWATT_HOUR, LITRE, LUX, METRE,
            METRE_PER_SEC, MICROGRAM_PER_CUBIC_METRE, MILLIMETRE, MINUTE, PARTS_PER_MILLION,
            PASCAL, PERCENT, SECOND, VOLT, WATT,
        }
    )  # fmt: skip


_INTEGER_RANGES: dict[str, tuple[int | None, int | None]] = {
    Datatypes.INTEGER: (None, None),
    Datatypes.INT: (-(2**31), 2**31 - 1),
    Datatypes.LONG: (-(2**63), 2**63 - 1),
    Datatypes.SHORT: (-(2**15), 2**15 - 1),
    Datatypes.BYTE: (-128, 127),
    Datatypes.UNSIGNED_BYTE: (0, 255),
    Datatypes.UNSIGNED_SHORT: (0, 2**16 - 1),
    Datatypes.UNSIGNED_INT: (0, 2**32 - 1),
    Datatypes.UNSIGNED_LONG: (0, 2**64 - 1),
    Datatypes.NON_NEGATIVE_INTEGER: (0, None),
    Datatypes.POSITIVE_INTEGER: (1, None),
    Datatypes.NON_POSITIVE_INTEGER: (None, 0),
    Datatypes.NEGATIVE_INTEGER: (None, -1),
}
_NUMBERS = frozenset({Datatypes.DECIMAL, Datatypes.DOUBLE, Datatypes.FLOAT})


def check_vtype(vtype: object) -> str:
    """Return *vtype* if it is one of :attr:`Datatypes.ALL`.

    Raises:
        TypeError: *vtype* is not a str.
        ValueError: *vtype* is not a known datatype.
    """
    if not isinstance(vtype, str):
        raise TypeError(f"vtype must be a str, one of the Datatypes constants, got {vtype!r}")
    if vtype not in Datatypes.ALL:
        allowed = ", ".join(sorted(Datatypes.ALL))
        raise ValueError(f"vtype must be one of the Datatypes ({allowed}), got {vtype!r}")
    return str(vtype)


def encode_value(vtype: str, label: str, value: Any) -> Any:
    """Turn a Python *value* of datatype *vtype* into its JSON-like wire form.

    Args:
        vtype: A :class:`Datatypes` constant.
        label: The value's label, named in errors.
        value: The Python value (``None`` passes through as unset).

    Returns:
        A str, int, float, bool or None.

    Raises:
        TypeError: *value* has the wrong Python type for *vtype*.
        ValueError: *value* is out of range for *vtype*.
    """
    if value is None:
        return None
    if vtype in _INTEGER_RANGES:
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"value {label!r} is a {vtype} and needs an int, got {value!r}")
        low, high = _INTEGER_RANGES[vtype]
        if (low is not None and value < low) or (high is not None and value > high):
            raise ValueError(f"value {label!r} is out of range for {vtype}: {value!r}")
        return value
    if vtype in _NUMBERS:
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise TypeError(f"value {label!r} is a {vtype} and needs a number, got {value!r}")
        return value
    if vtype == Datatypes.BOOLEAN:
        if not isinstance(value, bool):
            raise TypeError(f"value {label!r} is a boolean and needs a bool, got {value!r}")
        return value
    if vtype == Datatypes.BASE64:
        if not isinstance(value, bytes | bytearray):
            raise TypeError(f"value {label!r} is base64Binary and needs bytes, got {value!r}")
        return base64.b64encode(value).decode("ascii")
    if vtype == Datatypes.DATETIME:
        if not isinstance(value, _dt.datetime):
            raise TypeError(f"value {label!r} is a dateTime and needs a datetime, got {value!r}")
        return value.isoformat()
    if vtype == Datatypes.DATE:
        if not isinstance(value, _dt.date) or isinstance(value, _dt.datetime):
            raise TypeError(f"value {label!r} is a date and needs a date, got {value!r}")
        return value.isoformat()
    if vtype == Datatypes.TIME:
        if not isinstance(value, _dt.time):
            raise TypeError(f"value {label!r} is a time and needs a time, got {value!r}")
        return value.isoformat()
    if not isinstance(value, str):
        raise TypeError(f"value {label!r} is a {vtype} and needs a str, got {value!r}")
    return value


def decode_value(vtype: str, raw: Any) -> Any:
    """Turn the wire form *raw* of a *vtype* value back into a Python value.

    A value that does not decode is returned as it came (a follower must not fail on a sharer's
    mistake); ``None`` stays ``None``.

    Args:
        vtype: A :class:`Datatypes` constant.
        raw: The value as it arrived.

    Returns:
        The Python value: int, float, bool, str, bytes, datetime, date or time.
    """
    if not isinstance(raw, str):
        return raw
    try:
        if vtype == Datatypes.DATETIME:
            return _dt.datetime.fromisoformat(raw)
        if vtype == Datatypes.DATE:
            return _dt.date.fromisoformat(raw)
        if vtype == Datatypes.TIME:
            return _dt.time.fromisoformat(raw)
        if vtype == Datatypes.BASE64:
            return base64.b64decode(raw, validate=True)
    except ValueError:
        return raw
    return raw
