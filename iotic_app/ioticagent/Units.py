"""py-IoticAgent's Units module: 0.7.0's unit names with its URIs (the OBO unit ontology)."""

# These are not iotic_app.Units' values: iotic_app names units by QUDT URIs
# (http://qudt.org/vocab/unit/DEG_C), 0.7.0 by the OBO unit ontology's
# (http://purl.obolibrary.org/obo/UO_0000027). A ported script keeps the URIs it always
# declared, so its followers (and anything stored under them) still match. The client takes
# any unit URI, so both work in create_value, filter_by(units=...) and search(unit=...); a
# unit is matched by its URI, so a value declared with one vocabulary is not found by the
# other's URI for the same unit.

from __future__ import annotations

from typing import Final

__all__ = [
    "AMPERE",
    "BECQUEREL",
    "CELSIUS",
    "CENTIMETER",
    "CENTIMETRE",
    "CM",
    "COUNTS_PER_MIN",
    "DECIBEL",
    "DEGREE",
    "FAHRENHEIT",
    "GRAM",
    "HERTZ",
    "HOUR",
    "JOULE",
    "KELVIN",
    "KILOGRAM",
    "KILOWATT_HOUR",
    "LUX",
    "MEGAHERTZ",
    "METER",
    "METER_PER_SEC",
    "METRE",
    "MICROGRAM",
    "MILLIGRAM",
    "MILLIMETER",
    "MILLIMETRE",
    "MINUTE",
    "MM_MERCURY",
    "NEWTON",
    "PARTS_PER_BILLION",
    "PARTS_PER_HUNDRED",
    "PARTS_PER_MILLION",
    "PARTS_PER_QUADRILLION",
    "PARTS_PER_THOUSAND",
    "PARTS_PER_TRILLION",
    "PASCAL",
    "PERCENT",
    "RADIAN",
    "ROENTGEN",
    "SECOND",
    "SQUARE_CENTIMETER",
    "SQUARE_CENTIMETRE",
    "SQUARE_METER",
    "SQUARE_METRE",
    "SQUARE_MILLIMETER",
    "SQUARE_MILLIMETRE",
    "VOLT",
    "WATT",
    "WATT_HOUR",
]

_UO: Final = "http://purl.obolibrary.org/obo/UO_"

# Length and area (0.7.0 has both spellings, and CM)
METER: Final = _UO + "0000008"
METRE: Final = METER
CENTIMETER: Final = _UO + "0000015"
CENTIMETRE: Final = CENTIMETER
CM: Final = CENTIMETER
MILLIMETER: Final = _UO + "0000016"
MILLIMETRE: Final = MILLIMETER
SQUARE_METER: Final = _UO + "0000080"
SQUARE_METRE: Final = SQUARE_METER
SQUARE_CENTIMETER: Final = _UO + "0000081"
SQUARE_CENTIMETRE: Final = SQUARE_CENTIMETER
SQUARE_MILLIMETER: Final = _UO + "0000082"
SQUARE_MILLIMETRE: Final = SQUARE_MILLIMETER

# Mass
KILOGRAM: Final = _UO + "0000009"
GRAM: Final = _UO + "0000021"
MILLIGRAM: Final = _UO + "0000022"
MICROGRAM: Final = _UO + "0000023"

# Time and frequency
SECOND: Final = _UO + "0000010"
MINUTE: Final = _UO + "0000031"
HOUR: Final = _UO + "0000032"
HERTZ: Final = _UO + "0000106"
MEGAHERTZ: Final = _UO + "0000325"
COUNTS_PER_MIN: Final = _UO + "0000148"

# Temperature
KELVIN: Final = _UO + "0000012"
CELSIUS: Final = _UO + "0000027"
FAHRENHEIT: Final = _UO + "0000195"

# Electricity, energy, power, force, pressure
AMPERE: Final = _UO + "0000011"
VOLT: Final = _UO + "0000218"
WATT: Final = _UO + "0000114"
WATT_HOUR: Final = _UO + "0000223"
KILOWATT_HOUR: Final = _UO + "0000224"
JOULE: Final = _UO + "0000112"
NEWTON: Final = _UO + "0000108"
PASCAL: Final = _UO + "0000110"
MM_MERCURY: Final = _UO + "0000272"

# Speed, angle, light, sound, radiation
METER_PER_SEC: Final = _UO + "0000094"
RADIAN: Final = _UO + "0000123"
DEGREE: Final = _UO + "0000185"
LUX: Final = _UO + "0000116"
DECIBEL: Final = _UO + "0000259"
BECQUEREL: Final = _UO + "0000132"
ROENTGEN: Final = _UO + "0000136"

# Ratios
PERCENT: Final = _UO + "0000187"
PARTS_PER_HUNDRED: Final = _UO + "0000167"
PARTS_PER_THOUSAND: Final = _UO + "0000168"
PARTS_PER_MILLION: Final = _UO + "0000169"
PARTS_PER_BILLION: Final = _UO + "0000170"
PARTS_PER_TRILLION: Final = _UO + "0000171"
PARTS_PER_QUADRILLION: Final = _UO + "0000172"
