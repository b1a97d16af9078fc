"""Time zones, local wall times across DST, durations, PINs, Jitsi timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from parley.reservations.errors import (
    InvalidDuration,
    InvalidPin,
    InvalidStartTime,
    InvalidTimezone,
)
from parley.reservations.timing import (
    format_local,
    format_utc_timestamp,
    parse_duration_minutes,
    parse_local_start,
    parse_pin,
    parse_utc_timestamp,
    resolve_timezone,
    whole_minutes,
)

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("America/New York", "America/New_York"),
        ("America/New_York", "America/New_York"),
        ("america/new york", "America/New_York"),
        (" Europe/Berlin ", "Europe/Berlin"),
        ("UTC", "UTC"),
        ("America/Argentina/Buenos Aires", "America/Argentina/Buenos_Aires"),
    ],
)
def test_resolves_zone_names(name: str, key: str) -> None:
    assert resolve_timezone(name).key == key


@pytest.mark.parametrize(
    "name", ["", "Mars/Olympus", "America/New  York", "../etc/passwd", "Europe"]
)
def test_unknown_zones_are_rejected(name: str) -> None:
    with pytest.raises(InvalidTimezone):
        resolve_timezone(name)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "zone", "instant"),
    [
        # The day before, on and after spring-forward in New York (2030-03-10).
        ("2030-03-09T09:00", NEW_YORK, utc(2030, 3, 9, 14, 0)),
        ("2030-03-10T09:00", NEW_YORK, utc(2030, 3, 10, 13, 0)),
        ("2030-03-10T01:59:59", NEW_YORK, utc(2030, 3, 10, 6, 59, 59)),
        ("2030-03-10T03:00", NEW_YORK, utc(2030, 3, 10, 7, 0)),
        # Fall-back (2030-11-03): 01:30 happens twice; the first (EDT) is meant.
        ("2030-11-03T01:30", NEW_YORK, utc(2030, 11, 3, 5, 30)),
        ("2030-11-03T02:30", NEW_YORK, utc(2030, 11, 3, 7, 30)),
        # Berlin: spring-forward 2030-03-31 02:00 -> 03:00, fall-back 2030-10-27.
        ("2030-03-31T01:30", BERLIN, utc(2030, 3, 31, 0, 30)),
        ("2030-03-31T03:30", BERLIN, utc(2030, 3, 31, 1, 30)),
        ("2030-10-27T02:30", BERLIN, utc(2030, 10, 27, 0, 30)),
        ("2030-10-27T03:30", BERLIN, utc(2030, 10, 27, 2, 30)),
    ],
)
def test_local_start_in_its_zone(text: str, zone: ZoneInfo, instant: datetime) -> None:
    assert parse_local_start(text, zone) == instant
    assert format_local(instant, zone) == text


@pytest.mark.parametrize(
    ("text", "zone"),
    [("2030-03-10T02:30", NEW_YORK), ("2030-03-31T02:00", BERLIN)],
)
def test_times_inside_a_dst_gap_are_rejected(text: str, zone: ZoneInfo) -> None:
    with pytest.raises(InvalidStartTime, match="daylight saving"):
        parse_local_start(text, zone)


@pytest.mark.parametrize(
    "text",
    [
        "2030-03-10 09:00",
        "2030-03-10T09",
        "2030-03-10T09:00Z",
        "2030-03-10T09:00:00+01:00",
        "2030-02-30T09:00",
        "2030-03-10T24:00",
        "10/03/2030 09:00",
        "",
    ],
)
def test_malformed_local_times_are_rejected(text: str) -> None:
    with pytest.raises(InvalidStartTime):
        parse_local_start(text, BERLIN)


def test_a_duration_across_spring_forward_is_real_time() -> None:
    starts = parse_local_start("2030-03-10T01:30", NEW_YORK)
    ends = starts + timedelta(minutes=60)
    # 01:30 EST + 60 minutes is 03:30 EDT on the wall clock.
    assert format_local(ends, NEW_YORK) == "2030-03-10T03:30"


@pytest.mark.parametrize(
    ("value", "minutes"), [(60, 60), ("60", 60), (" 90 ", 90), ("0045", 45), (1, 1)]
)
def test_durations(value: int | str, minutes: int) -> None:
    assert parse_duration_minutes(value) == minutes


@pytest.mark.parametrize(
    "value", [0, -5, 10081, "", "1.5", "60m", "-1", "٣", "1" * 25, True]
)
def test_bad_durations(value: int | str) -> None:
    with pytest.raises(InvalidDuration):
        parse_duration_minutes(value)


@pytest.mark.parametrize(
    ("value", "pin"), [(None, None), ("", None), ("1234", "1234"), (" 0042 ", "0042")]
)
def test_pins(value: str | None, pin: str | None) -> None:
    assert parse_pin(value) == pin


@pytest.mark.parametrize("value", ["123", "12345678901", "12a4", "١٢٣٤"])
def test_bad_pins(value: str) -> None:
    with pytest.raises(InvalidPin):
        parse_pin(value)


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("2048-04-20T17:55:12.000Z", utc(2048, 4, 20, 17, 55, 12)),
        ("2048-04-20T17:55:12Z", utc(2048, 4, 20, 17, 55, 12)),
        ("2048-04-20T17:55:12.5Z", datetime(2048, 4, 20, 17, 55, 12, 500000, UTC)),
        ("2048-04-20T17:55:12.000+0000", utc(2048, 4, 20, 17, 55, 12)),
        ("2048-04-20T17:55:12.000+00:00", utc(2048, 4, 20, 17, 55, 12)),
    ],
)
def test_jitsi_timestamps(text: str, instant: datetime) -> None:
    assert parse_utc_timestamp(text) == instant


@pytest.mark.parametrize(
    "text",
    ["2048-04-20T17:55:12.000", "2048-04-20T17:55:12+01:00", "2048-13-20T17:55:12Z"],
)
def test_bad_jitsi_timestamps(text: str) -> None:
    with pytest.raises(InvalidStartTime):
        parse_utc_timestamp(text)


def test_formats_jitsi_timestamps() -> None:
    assert (
        format_utc_timestamp(utc(2048, 4, 20, 17, 55, 12)) == "2048-04-20T17:55:12.000Z"
    )
    moment = datetime(2048, 4, 20, 19, 55, 12, 345678, tzinfo=BERLIN)
    assert format_utc_timestamp(moment) == "2048-04-20T17:55:12.345Z"


@pytest.mark.parametrize(
    ("seconds", "minutes"), [(1, 1), (59, 1), (60, 1), (61, 2), (3600, 60)]
)
def test_whole_minutes_round_up(seconds: int, minutes: int) -> None:
    assert whole_minutes(timedelta(seconds=seconds)) == minutes
