"""Unit tests for ISO 8601 duration parsing of booking-profile fields."""

from __future__ import annotations

from datetime import timedelta

import pytest

from parley.booking.durations import (
    DurationError,
    normalize_iso_duration,
    parse_iso_duration,
)


@pytest.mark.parametrize(
    ("text", "expected", "normalized"),
    [
        pytest.param("P30D", timedelta(days=30), "P30D", id="days"),
        pytest.param("PT12H", timedelta(hours=12), "PT12H", id="hours"),
        pytest.param("P1W", timedelta(weeks=1), "P1W", id="weeks"),
        pytest.param("P1DT2H", timedelta(days=1, hours=2), "P1DT2H", id="days-and-hours"),
        pytest.param("PT90M", timedelta(minutes=90), "PT90M", id="minutes"),
        pytest.param("PT45S", timedelta(seconds=45), "PT45S", id="seconds"),
        pytest.param("P2W3DT4H5M6S", timedelta(weeks=2, days=3, hours=4, minutes=5, seconds=6),
                     "P2W3DT4H5M6S", id="every-component"),
        pytest.param("P0D", timedelta(0), "P0D", id="zero"),
        pytest.param("30D", timedelta(days=30), "P30D", id="short-form-as-in-aurinko-docs"),
        pytest.param("T12H", timedelta(hours=12), "PT12H", id="short-form-time"),
        pytest.param("1DT2H", timedelta(days=1, hours=2), "P1DT2H", id="short-form-mixed"),
        pytest.param("p1dt2h", timedelta(days=1, hours=2), "P1DT2H", id="lower-case"),
        pytest.param("  P30D\n", timedelta(days=30), "P30D", id="surrounding-whitespace"),
    ],
)  # fmt: skip
def test_valid_durations(text: str, expected: timedelta, normalized: str) -> None:
    assert parse_iso_duration(text) == expected
    assert normalize_iso_duration(text) == normalized


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        pytest.param("", "ISO 8601 duration", id="empty"),
        pytest.param("P", "ISO 8601 duration", id="designator-only"),
        pytest.param("PT", "ISO 8601 duration", id="empty-time-part"),
        pytest.param("P1DT", "ISO 8601 duration", id="dangling-t"),
        pytest.param("12H", "ISO 8601 duration", id="hours-without-t"),
        pytest.param("P1D2W", "ISO 8601 duration", id="components-out-of-order"),
        pytest.param("P1.5D", "ISO 8601 duration", id="fraction"),
        pytest.param("-P1D", "ISO 8601 duration", id="negative"),
        pytest.param("P 1D", "ISO 8601 duration", id="inner-space"),
        pytest.param("P\u0663D", "ISO 8601 duration", id="non-ascii-digit"),
        pytest.param("thirty days", "ISO 8601 duration", id="prose"),
        pytest.param("P1M", "no fixed length", id="months"),
        pytest.param("P1Y2D", "no fixed length", id="years"),
        pytest.param("30M", "no fixed length", id="short-form-is-months-not-minutes"),
        pytest.param("P999999999999D", "too long", id="overflow"),
        pytest.param("P" + "9" * 5000 + "D", "ISO 8601 duration", id="huge-digit-string"),
        pytest.param(None, "string", id="none"),
        pytest.param(30, "string", id="number"),
    ],
)  # fmt: skip
def test_invalid_durations_name_the_field(value: object, reason: str) -> None:
    with pytest.raises(DurationError) as raised:
        parse_iso_duration(value)

    assert raised.value.field == "timeAvailableFor"
    assert reason in str(raised.value)
    assert isinstance(raised.value, ValueError)
    # Hostile input is not echoed back in full.
    assert len(str(raised.value)) < 200


def test_field_name_is_configurable() -> None:
    with pytest.raises(DurationError) as raised:
        normalize_iso_duration("soon", field="minimumNotice")

    assert raised.value.field == "minimumNotice"
    assert str(raised.value).startswith("minimumNotice: ")
