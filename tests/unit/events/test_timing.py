"""Event time validation and footprints (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from parley.events.errors import InvalidEvent, InvalidEventTiming
from parley.events.timing import (
    END_OF_TIME,
    Moment,
    footprint,
    occurrence_span,
    resolve_timing,
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def timed(
    start: datetime,
    end: datetime,
    *,
    zone: str = "Europe/Berlin",
    pattern: list[str] | None = None,
    all_day: bool = False,
) -> object:
    return resolve_timing(
        is_time_independent=False,
        is_all_day=all_day,
        starts_at=Moment(start, zone),
        ends_at=Moment(end, zone),
        pattern=pattern or [],
    )


def test_single_event_footprint_is_its_span() -> None:
    timing = timed(utc(2030, 1, 7, 8), utc(2030, 1, 7, 9))
    assert footprint(timing) == (utc(2030, 1, 7, 8), utc(2030, 1, 7, 9))  # type: ignore[arg-type]


def test_bounded_series_ends_with_its_last_occurrence() -> None:
    timing = timed(
        utc(2030, 3, 18, 8), utc(2030, 3, 18, 9), pattern=["RRULE:FREQ=WEEKLY;COUNT=3"]
    )
    # The last Monday is in CEST: 09:00 local = 07:00 UTC.
    assert footprint(timing) == (utc(2030, 3, 18, 8), utc(2030, 4, 1, 8))  # type: ignore[arg-type]


def test_open_series_has_no_end_and_moves_widen_bounded_ones() -> None:
    open_ended = timed(
        utc(2030, 1, 1, 8), utc(2030, 1, 1, 9), pattern=["RRULE:FREQ=DAILY"]
    )
    assert footprint(open_ended) == (utc(2030, 1, 1, 8), None)  # type: ignore[arg-type]
    bounded = timed(
        utc(2030, 1, 1, 8), utc(2030, 1, 1, 9), pattern=["RRULE:FREQ=DAILY;COUNT=2"]
    )
    moved = [
        (utc(2029, 12, 1, 8), utc(2029, 12, 1, 9)),
        (utc(2030, 5, 1), utc(2030, 5, 2)),
    ]
    assert footprint(bounded, moved) == (utc(2029, 12, 1, 8), utc(2030, 5, 2))  # type: ignore[arg-type]


def test_all_day_events_cover_local_days() -> None:
    assert occurrence_span(
        utc(2030, 7, 1), timedelta(days=2), is_all_day=True, zone="Europe/Berlin"
    ) == (utc(2030, 6, 30, 22), utc(2030, 7, 2, 22))
    # Zero length all-day: the one day.
    assert occurrence_span(
        utc(2030, 1, 1), timedelta(0), is_all_day=True, zone="Asia/Tokyo"
    ) == (utc(2029, 12, 31, 15), utc(2030, 1, 1, 15))
    assert (
        occurrence_span(
            datetime.max.replace(tzinfo=UTC) - timedelta(hours=1),
            timedelta(hours=2),
            is_all_day=False,
            zone="UTC",
        )[1]
        == END_OF_TIME
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"is_time_independent": True, "is_all_day": False},
            InvalidEventTiming,
            "is_all_day",
        ),
        (
            {"is_time_independent": True, "pattern": ["RRULE:FREQ=DAILY"]},
            InvalidEventTiming,
            "recurrence_pattern",
        ),
        (
            {"is_time_independent": False},
            InvalidEventTiming,
            "is_all_day, starts_at, ends_at",
        ),
        (
            {
                "is_time_independent": False,
                "is_all_day": False,
                "starts_at": Moment(utc(2030, 1, 1, 9), "UTC"),
                "ends_at": Moment(utc(2030, 1, 1, 8), "UTC"),
            },
            InvalidEvent,
            "before",
        ),
        (
            {
                "is_time_independent": False,
                "is_all_day": True,
                "starts_at": Moment(utc(2030, 1, 1), "UTC"),
                "ends_at": Moment(utc(2030, 1, 1, 8), "UTC"),
            },
            InvalidEvent,
            "zero time part",
        ),
        (
            {
                "is_time_independent": False,
                "is_all_day": False,
                "starts_at": Moment(utc(2030, 1, 1), "UTC"),
                "ends_at": Moment(utc(2030, 1, 1, 1), "UTC"),
                "pattern": ["RRULE:FREQ=WEEKLY;UNTIL=20200101T000000Z"],
            },
            InvalidEvent,
            "UNTIL",
        ),
    ],
)
def test_invalid_timings(
    kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    arguments: dict[str, object] = {
        "is_all_day": None,
        "starts_at": None,
        "ends_at": None,
        "pattern": [],
        **kwargs,
    }
    with pytest.raises(error, match=message):
        resolve_timing(**arguments)  # type: ignore[arg-type]
