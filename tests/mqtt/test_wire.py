"""What travels on the broker: feed payloads, encoded and decoded (no broker needed)."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone

import pytest

from iotic_app.client._mqtt_wire import decode_sample, encode_sample, from_json, to_json

WHEN = datetime(2026, 5, 1, 12, 0, 0, 250_000, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        ({"celsius": 21.5, "ok": True, "tags": ["a", None]}, None),
        ("héllo", "text/plain"),
        (b"\x00\xff", "application/octet-stream"),
        (None, None),
        ([2**70, -(2**65), 1e300], None),
    ],
)
def test_sample_round_trip(data: object, mime: str | None) -> None:
    raw = encode_sample(data, mime, WHEN)
    assert json.loads(raw)["time"] == "2026-05-01T12:00:00.250000+00:00"  # plain JSON
    assert decode_sample(from_json(raw)) == (data, mime, WHEN)


def test_payload_layout_is_the_documented_one() -> None:
    assert json.loads(encode_sample(b"ab", "application/x-raw", WHEN)) == {
        "time": "2026-05-01T12:00:00.250000+00:00",
        "mime": "application/x-raw",
        "data": "YWI=",
        "encoding": "base64",
    }
    assert json.loads(encode_sample({"a": 1}, None, WHEN)) == {
        "time": "2026-05-01T12:00:00.250000+00:00",
        "mime": None,
        "data": {"a": 1},
    }


def test_nan_and_infinities_travel_as_null() -> None:
    """JSON has no such numbers: strict JSON readers (mosquitto_sub | jq, browsers) can parse it."""
    raw = encode_sample({"t": math.nan, "up": math.inf, "down": -math.inf}, None, WHEN)
    assert json.loads(raw, parse_constant=pytest.fail)["data"] == {
        "t": None,
        "up": None,
        "down": None,
    }


def test_nan_written_by_pythons_json_module_is_read() -> None:
    """A foreign publisher using json.dumps may send NaN; it is read, not skipped."""
    raw = json.dumps({"time": None, "mime": None, "data": [math.nan, math.inf]}).encode()
    data = decode_sample(from_json(raw))[0]
    assert math.isnan(data[0]) and data[1] == math.inf


def test_other_offsets_and_z_are_read_as_aware_times() -> None:
    got = decode_sample({"data": 1, "time": "2026-05-01T14:00:00+02:00"})[2]
    assert got == WHEN.replace(microsecond=0) and got.utcoffset() == timedelta(hours=2)
    assert decode_sample({"data": 1, "time": "2026-05-01T12:00:00Z"})[2].tzinfo is not None


def test_not_json_raises_value_error() -> None:
    with pytest.raises(ValueError):
        from_json(b"{not json")
    assert to_json({"a": [1, "b"]}) == b'{"a":[1,"b"]}'
