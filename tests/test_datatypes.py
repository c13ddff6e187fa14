"""Datatypes and Units constants, and the value encoding templates use."""

from __future__ import annotations

import datetime as dt

import pytest

from iotic_app.datatypes import Datatypes, Units, check_vtype, decode_value, encode_value


def test_all_lists_every_constant() -> None:
    for cls in (Datatypes, Units):
        names = {n for n in vars(cls) if n.isupper() and n not in {"ALL", "BASE"}}
        assert {getattr(cls, n) for n in names} == cls.ALL
        assert len(names) == len(cls.ALL)  # no two names share a value


def test_the_original_xsd_types_are_there() -> None:
    assert (Datatypes.INTEGER, Datatypes.DECIMAL, Datatypes.FLOAT, Datatypes.DOUBLE) == (
        "integer",
        "decimal",
        "float",
        "double",
    )
    assert (Datatypes.STRING, Datatypes.BOOLEAN, Datatypes.DATETIME, Datatypes.BASE64) == (
        "string",
        "boolean",
        "dateTime",
        "base64Binary",
    )
    assert Datatypes.URI == "anyURI"


def test_units_are_qudt_uris() -> None:
    assert Units.CELSIUS == "http://qudt.org/vocab/unit/DEG_C"
    assert Units.PERCENT == "http://qudt.org/vocab/unit/PERCENT"
    assert Units.METRE == "http://qudt.org/vocab/unit/M"
    assert Units.COUNTS_PER_MIN == "http://qudt.org/vocab/unit/NUM-PER-MIN"
    assert all(u.startswith(Units.BASE) for u in Units.ALL)


def test_check_vtype() -> None:
    assert check_vtype("integer") == "integer"
    with pytest.raises(ValueError, match=r"vtype .*'int32'"):
        check_vtype("int32")


@pytest.mark.parametrize(
    ("vtype", "value", "wire"),
    [
        (Datatypes.INTEGER, 10**30, 10**30),
        (Datatypes.UNSIGNED_BYTE, 255, 255),
        (Datatypes.DECIMAL, 1, 1),
        (Datatypes.DOUBLE, 2.5, 2.5),
        (Datatypes.BOOLEAN, False, False),
        (Datatypes.STRING, "s", "s"),
        (Datatypes.BASE64, b"\x00\xff", "AP8="),
        (
            Datatypes.DATETIME,
            dt.datetime(2024, 1, 2, 3, 4, tzinfo=dt.timezone.utc),
            "2024-01-02T03:04:00+00:00",
        ),
        (Datatypes.DATE, dt.date(2024, 1, 2), "2024-01-02"),
        (Datatypes.TIME, dt.time(3, 4, 5), "03:04:05"),
        (Datatypes.URI, "http://x", "http://x"),
        (Datatypes.INTEGER, None, None),
    ],
)
def test_round_trip(vtype: str, value: object, wire: object) -> None:
    assert encode_value(vtype, "v", value) == wire
    assert decode_value(vtype, wire) == value


@pytest.mark.parametrize(
    ("vtype", "value", "exc"),
    [
        (Datatypes.INTEGER, True, TypeError),
        (Datatypes.INTEGER, 1.5, TypeError),
        (Datatypes.BYTE, 128, ValueError),
        (Datatypes.POSITIVE_INTEGER, 0, ValueError),
        (Datatypes.NEGATIVE_INTEGER, 0, ValueError),
        (Datatypes.DECIMAL, "1", TypeError),
        (Datatypes.BOOLEAN, 1, TypeError),
        (Datatypes.BASE64, "AP8=", TypeError),
        (Datatypes.DATE, dt.datetime(2024, 1, 1), TypeError),
        (Datatypes.STRING, 3, TypeError),
    ],
)
def test_encode_rejects(vtype: str, value: object, exc: type[Exception]) -> None:
    with pytest.raises(exc, match="'level'"):
        encode_value(vtype, "level", value)


def test_decode_leaves_undecodable_values_alone() -> None:
    assert decode_value(Datatypes.DATETIME, "yesterday") == "yesterday"
    assert decode_value(Datatypes.BASE64, "!!") == "!!"
    assert decode_value(Datatypes.INTEGER, 5) == 5
