"""py-IoticAgent's Datatypes module: the XML Schema type names a point value declares."""

from __future__ import annotations

from typing import Final

from iotic_app.datatypes import Datatypes as _Datatypes

__all__ = [
    "BASE64",
    "BOOLEAN",
    "BYTE",
    "DATE",
    "DATETIME",
    "DECIMAL",
    "DOUBLE",
    "FLOAT",
    "INT",
    "INTEGER",
    "IRI",
    "LONG",
    "STRING",
    "TIME",
    "UNSIGNED_BYTE",
    "URI",
]

# The 15 value types 0.7.0 named are iotic_app's, with the same values.
BASE64: Final = _Datatypes.BASE64
BOOLEAN: Final = _Datatypes.BOOLEAN
BYTE: Final = _Datatypes.BYTE
DATE: Final = _Datatypes.DATE
DATETIME: Final = _Datatypes.DATETIME
DECIMAL: Final = _Datatypes.DECIMAL
DOUBLE: Final = _Datatypes.DOUBLE
FLOAT: Final = _Datatypes.FLOAT
INT: Final = _Datatypes.INT
INTEGER: Final = _Datatypes.INTEGER
LONG: Final = _Datatypes.LONG
STRING: Final = _Datatypes.STRING
TIME: Final = _Datatypes.TIME
UNSIGNED_BYTE: Final = _Datatypes.UNSIGNED_BYTE
URI: Final = _Datatypes.URI

#: Not a value type: 0.7.0 documents it "only for use with property API calls" (a semantic
#: property whose object is an IRI). iotic_app's ``create_value`` does not take it (see
#: docs/porting.md).
IRI: Final = "IRI"
